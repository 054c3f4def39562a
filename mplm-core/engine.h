/*
 * engine.h - the migration engine's state, shared by the engine and the
 * live-stage policies (precopy.c, mplm_qemu.c, mplm_paper.c). Internal to mplm-core.
 */
#ifndef MPLM_ENGINE_H
#define MPLM_ENGINE_H

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>

#include "autoconverge.h"
#include "mplm.h"

#include "pageset.h"

/* Housekeeping (poll, cancel, caps) runs every ENGINE_STEP_TIME seconds
 * of link time, counted in pages at the current rate, and at least every
 * ENGINE_STEP_PAGES pages. */
#define ENGINE_STEP_PAGES 256
#define ENGINE_STEP_TIME 0.01
/* QEMU measures the transfer rate over windows of this length. */
#define BANDWIDTH_WINDOW 0.1
/* qemu-mplm's batch: MPLM_DEFAULT_TX_CYCLE slots, dirtypercents of them
 * for the dirty set. */
#define SLOTS_PER_BATCH 100

/* How a live stage ended. */
enum live_end {
	LIVE_CONTINUE,      /* (engine_step) nothing to stop for */
	LIVE_STOP_AND_COPY, /* converged: go to the downtime */
	LIVE_GIVE_UP,       /* not converged before max_total_time */
	LIVE_FAILED,        /* a back-end call failed, or cancel */
	LIVE_POSTCOPY,      /* pre-copy: switch to post-copy */
};

struct mplm_migration {
	uint64_t pages;
	uint32_t page_size;
	struct mplm_params params;
	struct mplm_backend be;

	/* Pre-copy keeps its to-send marks in d; MPLM uses both sets. */
	struct pageset nd, d;
	mplm_bitmap *log; /* scratch: what one sync read */
	uint64_t log_first, log_words; /* the words of it the back end sets */

	double t_start, t_last_sync, t_stop;
	unsigned epoch;
	bool stopped; /* stop_guest was called */

	/* Transfer-rate estimate over BANDWIDTH_WINDOW (QEMU's bandwidth). */
	double win_start, bw_est;
	uint64_t win_bytes;
	unsigned windows; /* windows closed so far (QEMU re-enters
	                   * ram_save_iterate once per window) */
	/* Bytes that fit in the downtime limit: QEMU's max_size. Kept up to
	 * date by engine_step, read for every page. */
	double threshold;

	unsigned since_step; /* pages since the last engine_step */
	unsigned step_pages; /* pages between two engine_steps */

	struct autoconverge ac; /* with params.auto_converge */
	/* Scheduled operator events, s after the start (< 0: none). */
	double extend_live_at, end_live_at, start_postcopy_at;
	/* Post-copy: the destination runs the guest (no way back), since
	 * t_dest. error_buf holds an error made to measure: the guest lost
	 * (postcopy.c), a send run that broke its contract (engine.c). */
	bool postcopy;
	double t_dest;
	char error_buf[192];

	/* Counters since the last sync, for the per-sync record. */
	struct mplm_sync_record cur;

	struct mplm_sync_record *syncs;
	size_t nsyncs, syncs_cap;

	struct mplm_stats st; /* the engine thread's own copy */

	/* Shared with other threads: operator events and parameter changes. */
	atomic_bool extend_live, end_live, cancel, start_postcopy;
	pthread_mutex_t lock;
	struct mplm_stats published;
	double new_downtime_limit, new_max_bandwidth; /* < 0: no change */
};

/* Send one page of set `from` and remove it from the set; moving the
 * set's cursor is the caller's. */
int engine_send(struct mplm_migration *m, struct pageset *from, uint64_t page);
/* Where a send run must end besides the housekeeping step: after `max`
 * pages (the first included), before any page once now - since >= limit,
 * with `contiguous` at the first gap in the set's addresses, with
 * `stop_at` before that set's next page. */
struct run_limits {
	unsigned max;
	double since, limit;
	const struct pageset *stop_at;
	bool contiguous;
};
/* At most max pages, no clock test, no other cut. */
#define RUN_LIMITS(max) ((struct run_limits){ (max), 0, INFINITY, NULL, false })
/* Send `page` of set `from` and, when the back end has send_run, the
 * pages of `from` after it in address order, in one back-end call,
 * without wrapping, up to what lim allows, counting the engine_ticks they
 * stand for (so none passes an engine_step). What as many engine_tick +
 * engine_send calls would do, for a caller that would have made no other
 * decision between those pages. Returns the pages sent, the highest in
 * *last, or -1. */
long engine_send_run(struct mplm_migration *m, struct pageset *from,
		     uint64_t page, const struct run_limits *lim, uint64_t *last);
/* How many pages may go, the next included, before engine_converged()
 * could turn true (each page lowers what is pending by one; the
 * threshold only changes in engine_step, which no run passes). */
unsigned engine_pages_before_fit(const struct mplm_migration *m);
/* Read and clear the dirty log, move what it reports into D (out of ND),
 * and write the per-sync record with the rate and threshold in force. A
 * live sync's record is complete, and shown to on_sync, once the policy
 * calls engine_decided; setup and final syncs decide themselves. */
int engine_sync(struct mplm_migration *m, enum mplm_sync_cause cause);
/* The verdict of the test made after the last live sync. Returns
 * LIVE_STOP_AND_COPY for a verdict that ends the live stage (and keeps it
 * as the reason), LIVE_CONTINUE otherwise. */
enum live_end engine_decided(struct mplm_migration *m, enum mplm_verdict v);
/* The live stage ends without a sync (paper MPLM: ND emptied; pre-copy:
 * the switch to post-copy). */
static inline enum live_end engine_stop(struct mplm_migration *m,
					enum mplm_verdict v)
{
	m->st.verdict = v;
	return v == MPLM_VERDICT_POSTCOPY ? LIVE_POSTCOPY : LIVE_STOP_AND_COPY;
}
/* Housekeeping between pages: poll, cancellation, parameter changes,
 * stats publication, the total-time cap. */
enum live_end engine_step(struct mplm_migration *m);
/* Called once per page: runs engine_step every step_pages calls. */
static inline enum live_end engine_tick(struct mplm_migration *m)
{
	if (++m->since_step < m->step_pages)
		return LIVE_CONTINUE;
	m->since_step = 0;
	return engine_step(m);
}
/* Make the next engine_tick run engine_step (after a sync or a wait). */
static inline void engine_step_soon(struct mplm_migration *m)
{
	m->since_step = m->step_pages - 1;
}
/* The rate the convergence test uses, bytes/s (0: no threshold yet). */
double engine_bandwidth(const struct mplm_migration *m);
/* Bytes still to send: both sets, page-sized. */
static inline uint64_t engine_pending(const struct mplm_migration *m)
{
	return (m->d.count + m->nd.count) * (uint64_t)m->page_size;
}
static inline bool engine_fits_downtime(const struct mplm_migration *m)
{
	return (double)engine_pending(m) < m->threshold;
}

/* QEMU's test after a sync: nothing pending, or pending under the
 * threshold (QEMU's max_size; 0 before the first bandwidth window). */
static inline bool engine_converged(const struct mplm_migration *m)
{
	return engine_pending(m) == 0 || engine_fits_downtime(m);
}

enum live_end precopy_live(struct mplm_migration *m);
/* The downtime's start: pause the source, lift the rate limit, the final
 * sync. 0 or -1. */
int engine_pause(struct mplm_migration *m);
/* The downtime's end: send the device state, start the destination and
 * record the downtime. 0, -1, or MPLM_DEST_UNKNOWN. */
int engine_hand_over(struct mplm_migration *m);
/* Whether the operator asked for post-copy (migrate-start-postcopy, now
 * or scheduled): pre-copy tests it at each live sync's test and before
 * each page (QEMU switches only while pending >= max_size). Only a read:
 * postcopy-after-passes is tested where live syncs are counted. */
static inline bool postcopy_asked(struct mplm_migration *m)
{
	return m->params.postcopy_ram && atomic_load(&m->start_postcopy);
}
/* The switch and the post-copy phase (postcopy.c): 0 completed, -1
 * failed (m->postcopy says whether the guest was lost), or
 * MPLM_DEST_UNKNOWN. */
int postcopy_run(struct mplm_migration *m);
/* MPLM, the paper's description (mplm_paper.c). */
enum live_end mplm_paper_live(struct mplm_migration *m);
/* MPLM as qemu-mplm's code runs it (mplm_qemu.c). */
enum live_end mplm_qemu_live(struct mplm_migration *m);

#endif
