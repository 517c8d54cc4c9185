/*
 * kvm-probe: run KVM ioctl sequences on the real /dev/kvm and print what the
 * kernel answered as a kvmsim trace (shared/docs/trace-format.md).
 *
 * Every ioctl that has a trace step is printed as one JSON line whose
 * "expect" is the kernel's real result; nothing here hard-codes a result.
 * Ioctls without a trace step (KVM_SET_SREGS, KVM_SET_REGS, KVM_GET_REGS,
 * KVM_CHECK_EXTENSION, KVM_GET_STATS_FD) are done and mentioned in "#"
 * comment lines.  No MMAP step is printed: every userspace address of the
 * trace is private anonymous memory, mapped here with MAP_FIXED_NOREPLACE at
 * fixed addresses so the printed userspace_addr values are the same on
 * every run.  Each case gets a fresh VM and its own 16 MiB window of
 * never-touched memory.
 *
 * Build: gcc -O1 -Wall -o /tmp/kvm-probe probe.c    (see run.sh)
 * Usage: kvm-probe [REGENERATE-COMMAND] > trace.jsonl
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <linux/kvm.h>

/* The installed uapi headers may predate these. */
#ifndef KVM_MEM_GUEST_MEMFD
#define KVM_MEM_GUEST_MEMFD (1UL << 2)
#endif
#ifndef KVM_CAP_USER_MEMORY2
#define KVM_CAP_USER_MEMORY2 231
#endif
#ifndef KVM_CAP_GUEST_MEMFD
#define KVM_CAP_GUEST_MEMFD 234
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define PAGE 4096ULL
#define HVA_BASE 0x7f0000000000ULL /* case n uses HVA_BASE + n * WINDOW */
#define WINDOW 0x1000000ULL        /* 16 MiB of address space per case */
#define WINDOW_MAPPED 0x400000ULL  /* of which the first 4 MiB are mapped */

static int kvm_fd;

/* ------------------------------------------------------------------ */
/* Output                                                              */
/* ------------------------------------------------------------------ */

static const struct {
	int no;
	const char *name;
} errnames[] = {
	{ EPERM, "EPERM" },   { ENOENT, "ENOENT" }, { ESRCH, "ESRCH" },
	{ EINTR, "EINTR" },   { EIO, "EIO" },       { ENXIO, "ENXIO" },
	{ E2BIG, "E2BIG" },   { ENOEXEC, "ENOEXEC" }, { EBADF, "EBADF" },
	{ EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" }, { EACCES, "EACCES" },
	{ EFAULT, "EFAULT" }, { EBUSY, "EBUSY" },   { EEXIST, "EEXIST" },
	{ ENODEV, "ENODEV" }, { EINVAL, "EINVAL" }, { ENOSPC, "ENOSPC" },
	{ ERANGE, "ERANGE" }, { ENOSYS, "ENOSYS" }, { ENOTTY, "ENOTTY" },
	{ EOPNOTSUPP, "EOPNOTSUPP" }, { EOVERFLOW, "EOVERFLOW" },
	{ EHWPOISON, "EHWPOISON" },
};

static const char *errname(int e)
{
	static char buf[24];

	for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (errnames[i].no == e)
			return errnames[i].name;
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

static void comment(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

static void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("kvm-probe: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (%s)\n", strerror(errno));
	exit(1);
}

/*
 * Print one step: op, its fields (JSON members, no braces) and the real
 * result: {"ret":0} when the ioctl returned >= 0 (creating ioctls return an
 * fd; the trace records that as 0), else {"errno":NAME}.  extra, if not
 * NULL, is appended to a successful expect (dirty_pages).
 */
/*
 * Cases whose result depends on what kvmsim does not model (guest page tables under shadow
 * paging, the instruction emulator) are recorded as comments: a reader sees what the kernel did,
 * the replay does not judge the model against it.
 */
static const char *line_prefix = "";

static void not_replayed(const char *why)
{
	comment("NOT REPLAYED: %s", why);
	line_prefix = "#  ";
}

static void emit(const char *op, const char *fields, int rc, int err, const char *extra)
{
	fputs(line_prefix, stdout);
	printf("{\"op\":\"%s\",%s,\"expect\":{", op, fields);
	if (rc < 0)
		printf("\"errno\":\"%s\"", errname(err));
	else
		printf("\"ret\":0%s%s", extra ? "," : "", extra ? extra : "");
	printf("}}\n");
	fflush(stdout);
}

/* A step without expect (guest accesses). */
static void emit_plain(const char *op, const char *fields)
{
	fputs(line_prefix, stdout);
	printf("{\"op\":\"%s\",%s}\n", op, fields);
}

/* Memslot flags as a list of names, or an integer if any bit is unknown. */
static const char *memslot_flags(uint32_t f, char *buf, size_t n)
{
	static const char *names[] = { "KVM_MEM_LOG_DIRTY_PAGES", "KVM_MEM_READONLY",
				       "KVM_MEM_GUEST_MEMFD" };
	size_t len = 0;

	if (f & ~7u) {
		snprintf(buf, n, "%u", f);
		return buf;
	}
	len += snprintf(buf + len, n - len, "[");
	for (int i = 0; i < 3; i++)
		if (f & (1u << i))
			len += snprintf(buf + len, n - len, "%s\"%s\"", len > 1 ? "," : "", names[i]);
	snprintf(buf + len, n - len, "]");
	return buf;
}

/* args[0] of KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2: names if all bits known. */
static const char *manual_args(uint64_t a, char *buf, size_t n)
{
	if (a == 0 || (a & ~3ull))
		snprintf(buf, n, "%llu", (unsigned long long)a);
	else if (a == 3)
		snprintf(buf, n, "[\"KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE\",\"KVM_DIRTY_LOG_INITIALLY_SET\"]");
	else if (a == 1)
		snprintf(buf, n, "[\"KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE\"]");
	else
		snprintf(buf, n, "[\"KVM_DIRTY_LOG_INITIALLY_SET\"]");
	return buf;
}

/* ------------------------------------------------------------------ */
/* Cases, VMs and the ioctls that have trace steps                     */
/* ------------------------------------------------------------------ */

struct vm {
	const char *name;
	int fd;
};

static int case_no;
static uint64_t case_hva; /* this case's window of fresh anonymous memory */

static void vm_create(struct vm *v, const char *name)
{
	char f[160];
	int fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	int err = errno;

	v->name = name;
	v->fd = fd;
	snprintf(f, sizeof(f), "\"vm\":\"%s\",\"arch\":\"x86_64\"", name);
	emit("KVM_CREATE_VM", f, fd, err, NULL);
	if (fd < 0)
		die("KVM_CREATE_VM %s", name);
}

/* Start a case: a comment saying what it checks, fresh memory, a fresh VM. */
static void case_begin(struct vm *v, const char *name, const char *what)
{
	void *p;

	printf("\n");
	comment("%s", what);
	case_hva = HVA_BASE + (uint64_t)case_no++ * WINDOW;
	p = mmap((void *)case_hva, WINDOW_MAPPED, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p != (void *)case_hva)
		die("mmap at 0x%llx", (unsigned long long)case_hva);
	vm_create(v, name);
}

static void case_end(struct vm *v)
{
	line_prefix = "";
	close(v->fd);
	munmap((void *)case_hva, WINDOW_MAPPED);
}

static int set_region(struct vm *v, uint32_t slot, uint32_t flags, uint64_t gpa,
		      uint64_t size, uint64_t hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = hva,
	};
	char f[512], fl[128];
	int rc = ioctl(v->fd, KVM_SET_USER_MEMORY_REGION, &r);
	int err = errno;

	snprintf(f, sizeof(f),
		 "\"vm\":\"%s\",\"slot\":%u,\"flags\":%s,\"guest_phys_addr\":\"0x%llx\","
		 "\"memory_size\":\"0x%llx\",\"userspace_addr\":\"0x%llx\"",
		 v->name, slot, memslot_flags(flags, fl, sizeof(fl)),
		 (unsigned long long)gpa, (unsigned long long)size, (unsigned long long)hva);
	emit("KVM_SET_USER_MEMORY_REGION", f, rc, err, NULL);
	return rc;
}

static int create_vcpu(struct vm *v, unsigned long id)
{
	char f[160];
	int fd = ioctl(v->fd, KVM_CREATE_VCPU, id);
	int err = errno;

	snprintf(f, sizeof(f), "\"vm\":\"%s\",\"vcpu\":%lu", v->name, id);
	emit("KVM_CREATE_VCPU", f, fd, err, NULL);
	return fd;
}

static int enable_manual(struct vm *v, uint32_t flags, uint64_t arg0)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, .flags = flags, .args = { arg0 },
	};
	char f[256], a[128];
	int rc = ioctl(v->fd, KVM_ENABLE_CAP, &cap);
	int err = errno;

	snprintf(f, sizeof(f),
		 "\"vm\":\"%s\",\"cap\":\"KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2\",\"flags\":%u,\"args\":[%s]",
		 v->name, flags, manual_args(arg0, a, sizeof(a)));
	emit("KVM_ENABLE_CAP", f, rc, err, NULL);
	return rc;
}

#define BITMAP_WORDS 8192 /* 512Ki pages: more than any logged slot here */
static uint64_t bitmap[BITMAP_WORDS];

static int get_log(struct vm *v, uint32_t slot)
{
	struct kvm_dirty_log log = { .slot = slot };
	char f[128], pages[8192];
	size_t len;
	int rc, err;

	memset(bitmap, 0, sizeof(bitmap));
	log.dirty_bitmap = bitmap;
	rc = ioctl(v->fd, KVM_GET_DIRTY_LOG, &log);
	err = errno;

	len = snprintf(pages, sizeof(pages), "\"dirty_pages\":[");
	for (uint64_t i = 0; i < BITMAP_WORDS * 64ull; i++)
		if (bitmap[i / 64] & (1ull << (i % 64)))
			len += snprintf(pages + len, sizeof(pages) - len, "%s%llu",
					pages[len - 1] == '[' ? "" : ",", (unsigned long long)i);
	snprintf(pages + len, sizeof(pages) - len, "]");

	snprintf(f, sizeof(f), "\"vm\":\"%s\",\"slot\":%u", v->name, slot);
	emit("KVM_GET_DIRTY_LOG", f, rc, err, pages);
	return rc;
}

/*
 * pages: slot-relative page indexes to clear, ended by -1; NULL means every
 * page of [first, first + num).
 */
static int clear_log(struct vm *v, uint32_t slot, uint64_t first, uint32_t num, const int *pages)
{
	struct kvm_clear_dirty_log c = { .slot = slot, .num_pages = num, .first_page = first };
	char f[512];
	size_t len;
	int rc, err;

	memset(bitmap, 0, sizeof(bitmap));
	if (!pages)
		memset(bitmap, 0xff, sizeof(bitmap));
	else
		for (const int *p = pages; *p >= 0; p++)
			if ((uint64_t)*p >= first && (uint64_t)*p - first < BITMAP_WORDS * 64ull)
				bitmap[(*p - first) / 64] |= 1ull << ((*p - first) % 64);
	c.dirty_bitmap = bitmap;
	rc = ioctl(v->fd, KVM_CLEAR_DIRTY_LOG, &c);
	err = errno;

	len = snprintf(f, sizeof(f), "\"vm\":\"%s\",\"slot\":%u,\"first_page\":%llu,\"num_pages\":%u",
		       v->name, slot, (unsigned long long)first, num);
	if (pages) {
		len += snprintf(f + len, sizeof(f) - len, ",\"pages\":[");
		for (const int *p = pages; *p >= 0; p++)
			len += snprintf(f + len, sizeof(f) - len, "%s%d", p == pages ? "" : ",", *p);
		snprintf(f + len, sizeof(f) - len, "]");
	}
	emit("KVM_CLEAR_DIRTY_LOG", f, rc, err, NULL);
	return rc;
}

/* The VMM writes guest memory through its own mapping: a real memcpy/memset. */
static void userspace_write(struct vm *v, uint64_t gpa, void *hva, const void *src, size_t len)
{
	char f[160];

	if (src)
		memcpy(hva, src, len);
	else
		memset(hva, 0xa5, len);
	snprintf(f, sizeof(f), "\"vm\":\"%s\",\"gpa\":\"0x%llx\",\"length\":%zu",
		 v->name, (unsigned long long)gpa, len);
	emit("USERSPACE_WRITE", f, 0, 0, NULL);
}

/* ------------------------------------------------------------------ */
/* Memslots                                                            */
/* ------------------------------------------------------------------ */

static void memslot_cases(void)
{
	struct vm v;
	uint64_t h;

	printf("\n");
	comment("==== Memslots: KVM_SET_USER_MEMORY_REGION (v1) ====");

	case_begin(&v, "slot_size0", "creating a slot with memory_size 0 (that is a delete of a slot that does not exist)");
	set_region(&v, 0, 0, 0, 0, case_hva);
	case_end(&v);

	case_begin(&v, "slot_del_absent", "deleting (size 0) slot 3, which was never created, while slot 0 exists");
	set_region(&v, 0, 0, 0, 0x4000, case_hva);
	set_region(&v, 3, 0, 0x100000, 0, case_hva + 0x100000);
	case_end(&v);

	case_begin(&v, "slot_unaligned", "unaligned guest_phys_addr, memory_size and userspace_addr");
	set_region(&v, 0, 0, 0x800, 0x4000, case_hva);
	set_region(&v, 0, 0, 0, 0x4001, case_hva);
	set_region(&v, 0, 0, 0, 0x4000, case_hva + 0x800);
	case_end(&v);

	case_begin(&v, "slot_badflags", "unknown flag bits (8, 1<<31) and KVM_MEM_GUEST_MEMFD (4) through the v1 ioctl");
	set_region(&v, 0, 8, 0, 0x4000, case_hva);
	set_region(&v, 0, 1u << 31, 0, 0x4000, case_hva);
	set_region(&v, 0, KVM_MEM_GUEST_MEMFD, 0, 0x4000, case_hva);
	set_region(&v, 0, KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY, 0, 0x4000, case_hva);
	case_end(&v);

	case_begin(&v, "slot_ids", "slot ids: 32763 is the last user slot, 32764..32767 are not; as_id 1 (SMM) and 2");
	set_region(&v, 32763, 0, 0, 0x1000, case_hva);
	set_region(&v, 32764, 0, 0x1000, 0x1000, case_hva + 0x1000);
	set_region(&v, 32767, 0, 0x2000, 0x1000, case_hva + 0x2000);
	set_region(&v, 1u << 16, 0, 0x3000, 0x1000, case_hva + 0x3000);
	set_region(&v, (1u << 16) | 1, 0, 0x3000, 0x1000, case_hva + 0x3000);
	set_region(&v, 2u << 16, 0, 0x4000, 0x1000, case_hva + 0x4000);
	case_end(&v);

	case_begin(&v, "slot_overlap", "a new slot overlapping an existing one (gpa range), and one sharing only its userspace range");
	set_region(&v, 0, 0, 0, 0x4000, case_hva);
	set_region(&v, 1, 0, 0x2000, 0x4000, case_hva + 0x100000);
	set_region(&v, 1, 0, 0x3000, 0x1000, case_hva + 0x100000);
	set_region(&v, 2, 0, 0x100000, 0x4000, case_hva);
	case_end(&v);

	case_begin(&v, "slot_modify", "changing an existing slot: grow, shrink, another userspace_addr, READONLY on");
	set_region(&v, 0, 0, 0, 0x4000, case_hva);
	set_region(&v, 0, 0, 0, 0x8000, case_hva);
	set_region(&v, 0, 0, 0, 0x2000, case_hva);
	set_region(&v, 0, 0, 0, 0x4000, case_hva + 0x100000);
	set_region(&v, 0, KVM_MEM_READONLY, 0, 0x4000, case_hva);
	case_end(&v);

	case_begin(&v, "slot_readonly_off", "a READONLY slot: turning READONLY off, and adding LOG_DIRTY_PAGES while keeping READONLY");
	set_region(&v, 0, KVM_MEM_READONLY, 0, 0x4000, case_hva);
	set_region(&v, 0, 0, 0, 0x4000, case_hva);
	set_region(&v, 0, KVM_MEM_READONLY | KVM_MEM_LOG_DIRTY_PAGES, 0, 0x4000, case_hva);
	get_log(&v, 0);
	case_end(&v);

	case_begin(&v, "slot_move", "moving slot 1 (new gpa, same size): onto slot 0, to a free range, onto a range overlapping only itself");
	set_region(&v, 0, 0, 0, 0x4000, case_hva);
	set_region(&v, 1, 0, 0x100000, 0x4000, case_hva + 0x100000);
	set_region(&v, 1, 0, 0x2000, 0x4000, case_hva + 0x100000);
	set_region(&v, 1, 0, 0x200000, 0x4000, case_hva + 0x100000);
	set_region(&v, 1, 0, 0x202000, 0x4000, case_hva + 0x100000);
	set_region(&v, 1, 0, 0x200000, 0x8000, case_hva + 0x100000);
	case_end(&v);

	case_begin(&v, "slot_same", "re-setting a slot with identical parameters");
	set_region(&v, 0, 0, 0, 0x4000, case_hva);
	set_region(&v, 0, 0, 0, 0x4000, case_hva);
	set_region(&v, 1, KVM_MEM_LOG_DIRTY_PAGES, 0x10000, 0x4000, case_hva + 0x100000);
	set_region(&v, 1, KVM_MEM_LOG_DIRTY_PAGES, 0x10000, 0x4000, case_hva + 0x100000);
	case_end(&v);

	case_begin(&v, "slot_hva_range", "userspace ranges at the top of user space (0x800000000000) and a kernel address");
	set_region(&v, 0, 0, 0, 0x1000, 0x7fffffffe000ULL);
	set_region(&v, 1, 0, 0x100000, 0x1000, 0x7ffffffff000ULL);
	set_region(&v, 2, 0, 0x200000, 0x2000, 0x7ffffffff000ULL);
	set_region(&v, 3, 0, 0x300000, 0x2000, 0x7fffffffe000ULL);
	set_region(&v, 4, 0, 0x400000, 0x1000, 0xffff888000000000ULL);
	case_end(&v);

	case_begin(&v, "slot_gpa_range", "gpa + size overflowing 2^64; the shadow-paging gfn limit 2^52; a slot of 2^31 pages");
	set_region(&v, 0, 0, 0xfffffffffffff000ULL, 0x2000, case_hva);
	set_region(&v, 1, 0, (1ULL << 52) - 0x1000, 0x1000, case_hva);
	set_region(&v, 2, 0, 1ULL << 52, 0x1000, case_hva);
	set_region(&v, 3, 0, 1ULL << 63, 0x1000, case_hva);
	set_region(&v, 4, 0, 0x100000000ULL, 1ULL << 43, case_hva);
	case_end(&v);

	case_begin(&v, "slot_recreate", "delete then re-create (same parameters, then another size and address), and a second delete");
	set_region(&v, 0, 0, 0, 0x4000, case_hva);
	set_region(&v, 0, 0, 0, 0, case_hva);
	set_region(&v, 0, 0, 0, 0x4000, case_hva);
	set_region(&v, 0, 0, 0, 0, case_hva);
	set_region(&v, 0, 0, 0x10000, 0x8000, case_hva + 0x100000);
	set_region(&v, 0, 0, 0x10000, 0, case_hva + 0x100000);
	set_region(&v, 0, 0, 0x10000, 0, case_hva + 0x100000);
	case_end(&v);

	case_begin(&v, "slot_delete_args", "what a delete (size 0) still checks: junk hva, unaligned hva, kernel hva, unknown flag, unaligned or other gpa, READONLY");
	h = case_hva;
	set_region(&v, 0, 0, 0, 0x4000, h);
	set_region(&v, 0, 8, 0, 0, h);
	set_region(&v, 0, 0, 0x800, 0, h);
	set_region(&v, 0, 0, 0, 0, 0x123);
	set_region(&v, 0, 0, 0, 0, 0xffff888000000000ULL);
	set_region(&v, 0, KVM_MEM_GUEST_MEMFD, 0, 0, h);
	set_region(&v, 0, 0, 0, 0, 0x1000);
	set_region(&v, 1, 0, 0x100000, 0x4000, h + 0x100000);
	set_region(&v, 1, 0, 0x500000, 0, h + 0x100000);
	set_region(&v, 2, 0, 0x200000, 0x4000, h + 0x200000);
	set_region(&v, 2, KVM_MEM_READONLY, 0x200000, 0, h + 0x200000);
	case_end(&v);
}

/* ------------------------------------------------------------------ */
/* vCPUs                                                               */
/* ------------------------------------------------------------------ */

static void vcpu_cases(void)
{
	struct vm v;
	int fds[8], n = 0;

	printf("\n");
	comment("==== vCPUs: KVM_CREATE_VCPU ====");
	case_begin(&v, "vcpus", "vCPU ids 0 and 4095 (KVM_MAX_VCPU_IDS 4096), 4096, 2^32-1, 2^32, and a duplicate id");
	fds[n++] = create_vcpu(&v, 0);
	fds[n++] = create_vcpu(&v, 4095);
	fds[n++] = create_vcpu(&v, 4096);
	fds[n++] = create_vcpu(&v, 0xffffffffUL);
	fds[n++] = create_vcpu(&v, 0x100000000UL);
	fds[n++] = create_vcpu(&v, 0);
	fds[n++] = create_vcpu(&v, 4095);
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	case_end(&v);
}

/* ------------------------------------------------------------------ */
/* Dirty log without a guest                                           */
/* ------------------------------------------------------------------ */

static void dirty_log_cases(void)
{
	struct vm v;

	printf("\n");
	comment("==== Dirty log: KVM_GET_DIRTY_LOG, KVM_CLEAR_DIRTY_LOG, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 ====");

	case_begin(&v, "dlog_get_errors", "GET on a slot without logging, a missing slot, ids 32763/32764, as_id 1 and 2");
	set_region(&v, 0, 0, 0, 0x10000, case_hva);
	get_log(&v, 0);
	get_log(&v, 5);
	get_log(&v, 32763);
	get_log(&v, 32764);
	get_log(&v, 1u << 16);
	get_log(&v, 2u << 16);
	case_end(&v);

	case_begin(&v, "dlog_flags_only", "enable logging with a flags-only update of an existing slot, then GET (nothing written)");
	set_region(&v, 0, 0, 0, 0x10000, case_hva);
	set_region(&v, 0, KVM_MEM_LOG_DIRTY_PAGES, 0, 0x10000, case_hva);
	get_log(&v, 0);
	case_end(&v);

	case_begin(&v, "dlog_userspace_write", "the VMM writes 3 pages of a logged slot through its own mapping: not in the log");
	set_region(&v, 0, KVM_MEM_LOG_DIRTY_PAGES, 0, 0x10000, case_hva);
	userspace_write(&v, 0x1000, (void *)(case_hva + 0x1000), NULL, 3 * PAGE);
	get_log(&v, 0);
	case_end(&v);

	case_begin(&v, "cap_errors", "KVM_ENABLE_CAP(MANUAL_DIRTY_LOG_PROTECT2): flags 1; INITIALLY_SET alone; unknown bit 4; ENABLE|4; INITIALLY_SET|4");
	enable_manual(&v, 1, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE);
	enable_manual(&v, 0, KVM_DIRTY_LOG_INITIALLY_SET);
	enable_manual(&v, 0, 4);
	enable_manual(&v, 0, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | 4);
	enable_manual(&v, 0, KVM_DIRTY_LOG_INITIALLY_SET | 4);
	case_end(&v);

	case_begin(&v, "cap_enable", "manual protect without INITIALLY_SET: a newly logged slot starts clean");
	enable_manual(&v, 0, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE);
	set_region(&v, 0, KVM_MEM_LOG_DIRTY_PAGES, 0, 0x10000, case_hva);
	get_log(&v, 0);
	case_end(&v);

	case_begin(&v, "cap_initset", "ENABLE|INITIALLY_SET: a slot created logged, and one logged by a flags-only update, start all-dirty; GET does not clear");
	enable_manual(&v, 0, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET);
	set_region(&v, 0, KVM_MEM_LOG_DIRTY_PAGES, 0, 0x10000, case_hva);
	get_log(&v, 0);
	get_log(&v, 0);
	set_region(&v, 1, 0, 0x10000, 0x8000, case_hva + 0x100000);
	set_region(&v, 1, KVM_MEM_LOG_DIRTY_PAGES, 0x10000, 0x8000, case_hva + 0x100000);
	get_log(&v, 1);
	case_end(&v);

	case_begin(&v, "cap_off", "manual protect turned off (args 0) after a logged slot exists: GET clears again");
	enable_manual(&v, 0, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET);
	set_region(&v, 0, KVM_MEM_LOG_DIRTY_PAGES, 0, 0x10000, case_hva);
	enable_manual(&v, 0, 0);
	get_log(&v, 0);
	get_log(&v, 0);
	case_end(&v);

	case_begin(&v, "cap_late", "INITIALLY_SET enabled after the slot is already logged: the existing bitmap is not filled");
	set_region(&v, 0, KVM_MEM_LOG_DIRTY_PAGES, 0, 0x10000, case_hva);
	enable_manual(&v, 0, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET);
	get_log(&v, 0);
	case_end(&v);

	case_begin(&v, "cap_relog", "INITIALLY_SET: clear everything, turn logging off and on again: all pages dirty again");
	enable_manual(&v, 0, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET);
	set_region(&v, 0, KVM_MEM_LOG_DIRTY_PAGES, 0, 0x40000, case_hva);
	clear_log(&v, 0, 0, 64, NULL);
	get_log(&v, 0);
	set_region(&v, 0, 0, 0, 0x40000, case_hva);
	set_region(&v, 0, KVM_MEM_LOG_DIRTY_PAGES, 0, 0x40000, case_hva);
	get_log(&v, 0);
	case_end(&v);

	case_begin(&v, "clear128", "CLEAR ranges on a 128-page slot (INITIALLY_SET, so every bit starts set); failures change nothing");
	enable_manual(&v, 0, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET);
	set_region(&v, 0, KVM_MEM_LOG_DIRTY_PAGES, 0, 128 * PAGE, case_hva);
	clear_log(&v, 0, 1, 64, NULL);       /* first_page not a multiple of 64 */
	clear_log(&v, 0, 0, 32, NULL);       /* num_pages 32, range does not reach the end */
	clear_log(&v, 0, 64, 128, NULL);     /* past the end */
	clear_log(&v, 0, 128, 64, NULL);     /* starts at the end */
	clear_log(&v, 0, 192, 0, NULL);      /* starts past the end */
	clear_log(&v, 0, 1ULL << 40, 64, NULL);
	get_log(&v, 0);
	clear_log(&v, 0, 64, 64, NULL);      /* the second half */
	get_log(&v, 0);
	{
		static const int some[] = { 1, 5, 70, -1 }; /* 70 is outside the range: ignored */
		clear_log(&v, 0, 0, 64, some);
	}
	get_log(&v, 0);
	clear_log(&v, 0, 128, 0, NULL);      /* 0 pages at the end, first_page == npages (a multiple of 64) */
	clear_log(&v, 0, 0, 0, NULL);        /* 0 pages at the start */
	get_log(&v, 0);
	case_end(&v);

	case_begin(&v, "clear100", "CLEAR on a 100-page slot: num_pages not a multiple of 64 is fine only when the range reaches the end");
	enable_manual(&v, 0, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET);
	set_region(&v, 0, KVM_MEM_LOG_DIRTY_PAGES, 0, 100 * PAGE, case_hva);
	clear_log(&v, 0, 64, 35, NULL);
	clear_log(&v, 0, 64, 37, NULL);
	clear_log(&v, 0, 0, 36, NULL);
	clear_log(&v, 0, 64, 36, NULL);
	get_log(&v, 0);
	clear_log(&v, 0, 0, 100, NULL);
	get_log(&v, 0);
	case_end(&v);

	case_begin(&v, "clear64_end", "CLEAR of 0 pages with first_page == npages on a 64-page slot");
	enable_manual(&v, 0, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET);
	set_region(&v, 0, KVM_MEM_LOG_DIRTY_PAGES, 0, 64 * PAGE, case_hva);
	clear_log(&v, 0, 64, 0, NULL);
	get_log(&v, 0);
	case_end(&v);

	case_begin(&v, "clear16_end", "CLEAR of 0 pages with first_page == npages on a 16-page slot; then 0 and 16 pages from 0");
	enable_manual(&v, 0, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET);
	set_region(&v, 0, KVM_MEM_LOG_DIRTY_PAGES, 0, 16 * PAGE, case_hva);
	clear_log(&v, 0, 16, 0, NULL);
	clear_log(&v, 0, 0, 0, NULL);
	get_log(&v, 0);
	clear_log(&v, 0, 0, 16, NULL);
	get_log(&v, 0);
	case_end(&v);

	case_begin(&v, "clear_errors", "CLEAR on a slot without logging, a missing slot, id 32764, as_id 1");
	enable_manual(&v, 0, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE);
	set_region(&v, 0, 0, 0, 0x10000, case_hva);
	clear_log(&v, 0, 0, 16, NULL);
	clear_log(&v, 5, 0, 16, NULL);
	clear_log(&v, 32764, 0, 16, NULL);
	clear_log(&v, 1u << 16, 0, 16, NULL);
	case_end(&v);

	case_begin(&v, "clear_nomanual", "CLEAR when manual protect was never enabled (nothing written, so the bitmap is empty), an unaligned one, then GET");
	set_region(&v, 0, KVM_MEM_LOG_DIRTY_PAGES, 0, 0x10000, case_hva);
	clear_log(&v, 0, 0, 16, NULL);
	clear_log(&v, 0, 1, 15, NULL);
	get_log(&v, 0);
	case_end(&v);
}

/* ------------------------------------------------------------------ */
/* A guest on one vCPU                                                 */
/* ------------------------------------------------------------------ */

/*
 * Layout of every guest VM:
 *   slot 0: gpa 0x0     .. 0xffff,  never logged: code at 0x1000, page tables at 0x2000..0x5fff
 *   slot 1: gpa 0x10000 .. 0x1ffff, 16 pages, the slot under test (page n is gpa 0x10000 + n * 4096)
 * The guest runs blocks of code that each do a few byte accesses and end with
 * "out 0x10, al", so KVM_RUN returns with KVM_EXIT_IO; the next block is put
 * where the guest stopped, so its registers are set once.
 */
#define CODE_GPA 0x1000ULL
#define PT_GPA 0x2000ULL
#define DATA_GPA 0x10000ULL
#define DATA_SIZE 0x10000ULL
#define EXIT_PORT 0x10

enum mode { REAL_MODE, USER64_DIRTY_PTES, USER64_CLEAN_PTES };

struct guest {
	struct vm *v;
	enum mode mode;
	int vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *lo;   /* host mapping of slot 0 */
	uint8_t *data; /* host mapping of slot 1 */
	uint64_t rip;  /* where the next block of code goes */
	int stats_fd;
	struct kvm_stats_header sh;
	char *descs;
	size_t desc_size;
	uint64_t stats_before[16];
};

struct access {
	char kind; /* 'R' or 'W': a one-byte read or write */
	uint64_t gpa;
};

static const char *stat_names[] = { "pf_taken", "pf_fixed", "pf_emulate", "pf_spurious",
				    "pf_fast", "insn_emulation", NULL };

static uint64_t stat_get(struct guest *g, const char *name)
{
	for (uint32_t i = 0; i < g->sh.num_desc; i++) {
		struct kvm_stats_desc *d = (void *)(g->descs + i * g->desc_size);
		uint64_t val;

		if (strcmp(d->name, name) == 0 &&
		    pread(g->stats_fd, &val, sizeof(val), g->sh.data_offset + d->offset) == sizeof(val))
			return val;
	}
	return 0;
}

static void stats_open(struct guest *g)
{
	g->stats_fd = ioctl(g->vcpu_fd, KVM_GET_STATS_FD, NULL);
	if (g->stats_fd < 0 || pread(g->stats_fd, &g->sh, sizeof(g->sh), 0) != sizeof(g->sh))
		die("KVM_GET_STATS_FD");
	g->desc_size = sizeof(struct kvm_stats_desc) + g->sh.name_size;
	g->descs = malloc(g->desc_size * g->sh.num_desc);
	if (!g->descs || pread(g->stats_fd, g->descs, g->desc_size * g->sh.num_desc,
			       g->sh.desc_offset) != (ssize_t)(g->desc_size * g->sh.num_desc))
		die("reading vcpu stats descriptors");
}

static void stats_snapshot(struct guest *g)
{
	for (int i = 0; stat_names[i]; i++)
		g->stats_before[i] = stat_get(g, stat_names[i]);
}

static void stats_comment(struct guest *g, const char *exit_text)
{
	char buf[512];
	size_t len = 0;

	for (int i = 0; stat_names[i]; i++) {
		uint64_t d = stat_get(g, stat_names[i]) - g->stats_before[i];

		if (d)
			len += snprintf(buf + len, sizeof(buf) - len, " %s +%llu", stat_names[i],
					(unsigned long long)d);
	}
	buf[len] = 0;
	comment("KVM_RUN came back: %s; vCPU stats:%s", exit_text, len ? buf : " no change");
}

static void sregs_set(struct guest *g, int pte_dirty)
{
	struct kvm_sregs s;
	struct kvm_regs r;

	if (ioctl(g->vcpu_fd, KVM_GET_SREGS, &s) < 0)
		die("KVM_GET_SREGS");
	memset(&r, 0, sizeof(r));
	r.rip = CODE_GPA;
	if (g->mode == REAL_MODE) {
		s.cs.base = 0;
		s.cs.selector = 0;
		s.ds.base = DATA_GPA; /* 16-bit offsets reach slot 1 through DS */
		s.ds.selector = DATA_GPA >> 4;
		r.rflags = 2;
		comment("(not trace steps) KVM_SET_SREGS: real mode, cs base 0 selector 0, ds base 0x%llx; "
			"KVM_SET_REGS: rip 0x%llx, rflags 0x2", DATA_GPA, CODE_GPA);
	} else {
		/*
		 * 64-bit code at CPL 3 (CS 0x33, SS/DS 0x2b), identity-mapped by 4 KiB
		 * guest PTEs (P|W|U|A, and D when pte_dirty).  kvm_pvm runs only CPL-3
		 * code natively; CPL-0 code that is not a PVM guest kernel is emulated
		 * instruction by instruction (see FINDINGS.md).  IOPL 3 lets the
		 * emulated "out" reach userspace instead of raising #GP.
		 */
		struct kvm_segment cs = { .base = 0, .limit = 0xffffffff, .selector = 0x33,
					  .type = 0xb, .present = 1, .dpl = 3, .s = 1, .l = 1, .g = 1 };
		struct kvm_segment ds = { .base = 0, .limit = 0xffffffff, .selector = 0x2b,
					  .type = 0x3, .present = 1, .dpl = 3, .db = 1, .s = 1, .g = 1 };

		s.cs = cs;
		s.ds = s.es = s.ss = s.fs = s.gs = ds;
		s.cr0 = 0x80050033; /* PG AM WP NE ET MP PE */
		s.cr3 = PT_GPA;
		s.cr4 = 0x20;       /* PAE */
		s.efer = 0x500;     /* LMA LME */
		r.rflags = 0x3002;  /* IOPL 3 */
		comment("(not trace steps) KVM_SET_SREGS: long mode, CPL 3 (cs 0x33, ss/ds 0x2b), cr3 0x%llx, "
			"identity map of the first 2 MiB with guest PTEs P|W|U|A%s; KVM_SET_REGS: rip 0x%llx, rflags 0x3002 (IOPL 3)",
			PT_GPA, pte_dirty ? "|D" : " (D clear)", CODE_GPA);
	}
	if (ioctl(g->vcpu_fd, KVM_SET_SREGS, &s) < 0)
		die("KVM_SET_SREGS");
	if (ioctl(g->vcpu_fd, KVM_SET_REGS, &r) < 0)
		die("KVM_SET_REGS");
	g->rip = CODE_GPA;
}

/* Creates slot 0, slot 1 (with data_flags), vCPU 0, page tables and registers. */
static void guest_setup(struct guest *g, struct vm *v, enum mode mode, uint32_t data_flags)
{
	int pte_dirty = mode != USER64_CLEAN_PTES;

	memset(g, 0, sizeof(*g));
	g->v = v;
	g->mode = mode;
	g->lo = (uint8_t *)case_hva;
	g->data = (uint8_t *)(case_hva + 0x100000);
	if (set_region(v, 0, 0, 0, DATA_GPA, case_hva) < 0 ||
	    set_region(v, 1, data_flags, DATA_GPA, DATA_SIZE, case_hva + 0x100000) < 0)
		die("guest memslots");
	g->vcpu_fd = create_vcpu(v, 0);
	if (g->vcpu_fd < 0)
		die("KVM_CREATE_VCPU 0");
	g->run_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	g->run = mmap(NULL, g->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, g->vcpu_fd, 0);
	if (g->run == MAP_FAILED)
		die("mmap kvm_run");
	stats_open(g);

	if (mode != REAL_MODE) {
		uint64_t pt[4 * 512];

		memset(pt, 0, sizeof(pt));
		pt[0] = (PT_GPA + 0x1000) | 0x27;        /* PML4[0] -> PDPT */
		pt[512] = (PT_GPA + 0x2000) | 0x27;      /* PDPT[0] -> PD */
		pt[1024] = (PT_GPA + 0x3000) | 0x27;     /* PD[0]   -> PT */
		for (int i = 0; i < 512; i++)            /* PT: 4 KiB pages 0..2 MiB */
			pt[1536 + i] = ((uint64_t)i << 12) | 0x27 | (pte_dirty ? 0x40 : 0);
		comment("the VMM writes the guest page tables into slot 0");
		userspace_write(v, PT_GPA, g->lo + PT_GPA, pt, sizeof(pt));
	}
	sregs_set(g, pte_dirty);
}

static const char *exit_name(uint32_t r)
{
	switch (r) {
	case KVM_EXIT_IO: return "KVM_EXIT_IO";
	case KVM_EXIT_HLT: return "KVM_EXIT_HLT";
	case KVM_EXIT_MMIO: return "KVM_EXIT_MMIO";
	case KVM_EXIT_SHUTDOWN: return "KVM_EXIT_SHUTDOWN";
	case KVM_EXIT_FAIL_ENTRY: return "KVM_EXIT_FAIL_ENTRY";
	case KVM_EXIT_INTERNAL_ERROR: return "KVM_EXIT_INTERNAL_ERROR";
	case KVM_EXIT_EXCEPTION: return "KVM_EXIT_EXCEPTION";
	default: return "other";
	}
}

/* Encodes one byte access; returns its length. */
static size_t encode(struct guest *g, uint8_t *p, const struct access *a)
{
	if (g->mode == REAL_MODE) {
		uint16_t off = (uint16_t)(a->gpa - DATA_GPA);

		if (a->kind == 'W') { /* mov byte [off], 0x5a */
			p[0] = 0xc6; p[1] = 0x06; p[2] = off & 0xff; p[3] = off >> 8; p[4] = 0x5a;
			return 5;
		}
		p[0] = 0xa0; p[1] = off & 0xff; p[2] = off >> 8; /* mov al, [off] */
		return 3;
	}
	/* mov byte [abs32], 0x5a  /  mov al, [abs32] */
	p[0] = a->kind == 'W' ? 0xc6 : 0x8a;
	p[1] = 0x04;
	p[2] = 0x25;
	memcpy(p + 3, &(uint32_t){ (uint32_t)a->gpa }, 4);
	if (a->kind == 'W') {
		p[7] = 0x5a;
		return 8;
	}
	return 7;
}

/*
 * Puts a block doing the accesses (then "out 0x10, al") where the guest
 * stopped, runs it, and prints KVM_RUN and one guest step per access.
 */
static void guest_run(struct guest *g, const struct access *acc, int n)
{
	uint8_t code[256];
	size_t len = 0;
	char f[160], text[160];
	struct kvm_regs r;
	int rc, err;

	for (int i = 0; i < n; i++)
		len += encode(g, code + len, &acc[i]);
	code[len++] = 0xe6; /* out EXIT_PORT, al */
	code[len++] = EXIT_PORT;
	if (g->rip + len > CODE_GPA + PAGE)
		die("guest code page full");
	userspace_write(g->v, g->rip, g->lo + g->rip, code, len);

	stats_snapshot(g);
	rc = ioctl(g->vcpu_fd, KVM_RUN, 0);
	err = errno;
	snprintf(f, sizeof(f), "\"vm\":\"%s\",\"vcpu\":0", g->v->name);
	emit("KVM_RUN", f, rc, err, NULL);
	if (rc < 0)
		die("KVM_RUN");
	if (ioctl(g->vcpu_fd, KVM_GET_REGS, &r) < 0)
		die("KVM_GET_REGS");

	if (g->run->exit_reason == KVM_EXIT_IO && g->run->io.port == EXIT_PORT &&
	    r.rip == g->rip + len) {
		snprintf(text, sizeof(text), "%s port 0x%x, rip 0x%llx", exit_name(g->run->exit_reason),
			 EXIT_PORT, (unsigned long long)r.rip);
		stats_comment(g, text);
	} else {
		snprintf(text, sizeof(text), "UNEXPECTED exit %u (%s), rip 0x%llx, expected KVM_EXIT_IO at 0x%llx",
			 g->run->exit_reason, exit_name(g->run->exit_reason),
			 (unsigned long long)r.rip, (unsigned long long)(g->rip + len));
		stats_comment(g, text);
		comment("the guest did not finish its block: no guest steps printed for this run");
		fprintf(stderr, "kvm-probe: %s: %s\n", g->v->name, text);
		g->rip = r.rip;
		return;
	}

	snprintf(f, sizeof(f), "\"vm\":\"%s\",\"vcpu\":0,\"gpa\":\"0x%llx\"", g->v->name,
		 (unsigned long long)g->rip);
	emit_plain("GUEST_EXEC", f);
	for (int i = 0; i < n; i++) {
		snprintf(f, sizeof(f), "\"vm\":\"%s\",\"vcpu\":0,\"gpa\":\"0x%llx\"", g->v->name,
			 (unsigned long long)acc[i].gpa);
		emit_plain(acc[i].kind == 'W' ? "GUEST_WRITE" : "GUEST_READ", f);
	}
	g->rip = r.rip;
}

static void guest_end(struct guest *g)
{
	close(g->stats_fd);
	free(g->descs);
	munmap(g->run, g->run_size);
	close(g->vcpu_fd);
}

#define PG(n) (DATA_GPA + (n) * PAGE) /* gpa of page n of slot 1 */
#define RUN(g, ...)                                                         \
	do {                                                                \
		static const struct access a_[] = { __VA_ARGS__ };          \
		guest_run(g, a_, (int)(sizeof(a_) / sizeof(a_[0])));        \
	} while (0)

static void guest_cases(void)
{
	struct vm v;
	struct guest g;

	printf("\n");
	comment("==== A guest on one vCPU (64-bit code at CPL 3, run natively by kvm_pvm under shadow paging) ====");
	comment("GUEST_EXEC/READ/WRITE steps list the accesses the guest code made during the KVM_RUN before them.");

	case_begin(&v, "guest", "(a) guest read of a never-touched page (1); (b) guest read of a page the VMM wrote (2); "
		   "(c) guest write (3); (d) the same write after GET; (e) read of page 5 after the VMM writes it");
	guest_setup(&g, &v, USER64_DIRTY_PTES, KVM_MEM_LOG_DIRTY_PAGES);
	comment("the VMM fills page 2 of the logged slot before the guest runs");
	userspace_write(&v, PG(2), g.data + 2 * PAGE, NULL, PAGE);
	RUN(&g, { 'R', PG(1) }, { 'R', PG(2) }, { 'W', PG(3) }, { 'R', PG(5) });
	get_log(&v, 1);
	comment("(d) second run: write page 3 again, read page 2 again, write page 1 (mapped from the zero page by the read)");
	RUN(&g, { 'W', PG(3) }, { 'R', PG(2) }, { 'W', PG(1) });
	get_log(&v, 1);
	comment("(e) the VMM writes page 5, which the guest has read while it was still the zero page; the guest reads it again");
	userspace_write(&v, PG(5), g.data + 5 * PAGE, NULL, PAGE);
	RUN(&g, { 'R', PG(5) });
	get_log(&v, 1);
	comment("a run without accesses to slot 1");
	guest_run(&g, NULL, 0);
	get_log(&v, 1);
	guest_end(&g);
	case_end(&v);

	case_begin(&v, "guest_clean_ptes", "(b) again with guest PTEs whose D bit is clear (shadow paging maps a read fault read-only)");
	not_replayed("kvmsim has no guest page tables; with shadow paging a clean guest PTE keeps a read fault read-only");
	guest_setup(&g, &v, USER64_CLEAN_PTES, KVM_MEM_LOG_DIRTY_PAGES);
	userspace_write(&v, PG(2), g.data + 2 * PAGE, NULL, PAGE);
	RUN(&g, { 'R', PG(2) });
	get_log(&v, 1);
	RUN(&g, { 'W', PG(2) });
	get_log(&v, 1);
	guest_end(&g);
	case_end(&v);

	case_begin(&v, "guest_log_off_on", "a guest write, then logging off and on again before GET: the bit is lost; a later write is logged");
	guest_setup(&g, &v, USER64_DIRTY_PTES, KVM_MEM_LOG_DIRTY_PAGES);
	RUN(&g, { 'W', PG(3) });
	set_region(&v, 1, 0, DATA_GPA, DATA_SIZE, case_hva + 0x100000);
	set_region(&v, 1, KVM_MEM_LOG_DIRTY_PAGES, DATA_GPA, DATA_SIZE, case_hva + 0x100000);
	get_log(&v, 1);
	RUN(&g, { 'W', PG(3) });
	get_log(&v, 1);
	guest_end(&g);
	case_end(&v);

	case_begin(&v, "guest_enable_after_write", "writes before logging is on are not reported; the SPTE made writable "
		   "then is write-protected when logging is enabled, so the next write is");
	guest_setup(&g, &v, USER64_DIRTY_PTES, 0);
	RUN(&g, { 'W', PG(3) }, { 'W', PG(4) });
	set_region(&v, 1, KVM_MEM_LOG_DIRTY_PAGES, DATA_GPA, DATA_SIZE, case_hva + 0x100000);
	get_log(&v, 1);
	RUN(&g, { 'W', PG(3) });
	get_log(&v, 1);
	guest_end(&g);
	case_end(&v);

	case_begin(&v, "guest_same_params", "re-setting the logged slot with identical parameters keeps the pending dirty bits");
	guest_setup(&g, &v, USER64_DIRTY_PTES, KVM_MEM_LOG_DIRTY_PAGES);
	RUN(&g, { 'W', PG(3) });
	set_region(&v, 1, KVM_MEM_LOG_DIRTY_PAGES, DATA_GPA, DATA_SIZE, case_hva + 0x100000);
	get_log(&v, 1);
	guest_end(&g);
	case_end(&v);

	case_begin(&v, "guest_move", "moving a logged slot (new gpa, same size) keeps its dirty bits");
	guest_setup(&g, &v, USER64_DIRTY_PTES, KVM_MEM_LOG_DIRTY_PAGES);
	RUN(&g, { 'W', PG(3) });
	set_region(&v, 1, KVM_MEM_LOG_DIRTY_PAGES, 0x40000, DATA_SIZE, case_hva + 0x100000);
	get_log(&v, 1);
	guest_end(&g);
	case_end(&v);

	case_begin(&v, "guest_manual", "manual protect (no INITIALLY_SET): GET does not clear; CLEAR clears and re-protects, so the next write is logged");
	enable_manual(&v, 0, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE);
	guest_setup(&g, &v, USER64_DIRTY_PTES, KVM_MEM_LOG_DIRTY_PAGES);
	RUN(&g, { 'W', PG(3) }, { 'W', PG(4) });
	get_log(&v, 1);
	get_log(&v, 1);
	{
		static const int p3[] = { 3, -1 };
		clear_log(&v, 1, 0, 16, p3);
	}
	get_log(&v, 1);
	RUN(&g, { 'W', PG(3) });
	get_log(&v, 1);
	guest_end(&g);
	case_end(&v);

	case_begin(&v, "guest_initset", "ENABLE|INITIALLY_SET: a page written before logging (writable SPTE) is not write-protected "
		   "by the enable; CLEAR protects it, so the next write is logged");
	enable_manual(&v, 0, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET);
	guest_setup(&g, &v, USER64_DIRTY_PTES, 0);
	RUN(&g, { 'W', PG(3) });
	set_region(&v, 1, KVM_MEM_LOG_DIRTY_PAGES, DATA_GPA, DATA_SIZE, case_hva + 0x100000);
	get_log(&v, 1);
	clear_log(&v, 1, 0, 16, NULL);
	get_log(&v, 1);
	RUN(&g, { 'W', PG(3) });
	get_log(&v, 1);
	guest_end(&g);
	case_end(&v);

	case_begin(&v, "guest_clear_nomanual", "CLEAR without manual protect: clearing page 3 of two guest-written pages (3, 4) leaves only page 4");
	guest_setup(&g, &v, USER64_DIRTY_PTES, KVM_MEM_LOG_DIRTY_PAGES);
	RUN(&g, { 'W', PG(3) }, { 'W', PG(4) });
	{
		static const int p3[] = { 3, -1 };
		clear_log(&v, 1, 0, 16, p3);
	}
	get_log(&v, 1);
	guest_end(&g);
	case_end(&v);

	printf("\n");
	comment("==== The same questions asked by a 16-bit real-mode guest ====");
	comment("kvm_pvm cannot run real-mode code natively: KVM emulates every instruction (insn_emulation counts them, pf_fixed stays 0).");
	comment("Guest reads and writes then go through kvm_vcpu_read_guest/kvm_vcpu_write_guest, not through SPTEs: a write is");
	comment("logged by the emulator's mark_page_dirty, a read never is, whatever the host page looks like.");
	case_begin(&v, "guest_real_mode", "(a)-(d) with a real-mode guest (cs base 0, code in slot 0, data slot 1 logged)");
	not_replayed("kvm_pvm emulates real mode instruction by instruction: the accesses go through the emulator, not SPTEs");
	guest_setup(&g, &v, REAL_MODE, KVM_MEM_LOG_DIRTY_PAGES);
	userspace_write(&v, PG(2), g.data + 2 * PAGE, NULL, PAGE);
	RUN(&g, { 'R', PG(1) }, { 'R', PG(2) }, { 'W', PG(3) });
	get_log(&v, 1);
	RUN(&g, { 'W', PG(3) });
	get_log(&v, 1);
	guest_end(&g);
	case_end(&v);
}

/* ------------------------------------------------------------------ */

static void header(const char *regen)
{
	struct utsname u;
	char date[64];
	time_t t = time(NULL);
	int vmfd;

	uname(&u);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S UTC", gmtime(&t));
	comment("Memslot, vCPU and dirty-log behaviour of a real /dev/kvm, recorded call by call by tools/kvm-probe/probe.c:");
	comment("every expect below is what this kernel returned. Regenerate with: %s", regen);
	comment("kernel (uname -r): %s %s", u.release, u.machine);
	comment("recorded: %s", date);
	vmfd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vmfd < 0)
		die("KVM_CREATE_VM");
	comment("KVM_CHECK_EXTENSION on a VM (not trace steps): X86_SMM %d, MULTI_ADDRESS_SPACE %d, NR_MEMSLOTS %d, "
		"MAX_VCPUS %d, MAX_VCPU_ID %d, MANUAL_DIRTY_LOG_PROTECT2 %d, READONLY_MEM %d, DIRTY_LOG_RING %d, "
		"USER_MEMORY2 %d, GUEST_MEMFD %d",
		ioctl(vmfd, KVM_CHECK_EXTENSION, KVM_CAP_X86_SMM),
		ioctl(vmfd, KVM_CHECK_EXTENSION, KVM_CAP_MULTI_ADDRESS_SPACE),
		ioctl(vmfd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS),
		ioctl(vmfd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS),
		ioctl(vmfd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPU_ID),
		ioctl(vmfd, KVM_CHECK_EXTENSION, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2),
		ioctl(vmfd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM),
		ioctl(vmfd, KVM_CHECK_EXTENSION, KVM_CAP_DIRTY_LOG_RING),
		ioctl(vmfd, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY2),
		ioctl(vmfd, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD));
	comment("Each case uses a fresh VM and a fresh 16 MiB window of private anonymous memory at 0x7f0000000000 + n * 0x1000000.");
	/* kvmsim's x86 host defaults to two address spaces; say what this one has. */
	printf("{\"op\":\"HOST\",\"arch\":\"x86_64\",\"features\":{\"smm\":%s}}\n",
	       ioctl(vmfd, KVM_CHECK_EXTENSION, KVM_CAP_X86_SMM) > 0 ? "true" : "false");
	close(vmfd);
}

int main(int argc, char **argv)
{
	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0)
		die("cannot open /dev/kvm");
	if (ioctl(kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		die("unexpected KVM_GET_API_VERSION");

	header(argc > 1 ? argv[1] : "tools/kvm-probe/run.sh");
	memslot_cases();
	vcpu_cases();
	dirty_log_cases();
	guest_cases();
	return 0;
}
