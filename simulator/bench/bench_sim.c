/*
 * bench_sim.c - the simulator's speed, against the targets of its issue:
 *   page sends  simulated page sends per second (target >= 50 million)
 *   (a) MPLM, 8 GiB VM, 200,000 pages/s uniform random, 1 Gbps (< 0.5 s)
 *   (b) pre-copy, 300 ms limit, same workload, 1,000 simulated s (< 2 s)
 * Each figure is the best of a few runs: the machines are shared.
 */
#include <stdio.h>
#include <stdlib.h>

#include "sim.h"

#define UNIFORM_8G "uniform,memory=8G,wss=8G,rate=200000,duration=1000,seed=1"
#define REPEATS 3

static double best_run(struct sim_config *c, struct sim_result *out)
{
	double best = 1e30;
	for (int i = 0; i < REPEATS; i++) {
		struct sim_result r;
		if (sim_run(c, &r) != 0) {
			fprintf(stderr, "bench-sim: %s\n", r.error);
			exit(1);
		}
		if (r.wall_seconds < best) {
			best = r.wall_seconds;
			sim_result_free(out);
			*out = r;
		} else {
			sim_result_free(&r);
		}
	}
	return best;
}

static void row(const char *what, double value, const char *unit,
		double target, bool below)
{
	double ratio = below ? target / value : value / target;
	printf("  %-52s %12.3f %-8s target %s %-8g %5.2fx %s\n", what, value,
	       unit, below ? "<" : ">=", target, ratio,
	       ratio >= 1 ? "ok" : "MISSED");
}

int main(void)
{
	struct sim_config c;
	struct sim_result r = { 0 };

	printf("simulator (best of %d runs)\n", REPEATS);

	/* Page sends alone: a 64 GiB VM of static data, an idle guest,
	 * stop-and-copy: 16.8 million sends and nothing else. */
	sim_config_default(&c);
	c.workload_spec = "sequential,memory=4K,wss=4K,rate=1,duration=1,seed=1";
	c.vm_bytes = 64ull << 30;
	c.untraced_nonzero = true;
	c.verify = false;
	c.params.algorithm = MPLM_ALG_STOPCOPY;
	double t = best_run(&c, &r);
	row("simulated page sends per second (millions)",
	    (double)r.stats.pages_sent / t / 1e6, "M/s", 50, false);

	sim_config_default(&c);
	c.workload_spec = UNIFORM_8G;
	c.verify = false;
	c.params.algorithm = MPLM_ALG_MPLM;
	t = best_run(&c, &r);
	row("(a) MPLM, 8 GiB, 200k pages/s, 1 Gbps: wall time", t, "s", 0.5, true);
	printf("      simulated: total %.1f s, downtime %.1f s, %.2f M page sends, %.0f M sends/s\n",
	       r.stats.total_time, r.stats.downtime, (double)r.stats.pages_sent / 1e6,
	       (double)r.stats.pages_sent / t / 1e6);

	c.params.algorithm = MPLM_ALG_PRECOPY;
	c.params.max_total_time = 1000;
	t = best_run(&c, &r);
	row("(b) pre-copy 300 ms, same, 1000 simulated s: wall time", t, "s", 2, true);
	printf("      simulated: %s after %.0f s, %.2f M page sends, %.0f M sends/s\n",
	       mplm_status_name(r.stats.status), r.stats.total_time,
	       (double)r.stats.pages_sent / 1e6, (double)r.stats.pages_sent / t / 1e6);
	sim_result_free(&r);
	return 0;
}
