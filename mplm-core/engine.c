/*
 * engine.c - runs one migration: setup, a live stage chosen by the
 * algorithm, then the stop-and-copy downtime. The live stages themselves
 * are in precopy.c, mplm_qemu.c and mplm_paper.c; everything they share is here.
 */
#include "engine.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

mplm_migration *mplm_migration_new(uint64_t pages, uint32_t page_size,
				   const struct mplm_params *params,
				   const struct mplm_backend *backend)
{
	if (pages == 0 || page_size == 0 || mplm_params_check(params, NULL, 0))
		return NULL;
	if (!backend->now || !backend->sync_dirty_log || !backend->send_page ||
	    !backend->stop_guest || !backend->send_state ||
	    !backend->start_destination ||
	    mplm_backend_check(params, backend, NULL, 0) < 0)
		return NULL;

	mplm_migration *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->pages = pages;
	m->page_size = page_size;
	m->params = *params;
	m->be = *backend;
	m->new_downtime_limit = m->new_max_bandwidth = -1;
	autoconverge_init(&m->ac, params->cpu_throttle_initial,
			  params->cpu_throttle_increment);
	m->extend_live_at = m->end_live_at = m->start_postcopy_at = -1;
	atomic_init(&m->start_postcopy, false);
	atomic_init(&m->extend_live, false);
	atomic_init(&m->end_live, false);
	atomic_init(&m->cancel, false);
	pthread_mutex_init(&m->lock, NULL);

	/* MPLM starts with every page non-dirty and never sent; pre-copy
	 * and stop-and-copy start with every page marked to send. */
	bool mplm = params->algorithm == MPLM_ALG_MPLM;
	m->log = mplm_bitmap_new(pages);
	if (!m->log || pageset_init(&m->nd, pages, mplm) < 0 ||
	    pageset_init(&m->d, pages, !mplm) < 0) {
		mplm_migration_free(m);
		return NULL;
	}
	m->log_words = mplm_bitmap_nwords(m->log);
	if (backend->dirty_log_words)
		backend->dirty_log_words(backend->ctx, &m->log_first, &m->log_words);
	m->st.total = pages * (uint64_t)page_size;
	m->step_pages = ENGINE_STEP_PAGES;
	m->st.metadata_bytes = 3 * mplm_bitmap_nwords(m->log) * sizeof(uint64_t);
	m->published = m->st;
	return m;
}

void mplm_migration_free(mplm_migration *m)
{
	if (!m)
		return;
	pageset_destroy(&m->nd);
	pageset_destroy(&m->d);
	mplm_bitmap_free(m->log);
	free(m->syncs);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

double engine_bandwidth(const struct mplm_migration *m)
{
	if (m->params.threshold_bandwidth == MPLM_THRESHOLD_MAX_BANDWIDTH) {
		double rate = mplm_wire_rate(m->be.link_bandwidth,
					     m->params.max_bandwidth);
		if (rate > 0)
			return rate;
	}
	return m->bw_est; /* QEMU 2.9; also when no rate is configured */
}

int engine_send(struct mplm_migration *m, struct pageset *from, uint64_t page)
{
	struct mplm_page_sent ps = { 0, false };

	pageset_remove(from, page);
	if (m->be.send_page(m->be.ctx, page, &ps) < 0) {
		m->st.error = "sending a page failed";
		return -1;
	}
	m->st.transferred += ps.wire_bytes;
	m->cur.bytes += ps.wire_bytes;
	m->win_bytes += ps.wire_bytes;
	if (ps.zero)
		m->st.duplicate++;
	else
		m->st.normal++;
	if (from == &m->nd)
		m->cur.sent_nd++;
	else
		m->cur.sent_d++;
	return 0;
}

/* A run stops before an engine_step would be due: the current page's
 * tick has been counted, each further page counts one more. */
static unsigned ticks_left(const struct mplm_migration *m)
{
	return m->step_pages - m->since_step;
}

/* The run's pages leave the set and are counted: the back end sent the
 * set's pages in [page, rs->last], every one of them (address order),
 * within [page, end). -1 when what it reported says otherwise: the set
 * keeps its true count and the migration fails, rather than drift. */
static int run_sent(struct mplm_migration *m, struct pageset *from,
		    uint64_t page, uint64_t end, const struct mplm_run_sent *rs)
{
	bool in_run = rs->last >= page && rs->last < end;
	uint64_t cleared = rs->pages && in_run
				   ? mplm_bitmap_clear_range(from->bits, page, rs->last)
				   : 0;
	from->count -= cleared;
	m->st.transferred += rs->wire_bytes;
	m->cur.bytes += rs->wire_bytes;
	m->win_bytes += rs->wire_bytes;
	m->st.duplicate += rs->zero;
	m->st.normal += rs->pages - rs->zero;
	if (from == &m->nd)
		m->cur.sent_nd += rs->pages;
	else
		m->cur.sent_d += rs->pages;
	if (rs->pages && !in_run)
		snprintf(m->error_buf, sizeof(m->error_buf),
			 "the back end's send run broke its contract: its last page "
			 "%" PRIu64 " lies outside the run [%" PRIu64 ", %" PRIu64 ")",
			 rs->last, page, end);
	else if (cleared != rs->pages || rs->zero > rs->pages)
		snprintf(m->error_buf, sizeof(m->error_buf),
			 "the back end's send run broke its contract: %u pages "
			 "(%u zero) reported sent in [%" PRIu64 ", %" PRIu64 "], "
			 "where the set had %" PRIu64,
			 rs->pages, rs->zero, page, rs->last, cleared);
	else
		return 0;
	m->st.error = m->error_buf;
	return -1;
}

/* The pages of word page / 64 a run may take, from `page` on: the set's,
 * cut where lim says (a gap with `contiguous`, the first page of
 * `stop_at`). Returns the first page the run may not take: the cut, or
 * the next word's first page. */
static uint64_t run_cut(const struct pageset *from, const struct run_limits *lim,
			uint64_t page)
{
	uint64_t w = page / 64, word = from->words[w], cut = (w + 1) * 64;
	unsigned b = page % 64;
	if (lim->contiguous) {
		uint64_t gaps = ~(word >> b); /* bits above 63 - b read as gaps */
		unsigned ones = gaps ? (unsigned)__builtin_ctzll(gaps) : 64;
		if (b + ones < 64)
			cut = w * 64 + b + ones;
	}
	if (lim->stop_at) {
		uint64_t other = lim->stop_at->words[w] & (~UINT64_C(0) << b);
		if (other && w * 64 + (uint64_t)__builtin_ctzll(other) < cut)
			cut = w * 64 + (uint64_t)__builtin_ctzll(other);
	}
	return cut;
}

/* Whether the set has a page in [from, to): a search bounded by `to`, as
 * a sparse set in a huge VM (MPLM's D in 1 TiB) would otherwise be
 * scanned to its end for every word a run sends. */
static bool any_set(const struct pageset *s, uint64_t from, uint64_t to)
{
	for (uint64_t w = from / 64; w * 64 < to; w++) {
		uint64_t bits = s->words[w];
		if (w == from / 64)
			bits &= ~UINT64_C(0) << (from % 64);
		if ((to - w * 64) < 64)
			bits &= (UINT64_C(1) << (to - w * 64)) - 1;
		if (bits)
			return true;
	}
	return false;
}

/* The end of the span [page, end) whose pages of `from` a run may send,
 * in address order, at most `max` of them: where lim cuts it (a gap with
 * `contiguous`, the first page of `stop_at`), or the VM's end. Without
 * a cut, the back end's page count stops the run. */
static uint64_t run_end(const struct mplm_migration *m, const struct pageset *from,
			const struct run_limits *lim, uint64_t page, unsigned max)
{
	if (!lim->contiguous && !lim->stop_at)
		return m->pages;
	unsigned n = 0;
	for (;;) {
		uint64_t w = page / 64, cut = run_cut(from, lim, page);
		n += (unsigned)__builtin_popcountll(from->words[w] &
						    (~UINT64_C(0) << (page % 64)));
		if (cut < (w + 1) * 64 || n >= max)
			return cut;
		uint64_t next = mplm_bitmap_find_next_set(from->bits, cut);
		if (next >= m->pages)
			return m->pages;
		if ((lim->contiguous && next != cut) ||
		    (lim->stop_at && any_set(lim->stop_at, cut, next + 1)))
			return cut;
		page = next;
	}
}

long engine_send_run(struct mplm_migration *m, struct pageset *from,
		     uint64_t page, const struct run_limits *lim, uint64_t *last)
{
	unsigned max = lim->max, left = ticks_left(m);
	if (max > left)
		max = left;
	*last = page;
	if (!m->be.send_run || max <= 1)
		return engine_send(m, from, page) < 0 ? -1 : 1;

	/* The pages the caller's next picks would be, after the same clock
	 * test, in one back-end call: the set's pages after `page` in
	 * address order (its cursor has not wrapped). */
	struct mplm_run_sent rs = { 0, 0, 0, page };
	uint64_t end = run_end(m, from, lim, page, max);
	int rc = m->be.send_run(m->be.ctx, from->words, page, end, max, lim->since,
				lim->limit, &rs);
	if (run_sent(m, from, page, end, &rs) < 0)
		return -1;
	if (rc < 0) {
		m->st.error = "sending a page failed";
		return -1;
	}
	*last = rs.last;
	if (rs.pages > 1)
		m->since_step += rs.pages - 1;
	return rs.pages;
}

unsigned engine_pages_before_fit(const struct mplm_migration *m)
{
	uint64_t left = m->d.count + m->nd.count;
	unsigned n = ENGINE_STEP_PAGES;
	/* After k more pages, left - k remain; the test is monotone in k. */
	while (n > 1 && (left <= n - 1 ||
			 (double)((left - (n - 1)) * m->page_size) < m->threshold))
		n--;
	return n;
}

static int record_sync(struct mplm_migration *m)
{
	if (m->nsyncs == m->syncs_cap) {
		size_t cap = m->syncs_cap ? 2 * m->syncs_cap : 64;
		struct mplm_sync_record *s = realloc(m->syncs, cap * sizeof(*s));
		if (!s) {
			m->st.error = "out of memory for sync records";
			return -1;
		}
		m->syncs = s;
		m->syncs_cap = cap;
		m->st.metadata_bytes += (cap - m->nsyncs) * sizeof(*s);
	}
	m->syncs[m->nsyncs++] = m->cur;
	memset(&m->cur, 0, sizeof(m->cur));
	return 0;
}

enum live_end engine_decided(struct mplm_migration *m, enum mplm_verdict v)
{
	struct mplm_sync_record *r = &m->syncs[m->nsyncs - 1];
	r->verdict = v;
	if (m->be.on_sync)
		m->be.on_sync(m->be.ctx, r);
	if (v == MPLM_VERDICT_GO_ON || v == MPLM_VERDICT_EXTENDED ||
	    v == MPLM_VERDICT_NONE)
		return LIVE_CONTINUE;
	return engine_stop(m, v);
}

int engine_sync(struct mplm_migration *m, enum mplm_sync_cause cause)
{
	/* The log is empty here: the last sync's merge took its pages. */
	if (m->be.sync_dirty_log(m->be.ctx, m->log) < 0) {
		m->st.error = "reading the dirty log failed";
		return -1;
	}
	double now = m->be.now(m->be.ctx);

	/* Sync 0 only starts dirty logging: every page is already queued,
	 * and what the log says about the time before it does not matter. */
	uint64_t marked = m->d.count + m->nd.count;
	if (cause != MPLM_CAUSE_SETUP)
		pageset_merge_moving(&m->d, &m->nd, m->log, m->log_first, m->log_words,
				     &m->cur.dirtied);
	else
		mplm_bitmap_zero_words(m->log, m->log_first, m->log_words);
	/* QEMU's rule counts the pages the sync newly marked to send; its
	 * test goes in the record (left zero, as cur starts, when none). */
	if (m->params.auto_converge && cause != MPLM_CAUSE_FINAL &&
	    autoconverge_on_sync(&m->ac, now, m->d.count + m->nd.count - marked,
				 m->st.transferred, m->page_size, &m->cur.ac))
		m->be.set_throttle(m->be.ctx, m->ac.pct);
	m->cur.throttle = m->ac.pct;
	m->st.cpu_throttle_percentage = m->ac.pct;
	m->cur.index = (unsigned)m->nsyncs;
	m->cur.time = now - m->t_start;
	m->cur.interval = now - m->t_last_sync;
	m->cur.d_size = m->d.count;
	m->cur.nd_size = m->nd.count;
	m->cur.final = cause == MPLM_CAUSE_FINAL;
	m->cur.cause = cause;
	m->cur.bandwidth = engine_bandwidth(m);
	m->cur.threshold = m->threshold;
	m->t_last_sync = now;
	m->st.dirty_sync_count++;
	if (record_sync(m) < 0)
		return -1;
	if (cause == MPLM_CAUSE_SETUP)
		engine_decided(m, MPLM_VERDICT_NONE);
	else if (cause == MPLM_CAUSE_FINAL)
		engine_decided(m, m->st.verdict);
	return 0;
}

static void publish(struct mplm_migration *m, double now)
{
	if (m->st.status == MPLM_STATUS_ACTIVE || m->st.status == MPLM_STATUS_SETUP ||
	    m->st.status == MPLM_STATUS_POSTCOPY_ACTIVE)
		m->st.total_time = now - m->t_start;
	m->st.remaining = engine_pending(m);
	m->st.pages_sent = m->st.normal + m->st.duplicate;
	m->st.normal_bytes = m->st.normal * (uint64_t)m->page_size;
	pthread_mutex_lock(&m->lock);
	m->published = m->st;
	pthread_mutex_unlock(&m->lock);
}

static void apply_parameter_changes(struct mplm_migration *m)
{
	pthread_mutex_lock(&m->lock);
	double dl = m->new_downtime_limit, bw = m->new_max_bandwidth;
	m->new_downtime_limit = m->new_max_bandwidth = -1;
	pthread_mutex_unlock(&m->lock);
	if (dl >= 0)
		m->params.downtime_limit = dl;
	if (bw >= 0) {
		m->params.max_bandwidth = bw;
		if (m->be.set_max_bandwidth)
			m->be.set_max_bandwidth(m->be.ctx, bw);
	}
}

/* What follows from the transfer rate: the convergence threshold and how
 * many pages make ENGINE_STEP_TIME of link time. */
static void update_rates(struct mplm_migration *m)
{
	double rate = engine_bandwidth(m);
	/* Housekeeping paces by what the wire carries, known or measured. */
	double wire = mplm_wire_rate(m->be.link_bandwidth, m->params.max_bandwidth);
	double pace = wire > 0 ? wire : rate;
	double pages = pace * ENGINE_STEP_TIME / m->page_size;
	m->threshold = rate * m->params.downtime_limit;
	m->step_pages = pace <= 0 || pages >= ENGINE_STEP_PAGES ? ENGINE_STEP_PAGES
				: pages < 1			 ? 1
								 : (unsigned)pages;
}

/* An operator's scheduled set-mplm-extend-live / set-mplm-end-live, once
 * each, as if typed at that time. */
static void run_schedule(struct mplm_migration *m)
{
	double t = m->be.now(m->be.ctx) - m->t_start;
	if (m->extend_live_at >= 0 && t >= m->extend_live_at) {
		atomic_store(&m->extend_live, true);
		m->extend_live_at = -1;
	}
	if (m->end_live_at >= 0 && t >= m->end_live_at) {
		atomic_store(&m->end_live, true);
		m->end_live_at = -1;
	}
	if (m->start_postcopy_at >= 0 && t >= m->start_postcopy_at) {
		atomic_store(&m->start_postcopy, true);
		m->start_postcopy_at = -1;
	}
}

enum live_end engine_step(struct mplm_migration *m)
{
	if (m->be.poll)
		m->be.poll(m->be.ctx);
	run_schedule(m);
	/* After the switch the destination runs the guest: a cancel would
	 * lose it, so the push goes on. */
	if (atomic_load(&m->cancel) && !m->postcopy) {
		m->st.status = MPLM_STATUS_CANCELLED;
		m->st.error = "cancelled";
		return LIVE_FAILED;
	}
	apply_parameter_changes(m);

	double now = m->be.now(m->be.ctx);
	if (now - m->win_start >= BANDWIDTH_WINDOW) {
		m->bw_est = (double)m->win_bytes / (now - m->win_start);
		m->win_start = now;
		m->win_bytes = 0;
		m->windows++;
	}
	update_rates(m);
	publish(m, now);
	if (!m->stopped && m->params.max_total_time > 0 &&
	    now - m->t_start >= m->params.max_total_time)
		return LIVE_GIVE_UP;
	return LIVE_CONTINUE;
}

/* Send every page of a set, in address order: in runs, one back-end
 * call each, when the back end can (a run ends where a page's tick would
 * run engine_step, and that tick follows the run). */
static int send_all(struct mplm_migration *m, struct pageset *s)
{
	const struct run_limits lim = RUN_LIMITS(UINT_MAX);
	uint64_t last;
	for (uint64_t p = mplm_bitmap_find_next_set(s->bits, 0); p < m->pages;
	     p = mplm_bitmap_find_next_set(s->bits, last + 1)) {
		long n = engine_send_run(m, s, p, &lim, &last);
		if (n < 0)
			return -1;
		m->st.downtime_pages += (uint64_t)n;
		if (engine_tick(m) == LIVE_FAILED)
			return -1;
	}
	return 0;
}

int engine_pause(struct mplm_migration *m)
{
	m->t_stop = m->be.now(m->be.ctx);
	if (m->be.stop_guest(m->be.ctx) < 0) {
		m->st.error = "pausing the guest failed";
		return -1;
	}
	m->stopped = true;
	/* QEMU's migration_completion and postcopy_start: no rate limit
	 * from here on. */
	if (m->be.set_max_bandwidth)
		m->be.set_max_bandwidth(m->be.ctx, 0);
	return engine_sync(m, MPLM_CAUSE_FINAL);
}

int engine_hand_over(struct mplm_migration *m)
{
	uint64_t state = 0;
	if (m->be.send_state(m->be.ctx, &state) < 0) {
		m->st.error = "sending the vCPU and device state failed";
		return -1;
	}
	m->st.state_bytes = state; /* apart from transferred, as QEMU's ram */
	int started = m->be.start_destination(m->be.ctx);
	if (started == MPLM_DEST_UNKNOWN) {
		m->st.error = "the destination's answer never came: it may be running the guest";
		return MPLM_DEST_UNKNOWN;
	}
	if (started < 0) {
		m->st.error = "the destination did not start";
		return -1;
	}
	double now = m->be.now(m->be.ctx);
	m->st.downtime = now - m->t_stop;
	m->st.total_time = now - m->t_start;
	return 0;
}

static int stop_and_copy(struct mplm_migration *m)
{
	if (engine_pause(m) < 0 || send_all(m, &m->d) < 0 || send_all(m, &m->nd) < 0)
		return -1;
	return engine_hand_over(m);
}

static void finish(struct mplm_migration *m, enum mplm_status status)
{
	/* QEMU's cpu_throttle_stop when the migration is over, whatever
	 * its end: a guest left on the source runs at full speed again. */
	if (m->ac.pct) {
		m->be.set_throttle(m->be.ctx, 0);
		m->ac.pct = 0;
		m->st.cpu_throttle_percentage = 0; /* as QEMU reports it then */
	}
	double now = m->be.now(m->be.ctx);
	if (status != MPLM_STATUS_COMPLETED) {
		m->st.total_time = now - m->t_start;
		m->st.downtime = 0;
		/* Never resume when the destination may be running the guest
		 * (or surely runs it: post-copy): two copies would diverge. */
		if (m->stopped && m->be.resume_source && status != MPLM_STATUS_UNKNOWN &&
		    !m->postcopy)
			m->be.resume_source(m->be.ctx);
	}
	m->st.status = status;
	/* Post-copy's window is neither live (the source is paused) nor
	 * downtime (the destination runs). */
	m->st.live_time = m->st.total_time - m->st.downtime - m->st.postcopy_time;
	/* QEMU's mbps counts the whole stream (qemu_ftell). */
	m->st.mbps = m->st.total_time > 0
			     ? (double)(m->st.transferred + m->st.state_bytes) *
				       8 / m->st.total_time / 1e6
			     : 0;
	publish(m, now);
}

int mplm_migration_run(mplm_migration *m)
{
	m->t_start = m->t_last_sync = m->win_start = m->be.now(m->be.ctx);
	m->st.status = MPLM_STATUS_SETUP;
	if (m->be.set_max_bandwidth)
		m->be.set_max_bandwidth(m->be.ctx, m->params.max_bandwidth);
	update_rates(m); /* the setup record shows the threshold in force */
	if (engine_sync(m, MPLM_CAUSE_SETUP) < 0) {
		finish(m, MPLM_STATUS_FAILED);
		return -1;
	}
	m->st.setup_time = m->be.now(m->be.ctx) - m->t_start;
	m->st.status = MPLM_STATUS_ACTIVE;
	update_rates(m);
	publish(m, m->be.now(m->be.ctx));

	enum live_end end = LIVE_STOP_AND_COPY;
	if (m->params.algorithm == MPLM_ALG_PRECOPY)
		end = precopy_live(m);
	else if (m->params.algorithm == MPLM_ALG_MPLM &&
		 m->params.mplm_variant == MPLM_VARIANT_PAPER)
		end = mplm_paper_live(m);
	else if (m->params.algorithm == MPLM_ALG_MPLM)
		end = mplm_qemu_live(m);

	switch (end) {
	case LIVE_STOP_AND_COPY:
	case LIVE_POSTCOPY: {
		int r = end == LIVE_POSTCOPY ? postcopy_run(m) : stop_and_copy(m);
		if (r == 0) {
			finish(m, MPLM_STATUS_COMPLETED);
			return 0;
		}
		if (r == MPLM_DEST_UNKNOWN) {
			finish(m, MPLM_STATUS_UNKNOWN);
			return -1;
		}
		break;
	}
	case LIVE_GIVE_UP:
		m->st.verdict = MPLM_VERDICT_NOT_CONVERGED;
		finish(m, MPLM_STATUS_NOT_CONVERGED);
		return 0;
	case LIVE_CONTINUE:
	case LIVE_FAILED:
		break;
	}
	/* A cancel after the switch to post-copy was ignored (engine_step):
	 * whatever failed then lost the guest, and that is what is reported. */
	finish(m, atomic_load(&m->cancel) && !m->postcopy ? MPLM_STATUS_CANCELLED
							  : MPLM_STATUS_FAILED);
	return -1;
}

void mplm_migration_extend_live(mplm_migration *m)
{
	atomic_store(&m->extend_live, true);
}

void mplm_migration_end_live(mplm_migration *m)
{
	atomic_store(&m->end_live, true);
}

void mplm_migration_schedule(mplm_migration *m, double extend_live_at,
			     double end_live_at)
{
	m->extend_live_at = extend_live_at;
	m->end_live_at = end_live_at;
}

static int postcopy_off(const struct mplm_migration *m, char *err, size_t errlen)
{
	if (m->params.postcopy_ram)
		return 0;
	if (err && errlen) /* QEMU's qmp_migrate_start_postcopy */
		snprintf(err, errlen, "Enable postcopy with migrate_set_capability "
			 "before the start of migration (postcopy-ram is off)");
	return -1;
}

int mplm_migration_start_postcopy(mplm_migration *m, char *err, size_t errlen)
{
	if (postcopy_off(m, err, errlen) < 0)
		return -1;
	atomic_store(&m->start_postcopy, true);
	return 0;
}

int mplm_migration_schedule_postcopy(mplm_migration *m, double at, char *err,
				     size_t errlen)
{
	if (at >= 0 && postcopy_off(m, err, errlen) < 0)
		return -1;
	m->start_postcopy_at = at;
	return 0;
}

void mplm_migration_cancel(mplm_migration *m)
{
	atomic_store(&m->cancel, true);
}

void mplm_migration_set_downtime_limit(mplm_migration *m, double seconds)
{
	pthread_mutex_lock(&m->lock);
	m->new_downtime_limit = seconds;
	pthread_mutex_unlock(&m->lock);
}

void mplm_migration_set_max_bandwidth(mplm_migration *m, double bytes_per_s)
{
	pthread_mutex_lock(&m->lock);
	m->new_max_bandwidth = bytes_per_s;
	pthread_mutex_unlock(&m->lock);
}

void mplm_migration_stats(mplm_migration *m, struct mplm_stats *out)
{
	pthread_mutex_lock(&m->lock);
	*out = m->published;
	pthread_mutex_unlock(&m->lock);
}

void mplm_migration_sets(const mplm_migration *m, const mplm_bitmap **d,
			 const mplm_bitmap **nd)
{
	*d = m->d.bits;
	*nd = m->nd.bits;
}

const struct mplm_sync_record *mplm_migration_syncs(const mplm_migration *m,
						    size_t *count)
{
	*count = m->nsyncs;
	return m->syncs;
}
