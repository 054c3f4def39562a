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
}

uint64_t pageset_peek(struct pageset *s)
{
	uint64_t n = mplm_bitmap_nbits(s->bits);
	if (s->count == 0)
		return PAGESET_NONE;
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

uint64_t pageset_merge(struct pageset *dst, const mplm_bitmap *src)
{
	uint64_t *d = mplm_bitmap_words(dst->bits);
	const uint64_t *w = mplm_bitmap_cwords(src);
	uint64_t n = mplm_bitmap_nwords(src), added = 0;
	for (uint64_t i = 0; i < n; i++) {
		if (!w[i])
			continue;
		added += (uint64_t)__builtin_popcountll(w[i] & ~d[i]);
		d[i] |= w[i];
	}
	dst->count += added;
	return added;
}

uint64_t pageset_merge_moving(struct pageset *dst, struct pageset *also_from,
			      const mplm_bitmap *src)
{
	uint64_t *d = mplm_bitmap_words(dst->bits);
	uint64_t *f = mplm_bitmap_words(also_from->bits);
	const uint64_t *w = mplm_bitmap_cwords(src);
	uint64_t n = mplm_bitmap_nwords(src), added = 0, removed = 0;
	for (uint64_t i = 0; i < n; i++) {
		if (!w[i])
			continue;
		added += (uint64_t)__builtin_popcountll(w[i] & ~d[i]);
		removed += (uint64_t)__builtin_popcountll(w[i] & f[i]);
		d[i] |= w[i];
		f[i] &= ~w[i];
	}
	dst->count += added;
	also_from->count -= removed;
	return added;
}
