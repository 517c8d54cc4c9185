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
 * Suites: "memslots" (memslots, vCPUs, dirty log, a guest; the default) and
 * "gmem" (guest_memfd, KVM_SET_USER_MEMORY_REGION2, memory attributes, VM
 * types).
 *
 * Build: gcc -O1 -Wall -Wextra -o /tmp/kvm-probe probe.c    (see run.sh)
 * Usage: kvm-probe [memslots|gmem] [REGENERATE-COMMAND] > trace.jsonl
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
#ifndef KVM_CAP_MEMORY_FAULT_INFO
#define KVM_CAP_MEMORY_FAULT_INFO 232
#endif
#ifndef KVM_CAP_MEMORY_ATTRIBUTES
#define KVM_CAP_MEMORY_ATTRIBUTES 233
#endif
#ifndef KVM_CAP_VM_TYPES
#define KVM_CAP_VM_TYPES 235
#endif
#ifndef KVM_CAP_GUEST_MEMFD_FLAGS
#define KVM_CAP_GUEST_MEMFD_FLAGS 244
#endif
#ifndef GUEST_MEMFD_FLAG_MMAP
#define GUEST_MEMFD_FLAG_MMAP (1ULL << 0)
#endif
#ifndef GUEST_MEMFD_FLAG_INIT_SHARED
#define GUEST_MEMFD_FLAG_INIT_SHARED (1ULL << 1)
#endif
#ifndef KVM_MEMORY_ATTRIBUTE_PRIVATE
#define KVM_MEMORY_ATTRIBUTE_PRIVATE (1ULL << 3)
#endif
#ifndef KVM_X86_SW_PROTECTED_VM
#define KVM_X86_SW_PROTECTED_VM 1
#endif
#ifndef KVM_EXIT_MEMORY_FAULT
#define KVM_EXIT_MEMORY_FAULT 39
#endif

/*
 * The guest_memfd uapi structs, as in include/uapi/linux/kvm.h (the
 * installed headers may predate them; own names so newer headers do not
 * clash).  The ioctl numbers encode the struct sizes, checked below.
 */
struct probe_region2 {
	uint32_t slot;
	uint32_t flags;
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
	uint64_t guest_memfd_offset;
	uint32_t guest_memfd;
	uint32_t pad1;
	uint64_t pad2[14];
};

struct probe_create_gmem {
	uint64_t size;
	uint64_t flags;
	uint64_t reserved[6];
};

struct probe_mem_attrs {
	uint64_t address;
	uint64_t size;
	uint64_t attributes;
	uint64_t flags;
};

_Static_assert(sizeof(struct probe_region2) == 160, "kvm_userspace_memory_region2 is 160 bytes");
_Static_assert(sizeof(struct probe_create_gmem) == 64, "kvm_create_guest_memfd is 64 bytes");
_Static_assert(sizeof(struct probe_mem_attrs) == 32, "kvm_memory_attributes is 32 bytes");

#define PROBE_SET_USER_MEMORY_REGION2 _IOW(KVMIO, 0x49, struct probe_region2)
#define PROBE_SET_MEMORY_ATTRIBUTES _IOW(KVMIO, 0xd2, struct probe_mem_attrs)
#define PROBE_CREATE_GUEST_MEMFD _IOWR(KVMIO, 0xd4, struct probe_create_gmem)

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
static void emit(const char *op, const char *fields, int rc, int err, const char *extra)
{
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

/* The trace's name for an x86 VM type; an unknown type is written as its number. */
static const char *vm_type_json(unsigned long type, char *buf, size_t n)
{
	static const char *names[] = { "KVM_X86_DEFAULT_VM", "KVM_X86_SW_PROTECTED_VM", "KVM_X86_SEV_VM",
				       "KVM_X86_SEV_ES_VM", "KVM_X86_SNP_VM", "KVM_X86_TDX_VM" };

	if (type < sizeof(names) / sizeof(names[0]))
		snprintf(buf, n, "\"%s\"", names[type]);
	else
		snprintf(buf, n, "%lu", type);
	return buf;
}

/*
 * KVM_CREATE_VM of the given type as a step; type 0 is written without a
 * "type" field (the trace's default).  Returns the fd, < 0 on failure.
 */
static int vm_create_type(struct vm *v, const char *name, unsigned long type)
{
	char f[200], t[64];
	int fd = ioctl(kvm_fd, KVM_CREATE_VM, type);
	int err = errno;

	v->name = name;
	v->fd = fd;
	if (type)
		snprintf(f, sizeof(f), "\"vm\":\"%s\",\"arch\":\"x86_64\",\"type\":%s", name,
			 vm_type_json(type, t, sizeof(t)));
	else
		snprintf(f, sizeof(f), "\"vm\":\"%s\",\"arch\":\"x86_64\"", name);
	emit("KVM_CREATE_VM", f, fd, err, NULL);
	errno = err;
	return fd;
}

static void vm_create(struct vm *v, const char *name)
{
	if (vm_create_type(v, name, 0) < 0)
		die("KVM_CREATE_VM %s", name);
}

/* Start a case: a comment saying what it checks, fresh memory, a fresh VM of the given type. */
static int case_begin_type(struct vm *v, const char *name, const char *what, unsigned long type)
{
	void *p;

	printf("\n");
	comment("%s", what);
	case_hva = HVA_BASE + (uint64_t)case_no++ * WINDOW;
	p = mmap((void *)case_hva, WINDOW_MAPPED, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p != (void *)case_hva)
		die("mmap at 0x%llx", (unsigned long long)case_hva);
	if (type == 0) {
		vm_create(v, name);
		return 0;
	}
	return vm_create_type(v, name, type);
}

static void case_begin(struct vm *v, const char *name, const char *what)
{
	case_begin_type(v, name, what, 0);
}

static void case_end(struct vm *v)
{
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

	/*
	 * A real-mode guest runs only inside the instruction emulator: its accesses say so.  Clean
	 * guest PTEs (W set, D clear) are given as gpte; a step without gpte stands for W and D set.
	 * The D bit KVM sets on a write fault is not read back: every access of a run is printed
	 * with the PTEs as guest_setup() wrote them, which holds for the cases here (no page is
	 * read after the guest wrote it through a clean PTE).
	 */
	const char *via = g->mode == REAL_MODE ? ",\"via\":\"emulator\""
		: g->mode == USER64_CLEAN_PTES ? ",\"gpte\":{\"writable\":true,\"dirty\":false}" : "";
	snprintf(f, sizeof(f), "\"vm\":\"%s\",\"vcpu\":0,\"gpa\":\"0x%llx\"%s", g->v->name,
		 (unsigned long long)g->rip, via);
	emit_plain("GUEST_EXEC", f);
	for (int i = 0; i < n; i++) {
		snprintf(f, sizeof(f), "\"vm\":\"%s\",\"vcpu\":0,\"gpa\":\"0x%llx\"%s", g->v->name,
			 (unsigned long long)acc[i].gpa, via);
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
/* guest_memfd, memory attributes, VM types (suite "gmem")             */
/* ------------------------------------------------------------------ */

/* A guest_memfd: its trace id and the fd the kernel gave (-1 if creation failed). */
struct gmem {
	char name[96]; /* "<vm>.<name>": a gmem id names one guest_memfd for the whole trace */
	int fd;
};

/* fds this case opened besides its VM (guest_memfds, other VMs); closed by gmem_case_end. */
static int case_fds[64];
static int case_nfds;

static void case_fd_add(int fd)
{
	if (fd >= 0 && case_nfds < (int)(sizeof(case_fds) / sizeof(case_fds[0])))
		case_fds[case_nfds++] = fd;
}

static void gmem_case_end(struct vm *v)
{
	while (case_nfds > 0)
		close(case_fds[--case_nfds]);
	case_end(v);
}

/* guest_memfd flags as names (kvmsim's: bit 2 is KVM_GMEM_NO_DIRECT_MAP), or an integer. */
static const char *gmem_flags_json(uint64_t f, char *buf, size_t n)
{
	static const char *names[] = { "GUEST_MEMFD_FLAG_MMAP", "GUEST_MEMFD_FLAG_INIT_SHARED",
				       "KVM_GMEM_NO_DIRECT_MAP" };
	size_t len = 0;

	if (f & ~7ull) {
		snprintf(buf, n, "%llu", (unsigned long long)f);
		return buf;
	}
	len += snprintf(buf + len, n - len, "[");
	for (int i = 0; i < 3; i++)
		if (f & (1ull << i))
			len += snprintf(buf + len, n - len, "%s\"%s\"", len > 1 ? "," : "", names[i]);
	snprintf(buf + len, n - len, "]");
	return buf;
}

/* Memory attributes: [] / ["KVM_MEMORY_ATTRIBUTE_PRIVATE"], or an integer. */
static const char *attrs_json(uint64_t a, char *buf, size_t n)
{
	if (a == 0)
		snprintf(buf, n, "[]");
	else if (a == KVM_MEMORY_ATTRIBUTE_PRIVATE)
		snprintf(buf, n, "[\"KVM_MEMORY_ATTRIBUTE_PRIVATE\"]");
	else
		snprintf(buf, n, "%llu", (unsigned long long)a);
	return buf;
}

static int create_gmem(struct vm *v, struct gmem *g, const char *name, uint64_t size, uint64_t flags)
{
	struct probe_create_gmem c = { .size = size, .flags = flags };
	char f[256], fl[128];
	int fd = ioctl(v->fd, PROBE_CREATE_GUEST_MEMFD, &c);
	int err = errno;

	snprintf(g->name, sizeof(g->name), "%s.%s", v->name, name);
	g->fd = fd;
	case_fd_add(fd);
	snprintf(f, sizeof(f), "\"vm\":\"%s\",\"gmem\":\"%s\",\"size\":\"0x%llx\",\"flags\":%s",
		 v->name, g->name, (unsigned long long)size, gmem_flags_json(flags, fl, sizeof(fl)));
	emit("KVM_CREATE_GUEST_MEMFD", f, fd, err, NULL);
	return fd;
}

static int region2_ioctl(struct vm *v, uint32_t slot, uint32_t flags, uint64_t gpa, uint64_t size,
			 uint64_t hva, int fd, uint64_t off, int *err)
{
	struct probe_region2 r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.slot = slot;
	r.flags = flags;
	r.guest_phys_addr = gpa;
	r.memory_size = size;
	r.userspace_addr = hva;
	r.guest_memfd_offset = off;
	r.guest_memfd = (uint32_t)fd;
	rc = ioctl(v->fd, PROBE_SET_USER_MEMORY_REGION2, &r);
	*err = errno;
	return rc;
}

/* KVM_SET_USER_MEMORY_REGION2 naming a guest_memfd by its trace id. */
static int set_region2(struct vm *v, uint32_t slot, uint32_t flags, uint64_t gpa, uint64_t size,
		       uint64_t hva, const struct gmem *g, uint64_t off)
{
	char f[512], fl[128];
	int err, rc = region2_ioctl(v, slot, flags, gpa, size, hva, g->fd, off, &err);

	snprintf(f, sizeof(f),
		 "\"vm\":\"%s\",\"slot\":%u,\"flags\":%s,\"guest_phys_addr\":\"0x%llx\","
		 "\"memory_size\":\"0x%llx\",\"userspace_addr\":\"0x%llx\",\"guest_memfd\":\"%s\","
		 "\"guest_memfd_offset\":\"0x%llx\"",
		 v->name, slot, memslot_flags(flags, fl, sizeof(fl)), (unsigned long long)gpa,
		 (unsigned long long)size, (unsigned long long)hva, g->name, (unsigned long long)off);
	emit("KVM_SET_USER_MEMORY_REGION2", f, rc, err, NULL);
	return rc;
}

/* The same ioctl with an fd no trace id can name: a comment, not a step. */
static int set_region2_fd(struct vm *v, uint32_t slot, uint32_t flags, uint64_t gpa, uint64_t size,
			  uint64_t hva, int fd, uint64_t off, const char *what_fd)
{
	char fl[128];
	int err, rc = region2_ioctl(v, slot, flags, gpa, size, hva, fd, off, &err);

	comment("not a step (no trace id names %s): KVM_SET_USER_MEMORY_REGION2 vm %s slot %u flags %s "
		"gpa 0x%llx size 0x%llx hva 0x%llx guest_memfd = %s, offset 0x%llx -> %s",
		what_fd, v->name, slot, memslot_flags(flags, fl, sizeof(fl)), (unsigned long long)gpa,
		(unsigned long long)size, (unsigned long long)hva, what_fd, (unsigned long long)off,
		rc < 0 ? errname(err) : "ret 0");
	return rc;
}

static int set_attrs(struct vm *v, uint64_t addr, uint64_t size, uint64_t attrs)
{
	struct probe_mem_attrs a = { .address = addr, .size = size, .attributes = attrs };
	char f[256], at[64];
	int rc = ioctl(v->fd, PROBE_SET_MEMORY_ATTRIBUTES, &a);
	int err = errno;

	snprintf(f, sizeof(f), "\"vm\":\"%s\",\"address\":\"0x%llx\",\"size\":\"0x%llx\",\"attributes\":%s",
		 v->name, (unsigned long long)addr, (unsigned long long)size, attrs_json(attrs, at, sizeof(at)));
	emit("KVM_SET_MEMORY_ATTRIBUTES", f, rc, err, NULL);
	return rc;
}

/* What the kernel said before any case ran (KVM_CHECK_EXTENSION; no trace steps). */
struct gmem_facts {
	int sys[5], dflt[5], sw[5]; /* the caps of cap_list, on /dev/kvm, a default VM, a SW_PROTECTED VM */
	int sw_ok, sw_errno;        /* could a KVM_X86_SW_PROTECTED_VM be created */
	int smm;
};

static const struct {
	int cap;
	const char *name;
} cap_list[5] = {
	{ KVM_CAP_GUEST_MEMFD, "GUEST_MEMFD(234)" },
	{ KVM_CAP_GUEST_MEMFD_FLAGS, "GUEST_MEMFD_FLAGS(244)" },
	{ KVM_CAP_MEMORY_ATTRIBUTES, "MEMORY_ATTRIBUTES(233)" },
	{ KVM_CAP_USER_MEMORY2, "USER_MEMORY2(231)" },
	{ KVM_CAP_VM_TYPES, "VM_TYPES(235)" },
};

static struct gmem_facts facts;

static void caps_read(int fd, int *out)
{
	for (int i = 0; i < 5; i++)
		out[i] = ioctl(fd, KVM_CHECK_EXTENSION, cap_list[i].cap);
}

static const char *caps_text(const int *c, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = 0;
	for (int i = 0; i < 5; i++)
		len += snprintf(buf + len, n - len, "%s%s %d (0x%x)", i ? ", " : "", cap_list[i].name, c[i],
				(unsigned)c[i]);
	return buf;
}

static void gmem_facts_read(void)
{
	int fd;

	caps_read(kvm_fd, facts.sys);
	fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (fd < 0)
		die("KVM_CREATE_VM");
	caps_read(fd, facts.dflt);
	facts.smm = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_SMM) > 0;
	close(fd);
	fd = ioctl(kvm_fd, KVM_CREATE_VM, KVM_X86_SW_PROTECTED_VM);
	facts.sw_ok = fd >= 0;
	facts.sw_errno = errno;
	if (fd >= 0) {
		caps_read(fd, facts.sw);
		close(fd);
	}
}

/* The HOST line: this build's features as the kernel reported them. */
static void gmem_host_line(void)
{
	static const char *types[] = { "KVM_X86_DEFAULT_VM", "KVM_X86_SW_PROTECTED_VM", "KVM_X86_SEV_VM",
				       "KVM_X86_SEV_ES_VM", "KVM_X86_SNP_VM", "KVM_X86_TDX_VM" };
	unsigned vt = facts.sys[4] > 0 ? (unsigned)facts.sys[4] : 1u; /* no VM_TYPES cap: default VMs only */
	char fl[128];
	int first = 1;

	printf("{\"op\":\"HOST\",\"arch\":\"x86_64\",\"features\":{\"smm\":%s,\"memory_attributes\":%s,\"vm_types\":[",
	       facts.smm ? "true" : "false", facts.sys[2] > 0 ? "true" : "false");
	for (unsigned i = 0; i < 32; i++) {
		if (!(vt & (1u << i)))
			continue;
		if (i < sizeof(types) / sizeof(types[0]))
			printf("%s\"%s\"", first ? "" : ",", types[i]);
		else
			printf("%s%u", first ? "" : ",", i);
		first = 0;
	}
	printf("],\"gmem_flags\":%s}}\n",
	       gmem_flags_json(facts.dflt[1] > 0 ? (uint64_t)facts.dflt[1] : 0, fl, sizeof(fl)));
}

/* ---- case 1: capabilities and VM types ---- */

static void gmem_caps_case(void)
{
	struct vm v, sw, t7;
	char buf[512];
	int c[5];

	case_begin(&v, "caps", "(1) capabilities (KVM_CHECK_EXTENSION, not trace steps) and KVM_CREATE_VM of type 1 "
		   "(KVM_X86_SW_PROTECTED_VM) and 7 (no such type)");
	comment("on /dev/kvm: %s", caps_text(facts.sys, buf, sizeof(buf)));
	caps_read(v.fd, c);
	comment("on the default VM caps: %s", caps_text(c, buf, sizeof(buf)));
	comment("KVM_CAP_MEMORY_FAULT_INFO(232) on the default VM: %d",
		ioctl(v.fd, KVM_CHECK_EXTENSION, KVM_CAP_MEMORY_FAULT_INFO));
	if (vm_create_type(&sw, "caps_sw", KVM_X86_SW_PROTECTED_VM) >= 0) {
		caps_read(sw.fd, facts.sw);
		comment("on the SW_PROTECTED VM caps_sw: %s", caps_text(facts.sw, buf, sizeof(buf)));
		close(sw.fd);
	} else {
		comment("no KVM_X86_SW_PROTECTED_VM on this build: the SW_PROTECTED halves of cases 2-4 are left out, and case 5 with them");
	}
	if (vm_create_type(&t7, "caps_type7", 7) >= 0)
		close(t7.fd);
	case_end(&v);
}

/* ---- case 2: KVM_CREATE_GUEST_MEMFD sizes and flags ---- */

static void gmem_create_case(unsigned long type)
{
	static const struct {
		const char *name;
		uint64_t size;
	} sizes[] = {
		{ "g_size0", 0 },
		{ "g_size4095", 4095 },
		{ "g_size4097", 4097 },
		{ "g_size64k", 0x10000 },
		{ "g_size2e63", 1ULL << 63 },
		{ "g_size2e64m4k", 0xfffffffffffff000ULL },
		{ "g_size2e63m4k", (1ULL << 63) - 0x1000 },
	};
	static const struct {
		const char *name;
		uint64_t flags;
	} flags[] = {
		{ "g_mmap", GUEST_MEMFD_FLAG_MMAP },
		{ "g_init_shared", GUEST_MEMFD_FLAG_INIT_SHARED },
		{ "g_mmap_init_shared", GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED },
		{ "g_bit2", 1ULL << 2 },
		{ "g_bit3", 1ULL << 3 },
		{ "g_bit63", 1ULL << 63 },
	};
	struct vm v;
	struct gmem g;

	if (case_begin_type(&v, type ? "create_sw" : "create",
			    type ? "(2) KVM_CREATE_GUEST_MEMFD on a SW_PROTECTED VM: the same sizes and flags"
				 : "(2) KVM_CREATE_GUEST_MEMFD on a default VM: sizes 0, 4095, 4097, 0x10000, 2^63, "
				   "2^64-4096 and 2^63-4096 (flags 0); then flags MMAP, INIT_SHARED alone, both, bit 2 "
				   "(kvmsim's KVM_GMEM_NO_DIRECT_MAP), bit 3, bit 63 (size 0x10000; flags 0 is g_size64k)",
			    type) < 0)
		die("KVM_CREATE_VM type %lu", type);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		create_gmem(&v, &g, sizes[i].name, sizes[i].size, 0);
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		create_gmem(&v, &g, flags[i].name, 0x10000, flags[i].flags);
	gmem_case_end(&v);
}

/* ---- case 3: KVM_SET_USER_MEMORY_REGION2 ---- */

#define GMEM_SIZE 0x10000ULL
#define MEM_GMEM KVM_MEM_GUEST_MEMFD

/* Names for the cases of one VM type: "bind" or "bind_sw" and so on. */
static const char *vname(char *buf, size_t n, const char *base, unsigned long type)
{
	snprintf(buf, n, "%s%s", base, type ? "_sw" : "");
	return buf;
}

static const char *vm_kind(unsigned long type)
{
	return type ? "a SW_PROTECTED VM" : "a default VM";
}

/* Starts a case on a fresh VM of this type with a 0x10000-byte guest_memfd g0 (flags 0). */
static void bind_case_begin(struct vm *v, struct gmem *g0, char *name, size_t n, const char *base,
			    unsigned long type, const char *what)
{
	char text[512];

	snprintf(text, sizeof(text), "(3) on %s: %s", vm_kind(type), what);
	if (case_begin_type(v, vname(name, n, base, type), text, type) < 0)
		die("KVM_CREATE_VM type %lu", type);
	create_gmem(v, g0, "g0", GMEM_SIZE, 0);
}

static void gmem_bind_cases(unsigned long type)
{
	struct vm v, other;
	struct gmem g0, go, gx;
	/* The id gmem_never is never created: the kernel is given an fd number that is not open. */
	struct gmem never_fd = { "gmem_never", 1000 };
	char name[64], oname[64];
	uint64_t h;
	int fd;

	if (fcntl(never_fd.fd, F_GETFD) >= 0 || errno != EBADF)
		die("fd 1000 is open");

	bind_case_begin(&v, &g0, name, sizeof(name), "bind", type,
			"a valid bind (slot 0, gpa 0, size 0x4000, offset 0); then slot 1 with GUEST_MEMFD|LOG_DIRTY, "
			"GUEST_MEMFD|READONLY, offset 0x800, offset 0xe000 (past the end), offset 2^64-0x1000 (wraps), "
			"offset 2^63 size 0x1000; then offset 0xc000 (ending exactly at the end of g0)");
	h = case_hva;
	set_region2(&v, 0, MEM_GMEM, 0, 0x4000, h, &g0, 0);
	set_region2(&v, 1, MEM_GMEM | KVM_MEM_LOG_DIRTY_PAGES, 0x100000, 0x4000, h + 0x100000, &g0, 0x4000);
	set_region2(&v, 1, MEM_GMEM | KVM_MEM_READONLY, 0x100000, 0x4000, h + 0x100000, &g0, 0x4000);
	set_region2(&v, 1, MEM_GMEM, 0x100000, 0x4000, h + 0x100000, &g0, 0x800);
	set_region2(&v, 1, MEM_GMEM, 0x100000, 0x4000, h + 0x100000, &g0, 0xe000);
	set_region2(&v, 1, MEM_GMEM, 0x100000, 0x4000, h + 0x100000, &g0, 0xfffffffffffff000ULL);
	set_region2(&v, 1, MEM_GMEM, 0x100000, 0x1000, h + 0x100000, &g0, 1ULL << 63);
	set_region2(&v, 1, MEM_GMEM, 0x100000, 0x4000, h + 0x100000, &g0, 0xc000);
	gmem_case_end(&v);

	bind_case_begin(&v, &g0, name, sizeof(name), "bind_other_vm", type,
			"binding a guest_memfd of another VM (of the same type)");
	h = case_hva;
	if (vm_create_type(&other, vname(oname, sizeof(oname), "bind_other_vm_b", type), type) < 0)
		die("KVM_CREATE_VM type %lu", type);
	case_fd_add(other.fd);
	create_gmem(&other, &go, "g_other", GMEM_SIZE, 0);
	set_region2(&v, 0, MEM_GMEM, 0, 0x4000, h, &go, 0);
	set_region2(&other, 0, MEM_GMEM, 0, 0x4000, h + 0x100000, &go, 0);
	gmem_case_end(&v);

	bind_case_begin(&v, &g0, name, sizeof(name), "bind_overlap", type,
			"two slots on one guest_memfd: offset ranges overlapping (slot 0 at 0..0x4000, slot 1 at "
			"0x2000..0x6000), then adjacent (slot 1 at 0x4000..0x8000); slot 2 at 0x7000..0x8000 (inside slot 1's)");
	h = case_hva;
	set_region2(&v, 0, MEM_GMEM, 0, 0x4000, h, &g0, 0);
	set_region2(&v, 1, MEM_GMEM, 0x100000, 0x4000, h + 0x100000, &g0, 0x2000);
	set_region2(&v, 1, MEM_GMEM, 0x100000, 0x4000, h + 0x100000, &g0, 0x4000);
	set_region2(&v, 2, MEM_GMEM, 0x200000, 0x1000, h + 0x200000, &g0, 0x7000);
	gmem_case_end(&v);

	bind_case_begin(&v, &g0, name, sizeof(name), "bind_order", type,
			"which check wins: slot 2's gpa overlaps slot 0 AND its guest_memfd is bad (gmem_never) / its "
			"offset is unaligned / its offset range overlaps slot 0's binding; an unaligned offset with a "
			"bad fd; then fds no trace id can name");
	h = case_hva;
	set_region2(&v, 0, MEM_GMEM, 0, 0x4000, h, &g0, 0);
	set_region2(&v, 2, MEM_GMEM, 0x2000, 0x4000, h + 0x200000, &never_fd, 0);
	set_region2(&v, 2, MEM_GMEM, 0x2000, 0x4000, h + 0x200000, &g0, 0x800);
	set_region2(&v, 2, MEM_GMEM, 0x2000, 0x4000, h + 0x200000, &g0, 0);
	set_region2(&v, 2, MEM_GMEM, 0x2000, 0x4000, h + 0x200000, &g0, 0x8000);
	set_region2(&v, 2, MEM_GMEM, 0x200000, 0x4000, h + 0x200000, &never_fd, 0x800);
	set_region2(&v, 2, MEM_GMEM, 0x200000, 0x4000, h + 0x200000, &never_fd, 0);
	set_region2(&v, 2, MEM_GMEM, 0x200000, 0x4000, h + 0x200000, &never_fd, 0xe000);
	comment("a guest_memfd that was created and closed again (g_closed), the VM's own fd, /dev/kvm, a memfd, fd -1");
	fd = create_gmem(&v, &gx, "g_closed", GMEM_SIZE, 0);
	if (fd >= 0) {
		case_nfds--; /* closed here, not at the end of the case */
		close(fd);
		set_region2_fd(&v, 3, MEM_GMEM, 0x300000, 0x4000, h + 0x300000, fd, 0, "a closed guest_memfd fd");
	}
	set_region2_fd(&v, 3, MEM_GMEM, 0x300000, 0x4000, h + 0x300000, v.fd, 0, "the VM's own fd");
	set_region2_fd(&v, 3, MEM_GMEM, 0x300000, 0x4000, h + 0x300000, kvm_fd, 0, "the /dev/kvm fd");
	fd = memfd_create("kvm-probe", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, GMEM_SIZE) < 0)
		die("memfd_create");
	set_region2_fd(&v, 3, MEM_GMEM, 0x300000, 0x4000, h + 0x300000, fd, 0, "a memfd of 0x10000 bytes");
	close(fd);
	set_region2_fd(&v, 3, MEM_GMEM, 0x300000, 0x4000, h + 0x300000, -1, 0, "fd -1");
	set_region2_fd(&v, 3, MEM_GMEM, 0x300000, 0x4000, h + 0x300000, -1, 0x800, "fd -1");
	gmem_case_end(&v);

	bind_case_begin(&v, &g0, name, sizeof(name), "bind_modify", type,
			"modifying a bound slot: identical re-set with GUEST_MEMFD, a move with GUEST_MEMFD, the same "
			"gpa/size/hva WITHOUT GUEST_MEMFD, LOG_DIRTY without GUEST_MEMFD; delete (size 0, with the "
			"flag) and bind again; delete with flags 0 and bind again");
	h = case_hva;
	set_region2(&v, 0, MEM_GMEM, 0, 0x4000, h, &g0, 0);
	set_region2(&v, 0, MEM_GMEM, 0, 0x4000, h, &g0, 0);
	set_region2(&v, 0, MEM_GMEM, 0x100000, 0x4000, h, &g0, 0);
	set_region2(&v, 0, 0, 0, 0x4000, h, &g0, 0);
	set_region2(&v, 0, KVM_MEM_LOG_DIRTY_PAGES, 0, 0x4000, h, &g0, 0);
	set_region2(&v, 0, MEM_GMEM, 0, 0, h, &g0, 0);
	set_region2(&v, 0, MEM_GMEM, 0, 0x4000, h, &g0, 0);
	set_region2(&v, 0, 0, 0, 0, h, &g0, 0);
	set_region2(&v, 0, MEM_GMEM, 0, 0x4000, h, &g0, 0);
	gmem_case_end(&v);

	bind_case_begin(&v, &g0, name, sizeof(name), "bind_noflag", type,
			"REGION2 without KVM_MEM_GUEST_MEMFD (an ordinary slot: guest_memfd and offset are ignored, "
			"even a bad id and an unaligned offset), then g0 bound at offset 0 by another slot; "
			"KVM_SET_USER_MEMORY_REGION (v1) with KVM_MEM_GUEST_MEMFD");
	h = case_hva;
	set_region2(&v, 0, 0, 0, 0x4000, h, &g0, 0);
	set_region2(&v, 1, 0, 0x100000, 0x4000, h + 0x100000, &never_fd, 0x800);
	set_region2(&v, 2, MEM_GMEM, 0x200000, 0x4000, h + 0x200000, &g0, 0);
	set_region(&v, 3, KVM_MEM_GUEST_MEMFD, 0x300000, 0x4000, h + 0x300000);
	gmem_case_end(&v);
}

/* ---- case 4: KVM_SET_MEMORY_ATTRIBUTES ---- */

static void gmem_attr_cases(unsigned long type)
{
	struct vm v;
	struct gmem g0;
	char name[64];
	uint64_t h;

	if (type == 0) {
		case_begin(&v, "attrs", "(4) KVM_SET_MEMORY_ATTRIBUTES on a default VM (slot 0 bound to g0): PRIVATE, [], "
			   "then [] with an unaligned address, size 0, and attributes 1");
		create_gmem(&v, &g0, "g0", GMEM_SIZE, 0);
		h = case_hva;
		set_region2(&v, 0, MEM_GMEM, 0, 0x4000, h, &g0, 0);
		set_attrs(&v, 0, 0x4000, KVM_MEMORY_ATTRIBUTE_PRIVATE);
		set_attrs(&v, 0, 0x4000, 0);
		set_attrs(&v, 0x800, 0x1000, 0);
		set_attrs(&v, 0, 0, 0);
		set_attrs(&v, 0, 0x4000, 1);
		gmem_case_end(&v);
		return;
	}
	bind_case_begin(&v, &g0, name, sizeof(name), "attrs", type,
			"(4) KVM_SET_MEMORY_ATTRIBUTES (slot 0 bound to g0): PRIVATE; unaligned address; unaligned "
			"size; size 0; address+size wrapping; attributes 1; PRIVATE over a range with no memslot; back to []");
	h = case_hva;
	set_region2(&v, 0, MEM_GMEM, 0, 0x4000, h, &g0, 0);
	set_attrs(&v, 0, 0x4000, KVM_MEMORY_ATTRIBUTE_PRIVATE);
	set_attrs(&v, 0x800, 0x1000, KVM_MEMORY_ATTRIBUTE_PRIVATE);
	set_attrs(&v, 0, 0x800, KVM_MEMORY_ATTRIBUTE_PRIVATE);
	set_attrs(&v, 0, 0, KVM_MEMORY_ATTRIBUTE_PRIVATE);
	set_attrs(&v, 0xfffffffffffff000ULL, 0x2000, KVM_MEMORY_ATTRIBUTE_PRIVATE);
	set_attrs(&v, 0, 0x4000, 1);
	set_attrs(&v, 0x10000000, 0x1000, KVM_MEMORY_ATTRIBUTE_PRIVATE);
	set_attrs(&v, 0, 0x4000, 0);
	gmem_case_end(&v);
}

static void gmem_cases(void)
{
	printf("\n");
	comment("==== guest_memfd, memory attributes, VM types ====");
	gmem_caps_case();
	gmem_create_case(0);
	if (facts.sw_ok)
		gmem_create_case(KVM_X86_SW_PROTECTED_VM);
	gmem_bind_cases(0);
	if (facts.sw_ok)
		gmem_bind_cases(KVM_X86_SW_PROTECTED_VM);
	gmem_attr_cases(0);
	if (facts.sw_ok)
		gmem_attr_cases(KVM_X86_SW_PROTECTED_VM);

	printf("\n");
	if (!facts.sw_ok || facts.sys[2] <= 0) {
		char why[256] = "";

		if (!facts.sw_ok)
			snprintf(why, sizeof(why), " KVM_CREATE_VM(KVM_X86_SW_PROTECTED_VM) fails (%s; VM_TYPES 0x%x);",
				 errname(facts.sw_errno), (unsigned)facts.sys[4]);
		if (facts.sys[2] <= 0)
			snprintf(why + strlen(why), sizeof(why) - strlen(why),
				 " no memory attributes (MEMORY_ATTRIBUTES %d on /dev/kvm; see case (4)).",
				 facts.sys[2]);
		comment("(5) guest writes to a private gfn (of a guest_memfd slot, of an ordinary slot): not run. No gfn can be "
			"made private on this build:%s", why);
	} else {
		comment("(5) guest writes to a private gfn: not run: this build has SW_PROTECTED VMs and memory attributes, "
			"but the probe has no private-memory guest yet (add it: see FINDINGS.md)");
		fprintf(stderr, "kvm-probe: this build supports private memory; case (5) of the gmem suite is not written yet\n");
	}
}

/* ------------------------------------------------------------------ */


/* The first character of a module parameter file, or 0 if it cannot be read. */
static char module_param(const char *path)
{
	char c = 0;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fread(&c, 1, 1, f) != 1)
			c = 0;
		fclose(f);
	}
	return c;
}

/*
 * kvm_configure_mmu(tdp_enabled): kvm_intel passes its "ept" parameter, kvm_amd its "npt";
 * kvm_pvm never enables TDP.  NULL when none of them is loaded.
 */
static const char *mmu_mode(void)
{
	char c = module_param("/sys/module/kvm_intel/parameters/ept");

	if (!c)
		c = module_param("/sys/module/kvm_amd/parameters/npt");
	if (c)
		return c == 'Y' || c == '1' ? "tdp" : "shadow";
	if (access("/sys/module/kvm_pvm", F_OK) == 0)
		return "shadow";
	return NULL;
}
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
	/*
	 * kvmsim's x86 host defaults to two address spaces and to TDP; say what this one has.
	 * mmu: shadow paging when the vendor module has EPT/NPT off, or is kvm_pvm (no TDP).
	 */
	const char *mmu = mmu_mode();
	comment("MMU mode: %s", mmu ? mmu : "unknown (no kvm_intel, kvm_amd or kvm_pvm parameters found): kvmsim's default, tdp");
	printf("{\"op\":\"HOST\",\"arch\":\"x86_64\",\"features\":{\"smm\":%s%s%s%s}}\n",
	       ioctl(vmfd, KVM_CHECK_EXTENSION, KVM_CAP_X86_SMM) > 0 ? "true" : "false",
	       mmu ? ",\"mmu\":\"" : "", mmu ? mmu : "", mmu ? "\"" : "");
	close(vmfd);
}

static void header_gmem(const char *regen)
{
	struct utsname u;
	char date[64], buf[512];
	time_t t = time(NULL);

	uname(&u);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S UTC", gmtime(&t));
	gmem_facts_read();
	comment("guest_memfd, memory-attribute and VM-type behaviour of a real /dev/kvm, recorded call by call by "
		"tools/kvm-probe/probe.c (suite gmem):");
	comment("every expect below is what this kernel returned. Regenerate with: %s", regen);
	comment("kernel (uname -r): %s %s", u.release, u.machine);
	comment("recorded: %s", date);
	comment("KVM_CHECK_EXTENSION on /dev/kvm (not trace steps): %s", caps_text(facts.sys, buf, sizeof(buf)));
	comment("KVM_CHECK_EXTENSION on a default VM: %s; X86_SMM %d", caps_text(facts.dflt, buf, sizeof(buf)), facts.smm);
	if (facts.sw_ok)
		comment("KVM_CHECK_EXTENSION on a KVM_X86_SW_PROTECTED_VM: %s", caps_text(facts.sw, buf, sizeof(buf)));
	else
		comment("KVM_CREATE_VM(KVM_X86_SW_PROTECTED_VM) fails on this build: %s", errname(facts.sw_errno));
	comment("HOST features, as this kernel reported them: vm_types = the bits of VM_TYPES on /dev/kvm; gmem_flags = "
		"GUEST_MEMFD_FLAGS on a default VM; memory_attributes = MEMORY_ATTRIBUTES on /dev/kvm is nonzero "
		"(the ioctl exists); smm = X86_SMM on a default VM.");
	comment("Each case uses a fresh VM and a fresh 16 MiB window of private anonymous memory at 0x7f0000000000 + n * 0x1000000.");
	comment("A gmem id names a guest_memfd; gmem_never is never created (the kernel is given an fd that is not open).");
	gmem_host_line();
}

int main(int argc, char **argv)
{
	const char *suite = argc > 1 ? argv[1] : "memslots";
	const char *regen = argc > 2 ? argv[2] : "tools/kvm-probe/run.sh";

	if (strcmp(suite, "memslots") != 0 && strcmp(suite, "gmem") != 0) {
		fprintf(stderr, "usage: kvm-probe [memslots|gmem] [REGENERATE-COMMAND] > trace.jsonl\n");
		return 2;
	}
	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0)
		die("cannot open /dev/kvm");
	if (ioctl(kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		die("unexpected KVM_GET_API_VERSION");

	if (strcmp(suite, "gmem") == 0) {
		header_gmem(regen);
		gmem_cases();
		return 0;
	}
	header(regen);
	memslot_cases();
	vcpu_cases();
	dirty_log_cases();
	guest_cases();
	return 0;
}
