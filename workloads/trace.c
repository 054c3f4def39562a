/*
 * trace.c - the trace_source object shared by every kind of source (a trace
 * file, a generator) and trace_copy.
 *
 * A source is a small vtable plus the header (trace_info) and the initial
 * bitmap. This layer keeps the error message and makes errors sticky, so an
 * implementation only has to report each failure once.
 */
#include "trace.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define TRACE_ERR_LEN 512

struct trace_source {
	const struct trace_source_ops *ops;
	void *impl;
	struct trace_info info;
	mplm_bitmap *initial;
	bool failed; /* next() fails until a successful rewind */
	char err[TRACE_ERR_LEN];
};

trace_source *trace_source_new(const struct trace_source_ops *ops, void *impl,
			       const struct trace_info *info,
			       mplm_bitmap *initial)
{
	trace_source *s = calloc(1, sizeof(*s));
	if (!s) {
		ops->close(impl);
		mplm_bitmap_free(initial);
		return NULL;
	}
	s->ops = ops;
	s->impl = impl;
	s->info = *info;
	s->initial = initial;
	return s;
}

const struct trace_info *trace_source_info(const trace_source *s)
{
	return &s->info;
}

const mplm_bitmap *trace_source_initial(const trace_source *s)
{
	return s->initial;
}

/* The next interval into pages, or its count alone (pages NULL). */
static int next_interval(trace_source *s, mplm_bitmap *pages, uint64_t *t_end_us,
			 uint64_t *count)
{
	uint64_t t = 0, n = 0;

	if (s->failed)
		return -1;
	int r = s->ops->next(s->impl, pages, &t, &n, s->err, sizeof(s->err));
	if (r < 0) {
		s->failed = true;
		return -1;
	}
	if (t_end_us)
		*t_end_us = t;
	if (count)
		*count = r ? n : 0;
	return r;
}

/* pages must have a bit per page of the trace. */
static bool bitmap_fits(trace_source *s, const mplm_bitmap *pages)
{
	if (mplm_bitmap_nbits(pages) >= s->info.pages)
		return true;
	snprintf(s->err, sizeof(s->err),
		 "bitmap of %" PRIu64 " bits is smaller than the trace (%" PRIu64 " pages)",
		 mplm_bitmap_nbits(pages), s->info.pages);
	s->failed = true;
	return false;
}

int trace_source_next(trace_source *s, mplm_bitmap *pages, uint64_t *t_end_us,
		      uint64_t *count)
{
	if (s->failed || !bitmap_fits(s, pages))
		return -1;
	return next_interval(s, pages, t_end_us, count);
}

bool trace_source_can_defer(const trace_source *s)
{
	return s->ops->can_defer && s->ops->can_defer(s->impl);
}

int trace_source_next_count(trace_source *s, uint64_t *t_end_us, uint64_t *count)
{
	if (!trace_source_can_defer(s)) {
		snprintf(s->err, sizeof(s->err), "this source cannot count an interval without its pages");
		s->failed = true;
		return -1;
	}
	return next_interval(s, NULL, t_end_us, count);
}

int trace_source_fill_last(trace_source *s, mplm_bitmap *pages)
{
	if (s->failed || !bitmap_fits(s, pages))
		return -1;
	if (!trace_source_can_defer(s)) {
		snprintf(s->err, sizeof(s->err), "this source has no deferred interval");
		s->failed = true;
		return -1;
	}
	if (s->ops->fill_last(s->impl, pages, s->err, sizeof(s->err)) < 0) {
		s->failed = true;
		return -1;
	}
	return 0;
}

uint64_t trace_source_writable(const trace_source *s)
{
	return s->ops->writable ? s->ops->writable(s->impl) : s->info.pages;
}

int trace_source_read_to_end(trace_source *s)
{
	mplm_bitmap *pages = mplm_bitmap_new(s->info.pages);
	if (!pages) {
		snprintf(s->err, sizeof(s->err),
			 "out of memory for a %" PRIu64 "-page bitmap", s->info.pages);
		s->failed = true;
		return -1;
	}
	int r;
	while ((r = trace_source_next(s, pages, NULL, NULL)) > 0)
		mplm_bitmap_zero(pages);
	mplm_bitmap_free(pages);
	return r;
}

int trace_source_rewind(trace_source *s)
{
	if (s->ops->rewind(s->impl, s->err, sizeof(s->err)) < 0) {
		s->failed = true;
		return -1;
	}
	s->failed = false;
	s->err[0] = '\0';
	return 0;
}

const char *trace_source_error(const trace_source *s)
{
	return s->err;
}

void trace_source_close(trace_source *s)
{
	if (!s)
		return;
	s->ops->close(s->impl);
	mplm_bitmap_free(s->initial);
	free(s);
}

int trace_copy(trace_source *src, trace_writer *w, char *err, size_t errlen)
{
	const mplm_bitmap *initial = trace_source_initial(src);
	uint64_t t = 0, n;
	int r;

	if (initial && trace_writer_initial(w, initial) < 0)
		return trace_writer_error(w, err, errlen);

	mplm_bitmap *pages = mplm_bitmap_new(trace_source_info(src)->pages);
	if (!pages) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while ((r = trace_source_next(src, pages, &t, &n)) > 0) {
		if (trace_writer_interval(w, t, pages) < 0)
			break;
		mplm_bitmap_zero(pages);
	}
	mplm_bitmap_free(pages);
	if (r < 0) {
		snprintf(err, errlen, "%s", trace_source_error(src));
		return -1;
	}
	if (r > 0 || trace_writer_end(w, t) < 0)
		return trace_writer_error(w, err, errlen);
	return 0;
}
