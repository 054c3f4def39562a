/*
 * vcpu.c - vCPUs: the 64-bit boot state, one run-loop thread each, pausing
 * them all (for the downtime and for state capture), and saving and
 * loading their state for migration.
 *
 * Pausing: the pauser sets pause_req, sets immediate_exit in every
 * kvm_run and sends SIGUSR1, so a vCPU in KVM_RUN returns -EINTR and one
 * about to enter returns at once. Before a thread parks it enters
 * KVM_RUN once more with immediate_exit set: that completes a pending
 * port read, so the registers it leaves are consistent (KVM's rule for
 * saving state after a userspace exit).
 */
#include "kvmlite.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define KICK_SIGNAL SIGUSR1

#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)
#define CR4_PGE (1ull << 7)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_OSXSAVE (1ull << 18)
#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)
#define RFLAGS_FIXED (1ull << 1)
#define RFLAGS_IOPL3 (3ull << 12)

static void kick_handler(int sig) { (void)sig; }

static void install_kick_handler_once(void)
{
	struct sigaction sa = { .sa_handler = kick_handler };
	sigemptyset(&sa.sa_mask);
	sigaction(KICK_SIGNAL, &sa, NULL); /* no SA_RESTART: KVM_RUN -> EINTR */
}

static void install_kick_handler(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, install_kick_handler_once);
}

/* ------------------------------------------------------------------ */
/* Creation and boot state. */

/* MSRs a migration carries, if this KVM has them. EFER, FS/GS base are
 * in the segment registers already. */
static const uint32_t wanted_msrs[] = {
	0x10,       /* IA32_TSC */
	0x174, 0x175, 0x176, /* SYSENTER_CS/ESP/EIP */
	0x277,      /* PAT */
	0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084, /* STAR LSTAR CSTAR FMASK */
	0xc0000102, /* KERNEL_GS_BASE */
	0xc0000103, /* TSC_AUX */
};

static void find_msrs(struct kl_vm *vm)
{
	struct kvm_msr_list probe = { .nmsrs = 0 };
	ioctl(vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe); /* E2BIG, sets nmsrs */
	struct kvm_msr_list *l = calloc(1, sizeof(*l) + probe.nmsrs * sizeof(uint32_t));
	if (!l)
		return;
	l->nmsrs = probe.nmsrs;
	if (ioctl(vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, l) == 0)
		for (size_t i = 0; i < sizeof(wanted_msrs) / sizeof(wanted_msrs[0]); i++)
			for (uint32_t j = 0; j < l->nmsrs; j++)
				if (l->indices[j] == wanted_msrs[i])
					vm->msrs[vm->nmsrs++] = wanted_msrs[i];
	free(l);
}

int kl_vcpu_create(struct kl_vm *vm, unsigned index, struct kl_err *e)
{
	struct kl_vcpu *v = &vm->vcpus[index];

	if (index == 0)
		find_msrs(vm);
	v->vm = vm;
	v->index = index;
	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, index);
	if (v->fd < 0)
		return kl_fail_errno(e, "KVM_CREATE_VCPU %u", index);
	v->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		return kl_fail_errno(e, "mmap kvm_run of vCPU %u", index);
	}
	if (ioctl(v->fd, KVM_SET_CPUID2, vm->cpuid) < 0)
		return kl_fail_errno(e, "KVM_SET_CPUID2 on vCPU %u", index);
	return kl_dirtylog_vcpu_init(v, e);
}

void kl_vcpu_destroy(struct kl_vcpu *v)
{
	struct kl_vm *vm = v->vm;
	if (!vm)
		return;
	if (v->has_thread) {
		pthread_mutex_lock(&vm->lock);
		__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_RELEASE);
		pthread_kill(v->thread, KICK_SIGNAL);
		pthread_cond_broadcast(&vm->cond);
		pthread_mutex_unlock(&vm->lock);
		pthread_join(v->thread, NULL);
		v->has_thread = false;
	}
	if (v->run)
		munmap(v->run, vm->run_size);
	if (v->fd >= 0)
		close(v->fd);
	v->run = NULL;
	v->fd = -1;
}

static const struct kvm_cpuid_entry2 *cpuid_entry(const struct kl_vm *vm,
						  uint32_t fn, uint32_t idx)
{
	for (uint32_t i = 0; i < vm->cpuid->nent; i++)
		if (vm->cpuid->entries[i].function == fn &&
		    vm->cpuid->entries[i].index == idx)
			return &vm->cpuid->entries[i];
	return NULL;
}

static bool has_xsave(const struct kl_vm *vm)
{
	const struct kvm_cpuid_entry2 *c = cpuid_entry(vm, 1, 0);
	return c && (c->ecx & (1u << 26));
}

static void set_segment(struct kvm_segment *s, uint16_t sel, bool code,
			unsigned dpl)
{
	*s = (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel,
		.type = code ? 11 : 3, .present = 1, .dpl = (uint8_t)dpl,
		.db = code ? 0 : 1, .s = 1, .l = code ? 1 : 0, .g = 1,
	};
}

static void boot_sregs(struct kl_vcpu *v, struct kvm_sregs *s)
{
	unsigned cpl = v->vm->cfg.cpl;
	uint16_t cs = cpl ? 0x20 | 3 : 0x08, ds = cpl ? 0x18 | 3 : 0x10;

	set_segment(&s->cs, cs, true, cpl);
	set_segment(&s->ds, ds, false, cpl);
	s->es = s->fs = s->gs = s->ss = s->ds;
	s->tr = (struct kvm_segment){ .base = KL_TSS_GPA, .limit = 0x68 + 0x2000,
				      .selector = 0x28, .type = 11, .present = 1 };
	s->ldt = (struct kvm_segment){ .type = 2, .present = 1, .unusable = 1 };
	s->gdt = (struct kvm_dtable){ .base = KL_GDT_GPA, .limit = 7 * 8 - 1 };
	s->idt = (struct kvm_dtable){ .base = 0, .limit = 0 };
	s->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	s->cr3 = KL_PML4_GPA;
	s->cr4 = CR4_PAE | CR4_PGE | CR4_OSFXSR | CR4_OSXMMEXCPT;
	if (has_xsave(v->vm))
		s->cr4 |= CR4_OSXSAVE;
	s->efer = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
}

/* XCR0 = x87 | SSE | AVX, as far as KVM supports them. */
static int boot_xcr0(struct kl_vcpu *v, struct kl_err *e)
{
	const struct kvm_cpuid_entry2 *d = cpuid_entry(v->vm, 0xd, 0);
	if (!has_xsave(v->vm) || !d)
		return 0;
	struct kvm_xcrs x = { .nr_xcrs = 1 };
	x.xcrs[0].xcr = 0;
	x.xcrs[0].value = d->eax & 7;
	if (ioctl(v->fd, KVM_SET_XCRS, &x) < 0)
		return kl_fail_errno(e, "KVM_SET_XCRS on vCPU %u", v->index);
	return 0;
}

int kl_vcpu_boot_state(struct kl_vcpu *v, struct kl_err *e)
{
	struct kvm_sregs s;
	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return kl_fail_errno(e, "KVM_GET_SREGS");
	boot_sregs(v, &s);
	if (ioctl(v->fd, KVM_SET_SREGS, &s) < 0)
		return kl_fail_errno(e, "KVM_SET_SREGS (64-bit, CPL %u) on vCPU %u",
				     v->vm->cfg.cpl, v->index);
	if (boot_xcr0(v, e) < 0)
		return -1;
	struct kvm_regs r = {
		.rip = KL_IMAGE_GPA,
		.rsp = KL_STACKS_GPA + (v->index + 1ull) * KL_STACK_SIZE,
		.rdi = v->index,
		.rsi = KL_PARAMS_GPA,
		.rflags = RFLAGS_FIXED | RFLAGS_IOPL3,
	};
	if (ioctl(v->fd, KVM_SET_REGS, &r) < 0)
		return kl_fail_errno(e, "KVM_SET_REGS on vCPU %u", v->index);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The run loop. */

static void set_error(struct kl_vcpu *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_error(struct kl_vcpu *v, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->error, sizeof(v->error), fmt, ap);
	va_end(ap);
}

static void describe_stop(struct kl_vcpu *v, const char *what)
{
	struct kvm_regs r = { 0 };
	ioctl(v->fd, KVM_GET_REGS, &r);
	set_error(v, "vCPU %u: %s at rip=0x%llx rsp=0x%llx", v->index, what,
		  (unsigned long long)r.rip, (unsigned long long)r.rsp);
}

/* 0: go on; 1: this vCPU is done; -1: it failed (v->error says why). */
static int handle_exit(struct kl_vcpu *v)
{
	struct kvm_run *run = v->run;
	struct kl_err e;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		switch (kl_dev_pio(v, run)) {
		case KL_PIO_CONTINUE:
			return 0;
		case KL_PIO_DONE:
			return 1;
		case KL_PIO_FAIL:
			describe_stop(v, "guest panic or bad port access");
			return -1;
		}
		return -1;
	case KVM_EXIT_HLT: /* a CPL 0 guest may halt when it is done */
		return 1;
	case KVM_EXIT_INTR:
		return 0;
	case KVM_EXIT_DIRTY_RING_FULL:
		if (kl_dirtylog_ring_full(v, &e) < 0) {
			set_error(v, "vCPU %u: %s", v->index, e.msg);
			return -1;
		}
		return 0;
	case KVM_EXIT_SHUTDOWN:
		describe_stop(v, "triple fault (shutdown)");
		return -1;
	case KVM_EXIT_MMIO:
		set_error(v, "vCPU %u: access to unbacked guest address 0x%llx",
			  v->index, (unsigned long long)run->mmio.phys_addr);
		return -1;
	case KVM_EXIT_FAIL_ENTRY:
		set_error(v, "vCPU %u: entry failed, reason 0x%llx", v->index,
			  (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return -1;
	case KVM_EXIT_INTERNAL_ERROR:
		/* On kvm_pvm a CPL 0 guest is emulated instruction by
		 * instruction, and the emulator has no SSE. */
		describe_stop(v, run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION
				 ? (v->vm->cfg.cpl == 0
					    ? "instruction emulation failed (at CPL 0 KVM may emulate every instruction; try --cpl 3)"
					    : "instruction emulation failed")
				 : "KVM internal error");
		return -1;
	default:
		set_error(v, "vCPU %u: unhandled exit reason %u", v->index,
			  run->exit_reason);
		return -1;
	}
}

/* Enter once with immediate_exit set: finishes a pending port read. */
static void complete_pending_io(struct kl_vcpu *v)
{
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_RELEASE);
	ioctl(v->fd, KVM_RUN, 0);
	__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_RELEASE);
}

/* Park while a pause is requested. Returns true when the VM quits. */
static bool park_if_asked(struct kl_vcpu *v)
{
	struct kl_vm *vm = v->vm;

	pthread_mutex_lock(&vm->lock);
	bool asked = vm->pause_req || vm->quit;
	pthread_mutex_unlock(&vm->lock);
	if (!asked)
		return false;
	complete_pending_io(v);
	pthread_mutex_lock(&vm->lock);
	v->state = KL_VCPU_PARKED;
	vm->nparked++;
	pthread_cond_broadcast(&vm->cond);
	while (vm->pause_req && !vm->quit)
		pthread_cond_wait(&vm->cond, &vm->lock);
	vm->nparked--;
	v->state = KL_VCPU_RUNNING;
	bool quit = vm->quit;
	pthread_mutex_unlock(&vm->lock);
	return quit;
}

static void end_thread(struct kl_vcpu *v, enum kl_vcpu_state st)
{
	struct kl_vm *vm = v->vm;

	complete_pending_io(v);
	pthread_mutex_lock(&vm->lock);
	v->state = st;
	vm->nended++;
	if (st == KL_VCPU_FAILED && !vm->error[0])
		snprintf(vm->error, sizeof(vm->error), "%s", v->error);
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
}

static void *vcpu_thread(void *arg)
{
	struct kl_vcpu *v = arg;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	for (;;) {
		if (park_if_asked(v)) {
			end_thread(v, KL_VCPU_PARKED);
			return NULL;
		}
		kl_vcpu_sleep_if_throttled(v);
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			set_error(v, "vCPU %u: KVM_RUN: %s", v->index, strerror(errno));
			end_thread(v, KL_VCPU_FAILED);
			return NULL;
		}
		int r = handle_exit(v);
		if (r != 0) {
			end_thread(v, r > 0 ? KL_VCPU_DONE : KL_VCPU_FAILED);
			return NULL;
		}
	}
}

int kl_vm_start(struct kl_vm *vm, struct kl_err *e)
{
	install_kick_handler();
	for (unsigned i = 0; i < vm->cfg.nvcpus; i++) {
		struct kl_vcpu *v = &vm->vcpus[i];
		if (v->has_thread || v->state == KL_VCPU_DONE)
			continue;
		pthread_mutex_lock(&vm->lock);
		v->state = KL_VCPU_RUNNING;
		vm->nthreads++;
		pthread_mutex_unlock(&vm->lock);
		int r = pthread_create(&v->thread, NULL, vcpu_thread, v);
		if (r) {
			pthread_mutex_lock(&vm->lock);
			vm->nthreads--;
			v->state = KL_VCPU_FAILED;
			pthread_mutex_unlock(&vm->lock);
			errno = r;
			return kl_fail_errno(e, "pthread_create for vCPU %u", i);
		}
		v->has_thread = true;
	}
	return 0;
}

void kl_vm_pause(struct kl_vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	vm->pause_req = true;
	for (unsigned i = 0; i < vm->cfg.nvcpus; i++) {
		struct kl_vcpu *v = &vm->vcpus[i];
		if (!v->has_thread || v->state != KL_VCPU_RUNNING)
			continue;
		__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_RELEASE);
		pthread_kill(v->thread, KICK_SIGNAL);
	}
	pthread_cond_broadcast(&vm->cond); /* wakes vCPUs sleeping in a device */
	while (vm->nparked + vm->nended < vm->nthreads)
		pthread_cond_wait(&vm->cond, &vm->lock);
	pthread_mutex_unlock(&vm->lock);
}

void kl_vm_resume(struct kl_vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	vm->pause_req = false;
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
}

bool kl_vm_all_ended(struct kl_vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	bool all = vm->nended == vm->nthreads;
	pthread_mutex_unlock(&vm->lock);
	return all;
}

int kl_vm_wait_end(struct kl_vm *vm, double timeout)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	double t = (double)until.tv_sec + until.tv_nsec * 1e-9 + timeout;
	until.tv_sec = (time_t)t;
	until.tv_nsec = (long)((t - (double)until.tv_sec) * 1e9);

	pthread_mutex_lock(&vm->lock);
	while (vm->nended < vm->nthreads) {
		if (timeout <= 0)
			pthread_cond_wait(&vm->cond, &vm->lock);
		else if (pthread_cond_timedwait(&vm->cond, &vm->lock, &until) == ETIMEDOUT)
			break;
	}
	bool all = vm->nended == vm->nthreads;
	pthread_mutex_unlock(&vm->lock);
	return all;
}

const char *kl_vm_error(struct kl_vm *vm)
{
	return vm->error;
}

/* ------------------------------------------------------------------ */
/* State for migration. */

uint32_t kl_xsave_size(struct kl_vm *vm)
{
	int n = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);
	if (n >= (int)sizeof(struct kvm_xsave))
		return (uint32_t)n;
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE) > 0)
		return sizeof(struct kvm_xsave);
	return 0;
}

static int save_msrs(struct kl_vcpu *v, struct kl_vcpu_saved *s,
		     struct kl_err *e)
{
	struct kl_vm *vm = v->vm;
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry ent[KL_MAX_MSRS];
	} m = { .h.nmsrs = vm->nmsrs };

	for (unsigned i = 0; i < vm->nmsrs; i++)
		m.ent[i].index = vm->msrs[i];
	int n = ioctl(v->fd, KVM_GET_MSRS, &m);
	if (n != (int)vm->nmsrs)
		return kl_fail_errno(e, "KVM_GET_MSRS on vCPU %u (%d of %u)",
				     v->index, n, vm->nmsrs);
	s->nmsrs = vm->nmsrs;
	for (unsigned i = 0; i < vm->nmsrs; i++) {
		s->msr_index[i] = m.ent[i].index;
		s->msr_value[i] = m.ent[i].data;
	}
	return 0;
}

static int save_fpu(struct kl_vcpu *v, struct kl_vcpu_saved *s,
		    struct kl_err *e)
{
	uint32_t size = kl_xsave_size(v->vm);
	if (!size)
		return ioctl(v->fd, KVM_GET_FPU, &s->fpu) < 0
			       ? kl_fail_errno(e, "KVM_GET_FPU") : 0;
	s->xsave = calloc(1, size);
	if (!s->xsave)
		return kl_fail(e, "out of memory");
	s->xsave_len = size;
	unsigned long req = size > sizeof(struct kvm_xsave) ? KVM_GET_XSAVE2
							    : KVM_GET_XSAVE;
	if (ioctl(v->fd, req, s->xsave) < 0)
		return kl_fail_errno(e, "KVM_GET_XSAVE on vCPU %u", v->index);
	s->has_xcrs = ioctl(v->fd, KVM_GET_XCRS, &s->xcrs) == 0;
	return 0;
}

/* Call with the VM paused. */
int kl_vcpu_save(struct kl_vcpu *v, struct kl_vcpu_saved *s, struct kl_err *e)
{
	memset(s, 0, sizeof(*s));
	if (ioctl(v->fd, KVM_GET_REGS, &s->regs) < 0)
		return kl_fail_errno(e, "KVM_GET_REGS on vCPU %u", v->index);
	if (ioctl(v->fd, KVM_GET_SREGS, &s->sregs) < 0)
		return kl_fail_errno(e, "KVM_GET_SREGS on vCPU %u", v->index);
	if (ioctl(v->fd, KVM_GET_VCPU_EVENTS, &s->events) < 0)
		return kl_fail_errno(e, "KVM_GET_VCPU_EVENTS on vCPU %u", v->index);
	if (save_fpu(v, s, e) < 0 || save_msrs(v, s, e) < 0)
		return -1;
	pthread_mutex_lock(&v->vm->lock);
	s->run_state = v->state;
	pthread_mutex_unlock(&v->vm->lock);
	return 0;
}

static int load_msrs(struct kl_vcpu *v, const struct kl_vcpu_saved *s,
		     struct kl_err *e)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry ent[KL_MAX_MSRS];
	} m = { .h.nmsrs = s->nmsrs };

	if (s->nmsrs > KL_MAX_MSRS)
		return kl_fail(e, "too many MSRs");
	for (unsigned i = 0; i < s->nmsrs; i++) {
		m.ent[i].index = s->msr_index[i];
		m.ent[i].data = s->msr_value[i];
	}
	int n = ioctl(v->fd, KVM_SET_MSRS, &m);
	if (n != (int)s->nmsrs)
		return kl_fail(e, "KVM_SET_MSRS on vCPU %u: MSR 0x%x refused",
			       v->index, n >= 0 && (unsigned)n < s->nmsrs
						 ? s->msr_index[n] : 0);
	return 0;
}

static int load_fpu(struct kl_vcpu *v, const struct kl_vcpu_saved *s,
		    struct kl_err *e)
{
	if (s->has_xcrs && ioctl(v->fd, KVM_SET_XCRS, &s->xcrs) < 0)
		return kl_fail_errno(e, "KVM_SET_XCRS on vCPU %u", v->index);
	if (!s->xsave_len)
		return ioctl(v->fd, KVM_SET_FPU, &s->fpu) < 0
			       ? kl_fail_errno(e, "KVM_SET_FPU") : 0;
	if (s->xsave_len != kl_xsave_size(v->vm))
		return kl_fail(e, "XSAVE area of %u bytes, this host uses %u",
			       s->xsave_len, kl_xsave_size(v->vm));
	/* KVM_SET_XSAVE takes the larger area too (KVM_CAP_XSAVE2). */
	if (ioctl(v->fd, KVM_SET_XSAVE, s->xsave) < 0)
		return kl_fail_errno(e, "KVM_SET_XSAVE on vCPU %u", v->index);
	return 0;
}

int kl_vcpu_load(struct kl_vcpu *v, const struct kl_vcpu_saved *s,
		 struct kl_err *e)
{
	if (ioctl(v->fd, KVM_SET_SREGS, &s->sregs) < 0)
		return kl_fail_errno(e, "KVM_SET_SREGS on vCPU %u", v->index);
	if (ioctl(v->fd, KVM_SET_REGS, &s->regs) < 0)
		return kl_fail_errno(e, "KVM_SET_REGS on vCPU %u", v->index);
	if (load_fpu(v, s, e) < 0 || load_msrs(v, s, e) < 0)
		return -1;
	if (ioctl(v->fd, KVM_SET_VCPU_EVENTS, &s->events) < 0)
		return kl_fail_errno(e, "KVM_SET_VCPU_EVENTS on vCPU %u", v->index);
	pthread_mutex_lock(&v->vm->lock);
	v->state = s->run_state == KL_VCPU_DONE ? KL_VCPU_DONE : KL_VCPU_NEW;
	pthread_mutex_unlock(&v->vm->lock);
	return 0;
}

void kl_vcpu_state_free(struct kl_vcpu_saved *s)
{
	free(s->xsave);
	s->xsave = NULL;
}
