/*
 * plot.c - figures from the results database: for each figure a data file
 * and a gnuplot script in OUTDIR/EXPERIMENT/, run to PNG (pngcairo) and
 * SVG (see plot.h). This file: the experiment's own figure (fig4 or
 * bounds) and the dispatch; plot_baselines.c, plot_tradeoff.c and
 * plot_generic.c the others.
 *
 *   fig4    the paper's Figure 4 per workload: pre-copy total time and
 *           downtime against the downtime limit, MPLM as points at x = its
 *           own downtime; and all workloads on one page (fig4.png).
 *   bounds  MPLM total time and downtime against the memory bound
 *           VM / (bandwidth x (1 - dirtypercents/100)).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "plot.h"
#include "plotlib.h"
#include "report.h"
#include "units.h"

#define C_TOTAL "#1f5fa8"
#define C_DOWN "#c0392b"

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
		plot_safe_name(p->workload, w, sizeof(w));
		units_format_size((uint64_t)p->vm_bytes, vm, sizeof(vm));
		units_format_bandwidth(p->bandwidth, bw, sizeof(bw));
		if (suffix) {
			char v2[32], b2[32];
			plot_safe_name(vm, v2, sizeof(v2));
			plot_safe_name(bw, b2, sizeof(b2));
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

/* Rows: x, total mean min max, downtime mean min max, runs, then the
 * point's settings (NaN where they do not apply) and its label. Bars show
 * the range of the repetitions (a standard deviation bar can dip below
 * zero, which a log axis cannot show). */
static void data_row(FILE *f, double x, const struct agg *a,
		     const struct agg_point *p)
{
	const struct agg_stat *t = &p->m[AGG_TOTAL], *d = &p->m[AGG_DOWNTIME];
	char label[128], quoted[160];
	plot_config_label(a, p, label, sizeof(label));
	plot_quote(label, quoted, sizeof(quoted));
	fprintf(f, "%.6g %.6g %.6g %.6g %.6g %.6g %.6g %zu %g %g %g \"%s\"\n",
		x, t->mean, t->min, t->max, d->mean, d->min, d->max, t->n,
		p->downtime_limit, p->dirtypercents, p->intervaltime, quoted);
}

static int by_limit(const void *a, const void *b)
{
	const struct agg_point *x = *(const struct agg_point *const *)a;
	const struct agg_point *y = *(const struct agg_point *const *)b;
	return (x->downtime_limit > y->downtime_limit) -
	       (x->downtime_limit < y->downtime_limit);
}

/* What a Figure 4 panel spans: its y (all times) and x (limits and MPLM
 * downtimes) extents, and how many MPLM configurations it shows. */
struct extent {
	double ymin, ymax, xmax;
	size_t mplm_points, reps;
	double ylo_axis, yhi_axis;   /* the time axis drawn */
};

static void extent_add(struct extent *x, const struct agg_point *p,
		       double at)
{
	x->ymin = fmin(x->ymin, p->m[AGG_DOWNTIME].min);
	x->ymax = fmax(x->ymax, p->m[AGG_TOTAL].max);
	x->xmax = fmax(x->xmax, fmax(at, p->m[AGG_DOWNTIME].max));
	if (p->m[AGG_TOTAL].n > x->reps)
		x->reps = p->m[AGG_TOTAL].n;
}

static void group_extent(const struct agg *a, const struct group *g,
			 struct extent *x)
{
	*x = (struct extent){ .ymin = INFINITY, .ymax = 0, .xmax = 0 };
	for (size_t i = 0; i < a->n; i++) {
		const struct agg_point *p = &a->v[i];
		if (!same_group(p, g) || !p->m[AGG_TOTAL].n)
			continue;
		bool mplm = !strcmp(p->algorithm, "mplm");
		if (!mplm && strcmp(p->algorithm, "precopy"))
			continue;
		x->mplm_points += mplm;
		extent_add(x, p, mplm ? p->m[AGG_DOWNTIME].mean
				      : p->downtime_limit);
	}
}

/* index 0: pre-copy by limit; index 1: MPLM at x = its downtime. */
static void write_fig4_data(FILE *f, const struct agg *a,
			    const struct group *g)
{
	const struct agg_point **sorted = malloc((a->n + 1) * sizeof(*sorted));
	if (!sorted)
		return;
	for (size_t i = 0; i < a->n; i++)
		sorted[i] = &a->v[i];
	qsort(sorted, a->n, sizeof(*sorted), by_limit);
	fprintf(f, "# %s\n# x total_mean total_min total_max downtime_mean "
		"downtime_min downtime_max n downtime_limit dirtypercents "
		"intervaltime label\n"
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
					 : p->downtime_limit, a, p);
		}
	}
	/* gnuplot needs a row in every block. */
	fprintf(f, "\n\n# end\nNaN NaN NaN NaN NaN NaN NaN 0 NaN NaN NaN \"\"\n");
	free(sorted);
}

/* The four series (the paper's figure). */
static void fig4_plot_cmd(FILE *f, const char *stem)
{
	fprintf(f,
		"plot '%s.dat' index 0 using 1:2:3:4 with yerrorlines lw 3 "
		"pt 7 ps 1.6 lc rgb '" C_TOTAL "' title 'pre-copy: total time', \\\n"
		"     '' index 0 using 1:5:6:7 with yerrorlines lw 3 pt 5 ps 1.4 "
		"dt 2 lc rgb '" C_DOWN "' title 'pre-copy: downtime', \\\n"
		"     '' index 1 using 1:2:3:4 with yerrorbars pt 9 ps 3.5 lw 2 "
		"lc rgb '" C_TOTAL "' title 'MPLM: total time', \\\n"
		"     '' index 1 using 1:5:6:7 with yerrorbars pt 11 ps 3.5 lw 2 "
		"lc rgb '" C_DOWN "' title 'MPLM: downtime'\n", stem);
}

/* Where a panel's labels go: its size in pixels (estimated: gnuplot sets
 * the margins) and the key's corner, which labels keep clear of. */
struct fig4_frame {
	double canvas_w, canvas_h, width, height, key_w, key_h, marker;
	int font_size;
};

/* With several MPLM configurations, each MPLM point is labelled by what
 * tells it apart (dp 30, ...), clear of the other points and the key. */
static void fig4_labels(FILE *f, const struct agg *a, const struct group *g,
			const struct extent *x, const struct fig4_frame *fr)
{
	if (x->mplm_points < 2) {
		fprintf(f, "unset label\n");
		return;
	}
	struct plot_labels l = {
		.x = { -x->xmax * 0.02, x->xmax * 1.25, false },
		.y = { x->ylo_axis, x->yhi_axis, true },
		.width = fr->width, .height = fr->height,
		.canvas_w = fr->canvas_w, .canvas_h = fr->canvas_h,
		.font_size = fr->font_size, .marker = fr->marker,
	};
	plot_labels_block(&l, fr->width - fr->key_w, 0, fr->width, fr->key_h);
	for (size_t i = 0; i < a->n; i++) {
		const struct agg_point *p = &a->v[i];
		if (!same_group(p, g) || !p->m[AGG_TOTAL].n ||
		    strcmp(p->algorithm, "precopy"))
			continue;
		plot_labels_point(&l, p->downtime_limit, p->m[AGG_TOTAL].mean);
		plot_labels_point(&l, p->downtime_limit, p->m[AGG_DOWNTIME].mean);
	}
	for (size_t i = 0; i < a->n; i++) {
		const struct agg_point *p = &a->v[i];
		if (!same_group(p, g) || !p->m[AGG_TOTAL].n ||
		    strcmp(p->algorithm, "mplm"))
			continue;
		char label[120];
		double d = p->m[AGG_DOWNTIME].mean;
		plot_config_label(a, p, label, sizeof(label));
		plot_labels_add(&l, d, p->m[AGG_TOTAL].mean, label, C_TOTAL);
		plot_labels_add(&l, d, d, label, C_DOWN);
	}
	plot_labels_write(&l, f);
}

/* The paper's axes: a linear x from 0 to what the data reaches (0-120 s
 * for the paper's limits), a log time axis over whole decades. */
static void fig4_axes(FILE *f, const char *title, struct extent *x)
{
	x->ylo_axis = pow(10, floor(log10(fmax(x->ymin, 1e-3) * 0.8)));
	x->yhi_axis = pow(10, ceil(log10(fmax(x->ymax, 1) * 1.25)));
	double xmax = x->xmax > 0 ? x->xmax : 1;
	/* Room on the right for the labels of the MPLM points. */
	double right = x->mplm_points > 1 ? 1.25 : 1.04;
	x->xmax = xmax;
	fprintf(f, "set title \"%s\"\n"
		"set xlabel 'pre-copy downtime limit (s)   [MPLM: at x = its "
		"downtime%s]'\n"
		"set ylabel 'time (s), log scale'\n"
		"set logscale y\nset yrange [%g:%g]\nset xrange [%g:%g]\n"
		"set xtics autofreq\nset mxtics 2\n"
		"set grid xtics ytics mytics lw 1 lc rgb '#dddddd'\n"
		"set border lw 1.5\n", title,
		x->mplm_points > 1 ? "; dp: dirtypercents" : "", x->ylo_axis,
		x->yhi_axis, -xmax * 0.02, xmax * right);
}

static int plot_fig4_group(const char *dir, const struct agg *a,
			   const struct group *g, FILE *say, char *err,
			   size_t errlen)
{
	struct plot_out o = { .dir = dir, .say = say };
	snprintf(o.stem, sizeof(o.stem), "%s", g->stem);
	struct extent x;
	group_extent(a, g, &x);
	FILE *f = plot_open(&o, "dat", err, errlen);
	if (!f)
		return -1;
	write_fig4_data(f, a, g);
	if (plot_close(f, &o, "dat", err, errlen) ||
	    !(f = plot_open(&o, "gp", err, errlen)))
		return -1;
	char title[400];
	snprintf(title, sizeof(title), "%s (mean of %zu runs, bars: min-max)",
		 g->title, x.reps);
	fprintf(f, "# %s/%s.gp: generated by mplm-exp plot\n", a->name, o.stem);
	fprintf(f, "set style textbox opaque noborder margins 0.5,0.5\n");
	for (int svg = 0; svg < 2; svg++) {
		static const struct fig4_frame fr = {
			.canvas_w = 1200, .canvas_h = 800, .width = 1050,
			.height = 640, .key_w = 400, .key_h = 135,
			.font_size = 16, .marker = 20,
		};
		plot_terminal(f, &o, svg, 1200, 800, 18);
		fig4_axes(f, title, &x);
		fig4_labels(f, a, g, &x, &fr);
		fprintf(f, "set key bottom right box opaque spacing 1.2\n");
		fig4_plot_cmd(f, g->stem);
		fprintf(f, "unset output\n");
	}
	if (plot_close(f, &o, "gp", err, errlen))
		return -1;
	return plot_render(&o, err, errlen);
}

/* All groups on one page, two columns, the paper's layout. */
static int plot_fig4_page(const char *dir, const struct agg *a,
			  const struct group *g, size_t n, FILE *say,
			  char *err, size_t errlen)
{
	struct plot_out o = { .dir = dir, .stem = "fig4", .say = say };
	FILE *f = plot_open(&o, "gp", err, errlen);
	if (!f)
		return -1;
	int cols = n > 1 ? 2 : 1, rows = ((int)n + cols - 1) / cols;
	fprintf(f, "# %s/fig4.gp: generated by mplm-exp plot\n", a->name);
	fprintf(f, "set style textbox opaque noborder margins 0.5,0.5\n");
	for (int svg = 0; svg < 2; svg++) {
		plot_terminal(f, &o, svg, 900 * cols, 650 * rows + 60, 16);
		fprintf(f, "set multiplot layout %d,%d title \"%s: pre-copy "
			"total time and downtime vs downtime limit; MPLM as "
			"points\" font '" PLOT_FONT ",20'\n", rows, cols, a->name);
		for (size_t i = 0; i < n; i++) {
			struct extent x;
			group_extent(a, &g[i], &x);
			struct fig4_frame fr = {
				.canvas_w = 900.0 * cols,
				.canvas_h = 650.0 * rows + 60, .width = 740,
				.height = 480, .key_w = 290, .key_h = 95,
				.font_size = 12, .marker = 16,
			};
			fig4_axes(f, g[i].title, &x);
			fig4_labels(f, a, &g[i], &x, &fr);
			fprintf(f, "set key bottom right box opaque font '"
				PLOT_FONT ",13'\n");
			fig4_plot_cmd(f, g[i].stem);
		}
		fprintf(f, "unset multiplot\nunset output\n");
	}
	if (plot_close(f, &o, "gp", err, errlen))
		return -1;
	return plot_render(&o, err, errlen);
}

static int plot_fig4(const char *dir, const struct agg *a, FILE *say,
		     char *err, size_t errlen)
{
	struct group g[64];
	size_t n = collect_groups(a, g, 64);
	for (size_t i = 0; i < n; i++)
		if (plot_fig4_group(dir, a, &g[i], say, err, errlen) < 0)
			return -1;
	return n ? plot_fig4_page(dir, a, g, n, say, err, errlen) : 0;
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
			fprintf(f, "%.6g %.6g %.6g %.6g %.6g %.6g %.4g %g %g\n",
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

static int plot_bounds(const char *dir, const struct agg *a, FILE *say,
		       char *err, size_t errlen)
{
	const char *names[32];
	struct plot_out o = { .dir = dir, .stem = "bounds", .say = say };
	FILE *f = plot_open(&o, "dat", err, errlen);
	if (!f)
		return -1;
	size_t nw = write_bounds_data(f, a, names, 32);
	if (plot_close(f, &o, "dat", err, errlen))
		return -1;
	if (!nw)
		return 0;
	if (!(f = plot_open(&o, "gp", err, errlen)))
		return -1;
	fprintf(f, "# %s/bounds.gp: generated by mplm-exp plot\n", a->name);
	for (int svg = 0; svg < 2; svg++) {
		plot_terminal(f, &o, svg, 1800, 900, 16);
		fprintf(f, "set multiplot layout 1,2 title \"%s: MPLM against "
			"its memory bound (mean of the repetitions; all VM "
			"sizes, dirtypercents, intervaltimes)\" font '" PLOT_FONT
			",18'\nset logscale xy\nset grid lc rgb '#dddddd'\n"
			"set key outside bottom center horizontal maxrows 3 "
			"font '" PLOT_FONT ",14'\nset border lw 1.5\n", a->name);
		fprintf(f, "set title 'total migration time'\nset yrange [*:*]\n");
		bounds_panel(f, a, names, nw, 2, "total time (s), log scale", true);
		fprintf(f, "set title 'downtime (0.5 ms: only the vCPU state "
			"was left)'\nset yrange [1e-4:*]\n");
		bounds_panel(f, a, names, nw, 4, "downtime (s), log scale", false);
		fprintf(f, "unset multiplot\nunset output\n");
	}
	if (plot_close(f, &o, "gp", err, errlen))
		return -1;
	return plot_render(&o, err, errlen);
}

int plot_experiment(expdb *db, const char *experiment, const char *outdir,
		    const struct plot_request *req, FILE *say, char *err,
		    size_t errlen)
{
	struct agg a;
	char dir[4096];
	if (agg_load(db, experiment, &a, err, errlen) < 0)
		return -1;
	int rc = report_dir(outdir, experiment, dir, sizeof(dir), err, errlen);
	if (rc == 0 && req && req->x)
		rc = plot_generic(db, dir, experiment, req, say, err, errlen);
	else if (rc == 0) {
		if (!strcmp(a.figure, "fig4"))
			rc = plot_fig4(dir, &a, say, err, errlen);
		else if (!strcmp(a.figure, "bounds"))
			rc = plot_bounds(dir, &a, say, err, errlen);
		else if (!strcmp(a.figure, "baselines"))
			rc = plot_baselines(dir, &a, say, err, errlen);
		/* The baselines page shows both times per configuration
		 * already, and tells auto-converge apart, which the trade-off
		 * view's shapes (one per algorithm) cannot. */
		if (rc == 0 && strcmp(a.figure, "baselines"))
			rc = plot_tradeoff(dir, &a, say, err, errlen);
	}
	agg_free(&a);
	return rc;
}
