/*
 * vm.c - the VM and its memory: one anonymous mapping split into KVM
 * memory slots, and the guest's boot environment written into it
 * (identity-mapped page tables with 2 MiB user pages, a GDT with user
 * segments and a TSS, the parameter page, the flat guest image).
 */
#include "kvmlite.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guests/wl.h"
#include "stream.h"

void kl_config_default(struct kl_config *c)
{
	*c = (struct kl_config){
		.mem_bytes = 64ull << 20,
		.nvcpus = 1,
		.nslots = 1,
		.cpl = 3,
		.log_mode = KL_LOG_BITMAP,
		.ring_entries = 65536,
	};
}

int kl_config_check(const struct kl_config *c, struct kl_err *e)
{
	if (c->mem_bytes < KL_DATA_GPA + KL_HUGE || c->mem_bytes % KL_HUGE)
		return kl_fail(e, "memory must be a multiple of 2 MiB and at least 6 MiB");
	if (c->mem_bytes > KL_MAX_GIB << 30)
		return kl_fail(e, "memory above %llu GiB is not supported", KL_MAX_GIB);
	if (c->nvcpus < 1 || c->nvcpus > KL_MAX_VCPUS)
		return kl_fail(e, "vcpus must be 1..%d", KL_MAX_VCPUS);
	if (c->nslots < 1 || c->nslots > KL_MAX_SLOTS)
		return kl_fail(e, "slots must be 1..%d", KL_MAX_SLOTS);
	if (c->mem_bytes / KL_HUGE < c->nslots)
		return kl_fail(e, "each slot needs at least 2 MiB");
	if (c->cpl != 0 && c->cpl != 3)
		return kl_fail(e, "cpl must be 0 or 3");
	if (c->log_mode == KL_LOG_RING &&
	    (c->ring_entries < 64 || (c->ring_entries & (c->ring_entries - 1))))
		return kl_fail(e, "dirty ring entries must be a power of 2, >= 64");
	return 0;
}

/* Slots of whole 2 MiB pages, the last one takes the remainder; every
 * slot starts on a page that is a multiple of 64, so a slot's dirty
 * bitmap lands on whole words of the VM's bitmap. */
static int create_slots(struct kl_vm *vm, struct kl_err *e)
{
	uint64_t huge = vm->cfg.mem_bytes / KL_HUGE;
	uint64_t per = huge / vm->cfg.nslots, gpa = 0;

	for (unsigned i = 0; i < vm->cfg.nslots; i++) {
		uint64_t n = i + 1 == vm->cfg.nslots ? huge - per * i : per;
		struct kl_slot *s = &vm->slots[i];
		*s = (struct kl_slot){
			.id = i, .gpa = gpa, .size = n * KL_HUGE,
			.hva = vm->mem + gpa, .first_page = gpa >> KL_PAGE_SHIFT,
			.npages = n * KL_HUGE >> KL_PAGE_SHIFT,
		};
		struct kvm_userspace_memory_region r = {
			.slot = s->id, .guest_phys_addr = s->gpa,
			.memory_size = s->size, .userspace_addr = (uintptr_t)s->hva,
		};
		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
			return kl_fail_errno(e, "KVM_SET_USER_MEMORY_REGION slot %u", i);
		gpa += s->size;
	}
	vm->nslots = vm->cfg.nslots;
	return 0;
}

static int open_kvm(struct kl_vm *vm, struct kl_err *e)
{
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return kl_fail_errno(e, "open /dev/kvm");
	if (ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		return kl_fail(e, "KVM API version is not %d", KVM_API_VERSION);
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return kl_fail_errno(e, "KVM_CREATE_VM");
	int size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(struct kvm_run))
		return kl_fail_errno(e, "KVM_GET_VCPU_MMAP_SIZE");
	vm->run_size = (size_t)size;
	/* Intel VMX wants a TSS area for real mode; harmless elsewhere. */
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_TSS_ADDR) > 0)
		ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000ul);
	return 0;
}

static int get_cpuid(struct kl_vm *vm, struct kl_err *e)
{
	for (unsigned n = 64; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		if (!c)
			return kl_fail(e, "out of memory");
		c->nent = n;
		if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
			vm->cpuid = c;
			return 0;
		}
		free(c);
		if (errno != E2BIG)
			break;
	}
	return kl_fail_errno(e, "KVM_GET_SUPPORTED_CPUID");
}

static int map_memory(struct kl_vm *vm, struct kl_err *e)
{
	int populate = vm->cfg.prealloc ? MAP_POPULATE : MAP_NORESERVE;
	vm->mem = mmap(NULL, vm->cfg.mem_bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | populate, -1, 0);
	if (vm->mem == MAP_FAILED) {
		vm->mem = NULL;
		return kl_fail_errno(e, "mmap %llu bytes of guest memory",
				     (unsigned long long)vm->cfg.mem_bytes);
	}
	vm->pages = vm->cfg.mem_bytes >> KL_PAGE_SHIFT;
	return 0;
}

int kl_vm_create(struct kl_vm **out, const struct kl_config *cfg,
		 struct kl_err *e)
{
	*out = NULL;
	if (kl_config_check(cfg, e) < 0)
		return -1;
	struct kl_vm *vm = calloc(1, sizeof(*vm));
	if (!vm)
		return kl_fail(e, "out of memory");
	vm->cfg = *cfg;
	vm->kvm_fd = vm->vm_fd = -1;
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->cond, NULL);
	kl_dev_init(&vm->dev, cfg->nvcpus, cfg->quiet);
	for (unsigned i = 0; i < KL_MAX_VCPUS; i++)
		vm->vcpus[i].fd = -1;

	if (open_kvm(vm, e) < 0 || get_cpuid(vm, e) < 0 ||
	    map_memory(vm, e) < 0 || kl_dirtylog_init(vm, e) < 0 ||
	    create_slots(vm, e) < 0)
		goto fail;
	for (unsigned i = 0; i < cfg->nvcpus; i++)
		if (kl_vcpu_create(vm, i, e) < 0)
			goto fail;
	vm->tsc_khz = kl_host_tsc_khz(vm->kvm_fd, vm->vcpus[0].fd);
	if (!vm->tsc_khz) {
		kl_fail(e, "cannot find the TSC frequency");
		goto fail;
	}
	*out = vm;
	return 0;
fail:
	kl_vm_destroy(vm);
	return -1;
}

void kl_vm_destroy(struct kl_vm *vm)
{
	if (!vm)
		return;
	kl_vm_throttle_free(vm);
	pthread_mutex_lock(&vm->lock);
	vm->quit = true;
	pthread_mutex_unlock(&vm->lock);
	for (unsigned i = 0; i < vm->cfg.nvcpus; i++)
		kl_vcpu_destroy(&vm->vcpus[i]);
	kl_dirtylog_free(vm);
	if (vm->mem)
		munmap(vm->mem, vm->cfg.mem_bytes);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	free(vm->cpuid);
	kl_dev_destroy(&vm->dev);
	pthread_cond_destroy(&vm->cond);
	pthread_mutex_destroy(&vm->lock);
	free(vm);
}

/* ------------------------------------------------------------------ */
/* The boot environment. */

#define KL_TSS_LIMIT (0x68 + 0x2000)
#define PTE_P (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_US (1ull << 2)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)
#define PTE_PS (1ull << 7)
/* Accessed and dirty preset: the CPU never writes the tables, so they
 * never show up in the dirty log. */
#define PTE_TABLE (PTE_P | PTE_RW | PTE_US | PTE_A)
#define PTE_LEAF (PTE_TABLE | PTE_D | PTE_PS)

/* Identity map of all RAM with 2 MiB pages, user-accessible: the guest
 * runs at CPL 3. */
static void write_page_tables(struct kl_vm *vm)
{
	uint64_t *pml4 = kl_gpa(vm, KL_PML4_GPA), *pdpt = kl_gpa(vm, KL_PDPT_GPA);
	uint64_t gib = (vm->cfg.mem_bytes + (1ull << 30) - 1) >> 30;

	pml4[0] = KL_PDPT_GPA | PTE_TABLE;
	for (uint64_t g = 0; g < gib; g++) {
		uint64_t pd_gpa = KL_PD_GPA + g * KL_PAGE_SIZE;
		uint64_t *pd = kl_gpa(vm, pd_gpa);
		pdpt[g] = pd_gpa | PTE_TABLE;
		for (uint64_t j = 0; j < 512; j++) {
			uint64_t addr = (g << 30) + j * KL_HUGE;
			if (addr >= vm->cfg.mem_bytes)
				break;
			pd[j] = addr | PTE_LEAF;
		}
	}
}

/* Flat 64-bit segments in the layout SYSCALL/SYSRET would want, with
 * the accessed bit preset (as in the page tables: no CPU writes). */
static const uint64_t gdt[] = {
	0,                  /* 0x00 null */
	0x00209b0000000000, /* 0x08 kernel code, 64-bit */
	0x00cf93000000ffff, /* 0x10 kernel data */
	0x00cff3000000ffff, /* 0x18 user data, DPL 3 */
	0x0020fb0000000000, /* 0x20 user code, 64-bit, DPL 3 */
	0, 0,               /* 0x28 TSS, filled in below */
};

static void write_gdt_tss(struct kl_vm *vm)
{
	uint64_t *g = kl_gpa(vm, KL_GDT_GPA);
	uint64_t base = KL_TSS_GPA, limit = KL_TSS_LIMIT;

	memcpy(g, gdt, sizeof(gdt));
	/* 64-bit busy TSS descriptor (type 11, as TR is loaded), present. */
	g[5] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x8bull << 40) |
	       ((limit >> 16 & 0xf) << 48) | ((base >> 24 & 0xff) << 56);
	g[6] = base >> 32;
	/* TSS: RSP0 at the top of the stack area, then an I/O bitmap that
	 * allows every port (all zero) and its closing 0xff byte. */
	uint8_t *tss = kl_gpa(vm, KL_TSS_GPA);
	uint64_t rsp0 = KL_IMAGE_GPA - 16;
	memcpy(tss + 4, &rsp0, 8);
	uint16_t iomap = 0x68;
	memcpy(tss + 0x66, &iomap, 2);
	memset(tss + 0x68, 0, 0x2000);
	tss[0x68 + 0x2000] = 0xff;
}

int kl_vm_load_guest(struct kl_vm *vm, const void *image, size_t len,
		     const struct kl_params *params, struct kl_err *e)
{
	if (len == 0 || len > KL_IMAGE_MAX)
		return kl_fail(e, "guest image of %zu bytes (must be 1..%llu)",
			       len, KL_IMAGE_MAX);
	write_page_tables(vm);
	write_gdt_tss(vm);
	memcpy(kl_gpa(vm, KL_IMAGE_GPA), image, len);
	vm->guest_crc = kl_crc32c(0, image, len);
	vm->guest_len = len;
	struct kl_params *p = kl_gpa(vm, KL_PARAMS_GPA);
	*p = *params;
	p->magic = KL_PARAMS_MAGIC;
	p->version = KL_PARAMS_VERSION;
	p->tsc_khz = vm->tsc_khz;
	p->nvcpus = vm->cfg.nvcpus;
	p->mem_bytes = vm->cfg.mem_bytes;
	if (!p->data_gpa)
		p->data_gpa = KL_DATA_GPA;
	if (p->data_gpa + p->wss_pages * KL_PAGE_SIZE > vm->cfg.mem_bytes)
		return kl_fail(e, "working set of %llu pages does not fit in %llu MiB of memory",
			       (unsigned long long)p->wss_pages,
			       (unsigned long long)(vm->cfg.mem_bytes >> 20));
	for (unsigned i = 0; i < vm->cfg.nvcpus; i++)
		if (kl_vcpu_boot_state(&vm->vcpus[i], e) < 0)
			return -1;
	return 0;
}

int kl_vm_load_guest_file(struct kl_vm *vm, const char *path,
			  const struct kl_params *params, struct kl_err *e)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return kl_fail_errno(e, "open guest %s", path);
	uint8_t *buf = malloc(KL_IMAGE_MAX + 1);
	size_t n = buf ? fread(buf, 1, KL_IMAGE_MAX + 1, f) : 0;
	fclose(f);
	if (!buf)
		return kl_fail(e, "out of memory");
	int r = kl_vm_load_guest(vm, buf, n, params, e);
	free(buf);
	return r;
}

const struct kl_status *kl_vm_status(struct kl_vm *vm, unsigned vcpu)
{
	return kl_gpa(vm, KL_STATUS_GPA + (uint64_t)KL_STATUS_STRIDE * vcpu);
}

uint64_t kl_page_hash(uint64_t page, const void *data)
{
	return wl_hash_words(page, data, KL_PAGE_SIZE / 8);
}

uint64_t kl_memhash_of(const uint64_t *page_hash, uint64_t pages)
{
	uint64_t h = 0;
	for (uint64_t p = 0; p < pages; p++)
		h = wl_mix64(h ^ page_hash[p]);
	return h;
}

uint64_t kl_vm_memhash(struct kl_vm *vm)
{
	uint64_t h = 0;
	for (uint64_t p = 0; p < vm->pages; p++)
		h = wl_mix64(h ^ kl_page_hash(p, kl_gpa(vm, p << KL_PAGE_SHIFT)));
	return h;
}

/* KVM's idea of the TSC rate; else the kernel's (tsc_known_freq). */
uint32_t kl_host_tsc_khz(int kvm_fd, int vcpu_fd)
{
	(void)kvm_fd;
	int khz = ioctl(vcpu_fd, KVM_GET_TSC_KHZ, 0);
	if (khz > 0)
		return (uint32_t)khz;
	FILE *f = fopen("/sys/devices/system/cpu/cpu0/tsc_freq_khz", "r");
	unsigned long v = 0;
	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return (uint32_t)v;
}
