/*
 * wl_seq.h - which page each write of a workload goes to: the one
 * definition of the patterns, shared by kvmlite's guest program (wl.c,
 * which does the writes) and the simulator's generators (gen.c, which
 * turns the same writes into a trace's intervals). So a spec means the
 * same page-write sequence on a real guest and in the simulator.
 *
 * Freestanding (static inline, fixed-width integers, no libc): it is
 * compiled into the guest too.
 *
 * A workload on N vCPUs is N independent sequences. vCPU v writes only
 * its share of the working set, pages [v * S, (v + 1) * S) with
 * S = wss / N (the wss % N pages above N * S are never written), at
 * rate / N page writes per second, from its own seed. Within a share
 * (page numbers relative to its start), write number k goes to:
 *
 *   sequential  page k mod S
 *   uniform     the next page of a fixed random permutation of the share,
 *               walked cyclically: each page once per pass, so any S
 *               consecutive writes are distinct
 *   hotspot     with probability skew a uniformly random page of the hot
 *               part [0, H), else of the cold part [H, S);
 *               H = floor(S * hot) (at least 1), repeats allowed
 *   stencil     A = arrays arrays, the share split as evenly as possible
 *               (sizes differ by at most one page); the writes go in chunks
 *               of L writes, a tenth of a second's worth at the vCPU's pace
 *               but at least 1 and at most the smallest array,
 *               L = min(max(1, floor(floor(rate / N) / 10)), floor(S / A)),
 *               rate the guest's whole page writes per second: chunk
 *               c = k / L updates array c mod A, continuing that array's
 *               own sweep (wrapping within it), each page computed from
 *               its neighbours in the array before it, (c - 1) mod A
 *
 * Nothing here reads a clock: the sequence depends only on the parameters,
 * the vCPU number and how many writes were done.
 */
#ifndef KL_WL_SEQ_H
#define KL_WL_SEQ_H

#include <stdint.h>

#include "guest_abi.h"

struct wl_seq {
	uint64_t pattern;        /* enum kl_pattern */
	uint64_t pages;          /* S: pages in this vCPU's share (>= 1) */
	uint64_t seed;           /* this vCPU's */
	uint64_t hot_pages;      /* hotspot: H */
	uint64_t skew_permille;
	uint64_t arrays;         /* stencil: A */
	uint64_t chunk;          /* stencil: L */
	uint64_t perm_mask;      /* uniform: permutation of 0..perm_mask */
	unsigned perm_shift;
	/* What has been done so far. */
	uint64_t k;              /* page writes */
	uint64_t rng;            /* hotspot */
	uint64_t perm_i;         /* uniform: permutation index of the next write */
};

static inline uint64_t wl_seq_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

/* S: pages in each vCPU's share of the working set. */
static inline uint64_t wl_seq_share(const struct kl_params *p)
{
	return p->nvcpus ? p->wss_pages / p->nvcpus : 0;
}

/* First page of vCPU v's share, relative to the working set. */
static inline uint64_t wl_seq_share_base(const struct kl_params *p, unsigned vcpu)
{
	return vcpu * wl_seq_share(p);
}

static inline unsigned wl_seq_bits_for(uint64_t n)
{
	unsigned b = 0;
	while (b < 63 && (1ull << b) < n)
		b++;
	return b;
}

static inline void wl_seq_init(struct wl_seq *s, const struct kl_params *p,
			       unsigned vcpu)
{
	uint64_t share = wl_seq_share(p);

	*s = (struct wl_seq){ 0 };
	s->pattern = p->pattern;
	s->pages = share ? share : 1;
	s->seed = wl_seq_mix64(p->seed + 0x9e3779b97f4a7c15ull * (vcpu + 1));
	s->hot_pages = s->pages * p->hot_permille / 1000;
	if (s->hot_pages == 0)
		s->hot_pages = 1;
	if (s->hot_pages > s->pages)
		s->hot_pages = s->pages;
	s->skew_permille = p->skew_permille;
	/* Checked parameters have 1 <= arrays <= S; never divide by 0. */
	s->arrays = p->arrays ? p->arrays : 1;
	if (s->arrays > s->pages)
		s->arrays = s->pages;
	uint64_t rate = p->nvcpus ? p->rate / p->nvcpus : 0;
	s->chunk = rate / 10 ? rate / 10 : 1;
	if (s->chunk > s->pages / s->arrays)
		s->chunk = s->pages / s->arrays;
	unsigned b = wl_seq_bits_for(s->pages);
	s->perm_mask = b ? (1ull << b) - 1 : 0;
	s->perm_shift = b / 2 + 1;
	s->rng = s->seed | 1;
}

#define WL_SEQ_PERM_MUL1 0x9e3779b97f4a7c15ull
#define WL_SEQ_PERM_MUL2 0xd6e8feb86659fd93ull

/* A bijection of 0..mask: multiply by odd, add, xor-shift, xor, multiply
 * by odd, xor-shift, all mod 2^b. The seed goes in twice (its low half
 * added, its high half xored): added alone, another seed would only
 * rotate the same cycle. For b <= 32 the same in 32-bit arithmetic gives
 * the same values (the generator's fast path relies on that). */
static inline uint64_t wl_seq_permute(const struct wl_seq *s, uint64_t x)
{
	uint64_t m = s->perm_mask;
	x = (x * WL_SEQ_PERM_MUL1 + s->seed) & m;
	x ^= x >> s->perm_shift;
	x = ((x ^ (s->seed >> 32)) * WL_SEQ_PERM_MUL2) & m;
	x ^= x >> s->perm_shift;
	return x;
}

/* Uniform: walk the permutation of 0..2^b-1, skipping the values past the
 * share, so every page is written once per pass. */
static inline uint64_t wl_seq_next_uniform(struct wl_seq *s)
{
	for (;;) {
		uint64_t p = wl_seq_permute(s, s->perm_i++ & s->perm_mask);
		if (p < s->pages)
			return p;
	}
}

static inline uint64_t wl_seq_xorshift(uint64_t *st)
{
	uint64_t x = *st;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*st = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* Uniform in [0, n) from 64 random bits: multiply-shift, no division. */
static inline uint64_t wl_seq_below(uint64_t r, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)r * n) >> 64);
}

/* Hotspot: one draw decides hot or cold (its top 32 bits against skew)
 * and, remixed, which page of that part. */
static inline uint64_t wl_seq_next_hotspot(struct wl_seq *s)
{
	uint64_t r = wl_seq_xorshift(&s->rng);
	uint64_t cold = s->pages - s->hot_pages;
	uint64_t where = r * 0x9e3779b97f4a7c15ull;

	if (((r >> 32) * 1000 >> 32) < s->skew_permille || cold == 0)
		return wl_seq_below(where, s->hot_pages);
	return s->hot_pages + wl_seq_below(where, cold);
}

/* Stencil: array a of the share, [base, base + len). */
static inline void wl_seq_array_span(const struct wl_seq *s, uint64_t a,
				     uint64_t *base, uint64_t *len)
{
	uint64_t q = s->pages / s->arrays, rem = s->pages % s->arrays;

	*base = a * q + (a < rem ? a : rem);
	*len = q + (a < rem);
}

/* Stencil: how many of the writes [0, k) went to array a (chunks a,
 * a + A, a + 2A, ... are its), which is also where its sweep is at k. */
static inline uint64_t wl_seq_array_writes(const struct wl_seq *s, uint64_t a,
					   uint64_t k)
{
	uint64_t L = s->chunk, A = s->arrays, c = k / L;

	return L * ((c + A - 1 - a) / A) + (c % A == a ? k % L : 0);
}

/* Stencil, write k: the page written (dst) and its inputs, pages j-1, j
 * and j+1 (clamped to the array) of the array before it, at src. */
struct wl_seq_stencil {
	uint64_t dst, src, src_len, j;
};

static inline struct wl_seq_stencil wl_seq_stencil_at(const struct wl_seq *s,
						       uint64_t k)
{
	uint64_t A = s->arrays, a = k / s->chunk % A, base, len;
	struct wl_seq_stencil st;

	wl_seq_array_span(s, a, &base, &len);
	uint64_t j = wl_seq_array_writes(s, a, k) % len;
	st.dst = base + j;
	wl_seq_array_span(s, (a + A - 1) % A, &st.src, &st.src_len);
	st.j = j < st.src_len ? j : st.src_len - 1;
	return st;
}

/* Stencil: write number s->k, its page and inputs; counts the write (as
 * wl_seq_next, for a writer that needs the inputs too). */
static inline struct wl_seq_stencil wl_seq_next_stencil(struct wl_seq *s)
{
	return wl_seq_stencil_at(s, s->k++);
}

/* The page (in the share) of write number s->k; counts the write. */
static inline uint64_t wl_seq_next(struct wl_seq *s)
{
	uint64_t k = s->k++;

	switch (s->pattern) {
	case KL_PAT_UNIFORM:
		return wl_seq_next_uniform(s);
	case KL_PAT_HOTSPOT:
		return wl_seq_next_hotspot(s);
	case KL_PAT_STENCIL:
		return wl_seq_stencil_at(s, k).dst;
	default:
		return k % s->pages;
	}
}

#endif
