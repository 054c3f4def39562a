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
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "explain.h"
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
	struct teach_run run;
	bool have_run;
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

/* Record a run for the current parameters; keep the old one on failure. */
static int record(struct step *st, char *err, size_t errlen)
{
	unsigned rows = st->height / 3;
	struct teach_run run;

	if (rows < 2)
		rows = 2;
	if (rows > 16)
		rows = 16;
	if (teach_record(&st->cfg, (uint64_t)map_cols(st->width) * rows, &run) < 0 ||
	    run.nframes == 0) {
		snprintf(err, errlen, "%s", run.res.error[0] ? run.res.error : "no syncs recorded");
		teach_run_free(&run);
		return -1;
	}
	if (st->have_run)
		teach_run_free(&st->run);
	st->run = run;
	st->have_run = true;
	st->frame = 0;
	st->scroll = 0;
	return 0;
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

/* The narration, wrapped (malloc'd), and how many lines it has. */
static char *narration(const struct step *st, unsigned width, unsigned *nlines)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	*nlines = 0;
	if (!f)
		return NULL;
	char *t = explain_sync(&st->run, st->frame);
	if (t)
		explain_wrap(f, t, width);
	free(t);
	if (st->frame + 1 == st->run.nframes) {
		t = explain_outcome(&st->run);
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

static void draw_header(FILE *f, const struct step *st)
{
	const struct mplm_params *p = &st->cfg.params;
	const struct mplm_sync_record *r = &st->run.frames[st->frame].rec;
	char line[256];

	snprintf(line, sizeof(line), "%s | downtime-limit %.0f ms | dirtypercents %u | sync %u of %zu%s",
		 p->algorithm == MPLM_ALG_MPLM ? "MPLM"
		 : p->algorithm == MPLM_ALG_PRECOPY ? "pre-copy" : "stop-and-copy",
		 p->downtime_limit * 1000, p->dirtypercents, r->index,
		 st->run.nframes - 1, r->final ? " (final)" : "");
	put_line(f, line, st->width);
	int n = snprintf(line, sizeof(line), "t = %.3f s, D = %s pages", r->time,
			 teach_count(r->d_size).s);
	if (p->algorithm == MPLM_ALG_MPLM)
		n += snprintf(line + n, sizeof(line) - (size_t)n, ", ND = %s pages",
			      teach_count(r->nd_size).s);
	if (st->run.pages_per_cell > 1)
		snprintf(line + n, sizeof(line) - (size_t)n, "; 1 cell = %s pages",
			 teach_count(st->run.pages_per_cell).s);
	put_line(f, line, st->width);
}

static unsigned draw_map(FILE *f, const struct step *st, unsigned max_rows)
{
	unsigned cols = map_cols(st->width);
	uint64_t rows = memmap_rows(&st->run, cols);
	unsigned shown = rows < max_rows ? (unsigned)rows : max_rows;
	for (unsigned r = 0; r < shown; r++) {
		memmap_print_row(f, &st->run, st->frame, r, cols, st->color);
		fputs("\033[K\n", f);
	}
	return shown;
}

static const char keys_help[] =
	"<- -> sync  Home End  up dn text  [ ] limit  - + dirty%  a alg  q quit";

/* The narration of the current sync, scrolled to fit `avail` lines. */
static void draw_narration(FILE *f, struct step *st, unsigned avail)
{
	unsigned w = st->width, text_lines;
	char *text = narration(st, w - 1, &text_lines);

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

/* Header, map, legend, narration, news and keys, top to bottom. */
static void draw_screen(FILE *f, struct step *st)
{
	unsigned w = st->width, h = st->height, legend_lines = 0;
	char *legend = NULL;
	size_t llen;
	FILE *lf = open_memstream(&legend, &llen);

	if (!lf)
		return;
	memmap_print_legend(lf, &st->run, st->frame, st->color, w - 1);
	fclose(lf);
	for (char *p = legend; *p; p++)
		legend_lines += *p == '\n';

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
	draw_narration(f, st, h > used + 1 + news ? h - used - 1 - news : 0);
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

/* downtime-limit steps, ms: QEMU's default and the paper's values. */
static const double limits_ms[] = {
	10, 30, 100, 300, 1000, 3000, 5000, 10000, 30000, 60000, 120000,
};
#define NLIMITS (sizeof(limits_ms) / sizeof(limits_ms[0]))

static bool step_limit(struct step *st, int dir)
{
	double cur = st->cfg.params.downtime_limit * 1000;
	for (size_t k = 0; k < NLIMITS; k++) {
		size_t i = dir > 0 ? k : NLIMITS - 1 - k;
		if ((dir > 0 && limits_ms[i] > cur + 1e-9) ||
		    (dir < 0 && limits_ms[i] < cur - 1e-9)) {
			st->cfg.params.downtime_limit = limits_ms[i] / 1000;
			snprintf(st->msg, sizeof(st->msg), "downtime-limit %.0f ms: replayed from sync 0",
				 limits_ms[i]);
			return true;
		}
	}
	snprintf(st->msg, sizeof(st->msg), "downtime-limit stays at %.0f ms (%s of the steps)",
		 cur, dir > 0 ? "the largest" : "the smallest");
	return false;
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
		 st->cfg.params.algorithm == MPLM_ALG_MPLM ? "" : " (it matters to MPLM only)");
	return true;
}

static bool step_algorithm(struct step *st)
{
	enum mplm_algorithm *a = &st->cfg.params.algorithm;
	*a = *a == MPLM_ALG_MPLM ? MPLM_ALG_PRECOPY : MPLM_ALG_MPLM;
	snprintf(st->msg, sizeof(st->msg), "algorithm %s: replayed from sync 0",
		 mplm_algorithm_name(*a));
	return true;
}

/* One key: false to quit. */
static bool handle_key(struct step *st, int key)
{
	size_t last = st->run.nframes - 1;
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
	term_size(&st.width, &st.height);
	if (st.width < 40 || st.height < 12) {
		snprintf(err, errlen, "--step needs a terminal of at least 40x12 (this one is %ux%u)",
			 st.width, st.height);
		return -1;
	}
	if (record(&st, err, errlen) < 0)
		return -1;
	if (term_enter(err, errlen) < 0) {
		teach_run_free(&st.run);
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
	teach_run_free(&st.run);
	return 0;
}
