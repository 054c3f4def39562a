/*
 * bitmap.c - page bitmaps.
 *
 * Plain arrays of 64-bit words; the hot operations (find-next-set, count)
 * skip whole zero words and use the compiler's bit-scan and popcount.
 */
#include "mplm.h"

#include <stdlib.h>
#include <string.h>

struct mplm_bitmap {
	uint64_t nbits;
	uint64_t nwords;
	uint64_t words[];
};

static inline uint64_t words_for(uint64_t nbits) { return (nbits + 63) / 64; }

mplm_bitmap *mplm_bitmap_new(uint64_t nbits)
{
	uint64_t nwords = words_for(nbits);
	if (nwords > (SIZE_MAX - sizeof(mplm_bitmap)) / sizeof(uint64_t))
		return NULL;
	mplm_bitmap *b = calloc(1, sizeof(*b) + nwords * sizeof(uint64_t));
	if (!b)
		return NULL;
	b->nbits = nbits;
	b->nwords = nwords;
	return b;
}

void mplm_bitmap_free(mplm_bitmap *b) { free(b); }
uint64_t mplm_bitmap_nbits(const mplm_bitmap *b) { return b->nbits; }
uint64_t mplm_bitmap_nwords(const mplm_bitmap *b) { return b->nwords; }
uint64_t *mplm_bitmap_words(mplm_bitmap *b) { return b->words; }
const uint64_t *mplm_bitmap_cwords(const mplm_bitmap *b) { return b->words; }

void mplm_bitmap_set(mplm_bitmap *b, uint64_t i)
{
	b->words[i / 64] |= UINT64_C(1) << (i % 64);
}

void mplm_bitmap_clear(mplm_bitmap *b, uint64_t i)
{
	b->words[i / 64] &= ~(UINT64_C(1) << (i % 64));
}

bool mplm_bitmap_test(const mplm_bitmap *b, uint64_t i)
{
	return (b->words[i / 64] >> (i % 64)) & 1;
}

bool mplm_bitmap_test_and_set(mplm_bitmap *b, uint64_t i)
{
	uint64_t mask = UINT64_C(1) << (i % 64);
	uint64_t old = b->words[i / 64];
	b->words[i / 64] = old | mask;
	return old & mask;
}

/* Mask of bits lo..hi (inclusive) within one word. */
static inline uint64_t span_mask(unsigned lo, unsigned hi)
{
	uint64_t upto_hi = hi == 63 ? ~UINT64_C(0) : (UINT64_C(1) << (hi + 1)) - 1;
	return upto_hi & ~((UINT64_C(1) << lo) - 1);
}

void mplm_bitmap_set_range(mplm_bitmap *b, uint64_t first, uint64_t last)
{
	uint64_t w0 = first / 64, w1 = last / 64;
	if (w0 == w1) {
		b->words[w0] |= span_mask(first % 64, last % 64);
		return;
	}
	b->words[w0] |= span_mask(first % 64, 63);
	for (uint64_t w = w0 + 1; w < w1; w++)
		b->words[w] = ~UINT64_C(0);
	b->words[w1] |= span_mask(0, last % 64);
}

/* Bits `mask` of word w cleared; how many were set. */
static inline uint64_t clear_bits(mplm_bitmap *b, uint64_t w, uint64_t mask)
{
	uint64_t n = (uint64_t)__builtin_popcountll(b->words[w] & mask);
	b->words[w] &= ~mask;
	return n;
}

/* As set_range: the inner words whole, no mask (a send run clears a
 * range per run, 16 words in a sparse pass). */
uint64_t mplm_bitmap_clear_range(mplm_bitmap *b, uint64_t first, uint64_t last)
{
	uint64_t w0 = first / 64, w1 = last / 64;
	if (w0 == w1)
		return clear_bits(b, w0, span_mask(first % 64, last % 64));
	uint64_t cleared = clear_bits(b, w0, span_mask(first % 64, 63));
	for (uint64_t w = w0 + 1; w < w1; w++) {
		cleared += (uint64_t)__builtin_popcountll(b->words[w]);
		b->words[w] = 0;
	}
	return cleared + clear_bits(b, w1, span_mask(0, last % 64));
}

void mplm_bitmap_zero(mplm_bitmap *b)
{
	mplm_bitmap_zero_words(b, 0, b->nwords);
}

void mplm_bitmap_fill(mplm_bitmap *b)
{
	if (b->nbits)
		mplm_bitmap_set_range(b, 0, b->nbits - 1);
}

uint64_t mplm_bitmap_count_words(const mplm_bitmap *b, uint64_t first, uint64_t n)
{
	uint64_t c = 0;
	for (uint64_t w = first; w < first + n; w++)
		c += (uint64_t)__builtin_popcountll(b->words[w]);
	return c;
}

uint64_t mplm_bitmap_count(const mplm_bitmap *b)
{
	return mplm_bitmap_count_words(b, 0, b->nwords);
}

void mplm_bitmap_zero_words(mplm_bitmap *b, uint64_t first, uint64_t n)
{
	memset(b->words + first, 0, n * sizeof(uint64_t));
}

uint64_t mplm_bitmap_find_next_set(const mplm_bitmap *b, uint64_t from)
{
	if (from >= b->nbits)
		return b->nbits;
	uint64_t w = from / 64;
	uint64_t word = b->words[w] & (~UINT64_C(0) << (from % 64));
	while (!word) {
		if (++w >= b->nwords)
			return b->nbits;
		word = b->words[w];
	}
	uint64_t i = w * 64 + (uint64_t)__builtin_ctzll(word);
	return i < b->nbits ? i : b->nbits;
}

void mplm_bitmap_or(mplm_bitmap *dst, const mplm_bitmap *src)
{
	uint64_t n = dst->nwords < src->nwords ? dst->nwords : src->nwords;
	for (uint64_t w = 0; w < n; w++)
		dst->words[w] |= src->words[w];
}
