/*
 * step.c - teaching mode's interactive step mode (step.h).
 *
 * The whole run is recorded first (teach_record: a frame per sync), then
 * the frames are browsed; changing a parameter records a new run and
 * starts again at sync 0. The terminal is in non-canonical, no-echo mode
 * without terminal signals (Ctrl-C arrives as a key and quits), on the
 * alternate screen; every exit path puts it back as it was.
 */
#include "step.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "explain.h"
#include "gen.h"
#include "memmap.h"
#include "teach.h"

/* ---------------------------------------------------------------- */
/* The terminal. Shared with the signal handlers, hence static. */

static struct termios saved_tio;
static volatile sig_atomic_t term_raw;
static volatile sig_atomic_t resized;

#define ENTER_SCREEN "\033[?1049h\033[?25l"
#define LEAVE_SCREEN "\033[?25h\033[?1049l"

/* Async-signal-safe: write and tcsetattr only. */
static void term_restore(void)
{
	if (!term_raw)
		return;
	term_raw = 0;
	ssize_t n = write(STDOUT_FILENO, LEAVE_SCREEN, sizeof(LEAVE_SCREEN) - 1);
	(void)n;
	tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
}

static void on_fatal_signal(int sig)
{
	term_restore();
	signal(sig, SIG_DFL);
	raise(sig); /* delivered when the handler returns */
}

static void on_winch(int sig)
{
	(void)sig;
	resized = 1;
}

static int term_enter(char *err, size_t errlen)
{
	static const int fatal[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct sigaction sa;
	struct termios raw;

	if (tcgetattr(STDIN_FILENO, &saved_tio) < 0) {
		snprintf(err, errlen, "cannot read the terminal's settings: %s", strerror(errno));
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_fatal_signal;
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		sigaction(fatal[i], &sa, NULL);
	sa.sa_handler = on_winch; /* no SA_RESTART: read returns EINTR */
	sigaction(SIGWINCH, &sa, NULL);
	atexit(term_restore);

	raw = saved_tio;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ISIG | IEXTEN);
	raw.c_iflag &= ~(tcflag_t)(IXON | ICRNL);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) < 0) {
		snprintf(err, errlen, "cannot set up the terminal: %s", strerror(errno));
		return -1;
	}
	term_raw = 1;
	ssize_t n = write(STDOUT_FILENO, ENTER_SCREEN, sizeof(ENTER_SCREEN) - 1);
	(void)n;
	return 0;
}

static void term_size(unsigned *w, unsigned *h)
{
	struct winsize ws;
	*w = 80;
	*h = 24;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col && ws.ws_row) {
		*w = ws.ws_col;
		*h = ws.ws_row;
	}
}

/* ---------------------------------------------------------------- */
/* Keys. */

enum key {
	KEY_NONE = -1, KEY_EOF = -2,
	KEY_UP = 1000, KEY_DOWN, KEY_RIGHT, KEY_LEFT, KEY_HOME, KEY_END,
	KEY_PGUP, KEY_PGDN,
};

/* The rest of an escape sequence, if it comes within 50 ms. */
static int read_escape(void)
{
	char seq[8];
	size_t n = 0;
	struct pollfd p = { STDIN_FILENO, POLLIN, 0 };

	while (n < sizeof(seq) - 1 && poll(&p, 1, 50) > 0 &&
	       read(STDIN_FILENO, &seq[n], 1) == 1) {
		n++;
		if (n >= 2 && ((seq[n - 1] >= 'A' && seq[n - 1] <= 'Z') || seq[n - 1] == '~'))
			break;
	}
	seq[n] = 0;
	static const struct { const char *seq; int key; } map[] = {
		{ "[A", KEY_UP }, { "[B", KEY_DOWN }, { "[C", KEY_RIGHT },
		{ "[D", KEY_LEFT }, { "OA", KEY_UP }, { "OB", KEY_DOWN },
		{ "OC", KEY_RIGHT }, { "OD", KEY_LEFT }, { "[H", KEY_HOME },
		{ "[F", KEY_END }, { "OH", KEY_HOME }, { "OF", KEY_END },
		{ "[1~", KEY_HOME }, { "[4~", KEY_END }, { "[7~", KEY_HOME },
		{ "[8~", KEY_END }, { "[5~", KEY_PGUP }, { "[6~", KEY_PGDN },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(seq, map[i].seq) == 0)
			return map[i].key;
	return KEY_NONE;
}

static int read_key(void)
{
	unsigned char c;
	ssize_t n = read(STDIN_FILENO, &c, 1);
	if (n < 0)
		return errno == EINTR ? KEY_NONE : KEY_EOF;
	if (n == 0)
		return KEY_EOF;
	return c == 27 ? read_escape() : c;
}

/* ---------------------------------------------------------------- */
/* The session. */

struct step {
	struct sim_config cfg;
	char spec[512];           /* the workload spec, with the rate as set */
	double rate;              /* its rate, pages/s */
	struct teach_run run;     /* the run shown; pre-copy's side by side */
	struct teach_run mplm;    /* side by side: MPLM's run */
	bool have_run;
	bool split;               /* pre-copy and MPLM side by side */
	bool color;
	size_t frame;
	unsigned scroll;          /* first line of the narration shown */
	unsigned width, height;
	char msg[160];            /* one line of news, shown until the next key */
};

static unsigned map_cols(unsigned width)
{
	unsigned cols = MEMMAP_TERM_COLS;
	while (cols > 8 && cols + 9 > width)
		cols /= 2;
	return cols;
}

/* Cells per map row: one map across the screen, or two side by side. */
static unsigned shown_cols(const struct step *st)
{
	return map_cols(st->split ? st->width / 2 : st->width);
}

static int record_one(const struct step *st, enum mplm_algorithm alg,
		      struct teach_run *run, char *err, size_t errlen)
{
	unsigned rows = st->height / 3;
	struct sim_config cfg = st->cfg;

	if (rows < 2)
		rows = 2;
	if (rows > 16)
		rows = 16;
	cfg.params.algorithm = alg;
	/* Post-copy is pre-copy's option: MPLM's run (a, or side by side)
	 * goes without it. */
	if (alg != MPLM_ALG_PRECOPY) {
		cfg.params.postcopy_ram = false;
		cfg.params.postcopy_after_passes = 0;
		cfg.start_postcopy_at = -1;
	}
	if (teach_record(&cfg, (uint64_t)shown_cols(st) * rows, run) < 0 ||
	    run->nframes == 0) {
		snprintf(err, errlen, "%s", run->res.error[0] ? run->res.error : "no syncs recorded");
		teach_run_free(run);
		return -1;
	}
	return 0;
}

static void drop_runs(struct step *st)
{
	if (!st->have_run)
		return;
	teach_run_free(&st->run);
	teach_run_free(&st->mplm); /* zeroed when not side by side: a no-op */
	st->have_run = false;
}

/* Record the run(s) for the current parameters; keep the old ones on
 * failure. */
static int record(struct step *st, char *err, size_t errlen)
{
	struct teach_run run, mplm = { 0 };

	if (record_one(st, st->split ? MPLM_ALG_PRECOPY : st->cfg.params.algorithm,
		       &run, err, errlen) < 0)
		return -1;
	if (st->split && record_one(st, MPLM_ALG_MPLM, &mplm, err, errlen) < 0) {
		teach_run_free(&run);
		return -1;
	}
	drop_runs(st);
	st->run = run;
	st->mplm = mplm;
	st->have_run = true;
	st->frame = 0;
	st->scroll = 0;
	return 0;
}

/* The last frame of the longer run: side by side, both step together. */
static size_t last_frame(const struct step *st)
{
	size_t last = st->run.nframes - 1;
	if (st->split && st->mplm.nframes - 1 > last)
		last = st->mplm.nframes - 1;
	return last;
}

/* A run's own frame for the step shown: its last once it has ended. */
static size_t frame_of(const struct teach_run *run, size_t frame)
{
	return frame < run->nframes ? frame : run->nframes - 1;
}

/* A line of plain text, cut to the screen's width. */
static void put_line(FILE *f, const char *s, unsigned width)
{
	size_t n = strcspn(s, "\n");
	if (n > width - 1)
		n = width - 1;
	fwrite(s, 1, n, f);
	fputs("\033[K\n", f);
}

/* A run's narration at a step, wrapped (malloc'd), and how many lines it
 * has. */
static char *narration(const struct teach_run *run, size_t step,
		       unsigned width, unsigned *nlines)
{
	size_t frame = frame_of(run, step);
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	*nlines = 0;
	if (!f)
		return NULL;
	char *t = explain_sync(run, frame);
	if (t)
		explain_wrap(f, t, width);
	free(t);
	if (frame + 1 == run->nframes) {
		t = explain_outcome(run);
		if (t) {
			fputc('\n', f);
			explain_wrap(f, t, width);
		}
		free(t);
	}
	fclose(f);
	for (char *p = buf; p && *p; p++)
		*nlines += *p == '\n';
	return buf;
}

static const char *alg_label(enum mplm_algorithm a)
{
	return a == MPLM_ALG_MPLM ? "MPLM" : a == MPLM_ALG_PRECOPY ? "pre-copy" : "stop-and-copy";
}

/* The parameters that matter to what is shown, and nothing else:
 * dirtypercents and intervaltime are MPLM's alone. */
static void draw_params(FILE *f, const struct step *st)
{
	const struct mplm_params *p = &st->cfg.params;
	bool mplm = st->split || p->algorithm == MPLM_ALG_MPLM;
	char line[256];
	int n = snprintf(line, sizeof(line), "%s", st->split ? "pre-copy vs MPLM" : alg_label(p->algorithm));

	if (st->split || p->algorithm != MPLM_ALG_STOPCOPY)
		n += snprintf(line + n, sizeof(line) - (size_t)n, " | downtime-limit %.0f ms",
			      p->downtime_limit * 1000);
	if (mplm)
		n += snprintf(line + n, sizeof(line) - (size_t)n, " | intervaltime %g s | dirtypercents %u",
			      p->intervaltime, p->dirtypercents);
	if (st->cfg.workload_spec && !st->split)
		snprintf(line + n, sizeof(line) - (size_t)n, " | rate %s/s",
			 teach_real(st->rate, st->rate < 10 ? 1 : 0).s);
	put_line(f, line, st->width);
}

/* "sync 1 of 4 | t = 1.000 s | D = 36, ND = 108 pages" for one run. */
static int sync_line(char *line, size_t len, const struct teach_run *run, size_t step)
{
	const struct mplm_sync_record *r = &run->frames[frame_of(run, step)].rec;
	int n = snprintf(line, len, "sync %u of %zu%s | t = %.3f s | D = %s", r->index,
			 run->nframes - 1, r->final ? " (final)" : "", r->time,
			 teach_count(r->d_size).s);
	if (run->cfg.params.algorithm == MPLM_ALG_MPLM)
		n += snprintf(line + n, len - (size_t)n, ", ND = %s", teach_count(r->nd_size).s);
	return n + snprintf(line + n, len - (size_t)n, " pages");
}

static void draw_header(FILE *f, const struct step *st)
{
	char line[256];
	draw_params(f, st);
	int n = sync_line(line, sizeof(line), &st->run, st->frame);
	if (st->run.pages_per_cell > 1)
		snprintf(line + n, sizeof(line) - (size_t)n, "; 1 cell = %s pages",
			 teach_count(st->run.pages_per_cell).s);
	put_line(f, line, st->width);
}

static unsigned draw_map(FILE *f, const struct step *st, unsigned max_rows)
{
	unsigned cols = shown_cols(st);
	uint64_t rows = memmap_rows(&st->run, cols);
	unsigned shown = rows < max_rows ? (unsigned)rows : max_rows;
	for (unsigned r = 0; r < shown; r++) {
		memmap_print_row(f, &st->run, frame_of(&st->run, st->frame), r, cols, st->color);
		if (st->split) {
			fputs("  ", f);
			memmap_print_row(f, &st->mplm, frame_of(&st->mplm, st->frame), r, cols,
					 st->color);
		}
		fputs("\033[K\n", f);
	}
	return shown;
}

static const char keys_help[] =
	"<- -> sync  [] limit  -+ dirty%  wW rate  iI interval  a alg  s split  q quit";

/* The narration of the current sync, scrolled to fit `avail` lines. */
static void draw_narration(FILE *f, struct step *st, unsigned avail)
{
	unsigned w = st->width, text_lines;
	char *text = narration(&st->run, st->frame, w - 1, &text_lines);

	if (avail < 2)
		avail = 2;
	if (text_lines <= avail)
		st->scroll = 0;
	else if (st->scroll > text_lines - (avail - 1))
		st->scroll = text_lines - (avail - 1);
	unsigned show = text_lines <= avail ? text_lines : avail - 1;
	char *p = text;
	for (unsigned i = 0; p && *p && i < st->scroll + show; i++) {
		if (i >= st->scroll)
			put_line(f, p, w);
		p += strcspn(p, "\n") + 1;
	}
	if (text_lines > avail) {
		char more[96];
		snprintf(more, sizeof(more), "  [lines %u-%u of %u: up/down to scroll]",
			 st->scroll + 1, st->scroll + show, text_lines);
		put_line(f, more, w);
	}
	free(text);
}

/* Side by side: each run's narration, the first `avail` lines of it,
 * under its name. */
static void draw_split_narration(FILE *f, const struct step *st, unsigned avail)
{
	const struct teach_run *runs[2] = { &st->run, &st->mplm };
	for (int k = 0; k < 2; k++) {
		unsigned n;
		char *text = narration(runs[k], st->frame, st->width - 11, &n), *p = text;
		for (unsigned i = 0; p && *p && i < (avail > 1 ? avail : 1); i++) {
			char line[512];
			snprintf(line, sizeof(line), "%-9s %.*s", i ? "" : alg_label(runs[k]->cfg.params.algorithm),
				 (int)strcspn(p, "\n"), p);
			put_line(f, line, st->width);
			p += strcspn(p, "\n") + 1;
		}
		free(text);
	}
}

/* The legend(s) with their counts, as text (malloc'd); side by side, one
 * per run under its name. */
static char *legends(const struct step *st, unsigned *nlines)
{
	char *buf = NULL, *one = NULL;
	size_t len, olen;
	FILE *f = open_memstream(&buf, &len);

	*nlines = 0;
	if (!f)
		return NULL;
	if (!st->split) {
		memmap_print_legend(f, &st->run, st->frame, st->color, st->width - 1);
	} else {
		const struct teach_run *runs[2] = { &st->run, &st->mplm };
		for (int k = 0; k < 2; k++) {
			FILE *o = open_memstream(&one, &olen);
			if (!o)
				break;
			memmap_print_legend(o, runs[k], frame_of(runs[k], st->frame), st->color,
					    st->width - 11);
			fclose(o);
			for (char *p = one, first = 1; *p; first = 0) {
				size_t n = strcspn(p, "\n");
				fprintf(f, "%-9s %.*s\n", first ? alg_label(runs[k]->cfg.params.algorithm) : "",
					(int)n, p);
				p += n + (p[n] != 0);
			}
			free(one);
			one = NULL;
		}
	}
	fclose(f);
	for (char *p = buf; p && *p; p++)
		*nlines += *p == '\n';
	return buf;
}

/* Side by side, the second header line: where each run is. */
static void draw_split_header(FILE *f, const struct step *st)
{
	char left[128], line[256];
	const struct mplm_sync_record *a = &st->run.frames[frame_of(&st->run, st->frame)].rec;
	const struct mplm_sync_record *b = &st->mplm.frames[frame_of(&st->mplm, st->frame)].rec;

	draw_params(f, st);
	snprintf(left, sizeof(left), "pre-copy: sync %u of %zu, t = %.3f s", a->index,
		 st->run.nframes - 1, a->time);
	snprintf(line, sizeof(line), "%-*s  MPLM: sync %u of %zu, t = %.3f s",
		 (int)(8 + shown_cols(st)), left, b->index, st->mplm.nframes - 1, b->time);
	put_line(f, line, st->width);
}

/* Header, map, legend, narration, news and keys, top to bottom. */
static void draw_screen(FILE *f, struct step *st)
{
	unsigned w = st->width, h = st->height, legend_lines;
	char *legend = legends(st, &legend_lines);

	if (!legend)
		return;
	if (st->split)
		draw_split_header(f, st);
	else
		draw_header(f, st);
	/* The narration keeps at least 4 lines; the map gets the rest. */
	unsigned news = st->msg[0] ? 1 : 0;
	unsigned fixed = 2 + legend_lines + 1 + news;
	unsigned room = h > fixed + 4 ? h - fixed - 4 : 0;
	unsigned used = 2 + draw_map(f, st, room);
	for (char *p = legend; *p; p++) /* clear what the last frame left */
		fputs(*p == '\n' ? "\033[K\n" : (char[2]){ *p, 0 }, f);
	free(legend);
	used += legend_lines;
	unsigned avail = h > used + 1 + news ? h - used - 1 - news : 0;
	if (st->split)
		draw_split_narration(f, st, avail / 2);
	else
		draw_narration(f, st, avail);
	fputs("\033[J", f);
	if (news) {
		fprintf(f, "\033[%u;1H", h - 1);
		put_line(f, st->msg, w);
	}
	fprintf(f, "\033[%u;1H%.*s\033[K", h, (int)(w - 1), keys_help);
}

static void draw(struct step *st)
{
	char *screen = NULL;
	size_t len;
	FILE *f = open_memstream(&screen, &len);

	if (!f)
		return;
	fputs("\033[H", f);
	if (st->width < 40 || st->height < 12) {
		put_line(f, "the terminal is too small: 40x12 at least", st->width);
		fputs("\033[J", f);
	} else {
		draw_screen(f, st);
	}
	fclose(f);
	for (size_t off = 0; off < len;) {
		ssize_t n = write(STDOUT_FILENO, screen + off, len - off);
		if (n < 0 && errno != EINTR)
			break;
		off += n > 0 ? (size_t)n : 0;
	}
	free(screen);
}

/* The next value of a list of steps above (dir > 0) or below cur; -1 if
 * there is none. */
static double next_step(const double *steps, size_t n, double cur, int dir)
{
	for (size_t k = 0; k < n; k++) {
		size_t i = dir > 0 ? k : n - 1 - k;
		if ((dir > 0 && steps[i] > cur * (1 + 1e-9)) ||
		    (dir < 0 && steps[i] < cur * (1 - 1e-9)))
			return steps[i];
	}
	return -1;
}

/* downtime-limit steps, ms: those of docs/teaching.md's Exercise 2, QEMU's
 * default and the paper's values. */
static const double limits_ms[] = {
	10, 30, 100, 300, 500, 1000, 2000, 3000, 5000, 10000, 30000, 60000, 120000,
};
/* intervaltime steps, s (qemu-mplm's default is 3). */
static const double intervals_s[] = { 0.1, 0.2, 0.5, 1, 2, 3, 5, 10, 20, 30, 60 };
#define NSTEPS(a) (sizeof(a) / sizeof((a)[0]))

static bool step_limit(struct step *st, int dir)
{
	double cur = st->cfg.params.downtime_limit * 1000;
	double ms = next_step(limits_ms, NSTEPS(limits_ms), cur, dir);
	if (ms < 0) {
		snprintf(st->msg, sizeof(st->msg), "downtime-limit stays at %.0f ms (%s of the steps)",
			 cur, dir > 0 ? "the largest" : "the smallest");
		return false;
	}
	st->cfg.params.downtime_limit = ms / 1000;
	snprintf(st->msg, sizeof(st->msg), "downtime-limit %.0f ms: replayed from sync 0", ms);
	return true;
}

static bool step_interval(struct step *st, int dir)
{
	double *it = &st->cfg.params.intervaltime;
	double v = next_step(intervals_s, NSTEPS(intervals_s), *it, dir);
	if (v < 0) {
		snprintf(st->msg, sizeof(st->msg), "intervaltime stays at %g s (%s of the steps)",
			 *it, dir > 0 ? "the largest" : "the smallest");
		return false;
	}
	*it = v;
	snprintf(st->msg, sizeof(st->msg), "intervaltime %g s: replayed from sync 0%s", v,
		 st->split || st->cfg.params.algorithm == MPLM_ALG_MPLM ? "" : " (it matters to MPLM only)");
	return true;
}

/* The write rate moves by 10 pages/s below 200, by 50 below 1,000, then
 * by half the leading power of ten: fine where the classroom VM's link
 * (128 pages/s) is, coarse for NPB-sized rates. */
static double rate_step(double rate)
{
	return rate < 200 ? 10 : rate < 1000 ? 50 : pow(10, floor(log10(rate))) / 2;
}

/* spec with its rate= key replaced by rate (appended if missing); left
 * as it was if the result would not fit. */
static void spec_set_rate(char *spec, size_t size, double rate)
{
	char out[512] = "";
	size_t n = 0;
	for (const char *p = spec; *p;) {
		size_t len = strcspn(p, ",");
		if (strncmp(p, "rate=", 5) != 0)
			n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%.*s", n ? "," : "", (int)len, p);
		p += len + (p[len] == ',');
		if (n >= sizeof(out))
			return;
	}
	char res[sizeof(out) + 32];
	int len = snprintf(res, sizeof(res), "%s,rate=%g", out, rate);
	if (len > 0 && (size_t)len < size)
		memcpy(spec, res, (size_t)len + 1);
}

static bool step_rate(struct step *st, int dir)
{
	if (!st->cfg.workload_spec) {
		snprintf(st->msg, sizeof(st->msg), "the write rate is the trace's: w and W need --workload");
		return false;
	}
	if (dir < 0 && st->rate <= 0) {
		snprintf(st->msg, sizeof(st->msg), "the write rate stays at 0 pages/s");
		return false;
	}
	double step = rate_step(dir > 0 ? st->rate : st->rate * (1 - 1e-9));
	double rate = dir > 0 ? (floor(st->rate / step + 1e-9) + 1) * step
			      : (ceil(st->rate / step - 1e-9) - 1) * step;
	st->rate = rate > 0 ? rate : 0;
	spec_set_rate(st->spec, sizeof(st->spec), st->rate);
	snprintf(st->msg, sizeof(st->msg), "write rate %s pages/s: replayed from sync 0",
		 teach_real(st->rate, 0).s);
	return true;
}

static bool step_split(struct step *st)
{
	st->split = !st->split;
	snprintf(st->msg, sizeof(st->msg), "%s: replayed from sync 0",
		 st->split ? "pre-copy and MPLM side by side" : "one run");
	return true;
}

static bool step_dirtypercents(struct step *st, int dir)
{
	unsigned *dp = &st->cfg.params.dirtypercents;
	if ((dir < 0 && *dp == 0) || (dir > 0 && *dp == 100)) {
		snprintf(st->msg, sizeof(st->msg), "dirtypercents stays at %u (0 to 100)", *dp);
		return false;
	}
	*dp = dir > 0 ? (*dp + 10 > 100 ? 100 : *dp + 10) : (*dp < 10 ? 0 : *dp - 10);
	snprintf(st->msg, sizeof(st->msg), "dirtypercents %u: replayed from sync 0%s", *dp,
		 st->split || st->cfg.params.algorithm == MPLM_ALG_MPLM ? "" : " (it matters to MPLM only)");
	return true;
}

static bool step_algorithm(struct step *st)
{
	enum mplm_algorithm *a = &st->cfg.params.algorithm;
	if (st->split) {
		snprintf(st->msg, sizeof(st->msg), "side by side shows both: s for one run, then a");
		return false;
	}
	*a = *a == MPLM_ALG_MPLM ? MPLM_ALG_PRECOPY : MPLM_ALG_MPLM;
	snprintf(st->msg, sizeof(st->msg), "algorithm %s: replayed from sync 0",
		 mplm_algorithm_name(*a));
	return true;
}

/* One key: false to quit. */
static bool handle_key(struct step *st, int key)
{
	size_t last = last_frame(st);
	bool replay = false;

	st->msg[0] = 0;
	switch (key) {
	case KEY_EOF: case 'q': case 'Q': case 3 /* Ctrl-C */: case 4 /* Ctrl-D */:
		return false;
	case KEY_RIGHT: case 'n': case 'l': case ' ': case '\r': case '\n':
		if (st->frame < last) {
			st->frame++;
			st->scroll = 0;
		} else {
			snprintf(st->msg, sizeof(st->msg), "this is the last sync; Left goes back, q quits");
		}
		break;
	case KEY_LEFT: case 'p': case 'h': case 127: case 8:
		if (st->frame > 0) {
			st->frame--;
			st->scroll = 0;
		}
		break;
	case KEY_HOME: case 'g':
		st->frame = 0;
		st->scroll = 0;
		break;
	case KEY_END: case 'G':
		st->frame = last;
		st->scroll = 0;
		break;
	case KEY_DOWN: case 'j': case KEY_PGDN:
		st->scroll += key == KEY_PGDN ? 10 : 1;
		break;
	case KEY_UP: case 'k': case KEY_PGUP:
		st->scroll -= st->scroll < (key == KEY_PGUP ? 10u : 1u) ? st->scroll
			      : (key == KEY_PGUP ? 10u : 1u);
		break;
	case '[':
		replay = step_limit(st, -1);
		break;
	case ']':
		replay = step_limit(st, +1);
		break;
	case '-': case '_':
		replay = step_dirtypercents(st, -1);
		break;
	case '+': case '=':
		replay = step_dirtypercents(st, +1);
		break;
	case 'a': case 'A':
		replay = step_algorithm(st);
		break;
	case 'w': case 'W':
		replay = step_rate(st, key == 'W' ? +1 : -1);
		break;
	case 'i': case 'I':
		replay = step_interval(st, key == 'I' ? +1 : -1);
		break;
	case 's': case 'S':
		replay = step_split(st);
		break;
	case 26: /* Ctrl-Z */
		snprintf(st->msg, sizeof(st->msg), "suspending is off in step mode; q quits");
		break;
	default:
		break;
	}
	if (replay) {
		char err[512];
		if (record(st, err, sizeof(err)) < 0)
			snprintf(st->msg, sizeof(st->msg), "cannot replay: %.120s", err);
	}
	return true;
}

int step_main(const struct sim_config *cfg, bool color, char *err,
	      size_t errlen)
{
	struct step st = { .cfg = *cfg, .color = color };

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		snprintf(err, errlen, "--step needs a terminal on stdin and stdout");
		return -1;
	}
	if (cfg->workload_spec) {
		struct gen_spec g;
		if (gen_parse(cfg->workload_spec, &g, err, errlen) < 0)
			return -1;
		snprintf(st.spec, sizeof(st.spec), "%s", cfg->workload_spec);
		st.cfg.workload_spec = st.spec;
		st.rate = g.rate;
	}
	term_size(&st.width, &st.height);
	if (st.width < 40 || st.height < 12) {
		snprintf(err, errlen, "--step needs a terminal of at least 40x12 (this one is %ux%u)",
			 st.width, st.height);
		return -1;
	}
	if (record(&st, err, errlen) < 0)
		return -1;
	if (term_enter(err, errlen) < 0) {
		drop_runs(&st);
		return -1;
	}
	draw(&st);
	for (;;) {
		int key = read_key();
		if (resized) {
			resized = 0;
			term_size(&st.width, &st.height);
		}
		if (key != KEY_NONE && !handle_key(&st, key))
			break;
		draw(&st);
	}
	term_restore();
	drop_runs(&st);
	return 0;
}
