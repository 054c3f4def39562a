/*
 * runner.h - run the runs of an experiment with N worker processes.
 *
 * One child per run: it calls sim_run and writes the result to a pipe, the
 * parent reads it, reaps the child with wait4 (its peak RSS) and stores the
 * run in the database. Runs already stored are skipped; each run is
 * claimed before it starts (claims.h), so several runners on one database
 * share the work.
 */
#ifndef EXP_RUNNER_H
#define EXP_RUNNER_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"
#include "expfile.h"

struct runner_opts {
	unsigned jobs;       /* parallel workers, >= 1 */
	bool retry_failed;   /* run again the runs stored as failed */
	int progress;        /* 1 on, 0 off, -1 when stderr is a TTY */
	unsigned shard_k, shard_n; /* run only share K of N (1 <= K <= N); N 0: all */
};

struct runner_stats {
	size_t total;        /* runs in the experiment (in the shard) */
	size_t stored_before;/* skipped: already in the database */
	size_t by_others;    /* stored meanwhile by other runners */
	size_t ran;
	size_t failed;
	size_t not_converged;
	unsigned jobs;       /* workers used (1 for backend kvm) */
	double wall_seconds;
};

int runner_run(expdb *db, int64_t exp_id, const struct experiment *e,
	       const struct exp_runs *runs, const struct runner_opts *opts,
	       struct runner_stats *st, char *err, size_t errlen);

#endif
