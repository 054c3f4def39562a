/*
 * memmap.c - teaching mode's memory maps (memmap.h).
 *
 * Images are drawn by gnuplot from a data file with one block per sync
 * (column, row, colour per cell); the script draws each cell as a box
 * and the legend from empty plots, one entry per state with its count.
 */
#include "memmap.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "explain.h"

extern char **environ;

/* Colour-blind-safe (Okabe-Ito) for images; the nearest ANSI colours in
 * the terminal, where "dirty again" is xterm-256 colour 166 (#d75f00), the
 * images' orange, so that the guide, the page and the terminal all call
 * it orange. The characters stay distinct without colour. */
static const char *const image_color[TEACH_NSTATES] = {
	[SIM_PAGE_ZERO] = "#BBBBBB", [SIM_PAGE_ND] = "#56B4E9",
	[SIM_PAGE_UNSENT] = "#F0E442", [SIM_PAGE_DIRTY] = "#D55E00",
	[SIM_PAGE_CLEAN] = "#009E73",
};
static const char *const ansi_color[TEACH_NSTATES] = {
	[SIM_PAGE_ZERO] = "\033[90m", [SIM_PAGE_ND] = "\033[97;44m",
	[SIM_PAGE_UNSENT] = "\033[30;43m", [SIM_PAGE_DIRTY] = "\033[97;48;5;166m",
	[SIM_PAGE_CLEAN] = "\033[30;42m",
};
#define ANSI_RESET "\033[0m"

/* The order states appear in legends: the life of a page. */
static const enum sim_page_state legend_order[TEACH_NSTATES] = {
	SIM_PAGE_ZERO, SIM_PAGE_ND, SIM_PAGE_UNSENT, SIM_PAGE_DIRTY,
	SIM_PAGE_CLEAN,
};

/* Only MPLM has an ND set: the others leave it out of their legends. */
static bool in_legend(const struct teach_run *run, enum sim_page_state s)
{
	return s != SIM_PAGE_ND || run->cfg.params.algorithm == MPLM_ALG_MPLM;
}

uint64_t memmap_rows(const struct teach_run *run, unsigned cols)
{
	return (run->ncells + cols - 1) / cols;
}

/* "MPLM, sync 3 at 2.000 s (final)" and "D 24 pages, ND 512 pages; since
 * sync 2: sent 24 from D, 232 from ND, guest dirtied 24". */
static void frame_titles(const struct teach_run *run, size_t i, char *t1,
			 size_t n1, char *t2, size_t n2)
{
	const struct mplm_sync_record *r = &run->frames[i].rec;
	enum mplm_algorithm alg = run->cfg.params.algorithm;
	const char *name = alg == MPLM_ALG_MPLM ? "MPLM"
			   : alg == MPLM_ALG_PRECOPY ? "pre-copy" : "stop-and-copy";
	const char *when = r->index == 0 ? " (setup)" : r->final ? " (final, guest paused)" : "";

	snprintf(t1, n1, "%s, sync %u at %.3f s%s", name, r->index, r->time, when);
	int k = alg == MPLM_ALG_MPLM
		? snprintf(t2, n2, "D %s pages, ND %s pages", teach_count(r->d_size).s,
			   teach_count(r->nd_size).s)
		: snprintf(t2, n2, "D %s pages", teach_count(r->d_size).s);
	if (i == 0 || k < 0 || (size_t)k >= n2)
		return;
	if (alg == MPLM_ALG_MPLM)
		snprintf(t2 + k, n2 - (size_t)k, "; since sync %u: sent %s from D, %s from ND, guest dirtied %s",
			 r->index - 1, teach_count(r->sent_d).s,
			 teach_count(r->sent_nd).s, teach_count(r->dirtied).s);
	else
		snprintf(t2 + k, n2 - (size_t)k, "; since sync %u: sent %s, guest dirtied %s",
			 r->index - 1, teach_count(r->sent_d + r->sent_nd).s,
			 teach_count(r->dirtied).s);
}

/* ---------------------------------------------------------------- */
/* The terminal. */

void memmap_print_row(FILE *out, const struct teach_run *run, size_t frame,
		      uint64_t row, unsigned cols, bool color)
{
	const uint8_t *cells = run->frames[frame].cells;
	uint64_t first = row * cols, end = first + cols;
	int cur = -1;

	if (end > run->ncells)
		end = run->ncells;
	fprintf(out, "%7llu ", (unsigned long long)teach_cell_first(run, first));
	for (uint64_t c = first; c < end; c++) {
		if (color && cells[c] != cur) {
			cur = cells[c];
			fputs(ansi_color[cur], out);
		}
		fputc(teach_state_char(cells[c]), out);
	}
	if (color)
		fputs(ANSI_RESET, out);
}

void memmap_print_legend(FILE *out, const struct teach_run *run, size_t frame,
			 bool color, unsigned width)
{
	const uint64_t *count = run->frames[frame].count;
	unsigned col = 0;

	for (int k = 0; k < TEACH_NSTATES; k++) {
		enum sim_page_state s = legend_order[k];
		char item[96];
		if (!in_legend(run, s))
			continue;
		int n = snprintf(item, sizeof(item), "%s: %s", teach_state_label(s),
				 teach_count(count[s]).s);
		unsigned w = 2 + (unsigned)n + (col ? 2 : 0);
		if (col && col + w > width) {
			fputc('\n', out);
			col = 0;
			w -= 2;
		}
		fputs(col ? "  " : "", out);
		if (color)
			fprintf(out, "%s%c" ANSI_RESET " %s", ansi_color[s],
				teach_state_char(s), item);
		else
			fprintf(out, "%c %s", teach_state_char(s), item);
		col += w;
	}
	fputc('\n', out);
}

void memmap_print(FILE *out, const struct teach_run *run, size_t frame,
		  bool color)
{
	char t1[128], t2[256];
	unsigned cols = run->ncells < MEMMAP_TERM_COLS ? (unsigned)run->ncells
						       : MEMMAP_TERM_COLS;
	frame_titles(run, frame, t1, sizeof(t1), t2, sizeof(t2));
	fprintf(out, "Memory map: %s", t1);
	if (run->pages_per_cell > 1)
		fprintf(out, ", 1 cell = %s pages", teach_count(run->pages_per_cell).s);
	fputc('\n', out);
	explain_wrap(out, t2, 78);
	for (uint64_t r = 0; r < memmap_rows(run, cols); r++) {
		memmap_print_row(out, run, frame, r, cols, color);
		fputc('\n', out);
	}
	memmap_print_legend(out, run, frame, color, 78);
}

/* ---------------------------------------------------------------- */
/* Images. */

#define IMAGE_W 1280
#define IMAGE_H 720
/* The plot's box on the image (fractions): titles above, the legend to
 * the right, axis labels left and below. */
#define BOX_R 0.66
#define BOX_B 0.16
#define BOX_T 0.84
#define PLOT_H ((BOX_T - BOX_B) * IMAGE_H)

/* The left edge leaves room for the row labels and the axis label. */
static double box_left(const struct teach_run *run, unsigned cols)
{
	uint64_t last_row = memmap_rows(run, cols) - 1;
	size_t chars = strlen(teach_count(teach_cell_first(run, last_row * cols)).s);
	return 0.06 + 0.0095 * (double)chars;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* A power of two of columns that gives the largest square cells. */
static unsigned image_cols(const struct teach_run *run)
{
	uint64_t ncells = run->ncells;
	unsigned best = 1;
	double best_size = 0;
	for (unsigned cols = 1; cols <= 1024; cols *= 2) {
		uint64_t rows = (ncells + cols - 1) / cols;
		double plot_w = (BOX_R - box_left(run, cols)) * IMAGE_W;
		double size = plot_w / cols < PLOT_H / (double)rows ? plot_w / cols
								   : PLOT_H / (double)rows;
		if (size > best_size) {
			best_size = size;
			best = cols;
		}
		if (cols >= ncells)
			break;
	}
	return best;
}

/* A string for a gnuplot single-quoted literal: ' doubles. */
static void put_quoted(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', f);
		fputc(*s, f);
	}
	fputc('\'', f);
}

static int write_data(const struct teach_run *run, const char *path,
		      unsigned cols)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	for (size_t i = 0; i < run->nframes; i++) {
		const uint8_t *cells = run->frames[i].cells;
		for (uint64_t c = 0; c < run->ncells; c++)
			fprintf(f, "%llu %llu %ld\n", (unsigned long long)(c % cols),
				(unsigned long long)(c / cols),
				strtol(image_color[cells[c]] + 1, NULL, 16));
		fputs("\n\n", f);
	}
	return fclose(f);
}

/* Axes in pages: tics every quarter row across, about 8 rows down. */
static void write_axes(FILE *f, const struct teach_run *run, unsigned cols)
{
	uint64_t rows = memmap_rows(run, cols), ppc = run->pages_per_cell;
	unsigned xstep = cols >= 4 ? cols / 4 : 1;
	uint64_t ystep = rows > 8 ? (rows + 7) / 8 : 1;

	fprintf(f, "set xrange [-0.5:%u.5]\n", cols - 1);
	fprintf(f, "set yrange [%llu.5:-0.5]\n", (unsigned long long)rows - 1);
	fprintf(f, "set xtics (");
	for (unsigned x = 0; x < cols; x += xstep)
		fprintf(f, "%s\"%s\" %u", x ? ", " : "", teach_count(x * ppc).s, x);
	fprintf(f, ")\nset ytics (");
	for (uint64_t y = 0; y < rows; y += ystep)
		fprintf(f, "%s\"%s\" %llu", y ? ", " : "",
			teach_count(teach_cell_first(run, y * cols)).s,
			(unsigned long long)y);
	fprintf(f, ")\n");
	if (ppc > 1)
		fprintf(f, "set xlabel \"page within the row (pages; 1 cell = %s pages)\"\n",
			teach_count(ppc).s);
	else
		fprintf(f, "set xlabel \"page within the row (pages; 1 cell = 1 page)\"\n");
	/* A label of its own: gnuplot's ylabel shifts with the row labels. */
	fprintf(f, "set label 3 \"first page of the row\" at screen 0.02,0.5 center rotate by 90\n");
}

static void write_frame_plot(FILE *f, const struct teach_run *run, size_t i,
			     const char *data, double half)
{
	char t1[128], t2[256];
	frame_titles(run, i, t1, sizeof(t1), t2, sizeof(t2));
	fprintf(f, "set label 1 \"%s\" at screen 0.5,0.95 center font \",24\"\n", t1);
	fprintf(f, "set label 2 \"%s\" at screen 0.5,0.895 center font \",17\"\n", t2);
	fprintf(f, "plot ");
	put_quoted(f, data);
	fprintf(f, " index %zu using 1:2:(%.2f):(%.2f):3 with boxxy lc rgb variable notitle", i,
		half, half);
	for (int k = 0; k < TEACH_NSTATES; k++) {
		enum sim_page_state s = legend_order[k];
		if (!in_legend(run, s))
			continue;
		fprintf(f, ", \\\n  NaN with boxes lc rgb '%s' title '%s: %s'",
			image_color[s], teach_state_label(s),
			teach_count(run->frames[i].count[s]).s);
	}
	fputc('\n', f);
}

/* The script's settings common to every frame. The cells are square,
 * as large as the box allows; the legend sits just right of them. */
static void write_header(FILE *f, const struct teach_run *run,
			 const char *terminal, unsigned cols)
{
	double rows = (double)memmap_rows(run, cols), left = box_left(run, cols);
	double plot_w = (BOX_R - left) * IMAGE_W;
	double cell = plot_w / cols < PLOT_H / rows ? plot_w / cols : PLOT_H / rows;
	double right = left + cell * cols / IMAGE_W;
	double mid = (BOX_T + BOX_B) / 2, half = cell * rows / IMAGE_H / 2;

	fprintf(f, "set terminal %s\n", terminal);
	fprintf(f, "set style fill solid 1.0 noborder\n");
	fprintf(f, "set border 0\nset tics scale 0\n");
	fprintf(f, "set lmargin at screen %.4f\nset rmargin at screen %.4f\n", left, right);
	fprintf(f, "set bmargin at screen %.4f\nset tmargin at screen %.4f\n",
		mid - half, mid + half);
	fprintf(f, "set key at screen %.4f,%.4f left center vertical Left reverse samplen 1 spacing 1.3\n",
		right + 0.03, mid);
	write_axes(f, run, cols);
}

/* Run gnuplot on a script; its last complaint goes to err. */
static int run_gnuplot(const char *script, const char *errfile, char *err,
		       size_t errlen)
{
	const char *prog = getenv("MPLM_GNUPLOT");
	char *argv[] = { (char *)(prog && *prog ? prog : "gnuplot"), (char *)script, NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, errfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return fail(err, errlen, "cannot run %s: %s", argv[0], strerror(rc));
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return fail(err, errlen, "waiting for %s: %s", argv[0], strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;

	/* gnuplot echoes the bad line and a caret first: keep the last
	 * line with words in it. */
	char line[256], last[256] = "";
	FILE *f = fopen(errfile, "r");
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (strspn(line, " \t^") < strlen(line))
			snprintf(last, sizeof(last), "%s", line + strspn(line, " \t"));
	}
	if (f)
		fclose(f);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && !last[0])
		return fail(err, errlen, "cannot run %s", argv[0]);
	return fail(err, errlen, "%s failed: %s", argv[0], last[0] ? last : "no message");
}

struct workdir {
	char dir[64], data[96], script[96], errors[96];
};

static int workdir_make(struct workdir *w, char *err, size_t errlen)
{
	snprintf(w->dir, sizeof(w->dir), "/tmp/mplm-memmap-XXXXXX");
	if (!mkdtemp(w->dir))
		return fail(err, errlen, "cannot make a temporary directory: %s", strerror(errno));
	snprintf(w->data, sizeof(w->data), "%s/cells.dat", w->dir);
	snprintf(w->script, sizeof(w->script), "%s/memmap.gp", w->dir);
	snprintf(w->errors, sizeof(w->errors), "%s/gnuplot.err", w->dir);
	return 0;
}

static void workdir_remove(struct workdir *w)
{
	unlink(w->data);
	unlink(w->script);
	unlink(w->errors);
	rmdir(w->dir);
}

/* Write the data and the script, with `output` saying where frame i
 * goes (NULL: the output set once at the start), and run gnuplot. */
static int render(const struct teach_run *run, const char *terminal,
		  const char *gif, const char *png_dir, char *err, size_t errlen)
{
	struct workdir w;
	unsigned cols = image_cols(run);
	double half = run->ncells > 1024 ? 0.5 : 0.44;

	if (run->nframes == 0)
		return fail(err, errlen, "no syncs to draw");
	if (workdir_make(&w, err, errlen) < 0)
		return -1;
	FILE *f = NULL;
	if (write_data(run, w.data, cols) < 0 || !(f = fopen(w.script, "w"))) {
		fail(err, errlen, "cannot write in %s: %s", w.dir, strerror(errno));
		workdir_remove(&w);
		return -1;
	}
	write_header(f, run, terminal, cols);
	if (gif) {
		fprintf(f, "set output ");
		put_quoted(f, gif);
		fputc('\n', f);
	}
	/* A GIF holds its last frame a while before it loops. */
	size_t frames = run->nframes + (gif ? 2 : 0);
	for (size_t i = 0; i < frames; i++) {
		size_t fr = i < run->nframes ? i : run->nframes - 1;
		if (png_dir) {
			char path[4096];
			snprintf(path, sizeof(path), "%s/sync-%03zu.png", png_dir, i);
			fprintf(f, "set output ");
			put_quoted(f, path);
			fputc('\n', f);
		}
		write_frame_plot(f, run, fr, w.data, half);
	}
	fprintf(f, "unset output\n");
	int rc = fclose(f) == 0 ? 0 : fail(err, errlen, "cannot write %s", w.script);
	if (rc == 0)
		rc = run_gnuplot(w.script, w.errors, err, errlen);
	workdir_remove(&w);
	return rc < 0 ? -1 : (int)run->nframes;
}

#define FONT "font \"DejaVu Sans,20\""

int memmap_write_pngs(const struct teach_run *run, const char *dir,
		      char *err, size_t errlen)
{
	char terminal[128];
	if (mkdir(dir, 0777) < 0 && errno != EEXIST)
		return fail(err, errlen, "cannot make %s: %s", dir, strerror(errno));
	snprintf(terminal, sizeof(terminal), "pngcairo size %d,%d " FONT,
		 IMAGE_W, IMAGE_H);
	return render(run, terminal, NULL, dir, err, errlen);
}

int memmap_write_gif(const struct teach_run *run, const char *file,
		     char *err, size_t errlen)
{
	char terminal[128];
	/* delay is in 1/100 s: a second and a half per sync. */
	snprintf(terminal, sizeof(terminal), "gif animate delay 150 loop 0 size %d,%d " FONT,
		 IMAGE_W, IMAGE_H);
	return render(run, terminal, file, NULL, err, errlen);
}
