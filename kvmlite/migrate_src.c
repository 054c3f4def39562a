/*
 * migrate_src.c - the migration source: kvmlite as an mplm-core back end.
 *
 * mplm-core decides what to send when; this file does it on a real VM:
 * the clock is CLOCK_MONOTONIC, the dirty log is KVM's, a page goes out
 * as a PAGE record (or a ZERO marker) through a large buffered, rate-
 * limited socket writer, stop_guest parks every vCPU, and
 * start_destination sends the end marker and waits for the
 * destination's verdict. On any failure the guest keeps (or goes back
 * to) running here.
 */
#include "source.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

void kl_mig_opts_default(struct kl_mig_opts *o)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->uri, sizeof(o->uri), "tcp:127.0.0.1:4444");
	mplm_params_default(&o->params);
	o->params.max_bandwidth = 0; /* kvmlite: unlimited unless asked */
	o->connect_timeout = 10;
	o->io_timeout = 10;
	o->buffer_bytes = 1 << 20;
	o->extend_live_at = -1;
	o->end_live_at = -1;
	o->start_postcopy_at = -1;
}

int kl_source_fail(struct kl_source *s, struct kl_err *e)
{
	if (!s->err.msg[0])
		s->err = *e;
	return -1;
}

/* ------------------------------------------------------------------ */
/* The back end. */

static double be_now(void *ctx)
{
	(void)ctx;
	return kl_now();
}

static void be_set_max_bandwidth(void *ctx, double bytes_per_s)
{
	struct kl_source *s = ctx;
	kl_out_set_rate(&s->out, mplm_wire_rate(s->o.link_bandwidth, bytes_per_s));
}

static void be_set_throttle(void *ctx, unsigned pct)
{
	kl_vm_set_throttle(((struct kl_source *)ctx)->vm, pct);
}

static int be_sync_dirty_log(void *ctx, mplm_bitmap *dirty)
{
	struct kl_source *s = ctx;
	struct kl_err e;
	int r = 0;
	if (!s->log) /* sync 0: start logging; every page is queued anyway */
		r = (s->log = kl_dirtylog_attach(s->vm, &e)) ? 0 : -1;
	else
		r = kl_dirtylog_read(s->log, mplm_bitmap_words(dirty), &e);
	return r < 0 ? kl_source_fail(s, &e) : 0;
}

static int be_send_page(void *ctx, uint64_t page, struct mplm_page_sent *out)
{
	struct kl_source *s = ctx;
	struct kl_err e;
	bool zero;
	uint32_t wire;
	if (kl_out_page(&s->out, page, kl_gpa(s->vm, page << KL_PAGE_SHIFT),
			&zero, &wire, &e) < 0)
		return kl_source_fail(s, &e);
	if (s->flush_next) {
		s->flush_next = false;
		if (kl_out_flush(&s->out, &e) < 0)
			return kl_source_fail(s, &e);
	}
	out->zero = zero;
	out->wire_bytes = wire;
	if (zero)
		s->zero_records++;
	else
		s->page_records++;
	return 0;
}

static int be_stop_guest(void *ctx)
{
	struct kl_source *s = ctx;
	kl_vm_pause(s->vm);
	return 0;
}

static int send_vcpu(struct kl_source *s, unsigned i, uint64_t *bytes,
		     struct kl_err *e)
{
	struct kl_vcpu_saved st;
	uint8_t *rec = NULL;
	size_t len = 0;
	int r = kl_vcpu_save(&s->vm->vcpus[i], &st, e);
	if (r == 0)
		r = kl_vcpu_record(&st, i, &rec, &len, e);
	if (r == 0)
		r = kl_out_record(&s->out, KL_REC_VCPU, rec, len, NULL, 0, e);
	*bytes += len + KL_REC_OVERHEAD;
	free(rec);
	kl_vcpu_state_free(&st);
	return r;
}

static int be_send_state(void *ctx, uint64_t *wire_bytes)
{
	struct kl_source *s = ctx;
	struct kl_err e;
	uint64_t bytes = 0;

	for (unsigned i = 0; i < s->vm->cfg.nvcpus; i++)
		if (send_vcpu(s, i, &bytes, &e) < 0)
			return kl_source_fail(s, &e);
	size_t dlen = kl_dev_state_size(&s->vm->dev);
	uint8_t *dev = malloc(dlen);
	if (!dev)
		return kl_source_fail(s, &(struct kl_err){ "out of memory" });
	kl_dev_save(&s->vm->dev, dev);
	int r = kl_out_record(&s->out, KL_REC_DEVICES, dev, dlen, NULL, 0, &e);
	free(dev);
	if (r < 0)
		return kl_source_fail(s, &e);
	*wire_bytes = bytes + dlen + KL_REC_OVERHEAD;
	return 0;
}

/* END carries the counts, so the destination can tell a complete stream.
 * The commit point is the destination's: it runs the guest only after a
 * complete, verified END. So the source may resume only when that cannot
 * have happened (END never fully left this host) or the destination said
 * so (a valid ACK ok=0); any other end is an unknown outcome and the guest
 * stays paused here (STREAM.md, "The end of a migration"). */
void kl_source_end_counts(struct kl_source *s, uint8_t *buf, size_t cap,
			  size_t *len)
{
	struct kl_pack k = { buf, buf + cap, false };
	kl_put64(&k, s->page_records);
	kl_put64(&k, s->zero_records);
	kl_put32(&k, s->vm->cfg.nvcpus);
	kl_put32(&k, 1);
	kl_put64(&k, s->out.bytes + s->out.len);
	*len = (size_t)(k.p - buf);
}

int kl_source_await_ack(struct kl_source *s)
{
	struct kl_err e;
	char msg[512];
	/* The destination refuses a stream that stalls for io_timeout, and
	 * says so: wait past that, so a late refusal still counts as one. */
	s->in.deadline = kl_now() + 2 * s->o.io_timeout + 1;
	int v = kl_read_verdict(&s->in, KL_REC_ACK, msg, sizeof(msg), &e);
	s->in.deadline = 0;
	if (v == 0)
		return 0;
	kl_source_fail(s, &e);
	return v < 0 ? MPLM_DEST_UNKNOWN : -1;
}

int kl_source_send_end(struct kl_source *s)
{
	struct kl_err e;
	uint8_t end[32];
	size_t len;
	kl_source_end_counts(s, end, sizeof(end), &len);
	/* A failed flush left part of END unsent: the destination cannot
	 * have it whole. */
	if (kl_out_record(&s->out, KL_REC_END, end, len, NULL, 0, &e) < 0 ||
	    kl_out_flush(&s->out, &e) < 0)
		return kl_source_fail(s, &e);
	return 0;
}

static int be_start_destination(void *ctx)
{
	struct kl_source *s = ctx;
	if (s->pc)
		return kl_postcopy_src_switch(s);
	if (kl_source_send_end(s) < 0)
		return -1;
	return kl_source_await_ack(s);
}

static int be_resume_source(void *ctx)
{
	struct kl_source *s = ctx;
	kl_vm_resume(s->vm);
	return 0;
}

static void be_wait(void *ctx, double seconds)
{
	struct kl_source *s = ctx;
	struct kl_err e;
	/* Keep the buffer moving while idle, then sleep. */
	if (kl_out_flush(&s->out, &e) < 0)
		kl_source_fail(s, &e);
	if (seconds > 0.5)
		seconds = 0.5;
	struct timespec t = { 0, (long)(seconds * 1e9) };
	nanosleep(&t, NULL);
}

/* Long migrations show how they go, twice a second, on a terminal. */
static void draw_progress(struct kl_source *s, double t)
{
	struct mplm_stats st;
	if (!s->progress || t - s->t_progress < 0.5)
		return;
	s->t_progress = t;
	mplm_migration_stats(s->m, &st);
	fprintf(stderr, "\rkvmlite: migrating %6.1f s: %8.1f MB sent at %6.1f MB/s, %8.1f MB to go, %3" PRIu64 " syncs ",
		t, (double)st.transferred / 1e6,
		t > 0 ? (double)st.transferred / 1e6 / t : 0,
		(double)st.remaining / 1e6, st.dirty_sync_count);
	fflush(stderr);
}

/* The progress line. */
static void be_poll(void *ctx)
{
	struct kl_source *s = ctx;
	draw_progress(s, kl_now() - s->t_start);
}

static const struct mplm_backend backend_ops = {
	.now = be_now,
	.set_max_bandwidth = be_set_max_bandwidth,
	.set_throttle = be_set_throttle,
	.sync_dirty_log = be_sync_dirty_log,
	.send_page = be_send_page,
	.stop_guest = be_stop_guest,
	.send_state = be_send_state,
	.start_destination = be_start_destination,
	.resume_source = be_resume_source,
	.wait = be_wait,
	.poll = be_poll,
	.postcopy_discard = kl_postcopy_src_discard,
	.postcopy_next_request = kl_postcopy_src_next_request,
	.postcopy_done = kl_postcopy_src_done,
};

/* ------------------------------------------------------------------ */

int kl_mig_opts_check(const struct kl_mig_opts *o, struct kl_err *e)
{
	char why[200];
	if (mplm_params_check(&o->params, why, sizeof(why)) < 0)
		return kl_fail(e, "migration parameters: %s", why);
	if (o->start_postcopy_at >= 0 && !o->params.postcopy_ram)
		return kl_fail(e, "start-postcopy-at needs postcopy-ram on");
	return 0;
}

kl_source *kl_source_new(struct kl_vm *vm, const struct kl_mig_opts *o,
			 struct kl_err *e)
{
	if (kl_mig_opts_check(o, e) < 0)
		return NULL;
	struct kl_source *s = calloc(1, sizeof(*s));
	if (!s) {
		kl_fail(e, "out of memory");
		return NULL;
	}
	s->vm = vm;
	s->o = *o;
	s->fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	s->final.status = MPLM_STATUS_SETUP;
	s->final.total = vm->cfg.mem_bytes;
	return s;
}

/* Connect, send the header, and wait for the destination to accept it. */
static int handshake(struct kl_source *s, struct kl_err *e)
{
	struct kl_stream_header h;
	uint8_t buf[8192];
	char msg[512];

	int fd = kl_connect(s->o.uri, s->o.connect_timeout, e);
	if (fd < 0)
		return -1;
	pthread_mutex_lock(&s->lock);
	s->fd = fd;
	bool cancelled = s->early_cancel;
	pthread_mutex_unlock(&s->lock);
	if (cancelled)
		return kl_fail(e, "cancelled");
	kl_set_io_timeout(s->fd, s->o.io_timeout);
	if (kl_out_init(&s->out, s->fd, s->o.buffer_bytes, e) < 0 ||
	    kl_in_init(&s->in, s->fd, 64 * 1024, e) < 0)
		return -1;
	s->have_io = true;
	kl_header_of(s->vm, &h);
	/* Version 2 only when post-copy may happen: a pre-copy stream still
	 * reads in a kvmlite without post-copy. */
	if (s->o.params.postcopy_ram)
		h.version = KL_STREAM_VERSION_POSTCOPY;
	size_t n = kl_header_pack(&h, buf, sizeof(buf));
	if (!n)
		return kl_fail(e, "stream header does not fit its buffer");
	if (kl_out_record(&s->out, KL_REC_HEADER, buf, n, NULL, 0, e) < 0 ||
	    kl_out_flush(&s->out, e) < 0)
		return -1;
	/* The whole answer within io_timeout, however it trickles in. */
	s->in.deadline = kl_now() + s->o.io_timeout;
	int v = kl_read_verdict(&s->in, KL_REC_HELLO, msg, sizeof(msg), e);
	s->in.deadline = 0;
	return v ? -1 : 0;
}

static void set_error(struct kl_source *s, const char *what)
{
	pthread_mutex_lock(&s->lock);
	if (s->err.msg[0] && what)
		snprintf(s->error, sizeof(s->error), "%s: %s", what, s->err.msg);
	else
		snprintf(s->error, sizeof(s->error), "%s",
			 s->err.msg[0] ? s->err.msg : what ? what : "");
	s->final.error = s->error;
	pthread_mutex_unlock(&s->lock);
}

static int fail_early(struct kl_source *s, struct kl_err *e)
{
	kl_source_fail(s, e);
	pthread_mutex_lock(&s->lock);
	s->final.status = s->early_cancel ? MPLM_STATUS_CANCELLED : MPLM_STATUS_FAILED;
	pthread_mutex_unlock(&s->lock);
	set_error(s, NULL);
	return -1;
}

static void finish(struct kl_source *s)
{
	struct kl_err e;
	struct mplm_stats st;

	mplm_migration_stats(s->m, &st);
	kl_postcopy_src_stop(s);
	if (s->t_progress > 0)
		fputc('\n', stderr);
	if (kl_dirtylog_detach(s->log, &e) < 0)
		fprintf(stderr, "kvmlite: %s\n", e.msg);
	s->log = NULL;
	/* Completed: this VM stays paused, and its memory is what the
	 * destination resumed from. */
	if (st.status == MPLM_STATUS_COMPLETED || st.status == MPLM_STATUS_UNKNOWN)
		s->memhash_at_pause = kl_vm_memhash(s->vm);
	pthread_mutex_lock(&s->lock);
	s->final = st;
	s->ran = true;
	pthread_mutex_unlock(&s->lock);
	if (st.status == MPLM_STATUS_UNKNOWN)
		set_error(s, "outcome unknown: the stream was complete but the destination's answer never came; "
			     "the guest stays paused here and may be running there: check the destination, "
			     "and `cont` here only if it does not run the guest");
	else if (st.status != MPLM_STATUS_COMPLETED)
		set_error(s, st.error ? st.error : mplm_status_name(st.status));
}

int kl_source_run(kl_source *s)
{
	struct kl_err e;
	struct mplm_backend be = backend_ops;

	be.ctx = s;
	be.link_bandwidth = s->o.link_bandwidth;
	if (handshake(s, &e) < 0)
		return fail_early(s, &e);
	mplm_migration *m = mplm_migration_new(s->vm->pages, KL_PAGE_SIZE,
					       &s->o.params, &be);
	if (!m)
		return fail_early(s, &(struct kl_err){ "cannot create the migration" });
	/* What the operator asked during the handshake, taken with s->m set:
	 * from now on the commands go to the engine. */
	pthread_mutex_lock(&s->lock);
	s->m = m;
	bool cancelled = s->early_cancel, extend = s->o.extend_live;
	double postcopy_at = s->o.start_postcopy_at;
	pthread_mutex_unlock(&s->lock);
	if (cancelled)
		mplm_migration_cancel(m);
	if (extend)
		mplm_migration_extend_live(m);
	mplm_migration_schedule(m, s->o.extend_live_at, s->o.end_live_at);
	/* postcopy-ram is on if this is set (kl_source_new and
	 * kl_source_start_postcopy checked). */
	mplm_migration_schedule_postcopy(m, postcopy_at, NULL, 0);
	s->t_start = kl_now();
	s->progress = isatty(STDERR_FILENO);
	mplm_migration_run(m);
	finish(s);
	if (s->o.print_syncs) {
		size_t n;
		const struct mplm_sync_record *r = mplm_migration_syncs(m, &n);
		char line[512];
		for (size_t i = 0; i < n; i++) {
			mplm_format_sync_record(&r[i], s->vm->pages, line, sizeof(line));
			fputs(line, stdout);
		}
	}
	if (s->final.status == MPLM_STATUS_COMPLETED)
		return KL_MIG_DONE;
	if (s->final.status == MPLM_STATUS_UNKNOWN)
		return KL_MIG_UNKNOWN;
	return s->postcopy_committed ? KL_MIG_LOST : KL_MIG_FAILED;
}

void kl_source_free(kl_source *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	if (s->have_io) {
		kl_out_free(&s->out);
		kl_in_free(&s->in);
	}
	kl_postcopy_src_free(s);
	mplm_migration_free(s->m);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* Operator commands: to the engine while it runs, else remembered. */
void kl_source_cancel(kl_source *s)
{
	pthread_mutex_lock(&s->lock);
	/* The destination runs the guest with pages only this side has:
	 * cutting the stream would lose it (the engine ignores it too). */
	if (s->postcopy_committed) {
		pthread_mutex_unlock(&s->lock);
		return;
	}
	s->early_cancel = true;
	if (s->m && !s->ran)
		mplm_migration_cancel(s->m);
	/* A send or a wait for the destination (the handshake's too) ends
	 * now, not at its timeout. */
	if (s->fd >= 0 && !s->ran)
		shutdown(s->fd, SHUT_RDWR);
	pthread_mutex_unlock(&s->lock);
}

void kl_source_extend_live(kl_source *s)
{
	pthread_mutex_lock(&s->lock);
	s->o.extend_live = true;
	if (s->m && !s->ran)
		mplm_migration_extend_live(s->m);
	pthread_mutex_unlock(&s->lock);
}

void kl_source_end_live(kl_source *s)
{
	pthread_mutex_lock(&s->lock);
	if (s->m && !s->ran)
		mplm_migration_end_live(s->m);
	pthread_mutex_unlock(&s->lock);
}

bool kl_source_postcopy_committed(kl_source *s)
{
	pthread_mutex_lock(&s->lock);
	bool c = s->postcopy_committed;
	pthread_mutex_unlock(&s->lock);
	return c;
}

int kl_source_start_postcopy(kl_source *s, char *err, size_t errlen)
{
	int r = -1;
	if (s)
		pthread_mutex_lock(&s->lock);
	if (s && s->m && !s->ran) {
		r = mplm_migration_start_postcopy(s->m, err, errlen);
	} else if (s && !s->ran && s->o.params.postcopy_ram) {
		/* Still in the handshake, yet `migrate` said ok: remembered
		 * for the engine, as extend-live is. */
		s->o.start_postcopy_at = 0;
		r = 0;
	} else {
		snprintf(err, errlen, "Postcopy must be started after migration has been started");
	}
	if (s)
		pthread_mutex_unlock(&s->lock);
	return r;
}

void kl_source_set_downtime_limit(kl_source *s, double seconds)
{
	pthread_mutex_lock(&s->lock);
	s->o.params.downtime_limit = seconds;
	if (s->m && !s->ran)
		mplm_migration_set_downtime_limit(s->m, seconds);
	pthread_mutex_unlock(&s->lock);
}

void kl_source_set_max_bandwidth(kl_source *s, double bytes_per_s)
{
	pthread_mutex_lock(&s->lock);
	s->o.params.max_bandwidth = bytes_per_s;
	if (s->m && !s->ran)
		mplm_migration_set_max_bandwidth(s->m, bytes_per_s);
	pthread_mutex_unlock(&s->lock);
}

/* An end state is reported once this side is done with it too (dirty
 * logging off, memory hash taken, records readable): until then, still
 * active. */
void kl_source_stats(kl_source *s, struct mplm_stats *st)
{
	pthread_mutex_lock(&s->lock);
	if (s->m && !s->ran) {
		mplm_migration_stats(s->m, st);
		if (st->status != MPLM_STATUS_SETUP &&
		    st->status != MPLM_STATUS_POSTCOPY_ACTIVE)
			st->status = MPLM_STATUS_ACTIVE;
	} else {
		*st = s->final;
	}
	pthread_mutex_unlock(&s->lock);
}

const struct mplm_sync_record *kl_source_syncs(kl_source *s, size_t *n)
{
	*n = 0;
	pthread_mutex_lock(&s->lock);
	bool ran = s->m && s->ran;
	pthread_mutex_unlock(&s->lock);
	return ran ? mplm_migration_syncs(s->m, n) : NULL;
}

const char *kl_source_error(kl_source *s)
{
	return s->error;
}

const struct mplm_params *kl_source_params(kl_source *s)
{
	return &s->o.params;
}

uint64_t kl_source_memhash_at_pause(kl_source *s)
{
	return s->memhash_at_pause;
}

uint64_t kl_source_stream_bytes(kl_source *s)
{
	return s->have_io ? s->out.bytes : 0;
}

double kl_source_started_at(kl_source *s)
{
	return s->t_start;
}
