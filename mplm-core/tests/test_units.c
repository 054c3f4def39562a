/*
 * test_units.c - numbers with units: sizes, bandwidths, durations, counts,
 * booleans.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "units.h"

static void test_units(void **state)
{
	(void)state;
	uint64_t u;
	double d;
	bool b;
	assert_int_equal(units_parse_size("8G", &u), 0);
	assert_true(u == UINT64_C(8) << 30);
	assert_int_equal(units_parse_size(" 512 MiB ", &u), 0);
	assert_true(u == UINT64_C(512) << 20);
	assert_int_equal(units_parse_size("1.5K", &u), 0);
	assert_true(u == 1536);
	assert_int_equal(units_parse_size("-1G", &u), -1);
	assert_int_equal(units_parse_size("0.3", &u), -1);
	assert_int_equal(units_parse_size("8Q", &u), -1);
	assert_int_equal(units_parse_bandwidth("1Gbps", &d), 0);
	assert_true(d == 125e6);
	assert_int_equal(units_parse_bandwidth("100MB/s", &d), 0);
	assert_true(d == 100e6);
	assert_int_equal(units_parse_bandwidth("0", &d), -1);
	assert_int_equal(units_parse_seconds("300ms", &d), 0);
	assert_true(d > 0.2999 && d < 0.3001);
	assert_int_equal(units_parse_seconds("2min", &d), 0);
	assert_true(d == 120);
	assert_int_equal(units_parse_seconds("soon", &d), -1);
	assert_int_equal(units_parse_bool("Yes", &b), 0);
	assert_true(b);
	assert_int_equal(units_parse_bool("maybe", &b), -1);
	/* Rates written like sizes are ambiguous (125M: MiB/s to QEMU's HMP,
	 * Mbps to many people) and refused with a hint; decimal counts. */
	assert_int_equal(units_parse_bandwidth("125M", &d), -1);
	assert_int_equal(units_parse_bandwidth("1Gb", &d), -1);
	assert_int_equal(units_parse_bandwidth("1G", &d), -1);
	assert_non_null(strstr(units_bandwidth_hint("1Gb"), "ambiguous"));
	assert_non_null(strstr(units_bandwidth_hint("125M"), "ambiguous"));
	assert_null(strstr(units_bandwidth_hint("fast"), "ambiguous"));
	assert_int_equal(units_parse_bandwidth("125MiB/s", &d), 0);
	assert_true(d == 125.0 * 1048576);
	/* A bare number in the setting's unit; suffixes say otherwise. */
	assert_int_equal(units_parse_duration("300", 1e-3, &d), 0);
	assert_true(d > 0.2999 && d < 0.3001);
	assert_int_equal(units_parse_duration("0.3s", 1e-3, &d), 0);
	assert_true(d > 0.2999 && d < 0.3001);
	assert_int_equal(units_parse_duration("500ms", 1, &d), 0);
	assert_true(d > 0.4999 && d < 0.5001);
	assert_int_equal(units_parse_bandwidth("fast", &d), -1);
	assert_int_equal(units_parse_count("60k", &d), 0);
	assert_true(d == 60000);
	assert_int_equal(units_parse_count("1.5M", &d), 0);
	assert_true(d == 1.5e6);
	assert_int_equal(units_parse_count("-3", &d), -1);
	assert_int_equal(units_parse_count("3x", &d), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
