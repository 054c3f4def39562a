/*
 * dirtylog.c - which guest pages were written: KVM's per-slot dirty
 * bitmaps, read with KVM_GET_DIRTY_LOG and, where the kernel offers
 * KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, re-protected with
 * KVM_CLEAR_DIRTY_LOG for exactly the pages read (so the GET no longer
 * write-protects the whole slot); or, as an option, per-vCPU dirty rings
 * (KVM_CAP_DIRTY_LOG_RING) harvested into a bitmap.
 *
 * Every slot starts on a multiple of 64 pages, so a slot's bitmap ORs
 * into the VM's word for word.
 *
 * KVM's log has one reader: reading clears it. So every consumer (the
 * migration, the trace recorder) attaches a reader of its own, and each
 * read pulls what KVM has into every reader's pending bits under one lock
 * before handing the caller its own: two consumers see every write, and
 * neither steals the other's.
 */
#include "kvmlite.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define KL_MAX_READERS 4

struct kl_dirty_reader {
	struct kl_vm *vm;
	uint64_t *pending;        /* written since this reader's last read */
};

struct kl_dirtylog {
	bool manual;  /* KVM_CLEAR_DIRTY_LOG in use */
	bool ring;
	bool active;
	uint32_t ring_entries;
	uint64_t *scratch;        /* one slot's bitmap (the largest slot) */
	pthread_mutex_t lock;     /* everything below, and KVM's log */
	uint64_t *pending;        /* pulled from KVM, not yet handed out */
	uint64_t nwords;          /* words of a whole-VM bitmap */
	struct kl_dirty_reader *readers[KL_MAX_READERS];
	unsigned nreaders;
	double get_s, clear_s;    /* the last sync's ioctl times */
};

static int enable_cap(struct kl_vm *vm, uint32_t cap, uint64_t arg)
{
	struct kvm_enable_cap c = { .cap = cap, .args = { arg } };
	return ioctl(vm->vm_fd, KVM_ENABLE_CAP, &c);
}

static int init_ring(struct kl_vm *vm, struct kl_dirtylog *l, struct kl_err *e)
{
	int max = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_DIRTY_LOG_RING);
	uint64_t bytes = (uint64_t)vm->cfg.ring_entries * sizeof(struct kvm_dirty_gfn);
	if (max <= 0)
		return kl_fail(e, "this KVM has no dirty ring (KVM_CAP_DIRTY_LOG_RING)");
	if (bytes > (uint64_t)max)
		return kl_fail(e, "dirty ring of %u entries is above KVM's %d bytes",
			       vm->cfg.ring_entries, max);
	if (enable_cap(vm, KVM_CAP_DIRTY_LOG_RING, bytes) < 0)
		return kl_fail_errno(e, "enabling the dirty ring");
	l->ring = true;
	l->ring_entries = vm->cfg.ring_entries;
	return 0;
}

static void init_manual_protect(struct kl_vm *vm, struct kl_dirtylog *l)
{
	int caps = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION,
			 KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2);
	if (vm->cfg.no_clear_log || caps <= 0 ||
	    !(caps & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE))
		return;
	/* Without KVM_DIRTY_LOG_INITIALLY_SET: turning logging on protects
	 * every page, and the first GET reports only later writes. */
	l->manual = enable_cap(vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
			       KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE) == 0;
}

int kl_dirtylog_init(struct kl_vm *vm, struct kl_err *e)
{
	struct kl_dirtylog *l = calloc(1, sizeof(*l));
	if (!l)
		return kl_fail(e, "out of memory");
	vm->log = l;
	pthread_mutex_init(&l->lock, NULL);
	l->nwords = (vm->pages + 63) / 64;
	l->scratch = calloc(l->nwords, sizeof(uint64_t));
	l->pending = calloc(l->nwords, sizeof(uint64_t));
	if (!l->scratch || !l->pending)
		return kl_fail(e, "out of memory");
	if (vm->cfg.log_mode == KL_LOG_RING)
		return init_ring(vm, l, e);
	init_manual_protect(vm, l);
	return 0;
}

int kl_dirtylog_vcpu_init(struct kl_vcpu *v, struct kl_err *e)
{
	struct kl_dirtylog *l = v->vm->log;
	if (!l->ring)
		return 0;
	size_t bytes = (size_t)l->ring_entries * sizeof(struct kvm_dirty_gfn);
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd,
		       KVM_DIRTY_LOG_PAGE_OFFSET * sysconf(_SC_PAGESIZE));
	if (p == MAP_FAILED)
		return kl_fail_errno(e, "mmap dirty ring of vCPU %u", v->index);
	v->ring = p;
	v->ring_next = 0;
	return 0;
}

void kl_dirtylog_free(struct kl_vm *vm)
{
	struct kl_dirtylog *l = vm->log;
	if (!l)
		return;
	size_t bytes = (size_t)l->ring_entries * sizeof(struct kvm_dirty_gfn);
	for (unsigned i = 0; i < vm->cfg.nvcpus; i++)
		if (vm->vcpus[i].ring)
			munmap(vm->vcpus[i].ring, bytes);
	/* A consumer that never detached (a failed run) still owns memory. */
	for (unsigned k = 0; k < l->nreaders; k++) {
		free(l->readers[k]->pending);
		free(l->readers[k]);
	}
	pthread_mutex_destroy(&l->lock);
	free(l->scratch);
	free(l->pending);
	free(l);
	vm->log = NULL;
}

static int set_slot_logging(struct kl_vm *vm, bool on, struct kl_err *e)
{
	for (unsigned i = 0; i < vm->nslots; i++) {
		const struct kl_slot *s = &vm->slots[i];
		struct kvm_userspace_memory_region r = {
			.slot = s->id, .flags = on ? KVM_MEM_LOG_DIRTY_PAGES : 0,
			.guest_phys_addr = s->gpa, .memory_size = s->size,
			.userspace_addr = (uintptr_t)s->hva,
		};
		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
			return kl_fail_errno(e, "%s dirty logging on slot %u",
					     on ? "enabling" : "disabling", i);
	}
	return 0;
}

/* Collect one vCPU's ring into bits; call with l->lock held. */
static void harvest_ring(struct kl_vm *vm, struct kl_vcpu *v, uint64_t *bits)
{
	struct kl_dirtylog *l = vm->log;
	for (;;) {
		struct kvm_dirty_gfn *g = &v->ring[v->ring_next & (l->ring_entries - 1)];
		uint32_t flags = __atomic_load_n(&g->flags, __ATOMIC_ACQUIRE);
		if (!(flags & KVM_DIRTY_GFN_F_DIRTY))
			break;
		uint32_t slot = g->slot & 0xffff;
		if (slot < vm->nslots && g->offset < vm->slots[slot].npages) {
			uint64_t page = vm->slots[slot].first_page + g->offset;
			bits[page / 64] |= 1ull << (page % 64);
		}
		__atomic_store_n(&g->flags, KVM_DIRTY_GFN_F_RESET, __ATOMIC_RELEASE);
		v->ring_next++;
	}
}

static int harvest_all(struct kl_vm *vm, struct kl_err *e)
{
	struct kl_dirtylog *l = vm->log;
	for (unsigned i = 0; i < vm->cfg.nvcpus; i++)
		harvest_ring(vm, &vm->vcpus[i], l->pending);
	if (ioctl(vm->vm_fd, KVM_RESET_DIRTY_RINGS, 0) < 0)
		return kl_fail_errno(e, "KVM_RESET_DIRTY_RINGS");
	return 0;
}

static int turn_on(struct kl_vm *vm, struct kl_err *e)
{
	struct kl_dirtylog *l = vm->log;
	if (set_slot_logging(vm, true, e) < 0)
		return -1;
	l->active = true;
	if (l->ring) {
		int r = harvest_all(vm, e);
		memset(l->pending, 0, l->nwords * sizeof(uint64_t));
		return r;
	}
	return 0;
}

static int turn_off(struct kl_vm *vm, struct kl_err *e)
{
	struct kl_dirtylog *l = vm->log;
	if (!l->active)
		return 0;
	l->active = false;
	int r = set_slot_logging(vm, false, e);
	if (l->ring && harvest_all(vm, e) < 0)
		r = -1;
	memset(l->pending, 0, l->nwords * sizeof(uint64_t));
	return r;
}

bool kl_dirtylog_active(struct kl_vm *vm)
{
	return vm->log->active;
}

static bool any_set(const uint64_t *w, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		if (w[i])
			return true;
	return false;
}

static int sync_slot(struct kl_vm *vm, const struct kl_slot *s, struct kl_err *e)
{
	struct kl_dirtylog *l = vm->log;
	uint64_t nw = s->npages / 64;
	struct kvm_dirty_log get = { .slot = s->id, .dirty_bitmap = l->scratch };

	double t0 = kl_now();
	if (ioctl(vm->vm_fd, KVM_GET_DIRTY_LOG, &get) < 0)
		return kl_fail_errno(e, "KVM_GET_DIRTY_LOG slot %u", s->id);
	l->get_s += kl_now() - t0;
	if (!any_set(l->scratch, nw))
		return 0;
	uint64_t *dst = l->pending + s->first_page / 64;
	for (uint64_t i = 0; i < nw; i++)
		dst[i] |= l->scratch[i];
	if (!l->manual)
		return 0;
	struct kvm_clear_dirty_log clr = {
		.slot = s->id, .first_page = 0, .num_pages = (uint32_t)s->npages,
		.dirty_bitmap = l->scratch,
	};
	t0 = kl_now();
	if (ioctl(vm->vm_fd, KVM_CLEAR_DIRTY_LOG, &clr) < 0)
		return kl_fail_errno(e, "KVM_CLEAR_DIRTY_LOG slot %u", s->id);
	l->clear_s += kl_now() - t0;
	return 0;
}

/* Everything KVM has logged into every reader's pending bits; with
 * l->lock held. */
static int pull(struct kl_vm *vm, struct kl_err *e)
{
	struct kl_dirtylog *l = vm->log;
	int r = 0;
	l->get_s = l->clear_s = 0;
	if (!l->ring) {
		for (unsigned i = 0; i < vm->nslots && r == 0; i++)
			r = sync_slot(vm, &vm->slots[i], e);
	} else {
		r = harvest_all(vm, e);
	}
	if (!any_set(l->pending, l->nwords))
		return r;
	for (unsigned k = 0; k < l->nreaders; k++) {
		uint64_t *dst = l->readers[k]->pending;
		for (uint64_t i = 0; i < l->nwords; i++)
			dst[i] |= l->pending[i];
	}
	memset(l->pending, 0, l->nwords * sizeof(uint64_t));
	return r;
}

struct kl_dirty_reader *kl_dirtylog_attach(struct kl_vm *vm, struct kl_err *e)
{
	struct kl_dirtylog *l = vm->log;
	struct kl_dirty_reader *r = calloc(1, sizeof(*r));
	int rc = 0;

	if (!r || !(r->pending = calloc(l->nwords, sizeof(uint64_t)))) {
		free(r);
		kl_fail(e, "out of memory");
		return NULL;
	}
	r->vm = vm;
	pthread_mutex_lock(&l->lock);
	if (l->nreaders == KL_MAX_READERS)
		rc = kl_fail(e, "more than %d readers of the dirty log", KL_MAX_READERS);
	else if (!l->active)
		rc = turn_on(vm, e);
	else
		rc = pull(vm, e); /* the others' due; this one starts now */
	if (rc == 0)
		l->readers[l->nreaders++] = r;
	pthread_mutex_unlock(&l->lock);
	if (rc < 0) {
		free(r->pending);
		free(r);
		return NULL;
	}
	return r;
}

int kl_dirtylog_read(struct kl_dirty_reader *r, uint64_t *words, struct kl_err *e)
{
	struct kl_dirtylog *l = r->vm->log;
	pthread_mutex_lock(&l->lock);
	int rc = pull(r->vm, e);
	for (uint64_t i = 0; i < l->nwords; i++)
		words[i] |= r->pending[i];
	memset(r->pending, 0, l->nwords * sizeof(uint64_t));
	pthread_mutex_unlock(&l->lock);
	return rc;
}

int kl_dirtylog_detach(struct kl_dirty_reader *r, struct kl_err *e)
{
	if (!r)
		return 0;
	struct kl_dirtylog *l = r->vm->log;
	int rc = 0;
	pthread_mutex_lock(&l->lock);
	for (unsigned k = 0; k < l->nreaders; k++)
		if (l->readers[k] == r) {
			l->readers[k] = l->readers[--l->nreaders];
			break;
		}
	if (l->nreaders == 0)
		rc = turn_off(r->vm, e);
	pthread_mutex_unlock(&l->lock);
	free(r->pending);
	free(r);
	return rc;
}

int kl_dirtylog_ring_full(struct kl_vcpu *v, struct kl_err *e)
{
	struct kl_dirtylog *l = v->vm->log;
	pthread_mutex_lock(&l->lock);
	harvest_ring(v->vm, v, l->pending);
	int r = ioctl(v->vm->vm_fd, KVM_RESET_DIRTY_RINGS, 0);
	pthread_mutex_unlock(&l->lock);
	return r < 0 ? kl_fail_errno(e, "KVM_RESET_DIRTY_RINGS") : 0;
}

const char *kl_dirtylog_mode(struct kl_vm *vm)
{
	if (vm->log->ring)
		return "dirty-ring";
	return vm->log->manual ? "bitmap+clear" : "bitmap";
}

void kl_dirtylog_last_times(struct kl_vm *vm, double *get_s, double *clear_s)
{
	*get_s = vm->log->get_s;
	*clear_s = vm->log->clear_s;
}

bool kl_dirtylog_uses_clear(struct kl_vm *vm)
{
	return vm->log->manual;
}
