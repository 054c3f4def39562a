/*
 * mplm_paper.c - the live stage of MPLM as the paper describes it
 * (Chanchio and Yaothanee, 2018): mplm-variant = paper. The default
 * variant, qemu-mplm's code, is mplm_qemu.c; README.md lists how they
 * differ.
 *
 * Two disjoint sets: ND (never sent, not seen dirty since) and D (seen
 * dirty, not sent since), each with its own wrapping cursor. Pages go out
 * in batches of 100 slots: 100 - dirtypercents for ND, then dirtypercents
 * for D. Every intervaltime seconds the dirty log is synced into D. The
 * live stage ends when ND is empty (each page is sent as non-dirty once:
 * the memory bound), or at a sync where everything left fits in the
 * downtime limit, unless the operator asked to extend it; then it sends D,
 * syncing every epoch, until end-live.
 *
 * The slot counter follows qemu-mplm's ram_find_and_save_block: it runs on
 * across syncs; when D runs out, the counter restarts and every slot goes
 * to ND until the next sync (its state S0_NonDirty), which is also how
 * epoch 0 runs with firstnondirty.
 */
#include "engine.h"

struct mplm_state {
	double t_epoch;       /* when the current epoch began */
	unsigned slot;        /* position in the batch of 100 */
	bool nd_only;         /* every slot to ND until the next sync */
	bool d_first_pass;    /* relaxed: the D cursor has not wrapped yet */
	bool epoch_due;       /* an idle wait ended: sync whatever the clock */
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

static void next_slot(struct mplm_state *s)
{
	s->slot = (s->slot + 1) % SLOTS_PER_BATCH;
}

/* A page of D for a D slot, or PAGESET_NONE if D has none. */
static uint64_t pick_dirty(struct mplm_migration *m, struct mplm_state *s,
			   struct pageset **from)
{
	*from = &m->d;
	if (s->d_first_pass && m->params.relaxlivemig)
		return relaxed_pick(m, s, from);
	return pageset_peek(&m->d);
}

/* The page for the next slot, the set it comes from, and the set whose
 * cursor moves past it; PAGESET_NONE when there is nothing to send. */
static uint64_t pick(struct mplm_migration *m, struct mplm_state *s,
		     struct pageset **from, struct pageset **cursor)
{
	unsigned nd_slots = SLOTS_PER_BATCH - m->params.dirtypercents;
	uint64_t page;

	if (!s->nd_only && s->slot >= nd_slots) {
		page = pick_dirty(m, s, from);
		*cursor = &m->d;
		if (page != PAGESET_NONE) {
			next_slot(s);
			return page;
		}
		/* D ran out: ND has the link until the next sync. */
		s->slot = 0;
		s->nd_only = true;
	}
	page = pageset_peek(&m->nd);
	*from = *cursor = &m->nd;
	if (page != PAGESET_NONE) {
		if (!s->nd_only)
			next_slot(s);
		return page;
	}
	/* ND is empty: only an extended live stage gets here. */
	*cursor = &m->d;
	return pick_dirty(m, s, from);
}

/* After pick: how many pages, this one included, pick would go on taking
 * from the same set in address order, with no other decision between
 * them (the epoch's clock test is engine_send_run's). Only runs of
 * plain slots: not relaxed mode's first pass, not an extended stage with
 * ND empty. */
static unsigned run_length(const struct mplm_migration *m,
			   const struct mplm_state *s, const struct pageset *from,
			   const struct pageset *cursor)
{
	unsigned nd_slots = SLOTS_PER_BATCH - m->params.dirtypercents;
	if (from != cursor || m->nd.count == 0)
		return 1;
	if (from == &m->nd) {
		if (s->nd_only || nd_slots == SLOTS_PER_BATCH)
			return ENGINE_STEP_PAGES; /* engine_send_run caps it so */
		/* pick counted this page's slot already */
		return s->slot < nd_slots ? 1 + nd_slots - s->slot : 1;
	}
	if (s->d_first_pass && m->params.relaxlivemig)
		return 1;
	return s->slot != 0 ? 1 + SLOTS_PER_BATCH - s->slot : 1;
}

/* End-live, or ND empty without extend-live: MPLM_VERDICT_NONE if the
 * live stage goes on. */
static enum mplm_verdict live_stage_done(struct mplm_migration *m)
{
	if (atomic_load(&m->end_live))
		return MPLM_VERDICT_END_LIVE;
	if (m->nd.count == 0 && !atomic_load(&m->extend_live))
		return MPLM_VERDICT_MEMORY_BOUND;
	return MPLM_VERDICT_NONE;
}

/* The test after an epoch's sync. */
static enum mplm_verdict epoch_verdict(struct mplm_migration *m)
{
	enum mplm_verdict v = live_stage_done(m);
	if (v != MPLM_VERDICT_NONE)
		return v;
	/* QEMU's test, which an extended live stage skips (qemu-mplm's
	 * migration_thread iterates while extend-live is set). */
	if (atomic_load(&m->extend_live))
		return MPLM_VERDICT_EXTENDED;
	return engine_fits_downtime(m) ? MPLM_VERDICT_CONVERGED
				       : MPLM_VERDICT_GO_ON;
}

/* Epoch boundary: sync, then decide whether the live stage goes on. */
static enum live_end new_epoch(struct mplm_migration *m, struct mplm_state *s,
			       double now)
{
	s->t_epoch = now;
	s->epoch_due = false;
	if (engine_sync(m, MPLM_CAUSE_INTERVAL) < 0)
		return LIVE_FAILED;
	m->epoch++;
	s->nd_only = false;
	return engine_decided(m, epoch_verdict(m));
}

/* Nothing to send until the next sync (extend-live, D empty). The sync
 * follows the wait whatever the clock reads, so the loop moves on even
 * when now + left rounds below the epoch's end. */
static void idle_until_epoch_end(struct mplm_migration *m,
				 struct mplm_state *s, double now)
{
	double left = s->t_epoch + m->params.intervaltime - now;
	if (m->be.wait && left > 0)
		m->be.wait(m->be.ctx, left);
	s->epoch_due = true;
}

enum live_end mplm_paper_live(struct mplm_migration *m)
{
	struct mplm_state s = {
		.t_epoch = m->be.now(m->be.ctx),
		.slot = 0,
		.nd_only = m->params.firstnondirty,
		.d_first_pass = true,
		.epoch_due = false,
	};
	for (;;) {
		enum live_end e = engine_tick(m);
		if (e != LIVE_CONTINUE)
			return e;
		enum mplm_verdict done = live_stage_done(m);
		if (done != MPLM_VERDICT_NONE)
			return engine_stop(m, done);

		double now = m->be.now(m->be.ctx);
		if (s.epoch_due || now - s.t_epoch >= m->params.intervaltime) {
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
		uint64_t last;
		const struct run_limits lim = { run_length(m, &s, from, cursor), s.t_epoch,
						m->params.intervaltime, NULL, false };
		long n = engine_send_run(m, from, page, &lim, &last);
		if (n < 0)
			return LIVE_FAILED;
		if (!s.nd_only)
			s.slot = (unsigned)((s.slot + (uint64_t)n - 1) % SLOTS_PER_BATCH);
		cursor->cursor = last + 1;
		m->cur.slots_total += (uint64_t)n;
		if (cursor == &m->nd)
			m->cur.slots_nd += (uint64_t)n;
	}
}
