/*
 * plot.c - figures from the results database: for each figure a data file
 * and a gnuplot script in OUTDIR/EXPERIMENT/, run to PNG (pngcairo) and
 * SVG.
 *
 *   fig4    the paper's Figure 4 per workload: pre-copy total time and
 *           downtime against the downtime limit, MPLM as points at x = its
 *           own downtime; and all workloads on one page (fig4.png).
 *   bounds  MPLM total time and downtime against the memory bound
 *           VM / (bandwidth x (1 - dirtypercents/100)).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agg.h"
#include "report.h"
#include "units.h"

#define FONT "DejaVu Sans"
#define C_TOTAL "#1f5fa8"
#define C_DOWN "#c0392b"

static bool isalnum_ascii(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* A name safe in file names and gnuplot strings. */
static void safe_name(const char *s, char *buf, size_t len)
{
	size_t i = 0;
	for (; *s && i + 1 < len; s++)
		buf[i++] = (isalnum_ascii(*s) || strchr("._-", *s)) ? *s : '_';
	buf[i] = '\0';
}

static int run_gnuplot(const char *dir, const char *script, char *err,
		       size_t errlen)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		if (chdir(dir) < 0)
			_exit(126);
		execlp("gnuplot", "gnuplot", script, (char *)NULL);
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	snprintf(err, errlen, "gnuplot %s/%s failed (%s %d)", dir, script,
		 WIFEXITED(status) ? "exit status" : "signal",
		 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	return -1;
}

static FILE *open_in(const char *dir, const char *name, char *err,
		     size_t errlen)
{
	char path[4300];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	return f;
}

static int finish(FILE *f, const char *name, char *err, size_t errlen)
{
	if (ferror(f) | fclose(f)) {
		snprintf(err, errlen, "%s: write error", name);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Figure 4. */

struct group {
	const char *workload, *label;
	int64_t vm_bytes;
	double bandwidth;
	char stem[160];     /* file name without extension */
	char title[256];
};

static bool same_group(const struct agg_point *p, const struct group *g)
{
	return !strcmp(p->workload, g->workload) && p->vm_bytes == g->vm_bytes &&
	       p->bandwidth == g->bandwidth;
}

static size_t distinct_setups(const struct agg *a)
{
	size_t n = 0;
	for (size_t i = 0; i < a->n; i++) {
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = a->v[j].vm_bytes == a->v[i].vm_bytes &&
			       a->v[j].bandwidth == a->v[i].bandwidth;
		n += !seen;
	}
	return n;
}

static size_t collect_groups(const struct agg *a, struct group *g, size_t cap)
{
	size_t n = 0;
	bool suffix = distinct_setups(a) > 1;
	for (size_t i = 0; i < a->n && n < cap; i++) {
		const struct agg_point *p = &a->v[i];
		bool seen = false;
		for (size_t j = 0; j < n && !seen; j++)
			seen = same_group(p, &g[j]);
		if (seen)
			continue;
		struct group *x = &g[n++];
		char w[64], vm[32], bw[32];
		*x = (struct group){ .workload = p->workload, .label = p->label,
				     .vm_bytes = p->vm_bytes,
				     .bandwidth = p->bandwidth };
		safe_name(p->workload, w, sizeof(w));
		units_format_size((uint64_t)p->vm_bytes, vm, sizeof(vm));
		units_format_bandwidth(p->bandwidth, bw, sizeof(bw));
		if (suffix) {
			char v2[32], b2[32];
			safe_name(vm, v2, sizeof(v2));
			safe_name(bw, b2, sizeof(b2));
			snprintf(x->stem, sizeof(x->stem), "fig4-%s-%s-%s", w,
				 v2, b2);
		} else {
			snprintf(x->stem, sizeof(x->stem), "fig4-%s", w);
		}
		snprintf(x->title, sizeof(x->title), "%s: %s VM, %s link",
			 p->label, p->vm_bytes ? vm : "trace-sized", bw);
	}
	return n;
}

/* Rows: x, total mean min max, downtime mean min max, runs. Bars show
 * the range of the repetitions (a standard deviation bar can dip below
 * zero, which a log axis cannot show). */
static void data_row(FILE *f, double x, const struct agg_point *p)
{
	const struct agg_stat *t = &p->m[AGG_TOTAL], *d = &p->m[AGG_DOWNTIME];
	fprintf(f, "%.6g %.6g %.6g %.6g %.6g %.6g %.6g %zu\n", x, t->mean,
		t->min, t->max, d->mean, d->min, d->max, t->n);
}

static int by_limit(const void *a, const void *b)
{
	const struct agg_point *x = *(const struct agg_point *const *)a;
	const struct agg_point *y = *(const struct agg_point *const *)b;
	return (x->downtime_limit > y->downtime_limit) -
	       (x->downtime_limit < y->downtime_limit);
}

/* index 0: pre-copy by limit; index 1: MPLM at x = its downtime. */
static size_t write_fig4_data(FILE *f, const struct agg *a,
			      const struct group *g, double *ymin, double *ymax)
{
	size_t reps = 0;
	const struct agg_point **sorted = malloc((a->n + 1) * sizeof(*sorted));
	if (!sorted)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		sorted[i] = &a->v[i];
	qsort(sorted, a->n, sizeof(*sorted), by_limit);
	fprintf(f, "# %s\n# x total_mean total_min total_max downtime_mean "
		"downtime_min downtime_max n\n"
		"# pre-copy: x = downtime limit (s)\n", g->title);
	for (int pass = 0; pass < 2; pass++) {
		if (pass)
			fprintf(f, "\n\n# MPLM: x = its own mean downtime (s)\n");
		for (size_t i = 0; i < a->n; i++) {
			const struct agg_point *p = sorted[i];
			bool want = pass ? !strcmp(p->algorithm, "mplm")
					 : !strcmp(p->algorithm, "precopy");
			if (!want || !same_group(p, g) || !p->m[AGG_TOTAL].n)
				continue;
			data_row(f, pass ? p->m[AGG_DOWNTIME].mean
					 : p->downtime_limit, p);
			*ymin = fmin(*ymin, p->m[AGG_DOWNTIME].min);
			*ymax = fmax(*ymax, p->m[AGG_TOTAL].max);
			if (p->m[AGG_TOTAL].n > reps)
				reps = p->m[AGG_TOTAL].n;
		}
	}
	/* gnuplot needs a row in every block. */
	fprintf(f, "\n\n# end\nNaN NaN NaN NaN NaN NaN NaN 0\n");
	free(sorted);
	return reps;
}

static void fig4_plot_cmd(FILE *f, const char *stem, bool keys)
{
	const char *k = keys ? "" : "notitle";
	fprintf(f,
		"plot '%s.dat' index 0 using 1:2:3:4 with yerrorlines lw 3 "
		"pt 7 ps 1.6 lc rgb '" C_TOTAL "' %s%s, \\\n"
		"     '' index 0 using 1:5:6:7 with yerrorlines lw 3 pt 5 ps 1.4 "
		"dt 2 lc rgb '" C_DOWN "' %s%s, \\\n"
		"     '' index 1 using 1:2:3:4 with yerrorbars pt 9 ps 3.5 lw 2 "
		"lc rgb '" C_TOTAL "' %s%s, \\\n"
		"     '' index 1 using 1:5:6:7 with yerrorbars pt 11 ps 3.5 lw 2 "
		"lc rgb '" C_DOWN "' %s%s\n",
		stem, k, keys ? "title 'pre-copy: total time'" : "",
		k, keys ? "title 'pre-copy: downtime'" : "",
		k, keys ? "title 'MPLM: total time'" : "",
		k, keys ? "title 'MPLM: downtime'" : "");
}

static void fig4_axes(FILE *f, const char *title, double ymin, double ymax)
{
	double lo = pow(10, floor(log10(fmax(ymin, 1e-3) * 0.8)));
	double hi = pow(10, ceil(log10(fmax(ymax, 1) * 1.25)));
	fprintf(f, "set title \"%s\"\n"
		"set xlabel 'pre-copy downtime limit (s)   [MPLM: at x = its downtime]'\n"
		"set ylabel 'time (s), log scale'\n"
		"set logscale y\nset yrange [%g:%g]\nset xrange [-2:125]\n"
		"set xtics 0,20,120\nset mxtics 2\n"
		"set grid xtics ytics mytics lw 1 lc rgb '#dddddd'\n"
		"set border lw 1.5\n", title, lo, hi);
}

static int plot_fig4_group(const char *dir, const struct agg *a,
			   const struct group *g, char *err, size_t errlen)
{
	char name[200];
	double ymin = INFINITY, ymax = 0;
	snprintf(name, sizeof(name), "%s.dat", g->stem);
	FILE *f = open_in(dir, name, err, errlen);
	if (!f)
		return -1;
	size_t reps = write_fig4_data(f, a, g, &ymin, &ymax);
	if (finish(f, name, err, errlen))
		return -1;
	snprintf(name, sizeof(name), "%s.gp", g->stem);
	if (!(f = open_in(dir, name, err, errlen)))
		return -1;
	char title[400];
	snprintf(title, sizeof(title), "%s (mean of %zu runs, bars: min-max)",
		 g->title, reps);
	fprintf(f, "# %s/%s: generated by mplm-exp plot\n", a->name, name);
	for (int svg = 0; svg < 2; svg++) {
		if (svg)
			fprintf(f, "set terminal svg size 1200,800 dynamic "
				"enhanced font '" FONT ",18'\nset output '%s.svg'\n",
				g->stem);
		else
			fprintf(f, "set terminal pngcairo size 1200,800 enhanced "
				"font '" FONT ",18'\nset output '%s.png'\n",
				g->stem);
		fig4_axes(f, title, ymin, ymax);
		fprintf(f, "set key bottom right box opaque spacing 1.2\n");
		fig4_plot_cmd(f, g->stem, true);
		fprintf(f, "unset output\n");
	}
	if (finish(f, name, err, errlen))
		return -1;
	return run_gnuplot(dir, name, err, errlen);
}

/* All groups on one page, two columns, the paper's layout. */
static int plot_fig4_page(const char *dir, const struct agg *a,
			  const struct group *g, size_t n, char *err,
			  size_t errlen)
{
	FILE *f = open_in(dir, "fig4.gp", err, errlen);
	if (!f)
		return -1;
	size_t cols = n > 1 ? 2 : 1, rows = (n + cols - 1) / cols;
	fprintf(f, "# %s/fig4.gp: generated by mplm-exp plot\n", a->name);
	for (int svg = 0; svg < 2; svg++) {
		fprintf(f, "set terminal %s size %zu,%zu enhanced font '" FONT
			",16'\nset output 'fig4.%s'\n",
			svg ? "svg dynamic" : "pngcairo", 900 * cols,
			650 * rows + 60, svg ? "svg" : "png");
		fprintf(f, "set multiplot layout %zu,%zu title \"%s: pre-copy "
			"total time and downtime vs downtime limit; MPLM as "
			"points\" font '" FONT ",20'\n", rows, cols, a->name);
		for (size_t i = 0; i < n; i++) {
			double ymin = INFINITY, ymax = 0;
			for (size_t k = 0; k < a->n; k++) {
				if (!same_group(&a->v[k], &g[i]) ||
				    !a->v[k].m[AGG_TOTAL].n)
					continue;
				ymin = fmin(ymin, a->v[k].m[AGG_DOWNTIME].min);
				ymax = fmax(ymax, a->v[k].m[AGG_TOTAL].max);
			}
			fig4_axes(f, g[i].title, ymin, ymax);
			fprintf(f, "set key bottom right box opaque font '" FONT
				",13'\n");
			fig4_plot_cmd(f, g[i].stem, true);
		}
		fprintf(f, "unset multiplot\nunset output\n");
	}
	if (finish(f, "fig4.gp", err, errlen))
		return -1;
	return run_gnuplot(dir, "fig4.gp", err, errlen);
}

static int plot_fig4(const char *dir, const struct agg *a, char *err,
		     size_t errlen)
{
	struct group g[64];
	size_t n = collect_groups(a, g, 64);
	for (size_t i = 0; i < n; i++)
		if (plot_fig4_group(dir, a, &g[i], err, errlen) < 0)
			return -1;
	return n ? plot_fig4_page(dir, a, g, n, err, errlen) : 0;
}

/* ------------------------------------------------------------------ */
/* The memory bound. */

static double bound_of(const struct agg_point *p)
{
	return (double)p->vm_bytes /
	       (p->bandwidth * (1 - p->dirtypercents / 100.0));
}

/* One block (index) per workload: bound, total, sd, downtime, sd, live,
 * VM GiB, dirtypercents, intervaltime. */
static size_t write_bounds_data(FILE *f, const struct agg *a,
				const char **names, size_t cap)
{
	size_t nw = 0;
	fprintf(f, "# bound_s total_mean total_sd downtime_mean downtime_sd "
		"live_mean vm_gib dirtypercents intervaltime\n");
	for (size_t i = 0; i < a->n && nw < cap; i++) {
		const struct agg_point *p = &a->v[i];
		bool seen = false;
		for (size_t j = 0; j < nw && !seen; j++)
			seen = !strcmp(names[j], p->workload);
		if (seen || strcmp(p->algorithm, "mplm"))
			continue;
		names[nw] = p->workload;
		fprintf(f, "%s# %s\n", nw ? "\n\n" : "", p->label);
		for (size_t k = 0; k < a->n; k++) {
			const struct agg_point *q = &a->v[k];
			if (strcmp(q->workload, p->workload) ||
			    strcmp(q->algorithm, "mplm") ||
			    q->dirtypercents >= 100 || !q->vm_bytes ||
			    !q->m[AGG_TOTAL].n)
				continue;
			fprintf(f, "%.6g %.6g %.6g %.6g %.6g %.6g %.4g %d %g\n",
				bound_of(q), q->m[AGG_TOTAL].mean,
				q->m[AGG_TOTAL].sd, q->m[AGG_DOWNTIME].mean,
				q->m[AGG_DOWNTIME].sd, q->m[AGG_LIVE].mean,
				(double)q->vm_bytes / (1 << 30),
				q->dirtypercents, q->intervaltime);
		}
		nw++;
	}
	return nw;
}

static const char *label_of(const struct agg *a, const char *workload)
{
	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->v[i].workload, workload))
			return a->v[i].label;
	return workload;
}

/* Filled shapes for the first four workloads, open ones after. */
static size_t point_type(size_t i)
{
	static const size_t filled[] = { 5, 7, 9, 11, 13 };
	static const size_t open[] = { 4, 6, 8, 10, 12 };
	return i < 4 ? filled[i % 5] : open[(i - 4) % 5];
}

static void bounds_panel(FILE *f, const struct agg *a, const char **names,
			 size_t nw, int col, const char *ylabel, bool diag)
{
	static const char *const colors[] = {
		"#1f5fa8", "#c0392b", "#27ae60", "#8e44ad", "#d35400",
		"#16a085", "#7f8c8d", "#2c3e50",
	};
	fprintf(f, "set xlabel 'memory bound: VM / (bandwidth x (1 - "
		"dirtypercents/100)) (s)'\nset ylabel '%s'\n", ylabel);
	fprintf(f, "plot ");
	for (size_t i = 0; i < nw; i++)
		fprintf(f, "%s'bounds.dat' index %zu using 1:%d with points "
			"pt %zu ps 1.6 lw 2 lc rgb '%s' title '%s'",
			i ? ", \\\n     " : "", i, col, point_type(i),
			colors[i % 8], label_of(a, names[i]));
	if (diag)
		fprintf(f, ", \\\n     x with lines dt 2 lw 2 lc rgb '#555555' "
			"title 'live stage = bound'");
	fputc('\n', f);
}

static int plot_bounds(const char *dir, const struct agg *a, char *err,
		       size_t errlen)
{
	const char *names[32];
	FILE *f = open_in(dir, "bounds.dat", err, errlen);
	if (!f)
		return -1;
	size_t nw = write_bounds_data(f, a, names, 32);
	if (finish(f, "bounds.dat", err, errlen))
		return -1;
	if (!nw)
		return 0;
	if (!(f = open_in(dir, "bounds.gp", err, errlen)))
		return -1;
	fprintf(f, "# %s/bounds.gp: generated by mplm-exp plot\n", a->name);
	for (int svg = 0; svg < 2; svg++) {
		fprintf(f, "set terminal %s size 1800,900 enhanced font '" FONT
			",16'\nset output 'bounds.%s'\n",
			svg ? "svg dynamic" : "pngcairo", svg ? "svg" : "png");
		fprintf(f, "set multiplot layout 1,2 title \"%s: MPLM against "
			"its memory bound (mean of the repetitions; all VM "
			"sizes, dirtypercents, intervaltimes)\" font '" FONT
			",18'\nset logscale xy\nset grid lc rgb '#dddddd'\n"
			"set key outside bottom center horizontal maxrows 3 "
			"font '" FONT ",14'\nset border lw 1.5\n", a->name);
		fprintf(f, "set title 'total migration time'\nset yrange [*:*]\n");
		bounds_panel(f, a, names, nw, 2, "total time (s), log scale", true);
		fprintf(f, "set title 'downtime (0.5 ms: only the vCPU state "
			"was left)'\nset yrange [1e-4:*]\n");
		bounds_panel(f, a, names, nw, 4, "downtime (s), log scale", false);
		fprintf(f, "unset multiplot\nunset output\n");
	}
	if (finish(f, "bounds.gp", err, errlen))
		return -1;
	return run_gnuplot(dir, "bounds.gp", err, errlen);
}

int plot_experiment(expdb *db, const char *experiment, const char *outdir,
		    char *err, size_t errlen)
{
	struct agg a;
	char dir[4096];
	if (agg_load(db, experiment, &a, err, errlen) < 0)
		return -1;
	int rc = report_dir(outdir, experiment, dir, sizeof(dir), err, errlen);
	if (rc == 0 && !strcmp(a.figure, "fig4"))
		rc = plot_fig4(dir, &a, err, errlen);
	else if (rc == 0 && !strcmp(a.figure, "bounds"))
		rc = plot_bounds(dir, &a, err, errlen);
	agg_free(&a);
	return rc;
}
