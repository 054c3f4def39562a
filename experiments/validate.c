/*
 * validate.c - `mplm-exp validate`'s figure and tables (see validate.h).
 *
 * A pair is a completed kvm run with a recording and the replay of that
 * recording (the replay's source is the recorded trace). A case is one
 * point of a kvm experiment; its repetitions are its pairs. Error =
 * (predicted - measured) / measured, in %.
 */
#include "validate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "plotlib.h"
#include "replay.h"
#include "report.h"
#include "units.h"

enum { TOTAL, DOWNTIME, NMETRIC };

struct pair {
	size_t case_no;        /* 1-based, in the order of the experiments */
	int repetition;
	int64_t kvm_id, sim_id;
	char experiment[128];
	char label[200];       /* workload label, link, algorithm section */
	char algorithm[64];    /* the algorithm section: the figure's colour */
	char trace[1024];
	char sim_status[32];   /* the replay's; "" when it was not replayed */
	double start_at;
	double measured[NMETRIC], predicted[NMETRIC];
};

struct pairs {
	struct pair *v;
	size_t n, cases;
	expdb *db;             /* where they came from: their sync records */
};

static bool replayed(const struct pair *p)
{
	return !strcmp(p->sim_status, "completed");
}

static double error_pct(const struct pair *p, int m)
{
	return (p->predicted[m] - p->measured[m]) / p->measured[m] * 100;
}

/* ------------------------------------------------------------------ */
/* Reading the pairs. */

static const char pairs_sql[] =
	"SELECT k.point_index, k.repetition, k.workload_label,"
	" k.algorithm_name, k.link_bandwidth, k.id, rec.trace, rec.start_at,"
	" k.total_time, k.downtime, s.id, s.status, s.total_time, s.downtime"
	" FROM current k JOIN recordings rec ON rec.run_id = k.id"
	" LEFT JOIN current s ON s.experiment = ?2 AND s.source = rec.trace"
	" WHERE k.experiment = ?1 AND k.status = 'completed'"
	" ORDER BY k.point_index, k.repetition";

static void read_pair(sqlite3_stmt *st, const char *experiment,
		      struct pair *p)
{
	char link[32];
	const char *s;
	units_format_bandwidth(sqlite3_column_double(st, 4), link, sizeof(link));
	snprintf(p->experiment, sizeof(p->experiment), "%s", experiment);
	snprintf(p->label, sizeof(p->label), "%s, %s, %s",
		 sqlite3_column_text(st, 2), link, sqlite3_column_text(st, 3));
	snprintf(p->algorithm, sizeof(p->algorithm), "%s", sqlite3_column_text(st, 3));
	p->repetition = sqlite3_column_int(st, 1);
	p->kvm_id = sqlite3_column_int64(st, 5);
	snprintf(p->trace, sizeof(p->trace), "%s", sqlite3_column_text(st, 6));
	p->start_at = sqlite3_column_double(st, 7);
	p->measured[TOTAL] = sqlite3_column_double(st, 8);
	p->measured[DOWNTIME] = sqlite3_column_double(st, 9);
	p->sim_id = sqlite3_column_int64(st, 10);
	s = (const char *)sqlite3_column_text(st, 11);
	snprintf(p->sim_status, sizeof(p->sim_status), "%s", s ? s : "");
	p->predicted[TOTAL] = sqlite3_column_double(st, 12);
	p->predicted[DOWNTIME] = sqlite3_column_double(st, 13);
}

static int read_experiment(expdb *db, const char *name, struct pairs *out,
			   char *err, size_t errlen)
{
	sqlite3_stmt *st;
	char replay[300];
	if (sqlite3_prepare_v2(db_handle(db), pairs_sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "results database: %s",
			 sqlite3_errmsg(db_handle(db)));
		return -1;
	}
	replay_name(name, replay, sizeof(replay));
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, replay, -1, SQLITE_STATIC);
	int last_point = -1, rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct pair *v = realloc(out->v, (out->n + 1) * sizeof(*v));
		if (!v) {
			sqlite3_finalize(st);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		out->v = v;
		struct pair *p = &v[out->n++];
		memset(p, 0, sizeof(*p));
		int point = sqlite3_column_int(st, 0);
		if (point != last_point)
			out->cases++;
		last_point = point;
		p->case_no = out->cases;
		read_pair(st, name, p);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "results database: %s",
			 sqlite3_errmsg(db_handle(db)));
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Statistics. */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

struct summary {
	size_t n;              /* replayed pairs */
	double median, worst;  /* of |error|, % */
	const struct pair *worst_pair;
};

static void summarize(const struct pairs *ps, int m, struct summary *s)
{
	double *abs_err = malloc((ps->n ? ps->n : 1) * sizeof(*abs_err));
	memset(s, 0, sizeof(*s));
	if (!abs_err)
		return;
	for (size_t i = 0; i < ps->n; i++) {
		const struct pair *p = &ps->v[i];
		if (!replayed(p))
			continue;
		double e = fabs(error_pct(p, m));
		abs_err[s->n++] = e;
		if (!s->worst_pair || e > s->worst) {
			s->worst = e;
			s->worst_pair = p;
		}
	}
	qsort(abs_err, s->n, sizeof(*abs_err), cmp_double);
	if (s->n)
		s->median = s->n % 2 ? abs_err[s->n / 2]
				     : (abs_err[s->n / 2 - 1] + abs_err[s->n / 2]) / 2;
	free(abs_err);
}

/* ------------------------------------------------------------------ */
/* Tables. */

static const char *const metric_names[NMETRIC] = { "total time", "downtime" };

static void case_row(FILE *f, const struct pairs *ps, size_t first, size_t end)
{
	const struct pair *p0 = &ps->v[first];
	double mean[2][NMETRIC] = { { 0 } };
	size_t n = 0;
	for (size_t i = first; i < end; i++)
		if (replayed(&ps->v[i])) {
			for (int m = 0; m < NMETRIC; m++) {
				mean[0][m] += ps->v[i].measured[m];
				mean[1][m] += ps->v[i].predicted[m];
			}
			n++;
		}
	fprintf(f, "| %zu | %s | %zu/%zu |", p0->case_no, p0->label, n, end - first);
	for (int m = 0; m < NMETRIC; m++) {
		double scale = m == TOTAL ? 1 : 1e3; /* s, ms */
		if (n)
			fprintf(f, " %.4g | %.4g |", mean[0][m] / (double)n * scale,
				mean[1][m] / (double)n * scale);
		else
			fprintf(f, " | |");
		const char *sep = " ";
		for (size_t i = first; i < end; i++) {
			if (replayed(&ps->v[i]))
				fprintf(f, "%s%+.1f", sep, error_pct(&ps->v[i], m));
			else
				fprintf(f, "%s(%s)", sep, ps->v[i].sim_status[0]
					? ps->v[i].sim_status : "not replayed");
			sep = " / ";
		}
		fprintf(f, " |");
	}
	fputc('\n', f);
}

static void summary_line(FILE *f, const struct pairs *ps, int m)
{
	struct summary s;
	summarize(ps, m, &s);
	if (!s.n) {
		fprintf(f, "* %s: no replayed pair\n", metric_names[m]);
		return;
	}
	fprintf(f, "* %s: median absolute error %.1f %%, worst %.1f %% (case %zu, "
		"repetition %d: measured %.4g s, predicted %.4g s; kvm run %lld, "
		"replay run %lld), over %zu pairs\n", metric_names[m], s.median,
		s.worst, s.worst_pair->case_no, s.worst_pair->repetition,
		s.worst_pair->measured[m], s.worst_pair->predicted[m],
		(long long)s.worst_pair->kvm_id, (long long)s.worst_pair->sim_id, s.n);
}

/* The per-sync records of a pair, side by side: where the two runs part
 * (a sync early or late, fewer pages dirtied, a slower pass). */
static void write_syncs(FILE *f, expdb *db, const struct pair *p)
{
	static const char sql[] =
		"SELECT idx, time, dirtied, d_size, sent_d + sent_nd, bytes, final"
		" FROM syncs WHERE run_id = ? ORDER BY idx";
	sqlite3_stmt *st[2];
	bool done[2] = { false, false }; /* a finished statement would restart */
	int64_t ids[2] = { p->kvm_id, p->sim_id };
	for (int k = 0; k < 2; k++) {
		st[k] = NULL;
		if (sqlite3_prepare_v2(db_handle(db), sql, -1, &st[k], NULL) == SQLITE_OK)
			sqlite3_bind_int64(st[k], 1, ids[k]);
	}
	fprintf(f, "\nCase %zu, repetition %d, sync by sync (kvmlite | mplm-sim; "
		"sent: pages since the previous sync; *: the sync in the "
		"downtime):\n\n| sync | time (s) | dirtied | dirty set | sent | MB "
		"| time (s) | dirtied | dirty set | sent | MB |\n"
		"|---|---|---|---|---|---|---|---|---|---|---|\n",
		p->case_no, p->repetition);
	for (int row = 0;; row++) {
		bool any = false;
		char cells[2][160];
		for (int k = 0; k < 2; k++) {
			snprintf(cells[k], sizeof(cells[k]), " | | | | |");
			if (!st[k] || done[k] || sqlite3_step(st[k]) != SQLITE_ROW) {
				done[k] = true;
				continue;
			}
			any = true;
			snprintf(cells[k], sizeof(cells[k]), " %.4f%s | %lld | %lld | %lld | %.2f |",
				 sqlite3_column_double(st[k], 1),
				 sqlite3_column_int(st[k], 6) ? "*" : "",
				 (long long)sqlite3_column_int64(st[k], 2),
				 (long long)sqlite3_column_int64(st[k], 3),
				 (long long)sqlite3_column_int64(st[k], 4),
				 sqlite3_column_double(st[k], 5) / 1e6);
		}
		if (!any)
			break;
		fprintf(f, "| %d |%s%s\n", row, cells[0], cells[1]);
	}
	for (int k = 0; k < 2; k++)
		sqlite3_finalize(st[k]);
}

static void write_markdown(FILE *f, const struct pairs *ps)
{
	fprintf(f, "# mplm-sim (predicted) against kvmlite (measured)\n\n"
		   "Each kvmlite run was recorded while it migrated; mplm-sim "
		   "replayed the recording from the migration's start with the "
		   "same parameters and this host's machine profile. Error = "
		   "(predicted - measured) / measured, one per repetition.\n\n");
	fprintf(f, "| case | workload, link, algorithm | replayed | total measured (s) "
		   "| total predicted (s) | total error (%%) | downtime measured (ms) "
		   "| downtime predicted (ms) | downtime error (%%) |\n"
		   "|---|---|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < ps->n;) {
		size_t end = i;
		while (end < ps->n && ps->v[end].case_no == ps->v[i].case_no)
			end++;
		case_row(f, ps, i, end);
		i = end;
	}
	fputc('\n', f);
	for (int m = 0; m < NMETRIC; m++)
		summary_line(f, ps, m);
	fprintf(f, "\nIssue 9's target: median absolute error at most 3 %%, worst at "
		   "most 8 %%, for both.\n");
	const struct pair *shown = NULL;
	for (int m = 0; m < NMETRIC; m++) {
		struct summary s;
		summarize(ps, m, &s);
		if (s.n && s.worst_pair != shown)
			write_syncs(f, ps->db, s.worst_pair);
		shown = s.worst_pair;
	}
}

static void write_csv(FILE *f, const struct pairs *ps)
{
	fprintf(f, "case,experiment,label,repetition,kvm_run_id,replay_run_id,"
		   "replay_status,trace,start_at,measured_total_time,"
		   "predicted_total_time,total_time_error_pct,measured_downtime,"
		   "predicted_downtime,downtime_error_pct\n");
	for (size_t i = 0; i < ps->n; i++) {
		const struct pair *p = &ps->v[i];
		fprintf(f, "%zu,", p->case_no);
		csv_text(f, p->experiment);
		fputc(',', f);
		csv_text(f, p->label);
		fprintf(f, ",%d,%lld,", p->repetition, (long long)p->kvm_id);
		if (p->sim_status[0])
			fprintf(f, "%lld", (long long)p->sim_id);
		fputc(',', f);
		csv_text(f, p->sim_status);
		fputc(',', f);
		csv_text(f, p->trace);
		fprintf(f, ",%.17g,%.17g,", p->start_at, p->measured[TOTAL]);
		for (int m = 0; m < NMETRIC; m++) {
			if (m)
				fprintf(f, ",%.17g,", p->measured[m]);
			if (replayed(p))
				fprintf(f, "%.17g,%.6f", p->predicted[m], error_pct(p, m));
			else
				fputc(',', f);
		}
		fputc('\n', f);
	}
}

static int write_table(const char *dir, const char *stem, const char *ext,
		       const struct pairs *ps,
		       void (*write)(FILE *, const struct pairs *), FILE *say,
		       char *err, size_t errlen)
{
	struct plot_out o = { .dir = dir, .say = say };
	snprintf(o.stem, sizeof(o.stem), "%s", stem);
	FILE *f = plot_open(&o, ext, err, errlen);
	if (!f)
		return -1;
	write(f, ps);
	if (plot_close(f, &o, ext, err, errlen) < 0)
		return -1;
	if (say)
		fprintf(say, "wrote %s/%s.%s\n", dir, stem, ext);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The figure: a panel per metric, predicted against measured. */

#define PANEL 720     /* pixels, square */
#define TITLE_H 90
#define KEY_H 110
#define MARGIN 140    /* left of a panel: tics and the axis label */
#define LABEL_FONT 12

static const char *const colors[] = {
	"#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9",
	"#000000",
};
#define NCOLORS (sizeof(colors) / sizeof(colors[0]))

/* The algorithm sections, in order of appearance: a block of the data
 * file and a series each (names point into the pairs). */
struct groups {
	const char **name;
	size_t n;
};

/* The group of an algorithm section listed by groups_make. */
static size_t group_of(const struct groups *g, const char *name)
{
	size_t i = 0;
	while (i + 1 < g->n && strcmp(g->name[i], name))
		i++;
	return i;
}

/* A colour per group; past the palette, the rest share its last. */
static const char *group_color(size_t gi)
{
	return colors[gi < NCOLORS ? gi : NCOLORS - 1];
}

static int groups_make(const struct pairs *ps, struct groups *g)
{
	g->n = 0;
	g->name = malloc((ps->n ? ps->n : 1) * sizeof(*g->name));
	if (!g->name)
		return -1;
	for (size_t i = 0; i < ps->n; i++)
		if (!g->n || strcmp(g->name[group_of(g, ps->v[i].algorithm)],
				    ps->v[i].algorithm))
			g->name[g->n++] = ps->v[i].algorithm;
	return 0;
}

/* One block per group: measured, predicted (total, downtime), case. */
static void write_data(FILE *f, const struct pairs *ps, const struct groups *g)
{
	fprintf(f, "# measured_total predicted_total measured_downtime "
		   "predicted_downtime case repetition (s), a block per algorithm\n");
	for (size_t gi = 0; gi < g->n; gi++) {
		fprintf(f, "# %s\n", g->name[gi]);
		for (size_t i = 0; i < ps->n; i++) {
			const struct pair *p = &ps->v[i];
			if (replayed(p) && group_of(g, p->algorithm) == gi)
				fprintf(f, "%.9g %.9g %.9g %.9g %zu %d\n",
					p->measured[TOTAL], p->predicted[TOTAL],
					p->measured[DOWNTIME], p->predicted[DOWNTIME],
					p->case_no, p->repetition);
		}
		fprintf(f, "\n\n");
	}
}

/* The same range on both axes, so that y = x is the diagonal, and
 * logarithmic, so that the +-5 % band has one width from end to end. */
static void panel_axes(FILE *f, const struct pairs *ps, int m,
		       struct plot_labels *l)
{
	double lo = INFINITY, hi = -INFINITY;
	for (size_t i = 0; i < ps->n; i++)
		if (replayed(&ps->v[i]))
			for (int k = 0; k < 2; k++) {
				double v = k ? ps->v[i].predicted[m] : ps->v[i].measured[m];
				lo = v < lo ? v : lo;
				hi = v > hi ? v : hi;
			}
	plot_log_axis(f, "x", lo, hi, &l->x);
	plot_log_axis(f, "y", lo, hi, &l->y);
}

/* A case's repetition furthest from y = x (by ratio): where its label
 * goes. */
static size_t worst_of_case(const struct pairs *ps, size_t first, size_t end,
			    int m)
{
	size_t worst = end;
	double far = -1;
	for (size_t i = first; i < end; i++)
		if (replayed(&ps->v[i]) && fabs(error_pct(&ps->v[i], m)) > far) {
			far = fabs(error_pct(&ps->v[i], m));
			worst = i;
		}
	return worst;
}

/* Each case's number once, beside its worst point. */
static void panel_labels(FILE *f, const struct pairs *ps, int m,
			 const struct groups *g, struct plot_labels *l)
{
	for (size_t i = 0; i < ps->n; i++)
		if (replayed(&ps->v[i]))
			plot_labels_point(l, ps->v[i].measured[m], ps->v[i].predicted[m]);
	for (size_t i = 0; i < ps->n;) {
		size_t end = i;
		while (end < ps->n && ps->v[end].case_no == ps->v[i].case_no)
			end++;
		size_t w = worst_of_case(ps, i, end, m);
		if (w < end) {
			char text[16];
			snprintf(text, sizeof(text), "%zu", ps->v[w].case_no);
			plot_labels_add(l, ps->v[w].measured[m], ps->v[w].predicted[m],
					text, group_color(group_of(g, ps->v[w].algorithm)));
		}
		i = end;
	}
	plot_labels_write(l, f);
}

static void panel(FILE *f, const struct pairs *ps, const struct groups *g,
		  int m, const char *stem)
{
	static const char *const titles[NMETRIC] = { "total migration time",
						      "downtime" };
	double left = m * PANEL + MARGIN, right = (m + 1) * PANEL - MARGIN / 3.0;
	double h = PANEL + TITLE_H + KEY_H, top = h - TITLE_H - 40;
	double bottom = KEY_H + 90;
	struct plot_labels l = {
		.width = right - left, .height = top - bottom,
		.canvas_w = 2 * PANEL, .canvas_h = h, .font_size = LABEL_FONT,
	};
	fprintf(f, "set lmargin at screen %.5f\nset rmargin at screen %.5f\n"
		"set tmargin at screen %.5f\nset bmargin at screen %.5f\n"
		"set key at screen 0.5, screen %.5f center top horizontal maxcols 5 "
		"box opaque samplen 2 width 2 font '" PLOT_FONT ",13'\n",
		left / (2 * PANEL), right / (2 * PANEL), top / h, bottom / h,
		(KEY_H - 10) / h);
	if (m)
		fprintf(f, "unset key\n");
	fprintf(f, "set title \"%s\"\n", titles[m]);
	panel_axes(f, ps, m, &l);
	fprintf(f, "set xlabel 'kvmlite, measured (s), log scale'\n"
		"set ylabel 'mplm-sim, predicted (s), log scale'\n");
	panel_labels(f, ps, m, g, &l);
	fprintf(f, "set samples 200\n"
		"plot '+' using 1:(0.95*$1):(1.05*$1) with filledcurves "
		"lc rgb '#a9c4de' title '+-5 %%', \\\n"
		"     x with lines lc rgb '#555555' lw 1.5 title 'y = x'");
	for (size_t gi = 0; gi < g->n; gi++) {
		char t[160];
		plot_quote(g->name[gi], t, sizeof(t));
		fprintf(f, ", \\\n     '%s.dat' index %zu using %d:%d with points "
			"pt 7 ps 1.6 lc rgb '%s' title \"%s\"", stem, gi, 2 * m + 1,
			2 * m + 2, group_color(gi), t);
	}
	fputc('\n', f);
}

/* validation.dat and .gp, rendered. */
static int write_plot(const struct pairs *ps, const struct groups *g,
		      const struct plot_out *o, char *err, size_t errlen)
{
	FILE *f = plot_open(o, "dat", err, errlen);
	if (!f)
		return -1;
	write_data(f, ps, g);
	if (plot_close(f, o, "dat", err, errlen) ||
	    !(f = plot_open(o, "gp", err, errlen)))
		return -1;
	fprintf(f, "# validation.gp: generated by mplm-exp validate\n");
	for (int svg = 0; svg < 2; svg++) {
		plot_terminal(f, o, svg, 2 * PANEL, PANEL + TITLE_H + KEY_H, 16);
		fprintf(f, "set multiplot title \"mplm-sim replaying kvmlite's "
			"recorded runs: predicted against measured\\n(one point per "
			"run; a number: the case in errors.md, beside its worst run)\" font '" PLOT_FONT
			",17'\nset grid lc rgb '#dddddd'\nset border lw 1.5\n"
			"set style textbox opaque noborder margins 0.5,0.5\n"
			"set style fill solid 0.7 noborder\n");
		for (int m = 0; m < NMETRIC; m++)
			panel(f, ps, g, m, o->stem);
		fprintf(f, "unset multiplot\nunset output\n");
	}
	if (plot_close(f, o, "gp", err, errlen))
		return -1;
	return plot_render(o, err, errlen);
}

static int write_figure(const char *dir, const struct pairs *ps, FILE *say,
			char *err, size_t errlen)
{
	struct groups g;
	if (groups_make(ps, &g) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	struct plot_out o = { .dir = dir, .stem = "validation", .say = say };
	int rc = write_plot(ps, &g, &o, err, errlen);
	free(g.name);
	return rc;
}

/* ------------------------------------------------------------------ */

int validate_report(expdb *db, char *const *experiments, size_t n,
		    const char *outdir, FILE *echo, FILE *say, char *err,
		    size_t errlen)
{
	struct pairs ps = { .db = db };
	char dir[4200];
	int rc = -1;
	for (size_t i = 0; i < n; i++) {
		size_t before = ps.cases;
		struct pairs one = { 0 };
		if (read_experiment(db, experiments[i], &one, err, errlen) < 0) {
			free(one.v);
			goto out;
		}
		struct pair *v = realloc(ps.v, (ps.n + one.n + 1) * sizeof(*v));
		if (!v) {
			free(one.v);
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		ps.v = v;
		for (size_t k = 0; k < one.n; k++) {
			one.v[k].case_no += before;
			ps.v[ps.n++] = one.v[k];
		}
		ps.cases += one.cases;
		free(one.v);
	}
	struct summary s;
	summarize(&ps, TOTAL, &s);
	if (!s.n) {
		snprintf(err, errlen, "no pair to compare: no completed, recorded kvm "
			 "run has a completed replay");
		goto out;
	}
	if (report_dir(outdir, "validate", dir, sizeof(dir), err, errlen) < 0 ||
	    write_table(dir, "errors", "md", &ps, write_markdown, say, err, errlen) < 0 ||
	    write_table(dir, "errors", "csv", &ps, write_csv, say, err, errlen) < 0 ||
	    write_figure(dir, &ps, say, err, errlen) < 0)
		goto out;
	if (echo && report_echo(dir, "errors.md", echo) < 0) {
		snprintf(err, errlen, "%s/errors.md: cannot read it back", dir);
		goto out;
	}
	rc = 0;
out:
	free(ps.v);
	return rc;
}
