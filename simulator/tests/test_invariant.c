/*
 * test_invariant.c - for every algorithm and many random traces: when the
 * destination resumes, every page carries the version the source had at
 * pause (with post-copy: every page the destination holds stale at the
 * switch is in the discard set, and at the end every page is there).
 * Also the real NPB traces, end to end, with both live algorithms and
 * post-copy.
 * Every case runs under both replays of the guest's writes (spread over
 * each trace interval, and all at its end).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sim.h"

/* A small deterministic generator, independent of the project's own. */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A random trace: random page count, interval, density and hot region,
 * random `p` line, random length. */
static char *random_trace(uint64_t seed, unsigned *pages_out)
{
	uint64_t r = seed * 0x9E3779B97F4A7C15ull + 1;
	unsigned pages = 64 + (unsigned)(next_rand(&r) % 4000);
	unsigned interval_ms = 10 + (unsigned)(next_rand(&r) % 500);
	unsigned intervals = 1 + (unsigned)(next_rand(&r) % 200);
	unsigned hot = 1 + (unsigned)(next_rand(&r) % pages);
	unsigned per = (unsigned)(next_rand(&r) % (hot + 1));

	char *path = strdup("/tmp/mplm-inv-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fprintf(f, "mplm-trace 1\npage-size 4096\npages %u\ninterval-us %u\n",
		pages, interval_ms * 1000);
	if (next_rand(&r) % 2)
		fprintf(f, "p 0-%u\n", (unsigned)(next_rand(&r) % pages));
	char *mark = calloc(pages, 1);
	for (unsigned i = 1; i <= intervals; i++) {
		memset(mark, 0, pages);
		for (unsigned k = 0; k < per; k++)
			mark[next_rand(&r) % hot] = 1;
		fprintf(f, "d %u", i * interval_ms * 1000);
		for (unsigned p = 0; p < pages; p++)
			if (mark[p])
				fprintf(f, " %u", p);
		fputc('\n', f);
	}
	free(mark);
	fclose(f);
	*pages_out = pages;
	return path;
}

/* Returns why the live stage ended. */
static enum mplm_verdict check_invariant_once(struct sim_config *c, const char *what)
{
	struct sim_result r;
	const char *replay = c->replay == SIM_REPLAY_SPREAD ? "spread" : "interval";
	if (sim_run(c, &r) != 0)
		fail_msg("%s, replay %s: %s", what, replay, r.error);
	if (r.stats.status != MPLM_STATUS_COMPLETED)
		fail_msg("%s, replay %s: status %s", what, replay,
			 mplm_status_name(r.stats.status));
	if (!r.verified || r.mismatches)
		fail_msg("%s, replay %s: %llu pages differ (first %llu)", what, replay,
			 (unsigned long long)r.mismatches,
			 (unsigned long long)r.first_mismatch);
	/* Every page went over at least once. */
	assert_true(r.stats.pages_sent >= r.vm_pages);
	sim_result_free(&r);
	return r.stats.verdict;
}

/* Both replays; returns why the spread one's live stage ended. */
static enum mplm_verdict check_invariant(struct sim_config *c, const char *what)
{
	c->replay = SIM_REPLAY_SPREAD;
	enum mplm_verdict v = check_invariant_once(c, what);
	c->replay = SIM_REPLAY_INTERVAL;
	check_invariant_once(c, what);
	return v;
}

/* Post-copy after 1-3 passes or on the command at a random time, with a
 * random round trip: the destination must fetch every page it holds
 * stale, and hold every page at the end. */
static void random_postcopy(struct sim_config *c, uint64_t *r)
{
	c->params.postcopy_ram = true;
	if (next_rand(r) % 2)
		c->params.postcopy_after_passes = 1 + (unsigned)(next_rand(r) % 3);
	else
		c->start_postcopy_at = (double)(next_rand(r) % 4000) / 1000;
	c->rtt = (double)(next_rand(r) % 20000) * 1e-6;
}

static void test_random_traces_all_algorithms(void **state)
{
	(void)state;
	unsigned switched = 0;
	for (uint64_t seed = 1; seed <= 60; seed++) {
		unsigned pages;
		char *path = random_trace(seed, &pages);
		uint64_t r = seed;
		/* The algorithms, then pre-copy switching to post-copy. */
		for (int alg = MPLM_ALG_PRECOPY; alg <= MPLM_ALG_STOPCOPY + 1; alg++) {
			bool postcopy = alg > MPLM_ALG_STOPCOPY;
			struct sim_config c;
			sim_config_default(&c);
			c.trace_path = path;
			c.params.algorithm = postcopy ? MPLM_ALG_PRECOPY
						      : (enum mplm_algorithm)alg;
			/* A slow link so that migrations span many intervals. */
			c.link_bandwidth = 4096.0 * (50 + next_rand(&r) % 2000);
			c.params.max_bandwidth = c.link_bandwidth;
			c.params.downtime_limit = (double)(next_rand(&r) % 2000) / 1000;
			c.params.intervaltime = 0.05 + (double)(next_rand(&r) % 3000) / 1000;
			c.params.dirtypercents = (unsigned)(next_rand(&r) % 101);
			c.params.firstnondirty = next_rand(&r) % 2;
			c.params.relaxlivemig = next_rand(&r) % 2;
			c.params.max_iterations = (unsigned)(next_rand(&r) % 4);
			c.at_end = next_rand(&r) % 3 ? SIM_END_IDLE : SIM_END_LOOP;
			if (c.at_end == SIM_END_LOOP)
				c.params.max_iterations = 3; /* must end */
			c.start_at = (double)(next_rand(&r) % 5000) / 1000;
			c.vm_bytes = 4096ull * (pages + next_rand(&r) % 100);
			c.untraced_nonzero = next_rand(&r) % 2;
			c.placement = next_rand(&r) % 2 ? SIM_PLACE_TOP : SIM_PLACE_BOTTOM;
			uint64_t spare = c.vm_bytes / 4096 - pages;
			if (c.placement == SIM_PLACE_TOP)
				spare &= ~UINT64_C(63);
			c.static_bytes = 4096 * (next_rand(&r) % (spare + 1));
			if (alg == MPLM_ALG_MPLM && next_rand(&r) % 4 == 0) {
				c.extend_live_at = 0.5;
				c.end_live_at = 4;
			}
			c.params.max_total_time = 1e6;
			/* Auto-converge throttles the guest; pages still arrive
			 * whole. */
			c.params.auto_converge = alg != MPLM_ALG_STOPCOPY && next_rand(&r) % 2;
			if (postcopy)
				random_postcopy(&c, &r);
			char what[128];
			snprintf(what, sizeof(what), "seed %llu %s%s",
				 (unsigned long long)seed,
				 mplm_algorithm_name(c.params.algorithm),
				 postcopy ? " + post-copy" : "");
			switched += check_invariant(&c, what) == MPLM_VERDICT_POSTCOPY;
		}
		unlink(path);
		free(path);
	}
	/* Many post-copy runs switch (the others converge or end their
	 * trace first). */
	assert_true(switched >= 20);
}

/* The real NPB traces, both live algorithms, the paper's link: each run
 * completes with every page correct. */
static void test_npb_traces(void **state)
{
	(void)state;
	static const char *const names[] = { "mg", "is", "sp", "bt" };
	for (size_t i = 0; i < 4; i++) {
		char path[4096];
		/* Shipped in the repository; tests run from its root. */
		snprintf(path, sizeof(path), "workloads/traces/npb/npb-%s.B.trace.gz",
			 names[i]);
		if (access(path, R_OK) != 0)
			fail_msg("missing %s", path);
		/* Pre-copy, MPLM, and pre-copy with post-copy after a pass. */
		for (int alg = MPLM_ALG_PRECOPY; alg <= MPLM_ALG_MPLM + 1; alg++) {
			bool postcopy = alg > MPLM_ALG_MPLM;
			struct sim_config c;
			sim_config_default(&c);
			c.trace_path = path;
			c.params.algorithm = postcopy ? MPLM_ALG_PRECOPY
						      : (enum mplm_algorithm)alg;
			c.params.postcopy_ram = postcopy;
			c.params.postcopy_after_passes = postcopy;
			c.start_at = 1.0;
			char what[128];
			snprintf(what, sizeof(what), "npb-%s %s%s", names[i],
				 mplm_algorithm_name(c.params.algorithm),
				 postcopy ? " + post-copy" : "");
			enum mplm_verdict v = check_invariant(&c, what);
			if (postcopy)
				assert_int_equal(v, MPLM_VERDICT_POSTCOPY);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_traces_all_algorithms),
		cmocka_unit_test(test_npb_traces),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
