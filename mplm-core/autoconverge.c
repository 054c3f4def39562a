/*
 * autoconverge.c - QEMU 2.9's auto-converge rule (see autoconverge.h).
 */
#include "autoconverge.h"

#include <math.h>

void autoconverge_init(struct autoconverge *a, unsigned initial,
		       unsigned increment)
{
	*a = (struct autoconverge){ .initial = initial, .increment = increment,
				    .period_start = -1 };
}

/* mig_throttle_guest_down */
static void throttle_down(struct autoconverge *a)
{
	unsigned pct = a->pct ? a->pct + a->increment : a->initial;
	a->pct = pct > AC_PCT_MAX ? AC_PCT_MAX : pct < 1 ? 1 : pct;
}

bool autoconverge_on_sync(struct autoconverge *a, double now,
			  uint64_t newly_dirty, uint64_t transferred,
			  uint32_t page_size, struct mplm_ac_test *out)
{
	unsigned before = a->pct;
	int64_t ms = (int64_t)floor(now * 1000);

	/* QEMU sets these at the first sync (both start at 0 there). */
	if (a->period_start < 0)
		a->period_start = ms;
	if (!a->xfer_prev)
		a->xfer_prev = transferred;
	a->dirty_period += newly_dirty;
	*out = (struct mplm_ac_test){ .high_count = a->high_cnt };
	if (!(ms > a->period_start + AC_PERIOD_MS))
		return false;
	/* The && chain of QEMU's test: the counter only moves when the rate
	 * of an earlier period is known and this one dirtied more than half
	 * of what went out. */
	uint64_t dirtied = a->dirty_period * page_size, sent = transferred - a->xfer_prev;
	bool high = a->dirty_rate && dirtied > sent / 2;
	*out = (struct mplm_ac_test){
		.period_closed = true,
		.rate_known = a->dirty_rate != 0,
		.high = high,
		.dirtied_bytes = dirtied,
		.sent_bytes = sent,
	};
	if (high && a->high_cnt++ >= 2) {
		a->high_cnt = 0;
		throttle_down(a);
	}
	out->high_count = a->high_cnt;
	a->xfer_prev = transferred;
	a->dirty_rate = a->dirty_period * 1000 / (uint64_t)(ms - a->period_start);
	a->period_start = ms;
	a->dirty_period = 0;
	return a->pct != before;
}
