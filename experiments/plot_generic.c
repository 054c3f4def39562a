/*
 * plot_generic.c - `mplm-exp plot --x PARAM --y METRIC --by PARAM
 * [--facet PARAM] EXPERIMENT`: the mean of a metric over the completed
 * runs (bars from min to max) against a setting, one line per value of
 * another, a panel per value of a third. Runs a setting does not apply to
 * (NULL in the database: a pre-copy run has no dirtypercents) are left out
 * of an x axis and form their own "n/a" line under --by.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot.h"
#include "plotlib.h"
#include "units.h"

enum kind { NUMBER, TEXT, BANDWIDTH, SIZE };

/* A column the figure can use. Settings come from mplm-core's table (same
 * names and units as everywhere), metrics from the list below. */
struct column {
	const char *name, *title;
	char sql[64];
	double scale;          /* shown value = stored / scale */
	const char *unit;      /* of the shown value */
	enum kind kind;
	const struct mplm_setting *setting;   /* NULL for a metric, workload */
};

static const struct column metrics[] = {
	{ "total-time", "total migration time", "total_time", 1, "s", NUMBER, NULL },
	{ "downtime", "downtime", "downtime", 1, "s", NUMBER, NULL },
	{ "live-time", "live time", "live_time", 1, "s", NUMBER, NULL },
	{ "setup-time", "setup time", "setup_time", 1, "s", NUMBER, NULL },
	{ "transferred", "data sent", "transferred_bytes", 1073741824.0, "GiB",
	  NUMBER, NULL },
	{ "sent-ratio", "data sent / VM memory", "sent_ratio", 1, "", NUMBER, NULL },
	{ "touched", "working set touched", "touched_bytes", 1073741824.0, "GiB",
	  NUMBER, NULL },
	{ "dirty-rate", "dirty rate", "dirty_rate", 1, "pages/s", NUMBER, NULL },
	{ "syncs", "dirty log syncs", "syncs", 1, "", NUMBER, NULL },
	{ "mbps", "throughput", "mbps", 1, "Mbit/s", NUMBER, NULL },
	{ "metadata", "migration metadata", "metadata_bytes", 1048576.0, "MiB",
	  NUMBER, NULL },
	{ "guest-lost", "guest work lost (throttled, post-copy faults)",
	  "guest_lost", 1, "s", NUMBER, NULL },
	{ "cpu-throttle", "auto-converge's throttle reached",
	  "cpu_throttle_percentage", 1, "%", NUMBER, NULL },
	{ "postcopy-requests", "post-copy's remote faults",
	  "postcopy_requests", 1, "", NUMBER, NULL },
	{ "postcopy-wait", "guest's wait on post-copy's faults",
	  "postcopy_wait", 1, "s", NUMBER, NULL },
	{ "postcopy-time", "post-copy's degradation window",
	  "postcopy_time", 1, "s", NUMBER, NULL },
	{ "peak-rss", "worker peak RSS", "peak_rss_bytes", 1048576.0, "MiB",
	  NUMBER, NULL },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A setting by name: a run's workload, or one of mplm-core's settings
 * that runs store (algorithm: the [algorithm NAME] section). Axes show
 * rates in Gbps, sizes in GiB, durations in s. */
static bool setting_column(const char *name, struct column *c)
{
	if (!strcmp(name, "workload")) {
		*c = (struct column){ .name = "workload", .title = "workload",
				      .sql = "workload_label", .scale = 1,
				      .unit = "", .kind = TEXT };
		return true;
	}
	const struct mplm_setting *s = mplm_setting_find(name);
	*c = (struct column){ .name = name, .title = name, .scale = 1,
			      .unit = "", .kind = NUMBER, .setting = s };
	if (!s || !db_setting_column(s->id, c->sql, sizeof(c->sql)))
		return false;
	if (s->id == MPLM_SET_ALGORITHM) {
		snprintf(c->sql, sizeof(c->sql), "algorithm_name");
		c->kind = TEXT;
	} else if (s->type == MPLM_TYPE_RATE) {
		c->kind = BANDWIDTH;
		c->scale = 1.25e8;
		c->unit = "Gbps";
	} else if (s->type == MPLM_TYPE_SIZE) {
		c->kind = SIZE;
		c->scale = 1073741824.0;
		c->unit = "GiB";
	} else if (s->type == MPLM_TYPE_DURATION) {
		c->unit = "s";
	} else {
		c->unit = s->unit;
	}
	return true;
}

static const struct column *find_metric(const char *name)
{
	for (size_t i = 0; i < COUNT(metrics); i++)
		if (!strcmp(metrics[i].name, name))
			return &metrics[i];
	return NULL;
}

void plot_list_names(FILE *f)
{
	size_t n;
	const struct mplm_setting *all = mplm_settings(&n);
	struct column c;
	fputs("plot settings (--x, --by, --facet): workload", f);
	for (size_t i = 0; i < n; i++)
		if (setting_column(all[i].name, &c))
			fprintf(f, " %s", all[i].name);
	fputs("\nplot metrics (--y):", f);
	for (size_t i = 0; i < COUNT(metrics); i++)
		fprintf(f, " %s", metrics[i].name);
	fputc('\n', f);
}

/* A setting's value as a line or panel name: "1 Gbps", "30 %", "n/a". */
static void value_text(const struct column *c, sqlite3_stmt *st, int col,
		       char *buf, size_t len)
{
	if (!c) {
		snprintf(buf, len, "all");
		return;
	}
	if (sqlite3_column_type(st, col) == SQLITE_NULL) {
		snprintf(buf, len, "%s n/a", c->title);
		return;
	}
	if (c->kind == TEXT) {
		snprintf(buf, len, "%s", sqlite3_column_text(st, col));
		return;
	}
	char num[48];
	mplm_setting_format(c->setting, sqlite3_column_double(st, col), num,
			    sizeof(num));
	snprintf(buf, len, "%s %s", c->title, num);
}

/* One row of the query: the mean of the metric at one x of one line of
 * one panel. */
struct row {
	char facet[96], line[96], xtext[96];
	double x, mean, min, max;
	int n;
};

struct figure {
	const struct column *x, *y, *by, *facet;
	struct column xc, byc, facetc;   /* storage of x, by, facet */
	struct row *rows;
	size_t nrows, left_out;
	char facets[16][96];
	size_t nfacets;
};

static int query(sqlite3 *h, const char *experiment, struct figure *g,
		 char *err, size_t errlen)
{
	char sql[1024];
	snprintf(sql, sizeof(sql),
		 "SELECT %s, %s, %s, avg(%s), min(%s), max(%s), count(%s)"
		 " FROM current WHERE experiment = ?1 AND status = 'completed'"
		 " AND %s IS NOT NULL AND %s IS NOT NULL"
		 " GROUP BY 1, 2, 3 ORDER BY 1, 2, min(point_index), 3",
		 g->facet ? g->facet->sql : "NULL", g->by ? g->by->sql : "NULL",
		 g->x->sql, g->y->sql, g->y->sql, g->y->sql, g->y->sql,
		 g->x->sql, g->y->sql);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "query: %s", sqlite3_errmsg(h));
		return -1;
	}
	sqlite3_bind_text(st, 1, experiment, -1, SQLITE_STATIC);
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (g->nrows == cap) {
			cap = cap ? cap * 2 : 64;
			struct row *r = realloc(g->rows, cap * sizeof(*r));
			if (!r)
				break;
			g->rows = r;
		}
		struct row *r = &g->rows[g->nrows++];
		value_text(g->facet, st, 0, r->facet, sizeof(r->facet));
		value_text(g->by, st, 1, r->line, sizeof(r->line));
		r->x = sqlite3_column_double(st, 2) / g->x->scale;
		snprintf(r->xtext, sizeof(r->xtext), "%s",
			 sqlite3_column_text(st, 2));
		r->mean = sqlite3_column_double(st, 3) / g->y->scale;
		r->min = sqlite3_column_double(st, 4) / g->y->scale;
		r->max = sqlite3_column_double(st, 5) / g->y->scale;
		r->n = sqlite3_column_int(st, 6);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "query: %s", sqlite3_errmsg(h));
		return -1;
	}
	return 0;
}

/* SELECT WHAT over the completed runs where COLUMN is CONDITION. */
static size_t count_completed(sqlite3 *h, const char *experiment,
			      const char *what, const char *column,
			      const char *condition)
{
	char sql[256];
	snprintf(sql, sizeof(sql), "SELECT %s FROM current WHERE experiment = "
		 "?1 AND status = 'completed' AND %s %s", what, column,
		 condition);
	sqlite3_stmt *st;
	size_t n = 0;
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, experiment, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = (size_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* Row i is the first with its x text (text x values are categories). */
static bool first_of_its_text(const struct figure *g, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (!strcmp(g->rows[j].xtext, g->rows[i].xtext))
			return false;
	return true;
}

/* The position of a text x: its rank among the distinct values. */
static double text_position(const struct figure *g, const char *x)
{
	size_t k = 0;
	for (size_t i = 0; i < g->nrows; i++) {
		if (!first_of_its_text(g, i))
			continue;
		if (!strcmp(g->rows[i].xtext, x))
			return (double)k;
		k++;
	}
	return (double)k;
}

static void collect_facets(struct figure *g)
{
	for (size_t i = 0; i < g->nrows; i++) {
		bool seen = false;
		for (size_t j = 0; j < g->nfacets && !seen; j++)
			seen = !strcmp(g->facets[j], g->rows[i].facet);
		if (!seen && g->nfacets < 16)
			snprintf(g->facets[g->nfacets++], sizeof(g->facets[0]),
				 "%s", g->rows[i].facet);
	}
}

/* Row i begins a new (panel, line). */
static bool starts_block(const struct figure *g, size_t i)
{
	return i == 0 || strcmp(g->rows[i].facet, g->rows[i - 1].facet) ||
	       strcmp(g->rows[i].line, g->rows[i - 1].line);
}

/* Blocks: one per (panel, line); the rows keep every parameter. */
static size_t write_data(FILE *f, const struct figure *g)
{
	char q1[200], q2[200];
	size_t blocks = 0;
	fprintf(f, "# %s against %s; columns: x_position x mean min max runs "
		"panel line (%s in %s)\n", g->y->title, g->x->title, g->y->title,
		*g->y->unit ? g->y->unit : "units");
	for (size_t i = 0; i < g->nrows; i++) {
		const struct row *r = &g->rows[i];
		if (starts_block(g, i))
			fprintf(f, "%s# index %zu: %s, %s\n", blocks ? "\n\n" : "",
				blocks, r->facet, r->line), blocks++;
		plot_quote(r->facet, q1, sizeof(q1));
		plot_quote(r->line, q2, sizeof(q2));
		char xq[200];
		plot_quote(r->xtext, xq, sizeof(xq));
		fprintf(f, "%.6g \"%s\" %.6g %.6g %.6g %d \"%s\" \"%s\"\n",
			g->x->kind == TEXT ? text_position(g, r->xtext) : r->x,
			xq, r->mean, r->min, r->max, r->n, q1, q2);
	}
	return blocks;
}

static void axis_title(char *buf, size_t len, const struct column *c,
		       bool log)
{
	snprintf(buf, len, "%s%s%s%s%s", c->title, *c->unit ? " (" : "",
		 c->unit, *c->unit ? ")" : "", log ? ", log scale" : "");
}

/* Text on x: a tic per value, at its position. */
static void category_axis(FILE *f, const struct figure *g, double lo,
			  double hi)
{
	fprintf(f, "unset logscale x\nset xrange [%g:%g]\nset xtics (", lo - 0.5,
		hi + 0.5);
	const char *sep = "";
	for (size_t i = 0; i < g->nrows; i++) {
		if (!first_of_its_text(g, i))
			continue;
		char q[200];
		plot_quote(g->rows[i].xtext, q, sizeof(q));
		fprintf(f, "%s\"%s\" %g", sep, q,
			text_position(g, g->rows[i].xtext));
		sep = ", ";
	}
	fprintf(f, ")\n");
}

static void panel(FILE *f, const struct figure *g, const char *facet,
		  const char *stem)
{
	static const char *const colors[] = {
		"#1f5fa8", "#c0392b", "#27ae60", "#8e44ad", "#d35400",
		"#16a085", "#7f8c8d", "#2c3e50",
	};
	double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
	for (size_t i = 0; i < g->nrows; i++) {
		const struct row *r = &g->rows[i];
		if (strcmp(r->facet, facet))
			continue;
		double x = g->x->kind == TEXT ? text_position(g, r->xtext) : r->x;
		xlo = fmin(xlo, x);
		xhi = fmax(xhi, x);
		ylo = fmin(ylo, r->min);
		yhi = fmax(yhi, r->max);
	}
	char t[200];
	plot_quote(facet, t, sizeof(t));
	fprintf(f, "set title \"%s\"\n", g->facet ? t : "");
	bool logx = false;
	if (g->x->kind == TEXT)
		category_axis(f, g, xlo, xhi);
	else
		logx = plot_axis(f, "x", xlo, xhi, NULL);
	bool logy = plot_axis(f, "y", ylo, yhi, NULL);
	axis_title(t, sizeof(t), g->x, logx);
	fprintf(f, "set xlabel \"%s\"\n", t);
	axis_title(t, sizeof(t), g->y, logy);
	fprintf(f, "set ylabel \"%s\"\n", t);
	size_t nlines = 0;
	for (size_t i = 0; i < g->nrows; i++)
		nlines += starts_block(g, i) && !strcmp(g->rows[i].facet, facet);
	const char *sep = "plot ";
	size_t block = 0, line = 0;
	for (size_t i = 0; i < g->nrows; i++) {
		const struct row *r = &g->rows[i];
		if (!starts_block(g, i))
			continue;
		if (!strcmp(r->facet, facet)) {
			char lq[200], using[64];
			plot_quote(r->line, lq, sizeof(lq));
			/* Categories: points side by side, no lines between. */
			if (g->x->kind == TEXT)
				snprintf(using, sizeof(using),
					 "($1%+.3f):3:4:5 with yerrorbars",
					 ((double)line - (double)(nlines - 1) / 2) * 0.08);
			else
				snprintf(using, sizeof(using),
					 "1:3:4:5 with yerrorlines");
			fprintf(f, "%s'%s.dat' index %zu using %s lw 2.5 pt %zu "
				"ps 1.6 lc rgb '%s' title \"%s\"", sep, stem,
				block, using, 5 + 2 * (line % 4),
				colors[line % 8], g->by ? lq : g->y->title);
			sep = ", \\\n     ";
			line++;
		}
		block++;
	}
	fputc('\n', f);
}

static int draw(const char *dir, const char *experiment,
		const struct figure *g, FILE *say, char *err, size_t errlen)
{
	struct plot_out o = { .dir = dir, .say = say };
	char stem[200];
	snprintf(stem, sizeof(stem), "%s-vs-%s%s%s%s%s", g->y->name,
		 g->x->name, g->by ? "-by-" : "", g->by ? g->by->name : "",
		 g->facet ? "-facet-" : "", g->facet ? g->facet->name : "");
	plot_safe_name(stem, o.stem, sizeof(o.stem));
	FILE *f = plot_open(&o, "dat", err, errlen);
	if (!f)
		return -1;
	write_data(f, g);
	if (plot_close(f, &o, "dat", err, errlen) ||
	    !(f = plot_open(&o, "gp", err, errlen)))
		return -1;
	int cols = g->nfacets < 3 ? (int)g->nfacets : 2;
	int rows = ((int)g->nfacets + cols - 1) / cols;
	fprintf(f, "# %s/%s.gp: generated by mplm-exp plot\n", experiment,
		o.stem);
	for (int svg = 0; svg < 2; svg++) {
		/* One panel gets the room its title needs. */
		plot_terminal(f, &o, svg, cols > 1 ? 900 * cols : 1200,
			      650 * rows + 80, 16);
		fprintf(f, "set multiplot layout %d,%d title \"%s: %s against "
			"%s (mean of the completed runs, bars: min-max)\" font '"
			PLOT_FONT ",18'\nset grid lc rgb '#dddddd'\n"
			"set border lw 1.5\nset bmargin 7\nset key below box opaque font '"
			PLOT_FONT ",13'\n", rows, cols, experiment, g->y->title,
			g->x->title);
		for (size_t i = 0; i < g->nfacets; i++)
			panel(f, g, g->facets[i], o.stem);
		fprintf(f, "unset multiplot\nunset output\n");
	}
	if (plot_close(f, &o, "gp", err, errlen))
		return -1;
	return plot_render(&o, err, errlen);
}

static const struct column *setting_named(const char *opt, const char *name,
					  struct column *c, char *err,
					  size_t errlen)
{
	if (setting_column(name, c))
		return c;
	snprintf(err, errlen, "%s %s: not a setting stored per run (see "
		 "mplm-exp --help)", opt, name);
	return NULL;
}

int plot_generic(expdb *db, const char *dir, const char *experiment,
		 const struct plot_request *req, FILE *say, char *err,
		 size_t errlen)
{
	struct figure g = { 0 };
	const char *y = req->y ? req->y : "total-time";
	if (!(g.x = setting_named("--x", req->x, &g.xc, err, errlen)) ||
	    (req->by && !(g.by = setting_named("--by", req->by, &g.byc, err,
						 errlen))) ||
	    (req->facet && !(g.facet = setting_named("--facet", req->facet,
						     &g.facetc, err, errlen))))
		return -1;
	if (!(g.y = find_metric(y))) {
		snprintf(err, errlen, "--y %s: not a metric (see mplm-exp "
			 "--help)", y);
		return -1;
	}
	sqlite3 *h = db_handle(db);
	int rc = query(h, experiment, &g, err, errlen);
	if (rc == 0 && !g.nrows) {
		snprintf(err, errlen, "no completed run has a %s", g.x->name);
		rc = -1;
	}
	if (rc == 0) {
		collect_facets(&g);
		/* Completed runs the x setting does not apply to. */
		g.left_out = count_completed(h, experiment, "count(*)",
					     g.x->sql, "IS NULL");
		rc = draw(dir, experiment, &g, say, err, errlen);
	}
	if (rc == 0 && g.left_out && say)
		fprintf(say, "left out %zu completed runs that have no %s "
			"(it does not apply to their algorithm)\n", g.left_out,
			g.x->name);
	/* Means over several algorithms are seldom what was meant. */
	bool split = (g.by && g.by->setting &&
		      g.by->setting->id == MPLM_SET_ALGORITHM) ||
		     (g.facet && g.facet->setting &&
		      g.facet->setting->id == MPLM_SET_ALGORITHM);
	size_t nalg = rc == 0 && !split
		? count_completed(h, experiment, "count(DISTINCT algorithm_name)",
				  g.x->sql, "IS NOT NULL") : 0;
	if (nalg > 1 && say)
		fprintf(say, "note: its points average %zu algorithms together; "
			"--by algorithm or --facet algorithm keeps them apart\n",
			nalg);
	free(g.rows);
	return rc;
}
