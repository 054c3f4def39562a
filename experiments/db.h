/*
 * db.h - the SQLite results database (schema: experiments/SCHEMA.md).
 *
 * One writer (the mplm-exp parent process). WAL mode; every run is stored
 * in one transaction with its per-sync rows, so a runner killed at any
 * moment leaves only whole runs behind.
 */
#ifndef EXP_DB_H
#define EXP_DB_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "expfile.h"
#include "sim.h"

#define EXP_DB_SCHEMA_VERSION 3

/* What a worker brings back for one run. */
struct run_outcome {
	int rc;                    /* sim_run's return, or -1 if the child died */
	struct sim_result res;     /* syncs owned by the outcome */
	char stats_error[256];     /* res.stats.error, copied across the pipe */
	uint64_t peak_rss_bytes;   /* the worker's, from wait4 */
	double wall_seconds;       /* fork to reap */
};

typedef struct expdb expdb;

/* For run: read-write, created if missing, a version-1 or -2 database
 * upgraded.
 * path may be a SQLite URI ("file:x.db?..."). */
expdb *db_open(const char *path, char *err, size_t errlen);
/* For list, report, plot, export: read-only (works on a file or folder
 * nobody may write, or "file:x.db?mode=ro"); only db_handle may be used. */
expdb *db_open_read(const char *path, char *err, size_t errlen);
/* Read-only, whatever its schema version (see db_schema_version). */
expdb *db_open_read_only(const char *path, char *err, size_t errlen);
void db_close(expdb *db);
sqlite3 *db_handle(expdb *db);

/* Create or update the experiment row and record which runs make up its
 * current definition (plot and report look only at those). */
int db_begin_experiment(expdb *db, const struct experiment *e,
			const struct exp_runs *runs, int64_t *id, char *err,
			size_t errlen);
/* Is this run stored? failed: set when the stored run has status failed. */
int db_run_stored(expdb *db, int64_t exp_id, const struct exp_run *r,
		  bool *stored, bool *failed);
/* Remove a stored failed run (before it is retried). */
int db_delete_run(expdb *db, int64_t exp_id, const struct exp_run *r);
/* Store one run and its syncs in one transaction, and drop its claim.
 * 0 stored, 1 another runner had stored it already, -1 error. */
int db_store_run(expdb *db, int64_t exp_id, const struct experiment *e,
		 const struct exp_run *r, const struct run_outcome *o,
		 char *err, size_t errlen);
/* "file:PATH?QUERY" with PATH's ? # % escaped, for SQLite. */
void db_uri(const char *path, const char *query, char *buf, size_t len);
/* PRAGMA SCHEMA.user_version ("main" or an attached name); -1 on error. */
int db_schema_version(expdb *db, const char *schema);

/* The column of runs holding a setting of mplm-core's table ("vm_bytes"
 * for memory, "downtime_limit", ...); false if runs does not store it. */
bool db_setting_column(enum mplm_setting_id id, char *buf, size_t len);

/* The experiment's id by name; -1 if absent. */
int64_t db_experiment_id(expdb *db, const char *name);

#endif
