/*
 * plotlib.c - shared by the figures (see plotlib.h).
 */
#include "plotlib.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static bool isalnum_ascii(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

void plot_safe_name(const char *s, char *buf, size_t len)
{
	size_t i = 0;
	for (; *s && i + 1 < len; s++)
		buf[i++] = (isalnum_ascii(*s) || strchr("._-", *s)) ? *s : '_';
	buf[i] = '\0';
}

void plot_quote(const char *s, char *buf, size_t len)
{
	size_t i = 0;
	for (; *s && i + 3 < len; s++) {
		if (*s == '"' || *s == '\\')
			buf[i++] = '\\';
		buf[i++] = *s == '\n' ? ' ' : *s;
	}
	buf[i] = '\0';
}

FILE *plot_open(const struct plot_out *o, const char *ext, char *err,
		size_t errlen)
{
	char path[4400];
	snprintf(path, sizeof(path), "%s/%s.%s", o->dir, o->stem, ext);
	FILE *f = fopen(path, "w");
	if (!f)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	return f;
}

int plot_close(FILE *f, const struct plot_out *o, const char *ext, char *err,
	       size_t errlen)
{
	if (ferror(f) | fclose(f)) {
		snprintf(err, errlen, "%s/%s.%s: write error", o->dir, o->stem,
			 ext);
		return -1;
	}
	return 0;
}

void plot_terminal(FILE *f, const struct plot_out *o, int svg, int width,
		   int height, int font_size)
{
	fprintf(f, "set terminal %s size %d,%d enhanced font '" PLOT_FONT
		",%d'\nset output '%s.%s'\n",
		svg ? "svg dynamic" : "pngcairo", width, height, font_size,
		o->stem, svg ? "svg" : "png");
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

int plot_render(const struct plot_out *o, char *err, size_t errlen)
{
	char script[256];
	snprintf(script, sizeof(script), "%s.gp", o->stem);
	if (run_gnuplot(o->dir, script, err, errlen) < 0)
		return -1;
	char data[300], path[4400];
	snprintf(path, sizeof(path), "%s/%s.dat", o->dir, o->stem);
	/* A page of panels has no data of its own: the panels' files. */
	if (access(path, F_OK) == 0)
		snprintf(data, sizeof(data), "data %s.dat, ", o->stem);
	else
		snprintf(data, sizeof(data), "data in the panels' .dat, ");
	if (o->say)
		fprintf(o->say, "wrote %s/%s.png and .svg (%sscript %s.gp)\n",
			o->dir, o->stem, data, o->stem);
	return 0;
}

/* A log axis over few decades gets 1-2-5 tics (gnuplot would label only
 * the powers of ten); others gnuplot's own. */
static void log_tics(FILE *f, const char *axis, const struct plot_range *r)
{
	if (!r->log || r->hi / r->lo > 1e4) {
		fprintf(f, "set %stics autofreq\n", axis);
		return;
	}
	const char *sep = "(";
	fprintf(f, "set %stics ", axis);
	for (double decade = pow(10, floor(log10(r->lo))); decade <= r->hi;
	     decade *= 10)
		for (int m = 1; m <= 5; m += m == 1 ? 1 : 3) {
			double v = decade * m;
			if (v < r->lo || v > r->hi)
				continue;
			fprintf(f, "%s%.6g", sep, v);
			sep = ", ";
		}
	fprintf(f, "%s\n", *sep == '(' ? "autofreq" : ")");
}

static void write_axis(FILE *f, const char *axis, const struct plot_range *r)
{
	fprintf(f, "%s logscale %s\nset %srange [%g:%g]\n",
		r->log ? "set" : "unset", axis, axis, r->lo, r->hi);
	log_tics(f, axis, r);
}

/* A fifth of a decade of room either side. */
static struct plot_range log_range(double lo, double hi)
{
	return (struct plot_range){ .lo = lo / 1.6, .hi = hi * 1.6, .log = true };
}

bool plot_axis(FILE *f, const char *axis, double lo, double hi,
	       struct plot_range *range)
{
	struct plot_range r = { .lo = lo, .hi = hi };
	if (!isfinite(lo) || !isfinite(hi)) {
		fprintf(f, "unset logscale %s\nset %srange [*:*]\n", axis, axis);
		if (range)
			*range = (struct plot_range){ 0, 1, false };
		return false;
	}
	if (lo > 0 && hi / lo > AXIS_LOG_RATIO) {
		r = log_range(lo, hi);
	} else {
		/* Values equal to the 6 digits the range is written with
		 * (%g) get room of their own: an empty range stops gnuplot. */
		double pad = hi - lo > fabs(hi) * 1e-4 ? (hi - lo) * 0.06
						       : fabs(hi) * 0.1 + 1e-9;
		/* Keep a zero baseline when the data starts near it. */
		r.lo = lo >= 0 && lo <= hi / 2 ? 0 : lo - pad;
		r.hi = hi + pad;
	}
	write_axis(f, axis, &r);
	if (range)
		*range = r;
	return r.log;
}

void plot_log_axis(FILE *f, const char *axis, double lo, double hi,
		   struct plot_range *range)
{
	struct plot_range r = log_range(lo, hi);
	write_axis(f, axis, &r);
	if (range)
		*range = r;
}

/* ------------------------------------------------------------------ */
/* Labels that keep clear of each other. */

static double to_px(const struct plot_range *r, double v, double size)
{
	if (r->log)
		return (log(v) - log(r->lo)) / (log(r->hi) - log(r->lo)) * size;
	return (v - r->lo) / (r->hi - r->lo) * size;
}

void plot_labels_point(struct plot_labels *l, double x, double y)
{
	if (l->npoints == PLOT_MAX_LABELS || !isfinite(x) || !isfinite(y))
		return;
	l->px[l->npoints] = to_px(&l->x, x, l->width);
	l->py[l->npoints++] = to_px(&l->y, y, l->height);
}

void plot_labels_block(struct plot_labels *l, double x0, double y0,
		       double x1, double y1)
{
	if (l->nboxes == PLOT_MAX_LABELS)
		return;
	double b[4] = { x0, y0, x1, y1 };
	memcpy(l->box[l->nboxes++], b, sizeof(b));
}

void plot_labels_add(struct plot_labels *l, double x, double y,
		     const char *text, const char *color)
{
	if (l->nlabels == PLOT_MAX_LABELS || !isfinite(x) || !isfinite(y) ||
	    !*text)
		return;
	plot_labels_point(l, x, y);
	struct plot_label *p = &l->label[l->nlabels++];
	p->x = x;
	p->y = y;
	p->color = color;
	snprintf(p->text, sizeof(p->text), "%s", text);
}

static bool overlaps(const double *a, const double *b)
{
	return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
}

static double char_w(const struct plot_labels *l) { return l->font_size * 0.62; }
static double char_h(const struct plot_labels *l) { return l->font_size * 1.25; }

static double marker(const struct plot_labels *l)
{
	return l->marker > 0 ? l->marker : char_h(l) * 0.8;
}

static bool place_free(const struct plot_labels *l, const double *box)
{
	if (box[0] < 0 || box[1] < 0 || box[2] > l->width || box[3] > l->height)
		return false;
	for (size_t i = 0; i < l->nboxes; i++)
		if (overlaps(box, l->box[i]))
			return false;
	double r = marker(l);
	for (size_t i = 0; i < l->npoints; i++) {
		double p[4] = { l->px[i] - r, l->py[i] - r, l->px[i] + r,
				l->py[i] + r };
		if (overlaps(box, p))
			return false;
	}
	return true;
}

/* "dp 30" + "dp 50" -> "dp 30/50": the shared first word once. */
static void join_text(char *text, size_t len, const char *more)
{
	const char *sp = strchr(more, ' ');
	size_t word = sp ? (size_t)(sp - more) + 1 : 0;
	if (word && !strncmp(text, more, word))
		more += word;
	size_t n = strlen(text);
	snprintf(text + n, len - n, "/%s", more);
}

/* Labels of one colour within a few pixels of each other: one label. */
static void join_same_spots(struct plot_labels *l)
{
	size_t keep = 0;
	for (size_t i = 0; i < l->nlabels; i++) {
		struct plot_label *p = &l->label[i];
		double px = to_px(&l->x, p->x, l->width);
		double py = to_px(&l->y, p->y, l->height);
		size_t j = 0;
		for (; j < keep; j++) {
			struct plot_label *q = &l->label[j];
			if (!strcmp(q->color, p->color) &&
			    fabs(to_px(&l->x, q->x, l->width) - px) < 4 &&
			    fabs(to_px(&l->y, q->y, l->height) - py) < 4)
				break;
		}
		if (j < keep)
			join_text(l->label[j].text, sizeof(l->label[j].text),
				  p->text);
		else
			l->label[keep++] = *p;
	}
	l->nlabels = keep;
}

static void place_one(struct plot_labels *l, FILE *f, const struct plot_label *p)
{
	double px = to_px(&l->x, p->x, l->width), py = to_px(&l->y, p->y, l->height);
	double w = char_w(l) * (double)strlen(p->text), h = char_h(l);
	double gap = marker(l) + 3;
	/* dx, dy of the label's left bottom corner from the point: beside
	 * it, then further out (a crowded spot). */
	double places[16][2];
	size_t n = 0;
	for (int ring = 1; ring <= 2; ring++) {
		double g = gap * ring, v = (ring - 1) * h;
		const double p[8][2] = {
			{ g, -h / 2 }, { g, g * 0.4 + v }, { g, -h - g * 0.4 - v },
			{ -g - w, -h / 2 }, { -g - w, g * 0.4 + v },
			{ -g - w, -h - g * 0.4 - v }, { -w / 2, g + v },
			{ -w / 2, -g - h - v },
		};
		memcpy(places[n], p, sizeof(p));
		n += 8;
	}
	size_t k = 0;
	double box[4];
	for (; k <= n; k++) {
		size_t at = k < n ? k : 0;  /* crowded: the first, overlap and all */
		box[0] = px + places[at][0];
		box[1] = py + places[at][1];
		box[2] = box[0] + w;
		box[3] = box[1] + h;
		if (k == n || place_free(l, box)) {
			k = at;
			break;
		}
	}
	plot_labels_block(l, box[0], box[1], box[2], box[3]);
	char q[256];
	plot_quote(p->text, q, sizeof(q));
	/* gnuplot anchors a left-justified label at its left middle. */
	fprintf(f, "set label \"%s\" at first %.9g, first %.9g left offset "
		"screen %.5f, screen %.5f font '" PLOT_FONT ",%d' tc rgb '%s' "
		"front boxed\n", q, p->x, p->y, places[k][0] / l->canvas_w,
		(places[k][1] + h / 2) / l->canvas_h, l->font_size, p->color);
}

void plot_labels_write(struct plot_labels *l, FILE *f)
{
	fprintf(f, "unset label\n");
	join_same_spots(l);
	for (size_t i = 0; i < l->nlabels; i++)
		place_one(l, f, &l->label[i]);
}

static bool varies(const struct agg *a, const char *algorithm, size_t field)
{
	double first = NAN;
	for (size_t i = 0; i < a->n; i++) {
		const struct agg_point *q = &a->v[i];
		if (strcmp(q->algorithm, algorithm))
			continue;
		double v = field == 0 ? q->downtime_limit
			 : field == 1 ? q->dirtypercents : q->intervaltime;
		if (isnan(first))
			first = v;
		else if (v != first && !(isnan(v) && isnan(first)))
			return true;
	}
	return false;
}

size_t plot_settings_varied(const struct agg *a, const char *algorithm)
{
	size_t n = 0;
	for (size_t field = 0; field < 3; field++)
		n += varies(a, algorithm, field);
	return n;
}

void plot_config_label(const struct agg *a, const struct agg_point *p,
		       char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	bool pre = !strcmp(p->algorithm, "precopy");
	/* Pre-copy is told by its limit; MPLM by what the sweep varies. */
	if (pre || varies(a, p->algorithm, 0))
		n += (size_t)snprintf(buf + n, len - n, "%s%g s", n ? ", " : "",
				      p->downtime_limit);
	if (!pre && varies(a, p->algorithm, 1) && n < len)
		n += (size_t)snprintf(buf + n, len - n, "%sdp %g", n ? ", " : "",
				      p->dirtypercents);
	if (!pre && varies(a, p->algorithm, 2) && n < len)
		snprintf(buf + n, len - n, "%sinterval %g s", n ? ", " : "",
			 p->intervaltime);
}

const char *plot_algorithm_title(const char *algorithm)
{
	if (!strcmp(algorithm, "precopy"))
		return "pre-copy";
	if (!strcmp(algorithm, "mplm"))
		return "MPLM";
	return "stop-and-copy";
}
