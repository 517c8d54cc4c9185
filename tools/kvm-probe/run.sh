#!/bin/sh
# Compiles probe.c into /tmp and runs it on this machine's /dev/kvm, writing
# the kvmsim trace examples/x86/kernel-confirmed-memslots-dirty-log.trace.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out="$repo/examples/x86/kernel-confirmed-memslots-dirty-log.trace"

if [ ! -e /dev/kvm ]; then
    echo "run.sh: /dev/kvm is absent: this machine cannot run KVM, nothing recorded" >&2
    exit 1
fi
if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
    echo "run.sh: no read/write access to /dev/kvm" >&2
    exit 1
fi

bin=$(mktemp /tmp/kvm-probe.XXXXXX)
trap 'rm -f "$bin" "$out.tmp"' EXIT
gcc -O1 -Wall -Wextra -o "$bin" "$here/probe.c"
mkdir -p "$(dirname "$out")"
"$bin" "tools/kvm-probe/run.sh" > "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out ($(grep -c '^{' "$out") steps)"
