/*
 * plotlib.h - what every mplm-exp figure shares: file names, the data and
 * script files, running gnuplot to PNG and SVG, the axis rule, the names
 * of configurations, and the line that says what was written.
 */
#ifndef EXP_PLOTLIB_H
#define EXP_PLOTLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "agg.h"

#define PLOT_FONT "DejaVu Sans"

/* A figure being written: DIR/STEM.dat, .gp, .png, .svg. */
struct plot_out {
	const char *dir;
	char stem[200];
	FILE *say;          /* "wrote ..." lines; NULL for none */
};

/* A name safe in file names and gnuplot strings. */
void plot_safe_name(const char *s, char *buf, size_t len);
/* Text safe inside a gnuplot double-quoted string. */
void plot_quote(const char *s, char *buf, size_t len);

/* Open DIR/STEM.EXT for writing; NULL with the reason in err. */
FILE *plot_open(const struct plot_out *o, const char *ext, char *err,
		size_t errlen);
/* Close, checking for write errors. */
int plot_close(FILE *f, const struct plot_out *o, const char *ext, char *err,
	       size_t errlen);
/* The script's terminal lines for pass 0 (PNG) or 1 (SVG). */
void plot_terminal(FILE *f, const struct plot_out *o, int svg, int width,
		   int height, int font_size);
/* Run gnuplot on STEM.gp in DIR and say what was written. */
int plot_render(const struct plot_out *o, char *err, size_t errlen);

/* An axis over [lo, hi] (the data's extent): logarithmic when the values
 * are positive and span more than AXIS_LOG_RATIO, with a margin either
 * way. Writes `set logscale/nologscale AXIS` and `set AXISrange`; the
 * range chosen goes to *range when it is not NULL. */
#define AXIS_LOG_RATIO 30.0
struct plot_range {
	double lo, hi;
	bool log;
};
bool plot_axis(FILE *f, const char *axis, double lo, double hi,
	       struct plot_range *range);
/* The same, logarithmic whatever the span (lo > 0): for ratios, where
 * equal distances are equal factors. */
void plot_log_axis(FILE *f, const char *axis, double lo, double hi,
		   struct plot_range *range);

/* Labels beside points that keep clear of each other, of the points and
 * of the key: each label takes the first of a few places around its point
 * (right, left, above, below) that overlaps nothing placed yet and stays
 * inside the plot. Labels of one colour whose points land on the same spot
 * are joined into one ("dp 30" + "dp 50" -> "dp 30/50"). Sizes are pixels
 * of the output; the plot area's may be an estimate. */
#define PLOT_MAX_LABELS 128
struct plot_label {
	double x, y;          /* data */
	char text[120];
	const char *color;
};
struct plot_labels {
	struct plot_range x, y;
	double width, height;          /* the plot area, pixels */
	double canvas_w, canvas_h;     /* the whole image, pixels */
	int font_size;
	double marker;                 /* a point's radius; 0: the font's */
	double px[PLOT_MAX_LABELS], py[PLOT_MAX_LABELS];  /* points */
	size_t npoints;
	double box[PLOT_MAX_LABELS][4];                   /* x0 y0 x1 y1 */
	size_t nboxes;
	struct plot_label label[PLOT_MAX_LABELS];
	size_t nlabels;
};
/* A point no label may cover. */
void plot_labels_point(struct plot_labels *l, double x, double y);
/* A rectangle no label may cover (the key), pixels from the plot area's
 * bottom left. */
void plot_labels_block(struct plot_labels *l, double x0, double y0,
		       double x1, double y1);
/* A label for the point at x, y (which is also an obstacle). */
void plot_labels_add(struct plot_labels *l, double x, double y,
		     const char *text, const char *color);
/* `unset label` and a `set label` per (joined) label, at its place. */
void plot_labels_write(struct plot_labels *l, FILE *f);

/* What tells a point from the others of its algorithm in the experiment:
 * "0.3 s" (pre-copy downtime limit), "dp 30" or "dp 30, 1 s" (MPLM), ""
 * when it is the only one. Settings that vary among the experiment's
 * points of that algorithm are named. */
void plot_config_label(const struct agg *a, const struct agg_point *p,
		       char *buf, size_t len);
/* How many of downtime-limit, dirtypercents and intervaltime take more
 * than one value among the experiment's points of that algorithm. */
size_t plot_settings_varied(const struct agg *a, const char *algorithm);
/* "pre-copy", "MPLM", "stop-and-copy". */
const char *plot_algorithm_title(const char *algorithm);

#endif
