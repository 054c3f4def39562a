/*
 * plot.h - `mplm-exp plot`: figures from the results database into
 * OUTDIR/EXPERIMENT/, each as a data file (.dat, with the parameters of
 * every point), a gnuplot script (.gp) and its PNG and SVG. Every file
 * written is named on `say`.
 *
 * Without a request: the experiment's own figure (its `figure` setting:
 * fig4, bounds, baselines or none) and, but for baselines, the trade-off
 * view (tradeoff.png: downtime against total time, one labelled point per
 * configuration, a panel per link speed). With one: the generic figure,
 * METRIC against PARAM, one line per value of BY, a panel per value of
 * FACET.
 */
#ifndef EXP_PLOT_H
#define EXP_PLOT_H

#include <stdio.h>

#include "agg.h"
#include "db.h"

struct plot_request {
	const char *x;       /* a setting (plot_generic.c's table), or NULL */
	const char *y;       /* a metric; default total-time */
	const char *by;      /* a setting, or NULL: one line */
	const char *facet;   /* a setting, or NULL: one panel */
};

int plot_experiment(expdb *db, const char *experiment, const char *outdir,
		    const struct plot_request *req, FILE *say, char *err,
		    size_t errlen);

/* The parts, for plot.c. */
int plot_tradeoff(const char *dir, const struct agg *a, FILE *say,
		  char *err, size_t errlen);
int plot_baselines(const char *dir, const struct agg *a, FILE *say,
		   char *err, size_t errlen);
int plot_generic(expdb *db, const char *dir, const char *experiment,
		 const struct plot_request *req, FILE *say, char *err,
		 size_t errlen);
/* The names --x, --by, --facet and --y accept, for --help and errors. */
void plot_list_names(FILE *f);

#endif
