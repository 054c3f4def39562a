/*
 * postcopy_dst.c - post-copy on the destination (STREAM.md, "Post-copy").
 *
 * At the switch every page that is not valid here (the source's discard
 * set, and any page that never arrived) is dropped and guest RAM is put
 * under userfaultfd; the guest then runs. A vCPU touching a missing page
 * waits in KVM_RUN (kvm_pvm does this: README.md, "Post-copy"); the fault
 * thread asks the source for that page with a REQUEST record, and this
 * thread, reading the rest of the stream, places each page as it comes
 * with UFFDIO_COPY, which wakes whoever waits on it. END says the source
 * sent everything: every missing page must have been placed, and COMPLETE
 * tells the source so, with the figures only this side can measure.
 *
 * Nothing here reads guest RAM while pages are missing: such a read
 * would fault (test_uffd shows it), so a page's hash is taken from the
 * copy in the bounce buffer before it is placed.
 */
#include "receive.h"
#include "uffd.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct kl_postcopy_dst {
	struct receiver *r;
	struct kl_vm *vm;
	int uffd;
	bool registered;
	mplm_bitmap *missing;   /* not valid here at the switch */
	uint64_t nmissing;

	pthread_mutex_t lock;   /* everything below, and r->out */
	mplm_bitmap *placed;    /* missing pages placed since */
	mplm_bitmap *requested; /* missing pages asked for */
	uint32_t *waiters;      /* per page: fault events still waiting */
	double *fault_t;        /* per page: sum of their times */
	uint64_t nplaced, faults, requests;
	double wait, t_start, t_last;
	bool stop;
	char fault_error[512];

	pthread_t fault_thread;
	bool fault_running;
	struct kl_dirty_reader *watch; /* kl_postcopy_dst_watch: guest writes */
	_Alignas(16) uint8_t bounce[KL_PAGE_SIZE];
};

int kl_postcopy_dst_possible(struct kl_err *e)
{
	enum kl_uffd_how how;
	struct kl_err why;
	int fd = kl_uffd_open(&how, &why);
	if (fd < 0)
		return kl_fail(e, "post-copy is not possible here: %.400s", why.msg);
	close(fd);
	return 0;
}

int kl_postcopy_dst_discard(struct receiver *r, const struct kl_rec *rec,
			    struct kl_err *e)
{
	struct kl_unpack u = { rec->data, rec->data + rec->len, false };
	uint32_t n = kl_get32(&u);
	if (u.short_read || n == 0 || n > KL_DISCARD_RANGES_MAX || rec->len != 4 + 16ull * n)
		return kl_fail(e, "discard record of %u bytes at byte %llu", rec->len,
			       (unsigned long long)rec->offset);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t first = kl_get64(&u), count = kl_get64(&u);
		if (count == 0 || first >= r->vm->pages || count > r->vm->pages - first)
			return kl_fail(e, "discard range %llu+%llu at byte %llu is outside memory (%llu pages)",
				       (unsigned long long)first, (unsigned long long)count,
				       (unsigned long long)rec->offset,
				       (unsigned long long)r->vm->pages);
		mplm_bitmap_set_range(r->discard, first, first + count - 1);
	}
	return 0;
}

void kl_postcopy_dst_free(struct kl_postcopy_dst *pc)
{
	struct kl_err ignore;
	if (!pc)
		return;
	if (pc->registered)
		kl_uffd_unregister(pc->uffd, pc->vm->mem, pc->vm->cfg.mem_bytes, &ignore);
	if (pc->fault_running) {
		pthread_mutex_lock(&pc->lock);
		pc->stop = true;
		pthread_mutex_unlock(&pc->lock);
		pthread_join(pc->fault_thread, NULL);
	}
	if (pc->uffd >= 0)
		close(pc->uffd);
	if (pc->watch)
		kl_dirtylog_detach(pc->watch, &ignore);
	kl_receiver_free(pc->r);
	mplm_bitmap_free(pc->missing);
	mplm_bitmap_free(pc->placed);
	mplm_bitmap_free(pc->requested);
	free(pc->waiters);
	free(pc->fault_t);
	pthread_mutex_destroy(&pc->lock);
	free(pc);
}

/* missing = discarded | never arrived. */
static void find_missing(struct kl_postcopy_dst *pc)
{
	uint64_t *m = mplm_bitmap_words(pc->missing);
	const uint64_t *a = mplm_bitmap_cwords(pc->r->arrived);
	const uint64_t *d = mplm_bitmap_cwords(pc->r->discard);
	for (uint64_t i = 0; i < mplm_bitmap_nwords(pc->missing); i++)
		m[i] = ~a[i] | d[i];
	pc->nmissing = mplm_bitmap_count(pc->missing);
}

/* Drop the missing pages, run by run: the next touch faults. */
static int drop_missing(struct kl_postcopy_dst *pc, struct kl_err *e)
{
	uint64_t pages = pc->vm->pages;
	for (uint64_t p = mplm_bitmap_find_next_set(pc->missing, 0); p < pages;) {
		uint64_t end = p;
		while (end < pages && mplm_bitmap_test(pc->missing, end))
			end++;
		if (madvise(kl_gpa(pc->vm, p << KL_PAGE_SHIFT), (end - p) << KL_PAGE_SHIFT,
			    MADV_DONTNEED) < 0)
			return kl_fail_errno(e, "madvise(MADV_DONTNEED) of pages %llu..%llu",
					     (unsigned long long)p,
					     (unsigned long long)end - 1);
		p = mplm_bitmap_find_next_set(pc->missing, end);
	}
	return 0;
}

/* A switch that fails here must still be refused cleanly (ACK ok=0, the
 * source resumes): test_postcopy sets this to make it fail the way a
 * refused UFFDIO_REGISTER does. */
#define KL_TEST_FAIL_SWITCH "KVMLITE_TEST_FAIL_POSTCOPY_SWITCH"

struct kl_postcopy_dst *kl_postcopy_dst_new(struct receiver *r, struct kl_err *e)
{
	struct kl_postcopy_dst *pc = calloc(1, sizeof(*pc));
	enum kl_uffd_how how;
	if (!pc) {
		kl_fail(e, "out of memory");
		return NULL;
	}
	pc->r = r;
	pc->vm = r->vm;
	pc->uffd = -1;
	pthread_mutex_init(&pc->lock, NULL);
	uint64_t pages = pc->vm->pages;
	pc->missing = mplm_bitmap_new(pages);
	pc->placed = mplm_bitmap_new(pages);
	pc->requested = mplm_bitmap_new(pages);
	pc->waiters = calloc(pages, sizeof(*pc->waiters));
	pc->fault_t = calloc(pages, sizeof(*pc->fault_t));
	if (!pc->missing || !pc->placed || !pc->requested || !pc->waiters ||
	    !pc->fault_t) {
		kl_fail(e, "out of memory");
		goto fail;
	}
	find_missing(pc);
	pc->uffd = kl_uffd_open(&how, e);
	if (pc->uffd < 0)
		goto fail;
	if (getenv(KL_TEST_FAIL_SWITCH)) {
		kl_fail(e, "UFFDIO_REGISTER of guest RAM: refused on purpose (%s is set)",
			KL_TEST_FAIL_SWITCH);
		goto fail;
	}
	if (kl_uffd_register(pc->uffd, pc->vm->mem, pc->vm->cfg.mem_bytes, e) < 0)
		goto fail;
	pc->registered = true;
	if (drop_missing(pc, e) < 0)
		goto fail;
	return pc;
fail:
	pc->r = NULL; /* the caller still has it, to refuse the switch */
	kl_postcopy_dst_free(pc);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* The fault thread. */

static void note_error(struct kl_postcopy_dst *pc, const struct kl_err *e)
{
	if (!pc->fault_error[0])
		snprintf(pc->fault_error, sizeof(pc->fault_error), "%s", e->msg);
}

/* A page that was valid here yet not present: a zero page fresh memory
 * never materialised (no --prealloc). Its content is zero, here. */
static void place_zero_locally(struct kl_postcopy_dst *pc, uint64_t page)
{
	static const uint8_t zero[KL_PAGE_SIZE];
	struct kl_err e;
	if (kl_uffd_copy(pc->uffd, kl_gpa(pc->vm, page << KL_PAGE_SHIFT), zero, &e) < 0)
		note_error(pc, &e);
}

static void ask_source(struct kl_postcopy_dst *pc, uint64_t page)
{
	struct kl_err e;
	if (mplm_bitmap_test_and_set(pc->requested, page))
		return;
	pc->requests++;
	if (kl_out_record(&pc->r->out, KL_REC_REQUEST, &page, 8, NULL, 0, &e) < 0 ||
	    kl_out_flush(&pc->r->out, &e) < 0)
		note_error(pc, &e);
}

/* A remote fault is one whose page is still missing when its event is
 * read: its wait runs from then to the page's placing (a page placed
 * between the fault and the read only needs its waiters woken). */
static void on_fault(struct kl_postcopy_dst *pc, uint64_t addr)
{
	struct kl_err e;
	uint64_t page = (addr - (uintptr_t)pc->vm->mem) >> KL_PAGE_SHIFT;
	if (page >= pc->vm->pages) /* cannot be: only guest RAM is registered */
		return;
	pthread_mutex_lock(&pc->lock);
	if (mplm_bitmap_test(pc->placed, page)) {
		if (kl_uffd_wake(pc->uffd, (void *)(uintptr_t)addr, KL_PAGE_SIZE, &e) < 0)
			note_error(pc, &e);
	} else if (!mplm_bitmap_test(pc->missing, page)) {
		place_zero_locally(pc, page);
	} else {
		pc->faults++;
		pc->waiters[page]++;
		pc->fault_t[page] += kl_now();
		ask_source(pc, page);
	}
	pthread_mutex_unlock(&pc->lock);
}

static void *fault_main(void *arg)
{
	struct kl_postcopy_dst *pc = arg;
	struct kl_err e;
	for (;;) {
		pthread_mutex_lock(&pc->lock);
		bool stop = pc->stop;
		pthread_mutex_unlock(&pc->lock);
		if (stop)
			return NULL;
		struct pollfd p = { .fd = pc->uffd, .events = POLLIN };
		poll(&p, 1, 50);
		uint64_t addr;
		bool write;
		int r;
		while ((r = kl_uffd_next_fault(pc->uffd, &addr, &write, &e)) > 0)
			on_fault(pc, addr);
		if (r < 0) {
			pthread_mutex_lock(&pc->lock);
			note_error(pc, &e);
			pthread_mutex_unlock(&pc->lock);
			return NULL;
		}
	}
}

/* ------------------------------------------------------------------ */
/* The rest of the stream. */

/* Under pc->lock: the page is in (its hash taken before the lock), its
 * waiters' time is added up. */
static void note_placed(struct kl_postcopy_dst *pc, uint64_t page, uint64_t hash)
{
	double now = kl_now();
	pc->r->page_hash[page] = hash;
	mplm_bitmap_set(pc->placed, page);
	pc->nplaced++;
	pc->wait += pc->waiters[page] * now - pc->fault_t[page];
	pc->waiters[page] = 0;
	pc->t_last = now;
}

/* One page after the switch: it must be one of the missing ones; the
 * first copy is placed (a requested page may also come in the push). */
static int on_page(struct kl_postcopy_dst *pc, const struct kl_rec *rec,
		   bool zero, struct kl_err *e)
{
	struct receiver *r = pc->r;
	uint64_t page;
	if (rec->len != (zero ? 8u : 8u + KL_PAGE_SIZE))
		return kl_fail(e, "%s record of %u bytes at byte %llu",
			       kl_rec_name(rec->type), rec->len,
			       (unsigned long long)rec->offset);
	memcpy(&page, rec->data, 8);
	if (page >= pc->vm->pages || !mplm_bitmap_test(pc->missing, page))
		return kl_fail(e, "page %llu sent after the switch at byte %llu, but it was %s",
			       (unsigned long long)page, (unsigned long long)rec->offset,
			       page >= pc->vm->pages ? "beyond the end of memory"
						     : "already valid here");
	if (zero)
		memset(pc->bounce, 0, KL_PAGE_SIZE);
	else if (kl_rec_copy_checked(rec, 8, pc->bounce, e) < 0)
		return -1;
	if (zero)
		r->zero_records++;
	else
		r->page_records++;
	/* Outside the lock: the fault thread waits on it. */
	uint64_t hash = kl_page_hash(page, pc->bounce);
	pthread_mutex_lock(&pc->lock);
	int ok = 0;
	if (!mplm_bitmap_test(pc->placed, page)) { /* later copies: dropped */
		int placed = kl_uffd_copy(pc->uffd, kl_gpa(pc->vm, page << KL_PAGE_SHIFT),
					  pc->bounce, e);
		if (placed == 0)
			ok = kl_fail(e, "page %llu was present before it arrived",
				     (unsigned long long)page);
		else if (placed < 0)
			ok = -1;
		else
			note_placed(pc, page, hash);
	}
	pthread_mutex_unlock(&pc->lock);
	return ok;
}

/* END: the source sent everything; nothing may still be missing. */
static int on_end(struct kl_postcopy_dst *pc, const struct kl_rec *rec,
		  struct kl_err *e)
{
	if (kl_receiver_check_counts(pc->r, rec, NULL, e) < 0)
		return -1;
	if (pc->nplaced != pc->nmissing) {
		uint64_t first = 0;
		while (first < pc->vm->pages && (!mplm_bitmap_test(pc->missing, first) ||
						 mplm_bitmap_test(pc->placed, first)))
			first++;
		return kl_fail(e, "end of the post-copy stream with %llu of %llu missing pages placed (first still missing: %llu)",
			       (unsigned long long)pc->nplaced,
			       (unsigned long long)pc->nmissing,
			       (unsigned long long)first);
	}
	return 0;
}

static int receive_rest(struct kl_postcopy_dst *pc, struct kl_err *e)
{
	struct kl_rec rec;
	for (;;) {
		int got = kl_in_next_lazy(&pc->r->in, &rec, e);
		if (got == 0)
			return kl_fail(e, "the source closed the connection at byte %llu",
				       (unsigned long long)pc->r->in.offset);
		if (got < 0)
			return -1;
		int ok;
		switch (rec.type) {
		case KL_REC_PAGE:
		case KL_REC_ZERO:
			ok = on_page(pc, &rec, rec.type == KL_REC_ZERO, e);
			break;
		case KL_REC_END:
			return on_end(pc, &rec, e);
		default:
			return kl_fail(e, "unexpected %s record at byte %llu after the switch",
				       kl_rec_name(rec.type),
				       (unsigned long long)rec.offset);
		}
		if (ok < 0)
			return -1;
		pthread_mutex_lock(&pc->lock);
		bool failed = pc->fault_error[0];
		pthread_mutex_unlock(&pc->lock);
		if (failed)
			return kl_fail(e, "fault thread: %s", pc->fault_error);
	}
}

/* COMPLETE: u32 ok, u64 remote faults, u64 pages requested, u64 ns the
 * guest waited, u64 ns of the degradation window, u64 pages placed,
 * then a message. */
static int send_complete(struct kl_postcopy_dst *pc, bool ok, const char *msg,
			 struct kl_err *e)
{
	uint8_t buf[64 + 512];
	struct kl_pack k = { buf, buf + sizeof(buf), false };
	pthread_mutex_lock(&pc->lock);
	double window = pc->t_last > pc->t_start ? pc->t_last - pc->t_start : 0;
	kl_put32(&k, ok);
	kl_put64(&k, pc->faults);
	kl_put64(&k, pc->requests);
	kl_put64(&k, (uint64_t)(pc->wait * 1e9));
	kl_put64(&k, (uint64_t)(window * 1e9));
	kl_put64(&k, pc->nplaced);
	kl_putb(&k, msg, strnlen(msg, 500));
	int r = kl_out_record(&pc->r->out, KL_REC_COMPLETE, buf, (size_t)(k.p - buf),
			      NULL, 0, e);
	if (r == 0)
		r = kl_out_flush(&pc->r->out, e);
	pthread_mutex_unlock(&pc->lock);
	return r;
}

static void fill_result(struct kl_postcopy_dst *pc, struct kl_incoming_result *res)
{
	pthread_mutex_lock(&pc->lock);
	res->postcopy_faults = pc->faults;
	res->postcopy_requests = pc->requests;
	res->postcopy_wait = pc->wait;
	res->postcopy_window = pc->t_last > pc->t_start ? pc->t_last - pc->t_start : 0;
	res->postcopy_pages = pc->nplaced;
	res->postcopy_missing = pc->nmissing;
	pthread_mutex_unlock(&pc->lock);
	res->stream_bytes = pc->r->in.offset;
	res->page_records = pc->r->page_records;
	res->zero_records = pc->r->zero_records;
}

int kl_postcopy_dst_run(struct kl_postcopy_dst *pc, double t_start,
			struct kl_incoming_result *res, struct kl_err *e)
{
	struct kl_err ignore;
	pc->t_start = pc->t_last = t_start;
	kl_set_socket_buffers(pc->r->in.fd, KL_POSTCOPY_SOCKET_BUFFER);
	int r = pthread_create(&pc->fault_thread, NULL, fault_main, pc);
	if (r) {
		errno = r;
		r = kl_fail_errno(e, "starting the fault thread");
	} else {
		pc->fault_running = true;
		r = receive_rest(pc, e);
	}
	if (r == 0)
		r = send_complete(pc, true, "complete", e);
	else
		send_complete(pc, false, e->msg, &ignore);
	fill_result(pc, res);
	if (r < 0) {
		/* Post-copy has no way back: the source stopped for good at
		 * the switch, and the pages still missing exist nowhere else. */
		kl_vm_pause(pc->vm);
		char why[sizeof(e->msg)];
		memcpy(why, e->msg, sizeof(why));
		return kl_fail(e, "post-copy failed after the switch, the guest is lost (%llu of %llu pages never arrived; post-copy cannot fall back to the source): %.300s",
			       (unsigned long long)(res->postcopy_missing - res->postcopy_pages),
			       (unsigned long long)res->postcopy_missing, why);
	}
	/* Every page is here: the whole-memory hash as the guest resumed
	 * from (each page's content on arrival = the source's at pause). */
	res->memhash_at_resume = kl_memhash_of(pc->r->page_hash, pc->vm->pages);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The page-content invariant, checked on the guest's own memory. */

int kl_postcopy_dst_watch(struct kl_postcopy_dst *pc, struct kl_err *e)
{
	pc->watch = kl_dirtylog_attach(pc->vm, e);
	return pc->watch ? 0 : -1;
}

/* Every page the guest has not written since it started here holds what
 * the source had at its pause: the content each page arrived with (the
 * hashes taken on arrival, before the switch or after it). */
int kl_postcopy_dst_check(struct kl_postcopy_dst *pc, uint64_t *checked,
			  struct kl_err *e)
{
	mplm_bitmap *written = mplm_bitmap_new(pc->vm->pages);
	if (!written)
		return kl_fail(e, "out of memory");
	if (kl_dirtylog_read(pc->watch, mplm_bitmap_words(written), e) < 0) {
		mplm_bitmap_free(written);
		return -1;
	}
	uint64_t bad = 0, first_bad = 0;
	*checked = 0;
	for (uint64_t p = 0; p < pc->vm->pages; p++) {
		if (mplm_bitmap_test(written, p))
			continue;
		++*checked;
		if (kl_page_hash(p, kl_gpa(pc->vm, p << KL_PAGE_SHIFT)) != pc->r->page_hash[p] &&
		    !bad++)
			first_bad = p;
	}
	mplm_bitmap_free(written);
	if (bad)
		return kl_fail(e, "post-copy: %llu of %llu pages the guest did not write here differ from the source's at its pause (first: page %llu)",
			       (unsigned long long)bad, (unsigned long long)*checked,
			       (unsigned long long)first_bad);
	return 0;
}
