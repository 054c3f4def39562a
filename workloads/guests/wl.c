/*
 * wl.c - the guests' page writes and checksums, shared by guests and host.
 * Which page each write goes to is wl_seq.h's, shared with the generators.
 *
 * Every page write reads the old 64-bit word first and folds it into the
 * checksum, so a page that crossed a migration wrong changes the result;
 * part of the checksum lives in SSE registers while the loop runs, so the
 * FPU/XSAVE state must cross too.
 */
#include "wl.h"

uint64_t wl_mix64(uint64_t x)
{
	return wl_seq_mix64(x);
}

uint64_t wl_share_pages(const struct kl_params *p)
{
	return wl_seq_share(p);
}

void wl_init(struct wl *w, const struct kl_params *p, unsigned vcpu,
	     uint8_t *data)
{
	*w = (struct wl){ 0 };
	wl_seq_init(&w->seq, p, vcpu);
	w->base = data + wl_seq_share_base(p, vcpu) * WL_PAGE;
	w->csum = w->seq.seed;
}

static inline uint64_t *word_at(const struct wl *w, uint64_t page, uint64_t i)
{
	return (uint64_t *)(w->base + page * WL_PAGE) + i;
}

/* Stencil: the value a write makes from pages j-1, j, j+1 of its source
 * array (wl_seq.h says which). */
static uint64_t stencil_input(const struct wl *w, const struct wl_seq_stencil *st,
			      uint64_t wi)
{
	uint64_t j = st->j;
	uint64_t left = j ? j - 1 : j, right = j + 1 < st->src_len ? j + 1 : j;

	return *word_at(w, st->src + left, wi) + *word_at(w, st->src + j, wi) +
	       *word_at(w, st->src + right, wi);
}

void wl_run(struct wl *w, uint64_t n)
{
	uint64_t csum = w->csum, seed = w->seq.seed;
	wl_v2 vacc = w->vacc;

	for (uint64_t end = w->seq.k + n; w->seq.k < end;) {
		uint64_t k = w->seq.k;
		uint64_t wi = wl_mix64(k ^ seed) % WL_WORDS;
		uint64_t in = 0, page;
		if (w->seq.pattern == KL_PAT_STENCIL) { /* one look-up per write */
			struct wl_seq_stencil st = wl_seq_next_stencil(&w->seq);
			in = stencil_input(w, &st, wi);
			page = st.dst;
		} else {
			page = wl_seq_next(&w->seq);
		}
		uint64_t *word = word_at(w, page, wi);
		uint64_t old = *word;
		uint64_t val = wl_mix64(seed ^ (k * 0x9e3779b97f4a7c15ull) ^ old ^ in);
		*word = val;
		csum = ((csum << 13) | (csum >> 51)) ^ old ^ page;
		csum = csum * 0x100000001b3ull + val;
		vacc ^= (wl_v2){ old, page };
		vacc += (wl_v2){ val, k };
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
	return wl_hash_words(w->seq.seed, (const uint64_t *)w->base,
			     w->seq.pages * WL_WORDS);
}
