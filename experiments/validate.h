/*
 * validate.h - `mplm-exp validate`'s figure and tables: each simulator
 * replay (predicted) against the real kvmlite run it replays (measured),
 * for total time and downtime.
 */
#ifndef EXP_VALIDATE_H
#define EXP_VALIDATE_H

#include <stddef.h>
#include <stdio.h>

#include "db.h"

/* Pairs of the recorded kvm experiments named (each replayed as
 * NAME-replay) into OUTDIR/validate/: validation.png and .svg (predicted
 * against measured, y = x and a +-5 % band), errors.md (per case, with
 * the median and worst absolute errors; also on `echo` unless NULL) and
 * errors.csv (per pair). -1 with err when there is no pair at all. */
int validate_report(expdb *db, char *const *experiments, size_t n,
		    const char *outdir, FILE *echo, FILE *say, char *err,
		    size_t errlen);

#endif
