/*
 * test_bitmap.c - bitmaps and page sets with wrapping cursors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "mplm.h"
#include "pageset.h"

static void test_set_clear_test(void **state)
{
	(void)state;
	mplm_bitmap *b = mplm_bitmap_new(130);
	assert_non_null(b);
	assert_int_equal(mplm_bitmap_nbits(b), 130);
	assert_int_equal(mplm_bitmap_nwords(b), 3);
	assert_int_equal(mplm_bitmap_count(b), 0);
	mplm_bitmap_set(b, 0);
	mplm_bitmap_set(b, 63);
	mplm_bitmap_set(b, 64);
	mplm_bitmap_set(b, 129);
	assert_true(mplm_bitmap_test(b, 63));
	assert_false(mplm_bitmap_test(b, 62));
	assert_int_equal(mplm_bitmap_count(b), 4);
	assert_true(mplm_bitmap_test_and_set(b, 64));
	assert_false(mplm_bitmap_test_and_set(b, 65));
	mplm_bitmap_clear(b, 63);
	assert_false(mplm_bitmap_test(b, 63));
	assert_int_equal(mplm_bitmap_count(b), 4);
	mplm_bitmap_free(b);
}

static void test_ranges_and_fill(void **state)
{
	(void)state;
	mplm_bitmap *b = mplm_bitmap_new(200);
	mplm_bitmap_set_range(b, 3, 3);
	assert_int_equal(mplm_bitmap_count(b), 1);
	mplm_bitmap_set_range(b, 60, 130); /* spans three words */
	assert_int_equal(mplm_bitmap_count(b), 72);
	assert_false(mplm_bitmap_test(b, 59));
	assert_true(mplm_bitmap_test(b, 60));
	assert_true(mplm_bitmap_test(b, 130));
	assert_false(mplm_bitmap_test(b, 131));
	mplm_bitmap_set_range(b, 128, 191); /* exactly one aligned word */
	assert_int_equal(mplm_bitmap_count(b), 1 + (191 - 60 + 1));
	/* Clearing counts what it cleared: in one word, across three, an
	 * aligned word, and bits already clear. */
	assert_int_equal(mplm_bitmap_clear_range(b, 3, 3), 1);
	assert_int_equal(mplm_bitmap_clear_range(b, 0, 10), 0);
	assert_int_equal(mplm_bitmap_clear_range(b, 62, 129), 68);
	assert_true(mplm_bitmap_test(b, 61));
	assert_false(mplm_bitmap_test(b, 62));
	assert_false(mplm_bitmap_test(b, 129));
	assert_true(mplm_bitmap_test(b, 130));
	assert_int_equal(mplm_bitmap_count(b), 2 + (191 - 130 + 1));
	assert_int_equal(mplm_bitmap_clear_range(b, 128, 191), 62);
	assert_int_equal(mplm_bitmap_clear_range(b, 0, 199), 2);
	assert_int_equal(mplm_bitmap_count(b), 0);
	mplm_bitmap_set_range(b, 190, 199);
	assert_int_equal(mplm_bitmap_clear_range(b, 195, 199), 5); /* the last word */
	assert_int_equal(mplm_bitmap_count(b), 5);
	mplm_bitmap_fill(b);
	/* Fill must not set bits past nbits: count is exact. */
	assert_int_equal(mplm_bitmap_count(b), 200);
	assert_int_equal(mplm_bitmap_find_next_set(b, 199), 199);
	mplm_bitmap_zero(b);
	assert_int_equal(mplm_bitmap_count(b), 0);
	mplm_bitmap_free(b);
}

static void test_find_next_set(void **state)
{
	(void)state;
	mplm_bitmap *b = mplm_bitmap_new(1000);
	assert_int_equal(mplm_bitmap_find_next_set(b, 0), 1000);
	mplm_bitmap_set(b, 5);
	mplm_bitmap_set(b, 700);
	mplm_bitmap_set(b, 999);
	assert_int_equal(mplm_bitmap_find_next_set(b, 0), 5);
	assert_int_equal(mplm_bitmap_find_next_set(b, 5), 5);
	assert_int_equal(mplm_bitmap_find_next_set(b, 6), 700);
	assert_int_equal(mplm_bitmap_find_next_set(b, 701), 999);
	assert_int_equal(mplm_bitmap_find_next_set(b, 1000), 1000);
	assert_int_equal(mplm_bitmap_find_next_set(b, 5000), 1000);
	mplm_bitmap_free(b);
}

/* find_next_set and count agree with a naive bit-by-bit model. */
static void test_against_model(void **state)
{
	(void)state;
	enum { N = 4099 };
	static bool model[N];
	mplm_bitmap *b = mplm_bitmap_new(N);
	srand(7);
	for (int i = 0; i < 3000; i++) {
		unsigned p = (unsigned)rand() % N;
		model[p] = true;
		mplm_bitmap_set(b, p);
	}
	uint64_t count = 0;
	for (unsigned i = 0; i < N; i++)
		count += model[i];
	assert_int_equal(mplm_bitmap_count(b), count);
	for (unsigned from = 0; from <= N; from += 13) {
		unsigned want = from;
		while (want < N && !model[want])
			want++;
		assert_int_equal(mplm_bitmap_find_next_set(b, from), want);
	}
	mplm_bitmap_free(b);
}

static void test_or(void **state)
{
	(void)state;
	mplm_bitmap *a = mplm_bitmap_new(100), *b = mplm_bitmap_new(100);
	mplm_bitmap_set(a, 1);
	mplm_bitmap_set(b, 1);
	mplm_bitmap_set(b, 99);
	mplm_bitmap_or(a, b);
	assert_int_equal(mplm_bitmap_count(a), 2);
	assert_true(mplm_bitmap_test(a, 99));
	mplm_bitmap_free(a);
	mplm_bitmap_free(b);
}

static void test_pageset_cursor_wraps(void **state)
{
	(void)state;
	struct pageset s;
	assert_int_equal(pageset_init(&s, 10, false), 0);
	assert_int_equal(pageset_peek(&s), PAGESET_NONE);
	pageset_add(&s, 2);
	pageset_add(&s, 7);
	assert_false(pageset_add(&s, 7));
	assert_int_equal(s.count, 2);

	s.cursor = 5;
	assert_int_equal(pageset_peek(&s), 7);
	pageset_take(&s, 7);
	assert_int_equal(s.cursor, 8);
	assert_int_equal(s.wraps, 0);
	/* Nothing at or after 8: the cursor wraps to 2. */
	assert_int_equal(pageset_peek(&s), 2);
	assert_int_equal(s.wraps, 1);
	pageset_take(&s, 2);
	assert_int_equal(s.count, 0);
	assert_int_equal(pageset_peek(&s), PAGESET_NONE);
	pageset_destroy(&s);
}

static void test_pageset_full_scan_in_order(void **state)
{
	(void)state;
	struct pageset s;
	assert_int_equal(pageset_init(&s, 300, true), 0);
	assert_int_equal(s.count, 300);
	s.cursor = 250;
	/* From the cursor to the end, then from 0: address order, wrapping. */
	for (uint64_t i = 0; i < 300; i++) {
		uint64_t p = pageset_peek(&s);
		assert_int_equal(p, (250 + i) % 300);
		pageset_take(&s, p);
	}
	assert_int_equal(s.count, 0);
	assert_int_equal(s.wraps, 1);
	pageset_destroy(&s);
}

static void test_word_ranges(void **state)
{
	(void)state;
	mplm_bitmap *b = mplm_bitmap_new(300);
	mplm_bitmap_set_range(b, 10, 299);
	assert_int_equal(mplm_bitmap_count_words(b, 0, 1), 54);
	assert_int_equal(mplm_bitmap_count_words(b, 1, 2), 128);
	assert_int_equal(mplm_bitmap_count_words(b, 4, 1), 300 - 256);
	mplm_bitmap_zero_words(b, 1, 2);
	assert_int_equal(mplm_bitmap_count(b), 54 + 300 - 192);
	assert_false(mplm_bitmap_test(b, 64));
	assert_true(mplm_bitmap_test(b, 192));
	mplm_bitmap_free(b);
}

static void test_pageset_merge_moving(void **state)
{
	(void)state;
	struct pageset d, nd;
	pageset_init(&d, 128, false);
	pageset_init(&nd, 128, true);
	pageset_add(&d, 10);
	pageset_remove(&nd, 10);
	mplm_bitmap *log = mplm_bitmap_new(128);
	mplm_bitmap_set(log, 10);  /* already in D */
	mplm_bitmap_set(log, 11);  /* in ND: moves */
	mplm_bitmap_set(log, 127); /* in ND: moves */
	pageset_remove(&nd, 50);
	mplm_bitmap_set(log, 50);  /* sent already: re-enters D */
	uint64_t in_log = 0;
	assert_int_equal(pageset_merge_moving(&d, &nd, log, 0, 2, &in_log), 3);
	assert_int_equal(in_log, 4);
	assert_int_equal(mplm_bitmap_count(log), 0); /* taken */
	assert_int_equal(d.count, 4);
	assert_int_equal(nd.count, 128 - 1 - 1 - 2);
	assert_int_equal(d.count, mplm_bitmap_count(d.bits));
	assert_int_equal(nd.count, mplm_bitmap_count(nd.bits));
	assert_false(pageset_has(&nd, 11));
	assert_true(pageset_has(&d, 50));
	/* Only the words given are looked at. */
	mplm_bitmap_set(log, 100);
	mplm_bitmap_set(log, 20);
	assert_int_equal(pageset_merge_moving(&d, &nd, log, 1, 1, &in_log), 1);
	assert_int_equal(in_log, 1);
	assert_true(pageset_has(&d, 100));
	assert_false(pageset_has(&d, 20));
	assert_true(pageset_has(&nd, 20));
	assert_true(mplm_bitmap_test(log, 20)); /* not in the words given */
	assert_false(mplm_bitmap_test(log, 100));
	mplm_bitmap_free(log);
	pageset_destroy(&d);
	pageset_destroy(&nd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_clear_test),
		cmocka_unit_test(test_ranges_and_fill),
		cmocka_unit_test(test_find_next_set),
		cmocka_unit_test(test_against_model),
		cmocka_unit_test(test_or),
		cmocka_unit_test(test_pageset_cursor_wraps),
		cmocka_unit_test(test_pageset_full_scan_in_order),
		cmocka_unit_test(test_word_ranges),
		cmocka_unit_test(test_pageset_merge_moving),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
