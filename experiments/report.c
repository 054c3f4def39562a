/*
 * report.c - Markdown and CSV tables from the results database: a summary
 * of every point, the paper-vs-mplm-lab comparison of every number an
 * experiment's [reference] sections state, and the paper's Table I (MPLM
 * downtime against dirty page rate, with Pearson's r from GSL); apart
 * from them, the figures of the machine that ran the runs (wall time,
 * peak RSS), which change on every run.
 */
#include "report.h"

#include <errno.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agg.h"
#include "units.h"

struct reference {
	char *workload, *alg_name, *metric;
	double param, value;
	bool approx;
};

struct references {
	struct reference *v;
	size_t n;
};

/* ------------------------------------------------------------------ */
/* Files. */

static int mkdir_p(const char *path)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0777) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0777) < 0 && errno != EEXIST ? -1 : 0;
}

int report_mkdir(const char *path, char *err, size_t errlen)
{
	if (mkdir_p(path) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int report_dir(const char *outdir, const char *experiment, char *buf,
	       size_t len, char *err, size_t errlen)
{
	snprintf(buf, len, "%s/%s", outdir, experiment);
	return report_mkdir(buf, err, errlen);
}

static FILE *open_out(const char *dir, const char *name, char *err,
		      size_t errlen)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	return f;
}

static int close_out(FILE *f, const char *name, char *err, size_t errlen)
{
	if (ferror(f) | fclose(f)) {
		snprintf(err, errlen, "%s: write error", name);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Reference values. */

static int load_references(expdb *db, const char *experiment,
			   struct references *out)
{
	sqlite3_stmt *st;
	memset(out, 0, sizeof(*out));
	if (sqlite3_prepare_v2(db_handle(db),
			       "SELECT workload, algorithm_name, metric, param,"
			       " value, approx FROM reference_values r JOIN"
			       " experiments e ON e.id = r.experiment_id WHERE"
			       " e.name = ? ORDER BY r.rowid", -1, &st,
			       NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, experiment, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct reference *v = realloc(out->v, (out->n + 1) * sizeof(*v));
		if (!v)
			break;
		out->v = v;
		struct reference *r = &out->v[out->n++];
		const char *alg = (const char *)sqlite3_column_text(st, 1);
		r->workload = strdup((const char *)sqlite3_column_text(st, 0));
		r->alg_name = alg ? strdup(alg) : NULL;
		r->metric = strdup((const char *)sqlite3_column_text(st, 2));
		r->param = sqlite3_column_type(st, 3) == SQLITE_NULL
				   ? NAN : sqlite3_column_double(st, 3);
		r->value = sqlite3_column_double(st, 4);
		r->approx = sqlite3_column_int(st, 5);
	}
	sqlite3_finalize(st);
	return 0;
}

static void free_references(struct references *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].workload);
		free(r->v[i].alg_name);
		free(r->v[i].metric);
	}
	free(r->v);
}

static const struct reference *find_reference(const struct references *rs,
					      const char *w, const char *metric,
					      const char *alg)
{
	for (size_t i = 0; i < rs->n; i++) {
		const struct reference *r = &rs->v[i];
		if (!strcmp(r->workload, w) && !strcmp(r->metric, metric) &&
		    (!alg || (r->alg_name && !strcmp(r->alg_name, alg))))
			return r;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Summary of every point. */

static void point_params(const struct agg_point *p, char *buf, size_t len)
{
	char caps[96];
	agg_capabilities(p, caps, sizeof(caps));
	if (!strcmp(p->algorithm, "precopy"))
		snprintf(buf, len, "downtime-limit %g s%s", p->downtime_limit,
			 caps);
	else if (!strcmp(p->algorithm, "mplm"))
		snprintf(buf, len, "dirtypercents %g, intervaltime %g s%s",
			 p->dirtypercents, p->intervaltime, caps);
	else
		snprintf(buf, len, "-");
}

/* "mean ± sd" (or the one value), each number in `fmt`; "-" if none. */
static void fmt_stat(const struct agg_stat *s, const char *fmt, char *buf,
		     size_t len, double scale)
{
	if (!s->n) {
		snprintf(buf, len, "-");
		return;
	}
	int n = snprintf(buf, len, fmt, s->mean * scale);
	if (s->n > 1 && n >= 0 && (size_t)n < len) {
		n += snprintf(buf + n, len - (size_t)n, " ± ");
		if ((size_t)n < len)
			snprintf(buf + n, len - (size_t)n, fmt, s->sd * scale);
	}
}

static void fmt_ms(const struct agg_stat *s, char *buf, size_t len,
		   double scale)
{
	fmt_stat(s, "%.2f", buf, len, scale);
}

/* The same with the mean to 3 significant digits and the deviation to
 * as many decimals (a post-copy downtime is half a millisecond, a
 * pre-copy total up to a thousand seconds). */
static void fmt_sig3(const struct agg_stat *s, char *buf, size_t len)
{
	double m = fabs(s->mean);
	int decimals = m > 0 && isfinite(m) ? 2 - (int)floor(log10(m)) : 2;
	char fmt[8];
	snprintf(fmt, sizeof(fmt), "%%.%df",
		 decimals < 0 ? 0 : decimals > 6 ? 6 : decimals);
	fmt_stat(s, fmt, buf, len, 1);
}

static void fmt_num(double v, const char *fmt, char *buf, size_t len)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, fmt, v);
}

static void write_summary_md(FILE *f, const struct agg *a)
{
	fprintf(f, "## %s: every point\n\n", a->name);
	if (a->description[0])
		fprintf(f, "%s\n\n", a->description);
	fprintf(f, "Mean ± standard deviation over the repetitions that "
		"completed. Dirty rate: pages reported dirty per second, "
		"over the live-stage syncs (as qemu-mplm reports them).\n\n");
	fprintf(f, "| workload | algorithm | parameters | VM | link | runs "
		"(ok/not conv./failed) | total time (s) | downtime (s) | "
		"live time (s) | sent (GiB) | sent / VM | touched (GiB) | "
		"dirty rate (pages/s) | metadata (KiB) |\n");
	fprintf(f, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < a->n; i++) {
		const struct agg_point *p = &a->v[i];
		char params[192], vm[32], bw[32], t[48], d[48], l[48], s[48],
			r[48], tc[48], dr[48], md[48];
		point_params(p, params, sizeof(params));
		units_format_size((uint64_t)p->vm_bytes, vm, sizeof(vm));
		units_format_bandwidth(p->bandwidth, bw, sizeof(bw));
		fmt_ms(&p->m[AGG_TOTAL], t, sizeof(t), 1);
		fmt_ms(&p->m[AGG_DOWNTIME], d, sizeof(d), 1);
		fmt_ms(&p->m[AGG_LIVE], l, sizeof(l), 1);
		fmt_ms(&p->m[AGG_TRANSFERRED], s, sizeof(s), 1.0 / (1 << 30));
		fmt_ms(&p->m[AGG_SENT_RATIO], r, sizeof(r), 1);
		fmt_ms(&p->m[AGG_TOUCHED], tc, sizeof(tc), 1.0 / (1 << 30));
		fmt_num(p->m[AGG_SYNC_RATE].mean, "%.0f", dr, sizeof(dr));
		fmt_num(p->m[AGG_METADATA].mean / 1024, "%.0f", md, sizeof(md));
		fprintf(f, "| %s | %s | %s | %s | %s | %zu/%zu/%zu | %s | %s | "
			"%s | %s | %s | %s | %s | %s |\n", p->label,
			p->alg_name, params, vm, bw, p->completed,
			p->not_converged, p->failed, t, d, l, s, r, tc, dr, md);
	}
	fputc('\n', f);
}

/* ",value", or "," for a setting that does not apply. */
static void csv_setting(FILE *f, double v)
{
	if (isnan(v))
		fputc(',', f);
	else
		fprintf(f, ",%g", v);
}

/* The machine's own figures, apart: they differ on every run, and the
 * summaries must stay the same when nothing changed. */
static void write_machine_md(FILE *f, const struct agg *a)
{
	fprintf(f, "## %s: this machine\n\n", a->name);
	fprintf(f, "Wall time of each run (fork to reap, mean ± standard "
		"deviation) and the largest peak RSS of its worker process. "
		"They depend on the machine and its load: not in git.\n\n");
	fprintf(f, "| workload | algorithm | parameters | runs | wall time (s) "
		"| peak RSS (MiB) |\n|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < a->n; i++) {
		const struct agg_point *p = &a->v[i];
		char params[192], w[48], rss[48];
		point_params(p, params, sizeof(params));
		fmt_ms(&p->m[AGG_WALL], w, sizeof(w), 1);
		fmt_num(p->m[AGG_PEAK_RSS].max / (1 << 20), "%.1f", rss,
			sizeof(rss));
		fprintf(f, "| %s | %s | %s | %zu | %s | %s |\n", p->label,
			p->alg_name, params, p->runs, w, rss);
	}
	fputc('\n', f);
}

static const char *const metric_names[AGG_NMETRICS] = {
		"total_time", "downtime", "live_time", "setup_time",
		"transferred_bytes", "sent_ratio", "touched_bytes",
		"trace_dirty_rate", "sync_dirty_rate", "metadata_bytes",
		"syncs", "guest_lost", "cpu_throttle_percentage",
		"postcopy_requests", "postcopy_wait", "postcopy_time",
		"peak_rss_bytes", "wall_seconds",
};

/* One line per point with the statistics of the metrics ks[0..nk). */
static void write_metrics_csv(FILE *f, const struct agg *a,
			      const enum agg_metric *ks, size_t nk)
{
	fprintf(f, "workload,algorithm_name,algorithm,downtime_limit,"
		"dirtypercents,intervaltime,auto_converge,vm_bytes,"
		"link_bandwidth,runs,"
		"completed,not_converged,failed");
	for (size_t i = 0; i < nk; i++) {
		const char *n = metric_names[ks[i]];
		fprintf(f, ",%s_mean,%s_sd,%s_min,%s_max", n, n, n, n);
	}
	fputc('\n', f);
	for (size_t i = 0; i < a->n; i++) {
		const struct agg_point *p = &a->v[i];
		fprintf(f, "%s,%s,%s", p->workload, p->alg_name, p->algorithm);
		csv_setting(f, p->downtime_limit);
		csv_setting(f, p->dirtypercents);
		csv_setting(f, p->intervaltime);
		csv_setting(f, p->auto_converge);
		fprintf(f, ",%lld,%.0f,%zu,%zu,%zu,%zu", (long long)p->vm_bytes,
			p->bandwidth, p->runs, p->completed, p->not_converged,
			p->failed);
		for (size_t k = 0; k < nk; k++) {
			const struct agg_stat *s = &p->m[ks[k]];
			if (s->n)
				fprintf(f, ",%.6g,%.6g,%.6g,%.6g", s->mean,
					s->sd, s->min, s->max);
			else
				fprintf(f, ",,,,");
		}
		fputc('\n', f);
	}
}

/* The same for the metrics [k0, k1). */
static void write_points_csv(FILE *f, const struct agg *a, int k0, int k1)
{
	enum agg_metric ks[AGG_NMETRICS];
	size_t nk = 0;
	for (int k = k0; k < k1; k++)
		ks[nk++] = (enum agg_metric)k;
	write_metrics_csv(f, a, ks, nk);
}

/* ------------------------------------------------------------------ */
/* The baselines table: what the baselines figure shows, per workload and
 * algorithm, with the throttle auto-converge reached and, once any run
 * has them, post-copy's figures. */

static const enum agg_metric baseline_metrics[] = {
	AGG_TOTAL, AGG_DOWNTIME, AGG_GUEST_LOST, AGG_THROTTLE,
	AGG_POSTCOPY_REQUESTS, AGG_POSTCOPY_WAIT, AGG_POSTCOPY_TIME,
};
/* Times to 3 significant digits (NULL: fmt_sig3); counts and
 * percentages whole. */
static const char *const baseline_formats[] = {
	NULL, NULL, NULL, "%.0f", "%.0f", NULL, NULL,
};
#define NBASELINE (sizeof(baseline_metrics) / sizeof(baseline_metrics[0]))
#define NBASELINE_PRE 4   /* the columns before post-copy's */

static bool any_postcopy(const struct agg *a)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].m[AGG_POSTCOPY_REQUESTS].n)
			return true;
	return false;
}

static void write_baselines_md(FILE *f, const struct agg *a)
{
	bool pc = any_postcopy(a);
	size_t nk = pc ? NBASELINE : NBASELINE_PRE;
	fprintf(f, "## %s: total time, downtime and the guest's lost work\n\n",
		a->name);
	if (a->description[0])
		fprintf(f, "%s\n\n", a->description);
	fprintf(f, "Mean ± standard deviation over the runs that completed "
		"(a point none of whose runs completed has no times: it says "
		"why). Guest lost: trace time the guest did not run while "
		"migrating (throttled by auto-converge, waiting on post-copy's "
		"faults); the downtime comes on top. Throttle: the CPU "
		"throttle auto-converge had reached when the live stage "
		"ended.\n\n");
	fprintf(f, "| workload | algorithm | parameters | runs (ok/not conv./"
		"failed) | total time (s) | downtime (s) | guest lost (s) | "
		"throttle (%%) |%s\n", pc ? " remote faults | fault wait (s) | "
		"degradation window (s) |" : "");
	fprintf(f, "|---|---|---|---|---|---|---|---|%s\n",
		pc ? "---|---|---|" : "");
	for (size_t i = 0; i < a->n; i++) {
		const struct agg_point *p = &a->v[i];
		char params[192];
		point_params(p, params, sizeof(params));
		fprintf(f, "| %s | %s | %s | %zu/%zu/%zu |", p->label,
			p->alg_name, params, p->completed, p->not_converged,
			p->failed);
		for (size_t k = 0; k < nk; k++) {
			char v[48];
			if (!p->completed)
				snprintf(v, sizeof(v), "%s", k ? "-" :
					 p->failed ? "failed" : "not converged");
			else if (!baseline_formats[k])
				fmt_sig3(&p->m[baseline_metrics[k]], v,
					 sizeof(v));
			else
				fmt_stat(&p->m[baseline_metrics[k]],
					 baseline_formats[k], v, sizeof(v), 1);
			fprintf(f, " %s |", v);
		}
		fputc('\n', f);
	}
	fputc('\n', f);
}

/* ------------------------------------------------------------------ */
/* Table I: MPLM downtime against the dirty page rate. */

struct table1_row {
	const char *workload, *label;
	double paper_down, paper_rate;
	double down, down_sd, sync_rate, trace_rate;
};

static size_t table1_rows(const struct agg *a, const struct references *rs,
			  struct table1_row *rows, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < rs->n && n < cap; i++) {
		const struct reference *r = &rs->v[i];
		if (strcmp(r->metric, "dirty-rate"))
			continue;
		const struct agg_point *p = agg_find_mplm(a, r->workload);
		if (!p || !p->m[AGG_DOWNTIME].n)
			continue;
		const struct reference *d = find_reference(rs, r->workload,
							   "downtime",
							   p->alg_name);
		rows[n++] = (struct table1_row){
			.workload = r->workload, .label = p->label,
			.paper_down = d ? d->value : NAN,
			.paper_rate = r->value,
			.down = p->m[AGG_DOWNTIME].mean,
			.down_sd = p->m[AGG_DOWNTIME].sd,
			.sync_rate = p->m[AGG_SYNC_RATE].mean,
			.trace_rate = p->m[AGG_TRACE_RATE].mean,
		};
	}
	return n;
}

/* Pearson's r of two columns of the rows; NAN below 3 rows. */
static double pearson(const struct table1_row *rows, size_t n, size_t xoff,
		      size_t yoff)
{
	if (n < 3)
		return NAN;
	double x[64], y[64];
	for (size_t i = 0; i < n && i < 64; i++) {
		x[i] = *(const double *)((const char *)&rows[i] + xoff);
		y[i] = *(const double *)((const char *)&rows[i] + yoff);
	}
	return gsl_stats_correlation(x, 1, y, 1, n);
}

struct table1 {
	struct table1_row rows[64];
	size_t n;
	double r_paper, r_sync, r_trace;
};

static void make_table1(const struct agg *a, const struct references *rs,
			struct table1 *t)
{
	t->n = table1_rows(a, rs, t->rows, 64);
	t->r_paper = pearson(t->rows, t->n, offsetof(struct table1_row, paper_down),
			     offsetof(struct table1_row, paper_rate));
	t->r_sync = pearson(t->rows, t->n, offsetof(struct table1_row, down),
			    offsetof(struct table1_row, sync_rate));
	t->r_trace = pearson(t->rows, t->n, offsetof(struct table1_row, down),
			     offsetof(struct table1_row, trace_rate));
}

static void write_table1_md(FILE *f, const struct agg *a, const struct table1 *t)
{
	fprintf(f, "## %s: Table I, MPLM downtime versus dirty page rate\n\n",
		a->name);
	fprintf(f, "| benchmark | MPLM downtime, paper (s) | MPLM downtime, "
		"mplm-lab (s) | dirty rate, paper (pages/s) | dirty rate per "
		"sync, mplm-lab (pages/s) | dirty rate per 100 ms log, "
		"mplm-lab (pages/s) |\n|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < t->n; i++) {
		const struct table1_row *r = &t->rows[i];
		char sr[32], tr[32];
		fmt_num(r->sync_rate, "%.0f", sr, sizeof(sr));
		fmt_num(r->trace_rate, "%.0f", tr, sizeof(tr));
		fprintf(f, "| %s | %.2f | %.2f ± %.2f | %.2f | %s | %s |\n",
			r->label, r->paper_down, r->down, r->down_sd,
			r->paper_rate, sr, tr);
	}
	fprintf(f, "\nPearson's r (downtime, dirty rate): paper %.4f; "
		"mplm-lab %.4f (per-sync rate), %.4f (100 ms log rate).\n\n",
		t->r_paper, t->r_sync, t->r_trace);
}

static void write_table1_csv(FILE *f, const struct table1 *t)
{
	fprintf(f, "workload,paper_downtime,downtime_mean,downtime_sd,"
		"paper_dirty_rate,sync_dirty_rate,trace_dirty_rate\n");
	for (size_t i = 0; i < t->n; i++) {
		const struct table1_row *r = &t->rows[i];
		fprintf(f, "%s,%.4g,%.6g,%.6g,%.8g,%.8g,%.8g\n", r->workload,
			r->paper_down, r->down, r->down_sd, r->paper_rate,
			r->sync_rate, r->trace_rate);
	}
	fprintf(f, "pearson_r,%.6g,%.6g,,,%.6g,%.6g\n", t->r_paper, t->r_sync,
		t->r_sync, t->r_trace);
}

/* ------------------------------------------------------------------ */
/* Paper versus mplm-lab: every reference number. */

struct comparison {
	const char *label;
	char what[128];
	double paper, ours, ours_sd;
	size_t n;
	bool approx;
};

static void describe(const struct reference *r, const struct agg_point *p,
		     char *buf, size_t len)
{
	const char *m = !strcmp(r->metric, "total") ? "total time (s)"
			: !strcmp(r->metric, "downtime") ? "downtime (s)"
							 : "dirty rate (pages/s)";
	if (!r->alg_name)
		snprintf(buf, len, "%s", m);
	else if (p && !strcmp(p->algorithm, "precopy"))
		snprintf(buf, len, "pre-copy %s, limit %g s", m, r->param);
	else
		snprintf(buf, len, "%s %s", r->alg_name, m);
}

static bool compare_one(const struct agg *a, const struct reference *r,
			struct comparison *c)
{
	const struct agg_point *p;
	enum agg_metric k;
	if (!r->alg_name) {
		p = agg_find_mplm(a, r->workload);
		k = AGG_SYNC_RATE;
	} else {
		p = agg_find(a, r->workload, r->alg_name, r->param);
		k = !strcmp(r->metric, "total") ? AGG_TOTAL : AGG_DOWNTIME;
	}
	if (!p)
		return false;
	*c = (struct comparison){
		.label = p->label, .paper = r->value, .ours = p->m[k].mean,
		.ours_sd = p->m[k].sd, .n = p->m[k].n, .approx = r->approx,
	};
	describe(r, p, c->what, sizeof(c->what));
	return true;
}

static void pct(double ours, double paper, char *buf, size_t len)
{
	if (isnan(ours) || paper == 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%+.1f %%", (ours - paper) / paper * 100);
}

static void write_comparison(FILE *md, FILE *csv, const struct agg *a,
			     const struct references *rs, const struct table1 *t)
{
	fprintf(md, "## %s: paper versus mplm-lab\n\n", a->name);
	fprintf(md, "Paper: Chanchio and Yaothanee (2018), Figure 4 and Table I "
		"(~ = read off the figure). mplm-lab: mean ± sd over the "
		"completed repetitions, n = their number.\n\n");
	fprintf(md, "| benchmark | quantity | paper | mplm-lab | n | "
		"difference |\n|---|---|---|---|---|---|\n");
	fprintf(csv, "workload,quantity,paper,approx,mplm_lab_mean,"
		"mplm_lab_sd,n,difference_pct\n");
	for (size_t i = 0; i < rs->n; i++) {
		struct comparison c;
		if (!compare_one(a, &rs->v[i], &c))
			continue;
		char d[32];
		pct(c.ours, c.paper, d, sizeof(d));
		char ours[64];
		if (isnan(c.ours))
			snprintf(ours, sizeof(ours), "-");
		else
			snprintf(ours, sizeof(ours), "%.2f ± %.2f", c.ours,
				 c.ours_sd);
		fprintf(md, "| %s | %s | %s%.6g | %s | %zu | %s |\n", c.label,
			c.what, c.approx ? "~" : "", c.paper, ours, c.n, d);
		fprintf(csv, "%s,%s,%.8g,%d,%.8g,%.8g,%zu,%.4g\n",
			rs->v[i].workload, c.what, c.paper, c.approx, c.ours,
			c.ours_sd, c.n,
			isnan(c.ours) ? NAN : (c.ours - c.paper) / c.paper * 100);
	}
	if (t->n >= 3) {
		char d[32];
		pct(t->r_sync, t->r_paper, d, sizeof(d));
		fprintf(md, "| all | Pearson r, MPLM downtime vs dirty rate | "
			"%.4f | %.4f | %zu | %s |\n", t->r_paper, t->r_sync,
			t->n, d);
		fprintf(csv, "all,pearson_r,%.6g,0,%.6g,,%zu,%.4g\n",
			t->r_paper, t->r_sync, t->n,
			(t->r_sync - t->r_paper) / t->r_paper * 100);
	}
	fputc('\n', md);
}

/* ------------------------------------------------------------------ */

int report_echo(const char *dir, const char *name, FILE *echo)
{
	char path[4200], buf[8192];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, echo);
	fclose(f);
	return 0;
}

int report_experiment(expdb *db, const char *experiment, const char *outdir,
		      FILE *echo, char *err, size_t errlen)
{
	struct agg a;
	struct references rs;
	char dir[4096];
	if (agg_load(db, experiment, &a, err, errlen) < 0)
		return -1;
	if (load_references(db, experiment, &rs) < 0 ||
	    report_dir(outdir, experiment, dir, sizeof(dir), err, errlen) < 0) {
		agg_free(&a);
		return -1;
	}
	struct table1 t;
	make_table1(&a, &rs, &t);
	int rc = -1;
	FILE *f;
	if (!(f = open_out(dir, "summary.md", err, errlen)))
		goto out;
	write_summary_md(f, &a);
	if (close_out(f, "summary.md", err, errlen) ||
	    !(f = open_out(dir, "summary.csv", err, errlen)))
		goto out;
	write_points_csv(f, &a, 0, AGG_MACHINE0);
	if (close_out(f, "summary.csv", err, errlen) ||
	    !(f = open_out(dir, "machine.md", err, errlen)))
		goto out;
	write_machine_md(f, &a);
	if (close_out(f, "machine.md", err, errlen) ||
	    !(f = open_out(dir, "machine.csv", err, errlen)))
		goto out;
	write_points_csv(f, &a, AGG_MACHINE0, AGG_NMETRICS);
	if (close_out(f, "machine.csv", err, errlen))
		goto out;
	if (rs.n) {
		FILE *md = open_out(dir, "paper-vs-mplm-lab.md", err, errlen);
		FILE *csv = md ? open_out(dir, "paper-vs-mplm-lab.csv", err,
					  errlen) : NULL;
		if (!csv) {
			if (md)
				fclose(md);
			goto out;
		}
		write_comparison(md, csv, &a, &rs, &t);
		if (close_out(md, "paper-vs-mplm-lab.md", err, errlen) |
		    close_out(csv, "paper-vs-mplm-lab.csv", err, errlen))
			goto out;
	}
	if (!strcmp(a.figure, "baselines")) {
		if (!(f = open_out(dir, "baselines.md", err, errlen)))
			goto out;
		write_baselines_md(f, &a);
		if (close_out(f, "baselines.md", err, errlen) ||
		    !(f = open_out(dir, "baselines.csv", err, errlen)))
			goto out;
		write_metrics_csv(f, &a, baseline_metrics,
				  any_postcopy(&a) ? NBASELINE : NBASELINE_PRE);
		if (close_out(f, "baselines.csv", err, errlen))
			goto out;
	}
	if (t.n) {
		FILE *md = open_out(dir, "table1.md", err, errlen);
		FILE *csv = md ? open_out(dir, "table1.csv", err, errlen) : NULL;
		if (!csv) {
			if (md)
				fclose(md);
			goto out;
		}
		write_table1_md(md, &a, &t);
		write_table1_csv(csv, &t);
		if (close_out(md, "table1.md", err, errlen) |
		    close_out(csv, "table1.csv", err, errlen))
			goto out;
	}
	if (echo) {
		report_echo(dir, "summary.md", echo);
		if (!strcmp(a.figure, "baselines"))
			report_echo(dir, "baselines.md", echo);
		if (t.n)
			report_echo(dir, "table1.md", echo);
		if (rs.n)
			report_echo(dir, "paper-vs-mplm-lab.md", echo);
	}
	rc = 0;
out:
	free_references(&rs);
	agg_free(&a);
	return rc;
}
