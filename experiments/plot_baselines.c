/*
 * plot_baselines.c - `figure = baselines`: one page of three panels, total
 * time, downtime and the guest's lost work (trace time it did not run:
 * throttled by auto-converge, or waiting on post-copy's faults), as
 * grouped bars: a group per workload, a bar per [algorithm] section (mean
 * of the repetitions that completed, whiskers from min to max). A point
 * whose runs did not all complete says so on its bar's place ("not
 * converged", "failed", or how many of its runs) instead of showing a
 * time it never had. Each time axis is logarithmic when the data spans
 * more than plot_axis's ratio.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "plot.h"
#include "plotlib.h"

#define MAX_GROUPS 64
#define MAX_BARS 16

/* Colours by kind of bar, whatever the file's order: pre-copy blues
 * (light with auto-converge), post-copy green, MPLM reds, stop-and-copy
 * grey; a second section of a kind already shown takes the next spare. */
enum bar_kind { K_PRECOPY, K_PRECOPY_AC, K_POSTCOPY, K_MPLM, K_MPLM_AC,
		K_OTHER, NKINDS };
static const char *const kind_colors[NKINDS] = {
	"#1f5fa8", "#7fb2e5", "#27ae60", "#c0392b", "#f1948a", "#7f8c8d",
};
static const char *const spare_colors[] = {
	"#8e44ad", "#d35400", "#16a085", "#2c3e50",
};

struct panel {
	enum agg_metric metric;
	const char *title, *ylabel;
};

static const struct panel panels[] = {
	{ AGG_TOTAL, "total migration time", "total time (s)" },
	{ AGG_DOWNTIME, "downtime", "downtime (s)" },
	{ AGG_GUEST_LOST, "guest work lost: throttled by auto-converge, "
	  "waiting on post-copy faults", "guest lost (s)" },
};
#define NPANELS (sizeof(panels) / sizeof(panels[0]))

/* The page's layout: workloads and algorithm sections in the order the
 * experiment file gives them. */
struct layout {
	const char *workload[MAX_GROUPS];
	const char *alg[MAX_BARS];
	const char *color[MAX_BARS];
	size_t nw, na;
	double width;            /* of a bar, in group units */
};

static size_t index_of(const char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return i;
	return n;
}

static enum bar_kind kind_of(const struct agg_point *p)
{
	bool ac = p->auto_converge == 1;
	if (!strcmp(p->algorithm, "mplm"))
		return ac ? K_MPLM_AC : K_MPLM;
	if (strcmp(p->algorithm, "precopy"))
		return K_OTHER;
	return p->postcopy_ram == 1 ? K_POSTCOPY : ac ? K_PRECOPY_AC
						  : K_PRECOPY;
}

static void make_layout(const struct agg *a, struct layout *l)
{
	bool kind_used[NKINDS] = { false };
	size_t spares = 0;
	memset(l, 0, sizeof(*l));
	for (size_t i = 0; i < a->n; i++) {
		const struct agg_point *p = &a->v[i];
		if (index_of(l->workload, l->nw, p->workload) == l->nw &&
		    l->nw < MAX_GROUPS)
			l->workload[l->nw++] = p->workload;
		if (index_of(l->alg, l->na, p->alg_name) < l->na ||
		    l->na == MAX_BARS)
			continue;
		enum bar_kind k = kind_of(p);
		l->color[l->na] = kind_used[k] ? spare_colors[spares++ % 4]
					       : kind_colors[k];
		kind_used[k] = true;
		l->alg[l->na++] = p->alg_name;
	}
	l->width = l->na ? 0.84 / (double)l->na : 0.84;
}

static double bar_x(const struct layout *l, size_t w, size_t k)
{
	return (double)w + ((double)k - ((double)l->na - 1) / 2) * l->width;
}

/* The point of workload w, section k; NULL if the experiment has none
 * (a workload left out of a VM size). The first one: a baselines
 * experiment has one VM size and link. */
static const struct agg_point *point_at(const struct agg *a,
					const struct layout *l, size_t w,
					size_t k)
{
	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->v[i].workload, l->workload[w]) &&
		    !strcmp(a->v[i].alg_name, l->alg[k]))
			return &a->v[i];
	return NULL;
}

/* "pre-copy 0.3 s, auto-converge": what the bar's section runs. */
static void bar_title(const struct agg *a, const struct agg_point *p,
		      char *buf, size_t len)
{
	char config[64], caps[64];
	plot_config_label(a, p, config, sizeof(config));
	agg_capabilities(p, caps, sizeof(caps));
	snprintf(buf, len, "%s%s%s%s", plot_algorithm_title(p->algorithm),
		 config[0] ? " " : "", config, caps);
}

/* "not converged" when no run completed, "3/10 not converged" when some
 * did; the same for failed runs; "" when all completed. */
static void bar_note(const struct agg_point *p, char *buf, size_t len)
{
	buf[0] = '\0';
	size_t missing = p->not_converged + p->failed;
	if (!missing)
		return;
	const char *what = p->failed ? (p->not_converged ? "not completed"
							 : "failed")
				     : "not converged";
	if (p->completed)
		snprintf(buf, len, "%zu/%zu %s", missing, p->runs, what);
	else
		snprintf(buf, len, "%s", what);
}

/* Block k: section k's bars, a row per workload: x, then mean min max of
 * each panel's metric (NaN where no run completed), runs, completed,
 * the note. */
static void write_data(FILE *f, const struct agg *a, const struct layout *l)
{
	fprintf(f, "# %s: x", a->name);
	for (size_t m = 0; m < NPANELS; m++)
		fprintf(f, " %s_mean _min _max", panels[m].ylabel);
	fprintf(f, " runs completed note\n");
	for (size_t k = 0; k < l->na; k++) {
		fprintf(f, "%s# %s\n", k ? "\n\n" : "", l->alg[k]);
		for (size_t w = 0; w < l->nw; w++) {
			const struct agg_point *p = point_at(a, l, w, k);
			if (!p)
				continue;
			char note[64], quoted[80];
			bar_note(p, note, sizeof(note));
			plot_quote(note, quoted, sizeof(quoted));
			fprintf(f, "%.4f", bar_x(l, w, k));
			for (size_t m = 0; m < NPANELS; m++) {
				const struct agg_stat *s = &p->m[panels[m].metric];
				fprintf(f, " %.6g %.6g %.6g", s->mean, s->min,
					s->max);
			}
			fprintf(f, " %zu %zu \"%s\"\n", p->runs, p->completed,
				quoted);
		}
	}
}

/* The extent of a panel's values over the bars that have one. */
static void panel_extent(const struct agg *a, enum agg_metric m, double *lo,
			 double *hi)
{
	*lo = INFINITY;
	*hi = -INFINITY;
	for (size_t i = 0; i < a->n; i++) {
		const struct agg_stat *s = &a->v[i].m[m];
		if (!s->n)
			continue;
		*lo = fmin(*lo, s->min);
		*hi = fmax(*hi, s->max);
	}
	if (*hi <= 0) {   /* nothing lost anywhere: a 0-1 s axis */
		*lo = 0;
		*hi = 1;
	}
}

/* The workloads under their groups: the label's first word on a line of
 * its own ("MG\n(class C model)"). */
static void write_xtics(FILE *f, const struct agg *a, const struct layout *l)
{
	fprintf(f, "set xtics scale 0 (");
	for (size_t w = 0; w < l->nw; w++) {
		const char *label = l->workload[w];
		for (size_t i = 0; i < a->n; i++)
			if (!strcmp(a->v[i].workload, l->workload[w]))
				label = a->v[i].label;
		char quoted[200];
		plot_quote(label, quoted, sizeof(quoted));
		char *sp = strchr(quoted, ' ');
		if (sp)
			fprintf(f, "%s\"%.*s\\n%s\" %zu", w ? ", " : "",
				(int)(sp - quoted), quoted, sp + 1, w);
		else
			fprintf(f, "%s\"%s\" %zu", w ? ", " : "", quoted, w);
	}
	fprintf(f, ")\nset xrange [-0.6:%g]\n", (double)l->nw - 0.4);
}

/* The notes of the points that did not all complete, standing on the
 * axis where their bar would be. */
static void write_notes(FILE *f, const struct agg *a, const struct layout *l,
			const struct plot_range *y)
{
	double at = y->log ? y->lo * pow(y->hi / y->lo, 0.03)
			   : y->lo + (y->hi - y->lo) * 0.03;
	fprintf(f, "unset label\n");
	for (size_t k = 0; k < l->na; k++)
		for (size_t w = 0; w < l->nw; w++) {
			const struct agg_point *p = point_at(a, l, w, k);
			char note[64];
			if (!p)
				continue;
			bar_note(p, note, sizeof(note));
			if (note[0])
				fprintf(f, "set label \"%s\" at %.4f,%g rotate by "
					"90 left front font '" PLOT_FONT ",14' "
					"tc rgb '%s'\n", note, bar_x(l, w, k),
					at, l->color[k]);
		}
}

/* One panel: bars from the axis' bottom, min-max whiskers (vectors from
 * min), the mean written above each bar. */
static void write_panel(FILE *f, const struct agg *a, const struct layout *l,
			size_t m, bool key)
{
	const struct panel *pn = &panels[m];
	double lo, hi;
	struct plot_range y;
	int c = 2 + 3 * (int)m;   /* the panel's mean column */
	panel_extent(a, pn->metric, &lo, &hi);
	/* Room above the bars for their values, written upright: a quarter
	 * of a linear axis, most of a decade of a logarithmic one. Decided
	 * once, on the data's span (the room must not tip the axis to log),
	 * and a linear axis starts at 0: the bars stand on it. */
	if (lo > 0 && hi / lo > AXIS_LOG_RATIO)
		plot_log_axis(f, "y", lo, hi * 4, &y);
	else
		plot_axis(f, "y", 0, hi * 1.25, &y);
	fprintf(f, "set title \"%s\"\nset ylabel \"%s%s\"\n", pn->title,
		pn->ylabel, y.log ? ", log scale" : "");
	write_notes(f, a, l, &y);
	if (key)
		fprintf(f, "set key outside top center horizontal font '"
			PLOT_FONT ",14'\n");
	else
		fprintf(f, "unset key\n");
	fprintf(f, "plot ");
	for (size_t k = 0; k < l->na; k++) {
		char title[200] = "", quoted[240];
		const struct agg_point *p = NULL;
		for (size_t w = 0; w < l->nw && !p; w++)
			p = point_at(a, l, w, k);
		if (p)
			bar_title(a, p, title, sizeof(title));
		plot_quote(title, quoted, sizeof(quoted));
		const char *color = l->color[k];
		fprintf(f, "%s'baselines.dat' index %zu using 1:%d:($1-%g):($1+%g)"
			":(%g):%d with boxxyerror fs solid 0.9 border lc rgb "
			"'#333333' lc rgb '%s' title \"%s\", \\\n"
			"     '' index %zu using 1:%d:(0):($%d-$%d) with vectors "
			"nohead lw 1.5 lc rgb '#333333' notitle, \\\n"
			"     '' index %zu using 1:%d:(sprintf('%%.3g', $%d)) "
			"with labels rotate by 90 left offset 0,0.6 font '"
			PLOT_FONT ",10' notitle",
			k ? ", \\\n     " : "", k, c, l->width / 2,
			l->width / 2, y.lo, c, color, quoted, k, c + 1,
			c + 2, c + 1, k, c + 2, c);
	}
	fputc('\n', f);
}

int plot_baselines(const char *dir, const struct agg *a, FILE *say,
		   char *err, size_t errlen)
{
	struct layout l;
	make_layout(a, &l);
	if (!l.nw)
		return 0;
	struct plot_out o = { .dir = dir, .stem = "baselines", .say = say };
	FILE *f = plot_open(&o, "dat", err, errlen);
	if (!f)
		return -1;
	write_data(f, a, &l);
	if (plot_close(f, &o, "dat", err, errlen) ||
	    !(f = plot_open(&o, "gp", err, errlen)))
		return -1;
	int width = 260 * (int)l.nw + 300;
	if (width < 1200)
		width = 1200;
	fprintf(f, "# %s/baselines.gp: generated by mplm-exp plot\n", a->name);
	for (int svg = 0; svg < 2; svg++) {
		plot_terminal(f, &o, svg, width, 1650, 15);
		fprintf(f, "set multiplot layout %zu,1 title \"%s: mean of the "
			"runs that completed, whiskers min-max\" font '"
			PLOT_FONT ",20'\n"
			"set grid ytics mytics lw 1 lc rgb '#dddddd'\n"
			"set border lw 1.5\nset bmargin 4\n"
			/* One left margin: the panels' bars line up. */
			"set lmargin 12\n", NPANELS, a->name);
		write_xtics(f, a, &l);
		for (size_t m = 0; m < NPANELS; m++)
			write_panel(f, a, &l, m, m == 0);
		fprintf(f, "unset multiplot\nunset output\n");
	}
	if (plot_close(f, &o, "gp", err, errlen))
		return -1;
	return plot_render(&o, err, errlen);
}
