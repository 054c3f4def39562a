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
 * j = floor(h(p, n) K / 2^32), h the top 32 bits of a fixed-seed 64-bit
 * mix (MurmurHash3's finaliser) of p and n. A hash, not the page order,
 * so that no address range lands first (MPLM's cursor walks memory
 * upwards), and deterministic, so a run can be repeated. A page lands
 * when the guest clock reaches its time, so a pass shorter than the
 * interval sees the writes that fall inside it, as a real guest's dirty
 * log would; without it, a short last pass of pre-copy sees nothing and
 * converges early. The slices are what keeps this fast: a landing is an
 * event between two page sends, and 1 ms holds tens to hundreds of sends
 * at 1-10 Gbps, so the send runs still jump over whole stretches.
 * Intervals of one slice (1 ms or less), and every interval that ends
 * before the migration starts (--start-at: only which pages were written
 * matters then), land whole at T with word operations. `replay =
 * interval` lands every interval whole at T: what a dirty log read at T
 * reports, the model before spread replay.
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
	/* Each clock's step for send runs' jumps (clock_step). */
	struct clock_step step_now, step_guest;
	bool paused;

	/* The next interval, read ahead: its pages (or with spread replay,
	 * its next slice's) land when guest >= next_at. */
	mplm_bitmap *iv;
	uint64_t iv_count;
	double next_at;      /* s of trace time; INFINITY when none left */
	double loop_offset;  /* trace time at which the current pass began */
	double iv_end;       /* the read-ahead interval's end T (trace time) */
	uint64_t iv_number;  /* intervals read so far */
	bool src_done;
	/* Spread replay: the read-ahead interval (t0, t1]'s pages by slice. */
	struct {
		uint32_t *pages;   /* its trace pages in slice order */
		uint32_t *scratch; /* the same in page order, while sorting */
		uint32_t *ends;    /* ends[j]: one past slice j's last in pages */
		uint64_t cap_pages;
		uint32_t cap_slices;
		uint32_t k;        /* slices; 0: the interval lands whole */
		uint32_t next;     /* the next slice to land */
		double t0, t1;
	} sp;

	mplm_bitmap *log;     /* written since the last sync */
	mplm_bitmap *written; /* written since the trace started, up to the last sync */
	mplm_bitmap *touched; /* written since the migration started, ditto */
	/* Their words, for the per-page tests of the send path. */
	const uint64_t *initial_words, *written_words, *log_words;
	uint64_t *stale_words;
	uint64_t pages_written_migrating; /* sum of interval sizes */
	double guest_at_start;

	mplm_bitmap *stale; /* with verify: the destination's copy is old */
	mplm_bitmap *sent;  /* with an observer */

	mplm_migration *m;
	char *err;
	size_t errlen;
};

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

/* Page p of interval n lands in slice floor(h K / 2^32) of K. */
static uint32_t spread_slice(uint64_t page, uint64_t interval, uint32_t k)
{
	uint64_t x = page ^ (interval * UINT64_C(0x9e3779b97f4a7c15)) ^ SPREAD_SEED;
	x ^= x >> 33;
	x *= UINT64_C(0xff51afd7ed558ccd);
	x ^= x >> 33;
	x *= UINT64_C(0xc4ceb9fe1a85ec53);
	x ^= x >> 33;
	return (uint32_t)(((x >> 32) * k) >> 32);
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
	return slice_end(t0, t1, spread_slice(page, interval, k), k);
}

static int spread_reserve(struct sim *s, uint64_t pages, uint32_t slices)
{
	if (pages > s->sp.cap_pages) {
		uint32_t *a = realloc(s->sp.pages, pages * sizeof(*a));
		if (a)
			s->sp.pages = a;
		uint32_t *b = a ? realloc(s->sp.scratch, pages * sizeof(*b)) : NULL;
		if (!b)
			goto oom;
		s->sp.scratch = b;
		s->sp.cap_pages = pages;
	}
	if (slices > s->sp.cap_slices) {
		uint32_t *e = realloc(s->sp.ends, slices * sizeof(*e));
		if (!e)
			goto oom;
		s->sp.ends = e;
		s->sp.cap_slices = slices;
	}
	return 0;
oom:
	snprintf(s->err, s->errlen, "out of memory for an interval of %" PRIu64 " pages",
		 pages);
	return -1;
}

/* Sort the interval's pages by slice (a counting sort: the count per
 * slice, then each page to its place), clearing the interval bitmap. */
static void spread_sort(struct sim *s, uint64_t interval, uint32_t k)
{
	uint64_t *iv = mplm_bitmap_words(s->iv);
	uint64_t nw = mplm_bitmap_nwords(s->iv), n = 0;
	uint32_t *ends = s->sp.ends;

	memset(ends, 0, k * sizeof(*ends));
	for (uint64_t w = 0; w < nw; w++) {
		for (uint64_t bits = iv[w]; bits; bits &= bits - 1) {
			uint32_t p = (uint32_t)(w * 64 + (unsigned)__builtin_ctzll(bits));
			s->sp.scratch[n++] = p;
			ends[spread_slice(p, interval, k)]++;
		}
		iv[w] = 0;
	}
	for (uint32_t j = 1; j < k; j++) /* ends[j]: past slice j */
		ends[j] += ends[j - 1];
	for (uint64_t i = n; i-- > 0;) { /* from the back: pages in order */
		uint32_t p = s->sp.scratch[i];
		s->sp.pages[--ends[spread_slice(p, interval, k)]] = p;
	}
	/* ends[j] is now slice j's start: shift to one past its end. */
	memmove(ends, ends + 1, (k - 1) * sizeof(*ends));
	ends[k - 1] = (uint32_t)n;
}

/* The slice after j that has pages, or k. */
static uint32_t next_full_slice(const struct sim *s, uint32_t j)
{
	for (j++; j < s->sp.k && s->sp.ends[j] == s->sp.ends[j - 1]; j++)
		;
	return j;
}

/* Point next_at at slice j, or say the interval is done (true). */
static bool spread_at(struct sim *s, uint32_t j)
{
	if (j >= s->sp.k) {
		s->sp.k = 0;
		return true;
	}
	s->sp.next = j;
	s->next_at = slice_end(s->sp.t0, s->sp.t1, j, s->sp.k);
	return false;
}

/* The interval (t0, next_at] just read: spread it, unless it lands whole
 * (interval replay, one slice, or over before the migration starts). */
static int spread_interval(struct sim *s, double t0, uint64_t interval)
{
	double t1 = s->next_at;
	uint32_t k = spread_slices(t0, t1);

	s->sp.k = 0;
	if (s->cfg->replay != SIM_REPLAY_SPREAD || k == 1 || !s->iv_count ||
	    t1 <= s->cfg->start_at)
		return 0;
	if (spread_reserve(s, s->iv_count, k) < 0)
		return -1;
	spread_sort(s, interval, k);
	s->sp.k = k;
	s->sp.t0 = t0;
	s->sp.t1 = t1;
	spread_at(s, s->sp.ends[0] ? 0 : next_full_slice(s, 0));
	return 0;
}

static int read_next_interval(struct sim *s)
{
	uint64_t t_us, count;
	for (;;) {
		int r = trace_source_next(s->src, s->iv, &t_us, &count);
		if (r < 0) {
			snprintf(s->err, s->errlen, "%s", trace_source_error(s->src));
			return -1;
		}
		if (r > 0) {
			double t0 = s->iv_end;
			s->iv_count = count;
			s->iv_end = s->next_at = s->loop_offset + (double)t_us / 1e6;
			return spread_interval(s, t0, s->iv_number++);
		}
		/* End of the workload at t_us: idle from then on, or replay
		 * it from the start. An empty trace cannot loop. */
		if (s->cfg->at_end == SIM_END_IDLE || t_us == 0) {
			s->src_done = true;
			s->next_at = INFINITY;
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
 * -O2, and this pass runs once per trace interval over the whole trace. */
typedef uint64_t words4 __attribute__((vector_size(32), aligned(8), may_alias));
static void or_words(uint64_t *restrict dst, const uint64_t *restrict src,
		     uint64_t n)
{
	uint64_t w = 0;
	for (; w + 4 <= n; w += 4)
		*(words4 *)(dst + w) |= *(const words4 *)(src + w);
	for (; w < n; w++)
		dst[w] |= src[w];
}

/* The guest writes the pages of the interval that just ended; the
 * interval bitmap is cleared for the next one. Word loops, not a branch
 * per word: an interval touches a scattered fraction of a large bitmap,
 * where a branch per word mispredicts. */
static void apply_interval(struct sim *s, bool migrating)
{
	uint64_t *iv = mplm_bitmap_words(s->iv);
	uint64_t nw = mplm_bitmap_nwords(s->iv);

	or_words(mplm_bitmap_words(migrating ? s->log : s->written), iv, nw);
	if (s->stale)
		or_words(mplm_bitmap_words(s->stale) + s->base / 64, iv, nw);
	mplm_bitmap_zero(s->iv);
	if (migrating)
		s->pages_written_migrating += s->iv_count;
}

/* The guest writes the pages of the spread interval's next slice. */
static void apply_slice(struct sim *s, bool migrating)
{
	uint32_t j = s->sp.next;
	uint32_t from = j ? s->sp.ends[j - 1] : 0, to = s->sp.ends[j];
	uint64_t *dst = mplm_bitmap_words(migrating ? s->log : s->written);
	uint64_t *stale = s->stale ? mplm_bitmap_words(s->stale) + s->base / 64 : NULL;

	for (uint32_t i = from; i < to; i++) {
		uint32_t p = s->sp.pages[i];
		uint64_t bit = UINT64_C(1) << (p % 64);
		dst[p / 64] |= bit;
		if (stale)
			stale[p / 64] |= bit;
	}
	if (migrating)
		s->pages_written_migrating += to - from;
}

/* What lands at next_at: the whole interval, or its next slice. True when
 * the interval is all written (the next one is to be read). */
static bool land_next(struct sim *s, bool migrating)
{
	if (!s->sp.k) {
		apply_interval(s, migrating);
		return true;
	}
	apply_slice(s, migrating);
	return spread_at(s, next_full_slice(s, s->sp.next));
}

/* Let the guest run until its clock reads `until`. */
static int guest_run_to(struct sim *s, double until, bool migrating)
{
	while (s->next_at <= until) {
		s->guest = s->next_at;
		if (land_next(s, migrating) && read_next_interval(s) < 0)
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
	((struct sim *)ctx)->guest_speed = 1 - pct / 100.0;
}

static int be_sync_dirty_log(void *ctx, mplm_bitmap *dirty)
{
	struct sim *s = ctx;
	uint64_t *d = mplm_bitmap_words(dirty) + s->base / 64;
	uint64_t *log = mplm_bitmap_words(s->log);
	uint64_t *wr = mplm_bitmap_words(s->written);
	uint64_t *tt = mplm_bitmap_words(s->touched);
	uint64_t nw = mplm_bitmap_nwords(s->log), n = 0;

	/* The trace starts on a word boundary of the VM: same layout. */
	for (uint64_t w = 0; w < nw; w++) {
		uint64_t bits = log[w];
		if (!bits)
			continue;
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

/* Which pages of a word are all zero now: outside the trace, those that
 * are neither static data nor --untraced nonzero; in it, those neither
 * non-zero at the trace's start nor written since. */
static uint64_t word_zero_mask(const struct sim *s, uint64_t word)
{
	uint64_t lo = word * 64;
	uint64_t trace = range_bits(lo, s->base, s->base + s->trace_pages);
	uint64_t stat = range_bits(lo, s->static_lo, s->static_hi);
	uint64_t zero = s->cfg->untraced_nonzero ? 0 : ~trace & ~stat;

	if (trace && s->initial_words) {
		uint64_t tw = word - s->base / 64; /* the trace is word-aligned */
		zero |= trace & ~(s->initial_words[tw] | s->written_words[tw] |
				  s->log_words[tw]);
	}
	return zero;
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
	if (s->sent)
		mplm_bitmap_words(s->sent)[word] |= bits;
}

static int be_send_page(void *ctx, uint64_t page, struct mplm_page_sent *out)
{
	struct sim *s = ctx;
	bool zero = page_is_zero(s, page);
	uint32_t bytes;
	double dt = page_cost(s, zero, &bytes);

	mark_sent(s, page / 64, UINT64_C(1) << (page % 64));
	out->wire_bytes = bytes;
	out->zero = zero;
	return advance(s, dt);
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
	c->ok = frac != 0.5 && c->m < (UINT64_C(1) << 46); /* 64 m < 2^53 */
	return c;
}

/* x (of the step's binade) after k <= 64 steps. */
static bool repeated_add(const struct clock_step *c, double x, uint64_t k,
			 double *out)
{
	if (!c->ok || k > 64)
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

/* A stretch of full pages at the head of a run, at once: the clocks jump
 * by what as many steps would give, if that is exact (repeated_add), no
 * guest interval lands before its last page and the caller's clock test
 * passes before each page after the first (monotone: tested on the
 * last). Returns the pages sent, or 0 (then step one by one). */
static unsigned full_stretch(struct sim *s, uint64_t stretch, double dt,
			     bool paused, double next_at, double since,
			     double limit, double *now, double *guest)
{
	unsigned k = (unsigned)__builtin_popcountll(stretch);
	double now_k, before_last, guest_k = *guest;
	if (k < 2)
		return 0;
	const struct clock_step *cn = clock_step(&s->step_now, *now, dt);
	if (!repeated_add(cn, *now, k, &now_k) ||
	    !repeated_add(cn, *now, k - 1, &before_last) ||
	    !(before_last - since < limit))
		return 0;
	if (!paused && (!repeated_add(clock_step(&s->step_guest, *guest, dt), *guest,
				      k, &guest_k) ||
			!(guest_k < next_at)))
		return 0;
	*now = now_k;
	*guest = guest_k;
	return k;
}

/* be_send_page for the pages of a word, without a call per page: the
 * same tests and the same clock steps, in the same order, with the clocks
 * in registers until a guest interval lands between two pages (it lands
 * there, after the pages before it are marked sent, as it would between
 * two send_page calls). */
static int be_send_run(void *ctx, uint64_t word, uint64_t mask, unsigned max,
		       double since, double limit, struct mplm_run_sent *out)
{
	struct sim *s = ctx;
	const uint32_t full = s->full_bytes, marker = s->marker_bytes;
	const double dt_full = s->dt_full, dt_marker = s->dt_marker;
	const bool paused = s->paused;
	/* advance's steps: the guest's clock at guest_speed, and the work a
	 * throttled guest loses (no jumps then: one more sum per page). */
	const double speed = s->guest_speed;
	double now = s->now, guest = s->guest, next_at = s->next_at;
	double lost = s->res->guest_lost;
	uint64_t zero_bits = word_zero_mask(s, word), done = 0;
	unsigned pages = 0, zeros = 0;
	bool jump = speed == 1;
	int rc = 0;

	if (s->err[0])
		return -1;
	for (; mask && pages < max; mask &= mask - 1) {
		if (pages && now - since >= limit)
			break;
		/* Full pages up to the next zero page: at once, when exact
		 * (tried again only after an interval lands: what failed
		 * once fails for the rest of the word). */
		uint64_t z = mask & zero_bits;
		uint64_t head = lowest_bits(z ? mask & ((z & -z) - 1) : mask, max - pages);
		unsigned k = jump ? full_stretch(s, head, dt_full, paused, next_at,
						 since, limit, &now, &guest) : 0;
		jump = k != 0;
		if (k) {
			done |= head;
			pages += k;
			mask &= ~head;
			if (!mask || pages >= max || now - since >= limit)
				break;
		}
		uint64_t bit = mask & -mask;
		bool zero = (zero_bits & bit) != 0;
		double dt = zero ? dt_marker : dt_full;
		done |= bit;
		pages++;
		zeros += zero;
		now += dt;
		if (paused)
			continue;
		lost += dt * (1 - speed);
		double until = guest + dt * speed;
		if (until < next_at) {
			guest = until;
			continue;
		}
		mark_sent(s, word, done);
		done = 0;
		s->now = now;
		s->guest = guest;
		s->res->guest_lost = lost;
		if ((rc = guest_run_to(s, until, true)) < 0)
			break;
		guest = s->guest;
		next_at = s->next_at;
		zero_bits = word_zero_mask(s, word);
		jump = speed == 1;
	}
	mark_sent(s, word, done);
	s->now = now;
	s->guest = guest;
	s->res->guest_lost = lost;
	out->pages = pages;
	out->zero = zeros;
	out->wire_bytes = (uint64_t)zeros * marker + (uint64_t)(pages - zeros) * full;
	return rc;
}

static int be_stop_guest(void *ctx)
{
	((struct sim *)ctx)->paused = true;
	return 0;
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
	if (!s->stale)
		return 0;
	s->res->verified = true;
	s->res->mismatches = mplm_bitmap_count(s->stale);
	if (s->res->mismatches)
		s->res->first_mismatch = mplm_bitmap_find_next_set(s->stale, 0);
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
	free(s->sp.pages);
	free(s->sp.scratch);
	free(s->sp.ends);
	mplm_bitmap_free(s->log);
	mplm_bitmap_free(s->written);
	mplm_bitmap_free(s->touched);
	mplm_bitmap_free(s->sent);
	mplm_bitmap_free(s->stale);
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
	/* Spread replay keeps an interval's pages as 32-bit numbers. */
	if (s->cfg->replay == SIM_REPLAY_SPREAD && s->trace_pages > (UINT64_C(1) << 32)) {
		snprintf(s->err, s->errlen,
			 "replay spread: the trace has %" PRIu64 " pages, more than 2^32 "
			 "(use replay interval)", s->trace_pages);
		return -1;
	}
	s->iv = mplm_bitmap_new(s->trace_pages);
	s->log = mplm_bitmap_new(s->trace_pages);
	s->written = mplm_bitmap_new(s->trace_pages);
	s->touched = mplm_bitmap_new(s->trace_pages);
	if (s->cfg->verify && (s->stale = mplm_bitmap_new(s->vm_pages)))
		mplm_bitmap_fill(s->stale); /* nothing sent yet */
	if (s->cfg->observer)
		s->sent = mplm_bitmap_new(s->vm_pages);
	if (!s->iv || !s->log || !s->written || !s->touched ||
	    (s->cfg->observer && !s->sent) || (s->cfg->verify && !s->stale)) {
		snprintf(s->err, s->errlen, "out of memory for a %" PRIu64 "-page VM",
			 s->vm_pages);
		return -1;
	}
	s->log_words = mplm_bitmap_words(s->log);
	s->written_words = mplm_bitmap_words(s->written);
	s->stale_words = s->stale ? mplm_bitmap_words(s->stale) : NULL;
	return 0;
}

/* Run the trace up to the migration's start: what it writes before then
 * only makes pages non-zero. */
static int fast_forward(struct sim *s)
{
	if (read_next_interval(s) < 0)
		return -1;
	if (guest_run_to(s, s->cfg->start_at, false) < 0)
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
	s.initial_words = s.initial ? mplm_bitmap_cwords(s.initial) : NULL;
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
	};
	be_set_max_bandwidth(&s, cfg->params.max_bandwidth);
	s.m = mplm_migration_new(s.vm_pages, s.page_size, &cfg->params, &be);
	if (!s.m) {
		snprintf(res->error, sizeof(res->error), "cannot set up the migration");
		goto out;
	}
	mplm_migration_schedule(s.m, cfg->extend_live_at, cfg->end_live_at);
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
