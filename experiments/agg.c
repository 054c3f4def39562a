/*
 * agg.c - group stored runs into points and summarise them (see agg.h).
 */
#include "agg.h"

#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Columns 14.. of the query, in enum agg_metric order. */
static const char query[] =
	"SELECT point_hash, workload, workload_label, algorithm,"
	" algorithm_name, vm_bytes, link_bandwidth, downtime_limit,"
	" intervaltime, dirtypercents, auto_converge, postcopy_ram,"
	" postcopy_after_passes, status, total_time, downtime,"
	" live_time, setup_time, transferred_bytes, sent_ratio, touched_bytes,"
	" dirty_rate,"
	" (SELECT sum(s.dirtied) / sum(s.interval) FROM syncs s"
	"   WHERE s.run_id = r.id AND s.idx > 0 AND s.final = 0),"
	" metadata_bytes, syncs, guest_lost, cpu_throttle_percentage,"
	" postcopy_requests, postcopy_wait, postcopy_time, peak_rss_bytes,"
	" wall_seconds, point_index"
	" FROM current r WHERE experiment = ? ORDER BY point_hash, id";
#define COL_STATUS 13
#define COL_METRIC0 14
#define COL_ORDER (COL_METRIC0 + AGG_NMETRICS)

struct samples {
	double *v[AGG_NMETRICS];
	size_t n[AGG_NMETRICS];
};

static char *dup_col(sqlite3_stmt *st, int col)
{
	const char *s = (const char *)sqlite3_column_text(st, col);
	return strdup(s ? s : "");
}

static void stat_of(const double *v, size_t n, struct agg_stat *s)
{
	memset(s, 0, sizeof(*s));
	s->n = n;
	if (!n) {
		s->mean = s->sd = s->min = s->max = NAN;
		return;
	}
	s->mean = gsl_stats_mean(v, 1, n);
	s->sd = n > 1 ? gsl_stats_sd_m(v, 1, n, s->mean) : 0;
	gsl_stats_minmax(&s->min, &s->max, v, 1, n);
}

static void close_point(struct agg_point *p, struct samples *smp)
{
	for (int k = 0; k < AGG_NMETRICS; k++) {
		stat_of(smp->v[k], smp->n[k], &p->m[k]);
		smp->n[k] = 0;
	}
}

static double column_or_nan(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL
		       ? NAN : sqlite3_column_double(st, col);
}

static void open_point(struct agg_point *p, sqlite3_stmt *st)
{
	memset(p, 0, sizeof(*p));
	p->workload = dup_col(st, 1);
	p->label = dup_col(st, 2);
	p->algorithm = dup_col(st, 3);
	p->alg_name = dup_col(st, 4);
	p->vm_bytes = sqlite3_column_int64(st, 5);
	p->bandwidth = sqlite3_column_double(st, 6);
	p->downtime_limit = column_or_nan(st, 7);
	p->intervaltime = column_or_nan(st, 8);
	p->dirtypercents = column_or_nan(st, 9);
	p->auto_converge = column_or_nan(st, 10);
	p->postcopy_ram = column_or_nan(st, 11);
	p->postcopy_after_passes = column_or_nan(st, 12);
	p->order = sqlite3_column_int64(st, COL_ORDER);
}

static int add_samples(struct samples *smp, sqlite3_stmt *st, size_t cap)
{
	for (int k = 0; k < AGG_NMETRICS; k++) {
		if (sqlite3_column_type(st, COL_METRIC0 + k) == SQLITE_NULL)
			continue;
		if (smp->n[k] == cap)
			return -1;
		smp->v[k][smp->n[k]++] = sqlite3_column_double(st, COL_METRIC0 + k);
	}
	return 0;
}

static int by_order(const void *a, const void *b)
{
	const struct agg_point *x = a, *y = b;
	return (x->order > y->order) - (x->order < y->order);
}

static int load_header(sqlite3 *h, const char *name, struct agg *out)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(h, "SELECT description, figure FROM experiments"
			       " WHERE name = ?", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st) == SQLITE_ROW ? 0 : -1;
	if (rc == 0) {
		out->name = strdup(name);
		out->description = dup_col(st, 0);
		out->figure = dup_col(st, 1);
	}
	sqlite3_finalize(st);
	return rc;
}

static size_t count_runs(sqlite3 *h, const char *name)
{
	sqlite3_stmt *st;
	size_t n = 0;
	if (sqlite3_prepare_v2(h, "SELECT count(*) FROM current WHERE"
			       " experiment = ?", -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = (size_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

int agg_load(expdb *db, const char *experiment, struct agg *out, char *err,
	     size_t errlen)
{
	sqlite3 *h = db_handle(db);
	memset(out, 0, sizeof(*out));
	if (load_header(h, experiment, out) < 0) {
		snprintf(err, errlen, "no experiment of that name in the database");
		return -1;
	}
	size_t cap = count_runs(h, experiment) + 1;
	struct samples smp;
	memset(&smp, 0, sizeof(smp));
	out->v = calloc(cap, sizeof(*out->v));
	for (int k = 0; k < AGG_NMETRICS; k++)
		smp.v[k] = malloc(cap * sizeof(double));
	sqlite3_stmt *st = NULL;
	int rc = -1;
	if (!out->v || sqlite3_prepare_v2(h, query, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "query: %s", sqlite3_errmsg(h));
		goto done;
	}
	sqlite3_bind_text(st, 1, experiment, -1, SQLITE_STATIC);
	char cur[17] = "";
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *hash = (const char *)sqlite3_column_text(st, 0);
		if (strcmp(hash, cur)) {
			if (out->n)
				close_point(&out->v[out->n - 1], &smp);
			open_point(&out->v[out->n++], st);
			snprintf(cur, sizeof(cur), "%s", hash);
		}
		struct agg_point *p = &out->v[out->n - 1];
		const char *status = (const char *)sqlite3_column_text(st, COL_STATUS);
		p->runs++;
		if (!strcmp(status, "completed")) {
			p->completed++;
			add_samples(&smp, st, cap);
		} else if (!strcmp(status, "failed")) {
			p->failed++;
		} else {
			p->not_converged++;
		}
	}
	if (out->n)
		close_point(&out->v[out->n - 1], &smp);
	qsort(out->v, out->n, sizeof(*out->v), by_order);
	rc = 0;
done:
	sqlite3_finalize(st);
	for (int k = 0; k < AGG_NMETRICS; k++)
		free(smp.v[k]);
	return rc;
}

void agg_free(struct agg *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->v[i].workload);
		free(a->v[i].label);
		free(a->v[i].algorithm);
		free(a->v[i].alg_name);
	}
	free(a->v);
	free(a->name);
	free(a->description);
	free(a->figure);
	memset(a, 0, sizeof(*a));
}

const struct agg_point *agg_find(const struct agg *a, const char *w,
				 const char *alg, double dl)
{
	for (size_t i = 0; i < a->n; i++) {
		const struct agg_point *p = &a->v[i];
		if (strcmp(p->workload, w) || strcmp(p->alg_name, alg))
			continue;
		if (isnan(dl) || fabs(p->downtime_limit - dl) < 1e-9)
			return p;
	}
	return NULL;
}

const struct agg_point *agg_find_mplm(const struct agg *a, const char *w)
{
	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->v[i].workload, w) &&
		    !strcmp(a->v[i].algorithm, "mplm"))
			return &a->v[i];
	return NULL;
}

void agg_capabilities(const struct agg_point *p, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "%s", p->auto_converge == 1
					      ? ", auto-converge" : "");
	if (p->postcopy_ram != 1 || n >= len)
		return;
	if (p->postcopy_after_passes > 0)
		snprintf(buf + n, len - n, ", post-copy after %g pass%s",
			 p->postcopy_after_passes,
			 p->postcopy_after_passes == 1 ? "" : "es");
	else
		snprintf(buf + n, len - n, ", post-copy on command");
}
