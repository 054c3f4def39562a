/*
 * gen.c - synthetic dirty-page workloads (gen.h), as trace sources.
 *
 * Pages are numbered 0..pages-1 and the working set is pages [0, wss).
 * The working set starts non-zero (`p 0-(wss-1)`); the rest is zero and is
 * never written. Interval k ends at min(k * interval, duration); the pages
 * written in it number round(rate * t_k) - round(rate * t_{k-1}), capped at
 * the working set, so the long-run rate is exact even when rate * interval
 * is not a whole number.
 *
 * Everything random comes from one seed: a xoshiro256** stream (seeded by
 * splitmix64) for uniform page numbers, which must be cheap (20,000 pages
 * per interval, 10,000 intervals in the simulator's benchmark), and GSL's
 * MT19937 for the hotspot's binomial split. Rewind re-seeds both.
 */
#include "gen.h"
#include "units.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

enum pattern { PAT_UNIFORM, PAT_SEQUENTIAL, PAT_HOTSPOT, PAT_STENCIL };

static const char *const pattern_names[] = {
	"uniform", "sequential", "hotspot", "stencil",
};

#define NPATTERNS (sizeof(pattern_names) / sizeof(pattern_names[0]))
#define MAX_DURATION_S 1e9 /* keeps every time in microseconds exact */
#define MAX_PAGES_WRITTEN 1e18 /* keeps round(rate * t) in 64 bits */

struct gen_params {
	enum pattern pattern;
	uint64_t page_size;
	uint64_t memory, pages;      /* bytes or pages; 0 = not given */
	uint64_t wss;                /* bytes; UINT64_MAX = all the memory */
	double rate;                 /* pages/s; < 0 = not given */
	double duration;             /* s */
	double interval_ms;
	uint64_t seed;
	double hot, skew;            /* hotspot */
	uint64_t arrays;             /* stencil */
};

struct xoshiro {
	uint64_t s[4];
};

struct gen {
	struct gen_params p;
	char *spec;
	uint64_t pages, wss;         /* in pages */
	uint64_t hot_pages;
	uint64_t interval_us, end_us;
	/* Run state, reset by rewind. */
	uint64_t t;                  /* end of the last interval made */
	uint64_t target;             /* round(rate * t) */
	struct xoshiro rng;
	gsl_rng *grng;               /* hotspot only */
	uint64_t cursor;             /* sequential */
	uint64_t cur_array;          /* stencil: the array written next */
	uint64_t *array_off;         /* stencil: sweep offset in each array */
	mplm_bitmap *scratch;        /* see sample_target; made on first use */
};

/* ------------------------------------------------------------------ */
/* Random numbers. */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static void xoshiro_seed(struct xoshiro *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t xoshiro_next(struct xoshiro *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

/* Uniform in [0, n), n > 0: Lemire's multiply-shift, unbiased. */
static inline uint64_t rng_below(struct xoshiro *r, uint64_t n)
{
	unsigned __int128 m = (unsigned __int128)xoshiro_next(r) * n;
	uint64_t lo = (uint64_t)m;

	if (lo < n) {
		uint64_t floor = -n % n;
		while (lo < floor) {
			m = (unsigned __int128)xoshiro_next(r) * n;
			lo = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}

/* The same from 32 random bits x, n <= 2^32: half a draw per number. */
static inline uint64_t rng_below32(struct xoshiro *r, uint32_t x, uint64_t n)
{
	uint64_t m = (uint64_t)x * n;

	if ((uint32_t)m < n) {
		uint32_t floor = (uint32_t)(UINT64_C(0x100000000) % n);
		while ((uint32_t)m < floor)
			m = (xoshiro_next(r) >> 32) * n;
	}
	return m >> 32;
}

/* ------------------------------------------------------------------ */
/* Intervals. */

/* Set page i in words; true if it was clear. */
static inline bool set_new(uint64_t *words, uint64_t i)
{
	uint64_t *w = &words[i / 64], bit = UINT64_C(1) << (i % 64);
	bool fresh = !(*w & bit);

	*w |= bit;
	return fresh;
}

/* Set k distinct pages chosen uniformly from [lo, lo + n) in b, where that
 * span is clear. Rejection sampling, or for k > n/2 the complement (set
 * all, clear n - k), so the expected number of draws is below 2k.
 *
 * This is the generator's hot loop (20,000 pages per interval in the
 * simulator's benchmark): for n <= 2^32 each 64-bit draw gives two page
 * numbers, and the bit test is branch-free. */
static void sample_distinct(struct xoshiro *r, mplm_bitmap *b, uint64_t lo,
			    uint64_t n, uint64_t k)
{
	uint64_t *words = mplm_bitmap_words(b);

	if (k == 0)
		return;
	if (k > n / 2) {
		mplm_bitmap_set_range(b, lo, lo + n - 1);
		for (uint64_t drop = n - k; drop;) {
			uint64_t i = lo + rng_below(r, n);
			if (mplm_bitmap_test(b, i)) {
				mplm_bitmap_clear(b, i);
				drop--;
			}
		}
		return;
	}
	/* A local copy: stores to words could alias r, which would keep the
	 * generator's state out of registers. */
	struct xoshiro g = *r;
	if (n <= UINT64_C(0x100000000)) {
		while (k > 1) {
			uint64_t x = xoshiro_next(&g);
			k -= set_new(words, lo + rng_below32(&g, (uint32_t)x, n));
			k -= set_new(words, lo + rng_below32(&g, (uint32_t)(x >> 32), n));
		}
	}
	while (k)
		k -= set_new(words, lo + rng_below(&g, n));
	*r = g;
}

/* No page of [0, nbits) set in b? Blocks of eight words keep it cheap. */
static bool prefix_clear(const mplm_bitmap *b, uint64_t nbits)
{
	const uint64_t *p = mplm_bitmap_cwords(b);
	uint64_t nw = (nbits + 63) / 64, w = 0;

	for (; w + 8 <= nw; w += 8)
		if (p[w] | p[w + 1] | p[w + 2] | p[w + 3] |
		    p[w + 4] | p[w + 5] | p[w + 6] | p[w + 7])
			return false;
	for (; w < nw; w++)
		if (p[w])
			return false;
	return true;
}

/* Where the sampled patterns put an interval's pages: straight into the
 * caller's bitmap when it has no working-set page set yet (the simulator
 * hands over a clear one), else into the scratch bitmap, which must be
 * moved over after, because bits already set cannot tell repeats. */
static mplm_bitmap *sample_target(struct gen *g, mplm_bitmap *pages)
{
	if (prefix_clear(pages, g->wss))
		return pages;
	if (!g->scratch)
		g->scratch = mplm_bitmap_new(g->wss);
	return g->scratch;
}

/* pages |= scratch over the working set, and clear scratch for next time. */
static void move_scratch(struct gen *g, mplm_bitmap *pages)
{
	uint64_t *restrict src = mplm_bitmap_words(g->scratch);
	uint64_t *restrict dst = mplm_bitmap_words(pages);
	uint64_t nw = (g->wss + 63) / 64;

	for (uint64_t w = 0; w < nw; w++) {
		dst[w] |= src[w];
		src[w] = 0;
	}
}

static void make_uniform(struct gen *g, mplm_bitmap *b, uint64_t count)
{
	sample_distinct(&g->rng, b, 0, g->wss, count);
}

/* The hot set is [0, hot_pages). Each page of the interval is hot with
 * probability skew: a binomial split, clamped to what each part holds. */
static void make_hotspot(struct gen *g, mplm_bitmap *b, uint64_t count)
{
	uint64_t cold = g->wss - g->hot_pages, nhot;

	if (count <= UINT32_MAX)
		nhot = gsl_ran_binomial(g->grng, g->p.skew, (unsigned)count);
	else
		nhot = (uint64_t)llround(g->p.skew * (double)count);
	if (nhot > g->hot_pages)
		nhot = g->hot_pages;
	if (count - nhot > cold)
		nhot = count - cold;
	sample_distinct(&g->rng, b, 0, g->hot_pages, nhot);
	sample_distinct(&g->rng, b, g->hot_pages, cold, count - nhot);
}

/* count pages from offset *off of [base, base + len), wrapping; count <= len. */
static void sweep(mplm_bitmap *pages, uint64_t base, uint64_t len,
		  uint64_t *off, uint64_t count)
{
	uint64_t first = count < len - *off ? count : len - *off;

	if (first)
		mplm_bitmap_set_range(pages, base + *off, base + *off + first - 1);
	if (count > first)
		mplm_bitmap_set_range(pages, base, base + count - first - 1);
	*off = (*off + count) % len;
}

static void make_sequential(struct gen *g, mplm_bitmap *pages, uint64_t count)
{
	sweep(pages, 0, g->wss, &g->cursor, count);
}

/* Array i of the stencil: wss split as evenly as possible. */
static void array_span(const struct gen *g, uint64_t i, uint64_t *base,
		       uint64_t *len)
{
	uint64_t a = g->p.arrays, q = g->wss / a, rem = g->wss % a;

	*base = i * q + (i < rem ? i : rem);
	*len = q + (i < rem);
}

/* A chunk of the current array at its own sweep offset; the next interval
 * moves on to the next array. A chunk longer than an array takes all of it
 * and continues in the following arrays. */
static void make_stencil(struct gen *g, mplm_bitmap *pages, uint64_t count)
{
	uint64_t a = g->cur_array, base, len;

	while (count) {
		array_span(g, a, &base, &len);
		uint64_t take = count < len ? count : len;
		sweep(pages, base, len, &g->array_off[a], take);
		count -= take;
		a = (a + 1) % g->p.arrays;
	}
	g->cur_array = (g->cur_array + 1) % g->p.arrays;
}

static int gen_next(void *impl, mplm_bitmap *pages, uint64_t *t_end_us,
		    uint64_t *count, char *err, size_t errlen)
{
	struct gen *g = impl;

	if (g->t >= g->end_us) {
		*t_end_us = g->end_us;
		*count = 0;
		return 0;
	}
	uint64_t t = g->end_us - g->t > g->interval_us ? g->t + g->interval_us
							: g->end_us;
	uint64_t target = (uint64_t)llround(g->p.rate * (double)t / 1e6);
	uint64_t n = target - g->target;
	if (n > g->wss)
		n = g->wss;

	mplm_bitmap *into = pages;
	switch (g->p.pattern) {
	case PAT_UNIFORM:
	case PAT_HOTSPOT:
		into = sample_target(g, pages);
		if (!into) {
			snprintf(err, errlen, "workload %s: out of memory",
				 g->spec);
			return -1;
		}
		if (g->p.pattern == PAT_UNIFORM)
			make_uniform(g, into, n);
		else
			make_hotspot(g, into, n);
		if (into != pages)
			move_scratch(g, pages);
		break;
	case PAT_SEQUENTIAL:
		make_sequential(g, pages, n);
		break;
	case PAT_STENCIL:
		make_stencil(g, pages, n);
		break;
	}
	g->t = t;
	g->target = target;
	*t_end_us = t;
	*count = n;
	return 1;
}

static void gen_reset(struct gen *g)
{
	uint64_t x = g->p.seed;

	g->t = 0;
	g->target = 0;
	xoshiro_seed(&g->rng, g->p.seed);
	if (g->grng)
		gsl_rng_set(g->grng, splitmix64(&x));
	g->cursor = 0;
	g->cur_array = 0;
	if (g->array_off)
		memset(g->array_off, 0, g->p.arrays * sizeof(uint64_t));
}

static int gen_rewind(void *impl, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	gen_reset(impl);
	return 0;
}

static void gen_close(void *impl)
{
	struct gen *g = impl;

	if (!g)
		return;
	if (g->grng)
		gsl_rng_free(g->grng);
	free(g->array_off);
	free(g->spec);
	mplm_bitmap_free(g->scratch);
	free(g);
}

static const struct trace_source_ops gen_ops = {
	.next = gen_next,
	.rewind = gen_rewind,
	.close = gen_close,
};

/* ------------------------------------------------------------------ */
/* The spec string. */

struct spec_ctx {
	const char *spec;
	char *err;
	size_t errlen;
};

static int spec_fail(const struct spec_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int spec_fail(const struct spec_ctx *c, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(c->err, c->errlen, "workload %s: %s", c->spec, what);
	return -1;
}

/* Whole decimal number, nothing after it. */
static bool parse_uint(const char *s, uint64_t *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

static bool parse_real(const char *s, double *out)
{
	char *end;

	if ((*s < '0' || *s > '9') && *s != '.')
		return false;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || !isfinite(v))
		return false;
	*out = v;
	return true;
}

/* Each kind reads units as every other mplm-lab front end (units.h). */
enum key_kind { K_SIZE, K_UINT, K_REAL, K_COUNT, K_SECONDS, K_MS };

static bool parse_value(enum key_kind kind, const char *s, void *field)
{
	double *d = field;
	switch (kind) {
	case K_SIZE: return units_parse_size(s, field) == 0;
	case K_UINT: return parse_uint(s, field);
	case K_REAL: return parse_real(s, field);
	case K_COUNT: return units_parse_count(s, d) == 0;
	case K_SECONDS: return units_parse_seconds(s, d) == 0;
	case K_MS:
		if (units_parse_duration(s, 1e-3, d) < 0)
			return false;
		*d *= 1e3; /* kept in ms */
		return true;
	}
	return false;
}

struct key_def {
	const char *name;
	enum key_kind kind;
	int pattern; /* -1: every pattern */
	size_t off;  /* in struct gen_params */
};

#define KEY(n, k, pat, field) { n, k, pat, offsetof(struct gen_params, field) }

static const struct key_def keys[] = {
	KEY("memory", K_SIZE, -1, memory),
	KEY("pages", K_UINT, -1, pages),
	KEY("wss", K_SIZE, -1, wss),
	KEY("rate", K_COUNT, -1, rate),
	KEY("duration", K_SECONDS, -1, duration),
	KEY("interval", K_MS, -1, interval_ms),
	KEY("seed", K_UINT, -1, seed),
	KEY("page-size", K_SIZE, -1, page_size),
	KEY("hot", K_REAL, PAT_HOTSPOT, hot),
	KEY("skew", K_REAL, PAT_HOTSPOT, skew),
	KEY("arrays", K_UINT, PAT_STENCIL, arrays),
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static int parse_key(const struct spec_ctx *c, struct gen_params *p, char *kv,
		     bool seen[NKEYS])
{
	static const char *const what[] = {
		[K_SIZE] = "a size in bytes (suffix K, M, G or T allowed)",
		[K_UINT] = "a whole number",
		[K_REAL] = "a number",
		[K_COUNT] = "a number (suffix k or M allowed: 60k)",
		[K_SECONDS] = "a duration (seconds, or with ms, s or min)",
		[K_MS] = "a duration (milliseconds, or with ms or s)",
	};
	char *eq = strchr(kv, '=');
	size_t k;

	if (!eq)
		return spec_fail(c, "'%s' is not key=value", kv);
	*eq = '\0';
	for (k = 0; k < NKEYS; k++)
		if (strcmp(kv, keys[k].name) == 0)
			break;
	if (k == NKEYS)
		return spec_fail(c, "unknown key '%s'", kv);
	const struct key_def *d = &keys[k];
	if (d->pattern >= 0 && d->pattern != (int)p->pattern)
		return spec_fail(c, "key '%s' is for the %s pattern only", kv,
				 pattern_names[d->pattern]);
	if (seen[k])
		return spec_fail(c, "key '%s' given twice", kv);
	seen[k] = true;

	void *field = (char *)p + d->off;
	bool ok = parse_value(d->kind, eq + 1, field);
	if (!ok)
		return spec_fail(c, "%s=%s: expected %s", kv, eq + 1,
				 what[d->kind]);
	return 0;
}

static int parse_spec(const struct spec_ctx *c, struct gen_params *p)
{
	bool seen[NKEYS] = { false };
	char *copy = strdup(c->spec), *save = NULL;
	int r = 0;
	size_t i;

	if (!copy)
		return spec_fail(c, "out of memory");
	char *tok = strtok_r(copy, ",", &save);
	for (i = 0; tok && i < NPATTERNS; i++)
		if (strcmp(tok, pattern_names[i]) == 0)
			break;
	if (!tok || i == NPATTERNS) {
		r = spec_fail(c, "unknown pattern '%s' (uniform, sequential, hotspot or stencil)",
			      tok ? tok : "");
		goto out;
	}
	p->pattern = (enum pattern)i;
	while (r == 0 && (tok = strtok_r(NULL, ",", &save)))
		r = parse_key(c, p, tok, seen);
out:
	free(copy);
	return r;
}

/* Turn the parsed keys into sizes in pages and times in microseconds. */
static int check_params(const struct spec_ctx *c, struct gen *g)
{
	const struct gen_params *p = &g->p;
	uint64_t ps = p->page_size;

	if (ps == 0 || (ps & (ps - 1)) || ps > UINT32_MAX)
		return spec_fail(c, "page-size %" PRIu64 " is not a power of two up to 2G", ps);
	if (p->memory && p->pages)
		return spec_fail(c, "give memory or pages, not both");
	if (!p->memory && !p->pages)
		return spec_fail(c, "memory (or pages) is required and must not be 0");
	if (p->memory % ps)
		return spec_fail(c, "memory %" PRIu64 " is not a multiple of the page size %" PRIu64,
				 p->memory, ps);
	g->pages = p->pages ? p->pages : p->memory / ps;
	if (g->pages > (UINT64_C(1) << 36))
		return spec_fail(c, "too many pages (%" PRIu64 ")", g->pages);
	if (p->wss == UINT64_MAX) {
		g->wss = g->pages;
	} else {
		if (p->wss == 0 || p->wss % ps)
			return spec_fail(c, "wss %" PRIu64 " is not a positive multiple of the page size %" PRIu64,
					 p->wss, ps);
		g->wss = p->wss / ps;
	}
	if (g->wss > g->pages)
		return spec_fail(c, "wss is larger than the memory");
	if (p->rate < 0)
		return spec_fail(c, "rate (pages written per second) is required");
	if (p->duration > MAX_DURATION_S)
		return spec_fail(c, "duration %g s is too long", p->duration);
	if (p->rate * p->duration > MAX_PAGES_WRITTEN)
		return spec_fail(c, "rate x duration is above %g pages", MAX_PAGES_WRITTEN);
	g->end_us = (uint64_t)llround(p->duration * 1e6);
	if (p->interval_ms > MAX_DURATION_S || llround(p->interval_ms * 1e3) < 1)
		return spec_fail(c, "interval must be between 0.001 ms and 1e9 ms");
	g->interval_us = (uint64_t)llround(p->interval_ms * 1e3);
	if (p->hot <= 0 || p->hot > 1)
		return spec_fail(c, "hot must be a fraction in (0, 1]");
	if (p->skew > 1)
		return spec_fail(c, "skew must be a fraction in [0, 1]");
	g->hot_pages = (uint64_t)llround(p->hot * (double)g->wss);
	if (g->hot_pages < 1)
		g->hot_pages = 1;
	if (p->pattern == PAT_STENCIL && (p->arrays < 1 || p->arrays > g->wss))
		return spec_fail(c, "arrays must be between 1 and the working set in pages");
	return 0;
}

static void default_params(struct gen_params *p)
{
	memset(p, 0, sizeof(*p));
	p->page_size = 4096;
	p->wss = UINT64_MAX;
	p->rate = -1;
	p->duration = 60;
	p->interval_ms = 100;
	p->seed = 1;
	p->hot = GEN_HOT_DEFAULT;
	p->skew = GEN_SKEW_DEFAULT;
	p->arrays = 3;
}

/* GSL generator, stencil offsets: what the pattern needs. */
static int alloc_state(struct gen *g)
{
	enum pattern pat = g->p.pattern;

	if (pat == PAT_HOTSPOT && !(g->grng = gsl_rng_alloc(gsl_rng_mt19937)))
		return -1;
	if (pat == PAT_STENCIL &&
	    !(g->array_off = calloc(g->p.arrays, sizeof(uint64_t))))
		return -1;
	return 0;
}

int gen_parse(const char *spec, struct gen_spec *out, char *err, size_t errlen)
{
	struct spec_ctx c = { spec, err, errlen };
	struct gen g;

	memset(&g, 0, sizeof(g));
	default_params(&g.p);
	if (parse_spec(&c, &g.p) < 0 || check_params(&c, &g) < 0)
		return -1;
	*out = (struct gen_spec){
		.pattern = pattern_names[g.p.pattern],
		.page_size = (uint32_t)g.p.page_size,
		.pages = g.pages,
		.wss_pages = g.wss,
		.rate = g.p.rate,
		.duration = g.p.duration,
		.interval_ms = g.p.interval_ms,
		.seed = g.p.seed,
		.hot = g.p.hot,
		.skew = g.p.skew,
		.arrays = g.p.arrays,
	};
	return 0;
}

trace_source *gen_open(const char *spec, char *err, size_t errlen)
{
	struct spec_ctx c = { spec, err, errlen };
	struct gen *g = calloc(1, sizeof(*g));
	mplm_bitmap *initial = NULL;

	if (!g) {
		spec_fail(&c, "out of memory");
		return NULL;
	}
	default_params(&g->p);
	if (parse_spec(&c, &g->p) < 0 || check_params(&c, g) < 0)
		goto fail;
	if (alloc_state(g) < 0 || !(g->spec = strdup(spec)) || !(initial = mplm_bitmap_new(g->pages))) {
		spec_fail(&c, "out of memory");
		goto fail;
	}
	mplm_bitmap_set_range(initial, 0, g->wss - 1);
	gen_reset(g);

	struct trace_info info = {
		.page_size = (uint32_t)g->p.page_size,
		.pages = g->pages,
		.interval_us = g->interval_us,
	};
	snprintf(info.workload, sizeof(info.workload), "%s", spec);
	snprintf(info.origin, sizeof(info.origin),
		 "mplm-lab workload generator (gen.c)");
	trace_source *s = trace_source_new(&gen_ops, g, &info, initial);
	if (!s)
		spec_fail(&c, "out of memory");
	return s;
fail:
	gen_close(g);
	return NULL;
}
