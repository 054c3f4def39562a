/*
 * trace.h - dirty-page traces (format 1, see docs/trace-format.md).
 *
 * A trace_source is a stream of intervals, read from a file (plain or
 * gzip) or made on the fly by a workload generator (gen.h). Sources never
 * hold more than a few bitmaps: intervals are streamed, not loaded.
 */
#ifndef MPLM_TRACE_H
#define MPLM_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mplm.h"

#define TRACE_NO_END UINT64_MAX

struct trace_info {
	uint32_t page_size;   /* bytes, a power of two */
	uint64_t pages;       /* N: page numbers are 0..N-1 */
	uint64_t interval_us; /* nominal interval */
	char workload[128];   /* "" if absent */
	char origin[256];     /* "" if absent */
};

typedef struct trace_source trace_source;

/* Open a trace file (gzip when the name ends in .gz) and read its header
 * and `p` lines. On error returns NULL and writes "FILE:LINE: what is
 * wrong" into err. */
trace_source *trace_open(const char *path, char *err, size_t errlen);

const struct trace_info *trace_source_info(const trace_source *s);
/* Pages non-zero at the start of the trace; NULL means every page. */
const mplm_bitmap *trace_source_initial(const trace_source *s);

/* Read the next interval: set in `pages` (which must have info->pages
 * bits; bits already set are kept) every page written during it, store
 * the interval's end time in *t_end_us and the number of distinct pages in
 * *count. Returns 1 for an interval, 0 at the end of the workload (then
 * *t_end_us is the end time: the `e` line, or the last `d` time) and -1
 * on error (see trace_source_error). */
int trace_source_next(trace_source *s, mplm_bitmap *pages,
		      uint64_t *t_end_us, uint64_t *count);
/* Deferred intervals, for readers that sometimes need only an interval's
 * count (the simulator, while its dirty log already holds every page the
 * source can write, see sim.c). trace_source_can_defer: whether the source
 * can give a count without the pages (generators of uniform, sequential
 * and stencil workloads; not trace files, whose reading is the cost, nor
 * hotspot, whose count needs the pages). trace_source_next_count: as
 * trace_source_next, `pages` left alone (only where can_defer);
 * trace_source_fill_last then sets that interval's pages in `pages`, as
 * trace_source_next would have, until the next call of either.
 * trace_source_writable: pages no interval writes at or above (info->pages
 * unless the source knows better: a generator's working set). */
bool trace_source_can_defer(const trace_source *s);
int trace_source_next_count(trace_source *s, uint64_t *t_end_us, uint64_t *count);
int trace_source_fill_last(trace_source *s, mplm_bitmap *pages);
uint64_t trace_source_writable(const trace_source *s);
/* Read and check every interval left, up to the end of the workload: a
 * trace is valid only as a whole, even where a run stopped reading it.
 * 0 at the end, -1 on error (see trace_source_error). */
int trace_source_read_to_end(trace_source *s);
/* Go back to the first interval (for traces replayed in a loop). */
int trace_source_rewind(trace_source *s);
/* The last error, "FILE:LINE: what is wrong"; "" if none. */
const char *trace_source_error(const trace_source *s);
void trace_source_close(trace_source *s);

/* For implementations of sources other than files (generators). */
struct trace_source_ops {
	int (*next)(void *impl, mplm_bitmap *pages, uint64_t *t_end_us,
		    uint64_t *count, char *err, size_t errlen);
	int (*rewind)(void *impl, char *err, size_t errlen);
	void (*close)(void *impl);
	/* Optional (trace_source_next_count and _fill_last): NULL, or
	 * can_defer says per source whether they work. pages NULL: count only. */
	bool (*can_defer)(const void *impl);
	int (*fill_last)(void *impl, mplm_bitmap *pages, char *err, size_t errlen);
	uint64_t (*writable)(const void *impl);
};
/* Takes ownership of impl and of initial (which may be NULL). */
trace_source *trace_source_new(const struct trace_source_ops *ops, void *impl,
			       const struct trace_info *info,
			       mplm_bitmap *initial);

/* Writing. A path ending in .gz is written gzip-compressed; "-" is stdout. */
typedef struct trace_writer trace_writer;

trace_writer *trace_writer_open(const char *path, const struct trace_info *info,
				char *err, size_t errlen);
/* Write the `p` line(s); omit the call to say "every page non-zero". */
int trace_writer_initial(trace_writer *w, const mplm_bitmap *nonzero);
/* One `d` line: the pages set in `pages`, interval ending at t_end_us. */
int trace_writer_interval(trace_writer *w, uint64_t t_end_us,
			  const mplm_bitmap *pages);
/* Write the `e` line now (optional; trace_copy does it). Later `d` lines
 * are refused, and trace_writer_close writes no second `e` line. */
int trace_writer_end(trace_writer *w, uint64_t end_us);
/* Write the `e` line unless end_us is TRACE_NO_END (or trace_writer_end
 * wrote it already), flush and close. Returns 0, or -1 if anything failed
 * since open (err gets the reason). */
int trace_writer_close(trace_writer *w, uint64_t end_us, char *err,
		       size_t errlen);
/* The writer's first error into err ("" if none); returns -1 if there is
 * one, else 0. Writes keep failing after an error, close reports it. */
int trace_writer_error(const trace_writer *w, char *err, size_t errlen);
/* Copy a whole source into a writer (header already written by open): its
 * `p` lines, every interval and the `e` line (close with TRACE_NO_END). */
int trace_copy(trace_source *src, trace_writer *w, char *err, size_t errlen);

#endif
