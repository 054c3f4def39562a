/*
 * wl.c - write patterns and checksums shared by guests and host.
 *
 * Every page write reads the old 64-bit word first and folds it into the
 * checksum, so a page that crossed a migration wrong changes the result;
 * part of the checksum lives in SSE registers while the loop runs, so the
 * FPU/XSAVE state must cross too.
 */
#include "wl.h"

uint64_t wl_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

uint64_t wl_share_pages(const struct kl_params *p)
{
	return p->nvcpus ? p->wss_pages / p->nvcpus : 0;
}

static unsigned bits_for(uint64_t n)
{
	unsigned b = 0;
	while (b < 63 && (1ull << b) < n)
		b++;
	return b;
}

void wl_init(struct wl *w, const struct kl_params *p, unsigned vcpu,
	     uint8_t *data)
{
	uint64_t share = wl_share_pages(p);

	*w = (struct wl){ 0 };
	w->base = data + vcpu * share * WL_PAGE;
	w->pages = share ? share : 1;
	w->pattern = p->pattern;
	w->seed = wl_mix64(p->seed + 0x9e3779b97f4a7c15ull * (vcpu + 1));
	w->hot_pages = w->pages * p->hot_permille / 1000;
	if (w->hot_pages == 0)
		w->hot_pages = 1;
	w->skew_permille = p->skew_permille;
	w->arrays = p->arrays >= 2 ? p->arrays : 2;
	w->array_pages = w->pages / w->arrays;
	if (w->array_pages == 0)
		w->array_pages = 1;
	unsigned b = bits_for(w->pages);
	w->perm_mask = b ? (1ull << b) - 1 : 0;
	w->perm_shift = b / 2 + 1;
	w->csum = w->seed;
	w->rng = w->seed | 1;
}

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* A bijection of 0..mask: multiply by odd, add, xor-shift, all mod 2^b. */
static uint64_t permute(const struct wl *w, uint64_t x)
{
	uint64_t m = w->perm_mask;
	x = (x * 0x9e3779b97f4a7c15ull + w->seed) & m;
	x ^= x >> w->perm_shift;
	x = (x * 0xd6e8feb86659fd93ull) & m;
	x ^= x >> w->perm_shift;
	return x;
}

/* Uniform: walk a random permutation of the pages, skipping the values
 * past the end, so every page is written once per pass. */
static uint64_t next_uniform(struct wl *w)
{
	for (;;) {
		uint64_t p = permute(w, w->perm_i++ & w->perm_mask);
		if (p < w->pages)
			return p;
	}
}

static uint64_t next_hotspot(struct wl *w)
{
	uint64_t r = xorshift(&w->rng);
	uint64_t cold = w->pages - w->hot_pages;
	if (r % 1000 < w->skew_permille || cold == 0)
		return (r >> 10) % w->hot_pages;
	return w->hot_pages + (r >> 10) % cold;
}

static inline uint64_t *word_at(const struct wl *w, uint64_t page, uint64_t i)
{
	return (uint64_t *)(w->base + page * WL_PAGE) + i;
}

/* Stencil: sweep s computes array (s+1) % A from array s % A, page j from
 * pages j-1, j, j+1 of the source. Returns the value to write. */
static uint64_t stencil_value(const struct wl *w, uint64_t *page, uint64_t wi)
{
	uint64_t n = w->array_pages;
	uint64_t sweep = w->k / n, j = w->k % n;
	uint64_t src = (sweep % w->arrays) * n, dst = ((sweep + 1) % w->arrays) * n;
	uint64_t left = j ? j - 1 : j, right = j + 1 < n ? j + 1 : j;
	uint64_t v = *word_at(w, src + left, wi) + *word_at(w, src + j, wi) +
		     *word_at(w, src + right, wi);
	*page = dst + j;
	return v;
}

static uint64_t next_page(struct wl *w, uint64_t wi, uint64_t *in)
{
	uint64_t page = 0;
	*in = 0;
	switch (w->pattern) {
	case KL_PAT_UNIFORM:
		return next_uniform(w);
	case KL_PAT_HOTSPOT:
		return next_hotspot(w);
	case KL_PAT_STENCIL:
		*in = stencil_value(w, &page, wi);
		return page;
	default:
		return w->k % w->pages;
	}
}

void wl_run(struct wl *w, uint64_t n)
{
	uint64_t csum = w->csum;
	wl_v2 vacc = w->vacc;

	for (uint64_t end = w->k + n; w->k < end; w->k++) {
		uint64_t wi = wl_mix64(w->k ^ w->seed) % WL_WORDS, in;
		uint64_t page = next_page(w, wi, &in);
		uint64_t *word = word_at(w, page, wi);
		uint64_t old = *word;
		uint64_t val = wl_mix64(w->seed ^ (w->k * 0x9e3779b97f4a7c15ull) ^ old ^ in);
		*word = val;
		csum = ((csum << 13) | (csum >> 51)) ^ old ^ page;
		csum = csum * 0x100000001b3ull + val;
		vacc ^= (wl_v2){ old, page };
		vacc += (wl_v2){ val, w->k };
		vacc = (vacc << 7) | (vacc >> 57);
	}
	w->csum = csum;
	w->vacc = vacc;
}

uint64_t wl_vecsum(const struct wl *w)
{
	return wl_mix64(w->vacc[0]) ^ w->vacc[1];
}

uint64_t wl_hash_words(uint64_t h, const uint64_t *p, uint64_t nwords)
{
	for (uint64_t i = 0; i < nwords; i++)
		h = (h ^ p[i]) * 0x100000001b3ull + (h >> 29);
	return h;
}

uint64_t wl_memhash(const struct wl *w)
{
	return wl_hash_words(w->seed, (const uint64_t *)w->base,
			     w->pages * WL_WORDS);
}
