/*
 * pageset.c - page sets with wrapping cursors.
 */
#include "pageset.h"

int pageset_init(struct pageset *s, uint64_t pages, bool full)
{
	s->bits = mplm_bitmap_new(pages);
	if (!s->bits)
		return -1;
	s->words = mplm_bitmap_words(s->bits);
	if (full)
		mplm_bitmap_fill(s->bits);
	s->count = full ? pages : 0;
	s->cursor = 0;
	s->wraps = 0;
	return 0;
}

void pageset_destroy(struct pageset *s)
{
	mplm_bitmap_free(s->bits);
	s->bits = NULL;
	s->words = NULL;
}

uint64_t pageset_peek(struct pageset *s)
{
	if (s->count == 0)
		return PAGESET_NONE;
	/* Most peeks find their page in the cursor's own word. */
	uint64_t n = mplm_bitmap_nbits(s->bits), c = s->cursor;
	if (c < n) {
		uint64_t word = s->words[c / 64] & (~UINT64_C(0) << (c % 64));
		if (word) {
			uint64_t p = c / 64 * 64 + (uint64_t)__builtin_ctzll(word);
			if (p < n)
				return p;
		}
	}
	uint64_t p = mplm_bitmap_find_next_set(s->bits, s->cursor);
	if (p < n)
		return p;
	/* Nothing after the cursor: wrap. count > 0 guarantees a hit. */
	s->cursor = 0;
	s->wraps++;
	return mplm_bitmap_find_next_set(s->bits, 0);
}

void pageset_take(struct pageset *s, uint64_t page)
{
	pageset_remove(s, page);
	s->cursor = page + 1;
}

/* One word of pageset_merge_moving; the counts in *all, *added, *removed. */
static inline void merge_word(uint64_t *d, uint64_t *f, uint64_t *w,
			      uint64_t *all, uint64_t *added, uint64_t *removed)
{
	uint64_t bits = *w;
	*w = 0;
	*all += (uint64_t)__builtin_popcountll(bits);
	*added += (uint64_t)__builtin_popcountll(bits & ~*d);
	*removed += (uint64_t)__builtin_popcountll(bits & *f);
	*d |= bits;
	*f &= ~bits;
}

uint64_t pageset_merge_moving(struct pageset *dst, struct pageset *also_from,
			      mplm_bitmap *src, uint64_t first, uint64_t n,
			      uint64_t *in_src)
{
	uint64_t *d = dst->words, *f = also_from->words, *w = mplm_bitmap_words(src);
	uint64_t added = 0, removed = 0, all = 0, i = first, end = first + n;
	/* Four words at a time, skipped when all four are empty: a test per
	 * word mispredicts in a log about half full (a fast guest's), and a
	 * sparse one (a VM far larger than what its guest writes) still
	 * skips. */
	for (; i + 4 <= end; i += 4) {
		if (!(w[i] | w[i + 1] | w[i + 2] | w[i + 3]))
			continue;
		for (uint64_t j = i; j < i + 4; j++)
			merge_word(&d[j], &f[j], &w[j], &all, &added, &removed);
	}
	for (; i < end; i++)
		merge_word(&d[i], &f[i], &w[i], &all, &added, &removed);
	dst->count += added;
	also_from->count -= removed;
	*in_src = all;
	return added;
}
