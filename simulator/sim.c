/*
 * sim.c - the trace-replay simulator: an mplm-core back end with a virtual
 * clock.
 *
 * Two clocks run here. `now` is the migration's clock, starting at 0 when
 * the migration starts. `guest` is the trace's clock: it advances with
 * `now` while the guest runs and stands still while the guest is paused
 * (dirty log syncs, the downtime).
 *
 * The guest's writes (`replay`). A trace only says which pages were
 * written in each interval (T_prev, T], not when. With `replay = spread`
 * (the default) each page of an interval lands at its own time inside it:
 * the interval is cut into K equal slices, K the fewest that make a slice
 * at most 1 ms (from the interval's length in whole microseconds, as the
 * trace gives it; at most 2^20), and page p of the interval numbered n (0
 * the trace's first, counting on when it loops) lands at the end of slice
 * j = floor(h K / 2^32), h the top 32 bits of (p ^ salt(n)) x (2^64 /
 * golden ratio) mod 2^64, salt(n) a fixed-seed mix of n (spread_slice).
 * A hash, not the page order, so that no address range lands first
 * (MPLM's cursor walks memory upwards); fixed, so a run repeats exactly.
 * A page lands when the guest clock passes its time, so a pass shorter
 * than the interval sees the writes that fall inside it, as a real
 * guest's dirty log would; with every write at T, a short last pass of
 * pre-copy sees nothing and converges early (issue 9).
 *
 * Landing is lazy, which keeps the send runs and their jumps as they
 * were: the pages of a spread interval wait in its bitmap and land when
 * something would see them. A send of a waiting page first lands it if
 * its time came by the send's start (be_send_page, be_send_run; a full
 * page in a jump with the guest clock it had at its turn,
 * jumped_pages_land; a waiting page that is still all zero ends a
 * stretch, as whether it landed decides how it is sent). A dirty log
 * sync, the guest's pause and the migration's start land all whose time
 * came, in one pass over the bitmap (land_due: a slice index per page,
 * compared with the slices ended). What is left lands at T with word
 * operations, as an interval under `replay = interval` does. So every
 * observer sees what landing each page at its own time would have shown
 * (test_golden checks runs against page-by-page sends under both
 * replays). Intervals of one slice (1 ms or less) and every interval that
 * ends before the migration starts (--start-at: only which pages were
 * written matters then) land whole at T. `replay = interval` lands every
 * interval whole at T: what a dirty log read at T reports, the model
 * before spread replay.
 *
 * Deferred intervals. Once the dirty log holds every page the source can
 * write (log_full: a guest that rewrote its whole working set since the
 * last sync, as a non-converging pre-copy's does), landing a page changes
 * nothing anyone sees: the log has it, it is non-zero, and without
 * `verify` no stale bit records it. Then an interval's pages are not made
 * at all, only counted (trace_source_next_count, generators), and made
 * after all (trace_source_fill_last, materialize) if something is about
 * to look at them before the interval ends: a dirty log sync (which
 * clears the log) or the guest's pause, once some of them are due (with
 * none due, the interval lands whole at its end, into the log of then,
 * as landing each page at its time would). Sends see no waiting page in a
 * deferred interval; a page they would have landed lands at the next
 * scan instead, into the same log and counts. The same holds for every
 * interval of a source whose writable pages are all non-zero from the
 * start (writes_nonzero: a generated workload's working set), with or
 * without a full log: a send cannot tell a waiting page from a landed
 * one, since both are sent whole and only the next sync reads the log.
 * Then an interval nobody looks at before its end is made at its end,
 * straight into the log, instead of into iv and then ORed over. test_golden
 * compares runs with and without `verify` on such workloads and on
 * workloads that fill the log.
 *
 * With `verify`, the simulator knows which pages the destination holds
 * stale: every page at first, a page again whenever the guest writes it,
 * no longer once it is sent. At resume none may be stale. That is the
 * check "every page carries the version the source had at pause" (a
 * per-page write counter on each side, equal exactly when the last send
 * came after the last write), kept in one bit per page instead of 64.
 */
#include "sim.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gen.h"
#include "trace.h"
#include "units.h"

/* k steps of clock += d at once (see clock_step). */
struct clock_step {
	uint64_t e; /* the binade (a double's biased exponent); 0: none yet */
	double d, u, top;
	uint64_t m;
	bool ok;
};

struct sim {
	const struct sim_config *cfg;
	struct sim_result *res;
	trace_source *src;
	const mplm_bitmap *initial; /* non-zero at trace start; NULL = all */
	uint64_t vm_pages, trace_pages;
	uint64_t base;                /* guest page of trace page 0; 64-aligned */
	uint64_t static_lo, static_hi; /* guest pages of static data */
	uint32_t page_size;
	uint32_t zero_bytes;          /* a zero page on the wire */

	double now;          /* s since the migration started */
	double guest;        /* s of trace time */
	double sec_per_byte; /* on the wire, at the effective rate */
	double guest_speed;  /* 1, or 1 - throttle / 100 (auto-converge) */
	/* page_cost of a full page and of a zero page, at that rate */
	double dt_full, dt_marker;
	uint32_t full_bytes, marker_bytes;
	/* Each clock's step for send runs' jumps (clock_step), for full
	 * pages [0] and zero pages [1]. */
	struct clock_step step_now[2], step_guest[2];
	bool paused;

	/* The next interval, read ahead: its pages (or with spread replay,
	 * its next slice's) land when guest >= next_at. */
	mplm_bitmap *iv;
	double next_at;      /* s of trace time; INFINITY when none left */
	double loop_offset;  /* trace time at which the current pass began */
	double iv_end;       /* the read-ahead interval's end T (trace time) */
	uint64_t iv_number;  /* intervals read so far */
	bool src_done;
	/* Spread replay: the read-ahead interval (t0, t1]'s pages that have
	 * not landed yet are the bits left in iv (see land_due). */
	struct {
		uint32_t k;        /* slices; 0: the interval lands whole at t1 */
		uint64_t salt;     /* the interval number's part of the hash */
		uint64_t off[64];  /* (b ^ salt's low 6 bits) x PHI, b a bit */
		uint32_t landed;   /* slices whose pages have all landed */
		double t0, t1;
		/* After the interval's first scan: its words that may still
		 * hold pages (a bit per word of iv, in iv_summary), so that
		 * the next scans (the last short passes make several syncs
		 * per interval) visit only those. */
		bool summary;
	} sp;
	uint64_t *iv_summary;
	uint64_t iv_left;    /* pages left in iv */
	uint64_t iv_count;   /* the pending interval's distinct pages */
	/* Deferred intervals (file comment). */
	bool can_defer;      /* the source can, and no stale bits are kept */
	bool iv_deferred;    /* the pending interval's pages are not in iv */
	bool log_full;       /* log holds every page below `writable` */
	bool writes_nonzero; /* every page below `writable` was non-zero
	                      * at the trace's start */
	uint64_t writable;   /* trace pages the source may write: [0, writable) */
	uint64_t log_added;  /* pages of the intervals ended since the last
	                      * sync: log holds no more than that */

	mplm_bitmap *log;     /* written since the last sync */
	mplm_bitmap *written; /* written since the trace started, up to the last sync */
	mplm_bitmap *touched; /* written since the migration started, ditto */
	/* Their words, for the per-page tests of the send path. */
	const uint64_t *initial_words;
	uint64_t *written_words, *log_words, *iv_words;
	uint64_t iv_nwords;
	uint64_t *stale_words;
	uint64_t pages_written_migrating; /* sum of interval sizes */
	double guest_at_start;

	mplm_bitmap *stale; /* with verify: the destination's copy is old */
	mplm_bitmap *sent;  /* with an observer */

	/* Post-copy (the pc_ functions): from the discard set on, the pages
	 * the destination lacks; once it started, the guest runs there. */
	mplm_bitmap *missing;
	uint64_t *missing_words;
	bool pc_on;           /* the destination runs the guest */
	mplm_bitmap *pc_due;  /* landed on the destination, to write in order */
	uint64_t pc_word;     /* ... written up to this word */
	uint64_t pc_pending;  /* pages in pc_due */
	uint64_t fault_page;  /* the page the guest waits for, or PC_NONE */
	bool fault_asked;     /* handed to the engine */
	double resume_at;     /* when it can go on; INFINITY until sent */
	double fault_wait;    /* s the guest waited on remote faults */

	mplm_migration *m;
	char *err;
	size_t errlen;
};

#define PC_NONE UINT64_MAX

static int pc_advance(struct sim *s, double dt);
static int pc_start(struct sim *s);
static void pc_page_sent(struct sim *s, uint64_t page);

/* ---------------------------------------------------------------- */
/* The guest: replaying the trace. */

/* Spread replay (see the file comment): slices of at most 1 ms. */
#define SPREAD_SLICE_US 1000
#define SPREAD_MAX_SLICES (UINT32_C(1) << 20)
#define SPREAD_SEED UINT64_C(0x6d706c6d2d6c6162) /* "mplm-lab" */

/* K for an interval (t0, t1]: trace times are whole microseconds. */
static uint32_t spread_slices(double t0, double t1)
{
	long long us = llround((t1 - t0) * 1e6);
	long long k = (us + SPREAD_SLICE_US - 1) / SPREAD_SLICE_US;
	return k < 1 ? 1 : k > SPREAD_MAX_SLICES ? SPREAD_MAX_SLICES : (uint32_t)k;
}

/* Page p of interval n lands in slice floor(h K / 2^32) of K, h the top
 * 32 bits of (p ^ salt(n)) x PHI (Fibonacci hashing: one multiply, as
 * sync-time scans hash every pending page), salt(n) MurmurHash3's 64-bit
 * finaliser of n ^ SEED (once per interval, so intervals look unrelated). */
#define SPREAD_PHI UINT64_C(0x9e3779b97f4a7c15) /* 2^64 / golden ratio */

static uint64_t spread_salt(uint64_t interval)
{
	uint64_t x = interval ^ SPREAD_SEED;
	x ^= x >> 33;
	x *= UINT64_C(0xff51afd7ed558ccd);
	x ^= x >> 33;
	x *= UINT64_C(0xc4ceb9fe1a85ec53);
	x ^= x >> 33;
	return x;
}

static uint32_t spread_slice(uint64_t page, uint64_t salt, uint32_t k)
{
	return (uint32_t)((((page ^ salt) * SPREAD_PHI) >> 32) * k >> 32);
}

/* The end of slice j of k of (t0, t1]: when its pages land. */
static double slice_end(double t0, double t1, uint32_t j, uint32_t k)
{
	if (j + 1 >= k)
		return t1;
	double t = t0 + (t1 - t0) * (j + 1) / k;
	return t < t1 ? t : t1;
}

double sim_landing_time(uint64_t page, uint64_t interval, double t0, double t1)
{
	uint32_t k = spread_slices(t0, t1);
	return slice_end(t0, t1, spread_slice(page, spread_salt(interval), k), k);
}

/* The landing time of trace page p of the pending spread interval. */
static double pending_landing(const struct sim *s, uint64_t p)
{
	uint32_t j = spread_slice(p, s->sp.salt, s->sp.k);
	return slice_end(s->sp.t0, s->sp.t1, j, s->sp.k);
}

/* Pages `bits` of trace word w of the pending interval land now (a send
 * of one, so the migration runs): into the dirty log, stale at the
 * destination, no longer pending. */
static inline void land_word(struct sim *s, uint64_t w, uint64_t bits)
{
	s->log_words[w] |= bits;
	if (s->stale_words)
		s->stale_words[s->base / 64 + w] |= bits;
	s->iv_words[w] &= ~bits;
	unsigned n = (unsigned)__builtin_popcountll(bits);
	s->iv_left -= n;
	s->pages_written_migrating += n;
}

/* The slices of the pending interval that have ended by `until`: the
 * pages of slices below it have landed by then (slice ends go up with j,
 * so the estimate is corrected by whole slices, with slice_end's own
 * arithmetic). */
static uint32_t slices_ended(const struct sim *s, double until)
{
	const uint32_t k = s->sp.k;
	double f = floor((until - s->sp.t0) / (s->sp.t1 - s->sp.t0) * k);
	uint32_t j = f < 0 ? 0 : f > k ? k : (uint32_t)f;
	while (j > 0 && slice_end(s->sp.t0, s->sp.t1, j - 1, k) > until)
		j--;
	while (j < k && slice_end(s->sp.t0, s->sp.t1, j, k) <= until)
		j++;
	return j;
}

/* What a scan for due pages needs, in locals (the scan writes bitmaps
 * through uint64_t pointers, which could alias the fields of struct sim). */
struct due_scan {
	const uint64_t *off; /* sp.off */
	uint64_t salt_hi;    /* the salt's bits above the low 6 */
	uint32_t due;        /* slices ended; 0: nothing to land */
	/* A page is due when its product (spread_slice) is at most this:
	 * floor(h K / 2^32) < due <=> h < ceil(due 2^32 / K), h the product's
	 * top 32 bits; UINT64_MAX (every page) when every slice has ended. */
	uint64_t last;
	uint64_t *iv, *stale; /* stale: the trace's first word, or NULL */
};

/* The slices of the pending interval that have ended by guest time
 * `until`; 0 when none has since the last look (sp.landed: their pages
 * are out already), or no interval is spread. */
static uint32_t due_slices(struct sim *s, double until)
{
	if (!s->sp.k || until <= s->sp.t0)
		return 0;
	uint32_t due = slices_ended(s, until);
	if (due <= s->sp.landed)
		return 0;
	s->sp.landed = due;
	return due;
}

/* A scan for the pages due by `until` (d->due 0: nothing to land). */
static void due_scan_init(struct sim *s, double until, struct due_scan *d)
{
	*d = (struct due_scan){
		.off = s->sp.off, .salt_hi = s->sp.salt & ~UINT64_C(63),
		.due = due_slices(s, until), .iv = s->iv_words,
		.stale = s->stale_words ? s->stale_words + s->base / 64 : NULL,
	};
	uint64_t k = s->sp.k;
	if (d->due) /* then k > 1 */
		d->last = d->due >= k ? UINT64_MAX
				      : ((((uint64_t)d->due << 32 | (k - 1)) / k) << 32) - 1;
}

/* Whether bit b of trace word w of the pending interval is due: its
 * spread_slice product, with (64 w + b) ^ salt = (64 w ^ salt's high
 * bits) + (b ^ its low 6) so that the product is a word's part plus a
 * bit's (sp.off), mod 2^64, compared with d->last. */
static inline bool bit_due(const struct due_scan *d, uint64_t word_part, unsigned b)
{
	return word_part + d->off[b] <= d->last;
}

/* Take the pending pages of trace word w in the first d->due slices out of
 * the interval and make them stale at the destination (unless d->stale is
 * NULL: after the switch to post-copy they are the destination's own
 * writes); the caller writes them where they land (land_due_all,
 * land_due_summary). The two
 * lowest are tested without a branch (an interval leaves most words with
 * none, one or two pages: a loop per page would mispredict its end once
 * a word), the rest one by one. */
static inline uint64_t take_due(const struct due_scan *d, uint64_t w)
{
	const uint64_t top = UINT64_C(1) << 63; /* ctz of an empty word: 63 */
	uint64_t bits = d->iv[w], wp = ((w * 64) ^ d->salt_hi) * SPREAD_PHI;
	uint64_t b0 = bits & -bits, rest = bits & (bits - 1), b1 = rest & -rest;
	unsigned i0 = (unsigned)__builtin_ctzll(bits | top);
	unsigned i1 = (unsigned)__builtin_ctzll(rest | top);
	uint64_t landed = (b0 & -(uint64_t)bit_due(d, wp, i0)) |
			  (b1 & -(uint64_t)bit_due(d, wp, i1));
	for (rest &= rest - 1; rest; rest &= rest - 1) {
		unsigned b = (unsigned)__builtin_ctzll(rest);
		landed |= (uint64_t)bit_due(d, wp, b) << b;
	}
	d->iv[w] &= ~landed;
	if (d->stale)
		d->stale[w] |= landed;
	return landed;
}

/* The pending interval's pages into iv if they were deferred: something
 * is about to look at them (file comment). */
static int materialize(struct sim *s)
{
	if (!s->iv_deferred)
		return 0;
	s->iv_deferred = false;
	s->sp.summary = false;
	if (trace_source_fill_last(s->src, s->iv) < 0) {
		snprintf(s->err, s->errlen, "%s", trace_source_error(s->src));
		return -1;
	}
	return 0;
}

/* land_due's scan of every word of iv into `into` (the log, or before
 * the migration the pages written), which notes the words that still
 * hold pages (sp.summary); the pages landed. land_word's work, with the
 * counts in registers. */
static uint64_t land_due_all(struct sim *s, const struct due_scan *d, uint64_t *into)
{
	uint64_t nw = mplm_bitmap_nwords(s->iv), *sum = s->iv_summary, held = 0, n = 0;
	for (uint64_t w = 0; w < nw; w++) {
		uint64_t landed = take_due(d, w);
		into[w] |= landed;
		n += (uint64_t)__builtin_popcountll(landed);
		held |= (uint64_t)(d->iv[w] != 0) << (w % 64);
		if (w % 64 == 63 || w + 1 == nw) { /* a register, not memory */
			sum[w / 64] = held;
			held = 0;
		}
	}
	s->sp.summary = true;
	return n;
}

/* land_due's scan of the words noted by the last one (pages only leave
 * iv until the next interval, so no other word holds any). */
static uint64_t land_due_summary(struct sim *s, const struct due_scan *d,
				 uint64_t *into)
{
	uint64_t *sum = s->iv_summary, ns = (mplm_bitmap_nwords(s->iv) + 63) / 64, n = 0;
	for (uint64_t i = 0; i < ns; i++) {
		uint64_t held = sum[i];
		for (uint64_t left = held; left; left &= left - 1) {
			uint64_t w = i * 64 + (unsigned)__builtin_ctzll(left);
			uint64_t landed = take_due(d, w);
			into[w] |= landed;
			n += (uint64_t)__builtin_popcountll(landed);
			if (!d->iv[w])
				held &= ~(left & -left);
		}
		sum[i] = held;
	}
	return n;
}

/* Land every pending page whose time has come by `until` (guest time).
 * Landing is lazy: a spread interval's pages wait in iv, and land when
 * something looks at them (a sync reads the log, the migration starts or
 * the guest pauses, a send of the page: sent_page_lands) or, all that
 * are left, at the interval's end. What anything sees is what landing
 * each at its time would have shown, at a scan per look instead of an
 * event per slice. */
static int land_due(struct sim *s, double until, bool migrating)
{
	struct due_scan d;
	due_scan_init(s, until, &d);
	/* A deferred interval none of which is due stays deferred: it lands
	 * whole at its end (apply_interval), into the log of that time,
	 * where landing now would have left none of it either. */
	if (!d.due)
		return 0;
	if (materialize(s) < 0)
		return -1;
	uint64_t *into = migrating ? s->log_words : s->written_words;
	uint64_t n = s->sp.summary ? land_due_summary(s, &d, into)
				   : land_due_all(s, &d, into);
	s->iv_left -= n;
	if (migrating)
		s->pages_written_migrating += n;
	return 0;
}

/* The pending pages of VM word `word` (0 unless a spread interval is). */
static inline uint64_t pending_bits(const struct sim *s, uint64_t word)
{
	uint64_t tw = word - s->base / 64; /* below the trace: huge */
	/* After the switch to post-copy they are the destination's. */
	if (!s->sp.k || s->pc_on || s->iv_deferred || tw >= s->iv_nwords)
		return 0;
	return s->iv_words[tw];
}

/* A pending page (VM word `word`, bit `bit`) is about to be sent with the
 * guest clock at `guest`: it lands first if its time has come. True if
 * it did (then it is no longer a zero page). */
static bool sent_page_lands(struct sim *s, uint64_t word, uint64_t bit,
			    double guest)
{
	uint64_t p = word * 64 + (unsigned)__builtin_ctzll(bit) - s->base;
	if (pending_landing(s, p) > guest)
		return false;
	land_word(s, p / 64, bit);
	return true;
}

/* The interval (t0, next_at] just read: spread it, unless it lands whole
 * (interval replay, one slice, or over before the migration starts). */
static void spread_interval(struct sim *s, double t0, uint64_t interval)
{
	double t1 = s->next_at;
	uint32_t k = spread_slices(t0, t1);
	bool spread = s->cfg->replay == SIM_REPLAY_SPREAD && k > 1 &&
		      s->iv_left && t1 > s->cfg->start_at;
	s->sp.k = spread ? k : 0;
	if (!spread)
		return;
	s->sp.landed = 0;
	s->sp.summary = false;
	s->sp.salt = spread_salt(interval);
	for (unsigned b = 0; b < 64; b++)
		s->sp.off[b] = (b ^ (s->sp.salt & 63)) * SPREAD_PHI;
	s->sp.t0 = t0;
	s->sp.t1 = t1;
}

/* Whether the interval just read may stay deferred: only if it surely
 * ends (lands whole) or is looked at before the run can end without a
 * look. A pause (a sync, the stop) looks; until one, the guest runs at
 * full speed with the migration's clock, so the interval ends when that
 * reads now + its length, which must be well before max-total-time: a
 * run that gives up there looks at nothing, and a page a send would have
 * landed would go uncounted in the guest's write rate. Never after the
 * switch to post-copy: the destination's guest takes each page from iv. */
static bool may_defer(const struct sim *s)
{
	double left = s->next_at - s->guest, cap = s->cfg->params.max_total_time;
	return s->guest_speed == 1 && !s->pc_on &&
	       (!(cap > 0) || s->now + 2 * left < cap);
}

static int read_next_interval(struct sim *s)
{
	uint64_t t_us, count;
	for (;;) {
		/* A full log: the interval's pages may never be needed; or
		 * only at its end, made straight into the log. */
		bool defer = s->log_full || (s->can_defer && s->writes_nonzero);
		int r = defer ? trace_source_next_count(s->src, &t_us, &count)
			      : trace_source_next(s->src, s->iv, &t_us, &count);
		if (r < 0) {
			snprintf(s->err, s->errlen, "%s", trace_source_error(s->src));
			return -1;
		}
		if (r > 0) {
			double t0 = s->iv_end;
			s->iv_left = s->iv_count = count;
			s->iv_end = s->next_at = s->loop_offset + (double)t_us / 1e6;
			spread_interval(s, t0, s->iv_number++);
			s->iv_deferred = defer;
			return may_defer(s) ? 0 : materialize(s);
		}
		/* End of the workload at t_us: idle from then on, or replay
		 * it from the start. An empty trace cannot loop. */
		if (s->cfg->at_end == SIM_END_IDLE || t_us == 0) {
			s->src_done = true;
			s->next_at = INFINITY;
			s->sp.k = 0; /* nothing pending: no slices, no pages */
			s->iv_left = 0;
			return 0;
		}
		if (trace_source_rewind(s->src) < 0) {
			snprintf(s->err, s->errlen, "%s", trace_source_error(s->src));
			return -1;
		}
		s->loop_offset += (double)t_us / 1e6;
		s->iv_end = s->loop_offset;
	}
}

/* dst |= src over n words, four at a time: GCC does not vectorise at
 * -O2, and this pass runs once per trace interval over the whole trace.
 * With `take`, src is emptied in the same pass. */
typedef uint64_t words4 __attribute__((vector_size(32), aligned(8), may_alias));
static void or_words(uint64_t *restrict dst, uint64_t *restrict src,
		     uint64_t n, bool take)
{
	const words4 zero4 = { 0, 0, 0, 0 };
	uint64_t w = 0;
	if (take) {
		for (; w + 4 <= n; w += 4) {
			*(words4 *)(dst + w) |= *(const words4 *)(src + w);
			*(words4 *)(src + w) = zero4;
		}
		for (; w < n; w++) {
			dst[w] |= src[w];
			src[w] = 0;
		}
		return;
	}
	for (; w + 4 <= n; w += 4)
		*(words4 *)(dst + w) |= *(const words4 *)(src + w);
	for (; w < n; w++)
		dst[w] |= src[w];
}

/* Whether the first n bits of words are all set. */
static bool prefix_full(const uint64_t *words, uint64_t n)
{
	uint64_t w = 0;
	for (; w < n / 64; w++)
		if (~words[w])
			return false;
	return n % 64 == 0 || !(~words[w] & ((UINT64_C(1) << (n % 64)) - 1));
}

/* An interval landed in the log: is it full now (file comment)? Looked
 * at only once the intervals ended since the sync could have filled it. */
static void note_log_growth(struct sim *s)
{
	if (!s->can_defer || s->log_full)
		return;
	s->log_added += s->iv_count;
	if (s->log_added >= s->writable)
		s->log_full = prefix_full(s->log_words, s->writable);
}

/* The guest writes the pages of the interval that just ended; the
 * interval bitmap is cleared for the next one. Word loops, not a branch
 * per word: an interval touches a scattered fraction of a large bitmap,
 * where a branch per word mispredicts. */
static int apply_interval(struct sim *s, bool migrating)
{
	uint64_t *iv = mplm_bitmap_words(s->iv);
	uint64_t nw = mplm_bitmap_nwords(s->iv);
	mplm_bitmap *into = migrating ? s->log : s->written;

	if (migrating)
		s->pages_written_migrating += s->iv_left;
	if (s->iv_deferred) {
		s->iv_deferred = false;
		if (s->log_full && migrating) { /* nothing to do */
			s->res->intervals_deferred++;
			return 0;
		}
		/* Made now, where they land (file comment). */
		if (trace_source_fill_last(s->src, into) < 0) {
			snprintf(s->err, s->errlen, "%s", trace_source_error(s->src));
			return -1;
		}
		if (migrating)
			note_log_growth(s);
		return 0;
	}
	if (s->stale)
		or_words(mplm_bitmap_words(s->stale) + s->base / 64, iv, nw, false);
	or_words(mplm_bitmap_words(into), iv, nw, true);
	if (migrating)
		note_log_growth(s);
	return 0;
}

/* Let the guest run until its clock reads `until`. */
static int guest_run_to(struct sim *s, double until, bool migrating)
{
	while (s->next_at <= until) {
		s->guest = s->next_at;
		if (apply_interval(s, migrating) < 0 || read_next_interval(s) < 0)
			return -1;
	}
	s->guest = until;
	return 0;
}

/* Advance the migration clock; the guest runs along unless paused. A
 * trace error here cannot be returned through send_page's caller in the
 * middle of a page, so it is kept and reported by the next callback. */
static int advance(struct sim *s, double dt)
{
	if (s->err[0])
		return -1;
	if (s->pc_on)
		return pc_advance(s, dt);
	s->now += dt;
	if (s->paused)
		return 0;
	/* A throttled guest runs (100 - pct) % of the time: its trace time
	 * moves that much slower, and the rest is work it lost. */
	s->res->guest_lost += dt * (1 - s->guest_speed);
	double until = s->guest + dt * s->guest_speed;
	if (until < s->next_at) {
		s->guest = until;
		return 0;
	}
	return guest_run_to(s, until, true);
}

/* ---------------------------------------------------------------- */
/* The back end. */

static double be_now(void *ctx) { return ((struct sim *)ctx)->now; }

/* What one page costs: its bytes on the wire, and the seconds it takes
 * (the wire, and the source's CPU for a zero page). */
static double page_cost(const struct sim *s, bool zero, uint32_t *bytes)
{
	*bytes = zero ? s->zero_bytes : s->cfg->header_bytes + s->page_size;
	return *bytes * s->sec_per_byte + (zero ? s->cfg->zero_page_cost : 0);
}

static void be_set_max_bandwidth(void *ctx, double bps)
{
	struct sim *s = ctx;
	s->sec_per_byte = 1.0 / mplm_wire_rate(s->cfg->link_bandwidth, bps);
	s->dt_full = page_cost(s, false, &s->full_bytes);
	s->dt_marker = page_cost(s, true, &s->marker_bytes);
}

static void be_set_throttle(void *ctx, unsigned pct)
{
	struct sim *s = ctx;
	s->guest_speed = 1 - pct / 100.0;
	materialize(s); /* may_defer holds at full speed only; an error is
	                 * kept and reported by the next callback */
}

static int be_sync_dirty_log(void *ctx, mplm_bitmap *dirty)
{
	struct sim *s = ctx;
	uint64_t *d = mplm_bitmap_words(dirty) + s->base / 64;
	uint64_t *log = mplm_bitmap_words(s->log);
	uint64_t *wr = mplm_bitmap_words(s->written);
	uint64_t *tt = mplm_bitmap_words(s->touched);
	uint64_t nw = mplm_bitmap_nwords(s->log), n = 0;

	/* What landed by now is in the log, read in the same sync. */
	if (land_due(s, s->guest, true) < 0)
		return -1;
	s->log_full = false; /* cleared below */
	s->log_added = 0;
	/* The trace starts on a word boundary of the VM: same layout. */
	/* Four words at a time, skipped when all four are empty (a test per
	 * word mispredicts in a log about half full). */
	for (uint64_t w = 0; w < nw; w++) {
		if (w % 4 == 0 && w + 4 <= nw && !(log[w] | log[w + 1] | log[w + 2] | log[w + 3])) {
			w += 3;
			continue;
		}
		uint64_t bits = log[w];
		n += (uint64_t)__builtin_popcountll(bits);
		d[w] |= bits;
		wr[w] |= bits;
		tt[w] |= bits;
		log[w] = 0;
	}
	/* The guest is paused while the hypervisor reads the log. */
	bool was_paused = s->paused;
	s->paused = true;
	int rc = advance(s, s->cfg->sync_fixed + s->cfg->sync_per_page * (double)n);
	s->paused = was_paused;
	return rc;
}

/* Bits of word `lo / 64` (lo its first page) for the pages in [a, b). */
static uint64_t range_bits(uint64_t lo, uint64_t a, uint64_t b)
{
	if (b <= lo || a >= lo + 64 || a >= b)
		return 0;
	unsigned start = a > lo ? (unsigned)(a - lo) : 0;
	unsigned end = b < lo + 64 ? (unsigned)(b - lo) : 64;
	uint64_t upto = end == 64 ? ~UINT64_C(0) : (UINT64_C(1) << end) - 1;
	return upto & ~((UINT64_C(1) << start) - 1);
}

/* word_zero_mask for a word not wholly inside the trace. */
static uint64_t edge_zero_mask(const struct sim *s, uint64_t word)
{
	uint64_t tw = word - s->base / 64;
	uint64_t lo = word * 64;
	uint64_t trace = range_bits(lo, s->base, s->base + s->trace_pages);
	uint64_t stat = range_bits(lo, s->static_lo, s->static_hi);
	uint64_t zero = s->cfg->untraced_nonzero ? 0 : ~trace & ~stat;

	if (trace && s->initial_words) {
		zero |= trace & ~(s->initial_words[tw] | s->written_words[tw] |
				  s->log_words[tw]);
	}
	return zero;
}

/* Which pages of a word are all zero now: outside the trace, those that
 * are neither static data nor --untraced nonzero; in it, those neither
 * non-zero at the trace's start nor written since. */
static inline uint64_t word_zero_mask(const struct sim *s, uint64_t word)
{
	uint64_t tw = word - s->base / 64; /* the trace is word-aligned */
	if (tw < s->trace_pages / 64) /* a whole word of the trace: the usual */
		return s->initial_words ? ~(s->initial_words[tw] | s->written_words[tw] |
					    s->log_words[tw]) : 0;
	return edge_zero_mask(s, word);
}

/* Only the trace's pages are ever written. */
static void be_dirty_log_words(void *ctx, uint64_t *first, uint64_t *count)
{
	struct sim *s = ctx;
	*first = s->base / 64;
	*count = (s->trace_pages + 63) / 64;
}

static bool page_is_zero(const struct sim *s, uint64_t page)
{
	return (word_zero_mask(s, page / 64) >> (page % 64)) & 1;
}

/* Pages of `word` just sent: fresh at the destination, and (for viewers)
 * sent. */
static void mark_sent(struct sim *s, uint64_t word, uint64_t bits)
{
	if (s->stale_words)
		s->stale_words[word] &= ~bits;
	if (s->missing_words)
		s->missing_words[word] &= ~bits;
	if (s->sent)
		mplm_bitmap_words(s->sent)[word] |= bits;
}

static int be_send_page(void *ctx, uint64_t page, struct mplm_page_sent *out)
{
	struct sim *s = ctx;
	uint64_t bit = UINT64_C(1) << (page % 64);
	if (pending_bits(s, page / 64) & bit)
		sent_page_lands(s, page / 64, bit, s->guest);
	bool zero = page_is_zero(s, page);
	uint32_t bytes;
	double dt = page_cost(s, zero, &bytes);

	mark_sent(s, page / 64, bit);
	out->wire_bytes = bytes;
	out->zero = zero;
	int rc = advance(s, dt);
	if (s->pc_on)
		pc_page_sent(s, page);
	return rc;
}

/* Repeated x += d, each sum rounded to nearest, computed at once, bit for
 * bit: while x stays in one binade [2^(e-1), 2^e), whose spacing is u,
 * every step adds d rounded to a multiple m of u, the same m each time
 * unless d / u ends in exactly .5 (then it depends on x's last bit). So
 * after k steps x is x + k m u, exact, if that is still below 2^e. The
 * step is kept per clock: binade and d change rarely. */
static double double_from_bits(uint64_t b)
{
	double d;
	memcpy(&d, &b, sizeof(d));
	return d;
}

/* The step for x's binade and d (cached in *c); c->ok false when the
 * shortcut does not apply (the caller steps one by one). */
static const struct clock_step *clock_step(struct clock_step *c, double x, double d)
{
	uint64_t bits;
	memcpy(&bits, &x, sizeof(bits));
	uint64_t e = bits >> 52; /* biased exponent; negative x: sign bit too */
	if (e == c->e && d == c->d)
		return c;
	c->e = e;
	c->d = d;
	c->ok = false;
	if (!(d > 0) || e <= 52 || e >= 0x7fe)
		return c;
	c->u = double_from_bits((e - 52) << 52);
	c->top = double_from_bits((e + 1) << 52);
	double q = d * double_from_bits((2098 - e) << 52); /* d / u, exact */
	if (!(q < 0x1p52))
		return c;
	uint64_t whole = (uint64_t)q;
	double frac = q - (double)whole;
	c->m = whole + (frac > 0.5);
	c->ok = frac != 0.5 && c->m < (UINT64_C(1) << 46); /* k m: no overflow */
	return c;
}

/* Pages a send run jumps over at once at most: an engine step's. */
#define JUMP_MAX_PAGES 256

/* x (of the step's binade) after k <= JUMP_MAX_PAGES steps. */
static bool repeated_add(const struct clock_step *c, double x, uint64_t k,
			 double *out)
{
	if (!c->ok || k > JUMP_MAX_PAGES || (k * c->m) >> 53)
		return false;
	double y = x + (double)(k * c->m) * c->u; /* multiples of u: exact */
	if (!(y < c->top))
		return false;
	*out = y;
	return true;
}

/* The lowest n set bits of mask. */
static uint64_t lowest_bits(uint64_t mask, unsigned n)
{
	if ((unsigned)__builtin_popcountll(mask) <= n)
		return mask;
	uint64_t rest = mask;
	for (unsigned i = 0; i < n && rest; i++)
		rest &= rest - 1;
	return mask & ~rest;
}

/* A send run's clocks and counts, kept in locals (registers) while it
 * sends, written back when a guest interval lands or the run ends. */
struct run {
	double now, guest, next_at, lost;
	unsigned pages, zeros;
	uint64_t last;  /* the last page sent */
	bool over;      /* the caller's clock test stopped it */
	int rc;
};

/* k pages of one cost (zero: zero pages) at once: the clocks jump by what
 * as many steps would give, if that is exact (repeated_add), no guest
 * interval lands before the last page and the caller's clock test passes
 * before each page after the first (monotone: tested on the last). */
static bool clocks_jump(struct sim *s, struct run *r, unsigned k, bool zero,
			bool paused, double since, double limit)
{
	double dt = zero ? s->dt_marker : s->dt_full;
	double now_k, before_last, guest_k = r->guest;
	if (k < 2)
		return false;
	const struct clock_step *cn = clock_step(&s->step_now[zero], r->now, dt);
	if (!repeated_add(cn, r->now, k, &now_k) ||
	    !repeated_add(cn, r->now, k - 1, &before_last) ||
	    !(before_last - since < limit))
		return false;
	if (!paused && (!repeated_add(clock_step(&s->step_guest[zero], r->guest, dt),
				      r->guest, k, &guest_k) ||
			!(guest_k < r->next_at)))
		return false;
	r->now = now_k;
	r->guest = guest_k;
	return true;
}

/* The pending pages among the full pages `head` of a word, sent at once
 * with `before` pages of the same jump ahead of them, from guest time
 * guest0 (clocks_jump): each lands first if its time came by its own
 * send, the guest clock then being guest0 plus as many page steps as
 * pages before it (repeated_add: the same sums as one by one). Pending
 * zero pages end jumps instead: whether one lands decides how it is
 * sent. */
static void jumped_pages_land(struct sim *s, uint64_t word, uint64_t head,
			      uint64_t pend, double guest0, unsigned before,
			      bool paused)
{
	for (uint64_t b = head & pend; b; b &= b - 1) {
		uint64_t bit = b & -b;
		double g = guest0;
		if (!paused)
			repeated_add(&s->step_guest[0], guest0,
				     before + (uint64_t)__builtin_popcountll(head & (bit - 1)), &g);
		sent_page_lands(s, word, bit, g);
	}
}

/* The stretch at the head of a word's pages `mask`, at most n pages: full
 * pages up to the first zero page, or when the first is a zero page that
 * is not waiting to land, such pages up to the first other one (whether
 * a waiting page lands decides how it is sent). *zero: which. */
static uint64_t stretch_head(uint64_t mask, uint64_t zero_bits, uint64_t pend,
			     unsigned n, bool *zero)
{
	uint64_t sure_zero = zero_bits & ~pend;
	*zero = (sure_zero & mask & -mask) != 0;
	uint64_t stop = mask & (*zero ? ~sure_zero : zero_bits);
	return lowest_bits(stop ? mask & ((stop & -stop) - 1) : mask, n);
}

static void run_store(struct sim *s, const struct run *r)
{
	s->now = r->now;
	s->guest = r->guest;
	s->res->guest_lost = r->lost;
}

/* be_send_page for the pages `mask` of one word, without a call per page:
 * the same tests and the same clock steps, in the same order, with the
 * clocks in r until a guest interval lands between two pages (it lands
 * there, after the pages before it are marked sent, as it would between
 * two send_page calls). Stretches of one cost inside the word go at once. */
static void run_word(struct sim *s, struct run *r, uint64_t word, uint64_t mask,
		     unsigned max, double since, double limit)
{
	const double dt_full = s->dt_full, dt_marker = s->dt_marker;
	const bool paused = s->paused;
	/* advance's steps: the guest's clock at guest_speed, and the work a
	 * throttled guest loses (no jumps then: one more sum per page). */
	const double speed = s->guest_speed;
	uint64_t zero_bits = word_zero_mask(s, word), done = 0, sent = 0;
	uint64_t pend = pending_bits(s, word); /* spread replay's, not landed */
	bool jump = speed == 1;

	for (; mask && r->pages < max; mask &= mask - 1) {
		if (r->pages && r->now - since >= limit) {
			r->over = true;
			break;
		}
		/* A stretch of full or zero pages: at once, when exact
		 * (tried again only after an interval lands: what failed
		 * once fails for the rest of the word). */
		bool zrun;
		uint64_t head = stretch_head(mask, zero_bits, pend, max - r->pages, &zrun);
		double guest0 = r->guest;
		unsigned k = (unsigned)__builtin_popcountll(head);
		bool jumped = jump && clocks_jump(s, r, k, zrun, paused, since, limit);
		if (k > 1)
			jump = jumped;
		if (jumped) {
			if (head & pend)
				jumped_pages_land(s, word, head, pend, guest0, 0, paused);
			done |= head;
			sent |= head;
			r->pages += k;
			r->zeros += zrun ? k : 0;
			mask &= ~head;
			if (!mask || r->pages >= max)
				break;
			if (r->now - since >= limit) {
				r->over = true;
				break;
			}
		}
		uint64_t bit = mask & -mask;
		if ((bit & pend) && sent_page_lands(s, word, bit, r->guest))
			zero_bits &= ~bit;
		bool zero = (zero_bits & bit) != 0;
		double dt = zero ? dt_marker : dt_full;
		done |= bit;
		sent |= bit;
		r->pages++;
		r->zeros += zero;
		r->now += dt;
		if (paused)
			continue;
		r->lost += dt * (1 - speed);
		double until = r->guest + dt * speed;
		if (until < r->next_at) {
			r->guest = until;
			continue;
		}
		mark_sent(s, word, done);
		done = 0;
		run_store(s, r);
		if ((r->rc = guest_run_to(s, until, true)) < 0)
			break;
		r->guest = s->guest;
		r->next_at = s->next_at;
		zero_bits = word_zero_mask(s, word);
		pend = pending_bits(s, word);
		jump = speed == 1;
	}
	mark_sent(s, word, done);
	if (sent)
		r->last = word * 64 + 63 - (uint64_t)__builtin_clzll(sent);
}

/* The set's pages of word w within [from, to). */
static uint64_t span_bits(const uint64_t *set, uint64_t w, uint64_t from, uint64_t to)
{
	uint64_t bits = set[w];
	if (w == from / 64)
		bits &= ~UINT64_C(0) << (from % 64);
	if (w == (to - 1) / 64 && to % 64)
		bits &= (UINT64_C(1) << (to % 64)) - 1;
	return bits;
}

/* Words [w, end) of a send run at once, when they hold two or more pages
 * all of one cost, with no zero page waiting to land (the
 * send runs of pre-copy's later passes are words of full pages, its
 * first pass's over untouched memory words of zero pages): one clock jump
 * for all (clocks_jump), then the waiting pages among them land, each at
 * its own send's time. Returns the first word not sent, w when nothing
 * was (then the caller goes word by word). */
static uint64_t run_words_at_once(struct sim *s, struct run *r, const uint64_t *set,
				  uint64_t w, uint64_t wend, uint64_t from, uint64_t to,
				  unsigned max, double since, double limit)
{
	unsigned k = 0, words = 0, cap = max - r->pages;
	uint64_t end = w, last_bits = 0, last_word = w;
	int zero = -1; /* the pages' cost: unknown yet */
	bool any_pend = false;

	if (cap > JUMP_MAX_PAGES)
		cap = JUMP_MAX_PAGES;
	for (; end < wend; end++) {
		uint64_t mask = span_bits(set, end, from, to);
		if (!mask)
			continue;
		uint64_t zb = word_zero_mask(s, end), pd = pending_bits(s, end);
		int z = !(mask & zb) ? 0 : !(mask & ~(zb & ~pd)) ? 1 : -1;
		unsigned c = (unsigned)__builtin_popcountll(mask);
		if (z < 0 || (zero >= 0 && z != zero) || k + c > cap)
			break;
		zero = z;
		any_pend |= (mask & pd) != 0;
		k += c;
		words++;
		last_bits = mask;
		last_word = end;
	}
	if (words < 2)
		return w;
	double guest0 = r->guest;
	if (!clocks_jump(s, r, k, zero, s->paused, since, limit)) {
		/* Word by word instead: each word's own stretches. */
		for (; w < end && r->pages < max && !r->over && !r->rc; w++) {
			uint64_t mask = span_bits(set, w, from, to);
			if (mask)
				run_word(s, r, w, mask, max, since, limit);
		}
		return w;
	}
	if (any_pend || s->stale_words || s->missing_words || s->sent) {
		unsigned before = 0;
		for (uint64_t x = w; x < end; x++) {
			uint64_t mask = span_bits(set, x, from, to);
			if (!mask)
				continue;
			if (any_pend)
				jumped_pages_land(s, x, mask, pending_bits(s, x), guest0,
						  before, s->paused);
			mark_sent(s, x, mask);
			before += (unsigned)__builtin_popcountll(mask);
		}
	}
	r->pages += k;
	r->zeros += zero ? k : 0;
	r->last = last_word * 64 + 63 - (uint64_t)__builtin_clzll(last_bits);
	return end;
}

/* be_send_page for the set's pages in [from, to), word after word: see
 * run_word and run_words_at_once. */
static int be_send_run(void *ctx, const uint64_t *set, uint64_t from, uint64_t to,
		       unsigned max, double since, double limit,
		       struct mplm_run_sent *out)
{
	struct sim *s = ctx;
	struct run r = { .now = s->now, .guest = s->guest, .next_at = s->next_at,
			 .lost = s->res->guest_lost, .last = from };
	const bool jumps = s->guest_speed == 1;

	if (s->err[0])
		return -1;
	for (uint64_t w = from / 64, wend = (to + 63) / 64;
	     w < wend && r.pages < max && !r.over && !r.rc;) {
		uint64_t next = jumps ? run_words_at_once(s, &r, set, w, wend, from, to,
							  max, since, limit) : w;
		if (next > w) {
			w = next;
			continue;
		}
		uint64_t mask = span_bits(set, w, from, to);
		if (mask)
			run_word(s, &r, w, mask, max, since, limit);
		w++;
	}
	run_store(s, &r);
	out->pages = r.pages;
	out->zero = r.zeros;
	out->wire_bytes = (uint64_t)r.zeros * s->marker_bytes +
			  (uint64_t)(r.pages - r.zeros) * s->full_bytes;
	out->last = r.last;
	return r.rc;
}

/* What the guest wrote up to its pause lands before it pauses. */
static int be_stop_guest(void *ctx)
{
	struct sim *s = ctx;
	s->paused = true;
	return land_due(s, s->guest, true);
}

static int be_resume_source(void *ctx)
{
	((struct sim *)ctx)->paused = false;
	return 0;
}

static int be_send_state(void *ctx, uint64_t *wire_bytes)
{
	struct sim *s = ctx;
	*wire_bytes = s->cfg->state_bytes;
	return advance(s, (double)s->cfg->state_bytes * s->sec_per_byte);
}

/* The destination resumes: check the invariant. */
static int be_start_destination(void *ctx)
{
	struct sim *s = ctx;
	if (s->missing)
		return pc_start(s);
	if (!s->stale)
		return 0;
	s->res->verified = true;
	s->res->mismatches = mplm_bitmap_count(s->stale);
	if (s->res->mismatches)
		s->res->first_mismatch = mplm_bitmap_find_next_set(s->stale, 0);
	return 0;
}

/* ---------------------------------------------------------------- */
/* Post-copy: after the switch the guest runs on the destination (the
 * source's memory no longer changes). Its first write to a page the
 * destination lacks is a remote fault: the guest's clock stands still
 * until the page has been sent (it goes before the background push) and
 * a round trip (rtt) more; writes to a page that arrived cost nothing. A
 * page is on the destination from the moment it is sent, as in the
 * check at resume. */

/* The source is paused and synced: the destination drops `discard`. */
static int be_postcopy_discard(void *ctx, const mplm_bitmap *discard)
{
	struct sim *s = ctx;
	s->missing = mplm_bitmap_new(s->vm_pages);
	if (!s->missing) {
		snprintf(s->err, s->errlen, "out of memory for post-copy's page map");
		return -1;
	}
	mplm_bitmap_or(s->missing, discard);
	s->missing_words = mplm_bitmap_words(s->missing);
	s->pc_due = mplm_bitmap_new(s->trace_pages);
	if (!s->pc_due) {
		snprintf(s->err, s->errlen, "out of memory for post-copy's page map");
		return -1;
	}
	s->fault_page = PC_NONE;
	return 0;
}

/* The invariant at the switch: every page the destination holds stale
 * must be in the discard set, or the guest would use it. */
static void pc_check_discard(struct sim *s)
{
	const uint64_t *stale = mplm_bitmap_cwords(s->stale);
	for (uint64_t w = mplm_bitmap_nwords(s->stale); w-- > 0;) {
		uint64_t bad = stale[w] & ~s->missing_words[w];
		if (!bad)
			continue;
		s->res->mismatches += (uint64_t)__builtin_popcountll(bad);
		s->res->first_mismatch = w * 64 + (uint64_t)__builtin_ctzll(bad);
	}
}

/* The destination runs the guest, at full speed (the source's throttle
 * stays behind). */
static int pc_start(struct sim *s)
{
	if (materialize(s) < 0) /* pc_land takes the pages from iv */
		return -1;
	if (s->stale)
		pc_check_discard(s);
	s->pc_on = true;
	s->paused = false;
	s->guest_speed = 1;
	return 0;
}

/* When the guest's next writes land: the end of the pending spread
 * interval's next slice, or the interval's end. */
static double pc_next_landing(const struct sim *s)
{
	if (s->sp.k && s->sp.landed < s->sp.k)
		return slice_end(s->sp.t0, s->sp.t1, s->sp.landed, s->sp.k);
	return s->next_at;
}

/* The pending interval's pages whose time has come (guest clock) move to
 * pc_due, by land_due's scans. They are the destination's writes: nothing
 * goes stale, and the source's log and memory stay as they were. */
static void pc_land(struct sim *s)
{
	uint64_t *iv = s->iv_words, *due = mplm_bitmap_words(s->pc_due);
	uint64_t n = 0;
	/* At the interval's end what is left lands whole, as apply_interval
	 * does at T. */
	if (!s->sp.k || s->guest >= s->next_at) {
		or_words(due, iv, mplm_bitmap_nwords(s->iv), true);
		n = s->iv_left;
		s->sp.landed = s->sp.k;
	} else {
		struct due_scan d;
		due_scan_init(s, s->guest, &d);
		d.stale = NULL;
		if (d.due)
			n = s->sp.summary ? land_due_summary(s, &d, due)
					  : land_due_all(s, &d, due);
	}
	s->iv_left -= n;
	s->pages_written_migrating += n;
	s->pc_pending += n;
}

/* The guest writes the pages that landed, in address order from where it
 * stopped, up to the first page the destination lacks: a fault, and the
 * guest waits. It stops at the last one (pc_pending), not at the end of
 * the bitmap: a slice lands a few pages. When the interval is written
 * whole, the next is read. */
static int pc_write_due(struct sim *s)
{
	uint64_t *due = mplm_bitmap_words(s->pc_due), nw = mplm_bitmap_nwords(s->pc_due);
	uint64_t *lacks = s->missing_words + s->base / 64;
	uint64_t *touched = mplm_bitmap_words(s->touched);

	for (uint64_t w = s->pc_word; s->pc_pending && w < nw; w++) {
		uint64_t fault = due[w] & lacks[w];
		uint64_t done = fault ? due[w] & ((fault & -fault) - 1) : due[w];
		touched[w] |= done;
		due[w] &= ~done;
		s->pc_pending -= (uint64_t)__builtin_popcountll(done);
		if (fault) {
			s->pc_word = w;
			s->fault_page = s->base + w * 64 + (uint64_t)__builtin_ctzll(fault);
			s->fault_asked = false;
			s->resume_at = INFINITY;
			return 0;
		}
	}
	s->pc_word = 0;
	return s->iv_left || s->src_done ? 0 : read_next_interval(s);
}

/* The guest on the destination while the migration clock moves dt on:
 * it runs, or waits for the page it faulted on. */
static int pc_advance(struct sim *s, double dt)
{
	double t = s->now, end = s->now + dt;
	while (t < end) {
		if (s->fault_page != PC_NONE) {
			double until = s->resume_at < end ? s->resume_at : end;
			s->fault_wait += until - t;
			s->res->guest_lost += until - t;
			t = until;
			if (t < s->resume_at)
				break;
			s->fault_page = PC_NONE; /* the page is there: written */
			if (pc_write_due(s) < 0)
				return -1;
			continue;
		}
		double at = pc_next_landing(s), until = s->guest + (end - t);
		if (until < at) {
			s->guest = until;
			break;
		}
		t += at - s->guest;
		s->guest = at;
		pc_land(s);
		if (pc_write_due(s) < 0)
			return -1;
	}
	s->now = end;
	return 0;
}

/* A page reached the destination: the guest waiting for it goes on a
 * round trip later. */
static void pc_page_sent(struct sim *s, uint64_t page)
{
	if (page == s->fault_page && s->resume_at == INFINITY)
		s->resume_at = s->now + s->cfg->rtt;
}

static int be_postcopy_next_request(void *ctx, uint64_t *page)
{
	struct sim *s = ctx;
	if (s->err[0])
		return -1;
	if (s->fault_page == PC_NONE || s->fault_asked)
		return 0;
	s->fault_asked = true;
	*page = s->fault_page;
	return 1;
}

/* Every page is sent: the last fault's round trip still counts as
 * waiting; then the rest of the invariant. */
static int be_postcopy_done(void *ctx, double *fault_wait)
{
	struct sim *s = ctx;
	if (s->err[0])
		return -1;
	if (s->fault_page != PC_NONE && s->resume_at > s->now) {
		s->fault_wait += s->resume_at - s->now;
		s->res->guest_lost += s->resume_at - s->now;
	}
	*fault_wait = s->fault_wait;
	if (!s->stale)
		return 0;
	/* ... and at the end none may be missing or stale. */
	mplm_bitmap_or(s->stale, s->missing);
	uint64_t left = mplm_bitmap_count(s->stale);
	s->res->verified = true;
	if (left && !s->res->mismatches)
		s->res->first_mismatch = mplm_bitmap_find_next_set(s->stale, 0);
	s->res->mismatches += left;
	return 0;
}

static void be_wait(void *ctx, double seconds)
{
	advance(ctx, seconds);
}

static void be_on_sync(void *ctx, const struct mplm_sync_record *rec)
{
	struct sim *s = ctx;
	struct sim_snapshot snap = { rec, s->vm_pages, s };
	s->cfg->observer(s->cfg->observer_arg, &snap);
}

enum sim_page_state sim_page_state(const struct sim_snapshot *snap,
				   uint64_t page)
{
	const struct sim *s = snap->sim;
	const mplm_bitmap *d, *nd;
	mplm_migration_sets(s->m, &d, &nd);
	bool sent = mplm_bitmap_test(s->sent, page);
	if (mplm_bitmap_test(nd, page))
		return page_is_zero(s, page) ? SIM_PAGE_ZERO : SIM_PAGE_ND;
	if (mplm_bitmap_test(d, page)) {
		if (sent)
			return SIM_PAGE_DIRTY;
		return page_is_zero(s, page) ? SIM_PAGE_ZERO : SIM_PAGE_UNSENT;
	}
	return SIM_PAGE_CLEAN;
}

void sim_cancel(const struct sim_snapshot *snap)
{
	mplm_migration_cancel(snap->sim->m);
}

const char *sim_page_state_name(enum sim_page_state st)
{
	static const char *const names[] = {
		[SIM_PAGE_ZERO] = "zero", [SIM_PAGE_ND] = "non-dirty (never sent)",
		[SIM_PAGE_UNSENT] = "never sent", [SIM_PAGE_DIRTY] = "dirty",
		[SIM_PAGE_CLEAN] = "sent and clean",
	};
	return (unsigned)st <= SIM_PAGE_CLEAN ? names[st] : "?";
}

/* ---------------------------------------------------------------- */
/* Setting up and tearing down. */

void sim_config_default(struct sim_config *c)
{
	memset(c, 0, sizeof(*c));
	c->link_bandwidth = 125e6;  /* 1 Gbps */
	c->header_bytes = 8;        /* QEMU: be64 address | flags */
	c->state_bytes = 64 * 1024; /* vCPU registers, devices: tiny */
	/* KVM_GET_DIRTY_LOG on a 1 GiB slot: ~10 us with nothing dirty,
	 * 4.3-5.1 ms with 131,072 dirty pages (docs/kvm-on-these-machines.md):
	 * 10 us + ~36 ns per dirty page. */
	c->sync_fixed = 10e-6;
	c->sync_per_page = 36e-9;
	c->zero_page_bytes = -1; /* QEMU: the 8-byte header and one byte */
	c->at_end = SIM_END_IDLE;
	c->extend_live_at = -1;
	c->end_live_at = -1;
	c->start_postcopy_at = -1;
	/* A LAN's ping (1 GbE: 0.1-0.2 ms; loopback 0.02-0.05 ms) plus the
	 * fault's handling on both sides. */
	c->rtt = 200e-6;
	c->verify = true;
	mplm_params_default(&c->params);
	c->params.max_total_time = 3600;
}

uint32_t sim_zero_page_bytes(const struct sim_config *c)
{
	return c->zero_page_bytes >= 0 ? (uint32_t)c->zero_page_bytes
				       : c->header_bytes + 1;
}

void sim_config_set(struct sim_config *c, enum mplm_setting_id id, double v)
{
	switch (id) {
	case MPLM_SET_MEMORY: c->vm_bytes = (uint64_t)v; break;
	case MPLM_SET_BANDWIDTH: c->link_bandwidth = v; break;
	case MPLM_SET_START_AT: c->start_at = v; break;
	case MPLM_SET_EXTEND_LIVE_AT: c->extend_live_at = v; break;
	case MPLM_SET_END_LIVE_AT: c->end_live_at = v; break;
	case MPLM_SET_REPLAY: c->replay = (enum sim_replay)v; break;
	case MPLM_SET_START_POSTCOPY_AT: c->start_postcopy_at = v; break;
	case MPLM_SET_RTT: c->rtt = v; break;
	case MPLM_SET_HEADER_BYTES: c->header_bytes = (uint32_t)v; break;
	case MPLM_SET_ZERO_PAGE_BYTES: c->zero_page_bytes = (int64_t)v; break;
	case MPLM_SET_ZERO_PAGE_COST: c->zero_page_cost = v; break;
	case MPLM_SET_STATE_BYTES: c->state_bytes = (uint64_t)v; break;
	case MPLM_SET_SYNC_FIXED: c->sync_fixed = v; break;
	case MPLM_SET_SYNC_PER_PAGE: c->sync_per_page = v; break;
	default: mplm_params_put(&c->params, id, v); break;
	}
}

int sim_profile_read(const char *path, double v[MPLM_SET_COUNT],
		     bool given[MPLM_SET_COUNT], char *err, size_t errlen)
{
	char text[16384], why[400];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f) {
		snprintf(err, errlen, "%s: cannot open", path);
		return -1;
	}
	n = fread(text, 1, sizeof(text) - 1, f);
	bool whole = feof(f) && !ferror(f);
	fclose(f);
	text[n] = '\0';
	if (!whole) {
		snprintf(err, errlen, "%s: not a profile (larger than %zu bytes)", path,
			 sizeof(text) - 1);
		return -1;
	}
	for (int id = 0; id < MPLM_SET_COUNT; id++)
		given[id] = false;
	if (mplm_profile_parse(text, v, given, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		return -1;
	}
	return 0;
}

int sim_config_load_profile(struct sim_config *c, const char *path,
			    const bool keep[MPLM_SET_COUNT], char *err,
			    size_t errlen)
{
	double v[MPLM_SET_COUNT];
	bool given[MPLM_SET_COUNT];
	if (sim_profile_read(path, v, given, err, errlen) < 0)
		return -1;
	for (int id = 0; id < MPLM_SET_COUNT; id++)
		if (given[id] && !(keep && keep[id]))
			sim_config_set(c, (enum mplm_setting_id)id, v[id]);
	return 0;
}

static void sim_destroy(struct sim *s)
{
	mplm_migration_free(s->m);
	if (s->src)
		trace_source_close(s->src);
	mplm_bitmap_free(s->iv);
	free(s->iv_summary);
	mplm_bitmap_free(s->log);
	mplm_bitmap_free(s->written);
	mplm_bitmap_free(s->touched);
	mplm_bitmap_free(s->sent);
	mplm_bitmap_free(s->stale);
	mplm_bitmap_free(s->missing);
	mplm_bitmap_free(s->pc_due);
}

static int open_source(struct sim *s)
{
	const struct sim_config *c = s->cfg;
	if (!!c->trace_path == !!c->workload_spec) {
		snprintf(s->err, s->errlen, "give either a trace file or a workload spec");
		return -1;
	}
	s->src = c->trace_path ? trace_open(c->trace_path, s->err, s->errlen)
			       : gen_open(c->workload_spec, s->err, s->errlen);
	return s->src ? 0 : -1;
}

static int place_trace(struct sim *s);

static int size_vm(struct sim *s)
{
	const struct trace_info *info = trace_source_info(s->src);
	const struct sim_config *c = s->cfg;
	s->page_size = info->page_size;
	s->zero_bytes = sim_zero_page_bytes(c);
	s->trace_pages = info->pages;
	s->vm_pages = c->vm_bytes ? c->vm_bytes / info->page_size : info->pages;
	if (c->vm_bytes % info->page_size) {
		snprintf(s->err, s->errlen,
			 "VM memory %" PRIu64 " is not a multiple of the trace's page size %u",
			 c->vm_bytes, info->page_size);
		return -1;
	}
	if (s->vm_pages < s->trace_pages) {
		snprintf(s->err, s->errlen,
			 "VM memory (%" PRIu64 " pages) is smaller than the trace (%" PRIu64 " pages)",
			 s->vm_pages, s->trace_pages);
		return -1;
	}
	return place_trace(s);
}

/* Lay out the trace and the static data in the VM. */
static int place_trace(struct sim *s)
{
	uint64_t spages = (s->cfg->static_bytes + s->page_size - 1) / s->page_size;
	uint64_t free_pages = s->vm_pages - s->trace_pages;

	if (s->cfg->placement == SIM_PLACE_TOP) {
		s->base = free_pages & ~UINT64_C(63);
		s->static_hi = s->base;
		s->static_lo = s->base - (spages < s->base ? spages : s->base);
	} else {
		s->base = 0;
		s->static_lo = s->trace_pages;
		s->static_hi = s->trace_pages + spages;
	}
	if (s->static_hi - s->static_lo < spages || s->static_hi > s->vm_pages) {
		snprintf(s->err, s->errlen,
			 "the trace (%" PRIu64 " pages) and %" PRIu64
			 " pages of static data do not fit a %" PRIu64 "-page VM",
			 s->trace_pages, spages, s->vm_pages);
		return -1;
	}
	return 0;
}

/* Bytes of memory the machine can still give (MemAvailable), or 0 if
 * unknown. */
static uint64_t memory_available(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	unsigned long long kib = 0;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	if (kib)
		return (uint64_t)kib * 1024;
	long pages = sysconf(_SC_AVPHYS_PAGES), size = sysconf(_SC_PAGESIZE);
	return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size : 0;
}

/* What the run will allocate: the simulator's and the trace reader's
 * bitmaps over the trace, the engine's over the VM (D, ND, the dirty log
 * and the pages to send), and with the check at resume the stale-page
 * bitmap. Refused before allocating when the machine cannot hold it, so a
 * six-line trace that claims 2^32 pages fails at once with the reason. */
static int check_memory(struct sim *s)
{
	uint64_t bitmap_vm = (s->vm_pages + 63) / 64 * 8;
	uint64_t bitmap_trace = (s->trace_pages + 63) / 64 * 8;
	uint64_t check = s->cfg->verify ? bitmap_vm : 0;
	uint64_t need = 6 * bitmap_trace + 5 * bitmap_vm + check;
	uint64_t avail = memory_available();
	char n[32], a[32], v[32];

	if (!avail || need <= avail)
		return 0;
	units_format_size(need, n, sizeof(n));
	units_format_size(avail, a, sizeof(a));
	units_format_size(check, v, sizeof(v));
	snprintf(s->err, s->errlen,
		 "a VM of %" PRIu64 " pages needs %s of the simulator's memory (%s of it "
		 "the stale-page bitmap for the check at resume, which --no-verify drops); "
		 "this machine has %s available",
		 s->vm_pages, n, v, a);
	return -1;
}

static int alloc_state(struct sim *s)
{
	s->iv = mplm_bitmap_new(s->trace_pages);
	s->iv_summary = calloc((s->trace_pages + 4095) / 4096 + 1, sizeof(uint64_t));
	s->log = mplm_bitmap_new(s->trace_pages);
	s->written = mplm_bitmap_new(s->trace_pages);
	s->touched = mplm_bitmap_new(s->trace_pages);
	if (s->cfg->verify && (s->stale = mplm_bitmap_new(s->vm_pages)))
		mplm_bitmap_fill(s->stale); /* nothing sent yet */
	if (s->cfg->observer)
		s->sent = mplm_bitmap_new(s->vm_pages);
	if (!s->iv || !s->iv_summary || !s->log || !s->written || !s->touched ||
	    (s->cfg->observer && !s->sent) || (s->cfg->verify && !s->stale)) {
		snprintf(s->err, s->errlen, "out of memory for a %" PRIu64 "-page VM",
			 s->vm_pages);
		return -1;
	}
	s->log_words = mplm_bitmap_words(s->log);
	s->written_words = mplm_bitmap_words(s->written);
	s->iv_words = mplm_bitmap_words(s->iv);
	s->iv_nwords = mplm_bitmap_nwords(s->iv);
	s->stale_words = s->stale ? mplm_bitmap_words(s->stale) : NULL;
	return 0;
}

/* Run the trace up to the migration's start: what it writes before then
 * only makes pages non-zero. */
static int fast_forward(struct sim *s)
{
	if (read_next_interval(s) < 0)
		return -1;
	if (guest_run_to(s, s->cfg->start_at, false) < 0 ||
	    land_due(s, s->guest, false) < 0)
		return -1;
	s->guest_at_start = s->guest;
	return 0;
}

static void collect(struct sim *s, struct sim_result *res)
{
	size_t n;
	const struct mplm_sync_record *recs = mplm_migration_syncs(s->m, &n);
	mplm_migration_stats(s->m, &res->stats);
	res->syncs = malloc((n ? n : 1) * sizeof(*recs));
	if (res->syncs) {
		memcpy(res->syncs, recs, n * sizeof(*recs));
		res->nsyncs = n;
	}
	res->vm_pages = s->vm_pages;
	res->touched_pages = mplm_bitmap_count(s->touched);
	double ran = s->guest - s->guest_at_start;
	res->trace_rate = ran > 0 ? (double)s->pages_written_migrating / ran : 0;
}

/* A trace is valid only as a whole: the part after the point where the
 * migration ended is read and checked too (a stream, so not read twice).
 * Generated workloads are valid by construction and may be long. */
static int check_rest_of_trace(struct sim *s)
{
	if (!s->cfg->trace_path || s->src_done)
		return 0;
	if (trace_source_read_to_end(s->src) < 0) {
		snprintf(s->err, s->errlen, "%s", trace_source_error(s->src));
		return -1;
	}
	return 0;
}

static double wall_clock(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int sim_run(const struct sim_config *cfg, struct sim_result *res)
{
	double t0 = wall_clock();
	struct sim s = { .cfg = cfg, .res = res, .err = res->error,
			 .errlen = sizeof(res->error), .guest_speed = 1 };
	memset(res, 0, sizeof(*res));

	if (mplm_params_check(&cfg->params, res->error, sizeof(res->error)) < 0)
		return -1;
	if (!(cfg->link_bandwidth > 0) || !(cfg->start_at >= 0)) {
		snprintf(res->error, sizeof(res->error),
			 !(cfg->start_at >= 0) ? "start time must not be negative"
					       : "link bandwidth must be positive");
		return -1;
	}
	int rc = -1;
	if (open_source(&s) < 0 || size_vm(&s) < 0 || check_memory(&s) < 0 ||
	    alloc_state(&s) < 0)
		goto out;
	s.initial = trace_source_initial(s.src);
	s.can_defer = !cfg->verify && trace_source_can_defer(s.src);
	s.writable = trace_source_writable(s.src);
	s.initial_words = s.initial ? mplm_bitmap_cwords(s.initial) : NULL;
	s.writes_nonzero = !s.initial_words || prefix_full(s.initial_words, s.writable);
	if (fast_forward(&s) < 0)
		goto out;

	struct mplm_backend be = {
		.ctx = &s,
		.link_bandwidth = cfg->link_bandwidth,
		.now = be_now,
		.set_max_bandwidth = be_set_max_bandwidth,
		.set_throttle = be_set_throttle,
		.sync_dirty_log = be_sync_dirty_log,
		.dirty_log_words = be_dirty_log_words,
		.send_page = be_send_page,
		.send_run = cfg->page_by_page ? NULL : be_send_run,
		.stop_guest = be_stop_guest,
		.send_state = be_send_state,
		.start_destination = be_start_destination,
		.resume_source = be_resume_source,
		.wait = be_wait,
		.on_sync = cfg->observer ? be_on_sync : NULL,
		.postcopy_discard = be_postcopy_discard,
		.postcopy_next_request = be_postcopy_next_request,
		.postcopy_done = be_postcopy_done,
	};
	be_set_max_bandwidth(&s, cfg->params.max_bandwidth);
	s.m = mplm_migration_new(s.vm_pages, s.page_size, &cfg->params, &be);
	if (!s.m) {
		snprintf(res->error, sizeof(res->error), "cannot set up the migration");
		goto out;
	}
	mplm_migration_schedule(s.m, cfg->extend_live_at, cfg->end_live_at);
	char why[256];
	if (mplm_migration_schedule_postcopy(s.m, cfg->start_postcopy_at, why,
					     sizeof(why)) < 0) {
		snprintf(res->error, sizeof(res->error), "start-postcopy-at: %s", why);
		goto out;
	}
	int mrc = mplm_migration_run(s.m);
	if (s.err[0] || check_rest_of_trace(&s) < 0) /* a bad trace: no result */
		goto out;
	collect(&s, res);
	if (mrc < 0) {
		snprintf(res->error, sizeof(res->error), "migration %s: %s",
			 mplm_status_name(res->stats.status),
			 res->stats.error ? res->stats.error : "?");
		goto out;
	}
	rc = 0;
out:
	sim_destroy(&s);
	res->wall_seconds = wall_clock() - t0;
	return rc;
}

void sim_result_free(struct sim_result *res)
{
	free(res->syncs);
	res->syncs = NULL;
	res->nsyncs = 0;
}
