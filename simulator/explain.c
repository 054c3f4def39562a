/*
 * explain.c - teaching mode's narration (explain.h).
 *
 * Every decision is the engine's own: each sync record carries why the
 * sync happened, the rate and threshold of the test after it, and the
 * verdict (mplm-core/engine.c), and the final sync carries why the live
 * stage ended. The narration explains those with the arithmetic; it does
 * not redo the rules, so it cannot drift from the engine.
 */
#include "explain.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS_PER_BATCH 100 /* qemu-mplm's MPLM_DEFAULT_TX_CYCLE */

#define C(v) (teach_count(v).s)
#define R(v, d) (teach_real((v), (d)).s)
#define SZ(v) (teach_size(v).s)

/* What the run's parameters make of every sync. */
struct ctx {
	const struct teach_run *run;
	const struct mplm_params *p;
	enum mplm_algorithm alg;
	double page;      /* bytes */
	double rate;      /* the wire in the live stage, bytes/s */
	double down_rate; /* the wire in the downtime (no max-bandwidth) */
	double pps;       /* full pages per second on the link */
	double full_cost, zero_cost; /* wire bytes per page */
	bool measured;    /* the threshold uses QEMU's measured rate */
	bool qemu;        /* MPLM as qemu-mplm's code runs it */
};

static bool stops(enum mplm_verdict v)
{
	return v != MPLM_VERDICT_GO_ON && v != MPLM_VERDICT_EXTENDED &&
	       v != MPLM_VERDICT_NONE;
}

static void ctx_init(struct ctx *c, const struct teach_run *run)
{
	const struct sim_config *cfg = &run->cfg;
	c->run = run;
	c->p = &cfg->params;
	c->alg = cfg->params.algorithm;
	c->page = run->page_size ? run->page_size : 4096;
	c->rate = teach_link_rate(cfg);
	c->down_rate = mplm_wire_rate(cfg->link_bandwidth, 0);
	c->full_cost = c->page + cfg->header_bytes;
	c->zero_cost = sim_zero_page_bytes(cfg);
	c->pps = c->rate / c->full_cost;
	c->measured = c->p->threshold_bandwidth == MPLM_THRESHOLD_MEASURED;
	c->qemu = c->p->mplm_variant == MPLM_VARIANT_QEMU_MPLM;
}

static const struct mplm_sync_record *rec(const struct ctx *c, size_t i)
{
	return &c->run->frames[i].rec;
}

static uint64_t pending_pages(const struct ctx *c,
			      const struct mplm_sync_record *r)
{
	return c->alg == MPLM_ALG_PRECOPY ? r->d_size : r->d_size + r->nd_size;
}

/* ---------------------------------------------------------------- */
/* Sentences. */

/* The threshold of the test after a sync, as the engine recorded it. */
static void threshold_text(FILE *f, const struct ctx *c,
			   const struct mplm_sync_record *r)
{
	if (r->bandwidth <= 0) {
		fprintf(f, "the threshold, which is 0 until QEMU has measured the rate over a first 100 ms window");
		return;
	}
	fprintf(f, "bandwidth x downtime-limit = %s bytes/s%s x %.3f s = %s bytes (%s pages)",
		R(r->bandwidth, 0), c->measured ? " (measured over the last 100 ms)" : "",
		c->p->downtime_limit, R(r->threshold, 0), R(r->threshold / c->page, 1));
}

/* "Pending 38 pages = 152.0 KiB"; lower case inside a sentence. */
static void pending_text(FILE *f, const struct ctx *c, uint64_t pages,
			 bool capital)
{
	fprintf(f, "%s%s %s page%s = %s", capital ? "P" : "p",
		c->alg == MPLM_ALG_MPLM ? "ending D + ND =" : "ending",
		C(pages), pages == 1 ? "" : "s", SZ((double)pages * c->page));
}

/* The wire cost of the pages a record says were sent: full pages and
 * zero-page markers, solved from the bytes. */
static void sent_split(const struct ctx *c, const struct mplm_sync_record *r,
		       uint64_t *full, uint64_t *zero)
{
	uint64_t n = r->sent_d + r->sent_nd;
	double extra = c->full_cost - c->zero_cost;
	double f = extra > 0 ? ((double)r->bytes - (double)n * c->zero_cost) / extra : n;
	*full = f > 0 ? (uint64_t)llround(f) : 0;
	if (*full > n)
		*full = n;
	*zero = n - *full;
}

static void sent_text(FILE *f, const struct ctx *c, size_t i)
{
	const struct mplm_sync_record *r = rec(c, i);
	uint64_t n = r->sent_d + r->sent_nd, full, zero;

	sent_split(c, r, &full, &zero);
	if (c->alg == MPLM_ALG_MPLM)
		fprintf(f, "Since sync %u it sent %s pages from ND and %s from D",
			rec(c, i - 1)->index, C(r->sent_nd), C(r->sent_d));
	else
		fprintf(f, "Since sync %u it sent %s page%s", rec(c, i - 1)->index,
			C(n), n == 1 ? "" : "s");
	if (n == 0) {
		fprintf(f, ". ");
		return;
	}
	if (zero)
		fprintf(f, " (%s full, %s zero marker%s)", C(full), C(zero),
			zero == 1 ? "" : "s");
	fprintf(f, ": %s bytes, %.3f s of link time. ", C(r->bytes),
		(double)r->bytes / c->rate);
}

/* ND slots among `slots` slots of batches of 100 whose first
 * 100 - dirtypercents go to ND, starting at slot `at` of a batch. */
static uint64_t nominal_nd_slots(const struct ctx *c, unsigned at, uint64_t slots)
{
	uint64_t per = SLOTS_PER_BATCH - c->p->dirtypercents, n = 0;
	uint64_t full = slots / SLOTS_PER_BATCH, rest = slots % SLOTS_PER_BATCH;
	for (uint64_t k = 0; k < rest; k++)
		n += (at + k) % SLOTS_PER_BATCH < per;
	return full * per + n;
}

/* mplm_paper.c's batch counter, replayed from the records: it runs on
 * across syncs, restarts at 0 when D runs out (then every slot goes to ND
 * until the next sync), and epoch 0 with firstnondirty is ND only. Sets
 * where it stood when the epoch that frame i closes began; false when
 * the records cannot tell (ND ran out in an extended live stage). */
static bool batch_at(const struct ctx *c, size_t i, unsigned *at, bool *nd_only)
{
	unsigned pos = 0;
	bool only = c->p->firstnondirty;
	for (size_t j = 1; j < i; j++) {
		const struct mplm_sync_record *r = rec(c, j);
		uint64_t nominal = nominal_nd_slots(c, pos, r->slots_total);
		if (only || r->slots_nd > nominal)
			pos = 0; /* ND only, or D ran out: restarted */
		else if (r->slots_nd == nominal)
			pos = (unsigned)((pos + r->slots_total) % SLOTS_PER_BATCH);
		else
			return false;
		only = false;
	}
	*at = pos;
	*nd_only = only;
	return true;
}

static void slots_text(FILE *f, const struct ctx *c, size_t i)
{
	const struct mplm_sync_record *r = rec(c, i);
	unsigned per = SLOTS_PER_BATCH - c->p->dirtypercents, at;
	bool nd_only;

	if (c->alg != MPLM_ALG_MPLM || r->slots_total == 0)
		return;
	fprintf(f, "ND had %s of the %s slots (%.1f %%)", C(r->slots_nd),
		C(r->slots_total), 100.0 * (double)r->slots_nd / (double)r->slots_total);
	if (c->qemu) {
		fprintf(f, ": a slot is a step of a search, counted whether or not it found a page to send. ");
		return;
	}
	if (!batch_at(c, i, &at, &nd_only)) {
		fprintf(f, ". ");
		return;
	}
	uint64_t nominal = nominal_nd_slots(c, at, r->slots_total);
	if (nd_only)
		fprintf(f, ": epoch 0 gives every slot to ND (firstnondirty). ");
	else if (r->slots_nd > nominal)
		fprintf(f, ", more than the %s the batches give: D ran out of pages, and from then on every slot went to ND until this sync. ",
			C(nominal));
	else if (r->slots_nd < nominal)
		fprintf(f, ", fewer than the %s the batches give: ND ran out of pages. ",
			C(nominal));
	else if (at == 0)
		fprintf(f, ": in each batch of 100 the first %u slots are ND's, and the epoch began with a fresh batch. ",
			per);
	else
		fprintf(f, ": in each batch of 100 the first %u slots are ND's, and the batches ran on from slot %u, where the previous epoch left them. ",
			per, at);
}

/* The guest's writes that sync i reported, and where they went. */
static void dirtied_text(FILE *f, const struct ctx *c, size_t i)
{
	const struct mplm_sync_record *r = rec(c, i), *q = rec(c, i - 1);
	uint64_t w = r->dirtied;

	if (w == 0) {
		fprintf(f, "The guest dirtied no pages since sync %u. ", q->index);
		return;
	}
	fprintf(f, "The guest dirtied %s distinct page%s in those %.3f s (%s pages/s)",
		C(w), w == 1 ? "" : "s", r->interval,
		R(r->interval > 0 ? (double)w / r->interval : 0, 0));
	/* The sets are disjoint and a send removes a page from its set, so
	 * the sizes before and after the sync say where the writes landed. */
	uint64_t d_before = q->d_size - r->sent_d;
	uint64_t nd_before = q->nd_size - r->sent_nd;
	uint64_t from_nd = nd_before - r->nd_size;
	uint64_t new_in_d = r->d_size - d_before;
	uint64_t again = new_in_d - from_nd, queued = w - new_in_d;
	const char *sep = ": ";

	if (from_nd) {
		fprintf(f, "%s%s had never been sent and move from ND to D", sep, C(from_nd));
		sep = ", ";
	}
	if (again) {
		fprintf(f, "%s%s had been sent already and must go again", sep, C(again));
		sep = ", ";
	}
	if (queued)
		fprintf(f, "%s%s %s already waiting in D", sep, C(queued),
			queued == 1 ? "was" : "were");
	fprintf(f, ". ");
}

/* Auto-converge's test at sync i, from what the engine recorded of it
 * (QEMU's migration_bitmap_sync: periods of over 1 s, a counter of
 * periods that dirtied more than half of what they sent). */
static void throttle_text(FILE *f, const struct ctx *c, size_t i)
{
	const struct mplm_sync_record *r = rec(c, i), *q = rec(c, i - 1);
	const struct mplm_ac_test *t = &r->ac;

	if (!c->p->auto_converge)
		return;
	fprintf(f, "Auto-converge: ");
	if (!t->period_closed) {
		fprintf(f, "no test at this sync, as its period (over 1 s since the last test) is not over; ");
	} else if (!t->rate_known) {
		fprintf(f, "this sync closes the first period of over 1 s, where QEMU only measures the dirty rate: the test needs an earlier period's rate; ");
	} else {
		fprintf(f, "over the period this sync closes the guest dirtied %s pages newly (%s) and %s went out; %s is %s half of that (%s), so ",
			C((uint64_t)(t->dirtied_bytes / c->page)),
			SZ((double)t->dirtied_bytes), SZ((double)t->sent_bytes),
			SZ((double)t->dirtied_bytes), t->high ? "more than" : "not more than",
			SZ((double)t->sent_bytes / 2));
		if (r->throttle != q->throttle)
			fprintf(f, "the counter of such periods reached 3 and restarts at 0: the guest is throttled to %u %% (%s); ",
				r->throttle, q->throttle ? "cpu-throttle-increment more" : "cpu-throttle-initial");
		else if (t->high)
			fprintf(f, "the counter of such periods goes to %u of 3; ", t->high_count);
		else
			fprintf(f, "the counter stays at %u of 3; ", t->high_count);
	}
	if (r->throttle)
		fprintf(f, "the guest runs %u %% of the time (throttle %u %%). ",
			100 - r->throttle, r->throttle);
	else
		fprintf(f, "the guest is not throttled. ");
}

static void sets_text(FILE *f, const struct ctx *c, size_t i)
{
	const struct teach_frame *fr = &c->run->frames[i];
	uint64_t zero = fr->count[SIM_PAGE_ZERO];
	if (c->alg == MPLM_ALG_MPLM)
		fprintf(f, "Now D = %s pages and ND = %s pages", C(fr->rec.d_size),
			C(fr->rec.nd_size));
	else
		fprintf(f, "Now D, the pages marked to send, holds %s pages",
			C(fr->rec.d_size));
	if (zero)
		fprintf(f, " (%s zero page%s among them)", C(zero), zero == 1 ? "" : "s");
	fprintf(f, "; ");
	fprintf(f, "%s pages are at the destination and clean. ",
		C(fr->count[SIM_PAGE_CLEAN]));
}

/* The memory bound: ND gets at least its share of the link. */
static void bound_text(FILE *f, const struct ctx *c, uint64_t nd_pages,
		       bool at_setup)
{
	unsigned share = SLOTS_PER_BATCH - c->p->dirtypercents;
	if (share == 0) {
		fprintf(f, "With dirtypercents = 100, ND only gets the slots D leaves unused: nothing bounds the live stage while the guest keeps D busy. ");
		return;
	}
	double nd_rate = c->pps * share / SLOTS_PER_BATCH;
	if (at_setup)
		fprintf(f, "ND gets at least %u %% of the link's %s pages/s = %s pages/s, so it empties within about %s / %s = %.3f s (sooner with zero pages, or when D has too few pages for its slots). ",
			share, R(c->pps, 1), R(nd_rate, 1), C(nd_pages),
			R(nd_rate, 1), (double)nd_pages / nd_rate);
	else
		fprintf(f, "At its %s pages/s or more, ND empties within %s / %s = %.3f s. ",
			R(nd_rate, 1), C(nd_pages), R(nd_rate, 1),
			(double)nd_pages / nd_rate);
}

/* Why pre-copy switched to post-copy after record r. */
static void postcopy_why_text(FILE *f, const struct ctx *c,
			      const struct mplm_sync_record *r)
{
	if (c->p->postcopy_after_passes && r->index >= c->p->postcopy_after_passes)
		fprintf(f, ", and this was pass %u of postcopy-after-passes = %u, so pre-copy switches to post-copy: the guest is paused, and will run on the destination before its memory is there. ",
			r->index, c->p->postcopy_after_passes);
	else
		fprintf(f, ", and the operator asked for post-copy (migrate-start-postcopy at %.3f s), so pre-copy switches to it: the guest is paused, and will run on the destination before its memory is there. ",
			c->run->cfg.start_postcopy_at);
}

static void verdict_text(FILE *f, const struct ctx *c, size_t i)
{
	const struct mplm_sync_record *r = rec(c, i);
	const char *alg = c->alg == MPLM_ALG_MPLM ? "MPLM" : "pre-copy";
	uint64_t pend = pending_pages(c, r);

	switch (r->verdict) {
	case MPLM_VERDICT_CONVERGED:
		if (pend == 0) {
			fprintf(f, "Nothing is pending, so %s stops the live stage: the guest is paused for stop-and-copy. ", alg);
			return;
		}
		pending_text(f, c, pend, true);
		fprintf(f, " is less than ");
		threshold_text(f, c, r);
		fprintf(f, ", so %s stops the live stage: the guest is paused for stop-and-copy. ", alg);
		return;
	case MPLM_VERDICT_MAX_ITERATIONS:
		pending_text(f, c, pend, true);
		fprintf(f, " is still more than ");
		threshold_text(f, c, r);
		fprintf(f, ", but this was live sync %u of max-iterations = %u, so pre-copy stops the live stage anyway. ",
			r->index, c->p->max_iterations);
		return;
	case MPLM_VERDICT_MEMORY_BOUND:
		fprintf(f, "ND is now empty: every page has been sent once or is waiting in D, so MPLM stops the live stage. ");
		return;
	case MPLM_VERDICT_END_LIVE:
		if (c->qemu)
			fprintf(f, "ND is now empty and the operator's end-live (at %.3f s) has cleared extend-live, so MPLM stops the live stage. ",
				c->run->cfg.end_live_at);
		else
			fprintf(f, "The operator gave end-live at %.3f s, so MPLM stops the live stage. ",
				c->run->cfg.end_live_at);
		return;
	case MPLM_VERDICT_EXTENDED:
		fprintf(f, "%s extend-live (given at %.3f s) keeps the live stage going, whatever is pending: MPLM %s until end-live comes. ",
			r->nd_size ? "The live stage is extended:" : "ND is empty, but",
			c->run->cfg.extend_live_at,
			r->nd_size ? "goes on with both sets" : "sends D only");
		return;
	case MPLM_VERDICT_POSTCOPY:
		pending_text(f, c, pend, true);
		fprintf(f, " is still more than ");
		threshold_text(f, c, r);
		postcopy_why_text(f, c, r);
		return;
	case MPLM_VERDICT_GO_ON:
	case MPLM_VERDICT_NONE:
	case MPLM_VERDICT_NOT_CONVERGED:
		break;
	}
	if (c->alg == MPLM_ALG_PRECOPY) {
		pending_text(f, c, pend, true);
		fprintf(f, " is more than ");
		threshold_text(f, c, r);
		fprintf(f, ", so pre-copy keeps going: it sends marked pages until fewer than %s pages are left, then syncs again. ",
			R(r->threshold / c->page, 1));
		return;
	}
	fprintf(f, "ND still holds %s never-sent pages and ", C(r->nd_size));
	pending_text(f, c, pend, false);
	fprintf(f, " is more than ");
	threshold_text(f, c, r);
	fprintf(f, ", so MPLM goes on with epoch %u. ", r->index);
	bound_text(f, c, r->nd_size, false);
}

/* Pre-copy: is it catching up? Compare what was sent and dirtied. */
static void trend_text(FILE *f, const struct ctx *c, size_t i)
{
	const struct mplm_sync_record *r = rec(c, i), *q = rec(c, i - 1);
	if (c->alg != MPLM_ALG_PRECOPY || i < 2 || r->interval <= 0)
		return;
	if (r->threshold <= 0 || r->d_size < q->d_size)
		return;
	/* The most pages that are under the threshold, and how many of
	 * them the pages left at the sync already take. */
	double th_pages = r->threshold / c->page;
	uint64_t most = th_pages > 0 ? (uint64_t)ceil(th_pages) - 1 : 0;
	uint64_t left = q->d_size - r->sent_d;
	fprintf(f, "Pending did not shrink since sync %u (%s -> %s pages). To stop, it must be under %s pages after a sync; with %s still marked when pre-copy syncs, that leaves room for %s newly dirtied page%s, and the guest dirties %s pages/s. ",
		q->index, C(q->d_size), C(r->d_size), R(th_pages, 1), C(left),
		C(most > left ? most - left : 0), most - left == 1 ? "" : "s",
		R((double)r->dirtied / r->interval, 0));
}

static void mplm_paper_rules_text(FILE *f, const struct ctx *c)
{
	fprintf(f, "Every intervaltime = %.3f s MPLM reads the dirty log, starting an epoch. Pages go in batches of 100 slots: %u for ND, then %u for D, the batches running on across syncs; when D runs out, every slot goes to ND until the next sync. ",
		c->p->intervaltime, SLOTS_PER_BATCH - c->p->dirtypercents,
		c->p->dirtypercents);
	if (c->p->firstnondirty)
		fprintf(f, "Epoch 0 sends only ND (firstnondirty). ");
	if (c->p->relaxlivemig)
		fprintf(f, "Relaxed mode: until D's cursor has been once through memory, D's slots also send never-sent pages in address order. ");
	fprintf(f, "The live stage ends when ND is empty: it is bounded by memory. ");
}

static void mplm_qemu_rules_text(FILE *f, const struct ctx *c)
{
	fprintf(f, "MPLM runs as qemu-mplm's code does. Pages go in batches of 100 slots: %u searches of ND's cursor, then %u of D's, the batches running on across syncs; a slot is a search step, used even when the step finds no page to send. ",
		SLOTS_PER_BATCH - c->p->dirtypercents, c->p->dirtypercents);
	if (c->p->firstnondirty)
		fprintf(f, "Until the first sync only ND's cursor searches (firstnondirty). ");
	fprintf(f, "Until a cursor first reaches the end of memory (QEMU's bulk stage) each step moves one page on%s; after it, D's cursor takes the next page still to send, from D or ND. ",
		c->p->relaxlivemig ? ", and D's cursor sends the page if it is still to send (relaxlivemig)"
				   : ", and D's cursor looks for the next page of D (strict)");
	fprintf(f, "The dirty log is read when intervaltime = %.3f s has passed (checked every 64 pages), when the pages still to send fit in the downtime limit, and when nothing is left to search. The live stage ends at a sync that finds ND empty: it is bounded by memory. ",
		c->p->intervaltime);
}

static void setup_text(FILE *f, const struct ctx *c)
{
	const struct teach_frame *fr = &c->run->frames[0];
	uint64_t n = c->run->pages, zero = fr->count[SIM_PAGE_ZERO];

	fprintf(f, "Sync 0 at %.3f s (setup)\n", fr->rec.time);
	fprintf(f, "Dirty logging starts. ");
	if (c->alg == MPLM_ALG_MPLM)
		fprintf(f, "MPLM puts all %s pages (%s) in ND, the non-dirty set: never sent and not seen dirty. D, the dirty set, is empty. ",
			C(n), SZ((double)n * c->page));
	else
		fprintf(f, "%s marks all %s pages (%s) to send: D = %s pages. ",
			c->alg == MPLM_ALG_PRECOPY ? "Pre-copy" : "Stop-and-copy",
			C(n), SZ((double)n * c->page), C(fr->rec.d_size));
	if (zero)
		fprintf(f, "%s of them are zero pages, sent as %s-byte markers. ",
			C(zero), R(c->zero_cost, 0));
	fprintf(f, "The link carries %s bytes/s; a page takes %s bytes on the wire, so that is %s pages/s. ",
		R(c->rate, 0), R(c->full_cost, 0), R(c->pps, 1));

	switch (c->alg) {
	case MPLM_ALG_STOPCOPY:
		fprintf(f, "Stop-and-copy has no live stage: it pauses the guest at once and sends everything while it is paused. ");
		break;
	case MPLM_ALG_PRECOPY:
		fprintf(f, "Pre-copy sends them in address order with one cursor. Whenever the pages still marked fall under ");
		threshold_text(f, c, &fr->rec);
		fprintf(f, ", it reads the dirty log; if they are still under it afterwards, it stops the live stage%s. ",
			c->measured ? " (bandwidth: the rate measured over the last 100 ms)" : "");
		if (c->p->max_iterations)
			fprintf(f, "It also stops after max-iterations = %u live syncs. ", c->p->max_iterations);
		break;
	case MPLM_ALG_MPLM:
		if (c->qemu)
			mplm_qemu_rules_text(f, c);
		else
			mplm_paper_rules_text(f, c);
		bound_text(f, c, n, true);
		fprintf(f, "It also ends at a sync where D + ND fit in ");
		threshold_text(f, c, &fr->rec);
		fprintf(f, ". ");
		break;
	}
}

/* Why sync i happened, from its recorded cause. */
static void why_now_text(FILE *f, const struct ctx *c, size_t i)
{
	const struct mplm_sync_record *r = rec(c, i), *q = rec(c, i - 1);
	uint64_t left = pending_pages(c, q) - r->sent_d - r->sent_nd;

	switch (r->cause) {
	case MPLM_CAUSE_INTERVAL:
		fprintf(f, "Why now: epoch %u had run for intervaltime = %.3f s. ",
			q->index, c->p->intervaltime);
		return;
	case MPLM_CAUSE_NOTHING:
		fprintf(f, "Why now: the search found nothing to send. ");
		return;
	case MPLM_CAUSE_PENDING:
		if (left == 0) {
			fprintf(f, "Why now: every page to send had been sent. ");
			return;
		}
		fprintf(f, "Why now: only %s page%s = %s %s left to send, under the %s pages that fit in the downtime limit%s. ",
			C(left), left == 1 ? "" : "s", SZ((double)left * c->page),
			left == 1 ? "was" : "were", R(r->threshold / c->page, 1),
			c->measured ? " at the rate measured over the last 100 ms" : "");
		return;
	case MPLM_CAUSE_SETUP:
	case MPLM_CAUSE_FINAL:
		return;
	}
}

static void live_text(FILE *f, const struct ctx *c, size_t i)
{
	const struct mplm_sync_record *r = rec(c, i), *q = rec(c, i - 1);

	fprintf(f, "Sync %u at %.3f s, %.3f s after sync %u\n", r->index, r->time,
		r->interval, q->index);
	why_now_text(f, c, i);
	sent_text(f, c, i);
	slots_text(f, c, i);
	dirtied_text(f, c, i);
	throttle_text(f, c, i);
	sets_text(f, c, i);
	trend_text(f, c, i);
	verdict_text(f, c, i);
}

/* Why the guest was paused before final sync i. */
static void pause_reason(FILE *f, const struct ctx *c, size_t i, double t_stop)
{
	const struct mplm_sync_record *q = rec(c, i - 1);
	const struct sim_config *cfg = &c->run->cfg;

	if (c->alg == MPLM_ALG_STOPCOPY) {
		fprintf(f, "Stop-and-copy paused the guest right after setup. ");
		return;
	}
	enum mplm_verdict why = rec(c, i)->verdict;
	if (q->index > 0 && stops(q->verdict)) {
		fprintf(f, "The guest was paused at %.3f s, as decided at sync %u. ",
			t_stop, q->index);
		return;
	}
	if (why == MPLM_VERDICT_CONVERGED) {
		fprintf(f, "At %.3f s nothing was left to send before QEMU had measured the rate over a first 100 ms window: with nothing pending, the live stage ends without a sync, and the guest is paused. ",
			t_stop);
		return;
	}
	if (why == MPLM_VERDICT_POSTCOPY) {
		fprintf(f, "The operator's migrate-start-postcopy (at %.3f s) was read before the next page, with pages still pending: the guest was paused at %.3f s for the switch to post-copy. ",
			cfg->start_postcopy_at, t_stop);
		return;
	}
	if (why == MPLM_VERDICT_END_LIVE) {
		fprintf(f, "The operator gave end-live at %.3f s: the guest was paused at %.3f s, %.3f s into epoch %u. ",
			cfg->end_live_at, t_stop, t_stop - q->time, q->index);
		return;
	}
	fprintf(f, "At %.3f s, %.3f s into epoch %u, the last ND page was sent. ND is now empty: every page has been sent once or is waiting in D, so MPLM stops the live stage without waiting for the epoch to end, and pauses the guest. ",
		t_stop, t_stop - q->time, q->index);
}

static void downtime_text(FILE *f, const struct ctx *c, size_t i, double sync_cost)
{
	const struct teach_frame *fr = &c->run->frames[i];
	const struct sim_config *cfg = &c->run->cfg;
	uint64_t left = fr->rec.d_size + fr->rec.nd_size;
	uint64_t zero = fr->count[SIM_PAGE_ZERO], full = left - zero;
	double bytes = (double)full * c->full_cost + (double)zero * c->zero_cost +
		       (double)cfg->state_bytes;
	double predicted = sync_cost + bytes / c->down_rate;

	fprintf(f, "Still to send while paused: D %s + ND %s pages = %s full x %s bytes",
		C(fr->rec.d_size), C(fr->rec.nd_size), C(full), R(c->full_cost, 0));
	if (zero)
		fprintf(f, " + %s zero x %s bytes", C(zero), R(c->zero_cost, 0));
	if (cfg->state_bytes)
		fprintf(f, ", and %s bytes of CPU and device state", C(cfg->state_bytes));
	fprintf(f, ": %s bytes, %.3f s at %s bytes/s%s", R(bytes, 0),
		bytes / c->down_rate, R(c->down_rate, 0),
		c->down_rate > c->rate ? " (QEMU lifts max-bandwidth for stop-and-copy)" : "");
	if (sync_cost > 0)
		fprintf(f, ", plus %.6f s for the final sync", sync_cost);
	fprintf(f, ". Downtime: %.3f s", predicted);
	if (c->run->res.stats.status == MPLM_STATUS_COMPLETED)
		fprintf(f, " (measured: %.3f s)", c->run->res.stats.downtime);
	if (c->alg == MPLM_ALG_PRECOPY)
		fprintf(f, "; the downtime-limit is %.3f s, and what the guest dirtied after the last live sync comes on top. ",
			c->p->downtime_limit);
	else if (c->alg == MPLM_ALG_MPLM)
		fprintf(f, ". MPLM sets no downtime target: the downtime is what D and ND hold at the pause, the pages the guest dirtied faster than the live stage resent them. ");
	else
		fprintf(f, ". ");
}

/* The switch to post-copy: what goes while paused, and after. */
static void postcopy_switch_text(FILE *f, const struct ctx *c, size_t i,
				 double sync_cost)
{
	const struct teach_frame *fr = &c->run->frames[i];
	const struct sim_config *cfg = &c->run->cfg;
	const struct mplm_stats *st = &c->run->res.stats;
	double state = (double)cfg->state_bytes / c->down_rate;

	fprintf(f, "Post-copy does not send the %s pages still to send while paused. It sends the discard set, those %s pages (never sent, or written since they were sent), which the destination drops: it will fetch each on its first touch",
		C(fr->rec.d_size), C(fr->rec.d_size));
	if (cfg->state_bytes)
		fprintf(f, "; then %s bytes of CPU and device state, %.3f s", C(cfg->state_bytes), state);
	fprintf(f, ". The destination runs the guest after %.3f s of downtime", sync_cost + state);
	if (st->status == MPLM_STATUS_COMPLETED)
		fprintf(f, " (measured: %.3f s)", st->downtime);
	fprintf(f, ". From here there is no way back: the source's memory is out of date, and a lost link or source loses the guest. ");
}

static void final_text(FILE *f, const struct ctx *c, size_t i)
{
	const struct mplm_sync_record *r = rec(c, i), *q = rec(c, i - 1);
	const struct sim_config *cfg = &c->run->cfg;
	double sync_cost = cfg->sync_fixed + cfg->sync_per_page * (double)r->dirtied;
	double t_stop = r->time - sync_cost;

	fprintf(f, "Sync %u at %.3f s (final, inside the downtime), %.3f s after sync %u\n",
		r->index, r->time, r->interval, q->index);
	pause_reason(f, c, i, t_stop);
	if (r->sent_d + r->sent_nd) {
		sent_text(f, c, i);
		slots_text(f, c, i);
	}
	dirtied_text(f, c, i);
	if (r->verdict == MPLM_VERDICT_POSTCOPY)
		postcopy_switch_text(f, c, i, sync_cost);
	else
		downtime_text(f, c, i, sync_cost);
}

/* How post-copy went: the push, the faults, the wait. */
static void postcopy_outcome_text(FILE *f, const struct ctx *c, uint64_t live_syncs)
{
	const struct mplm_stats *st = &c->run->res.stats;
	double pre = st->live_time;
	uint64_t faults = st->postcopy_requests;

	fprintf(f, "Completed in %.3f s: pre-copy for %.3f s with %s live sync%s, %.3f s of downtime at the switch, then %.3f s of post-copy, the degradation window: the guest ran on the destination while %s pages still came, at the link's %s pages/s. ",
		st->total_time, pre, C(live_syncs), live_syncs == 1 ? "" : "s",
		st->downtime, st->postcopy_time, C(st->postcopy_pages),
		R(c->down_rate / c->full_cost, 1));
	if (!faults) {
		fprintf(f, "The guest touched no page that had not arrived yet: no remote fault. ");
		return;
	}
	fprintf(f, "The guest's first write to a page not there yet was a remote fault, %s in all: it stopped until the page, sent ahead of the rest, was there and a round trip (rtt = %.6f s) more, %.3f s in all (%.6f s each on average), trace time it did not run. ",
		C(faults), c->run->cfg.rtt, st->postcopy_wait,
		st->postcopy_wait / (double)faults);
}

static FILE *text_open(char **buf, size_t *len)
{
	*buf = NULL;
	return open_memstream(buf, len);
}

static char *text_close(FILE *f, char **buf)
{
	if (fclose(f) != 0) {
		free(*buf);
		return NULL;
	}
	return *buf;
}

char *explain_sync(const struct teach_run *run, size_t i)
{
	struct ctx c;
	char *buf;
	size_t len;
	FILE *f = text_open(&buf, &len);

	if (!f || i >= run->nframes)
		return f ? text_close(f, &buf) : NULL;
	ctx_init(&c, run);
	if (i == 0)
		setup_text(f, &c);
	else if (rec(&c, i)->final)
		final_text(f, &c, i);
	else
		live_text(f, &c, i);
	return text_close(f, &buf);
}

char *explain_outcome(const struct teach_run *run)
{
	const struct mplm_stats *st = &run->res.stats;
	struct ctx c;
	char *buf;
	size_t len;
	FILE *f = text_open(&buf, &len);

	if (!f)
		return NULL;
	ctx_init(&c, run);
	fprintf(f, "Result\n");
	if (run->rc < 0 || run->nframes == 0) {
		fprintf(f, "The migration did not complete: %s. ", run->res.error);
		return text_close(f, &buf);
	}
	const struct mplm_sync_record *last = rec(&c, run->nframes - 1);
	uint64_t live_syncs = run->nframes - 1 - (last->final ? 1 : 0);
	if (st->status == MPLM_STATUS_NOT_CONVERGED) {
		fprintf(f, "Not converged: after max-time = %.3f s the live stage was still running, with %s live syncs; at the last one, ",
			c.p->max_total_time, C(live_syncs));
		pending_text(f, &c, pending_pages(&c, last), false);
		if (last->threshold > 0)
			fprintf(f, " against a threshold of %s pages",
				R(last->threshold / c.page, 1));
		fprintf(f, ". The migration gives up and the guest keeps running on the source. ");
		return text_close(f, &buf);
	}
	if (st->verdict == MPLM_VERDICT_POSTCOPY)
		postcopy_outcome_text(f, &c, live_syncs);
	else
		fprintf(f, "Completed in %.3f s: a live stage of %.3f s with %s live sync%s, then %.3f s of downtime. ",
			st->total_time, st->live_time, C(live_syncs),
			live_syncs == 1 ? "" : "s", st->downtime);
	fprintf(f, "%s pages went over the link for a %s-page VM (%.2f x its memory); %s of them while paused. ",
		C(st->pages_sent), C(run->pages),
		(double)st->pages_sent / (double)run->pages, C(st->downtime_pages));
	return text_close(f, &buf);
}

/* ---------------------------------------------------------------- */
/* Layout. */

/* One line of text, wrapped, every output line after `indent` spaces. */
static void wrap_line(FILE *out, const char *s, size_t n, unsigned width,
		      unsigned indent)
{
	unsigned col = 0;
	while (n) {
		while (n && *s == ' ') {
			s++;
			n--;
		}
		size_t w = 0;
		while (w < n && s[w] != ' ')
			w++;
		if (!w)
			break;
		if (col && col + 1 + w > width) {
			fputc('\n', out);
			col = 0;
		}
		if (!col) {
			fprintf(out, "%*s", (int)indent, "");
			col = indent;
		} else {
			fputc(' ', out);
			col++;
		}
		fwrite(s, 1, w, out);
		col += (unsigned)w;
		s += w;
		n -= w;
	}
	fputc('\n', out);
}

void explain_wrap(FILE *out, const char *text, unsigned width)
{
	bool heading = true;
	if (width < 20)
		width = 20;
	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t n = nl ? (size_t)(nl - text) : strlen(text);
		wrap_line(out, text, n, width, heading ? 0 : 2);
		heading = false;
		text += n + (nl ? 1 : 0);
	}
}
