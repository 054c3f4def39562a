/*
 * test_golden.c - the simulator's results do not change when it is made
 * faster. Every case (the four NPB traces under every algorithm, and
 * random generated workloads with random machine and migration settings)
 * is run and its final statistics and every per-sync record are compared,
 * field by field and bit for bit (times as hexadecimal floats), with
 * golden/records.txt, which was written by main's simulator and engine
 * at 5d9022a, page by page, before any send run reached the policies
 * (`test_golden --write FILE`); its generated cases were rewritten (the
 * NPB cases unchanged) when the generators took kvmlite's guest write
 * sequences (workloads/guests/wl_seq.h). Every MPLM case runs under both variants
 * (qemu-mplm, paper); each sync record carries its cause, rate,
 * threshold, verdict and throttle. The golden cases replay the guest's
 * writes as they were recorded, a trace interval's all at its end
 * (`replay = interval`), so they stay bit for bit: the send runs did not
 * change. Other random workloads are run in runs and page by page, under
 * both replays (spread, the default, lands pages between sends inside a
 * run), and must agree too. So must runs with and without `verify`,
 * which decides whether an interval that lands in a full dirty log is
 * made at all (sim.c, "deferred intervals").
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

#define GOLDEN "simulator/tests/golden/records.txt"
#define NRANDOM 100
#define NLARGE 4
#define LINE 512

static const char *const npb_names[] = { "mg", "is", "sp", "bt" };

/* The NPB traces, shipped in the repository. */
static int npb_path(const char *name, char *path, size_t len)
{
	snprintf(path, len, "workloads/traces/npb/npb-%s.B.trace.gz", name);
	return access(path, R_OK);
}

static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* One case: a name, a config, and the spec text it owns. */
struct golden_case {
	char name[LINE];
	char spec[256];
	char path[1024];
	struct sim_config c;
};

static void npb_case(struct golden_case *g, size_t trace, int variant)
{
	sim_config_default(&g->c);
	if (npb_path(npb_names[trace], g->path, sizeof(g->path)) != 0)
		fail_msg("missing NPB trace %s (run from the repository's root)", g->path);
	g->c.trace_path = g->path;
	g->c.start_at = 1.0 + variant * 0.5;
	switch (variant) {
	case 0: g->c.params.algorithm = MPLM_ALG_PRECOPY; break;
	case 1:
		g->c.params.algorithm = MPLM_ALG_PRECOPY;
		g->c.params.downtime_limit = 1.0;
		g->c.params.threshold_bandwidth = MPLM_THRESHOLD_MEASURED;
		g->c.vm_bytes = 1ull << 30;
		g->c.placement = SIM_PLACE_TOP;
		g->c.static_bytes = 64ull << 20;
		break;
	case 2:
	case 5: g->c.params.algorithm = MPLM_ALG_MPLM; break;
	case 3:
	case 6:
		g->c.params.algorithm = MPLM_ALG_MPLM;
		g->c.params.relaxlivemig = true;
		g->c.params.firstnondirty = false;
		g->c.params.dirtypercents = 70;
		g->c.params.intervaltime = 0.5;
		g->c.at_end = SIM_END_LOOP;
		g->c.untraced_nonzero = true;
		g->c.vm_bytes = 768ull << 20;
		break;
	default: g->c.params.algorithm = MPLM_ALG_STOPCOPY; break;
	}
	/* Both MPLM variants: 2, 3 qemu-mplm's code (the default), 5, 6 the
	 * paper's. */
	if (variant >= 5)
		g->c.params.mplm_variant = MPLM_VARIANT_PAPER;
	snprintf(g->name, sizeof(g->name), "npb-%s variant %d", npb_names[trace],
		 variant);
}

/* Random generated workloads: every pattern, small VMs, slow links so
 * that migrations span many intervals, every machine option. */
static void random_case(struct golden_case *g, uint64_t seed)
{
	static const char *const patterns[] = { "uniform", "sequential",
						"hotspot", "stencil" };
	uint64_t r = seed * 0x9E3779B97F4A7C15ull + 7;
	uint64_t pages = 256 + next_rand(&r) % 20000;
	uint64_t wss = 1 + next_rand(&r) % pages;
	unsigned rate = (unsigned)(next_rand(&r) % (pages * 3));
	const char *pat = patterns[next_rand(&r) % 4];
	struct sim_config *c = &g->c;

	snprintf(g->spec, sizeof(g->spec),
		 "%s,pages=%llu,wss=%llu,rate=%u,duration=%u,interval=%u,seed=%llu",
		 pat, (unsigned long long)pages, (unsigned long long)wss * 4096,
		 rate, (unsigned)(1 + next_rand(&r) % 120),
		 (unsigned)(10 + next_rand(&r) % 400), (unsigned long long)seed);
	sim_config_default(c);
	c->workload_spec = g->spec;
	c->params.algorithm = (enum mplm_algorithm)(next_rand(&r) % 3);
	c->link_bandwidth = 4096.0 * (200 + next_rand(&r) % 20000);
	c->params.max_bandwidth = next_rand(&r) % 3 ? c->link_bandwidth : 0;
	c->params.threshold_bandwidth = next_rand(&r) % 4 == 0
						? MPLM_THRESHOLD_MEASURED
						: MPLM_THRESHOLD_MAX_BANDWIDTH;
	c->params.downtime_limit = (double)(next_rand(&r) % 2000) / 1000;
	c->params.intervaltime = 0.05 + (double)(next_rand(&r) % 3000) / 1000;
	c->params.dirtypercents = (unsigned)(next_rand(&r) % 101);
	c->params.firstnondirty = next_rand(&r) % 2;
	c->params.relaxlivemig = next_rand(&r) % 2;
	c->params.max_iterations = (unsigned)(next_rand(&r) % 4);
	c->params.max_total_time = 30 + (double)(next_rand(&r) % 300);
	c->at_end = next_rand(&r) % 3 ? SIM_END_IDLE : SIM_END_LOOP;
	c->start_at = (double)(next_rand(&r) % 5000) / 1000;
	c->vm_bytes = 4096ull * (pages + next_rand(&r) % 3000);
	c->untraced_nonzero = next_rand(&r) % 2;
	c->placement = next_rand(&r) % 2 ? SIM_PLACE_TOP : SIM_PLACE_BOTTOM;
	uint64_t spare = c->vm_bytes / 4096 - pages;
	if (c->placement == SIM_PLACE_TOP)
		spare &= ~UINT64_C(63);
	c->static_bytes = 4096 * (next_rand(&r) % (spare + 1));
	if (c->params.algorithm == MPLM_ALG_MPLM && next_rand(&r) % 4 == 0) {
		c->extend_live_at = 0.5;
		c->end_live_at = 4;
	}
	c->header_bytes = (uint32_t)(next_rand(&r) % 64);
	c->params.mplm_variant = next_rand(&r) % 2 ? MPLM_VARIANT_PAPER
						   : MPLM_VARIANT_QEMU_MPLM;
	c->params.auto_converge = next_rand(&r) % 4 == 0;
	snprintf(g->name, sizeof(g->name), "random %llu %s %s %s",
		 (unsigned long long)seed, mplm_algorithm_name(c->params.algorithm),
		 c->params.algorithm == MPLM_ALG_MPLM
			 ? mplm_variant_name(c->params.mplm_variant) : "-",
		 g->spec);
}

/* The benchmark's shape at 1 GiB: dense dirty sets, long runs of pages
 * between events, a fast link. */
static void large_case(struct golden_case *g, int variant)
{
	struct sim_config *c = &g->c;
	sim_config_default(c);
	snprintf(g->spec, sizeof(g->spec),
		 "uniform,memory=1G,wss=%s,rate=%s,duration=60,seed=%d",
		 variant % 2 ? "512M" : "922M", variant == 2 ? "30000" : "26000",
		 variant == 3 ? 4 : variant + 3);
	c->workload_spec = g->spec;
	c->link_bandwidth = variant == 0 ? 1.25e9 : 125e6;
	c->params.max_bandwidth = c->link_bandwidth;
	c->params.downtime_limit = 0.03;
	c->params.max_total_time = 20;
	c->params.algorithm = variant == 1 || variant == 3 ? MPLM_ALG_MPLM
							     : MPLM_ALG_PRECOPY;
	if (variant == 3) /* the same run as 1 under the paper's MPLM */
		c->params.mplm_variant = MPLM_VARIANT_PAPER;
	snprintf(g->name, sizeof(g->name), "large %d %s %s", variant,
		 mplm_algorithm_name(c->params.algorithm), g->spec);
}

#define NPB_VARIANTS 7
#define NNPB (4 * NPB_VARIANTS)

static size_t ncases(void) { return NNPB + NLARGE + NRANDOM; }

/* Golden case i, with the replay its record was written with. */
static void make_case(struct golden_case *g, size_t i)
{
	if (i < NNPB)
		npb_case(g, i / NPB_VARIANTS, (int)(i % NPB_VARIANTS));
	else if (i < NNPB + NLARGE)
		large_case(g, (int)(i - NNPB));
	else
		random_case(g, i - NNPB - NLARGE + 1);
	g->c.replay = SIM_REPLAY_INTERVAL;
}

/* A run's result as text lines, one for the stats and one per sync. */
static void stats_line(const struct sim_result *r, char *buf, size_t len)
{
	const struct mplm_stats *s = &r->stats;
	snprintf(buf, len,
		 "stats %s %a %a %a %llu %llu %llu %llu %llu %llu %d %llu\n",
		 mplm_status_name(s->status), s->total_time, s->downtime,
		 s->setup_time, (unsigned long long)s->transferred,
		 (unsigned long long)s->duplicate, (unsigned long long)s->normal,
		 (unsigned long long)s->dirty_sync_count,
		 (unsigned long long)s->downtime_pages,
		 (unsigned long long)r->touched_pages, r->verified,
		 (unsigned long long)r->mismatches);
}

static void sync_line(const struct mplm_sync_record *y, char *buf, size_t len)
{
	snprintf(buf, len,
		 "sync %u %a %a %llu %llu %llu %llu %llu %llu %llu %llu %d %s %a %a %s %u\n",
		 y->index, y->time, y->interval, (unsigned long long)y->dirtied,
		 (unsigned long long)y->d_size, (unsigned long long)y->nd_size,
		 (unsigned long long)y->sent_d, (unsigned long long)y->sent_nd,
		 (unsigned long long)y->slots_nd,
		 (unsigned long long)y->slots_total,
		 (unsigned long long)y->bytes, y->final,
		 mplm_sync_cause_name(y->cause), y->bandwidth, y->threshold,
		 mplm_verdict_name(y->verdict), y->throttle);
}


static int write_golden(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		return 1;
	}
	for (size_t i = 0; i < ncases(); i++) {
		struct golden_case g;
		struct sim_result r;
		char line[2 * LINE];
		make_case(&g, i);
		if (sim_run(&g.c, &r) != 0) {
			fprintf(stderr, "%s: %s\n", g.name, r.error);
			fclose(f);
			return 1;
		}
		fprintf(f, "case %s\n", g.name);
		stats_line(&r, line, sizeof(line));
		fputs(line, f);
		for (size_t k = 0; k < r.nsyncs; k++) {
			sync_line(&r.syncs[k], line, sizeof(line));
			fputs(line, f);
		}
		sim_result_free(&r);
	}
	return fclose(f) ? 1 : 0;
}

/* Next line of the golden file, which must be `want`. */
static void expect_line(FILE *f, const char *want, const char *name)
{
	char got[2 * LINE];
	if (!fgets(got, sizeof(got), f))
		fail_msg("%s: golden file ends early; expected %s", name, want);
	if (strcmp(got, want) != 0)
		fail_msg("%s: differs from the golden record\n  golden: %s  now:    %s",
			 name, got, want);
}

static void test_records_match_golden(void **state)
{
	(void)state;
	FILE *f = fopen(GOLDEN, "r");
	if (!f)
		fail_msg("cannot open %s (run from the repository root)", GOLDEN);
	for (size_t i = 0; i < ncases(); i++) {
		struct golden_case g;
		struct sim_result r;
		char line[2 * LINE];
		make_case(&g, i);
		if (sim_run(&g.c, &r) != 0)
			fail_msg("%s: %s", g.name, r.error);
		snprintf(line, sizeof(line), "case %s\n", g.name);
		expect_line(f, line, g.name);
		stats_line(&r, line, sizeof(line));
		expect_line(f, line, g.name);
		for (size_t k = 0; k < r.nsyncs; k++) {
			sync_line(&r.syncs[k], line, sizeof(line));
			expect_line(f, line, g.name);
		}
		assert_true(r.nsyncs > 0);
		sim_result_free(&r);
	}
	char extra[LINE];
	if (fgets(extra, sizeof(extra), f))
		fail_msg("golden file has more than the %zu cases: %s", ncases(), extra);
	fclose(f);
}

/* Run g in send runs and page by page (the reference) under g's replay:
 * everything the run reports must agree. Returns the guest work lost
 * (auto-converge); the stats line goes to `stats`. */
static double runs_equal_page_by_page_once(struct golden_case *g,
					   char stats[2 * LINE])
{
	struct sim_result a, b;
	char la[2 * LINE], lb[2 * LINE];
	const char *replay = g->c.replay == SIM_REPLAY_SPREAD ? "spread" : "interval";

	g->c.page_by_page = false;
	if (sim_run(&g->c, &a) != 0)
		fail_msg("%s (replay %s): %s", g->name, replay, a.error);
	g->c.page_by_page = true;
	if (sim_run(&g->c, &b) != 0)
		fail_msg("%s (replay %s): %s", g->name, replay, b.error);
	stats_line(&a, la, sizeof(la));
	stats_line(&b, lb, sizeof(lb));
	if (strcmp(la, lb) != 0)
		fail_msg("%s (replay %s):\n  per page: %s  in runs:  %s", g->name,
			 replay, lb, la);
	if (a.guest_lost != b.guest_lost)
		fail_msg("%s (replay %s): guest work lost %a page by page, %a in runs",
			 g->name, replay, b.guest_lost, a.guest_lost);
	assert_int_equal(a.nsyncs, b.nsyncs);
	for (size_t k = 0; k < a.nsyncs; k++) {
		sync_line(&a.syncs[k], la, sizeof(la));
		sync_line(&b.syncs[k], lb, sizeof(lb));
		if (strcmp(la, lb) != 0)
			fail_msg("%s (replay %s):\n  per page: %s  in runs:  %s",
				 g->name, replay, lb, la);
	}
	double lost = a.guest_lost;
	stats_line(&a, stats, 2 * LINE);
	sim_result_free(&a);
	sim_result_free(&b);
	return lost;
}

/* The same under both replays; the work lost under spread replay.
 * *differ counts the cases where the two replays' results differ (the
 * spread replay did land pages inside intervals). */
static double runs_equal_page_by_page(struct golden_case *g, unsigned *differ)
{
	char whole[2 * LINE], spread[2 * LINE];
	g->c.replay = SIM_REPLAY_INTERVAL;
	runs_equal_page_by_page_once(g, whole);
	g->c.replay = SIM_REPLAY_SPREAD;
	double lost = runs_equal_page_by_page_once(g, spread);
	*differ += strcmp(whole, spread) != 0;
	return lost;
}

/* Beyond the golden cases: on other random workloads, sending a word's
 * pages per call (with its jumps over full pages) gives exactly what a
 * call per page gives. */
static void test_runs_equal_page_by_page(void **state)
{
	(void)state;
	unsigned differ = 0;
	for (uint64_t seed = 1000; seed < 1060; seed++) {
		struct golden_case g;
		random_case(&g, seed);
		if (seed % 2) { /* a machine profile's zero-page costs */
			g.c.zero_page_bytes = (int64_t)(seed % 50);
			g.c.zero_page_cost = 1e-6 * (double)(seed % 7);
		}
		runs_equal_page_by_page(&g, &differ);
	}
	/* Spread replay changed many of them (25 of 60 when written): it
	 * did land pages inside intervals, and inside runs. */
	assert_true(differ >= 20);
}

/* The same with auto-converge throttling the guest (its trace time runs
 * slower, the rest is lost work), on test_throttle's case at four seeds
 * and rates. */
static void test_throttled_runs_equal_page_by_page(void **state)
{
	(void)state;
	unsigned differ = 0;
	for (int i = 0; i < 4; i++) {
		struct golden_case g;
		sim_config_default(&g.c);
		snprintf(g.spec, sizeof(g.spec),
			 "uniform,pages=8192,wss=16M,rate=%d,duration=600,seed=%d",
			 2500 + 500 * i, 4 + i);
		snprintf(g.name, sizeof(g.name), "throttled %s", g.spec);
		g.c.workload_spec = g.spec;
		g.c.link_bandwidth = 2048.0 * 4096;
		g.c.params.algorithm = MPLM_ALG_PRECOPY;
		g.c.params.max_bandwidth = 0;
		g.c.params.auto_converge = true;
		g.c.params.max_total_time = 300;
		if (!(runs_equal_page_by_page(&g, &differ) > 0))
			fail_msg("%s: auto-converge did not throttle", g.name);
	}
	assert_true(differ >= 3); /* spread replay changed most (4 when written) */
}

/* qemu-mplm's D cursor after the bulk stage searches D u ND: with strict
 * D slots (relaxlivemig off) taking most of each batch, the D cursor
 * wraps while the ND cursor has pages ahead of it, and then meets them
 * among D's pages. A run of D pages must stop at each. */
static void test_qemu_mplm_d_cursor_meets_nd(void **state)
{
	(void)state;
	unsigned differ = 0;
	for (int i = 0; i < 6; i++) {
		struct golden_case g;
		sim_config_default(&g.c);
		snprintf(g.spec, sizeof(g.spec),
			 "%s,pages=16384,wss=%dM,rate=%d,duration=600,seed=%d",
			 i % 2 ? "hotspot" : "uniform", 8 + 8 * (i % 3),
			 500 + 700 * i, 11 + i);
		snprintf(g.name, sizeof(g.name), "d cursor meets nd %s", g.spec);
		g.c.workload_spec = g.spec;
		g.c.link_bandwidth = 1500.0 * 4096;
		g.c.params.algorithm = MPLM_ALG_MPLM;
		g.c.params.mplm_variant = MPLM_VARIANT_QEMU_MPLM;
		g.c.params.relaxlivemig = false;
		g.c.params.firstnondirty = false;
		g.c.params.dirtypercents = 80 + 3 * (unsigned)i;
		g.c.params.intervaltime = 0.5 + 0.25 * i;
		g.c.params.max_total_time = 120;
		runs_equal_page_by_page(&g, &differ);
	}
	assert_true(differ >= 4); /* spread replay changed most (5 when written) */
}

/* A run's post-copy outcome as a text line (not in stats_line, whose
 * lines the golden file holds). */
static void postcopy_line(const struct sim_result *r, char *buf, size_t len)
{
	const struct mplm_stats *s = &r->stats;
	snprintf(buf, len, "post-copy %s %llu %llu %a %a\n",
		 mplm_verdict_name(s->verdict), (unsigned long long)s->postcopy_requests,
		 (unsigned long long)s->postcopy_pages, s->postcopy_wait, s->postcopy_time);
}

/* g run once with `verify` and once without, under g's replay: the same
 * stats (the check's own fields aside), post-copy outcome, guest rate and
 * work lost, and sync records. Without it, intervals that land in a full
 * dirty log are never made; returns how many were not, and the verdict
 * in *verdict. */
static uint64_t verify_changes_nothing(struct golden_case *g, enum mplm_verdict *verdict)
{
	struct sim_result a, b;
	char la[2 * LINE], lb[2 * LINE];

	g->c.verify = true;
	if (sim_run(&g->c, &a) != 0)
		fail_msg("%s (verify): %s", g->name, a.error);
	g->c.verify = false;
	if (sim_run(&g->c, &b) != 0)
		fail_msg("%s (no verify): %s", g->name, b.error);
	if (a.mismatches || a.intervals_deferred) /* verified once completed */
		fail_msg("%s: %llu stale pages, %llu intervals deferred", g->name,
			 (unsigned long long)a.mismatches,
			 (unsigned long long)a.intervals_deferred);
	a.verified = false;
	stats_line(&a, la, sizeof(la));
	stats_line(&b, lb, sizeof(lb));
	if (strcmp(la, lb) != 0)
		fail_msg("%s:\n  verify:    %s  no verify: %s", g->name, la, lb);
	postcopy_line(&a, la, sizeof(la));
	postcopy_line(&b, lb, sizeof(lb));
	if (strcmp(la, lb) != 0)
		fail_msg("%s:\n  verify:    %s  no verify: %s", g->name, la, lb);
	if (a.guest_lost != b.guest_lost || a.trace_rate != b.trace_rate)
		fail_msg("%s: work lost %a / %a, rate %a / %a", g->name, a.guest_lost,
			 b.guest_lost, a.trace_rate, b.trace_rate);
	assert_int_equal(a.nsyncs, b.nsyncs);
	for (size_t k = 0; k < a.nsyncs; k++) {
		sync_line(&a.syncs[k], la, sizeof(la));
		sync_line(&b.syncs[k], lb, sizeof(lb));
		if (strcmp(la, lb) != 0)
			fail_msg("%s:\n  verify:    %s  no verify: %s", g->name, la, lb);
	}
	uint64_t deferred = b.intervals_deferred;
	*verdict = b.stats.verdict;
	sim_result_free(&a);
	sim_result_free(&b);
	return deferred;
}

/* Deferred intervals change no result: random workloads, and guests that
 * rewrite their working set between syncs over a slow link (uniform on
 * one and three vCPUs, sequential, stencil; four of them switching to
 * post-copy), in send runs and page by page, under both replays. */
static void test_deferred_intervals_change_nothing(void **state)
{
	(void)state;
	static const char *const fill[] = {
		"uniform,pages=12000,wss=40M,rate=9000,duration=400,seed=7",
		"uniform,pages=9000,wss=30M,rate=12000,duration=400,seed=8,vcpus=3,interval=70",
		"sequential,pages=10000,wss=36M,rate=7000,duration=400,seed=1",
		"stencil,pages=10000,wss=32M,rate=15000,duration=400,seed=2,arrays=4,vcpus=2",
	};
	uint64_t deferred = 0;
	unsigned cases_deferring = 0;
	for (size_t i = 0; i < 4 * 4 + 40; i++) {
		struct golden_case g;
		if (i < 16) {
			sim_config_default(&g.c);
			snprintf(g.spec, sizeof(g.spec), "%s", fill[i % 4]);
			g.c.workload_spec = g.spec;
			g.c.link_bandwidth = 4096.0 * (1500 + 500 * (double)(i / 4));
			g.c.params.algorithm = i / 4 % 2 ? MPLM_ALG_MPLM : MPLM_ALG_PRECOPY;
			/* Some give up inside an interval (100 ms ones): an
			 * interval that may outlast the run is made in time
			 * (may_defer), as sends would have landed its pages. */
			g.c.params.max_total_time = i % 4 == 1 ? 120.05 : 120;
			g.c.at_end = i / 8 ? SIM_END_LOOP : SIM_END_IDLE;
			g.c.start_at = (double)(i % 3);
			/* Some pre-copy ones switch to post-copy, whose guest
			 * takes the pending interval's pages. */
			g.c.params.postcopy_ram = i / 4 % 2 == 0 && i % 2;
			if (g.c.params.postcopy_ram)
				g.c.params.postcopy_after_passes = 1 + (unsigned)(i % 3);
			snprintf(g.name, sizeof(g.name), "full log %zu%s %s", i,
				 g.c.params.postcopy_ram ? " post-copy" : "", g.spec);
		} else {
			random_case(&g, 3000 + i);
		}
		for (int mode = 0; mode < 4; mode++) {
			g.c.replay = mode % 2 ? SIM_REPLAY_INTERVAL : SIM_REPLAY_SPREAD;
			g.c.page_by_page = mode / 2;
			enum mplm_verdict verdict;
			uint64_t d = verify_changes_nothing(&g, &verdict);
			deferred += d;
			/* The post-copy cases do switch (in every mode). */
			if (i < 16 && g.c.params.postcopy_ram && verdict != MPLM_VERDICT_POSTCOPY)
				fail_msg("%s (mode %d): verdict %s, not post-copy", g.name,
					 mode, mplm_verdict_name(verdict));
			cases_deferring += mode == 0 && d;
		}
	}
	/* The case it is for: most of the full-log cases deferred, and many
	 * intervals in all (21 cases and 15,800 intervals when written). */
	assert_true(cases_deferring >= 12);
	assert_true(deferred >= 10000);
	print_message("deferred intervals: %llu, in %u cases\n",
		      (unsigned long long)deferred, cases_deferring);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--write") == 0)
		return write_golden(argv[2]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_records_match_golden),
		cmocka_unit_test(test_runs_equal_page_by_page),
		cmocka_unit_test(test_throttled_runs_equal_page_by_page),
		cmocka_unit_test(test_qemu_mplm_d_cursor_meets_nd),
		cmocka_unit_test(test_deferred_intervals_change_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
