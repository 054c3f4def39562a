/*
 * report.h - figures (gnuplot) and tables (Markdown, CSV) from the
 * results database. Both write into OUTDIR/EXPERIMENT/.
 */
#ifndef EXP_REPORT_H
#define EXP_REPORT_H

#include <stdio.h>

#include "db.h"

/* Tables: summary, paper-vs-mplm-lab, table1 and, for figure =
 * baselines, baselines (.md and .csv); the Markdown also goes to `echo`
 * unless it is NULL. */
int report_experiment(expdb *db, const char *experiment, const char *outdir,
		      FILE *echo, char *err, size_t errlen);

/* DIR/NAME, a table just written, copied to echo (what it says is what
 * the file holds). 0, or -1 if it cannot be read. */
int report_echo(const char *dir, const char *name, FILE *echo);
/* mkdir -p PATH; 0, or -1 with "PATH: why" in err. */
int report_mkdir(const char *path, char *err, size_t errlen);
/* mkdir -p OUTDIR/EXPERIMENT; the path in buf. */
int report_dir(const char *outdir, const char *experiment, char *buf,
	       size_t len, char *err, size_t errlen);

#endif
