/*
 * autoconverge.h - QEMU 2.9's auto-converge rule (migration/ram.c,
 * migration_bitmap_sync and mig_throttle_guest_down), as a pure function
 * of what each dirty log sync saw. Internal to mplm-core.
 *
 * At a sync that closes a period of more than 1 s: if a dirty rate was
 * measured for an earlier period, and the bytes dirtied in this one exceed
 * half the bytes transferred in it, a counter goes up; the third time it
 * does, the counter restarts and the guest is throttled: first to
 * cpu-throttle-initial percent, then cpu-throttle-increment more each
 * time, at most 99 %.
 */
#ifndef MPLM_AUTOCONVERGE_H
#define MPLM_AUTOCONVERGE_H

#include <stdbool.h>
#include <stdint.h>

#include "mplm.h"

#define AC_PERIOD_MS 1000 /* QEMU's "end_time > start_time + 1000" */
#define AC_PCT_MAX 99     /* CPU_THROTTLE_PCT_MAX */

struct autoconverge {
	unsigned initial, increment; /* cpu-throttle-initial, -increment */
	int64_t period_start;        /* QEMU's start_time, ms; < 0: not yet */
	uint64_t dirty_period;       /* num_dirty_pages_period */
	uint64_t xfer_prev;          /* bytes_xfer_prev */
	uint64_t dirty_rate;         /* dirty_pages_rate: pages/s, whole */
	unsigned high_cnt;           /* dirty_rate_high_cnt */
	unsigned pct;                /* the throttle now; 0 = none */
};

void autoconverge_init(struct autoconverge *a, unsigned initial,
		       unsigned increment);
/* One sync at time `now` (s; QEMU reads its clock in whole ms) that found
 * `newly_dirty` pages newly marked, with `transferred` RAM bytes sent so
 * far; the test it made in *out. Returns true when the throttle changed
 * (a->pct holds it). */
bool autoconverge_on_sync(struct autoconverge *a, double now,
			  uint64_t newly_dirty, uint64_t transferred,
			  uint32_t page_size, struct mplm_ac_test *out);

#endif
