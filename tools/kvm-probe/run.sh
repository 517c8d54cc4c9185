#!/bin/sh
# Compiles probe.c into /tmp and runs its two suites on this machine's /dev/kvm,
# writing the kvmsim traces
#   examples/x86/kernel-confirmed-memslots-dirty-log.trace  (probe memslots)
#   examples/x86/kernel-confirmed-guest-memfd.trace         (probe gmem)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out_memslots="$repo/examples/x86/kernel-confirmed-memslots-dirty-log.trace"
out_gmem="$repo/examples/x86/kernel-confirmed-guest-memfd.trace"

if [ ! -e /dev/kvm ]; then
    echo "run.sh: /dev/kvm is absent: this machine cannot run KVM, nothing recorded" >&2
    exit 1
fi
if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
    echo "run.sh: no read/write access to /dev/kvm" >&2
    exit 1
fi

bin=$(mktemp /tmp/kvm-probe.XXXXXX)
trap 'rm -f "$bin" "$out_memslots.tmp" "$out_gmem.tmp"' EXIT
gcc -O1 -Wall -Wextra -o "$bin" "$here/probe.c"
mkdir -p "$(dirname "$out_memslots")"
# Both suites run before either trace is replaced: a failure leaves both as they were.
"$bin" memslots "tools/kvm-probe/run.sh" > "$out_memslots.tmp"
"$bin" gmem "tools/kvm-probe/run.sh" > "$out_gmem.tmp"
mv "$out_memslots.tmp" "$out_memslots"
mv "$out_gmem.tmp" "$out_gmem"
for out in "$out_memslots" "$out_gmem"; do
    echo "wrote $out ($(grep -c '^{' "$out") steps)"
done
