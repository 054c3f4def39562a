/*
 * bench_workloads.c - the speed of trace reading and workload generation,
 * against the targets of the workloads issue:
 *   reading the NPB BT trace (1,202 intervals, gzip)            < 0.5 s
 *   one interval of uniform,memory=8G,wss=8G,rate=200000        < 100 us
 *     (the simulator benchmark replays 10,000 of them)
 * Each figure is the best of a few runs: the machines are shared.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "gen.h"
#include "trace.h"

#define UNIFORM_8G "uniform,memory=8G,wss=8G,rate=200000,duration=1000,seed=1"
#define REPEATS 3

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Open, read every interval into a bitmap cleared after each (as the
 * simulator does), close. Returns seconds, or -1 on error. */
static double read_all(const char *path, const char *spec, uint64_t *intervals)
{
	char err[1024];
	double t0 = now();
	trace_source *s = path ? trace_open(path, err, sizeof(err))
			       : gen_open(spec, err, sizeof(err));
	uint64_t t, n;

	if (!s) {
		fprintf(stderr, "bench-workloads: %s\n", err);
		return -1;
	}
	mplm_bitmap *b = mplm_bitmap_new(trace_source_info(s)->pages);
	*intervals = 0;
	while (trace_source_next(s, b, &t, &n) > 0) {
		++*intervals;
		mplm_bitmap_zero(b);
	}
	mplm_bitmap_free(b);
	trace_source_close(s);
	return now() - t0;
}

static double best_of(const char *path, const char *spec, uint64_t *intervals)
{
	double best = 1e30;

	for (int i = 0; i < REPEATS; i++) {
		double t = read_all(path, spec, intervals);
		if (t < 0)
			exit(1);
		if (t < best)
			best = t;
	}
	return best;
}

static void row(const char *what, double value, const char *unit,
		double target)
{
	double ratio = target / value;
	printf("  %-52s %12.3f %-8s target < %-8g %5.2fx %s\n", what, value,
	       unit, target, ratio, ratio >= 1 ? "ok" : "MISSED");
}

int main(void)
{
	static const char *const npb[] = { "mg", "is", "sp", "bt" };
	char path[1024];
	uint64_t k;

	printf("workloads (best of %d runs)\n", REPEATS);
	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "workloads/traces/npb/npb-%s.B.trace.gz",
			 npb[i]);
		double t = best_of(path, NULL, &k);
		if (i == 3) {
			row("read NPB BT trace (1,202 intervals, gzip)", t, "s", 0.5);
		} else {
			printf("      read npb-%s.B: %.1f ms, %llu intervals\n", npb[i],
			       t * 1e3, (unsigned long long)k);
		}
	}
	double t = best_of(NULL, UNIFORM_8G, &k);
	row("generate one uniform 8 GiB / 200k pages/s interval", t / (double)k * 1e6,
	    "us", 100);
	printf("      %llu intervals of 20,000 pages in %.3f s (bitmap clears included)\n",
	       (unsigned long long)k, t);
	return 0;
}
