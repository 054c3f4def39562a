/*
 * precopy.c - the live stage of QEMU 2.9 pre-copy.
 *
 * One set of marked pages (m->d), walked by one wrapping cursor. Whenever
 * the bytes still marked fall under the threshold (QEMU's max_size:
 * bandwidth x downtime-limit, 0 before the first 100 ms window) the dirty
 * log is synced; if they are still under it after the sync, or nothing is
 * marked, the live stage ends (QEMU's ram_save_pending + migration_thread
 * test). With max_iterations, it also ends after that many live syncs, as
 * Cloud Hypervisor's bounded number of dirty passes does. With
 * postcopy-ram it switches to post-copy instead of going on when asked
 * (postcopy.c).
 */
#include "engine.h"

/* A live sync and the test after it. */
static enum live_end sync_and_test(struct mplm_migration *m, unsigned *live_syncs)
{
	if (engine_sync(m, MPLM_CAUSE_PENDING) < 0)
		return LIVE_FAILED;
	++*live_syncs;
	if (engine_converged(m))
		return engine_decided(m, MPLM_VERDICT_CONVERGED);
	/* postcopy-after-passes (needs postcopy-ram) can only be newly met
	 * here, where the passes are counted. */
	if (postcopy_asked(m) || (m->params.postcopy_after_passes &&
				  *live_syncs >= m->params.postcopy_after_passes))
		return engine_decided(m, MPLM_VERDICT_POSTCOPY);
	if (m->params.max_iterations && *live_syncs >= m->params.max_iterations)
		return engine_decided(m, MPLM_VERDICT_MAX_ITERATIONS);
	engine_step_soon(m);
	return engine_decided(m, MPLM_VERDICT_GO_ON);
}

enum live_end precopy_live(struct mplm_migration *m)
{
	unsigned live_syncs = 0;

	for (;;) {
		enum live_end e = engine_tick(m);
		if (e != LIVE_CONTINUE)
			return e;
		/* Nothing pending and no threshold yet: QEMU's
		 * migration_thread completes without asking ram_save_pending
		 * to sync (remaining < max_size is false at 0 < 0). */
		if (engine_pending(m) == 0 && m->threshold <= 0)
			return engine_stop(m, MPLM_VERDICT_CONVERGED);
		if (engine_converged(m)) {
			e = sync_and_test(m, &live_syncs);
			if (e != LIVE_CONTINUE)
				return e;
			continue;
		}
		/* migrate-start-postcopy takes effect before the next page. */
		if (postcopy_asked(m))
			return engine_stop(m, MPLM_VERDICT_POSTCOPY);
		uint64_t page = pageset_peek(&m->d), last;
		const struct run_limits lim = RUN_LIMITS(engine_pages_before_fit(m));
		long n = engine_send_run(m, &m->d, page, &lim, &last);
		if (n < 0)
			return LIVE_FAILED;
		m->d.cursor = last + 1;
		m->cur.slots_total += (uint64_t)n;
	}
}
