/*
 * export.h - `mplm-exp export`: an experiment's current runs as CSV or JSON.
 *
 * CSV: one row per run, every column of the runs table (SCHEMA.md) plus
 * `experiment`; with syncs, one row per sync record instead, keyed by its
 * run (run_id, param_hash, repetition, workload, algorithm_name). JSON:
 * {"experiment": NAME, "runs": [...]} with each run's "sync_records" array when
 * syncs is set. Numbers keep full precision; NULL stays empty / null.
 */
#ifndef EXP_EXPORT_H
#define EXP_EXPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "db.h"

enum export_format { EXPORT_CSV, EXPORT_JSON };

/* A CSV text field, RFC 4180: quoted when it holds a comma, a quote or a
 * line end, its quotes doubled. Every CSV mplm-exp writes uses it. */
void csv_text(FILE *f, const char *s);

int export_experiment(expdb *db, const char *experiment,
		      enum export_format format, bool syncs, FILE *out,
		      char *err, size_t errlen);

#endif
