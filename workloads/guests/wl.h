/*
 * wl.h - the guest workloads' write patterns and checksums.
 *
 * Freestanding: compiled into the guest programs and, unchanged, into
 * kvmlite and its tests, which replay the same writes on a host buffer to
 * know what checksum a guest must print. Nothing here reads a clock: the
 * sequence of writes depends only on the parameters, the vCPU number and
 * how many writes were done, so pacing and migration cannot change it.
 */
#ifndef KL_WL_H
#define KL_WL_H

#include <stdint.h>

#include "guest_abi.h"
#include "wl_seq.h"

#define WL_PAGE 4096ull
#define WL_WORDS (WL_PAGE / 8)

typedef uint64_t wl_v2 __attribute__((vector_size(16)));

struct wl {
	uint8_t *base;       /* this vCPU's share of the working set */
	struct wl_seq seq;   /* which page each write goes to (wl_seq.h);
	                      * seq.k: page writes done */
	uint64_t csum;
	wl_v2 vacc;
};

/* Pages in each vCPU's share of the working set. */
uint64_t wl_share_pages(const struct kl_params *p);
/* data: where p->data_gpa is in the caller's address space (the guest
 * passes p->data_gpa itself, the host its copy of guest RAM + data_gpa). */
void wl_init(struct wl *w, const struct kl_params *p, unsigned vcpu,
	     uint8_t *data);
/* Do n more page writes. */
void wl_run(struct wl *w, uint64_t n);
uint64_t wl_vecsum(const struct wl *w);
/* Hash of every byte of the vCPU's share, in page order. */
uint64_t wl_memhash(const struct wl *w);
/* A 64-bit hash of any memory, a multiple of 8 bytes long. */
uint64_t wl_hash_words(uint64_t h, const uint64_t *p, uint64_t nwords);
uint64_t wl_mix64(uint64_t x);

#endif
