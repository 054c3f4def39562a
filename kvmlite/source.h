/*
 * source.h - the migration source's state, shared by the pre-copy back
 * end (migrate_src.c) and post-copy's source side (postcopy_src.c).
 */
#ifndef KL_SOURCE_H
#define KL_SOURCE_H

#include "migration.h"

struct kl_source {
	struct kl_vm *vm;
	struct kl_mig_opts o;
	int fd;
	struct kl_out out;
	struct kl_in in;
	bool have_io;
	struct kl_dirty_reader *log; /* this migration's view of the dirty log */

	pthread_mutex_t lock;      /* m, early_cancel, final stats */
	mplm_migration *m;
	bool early_cancel;
	bool ran;
	struct mplm_stats final;
	char error[600];

	double t_start;
	bool progress;             /* a status line on stderr (a terminal) */
	double t_progress;         /* when it was last drawn */
	uint64_t page_records, zero_records;
	uint64_t memhash_at_pause;
	struct kl_err err;         /* the back end's first failure */
	struct kl_postcopy_src *pc; /* from the post-copy discard on */
	bool flush_next;           /* a requested page: out at once */
	bool postcopy_committed;   /* under lock: the destination runs the
	                            * guest with pages still to come */
};

/* Record the first failure (later ones are consequences); -1. */
int kl_source_fail(struct kl_source *s, struct kl_err *e);
/* END's or POSTCOPY's counts (receive.h lists them); *len its length. */
void kl_source_end_counts(struct kl_source *s, uint8_t *buf, size_t cap,
			  size_t *len);
/* END with its counts, flushed; -1 (the source failed) if it did not
 * leave whole. */
int kl_source_send_end(struct kl_source *s);
/* After END or POSTCOPY is out: the destination's verdict, as
 * start_destination returns it (0, -1, MPLM_DEST_UNKNOWN). */
int kl_source_await_ack(struct kl_source *s);

/* postcopy_src.c: the back end's post-copy hooks (mplm.h), the switch
 * (start_destination once the discard set went out), and the end. */
int kl_postcopy_src_discard(void *ctx, const mplm_bitmap *discard);
int kl_postcopy_src_next_request(void *ctx, uint64_t *page);
int kl_postcopy_src_done(void *ctx, double *fault_wait);
int kl_postcopy_src_switch(struct kl_source *s);
/* Stop the return-path reader (at the end, whatever the outcome). */
void kl_postcopy_src_stop(struct kl_source *s);
void kl_postcopy_src_free(struct kl_source *s);

#endif
