/*
 * postcopy_src.c - post-copy on the source (STREAM.md, "Post-copy"): the
 * back end's three post-copy hooks and the switch.
 *
 * The engine hands over the discard set (DISCARD records), then the
 * state, then start_destination, which here sends POSTCOPY instead of
 * END and waits for the ACK as for END: the destination's commit point.
 * From then on a reader thread takes the return path: REQUEST records
 * go into a queue the engine drains before each page it pushes
 * (postcopy_next_request), and COMPLETE, after END, says every page
 * arrived and how long the guest waited for them.
 */
#include "source.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct kl_postcopy_src {
	uint64_t discarded;

	pthread_t reader;
	bool reader_running;
	pthread_mutex_t lock; /* everything below */
	bool stop;
	uint64_t *queue;      /* requested pages, a ring */
	size_t qcap, qhead, qlen;
	bool complete, failed;
	pthread_cond_t ended;  /* complete or failed became true */
	bool complete_ok;
	double wait;          /* s the destination's guest waited, summed */
	char msg[512];        /* COMPLETE's message, or why the path failed */
};

/* ------------------------------------------------------------------ */
/* The discard set. */

static int send_ranges(struct kl_source *s, uint8_t *buf, uint32_t n,
		       struct kl_err *e)
{
	memcpy(buf, &n, 4);
	return kl_out_record(&s->out, KL_REC_DISCARD, buf, 4 + 16ull * n, NULL, 0, e);
}

/* Runs of set bits, KL_DISCARD_RANGES_MAX ranges to a record. */
static int send_discard(struct kl_source *s, const mplm_bitmap *d, struct kl_err *e)
{
	uint64_t pages = mplm_bitmap_nbits(d);
	uint8_t *buf = malloc(4 + 16ull * KL_DISCARD_RANGES_MAX);
	uint32_t n = 0;
	if (!buf)
		return kl_fail(e, "out of memory");
	for (uint64_t p = mplm_bitmap_find_next_set(d, 0); p < pages;) {
		uint64_t end = p;
		while (end < pages && mplm_bitmap_test(d, end))
			end++;
		uint64_t range[2] = { p, end - p };
		memcpy(buf + 4 + 16ull * n, range, 16);
		if (++n == KL_DISCARD_RANGES_MAX) {
			if (send_ranges(s, buf, n, e) < 0)
				goto fail;
			n = 0;
		}
		p = mplm_bitmap_find_next_set(d, end);
	}
	if (n && send_ranges(s, buf, n, e) < 0)
		goto fail;
	free(buf);
	return 0;
fail:
	free(buf);
	return -1;
}

int kl_postcopy_src_discard(void *ctx, const mplm_bitmap *discard)
{
	struct kl_source *s = ctx;
	struct kl_err e;
	struct kl_postcopy_src *pc = calloc(1, sizeof(*pc));
	if (!pc)
		return kl_source_fail(s, &(struct kl_err){ "out of memory" });
	pthread_mutex_init(&pc->lock, NULL);
	/* kl_now's clock, for the timed wait for COMPLETE. */
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&pc->ended, &ca);
	pthread_condattr_destroy(&ca);
	pc->discarded = mplm_bitmap_count(discard);
	pthread_mutex_lock(&s->lock);
	s->pc = pc;
	pthread_mutex_unlock(&s->lock);
	return send_discard(s, discard, &e) < 0 ? kl_source_fail(s, &e) : 0;
}

/* ------------------------------------------------------------------ */
/* The return path. */

static void path_failed(struct kl_postcopy_src *pc, const char *why)
{
	pthread_mutex_lock(&pc->lock);
	if (!pc->failed && !pc->complete) {
		pc->failed = true;
		snprintf(pc->msg, sizeof(pc->msg), "%s", why);
		pthread_cond_broadcast(&pc->ended);
	}
	pthread_mutex_unlock(&pc->lock);
}

static int push_request(struct kl_postcopy_src *pc, uint64_t page)
{
	pthread_mutex_lock(&pc->lock);
	if (pc->qlen == pc->qcap) {
		size_t cap = pc->qcap ? 2 * pc->qcap : 1024;
		uint64_t *q = malloc(cap * sizeof(*q));
		if (!q) {
			pthread_mutex_unlock(&pc->lock);
			return -1;
		}
		for (size_t i = 0; i < pc->qlen; i++)
			q[i] = pc->queue[(pc->qhead + i) % pc->qcap];
		free(pc->queue);
		pc->queue = q;
		pc->qcap = cap;
		pc->qhead = 0;
	}
	pc->queue[(pc->qhead + pc->qlen++) % pc->qcap] = page;
	pthread_mutex_unlock(&pc->lock);
	return 0;
}

/* COMPLETE: u32 ok, u64 faults, u64 requests, u64 wait ns, u64 window
 * ns, u64 pages placed, message. The source keeps the wait (the engine's
 * fault wait); the other figures are the destination's to report (its
 * result file), so they are skipped. */
static int on_complete(struct kl_postcopy_src *pc, const struct kl_rec *rec)
{
	struct kl_unpack u = { rec->data, rec->data + rec->len, false };
	uint32_t ok = kl_get32(&u);
	kl_getb(&u, 2 * 8); /* faults, requests */
	uint64_t wait_ns = kl_get64(&u);
	kl_getb(&u, 2 * 8); /* window, pages placed */
	if (u.short_read)
		return -1;
	pthread_mutex_lock(&pc->lock);
	size_t n = (size_t)(u.end - u.p);
	n = n < sizeof(pc->msg) - 1 ? n : sizeof(pc->msg) - 1;
	memcpy(pc->msg, u.p, n);
	pc->msg[n] = 0;
	pc->complete = true;
	pc->complete_ok = ok;
	pc->wait = (double)wait_ns * 1e-9;
	pthread_cond_broadcast(&pc->ended);
	pthread_mutex_unlock(&pc->lock);
	return 0;
}

static bool should_stop(struct kl_postcopy_src *pc)
{
	pthread_mutex_lock(&pc->lock);
	bool stop = pc->stop;
	pthread_mutex_unlock(&pc->lock);
	return stop;
}

/* Requests arrive whenever a vCPU faults, maybe not for a long while:
 * wait for the first byte without a timeout (but checking for the end),
 * then for the whole record within the stream's io-timeout. */
static void *reader_main(void *arg)
{
	struct kl_source *s = arg;
	struct kl_postcopy_src *pc = s->pc;
	struct kl_err e;
	struct kl_rec rec;
	while (!should_stop(pc)) {
		if (s->in.pos == s->in.end) {
			struct pollfd p = { .fd = s->fd, .events = POLLIN };
			if (poll(&p, 1, 100) <= 0)
				continue;
		}
		int got = kl_in_next(&s->in, &rec, &e);
		if (got <= 0) {
			path_failed(pc, got == 0 ? "the destination closed the return path" : e.msg);
			return NULL;
		}
		uint64_t page;
		if (rec.type == KL_REC_REQUEST && rec.len == 8) {
			memcpy(&page, rec.data, 8);
			if (push_request(pc, page) < 0) {
				path_failed(pc, "out of memory for page requests");
				return NULL;
			}
		} else if (rec.type == KL_REC_COMPLETE) {
			if (on_complete(pc, &rec) < 0)
				path_failed(pc, "malformed complete record");
			return NULL;
		} else {
			snprintf(e.msg, sizeof(e.msg), "unexpected %s record of %u bytes on the return path",
				 kl_rec_name(rec.type), rec.len);
			path_failed(pc, e.msg);
			return NULL;
		}
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* The switch and the end. */

int kl_postcopy_src_switch(struct kl_source *s)
{
	struct kl_postcopy_src *pc = s->pc;
	struct kl_err e;
	uint8_t buf[48];
	size_t len;
	kl_source_end_counts(s, buf, sizeof(buf), &len);
	memcpy(buf + len, &pc->discarded, 8);
	/* As with END: a POSTCOPY that never left whole cannot have been
	 * acted on, so the source may resume. */
	if (kl_out_record(&s->out, KL_REC_POSTCOPY, buf, len + 8, NULL, 0, &e) < 0 ||
	    kl_out_flush(&s->out, &e) < 0)
		return kl_source_fail(s, &e);
	int v = kl_source_await_ack(s);
	if (v != 0)
		return v;
	kl_set_socket_buffers(s->fd, KL_POSTCOPY_SOCKET_BUFFER);
	kl_out_set_flush_max(&s->out, KL_POSTCOPY_FLUSH_AT);
	pthread_mutex_lock(&s->lock);
	s->postcopy_committed = true;
	pthread_mutex_unlock(&s->lock);
	int r = pthread_create(&pc->reader, NULL, reader_main, s);
	if (r) {
		errno = r;
		kl_fail_errno(&e, "starting the return-path reader");
		path_failed(pc, e.msg); /* the push fails at its first request */
	} else {
		pc->reader_running = true;
	}
	return 0;
}

int kl_postcopy_src_next_request(void *ctx, uint64_t *page)
{
	struct kl_source *s = ctx;
	struct kl_postcopy_src *pc = s->pc;
	struct kl_err e;
	int r = 0;
	pthread_mutex_lock(&pc->lock);
	if (pc->qlen) {
		*page = pc->queue[pc->qhead];
		pc->qhead = (pc->qhead + 1) % pc->qcap;
		pc->qlen--;
		r = 1;
		/* A vCPU waits for it: not behind a buffer of pushed pages. */
		s->flush_next = true;
	} else if (pc->failed) {
		snprintf(e.msg, sizeof(e.msg), "return path: %.480s", pc->msg);
		r = -1;
	} else if (pc->complete && !pc->complete_ok) {
		/* Its reader stopped at COMPLETE: no request comes any more. */
		snprintf(e.msg, sizeof(e.msg), "destination gave up: %.480s", pc->msg);
		r = -1;
	}
	pthread_mutex_unlock(&pc->lock);
	return r < 0 ? kl_source_fail(s, &e) : r;
}

int kl_postcopy_src_done(void *ctx, double *fault_wait)
{
	struct kl_source *s = ctx;
	struct kl_postcopy_src *pc = s->pc;
	struct kl_err e;
	if (kl_source_send_end(s) < 0)
		return -1;
	/* The destination answers once it placed the last page; it gives up
	 * on a stalled stream after io_timeout, so wait past that. */
	double wait = 2 * s->o.io_timeout + 1;
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += (time_t)wait;
	deadline.tv_nsec += (long)((wait - (double)(time_t)wait) * 1e9);
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&pc->lock);
	while (!pc->complete && !pc->failed &&
	       pthread_cond_timedwait(&pc->ended, &pc->lock, &deadline) != ETIMEDOUT)
		;
	bool ok = pc->complete && pc->complete_ok;
	if (ok)
		*fault_wait = pc->wait;
	else
		snprintf(e.msg, sizeof(e.msg), "%s",
			 pc->complete ? pc->msg : pc->failed ? pc->msg
				      : "no complete record from the destination in time");
	pthread_mutex_unlock(&pc->lock);
	return ok ? 0 : kl_source_fail(s, &e);
}

void kl_postcopy_src_stop(struct kl_source *s)
{
	struct kl_postcopy_src *pc = s->pc;
	if (!pc || !pc->reader_running)
		return;
	pthread_mutex_lock(&pc->lock);
	pc->stop = true;
	pthread_mutex_unlock(&pc->lock);
	pthread_join(pc->reader, NULL);
	pc->reader_running = false;
}

void kl_postcopy_src_free(struct kl_source *s)
{
	struct kl_postcopy_src *pc = s->pc;
	if (!pc)
		return;
	kl_postcopy_src_stop(s);
	free(pc->queue);
	pthread_cond_destroy(&pc->ended);
	pthread_mutex_destroy(&pc->lock);
	free(pc);
	s->pc = NULL;
}
