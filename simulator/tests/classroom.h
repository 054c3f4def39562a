/*
 * classroom.h - the set-up of the hand-worked scenarios, shared by
 * test_policies.c and test_teach.c (header-only: each test is a program).
 *
 * The classroom link carries 128 pages/s (4096-byte pages, no header,
 * 524,288 B/s), dirty log syncs are free and there is no CPU state, so
 * every time is a multiple of 1/128 s, exact in floating point. The
 * guest's writes land whole at the end of each 1 s interval (replay
 * interval), so each scenario can be worked out by hand; spread replay has
 * hand-worked cases of its own (test_replay.c).
 */
#ifndef CLASSROOM_H
#define CLASSROOM_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <string.h>

#include "sim.h"

#define CLASSROOM_RATE (128.0 * 4096)
#define CLASSROOM_PATH_LEN 32

/* Write a trace of `pages` pages, header and then `records` (its lines,
 * after the header), to a new temporary file, whose name goes to path
 * (CLASSROOM_PATH_LEN bytes). */
static inline void classroom_write_trace(char *path, unsigned pages,
					 unsigned interval_us, const char *records)
{
	snprintf(path, CLASSROOM_PATH_LEN, "/tmp/mplm-test-XXXXXX");
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		perror("classroom_write_trace");
		exit(1);
	}
	fprintf(f, "mplm-trace 1\npage-size 4096\npages %u\ninterval-us %u\n%s",
		pages, interval_us, records);
	fclose(f);
}

/* Write a trace of `pages` pages in which [lo, hi] is written in every 1 s
 * interval from 1 s to `end` s (none when lo > hi) to a new temporary
 * file, whose name goes to path (CLASSROOM_PATH_LEN bytes). */
static inline void classroom_trace(char *path, unsigned pages, unsigned lo,
				   unsigned hi, unsigned end)
{
	size_t len = 48 * ((size_t)end + 1), at = 0;
	char *records = malloc(len);
	if (!records) {
		perror("classroom_trace");
		exit(1);
	}
	records[0] = '\0';
	for (unsigned t = 1; lo <= hi && t <= end; t++)
		at += (size_t)snprintf(records + at, len - at, "d %u %u-%u\n",
				       t * 1000000, lo, hi);
	snprintf(records + at, len - at, "e %u\n", end * 1000000);
	classroom_write_trace(path, pages, 1000000, records);
	free(records);
}

/* The classroom link; MPLM epochs of 2 s (256 pages), 50 % to D. The
 * scenarios worked out before the qemu-mplm variant follow the paper's
 * MPLM and a threshold from the configured rate; tests of the default
 * variant and of QEMU 2.9's measured rate set those themselves. */
static inline void classroom_config(struct sim_config *c, const char *path,
				    enum mplm_algorithm alg)
{
	sim_config_default(c);
	c->trace_path = path;
	c->replay = SIM_REPLAY_INTERVAL;
	c->link_bandwidth = CLASSROOM_RATE;
	c->header_bytes = 0;
	c->state_bytes = 0;
	c->sync_fixed = 0;
	c->sync_per_page = 0;
	c->params.algorithm = alg;
	c->params.max_bandwidth = CLASSROOM_RATE;
	c->params.intervaltime = 2;
	c->params.dirtypercents = 50;
	c->params.mplm_variant = MPLM_VARIANT_PAPER;
	c->params.threshold_bandwidth = MPLM_THRESHOLD_MAX_BANDWIDTH;
	c->params.relaxlivemig = false;
}

/* ---------------------------------------------------------------- */
/* Scenarios, for cmocka tests (include <cmocka.h> first). */
#ifdef CMOCKA_H_

/* One scenario: a trace file, a configuration, the last result. */
struct scenario {
	char path[CLASSROOM_PATH_LEN];
	struct sim_config c;
	struct sim_result r;
};

/* The classroom trace with pages [lo, hi] hot, and its configuration. */
static inline void scenario_hot(struct scenario *s, unsigned pages, unsigned lo,
			 unsigned hi, unsigned end, enum mplm_algorithm alg)
{
	memset(s, 0, sizeof(*s));
	classroom_trace(s->path, pages, lo, hi, end);
	classroom_config(&s->c, s->path, alg);
}

/* Run; returns sim_run's code, keeping the result in s->r. */
static inline int scenario_try(struct scenario *s)
{
	sim_result_free(&s->r);
	return sim_run(&s->c, &s->r);
}

/* Run, and insist on success and a verified invariant. */
static inline void scenario_run(struct scenario *s)
{
	if (scenario_try(s) != 0)
		fail_msg("sim_run: %s", s->r.error);
	assert_true(s->r.verified);
	assert_int_equal(s->r.mismatches, 0);
}

static inline void scenario_end(struct scenario *s)
{
	sim_result_free(&s->r);
	unlink(s->path);
}

static inline void assert_record(const struct mplm_sync_record *s, uint64_t dirtied,
			  uint64_t d, uint64_t nd, uint64_t sent_d,
			  uint64_t sent_nd)
{
	assert_int_equal(s->dirtied, dirtied);
	assert_int_equal(s->d_size, d);
	assert_int_equal(s->nd_size, nd);
	assert_int_equal(s->sent_d, sent_d);
	assert_int_equal(s->sent_nd, sent_nd);
}

#endif

#endif
