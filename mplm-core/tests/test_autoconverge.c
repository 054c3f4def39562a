/*
 * test_autoconverge.c - QEMU 2.9's auto-converge rule, worked by hand:
 * which sync throttles, and to what.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "autoconverge.h"

#define PAGE 4096

/* A guest that dirties 10,000 pages per second while 10 MB/s go out: the
 * dirtied bytes (41 MB per period) always exceed half of what was sent
 * (5 MB). Syncs every 0.6 s; a period closes at the first sync more than
 * 1 s after the last close. */
static void test_throttles_on_the_third_high_period(void **state)
{
	(void)state;
	struct autoconverge a;
	autoconverge_init(&a, 20, 10);
	double t = 0;
	uint64_t sent = 0;
	unsigned pct_at[16] = { 0 };
	int changed_at[16], nchanged = 0;
	struct mplm_ac_test test[16];

	for (int i = 0; i < 16; i++) {
		if (autoconverge_on_sync(&a, t, i ? 6000 : 0, sent, PAGE, &test[i]))
			changed_at[nchanged++] = i;
		pct_at[i] = a.pct;
		t += 0.6;
		sent += 6000000;
	}
	/* Periods close at syncs 2 (t=1.2), 4 (2.4), 6 (3.6), 8, 10, ...
	 * The first close only measures the rate (none known before); the
	 * counter then moves at syncs 4, 6, 8: the third time (8) throttles
	 * to 20 %, and again three closes later (14) to 30 %. */
	assert_int_equal(nchanged, 2);
	assert_int_equal(changed_at[0], 8);
	assert_int_equal(changed_at[1], 14);
	assert_int_equal(pct_at[7], 0);
	assert_int_equal(pct_at[8], 20);
	assert_int_equal(pct_at[13], 20);
	assert_int_equal(pct_at[14], 30);

	/* The record of each test. Sync 1 leaves no test (its period is
	 * open). Sync 2 closes the first period with no rate known: 12,000
	 * pages dirtied (49,152,000 bytes) against 6 MB sent (QEMU takes
	 * bytes_xfer_prev at the first sync that finds it 0: sync 1, at
	 * 6 MB), not high. Syncs 4, 6 and 8 close high periods (12,000 pages
	 * against 12 MB): the counter goes 1, 2, then back to 0 as sync 8
	 * throttles. */
	assert_false(test[1].period_closed || test[1].high);
	assert_int_equal(test[1].high_count, 0);
	assert_true(test[2].period_closed);
	assert_false(test[2].rate_known || test[2].high);
	assert_int_equal(test[2].dirtied_bytes, 12000 * PAGE);
	assert_int_equal(test[2].sent_bytes, 6000000);
	assert_int_equal(test[2].high_count, 0);
	assert_false(test[3].period_closed);
	static const unsigned count_after[] = { [4] = 1, [6] = 2, [8] = 0 };
	for (int i = 4; i <= 8; i += 2) {
		assert_true(test[i].period_closed && test[i].rate_known && test[i].high);
		assert_int_equal(test[i].dirtied_bytes, 12000 * PAGE);
		assert_int_equal(test[i].sent_bytes, 12000000);
		assert_int_equal(test[i].high_count, count_after[i]);
	}
	assert_int_equal(test[5].high_count, 1); /* between closes: unchanged */
}

/* Dirtying less than half of what is sent never throttles. */
static void test_slow_writer_is_left_alone(void **state)
{
	(void)state;
	struct autoconverge a;
	autoconverge_init(&a, 20, 10);
	uint64_t sent = 0;
	for (int i = 0; i < 40; i++) {
		/* 500 pages = 2 MB per 0.6 s against 6 MB sent. */
		struct mplm_ac_test test;
		assert_false(autoconverge_on_sync(&a, i * 0.6, 500, sent, PAGE, &test));
		assert_false(test.high);
		sent += 6000000;
	}
	assert_int_equal(a.pct, 0);
}

/* The throttle grows by the increment and stops at 99 %. */
static void test_capped_at_99(void **state)
{
	(void)state;
	struct autoconverge a;
	autoconverge_init(&a, 90, 5);
	struct mplm_ac_test test;
	for (int i = 0; i < 100; i++)
		autoconverge_on_sync(&a, i * 1.5, 100000, (uint64_t)i * 1000, PAGE, &test);
	assert_int_equal(a.pct, 99);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_throttles_on_the_third_high_period),
		cmocka_unit_test(test_slow_writer_is_left_alone),
		cmocka_unit_test(test_capped_at_99),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
