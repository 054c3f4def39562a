/*
 * test_throttle.c - auto-converge in the simulator: a throttled guest's
 * trace time runs (100 - pct) % as fast, the time it did not run is
 * reported as lost work, and pre-copy that never converges on its own
 * converges with it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "sim.h"

/* 8,192 pages of which the guest rewrites 4,096 at 3,000 pages/s for ten
 * minutes, over 2,048 pages/s: plain pre-copy cannot converge while it
 * runs. Textbook costs, so every second of live time is guest time. */
static void setup(struct sim_config *c, bool ac)
{
	sim_config_default(c);
	c->workload_spec = "uniform,pages=8192,wss=16M,rate=3000,duration=600,seed=4";
	c->link_bandwidth = 2048.0 * 4096;
	c->header_bytes = 0;
	c->state_bytes = 0;
	c->sync_fixed = c->sync_per_page = 0;
	c->params.algorithm = MPLM_ALG_PRECOPY;
	c->params.max_bandwidth = 0;
	c->params.auto_converge = ac;
	c->params.max_total_time = 300;
}

static void test_auto_converge_converges(void **state)
{
	(void)state;
	struct sim_config c;
	struct sim_result plain, ac;

	setup(&c, false);
	assert_int_equal(sim_run(&c, &plain), 0);
	assert_int_equal(plain.stats.status, MPLM_STATUS_NOT_CONVERGED);
	assert_true(plain.guest_lost == 0);

	setup(&c, true);
	assert_int_equal(sim_run(&c, &ac), 0);
	assert_int_equal(ac.stats.status, MPLM_STATUS_COMPLETED);
	assert_true(ac.verified && ac.mismatches == 0);

	/* Lost work is the throttle in force over each live interval: the
	 * throttle a sync set holds until the next sync. */
	double want = 0;
	unsigned top = 0;
	for (size_t i = 1; i < ac.nsyncs; i++)
		if (!ac.syncs[i].final)
			want += ac.syncs[i].interval * ac.syncs[i - 1].throttle / 100.0;
	for (size_t i = 0; i < ac.nsyncs; i++)
		top = ac.syncs[i].throttle > top ? ac.syncs[i].throttle : top;
	assert_true(top >= 20);
	if (!(ac.guest_lost > 0.999 * want && ac.guest_lost < 1.001 * want + 1e-9))
		fail_msg("lost %.6f s, the throttle over the syncs says %.6f s",
			 ac.guest_lost, want);
	/* Throttling ends with the migration (QEMU's cpu_throttle_stop). */
	assert_int_equal(ac.stats.cpu_throttle_percentage, 0);
	sim_result_free(&plain);
	sim_result_free(&ac);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auto_converge_converges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
