/*
 * receive.h - the destination's stream state, shared by the parser
 * (receive.c) and post-copy's destination (postcopy_dst.c), which takes
 * it over at the switch and reads the rest of the same stream.
 */
#ifndef KL_RECEIVE_H
#define KL_RECEIVE_H

#include "migration.h"

struct receiver {
	struct kl_vm *vm;
	struct kl_in in;
	struct kl_out out;
	uint32_t version;      /* of the stream's header */
	mplm_bitmap *arrived;  /* pages received at least once */
	mplm_bitmap *written;  /* pages holding non-zero data here */
	mplm_bitmap *discard;  /* post-copy: pages the source said are stale */
	uint64_t *page_hash;   /* kl_page_hash of what each page holds now */
	struct kl_vcpu_saved vcpus[KL_MAX_VCPUS];
	bool have_vcpu[KL_MAX_VCPUS];
	uint8_t *dev;
	uint64_t page_records, zero_records;
	uint32_t vcpu_records, dev_records;
};

/* An END or POSTCOPY record's counts: u64 PAGE records, u64 ZERO
 * records, u32 vCPU records, u32 DEVICES records, u64 stream bytes
 * before the record, then (POSTCOPY only) u64 pages discarded. Checks
 * them against what arrived; *discarded gets the last field (NULL: the
 * record has none). */
int kl_receiver_check_counts(struct receiver *r, const struct kl_rec *rec,
			     uint64_t *discarded, struct kl_err *e);
void kl_receiver_free(struct receiver *r);

/* postcopy_dst.c: can this host take post-copy (a userfaultfd)? Asked
 * at a version-2 header, so a source is refused before it starts. */
int kl_postcopy_dst_possible(struct kl_err *e);
/* A DISCARD record's ranges into r->discard. */
int kl_postcopy_dst_discard(struct receiver *r, const struct kl_rec *rec,
			    struct kl_err *e);
/* At the POSTCOPY record, the state loaded: register guest RAM with
 * userfaultfd and drop every page the guest must not use yet. Takes r
 * over (freed with the handle); NULL on failure, and r is still the
 * caller's, to refuse the switch with. */
struct kl_postcopy_dst *kl_postcopy_dst_new(struct receiver *r, struct kl_err *e);

#endif
