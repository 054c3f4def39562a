/*
 * mplm_live.c - the live stage of MPLM (Chanchio and Yaothanee, 2018).
 *
 * Two disjoint sets: ND (never sent, not seen dirty since) and D (seen
 * dirty, not sent since), each with its own wrapping cursor. Pages go out
 * in batches of 100 slots: 100 - dirtypercents for ND, then dirtypercents
 * for D; a slot whose set is empty goes to the other. Every intervaltime
 * seconds the dirty log is synced into D. The live stage ends when ND is
 * empty (each page is sent as non-dirty once: the memory bound), unless
 * the operator asked to extend it; then it sends D, syncing every epoch,
 * until end-live.
 */
#include "engine.h"

#define SLOTS_PER_BATCH 100

struct mplm_state {
	double t_epoch;       /* when the current epoch began */
	unsigned slot;        /* position in the batch of 100 */
	bool d_first_pass;    /* relaxed: the D cursor has not wrapped yet */
};

/* Relaxed mode: during its first pass, the D cursor also sends pages
 * never sent (still in ND) in address order, as QEMU's bulk stage. */
static uint64_t relaxed_pick(struct mplm_migration *m, struct mplm_state *s,
			     struct pageset **from)
{
	uint64_t pd = mplm_bitmap_find_next_set(m->d.bits, m->d.cursor);
	uint64_t pn = mplm_bitmap_find_next_set(m->nd.bits, m->d.cursor);
	if (pd == m->pages && pn == m->pages) {
		s->d_first_pass = false;
		m->d.cursor = 0;
		m->d.wraps++;
		*from = &m->d;
		return pageset_peek(&m->d);
	}
	*from = pn < pd ? &m->nd : &m->d;
	return pn < pd ? pn : pd;
}

/* The page for the next slot, and the set it comes from; PAGESET_NONE
 * when both sets are empty. Only the cursor of the slot's set moves. */
static uint64_t pick(struct mplm_migration *m, struct mplm_state *s,
		     struct pageset **from, struct pageset **cursor)
{
	unsigned nd_slots = SLOTS_PER_BATCH - m->params.dirtypercents;
	bool want_nd = s->slot < nd_slots ||
		       (m->epoch == 0 && m->params.firstnondirty);
	s->slot = (s->slot + 1) % SLOTS_PER_BATCH;

	struct pageset *first = want_nd ? &m->nd : &m->d;
	struct pageset *other = want_nd ? &m->d : &m->nd;
	uint64_t page = PAGESET_NONE;

	if (first == &m->d && s->d_first_pass && m->params.relaxlivemig) {
		page = relaxed_pick(m, s, from);
		*cursor = &m->d;
		if (page != PAGESET_NONE)
			return page;
	}
	page = pageset_peek(first);
	*from = *cursor = first;
	if (page == PAGESET_NONE) {
		page = pageset_peek(other);
		*from = *cursor = other;
	}
	return page;
}

static bool live_stage_done(struct mplm_migration *m)
{
	if (atomic_load(&m->end_live))
		return true;
	return m->nd.count == 0 && !atomic_load(&m->extend_live);
}

/* Epoch boundary: sync, then decide whether the live stage goes on. */
static enum live_end new_epoch(struct mplm_migration *m, struct mplm_state *s,
			       double now)
{
	s->t_epoch = now;
	if (engine_sync(m, SYNC_LIVE) < 0)
		return LIVE_FAILED;
	m->epoch++;
	s->slot = 0;
	if (engine_fits_downtime(m) || live_stage_done(m))
		return LIVE_STOP_AND_COPY;
	return LIVE_CONTINUE;
}

/* Nothing to send until the next sync (extend-live, D empty). */
static void idle_until_epoch_end(struct mplm_migration *m,
				 struct mplm_state *s, double now)
{
	double left = s->t_epoch + m->params.intervaltime - now;
	if (m->be.wait && left > 0)
		m->be.wait(m->be.ctx, left);
	else
		s->t_epoch = now - m->params.intervaltime;
}

enum live_end mplm_live(struct mplm_migration *m)
{
	struct mplm_state s = {
		.t_epoch = m->be.now(m->be.ctx),
		.slot = 0,
		.d_first_pass = true,
	};
	for (;;) {
		enum live_end e = engine_tick(m);
		if (e != LIVE_CONTINUE)
			return e;
		if (live_stage_done(m))
			return LIVE_STOP_AND_COPY;

		double now = m->be.now(m->be.ctx);
		if (now - s.t_epoch >= m->params.intervaltime) {
			e = new_epoch(m, &s, now);
			if (e != LIVE_CONTINUE)
				return e;
			engine_step_soon(m);
			continue;
		}

		struct pageset *from, *cursor;
		uint64_t page = pick(m, &s, &from, &cursor);
		if (page == PAGESET_NONE) {
			idle_until_epoch_end(m, &s, now);
			engine_step_soon(m);
			continue;
		}
		if (engine_send(m, from, page) < 0)
			return LIVE_FAILED;
		cursor->cursor = page + 1;
		m->cur.slots_total++;
		if (cursor == &m->nd)
			m->cur.slots_nd++;
	}
}
