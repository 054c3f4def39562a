/*
 * mplm_qemu.c - the live stage of MPLM as qemu-mplm's code runs it
 * (mplm-variant = qemu-mplm, the default).
 *
 * Followed from kasidit/qemu-mplm at its HEAD: migration/ram.c
 * (ram_find_and_save_block's states S0..S4, mplm_migration_bitmap_find_dirty
 * and _find_nondirty, ram_save_iterate's interval check, ram_save_pending,
 * mplm_live_ending_conditions) and migration/migration.c (migration_thread's
 * test). With one RAM block, page numbers stand for QEMU's offsets.
 *
 * QEMU's migration bitmap is D u ND here (ND is a subset of it in QEMU; a
 * sync moves newly dirty pages out of ND, so D = bitmap \ ND).
 *
 * - A slot is a step of a search, counted whether or not a page is sent:
 *   a cursor that wraps, or lands on a page already sent, uses its slot.
 * - During QEMU's bulk stage (until any cursor first wraps) both cursors
 *   step to the next page; relaxed D takes it if it is still to send,
 *   strict D looks for the next page in D. After it, the ND cursor takes
 *   the next page of ND and the D cursor the next of D u ND.
 * - Syncs: the interval, checked at the first page of each rate window
 *   and every 64 pages; QEMU's pending < max_size; a search that finds
 *   nothing. The live stage ends at a sync that finds ND empty (unless
 *   extended), or by QEMU's test. set-mplm-end-live only clears extend.
 * - Where qemu-mplm would loop forever (its ND-only state S0 with ND
 *   empty, or both sets empty), the search reports nothing found, as its
 *   extended state does, and the engine syncs; an extended stage with
 *   nothing to send waits for the interval instead of syncing in a loop.
 */
#include "engine.h"

#define INTERVAL_CHECK_PAGES 64 /* ram_save_iterate: (i & 63) == 0 */

/* ram_find_and_save_block's rsb_state. */
enum rsb_state {
	S0_NONDIRTY, /* firstnondirty: ND only until the first live sync */
	S1_NONDIRTY, /* the batch's ND slots */
	S2_DIRTY,    /* the batch's D slots */
	S3_DIRTY,    /* extended, ND empty: plain pre-copy over D */
};

enum step {
	STEP_SENT,    /* a page went out */
	STEP_EMPTY,   /* a search step that sent nothing */
	STEP_NOTHING, /* the search can find nothing until the next sync */
};

/* What a search of one set from one cursor last found: no page of the
 * set lies in [from, next). A set that only loses pages (ND always, D
 * between syncs) keeps that true, so a later search from inside the
 * range starts at `next`: each cursor scans its region once, not once
 * per step (in an 8 GiB VM a scan from the cursor to the end of memory
 * is 32,768 words). */
struct hint {
	uint64_t from, next;
	bool valid;
};

struct qstate {
	enum rsb_state state;
	unsigned counter;      /* mplm_send_counter */
	uint64_t nd_pos, d_pos; /* last_nondirty_offset, last_offset */
	bool bulk;             /* ram_bulk_stage */
	bool extend;           /* the extend flag as the last sync read it */
	double wakeup;         /* mplm_wakeup_time */
	unsigned pages_in_call; /* ram_save_iterate's i */
	unsigned window;       /* the rate window the call belongs to */
	bool sync_flag;        /* mplm_bitmap_sync_flag */
	enum mplm_sync_cause cause;
	bool idle;             /* the last sync found nothing to send either */
	unsigned pending_window; /* window of the last pending-test sync */
	struct hint nd_by_nd, nd_by_d, d_by_d; /* set searched by cursor */
};

/* mplm_bitmap_find_next_set over a set that has not gained pages since
 * the hint was made. */
static uint64_t find_next_hinted(const struct pageset *set, struct hint *h,
				 uint64_t pos)
{
	uint64_t start = pos;
	if (set->count == 0)
		return mplm_bitmap_nbits(set->bits);
	if (h->valid && pos >= h->from && pos <= h->next)
		start = h->next;
	uint64_t r = mplm_bitmap_find_next_set(set->bits, start);
	*h = (struct hint){ pos, r, true };
	return r;
}

/* mplm_migration_bitmap_find_nondirty: where the ND cursor goes next
 * (m->pages: past the end). */
static uint64_t find_nondirty(const struct mplm_migration *m,
			      struct qstate *q)
{
	if (q->bulk && q->nd_pos > 0)
		return q->nd_pos + 1;
	return find_next_hinted(&m->nd, &q->nd_by_nd, q->nd_pos);
}

/* mplm_migration_bitmap_find_dirty (relaxed: migration_bitmap_find_dirty,
 * which S3 uses). */
static uint64_t find_dirty(const struct mplm_migration *m, struct qstate *q,
			   bool relaxed)
{
	uint64_t pos = q->d_pos;
	if (q->bulk && pos > 0)
		return relaxed ? pos + 1 : find_next_hinted(&m->d, &q->d_by_d, pos + 1);
	uint64_t pd = find_next_hinted(&m->d, &q->d_by_d, pos);
	uint64_t pn = find_next_hinted(&m->nd, &q->nd_by_d, pos);
	return pd < pn ? pd : pn;
}

/* Which pages of `from` after `page` the cursor's next steps would send,
 * one per step, as the searches above find them: with the bulk stage's
 * pos + 1, consecutive addresses; the D cursor's search of D u ND ends a
 * run before a page of the other set; strict D in the bulk stage looks
 * at D alone, and only from a cursor past 0. */
static void cursor_run(const struct mplm_migration *m, const struct qstate *q,
		       bool nd_cursor, bool relaxed, const struct pageset *from,
		       uint64_t page, struct run_limits *lim)
{
	if (q->bulk && (nd_cursor || relaxed)) {
		lim->contiguous = true;
	} else if (q->bulk) {
		if (from == &m->nd || page == 0)
			lim->max = 1;
	} else if (!nd_cursor) {
		lim->stop_at = from == &m->nd ? &m->d : &m->nd;
	}
}

/* Move a cursor to `next` and send the page there if it is still to send
 * (ND cursor: in ND; D cursor: in D or ND), and, up to `budget` pages in
 * all, the pages the cursor's next steps would send (cursor_run): *sent
 * says how many. Past the end, the cursor wraps and the bulk stage is
 * over (find_dirty_block). */
static int cursor_step(struct mplm_migration *m, struct qstate *q,
		       uint64_t *pos, uint64_t next, bool nd_cursor,
		       bool relaxed, unsigned budget, unsigned *sent)
{
	if (next >= m->pages) {
		*pos = 0;
		q->bulk = false;
		return STEP_EMPTY;
	}
	*pos = next;
	struct pageset *from = pageset_has(&m->nd, next) ? &m->nd
			     : !nd_cursor && pageset_has(&m->d, next) ? &m->d
								       : NULL;
	if (!from)
		return STEP_EMPTY;
	struct run_limits lim = RUN_LIMITS(budget);
	cursor_run(m, q, nd_cursor, relaxed, from, next, &lim);
	long n = engine_send_run(m, from, next, &lim, pos);
	if (n < 0)
		return -1;
	*sent = (unsigned)n;
	return STEP_SENT;
}

static unsigned min_pages(unsigned a, unsigned b) { return a < b ? a : b; }

static int nd_step(struct mplm_migration *m, struct qstate *q,
		   unsigned budget, unsigned *sent)
{
	return cursor_step(m, q, &q->nd_pos, find_nondirty(m, q), true, false,
			   budget, sent);
}

static int d_step(struct mplm_migration *m, struct qstate *q, bool relaxed,
		  unsigned budget, unsigned *sent)
{
	return cursor_step(m, q, &q->d_pos, find_dirty(m, q, relaxed), false,
			   relaxed, budget, sent);
}

/* The slots a run of `sent` pages used beyond its first page's. */
static void count_run_slots(struct mplm_migration *m, struct qstate *q,
			    int r, unsigned sent, bool nd_slots, bool batch)
{
	if (r != STEP_SENT || sent <= 1)
		return;
	m->cur.slots_total += sent - 1;
	if (nd_slots)
		m->cur.slots_nd += sent - 1;
	if (batch)
		q->counter += sent - 1;
}

/* One step of ram_find_and_save_block's loop, and with a budget > 1 the
 * steps after it that would send the next pages with nothing else
 * between (the batch's slots left included); -1 if sending failed. */
static int search_step(struct mplm_migration *m, struct qstate *q,
		       unsigned budget, unsigned *sent)
{
	unsigned nd_allot = SLOTS_PER_BATCH - m->params.dirtypercents;
	int r;

	/* qemu-mplm would search forever here (no slot can find a page):
	 * say nothing was found. */
	if (engine_pending(m) == 0 ||
	    (m->nd.count == 0 &&
	     (q->state == S0_NONDIRTY || m->params.dirtypercents == 0)))
		return STEP_NOTHING;
	switch (q->state) {
	case S0_NONDIRTY:
		m->cur.slots_nd++;
		m->cur.slots_total++;
		r = nd_step(m, q, budget, sent);
		count_run_slots(m, q, r, *sent, true, false);
		return r;
	case S1_NONDIRTY:
		if (q->counter >= nd_allot) {
			q->state = S2_DIRTY;
			return STEP_EMPTY;
		}
		q->counter++;
		m->cur.slots_nd++;
		m->cur.slots_total++;
		r = nd_step(m, q, min_pages(budget, 1 + nd_allot - q->counter), sent);
		count_run_slots(m, q, r, *sent, true, true);
		return r;
	case S2_DIRTY:
		if (q->counter >= SLOTS_PER_BATCH) {
			q->counter = 0;
			q->state = S1_NONDIRTY;
			return STEP_EMPTY;
		}
		q->counter++;
		m->cur.slots_total++;
		r = d_step(m, q, m->params.relaxlivemig,
			   min_pages(budget, 1 + SLOTS_PER_BATCH - q->counter), sent);
		count_run_slots(m, q, r, *sent, false, true);
		return r;
	case S3_DIRTY:
		m->cur.slots_total++;
		r = d_step(m, q, true, budget, sent);
		count_run_slots(m, q, r, *sent, false, false);
		return r;
	}
	return STEP_NOTHING;
}

/* ram_find_and_save_block: search steps until a page is sent or nothing
 * can be (`while (!pages && again)`); the tests between pages are
 * migration_thread's. Bounded: a step either sends, moves a cursor on
 * towards the end of memory (whose pass ends the bulk stage), or uses
 * one of a batch's slots, and search_step says nothing when no slot can
 * find a page. */
static int find_and_save_block(struct mplm_migration *m, struct qstate *q,
			       unsigned budget, unsigned *sent)
{
	int r;
	do
		r = search_step(m, q, budget, sent);
	while (r == STEP_EMPTY);
	return r;
}

/* How many pages may go, the next included, before one is due for the
 * interval check (check_interval): a run ends on that page. */
static unsigned pages_to_interval_check(const struct mplm_migration *m,
					const struct qstate *q)
{
	unsigned i = q->window != m->windows ? 0 : q->pages_in_call;
	i %= INTERVAL_CHECK_PAGES;
	return i == 0 ? 1 : INTERVAL_CHECK_PAGES + 1 - i;
}

/* ram_save_iterate's interval check, at the first page of a call (one
 * call per rate window) and every 64 pages of it; `sent` pages just
 * went, none but the last due for the check. */
static void check_interval(struct mplm_migration *m, struct qstate *q,
			   unsigned sent)
{
	if (q->window != m->windows) {
		q->window = m->windows;
		q->pages_in_call = 0;
	}
	unsigned last = q->pages_in_call + sent - 1;
	q->pages_in_call += sent;
	if (last % INTERVAL_CHECK_PAGES)
		return;
	double now = m->be.now(m->be.ctx);
	if (now > q->wakeup) {
		q->wakeup = now + m->params.intervaltime;
		q->sync_flag = true;
		q->cause = MPLM_CAUSE_INTERVAL;
	}
}

/* What the next sync will read as the extend flag: set-mplm-end-live
 * clears it. */
static bool extend_requested(struct mplm_migration *m)
{
	return atomic_load(&m->extend_live) && !atomic_load(&m->end_live);
}

/* ram_save_pending's sync and mplm_live_ending_conditions, then
 * migration_thread's test. */
static enum live_end sync_and_test(struct mplm_migration *m, struct qstate *q,
				   enum mplm_sync_cause cause)
{
	if (engine_sync(m, cause) < 0)
		return LIVE_FAILED;
	q->d_by_d.valid = false; /* D gained the pages the sync reported */
	q->sync_flag = false;
	q->pages_in_call = 0;
	if (q->state == S0_NONDIRTY)
		q->state = S1_NONDIRTY;
	bool end_live = atomic_load(&m->end_live);
	q->extend = extend_requested(m);
	if (m->nd.count == 0) {
		if (!q->extend)
			return engine_decided(m, end_live ? MPLM_VERDICT_END_LIVE
							  : MPLM_VERDICT_MEMORY_BOUND);
		q->state = S3_DIRTY;
	}
	if (q->extend)
		return engine_decided(m, MPLM_VERDICT_EXTENDED);
	return engine_decided(m, engine_converged(m) ? MPLM_VERDICT_CONVERGED
						      : MPLM_VERDICT_GO_ON);
}

/* Nothing to send. qemu-mplm syncs at once (and again, in a loop, while
 * an extended stage has nothing to send); on a virtual clock that loop
 * would not advance, so the second time it waits for the interval. */
static enum mplm_sync_cause nothing_found(struct mplm_migration *m,
					  struct qstate *q)
{
	if (!q->idle)
		return MPLM_CAUSE_NOTHING;
	double now = m->be.now(m->be.ctx);
	if (m->be.wait && q->wakeup > now)
		m->be.wait(m->be.ctx, q->wakeup - now);
	q->wakeup = m->be.now(m->be.ctx) + m->params.intervaltime;
	return MPLM_CAUSE_INTERVAL;
}

/* ram_save_pending syncs when pending < max_size. Extended, the stage
 * goes on after such a sync, and QEMU runs one ram_save_iterate call (a
 * rate window) before it asks again. */
static bool pending_test_due(const struct mplm_migration *m,
			     const struct qstate *q)
{
	if (!engine_fits_downtime(m))
		return false;
	return !q->extend || q->pending_window != m->windows;
}

enum live_end mplm_qemu_live(struct mplm_migration *m)
{
	struct qstate q = {
		.state = m->params.firstnondirty ? S0_NONDIRTY : S1_NONDIRTY,
		.bulk = true,
		.wakeup = m->be.now(m->be.ctx) + m->params.intervaltime,
		.window = m->windows,
		.pending_window = m->windows - 1,
	};
	for (;;) {
		enum live_end e = engine_tick(m);
		if (e != LIVE_CONTINUE)
			return e;
		/* migration_thread: nothing pending and no threshold yet
		 * completes without a sync (0 < max_size is false). Not when
		 * the operator asked for extend-live that no sync has read
		 * yet: qemu-mplm would be searching forever in S0 then. */
		if (!q.extend && !extend_requested(m) &&
		    engine_pending(m) == 0 && m->threshold <= 0)
			return engine_stop(m, MPLM_VERDICT_CONVERGED);
		if (q.sync_flag || pending_test_due(m, &q)) {
			enum mplm_sync_cause cause =
				q.sync_flag ? q.cause : MPLM_CAUSE_PENDING;
			q.pending_window = m->windows;
			e = sync_and_test(m, &q, cause);
			if (e != LIVE_CONTINUE)
				return e;
			engine_step_soon(m);
			continue;
		}
		/* A run of pages ends where the page-by-page loop would sync:
		 * QEMU's pending test or the interval check. */
		unsigned sent = 0;
		int r = find_and_save_block(m, &q,
					    min_pages(engine_pages_before_fit(m),
						      pages_to_interval_check(m, &q)),
					    &sent);
		if (r < 0)
			return LIVE_FAILED;
		if (r == STEP_SENT) {
			q.idle = false;
			check_interval(m, &q, sent);
		} else if (r == STEP_NOTHING) {
			q.cause = nothing_found(m, &q);
			q.sync_flag = true;
			q.idle = true;
			engine_step_soon(m);
		}
	}
}
