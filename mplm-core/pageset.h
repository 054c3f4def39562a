/*
 * pageset.h - a set of pages with a cursor (internal to mplm-core).
 *
 * A set is a bitmap plus its population, kept exact so that "is the set
 * empty" and "pending bytes" cost nothing. The cursor scans in address
 * order and wraps, like QEMU's last_seen_block/last_offset walk.
 */
#ifndef MPLM_PAGESET_H
#define MPLM_PAGESET_H

#include "mplm.h"

#define PAGESET_NONE UINT64_MAX

struct pageset {
	mplm_bitmap *bits;
	uint64_t *words;  /* bits' words: tests inline on the hot path */
	uint64_t count;
	uint64_t cursor; /* next page to look at */
	uint64_t wraps;  /* times the cursor went back to page 0 */
};

int pageset_init(struct pageset *s, uint64_t pages, bool full);
void pageset_destroy(struct pageset *s);

static inline bool pageset_has(const struct pageset *s, uint64_t page)
{
	return (s->words[page / 64] >> (page % 64)) & 1;
}

static inline bool pageset_remove(struct pageset *s, uint64_t page)
{
	uint64_t bit = UINT64_C(1) << (page % 64), *w = &s->words[page / 64];
	if (!(*w & bit))
		return false;
	*w &= ~bit;
	s->count--;
	return true;
}

static inline bool pageset_add(struct pageset *s, uint64_t page)
{
	uint64_t bit = UINT64_C(1) << (page % 64), *w = &s->words[page / 64];
	if (*w & bit)
		return false;
	*w |= bit;
	s->count++;
	return true;
}

/* The next page at or after the cursor, wrapping once; PAGESET_NONE if
 * the set is empty. Does not remove it or move the cursor. */
uint64_t pageset_peek(struct pageset *s);
/* Remove the page pageset_peek returned and move the cursor past it. */
void pageset_take(struct pageset *s, uint64_t page);

/* Move every page of src's words [first, first + n) into dst and out of
 * also_from (MPLM's sync: newly dirty pages join D and leave ND), and
 * empty those words of src (the dirty log is ready for the next sync
 * without a pass of its own). *in_src: the pages src held there. Returns
 * pages new to dst. */
uint64_t pageset_merge_moving(struct pageset *dst, struct pageset *also_from,
			      mplm_bitmap *src, uint64_t first, uint64_t n,
			      uint64_t *in_src);

#endif
