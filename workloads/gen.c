/*
 * gen.c - synthetic dirty-page workloads (gen.h), as trace sources.
 *
 * Pages are numbered 0..pages-1 and the working set is pages [0, wss).
 * The working set starts non-zero (`p 0-(wss-1)`); the rest is zero and is
 * never written. Interval k ends at min(k * interval, duration).
 *
 * The page writes are the guest's: kvmlite's guest program and these
 * generators take which page each write goes to from one definition,
 * guests/wl_seq.h, so a spec means the same page-write sequence on both
 * back ends. Each vCPU makes round(r * t_k) - round(r * t_{k-1}) writes in
 * interval k, r = rate / vcpus (so the long-run rate is exact), and the
 * interval's dirty set is the distinct pages of those writes.
 */
#include "gen.h"
#include "units.h"
#include "guests/wl_seq.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum pattern { PAT_UNIFORM, PAT_SEQUENTIAL, PAT_HOTSPOT, PAT_STENCIL };

static const char *const pattern_names[] = {
	"uniform", "sequential", "hotspot", "stencil",
};

/* The guest program's pattern for each of ours. */
static const uint64_t guest_patterns[] = {
	KL_PAT_UNIFORM, KL_PAT_SEQUENTIAL, KL_PAT_HOTSPOT, KL_PAT_STENCIL,
};

#define NPATTERNS (sizeof(pattern_names) / sizeof(pattern_names[0]))
#define MAX_DURATION_S 1e9 /* keeps every time in microseconds exact */
#define MAX_PAGES_WRITTEN 1e18 /* keeps round(rate * t) in 64 bits */

struct gen_params {
	enum pattern pattern;
	uint64_t page_size;
	uint64_t memory, pages;      /* bytes or pages; 0 = not given */
	uint64_t wss;                /* bytes; UINT64_MAX = all the memory */
	double rate;                 /* page writes/s; < 0 = not given */
	double duration;             /* s */
	double interval_ms;
	uint64_t seed;
	uint64_t vcpus;
	double hot, skew;            /* hotspot */
	uint64_t arrays;             /* stencil */
};

struct gen {
	struct gen_params p;
	char *spec;
	uint64_t pages, wss;         /* in pages */
	uint64_t interval_us, end_us;
	struct kl_params guest;      /* what the guest program would be given */
	/* Run state, reset by rewind. */
	uint64_t t;                  /* end of the last interval made */
	uint64_t target;             /* round(rate / vcpus * t): writes per vCPU */
	struct wl_seq *seq;          /* one sequence per vCPU */
	mplm_bitmap *scratch;        /* see sample_target; made on first use */
	/* A deferred interval (gen_fill_last): the sequences as they were
	 * at its start, its writes per vCPU, and a copy to replay them in.
	 * has_last: the interval last given was deferred (false after a
	 * whole read or a rewind: last then holds an older interval).
	 * replay is in last's block, after it. */
	struct wl_seq *last, *replay;
	uint64_t last_n;
	bool has_last;
	/* Uniform: seq is still at the deferred interval's start; the
	 * interval's writes move it on when made (gen_fill_last), or are
	 * skipped by the next interval (catch_up). */
	bool behind;
	/* Uniform, per vCPU, made on the first skipped interval: the values
	 * inside the share among each aligned block of UNIFORM_BLOCK
	 * permutation indices (NULL: a permutation smaller than a block). */
	uint16_t **block_valid;
};

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

/* Where the hotspot puts an interval's pages: straight into the caller's
 * bitmap when it has no working-set page set yet (the simulator hands
 * over a clear one), else into the scratch bitmap, which must be moved
 * over after, because bits already set cannot tell repeats. */
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

/* count pages from offset off of [base, base + len), wrapping; count <= len. */
static void sweep(mplm_bitmap *pages, uint64_t base, uint64_t len,
		  uint64_t off, uint64_t count)
{
	uint64_t first = count < len - off ? count : len - off;

	if (first)
		mplm_bitmap_set_range(pages, base + off, base + off + first - 1);
	if (count > first)
		mplm_bitmap_set_range(pages, base, base + count - first - 1);
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Permutation indices computed per block on the uniform fast path, and
 * counted per aligned block for uniform_skip. */
#define UNIFORM_BLOCK 256

/* walk uniform writes from s->perm_i into words, whole blocks of
 * UNIFORM_BLOCK indices while they cannot hold more writes than are left;
 * the writes left. Shares below 2^32 pages only: then wl_seq_permute in
 * 32-bit arithmetic is the same map (everything is mod 2^b, b <= 32), the
 * block's loop has no branch and vectorises, and a value past the share
 * (a skipped index) sets no bit instead of being skipped by a branch
 * that the CPU cannot predict. */
static uint64_t uniform_blocks(struct wl_seq *s, uint64_t *words,
			       uint64_t base, uint64_t walk)
{
	const uint32_t m = (uint32_t)s->perm_mask, pages = (uint32_t)s->pages;
	const uint32_t mul1 = (uint32_t)WL_SEQ_PERM_MUL1, mul2 = (uint32_t)WL_SEQ_PERM_MUL2;
	const uint32_t xor2 = (uint32_t)(s->seed >> 32);
	const unsigned sh = s->perm_shift;
	uint32_t vals[UNIFORM_BLOCK];
	uint64_t i = s->perm_i;

	for (; walk >= UNIFORM_BLOCK; i += UNIFORM_BLOCK) {
		/* x * mul1 + seed for consecutive x: one add apart. */
		uint32_t y = (uint32_t)i * mul1 + (uint32_t)s->seed, n = 0;
		for (uint32_t j = 0; j < UNIFORM_BLOCK; j++, y += mul1) {
			uint32_t x = y & m;
			x ^= x >> sh;
			x = ((x ^ xor2) * mul2) & m;
			vals[j] = x ^ (x >> sh);
		}
		/* Keep the values inside the share, without a branch. */
		for (uint32_t j = 0; j < UNIFORM_BLOCK; j++) {
			vals[n] = vals[j];
			n += vals[j] < pages;
		}
		for (uint32_t j = 0; j < n; j++) {
			uint64_t p = base + vals[j];
			words[p / 64] |= UINT64_C(1) << (p % 64);
		}
		walk -= n;
	}
	s->perm_i = i;
	return walk;
}

/* The values inside the share among each aligned block of UNIFORM_BLOCK
 * permutation indices (uniform_skip's table); NULL when the permutation is
 * smaller than a block, or out of memory (then uniform_skip walks). */
static uint16_t *uniform_block_valid(const struct wl_seq *s)
{
	uint64_t nblocks = (s->perm_mask + 1) / UNIFORM_BLOCK;
	uint16_t *valid = nblocks ? malloc(nblocks * sizeof(*valid)) : NULL;

	for (uint64_t b = 0; valid && b < nblocks; b++) {
		unsigned c = 0;
		for (uint64_t x = b * UNIFORM_BLOCK; x < (b + 1) * UNIFORM_BLOCK; x++)
			c += wl_seq_permute(s, x) < s->pages;
		valid[b] = (uint16_t)c;
	}
	return valid;
}

/* Move the permutation on by `walk` writes without making them: to just
 * after the walk-th value inside the share, where writing them leaves it
 * (uniform_blocks and wl_seq_next_uniform). Whole blocks are skipped by
 * their count while they hold fewer writes than are left. */
static void uniform_skip(struct wl_seq *s, const uint16_t *valid, uint64_t walk)
{
	uint64_t i = s->perm_i, m = s->perm_mask;

	if (valid) {
		for (; walk && i % UNIFORM_BLOCK; i++)
			walk -= wl_seq_permute(s, i & m) < s->pages;
		for (uint16_t c; walk && (c = valid[(i & m) / UNIFORM_BLOCK]) < walk;
		     i += UNIFORM_BLOCK)
			walk -= c;
	}
	for (; walk; i++)
		walk -= wl_seq_permute(s, i & m) < s->pages;
	s->perm_i = i;
}

/* Any S consecutive writes of the permutation are distinct. */
static uint64_t uniform_distinct(const struct wl_seq *s, uint64_t n)
{
	return min_u64(n, s->pages);
}

/* The next n writes of a uniform vCPU into its share at base (pages NULL:
 * counted only, the permutation moved on with `valid`). Any S consecutive
 * writes of the permutation are distinct, so the bits can go straight
 * into the caller's bitmap and the count is min(n, S). */
static uint64_t writes_uniform(struct wl_seq *s, mplm_bitmap *pages,
			       uint64_t base, uint64_t n, const uint16_t *valid)
{
	uint64_t distinct = uniform_distinct(s, n), walk = n;

	/* S writes are one whole pass: they write every page and bring the
	 * permutation back where it was. */
	if (n >= s->pages) {
		if (pages)
			mplm_bitmap_set_range(pages, base, base + s->pages - 1);
		walk = n % s->pages;
	}
	s->k += n;
	if (!pages) {
		uniform_skip(s, valid, walk);
		return distinct;
	}
	uint64_t *words = mplm_bitmap_words(pages);
	if (s->pages <= UINT32_MAX)
		walk = uniform_blocks(s, words, base, walk);
	for (uint64_t i = 0; i < walk; i++) {
		uint64_t p = base + wl_seq_next_uniform(s);
		words[p / 64] |= UINT64_C(1) << (p % 64);
	}
	return distinct;
}

/* Hotspot writes repeat pages: count the ones new in this interval (the
 * target holds nothing of it yet, see sample_target). */
static uint64_t writes_hotspot(struct wl_seq *s, uint64_t *words,
			       uint64_t base, uint64_t n)
{
	uint64_t fresh = 0;

	for (uint64_t i = 0; i < n; i++)
		fresh += set_new(words, base + wl_seq_next_hotspot(s));
	s->k += n;
	return fresh;
}

/* Sequential: write k is page k mod S, a sweep. */
static uint64_t writes_sequential(struct wl_seq *s, mplm_bitmap *pages,
				  uint64_t base, uint64_t n)
{
	uint64_t count = min_u64(n, s->pages);

	if (pages)
		sweep(pages, base, s->pages, s->k % s->pages, count);
	s->k += n;
	return count;
}

/* Stencil: each array's own sweep moves on by the writes of its chunks
 * among the next n (wl_seq_array_writes), and the arrays are disjoint. */
static uint64_t writes_stencil(struct wl_seq *s, mplm_bitmap *pages,
			       uint64_t base, uint64_t n)
{
	uint64_t count = 0;

	for (uint64_t a = 0; a < s->arrays; a++) {
		uint64_t from = wl_seq_array_writes(s, a, s->k);
		uint64_t writes = wl_seq_array_writes(s, a, s->k + n) - from;
		uint64_t abase, len;
		wl_seq_array_span(s, a, &abase, &len);
		uint64_t take = min_u64(writes, len);
		if (pages)
			sweep(pages, base + abase, len, from % len, take);
		count += take;
	}
	s->k += n;
	return count;
}

/* Every vCPU's next n writes, sequences seq, into pages (NULL: counted
 * only, not for hotspot); the distinct pages written. */
static uint64_t make_writes(struct gen *g, struct wl_seq *seq, mplm_bitmap *pages,
			    uint64_t n)
{
	uint64_t count = 0;

	for (unsigned v = 0; v < g->guest.nvcpus; v++) {
		struct wl_seq *s = &seq[v];
		uint64_t base = wl_seq_share_base(&g->guest, v);
		switch (g->p.pattern) {
		case PAT_UNIFORM:
			count += writes_uniform(s, pages, base, n,
						g->block_valid ? g->block_valid[v] : NULL);
			break;
		case PAT_HOTSPOT:
			count += writes_hotspot(s, mplm_bitmap_words(pages), base, n);
			break;
		case PAT_SEQUENTIAL:
			count += writes_sequential(s, pages, base, n);
			break;
		case PAT_STENCIL:
			count += writes_stencil(s, pages, base, n);
			break;
		}
	}
	return count;
}

static int defer_prepare(struct gen *g);
static int catch_up(struct gen *g);

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
	double per_vcpu = g->p.rate / (double)g->guest.nvcpus;
	uint64_t target = (uint64_t)llround(per_vcpu * (double)t / 1e6);
	uint64_t n = target - g->target;

	mplm_bitmap *into = pages;
	if (catch_up(g) < 0 || (!pages && defer_prepare(g) < 0) ||
	    (g->p.pattern == PAT_HOTSPOT && pages && !(into = sample_target(g, pages)))) {
		snprintf(err, errlen, "workload %s: out of memory", g->spec);
		return -1;
	}
	if (!pages) { /* deferred: gen_fill_last makes the writes */
		memcpy(g->last, g->seq, g->guest.nvcpus * sizeof(*g->seq));
		g->last_n = n;
	}
	g->has_last = !pages;
	if (!pages && g->p.pattern == PAT_UNIFORM) {
		/* Counted without the walk: made later or skipped then. */
		*count = g->guest.nvcpus * uniform_distinct(&g->seq[0], n);
		g->behind = true;
	} else {
		*count = make_writes(g, g->seq, into, n);
	}
	if (into != pages)
		move_scratch(g, pages);
	g->t = t;
	g->target = target;
	*t_end_us = t;
	return 1;
}

/* Every pattern but hotspot counts an interval's pages without making
 * them (the hotspot's repeats are found in the bitmap). */
static bool gen_can_defer(const void *impl)
{
	return ((const struct gen *)impl)->p.pattern != PAT_HOTSPOT;
}

/* The first deferred interval makes what deferring needs. */
static int defer_prepare(struct gen *g)
{
	unsigned n = g->guest.nvcpus;

	if (g->last)
		return 0;
	/* One block: last set means replay is too, even after a failure. */
	if (!(g->last = calloc(2 * (size_t)n, sizeof(*g->last))))
		return -1;
	g->replay = g->last + n;
	return 0;
}

/* A uniform interval deferred and never made: move the sequences past
 * its writes. The first one makes uniform_skip's tables (a pass over the
 * whole permutation, which an interval made in time never needs). */
static int catch_up(struct gen *g)
{
	unsigned n = g->guest.nvcpus;

	if (!g->behind)
		return 0;
	if (!g->block_valid) {
		if (!(g->block_valid = calloc(n, sizeof(*g->block_valid))))
			return -1;
		for (unsigned v = 0; v < n; v++)
			g->block_valid[v] = uniform_block_valid(&g->seq[v]);
	}
	make_writes(g, g->seq, NULL, g->last_n);
	g->behind = false;
	return 0;
}

/* The writes of the interval last counted with pages NULL, from the
 * sequences as they were at its start. */
static int gen_fill_last(void *impl, mplm_bitmap *pages, char *err, size_t errlen)
{
	struct gen *g = impl;

	if (!g->has_last) {
		snprintf(err, errlen, "workload %s: no deferred interval", g->spec);
		return -1;
	}
	memcpy(g->replay, g->last, g->guest.nvcpus * sizeof(*g->last));
	make_writes(g, g->replay, pages, g->last_n);
	if (g->behind) { /* where the writes left the sequences */
		memcpy(g->seq, g->replay, g->guest.nvcpus * sizeof(*g->seq));
		g->behind = false;
	}
	return 0;
}

/* Pages [0, N S): the shares of the N vCPUs. */
static uint64_t gen_writable(const void *impl)
{
	const struct gen *g = impl;
	return g->guest.nvcpus * wl_seq_share(&g->guest);
}

static void gen_reset(struct gen *g)
{
	g->t = 0;
	g->target = 0;
	g->behind = false;
	g->has_last = false;
	for (unsigned v = 0; v < g->guest.nvcpus; v++)
		wl_seq_init(&g->seq[v], &g->guest, v);
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
	free(g->seq);
	free(g->last); /* replay too */
	for (unsigned v = 0; g->block_valid && v < g->guest.nvcpus; v++)
		free(g->block_valid[v]);
	free(g->block_valid);
	free(g->spec);
	mplm_bitmap_free(g->scratch);
	free(g);
}

static const struct trace_source_ops gen_ops = {
	.next = gen_next,
	.rewind = gen_rewind,
	.close = gen_close,
	.can_defer = gen_can_defer,
	.fill_last = gen_fill_last,
	.writable = gen_writable,
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
	KEY("vcpus", K_UINT, -1, vcpus),
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

/* A whole number of thousandths, as the guest's parameter page holds it. */
static bool in_permille(double f)
{
	return fabs(f * 1000 - (double)gen_permille(f)) < 1e-6;
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
		return spec_fail(c, "rate (page writes per second) is required");
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
	if (!in_permille(p->hot) || !in_permille(p->skew))
		return spec_fail(c, "hot and skew go in steps of 0.001 (the guest program takes them in permille)");
	if (p->vcpus < 1 || p->vcpus > KL_MAX_VCPUS)
		return spec_fail(c, "vcpus must be between 1 and %d", KL_MAX_VCPUS);
	if (g->wss < p->vcpus)
		return spec_fail(c, "wss must give every vCPU at least one page");
	if (p->pattern == PAT_STENCIL &&
	    (p->arrays < 1 || p->arrays > g->wss / p->vcpus))
		return spec_fail(c, "arrays must be between 1 and the pages of a vCPU's share of the working set");
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
	p->vcpus = 1;
	p->hot = GEN_HOT_DEFAULT;
	p->skew = GEN_SKEW_DEFAULT;
	p->arrays = GEN_ARRAYS_DEFAULT;
}

static void to_spec(const struct gen *g, struct gen_spec *out)
{
	*out = (struct gen_spec){
		.pattern = pattern_names[g->p.pattern],
		.page_size = (uint32_t)g->p.page_size,
		.pages = g->pages,
		.wss_pages = g->wss,
		.rate = g->p.rate,
		.duration = g->p.duration,
		.interval_ms = g->p.interval_ms,
		.seed = g->p.seed,
		.vcpus = (unsigned)g->p.vcpus,
		.hot = g->p.hot,
		.skew = g->p.skew,
		.arrays = g->p.arrays,
	};
}

int gen_parse(const char *spec, struct gen_spec *out, char *err, size_t errlen)
{
	struct spec_ctx c = { spec, err, errlen };
	struct gen g;

	memset(&g, 0, sizeof(g));
	default_params(&g.p);
	if (parse_spec(&c, &g.p) < 0 || check_params(&c, &g) < 0)
		return -1;
	to_spec(&g, out);
	return 0;
}

uint64_t gen_permille(double fraction)
{
	return (uint64_t)llround(fraction * 1000);
}

void gen_guest_params(const struct gen_spec *s, struct kl_params *p)
{
	size_t i = 0;

	while (i + 1 < NPATTERNS && strcmp(s->pattern, pattern_names[i]) != 0)
		i++;
	p->pattern = guest_patterns[i];
	p->nvcpus = s->vcpus;
	p->wss_pages = s->wss_pages;
	p->rate = (uint64_t)llround(s->rate);
	p->seed = s->seed;
	p->hot_permille = gen_permille(s->hot);
	p->skew_permille = gen_permille(s->skew);
	p->arrays = s->arrays;
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
	struct gen_spec checked;
	to_spec(g, &checked);
	gen_guest_params(&checked, &g->guest);
	if (!(g->seq = calloc(g->p.vcpus, sizeof(*g->seq))) ||
	    !(g->spec = strdup(spec)) || !(initial = mplm_bitmap_new(g->pages))) {
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
