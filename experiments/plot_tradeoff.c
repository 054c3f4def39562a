/*
 * plot_tradeoff.c - the trade-off view: downtime against total migration
 * time, one labelled point per configuration (mean of its repetitions,
 * bars from min to max), colour per workload, shape per algorithm, a panel
 * per link speed (and VM size, if the experiment has several). Points of
 * one workload that land on the same spot (MPLM ending in its first
 * epoch, whatever its dirtypercents) get one label naming them all.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot.h"
#include "plotlib.h"
#include "units.h"

#define MAX_PANELS 16
#define TRADEOFF_MAX_POINTS 48
#define MAX_WORKLOADS 8

static const char *const colors[MAX_WORKLOADS] = {
	"#1f5fa8", "#c0392b", "#27ae60", "#8e44ad", "#d35400", "#16a085",
	"#7f8c8d", "#2c3e50",
};

static const char *const algorithms[] = { "precopy", "mplm", "stopcopy" };
#define NALG 3

struct panel {
	int64_t vm_bytes;
	double bandwidth;
	double xlo, xhi, ylo, yhi;   /* the data's extent */
	char title[128];
};

struct view {
	const struct agg *a;
	struct panel p[MAX_PANELS];
	size_t np;
	const char *workloads[MAX_WORKLOADS];
	const char *wlabels[MAX_WORKLOADS];
	size_t nw;
	size_t reps;
};

static bool drawn(const struct agg_point *p)
{
	return p->m[AGG_TOTAL].n > 0 && p->m[AGG_DOWNTIME].n > 0;
}

static size_t find_panel(const struct view *v, const struct agg_point *q)
{
	for (size_t i = 0; i < v->np; i++)
		if (v->p[i].vm_bytes == q->vm_bytes &&
		    v->p[i].bandwidth == q->bandwidth)
			return i;
	return MAX_PANELS;
}

static size_t find_workload(const struct view *v, const struct agg_point *q)
{
	for (size_t i = 0; i < v->nw; i++)
		if (!strcmp(v->workloads[i], q->workload))
			return i;
	return MAX_WORKLOADS;
}

/* The point's panel, added if new (MAX_PANELS when full). */
static size_t panel_of(struct view *v, const struct agg_point *q)
{
	size_t i = find_panel(v, q);
	if (i < MAX_PANELS || v->np == MAX_PANELS)
		return i;
	v->p[v->np] = (struct panel){ .vm_bytes = q->vm_bytes,
				      .bandwidth = q->bandwidth,
				      .xlo = INFINITY, .ylo = INFINITY };
	return v->np++;
}

static size_t workload_of(struct view *v, const struct agg_point *q)
{
	size_t i = find_workload(v, q);
	if (i < MAX_WORKLOADS || v->nw == MAX_WORKLOADS)
		return i;
	v->workloads[v->nw] = q->workload;
	v->wlabels[v->nw] = q->label;
	return v->nw++;
}

static void panel_titles(struct view *v)
{
	bool several_vms = false;
	for (size_t i = 1; i < v->np; i++)
		several_vms |= v->p[i].vm_bytes != v->p[0].vm_bytes;
	for (size_t i = 0; i < v->np; i++) {
		char bw[32], vm[32];
		units_format_bandwidth(v->p[i].bandwidth, bw, sizeof(bw));
		units_format_size((uint64_t)v->p[i].vm_bytes, vm, sizeof(vm));
		snprintf(v->p[i].title, sizeof(v->p[i].title), "%s link%s%s%s",
			 bw, several_vms ? ", " : "",
			 several_vms ? (v->p[i].vm_bytes ? vm : "trace-sized") : "",
			 several_vms ? " VM" : "");
	}
}

/* Panels, workloads and extents; false if nothing can be drawn. */
static bool survey(struct view *v)
{
	for (size_t i = 0; i < v->a->n; i++) {
		const struct agg_point *q = &v->a->v[i];
		if (!drawn(q))
			continue;
		size_t pi = panel_of(v, q), wi = workload_of(v, q);
		if (pi == MAX_PANELS || wi == MAX_WORKLOADS)
			continue;
		struct panel *p = &v->p[pi];
		p->xlo = fmin(p->xlo, q->m[AGG_TOTAL].min);
		p->xhi = fmax(p->xhi, q->m[AGG_TOTAL].max);
		p->ylo = fmin(p->ylo, q->m[AGG_DOWNTIME].min);
		p->yhi = fmax(p->yhi, q->m[AGG_DOWNTIME].max);
		if (q->m[AGG_TOTAL].n > v->reps)
			v->reps = q->m[AGG_TOTAL].n;
	}
	panel_titles(v);
	return v->np > 0;
}

static bool in_block(const struct view *v, const struct agg_point *q,
		     size_t pi, size_t wi, const char *alg)
{
	return drawn(q) && !strcmp(q->algorithm, alg) &&
	       find_panel(v, q) == pi && find_workload(v, q) == wi;
}

/* One row per configuration, with its settings and label. */
static void write_block(FILE *f, const struct view *v, size_t pi, size_t wi,
			const char *alg)
{
	const struct agg *a = v->a;
	for (size_t i = 0; i < a->n; i++) {
		const struct agg_point *q = &a->v[i];
		char label[200], quoted[240];
		if (!in_block(v, q, pi, wi, alg))
			continue;
		plot_config_label(a, q, label, sizeof(label));
		plot_quote(label, quoted, sizeof(quoted));
		const struct agg_stat *t = &q->m[AGG_TOTAL], *d = &q->m[AGG_DOWNTIME];
		fprintf(f, "%.6g %.6g %.6g %.6g %.6g %.6g %zu %.6g %lld %g %g %g "
			"\"%s\"\n", t->mean, t->min, t->max, d->mean, d->min,
			d->max, t->n, q->bandwidth, (long long)q->vm_bytes,
			q->downtime_limit, q->dirtypercents, q->intervaltime,
			quoted);
	}
	/* gnuplot needs a row in every block. */
	fprintf(f, "NaN NaN NaN NaN NaN NaN 0 NaN 0 NaN NaN NaN \"\"\n");
}

/* Block index of (panel, workload, algorithm). */
static size_t block_index(const struct view *v, size_t pi, size_t wi,
			  size_t ai)
{
	return (pi * v->nw + wi) * NALG + ai;
}

static void write_data(FILE *f, const struct view *v)
{
	fprintf(f, "# %s: downtime against total time, one row per "
		"configuration\n"
		"# total_mean total_min total_max downtime_mean downtime_min "
		"downtime_max n link_bandwidth vm_bytes downtime_limit "
		"dirtypercents intervaltime label\n", v->a->name);
	for (size_t pi = 0; pi < v->np; pi++)
		for (size_t wi = 0; wi < v->nw; wi++)
			for (size_t ai = 0; ai < NALG; ai++) {
				fprintf(f, "%s# index %zu: %s, %s, %s\n",
					block_index(v, pi, wi, ai) ? "\n\n" : "",
					block_index(v, pi, wi, ai), v->p[pi].title,
					v->wlabels[wi],
					plot_algorithm_title(algorithms[ai]));
				write_block(f, v, pi, wi, algorithms[ai]);
			}
}

static bool has_algorithm(const struct view *v, size_t pi, size_t wi,
			  size_t ai)
{
	for (size_t i = 0; i < v->a->n; i++)
		if (in_block(v, &v->a->v[i], pi, wi, algorithms[ai]))
			return true;
	return false;
}

/* Panel geometry, pixels: fixed margins, so that labels can be placed
 * knowing where every point lands. */
#define PANEL_W 900
#define PANEL_H 760
#define TITLE_H 70
#define MARGIN_L 110
#define MARGIN_R 40
#define MARGIN_T 50
#define MARGIN_B 190   /* x label and the key below the plot */
#define LABEL_FONT 12

struct layout {
	int cols, rows;
	double w, h;   /* the canvas */
};

static void panel_frame(FILE *f, const struct layout *g, size_t pi,
			struct plot_labels *l)
{
	int c = (int)pi % g->cols, r = (int)pi / g->cols;
	double pw = g->w / g->cols;
	double left = c * pw + MARGIN_L, right = (c + 1) * pw - MARGIN_R;
	double top = g->h - TITLE_H - r * PANEL_H - MARGIN_T;
	double bottom = g->h - TITLE_H - (r + 1) * PANEL_H + MARGIN_B;
	fprintf(f, "set lmargin at screen %.5f\nset rmargin at screen %.5f\n"
		"set tmargin at screen %.5f\nset bmargin at screen %.5f\n"
		"set key at screen %.5f, screen %.5f center top vertical "
		"maxrows 3 box opaque font '" PLOT_FONT ",13'\n",
		left / g->w, right / g->w, top / g->h, bottom / g->h,
		(left + right) / 2 / g->w, (bottom - 80) / g->h);
	l->width = right - left;
	l->height = top - bottom;
	l->canvas_w = g->w;
	l->canvas_h = g->h;
	l->font_size = LABEL_FONT;
}

/* Every point of the panel, then every label, placed clear of them. */
static void panel_labels(FILE *f, const struct view *v, size_t pi,
			 struct plot_labels *l)
{
	const struct agg *a = v->a;
	for (size_t i = 0; i < a->n; i++)
		if (drawn(&a->v[i]) && find_panel(v, &a->v[i]) == pi)
			plot_labels_point(l, a->v[i].m[AGG_TOTAL].mean,
					  a->v[i].m[AGG_DOWNTIME].mean);
	for (size_t wi = 0; wi < v->nw; wi++)
		for (size_t ai = 0; ai < NALG; ai++)
			for (size_t i = 0; i < a->n; i++) {
				const struct agg_point *q = &a->v[i];
				char label[120];
				if (!in_block(v, q, pi, wi, algorithms[ai]))
					continue;
				plot_config_label(a, q, label, sizeof(label));
				plot_labels_add(l, q->m[AGG_TOTAL].mean,
						q->m[AGG_DOWNTIME].mean, label,
						colors[wi]);
			}
	plot_labels_write(l, f);
}

static void panel_plot(FILE *f, const struct view *v, size_t pi,
		       const struct layout *g, const char *stem)
{
	static const int pt[NALG] = { 7, 9, 5 };   /* circle, triangle, square */
	static const char *const dt[NALG] = { "1", "2", "3" };
	const struct panel *p = &v->p[pi];
	struct plot_labels l = { 0 };
	fprintf(f, "set title \"%s\"\n", p->title);
	panel_frame(f, g, pi, &l);
	bool logx = plot_axis(f, "x", p->xlo, p->xhi, &l.x);
	bool logy = plot_axis(f, "y", p->ylo, p->yhi, &l.y);
	fprintf(f, "set xlabel 'total migration time (s)%s'\n"
		"set ylabel 'downtime (s)%s'\n", logx ? ", log scale" : "",
		logy ? ", log scale" : "");
	panel_labels(f, v, pi, &l);
	const char *sep = "plot ";
	for (size_t wi = 0; wi < v->nw; wi++)
		for (size_t ai = 0; ai < NALG; ai++) {
			if (!has_algorithm(v, pi, wi, ai))
				continue;
			size_t b = block_index(v, pi, wi, ai);
			char t[160];
			plot_quote(v->wlabels[wi], t, sizeof(t));
			fprintf(f, "%s'%s.dat' index %zu using 1:4:2:3:5:6 with "
				"xyerrorbars pt %d ps 2.2 lw 2 lc rgb '%s' "
				"title \"%s: %s\"", sep, stem, b, pt[ai],
				colors[wi], t, plot_algorithm_title(algorithms[ai]));
			/* A line through the points where they are steps of
			 * one setting (pre-copy's limits, MPLM's dirtypercents). */
			if (plot_settings_varied(v->a, algorithms[ai]) == 1)
				fprintf(f, ", \\\n     '' index %zu using 1:4 with "
					"lines lw 1 dt %s lc rgb '%s' notitle", b,
					dt[ai], colors[wi]);
			sep = ", \\\n     ";
		}
	fputc('\n', f);
}

/* The most points one panel would show. */
static size_t most_in_a_panel(const struct view *v)
{
	size_t most = 0;
	for (size_t pi = 0; pi < v->np; pi++) {
		size_t n = 0;
		for (size_t i = 0; i < v->a->n; i++)
			n += drawn(&v->a->v[i]) && find_panel(v, &v->a->v[i]) == pi;
		most = n > most ? n : most;
	}
	return most;
}

int plot_tradeoff(const char *dir, const struct agg *a, FILE *say,
		  char *err, size_t errlen)
{
	struct view v = { .a = a };
	if (!survey(&v))
		return 0;
	/* Past a few dozen labelled points a panel is no longer read. */
	size_t most = most_in_a_panel(&v);
	if (most > TRADEOFF_MAX_POINTS) {
		if (say)
			fprintf(say, "no tradeoff.png: up to %zu configurations "
				"in a panel (more than %d are not readable); "
				"plot --x SETTING --by ... shows them\n", most,
				TRADEOFF_MAX_POINTS);
		return 0;
	}
	struct plot_out o = { .dir = dir, .stem = "tradeoff", .say = say };
	FILE *f = plot_open(&o, "dat", err, errlen);
	if (!f)
		return -1;
	write_data(f, &v);
	if (plot_close(f, &o, "dat", err, errlen) ||
	    !(f = plot_open(&o, "gp", err, errlen)))
		return -1;
	struct layout g = { .cols = v.np < 3 ? (int)v.np : 2 };
	g.rows = ((int)v.np + g.cols - 1) / g.cols;
	/* One panel gets the room its title needs. */
	g.w = g.cols > 1 ? PANEL_W * g.cols : PANEL_W + 400;
	g.h = PANEL_H * g.rows + TITLE_H;
	fprintf(f, "# %s/tradeoff.gp: generated by mplm-exp plot\n", a->name);
	for (int svg = 0; svg < 2; svg++) {
		plot_terminal(f, &o, svg, (int)g.w, (int)g.h, 16);
		fprintf(f, "set multiplot title \"%s: downtime against total "
			"time, one point per configuration (mean of %zu runs, "
			"bars: min-max)\" font '" PLOT_FONT ",17'\n"
			"set grid lc rgb '#dddddd'\nset border lw 1.5\n"
			/* Labels hide the lines that pass under them. */
			"set style textbox opaque noborder margins 0.5,0.5\n",
			a->name, v.reps);
		for (size_t pi = 0; pi < v.np; pi++)
			panel_plot(f, &v, pi, &g, o.stem);
		fprintf(f, "unset multiplot\nunset output\n");
	}
	if (plot_close(f, &o, "gp", err, errlen))
		return -1;
	return plot_render(&o, err, errlen);
}
