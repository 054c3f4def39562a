/*
 * precopy.c - the live stage of QEMU 2.9 pre-copy.
 *
 * One set of marked pages (m->d), walked by one wrapping cursor. Whenever
 * the bytes still marked fall under bandwidth x downtime-limit the dirty
 * log is synced; if they are still under it after the sync, the live stage
 * ends (QEMU's ram_save_pending + migration_thread test). With
 * max_iterations, it also ends after that many live syncs, as Cloud
 * Hypervisor's bounded number of dirty passes does.
 */
#include "engine.h"

/* QEMU completes when nothing is pending, whatever the threshold. */
static bool converged(const struct mplm_migration *m)
{
	return engine_pending(m) == 0 || engine_fits_downtime(m);
}

enum live_end precopy_live(struct mplm_migration *m)
{
	unsigned live_syncs = 0;

	for (;;) {
		enum live_end e = engine_tick(m);
		if (e != LIVE_CONTINUE)
			return e;
		if (converged(m)) {
			if (engine_sync(m, SYNC_LIVE) < 0)
				return LIVE_FAILED;
			live_syncs++;
			if (converged(m))
				return LIVE_STOP_AND_COPY;
			if (m->params.max_iterations &&
			    live_syncs >= m->params.max_iterations)
				return LIVE_STOP_AND_COPY;
			engine_step_soon(m);
			continue;
		}
		uint64_t page = pageset_peek(&m->d);
		if (engine_send(m, &m->d, page) < 0)
			return LIVE_FAILED;
		m->d.cursor = page + 1;
		m->cur.slots_total++;
	}
}
