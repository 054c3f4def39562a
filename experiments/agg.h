/*
 * agg.h - the stored runs of an experiment, grouped into points (every
 * parameter but the seed) with mean, standard deviation, min and max over
 * the repetitions that completed.
 */
#ifndef EXP_AGG_H
#define EXP_AGG_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

struct agg_stat {
	size_t n;
	double mean, sd, min, max;
};

/* What the migration did comes first; from AGG_MACHINE0 on, what the
 * machine that ran it measured (wall time, peak RSS), which changes from
 * run to run and so stays out of the committed summaries. */
enum agg_metric {
	AGG_TOTAL, AGG_DOWNTIME, AGG_LIVE, AGG_SETUP, AGG_TRANSFERRED,
	AGG_SENT_RATIO, AGG_TOUCHED, AGG_TRACE_RATE, AGG_SYNC_RATE,
	AGG_METADATA, AGG_SYNCS, AGG_GUEST_LOST, AGG_THROTTLE,
	AGG_POSTCOPY_REQUESTS, AGG_POSTCOPY_WAIT, AGG_POSTCOPY_TIME,
	AGG_PEAK_RSS, AGG_WALL, AGG_NMETRICS
};
#define AGG_MACHINE0 AGG_PEAK_RSS

struct agg_point {
	char *workload, *label, *algorithm, *alg_name;
	int64_t vm_bytes;
	/* Settings; NAN where they do not apply (NULL in the database). */
	double bandwidth, downtime_limit, intervaltime, dirtypercents;
	double auto_converge;  /* 1 on, 0 off, NAN: does not apply */
	double postcopy_ram;   /* the same */
	double postcopy_after_passes;  /* NAN without post-copy */
	size_t runs, completed, not_converged, failed;
	int64_t order;         /* the point's place in the experiment file */
	struct agg_stat m[AGG_NMETRICS];
};

struct agg {
	char *name, *description, *figure;
	struct agg_point *v;
	size_t n;
};

int agg_load(expdb *db, const char *experiment, struct agg *out, char *err,
	     size_t errlen);
void agg_free(struct agg *a);

/* The first point of workload w and algorithm section alg (downtime limit
 * dl unless dl is NAN); NULL if none. */
const struct agg_point *agg_find(const struct agg *a, const char *w,
				 const char *alg, double dl);
/* The QEMU capabilities a point runs with, for labels: ", auto-converge",
 * ", post-copy after 1 pass", ", post-copy on command"; "" for none. */
void agg_capabilities(const struct agg_point *p, char *buf, size_t len);

/* The first MPLM point of workload w; NULL if none. */
const struct agg_point *agg_find_mplm(const struct agg *a, const char *w);

#endif
