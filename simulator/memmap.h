/*
 * memmap.h - teaching mode's memory maps: every page (or group of pages)
 * of a recorded run (teach.h) as a cell coloured by its state after a
 * sync, in the terminal (ANSI colours, or distinct characters without),
 * as one PNG per sync, or as an animated GIF (both through gnuplot).
 */
#ifndef MPLM_MEMMAP_H
#define MPLM_MEMMAP_H

#include <stdbool.h>
#include <stdio.h>

#include "teach.h"

/* Cells per terminal row: fits 80 columns with the row labels. */
#define MEMMAP_TERM_COLS 64
/* The most cells a terminal map or step mode shows (16 rows). */
#define MEMMAP_TERM_CELLS 1024
/* The most cells an image shows. */
#define MEMMAP_IMAGE_CELLS 4096

/* The map after one sync: a heading, the rows, the legend with counts. */
void memmap_print(FILE *out, const struct teach_run *run, size_t frame,
		  bool color);
/* Parts of it, for step mode: one row of `cols` cells after its label
 * (8 columns wide), without a newline; the legend with the frame's
 * counts, wrapped at `width`. */
void memmap_print_row(FILE *out, const struct teach_run *run, size_t frame,
		      uint64_t row, unsigned cols, bool color);
void memmap_print_legend(FILE *out, const struct teach_run *run,
			 size_t frame, bool color, unsigned width);
uint64_t memmap_rows(const struct teach_run *run, unsigned cols);

/* Images through gnuplot ($MPLM_GNUPLOT, default "gnuplot"). PNGs are
 * DIR/sync-000.png, one per sync (DIR is created if missing). Return the
 * number of images (frames) written, or -1 with one line in err. */
int memmap_write_pngs(const struct teach_run *run, const char *dir,
		      char *err, size_t errlen);
int memmap_write_gif(const struct teach_run *run, const char *file,
		     char *err, size_t errlen);

#endif
