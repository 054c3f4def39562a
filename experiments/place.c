/*
 * place.c - a workload's trace moved to the top of the VM (see place.h).
 */
#include "place.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "expfile.h"
#include "gen.h"
#include "trace.h"

#define PLACE_FORMAT "place-top-v1"

static trace_source *open_source(const struct place_request *rq, char *err,
				 size_t errlen)
{
	return rq->spec ? gen_open(rq->spec, err, errlen)
			: trace_open(rq->trace_path, err, errlen);
}

/* Copy the trace's bitmap into the VM's, starting at word `woff`. */
static void shift_in(mplm_bitmap *vm, const mplm_bitmap *tr, uint64_t woff)
{
	const uint64_t *src = mplm_bitmap_cwords(tr);
	uint64_t *dst = mplm_bitmap_words(vm) + woff;
	memcpy(dst, src, mplm_bitmap_nwords(tr) * sizeof(uint64_t));
}

static void clear_words(mplm_bitmap *b, uint64_t from, uint64_t n)
{
	memset(mplm_bitmap_words(b) + from, 0, n * sizeof(uint64_t));
}

/* Non-zero at the start: the static block and the trace's own initial
 * pages (all of its pages if it has no `p` line). */
static int write_initial(trace_writer *w, mplm_bitmap *vm, trace_source *src,
			 uint64_t off, uint64_t static_pages, uint64_t tpages)
{
	const mplm_bitmap *init = trace_source_initial(src);
	if (init)
		shift_in(vm, init, off / 64);
	else
		mplm_bitmap_set_range(vm, off, off + tpages - 1);
	if (static_pages)
		mplm_bitmap_set_range(vm, off - static_pages, off - 1);
	int rc = trace_writer_initial(w, vm);
	mplm_bitmap_zero(vm);
	return rc;
}

static int copy_intervals(trace_writer *w, trace_source *src, mplm_bitmap *vm,
			  mplm_bitmap *tr, uint64_t woff, uint64_t *end_us,
			  char *err, size_t errlen)
{
	uint64_t t, count;
	int r;
	while ((r = trace_source_next(src, tr, &t, &count)) > 0) {
		shift_in(vm, tr, woff);
		if (trace_writer_interval(w, t, vm) < 0) {
			snprintf(err, errlen, "writing the placed trace failed");
			return -1;
		}
		clear_words(vm, woff, mplm_bitmap_nwords(tr));
		mplm_bitmap_zero(tr);
	}
	if (r < 0) {
		snprintf(err, errlen, "%s", trace_source_error(src));
		return -1;
	}
	*end_us = t;
	return 0;
}

static int write_placed(const struct place_request *rq, const char *tmp,
			char *err, size_t errlen)
{
	trace_source *src = open_source(rq, err, errlen);
	if (!src)
		return -1;
	struct trace_info info = *trace_source_info(src);
	uint64_t tpages = info.pages, vpages = rq->vm_bytes / info.page_size;
	uint64_t spages = (rq->static_bytes + info.page_size - 1) / info.page_size;
	/* Word-aligned, so intervals are copied a word at a time. */
	uint64_t off = vpages >= tpages ? (vpages - tpages) & ~UINT64_C(63) : 0;
	int rc = -1;
	mplm_bitmap *vm = NULL, *tr = NULL;
	trace_writer *w = NULL;
	if (vpages < tpages || off < spages) {
		snprintf(err, errlen, "workload (%" PRIu64 " pages) and static "
			 "memory (%" PRIu64 " pages) do not fit a %" PRIu64
			 "-page VM", tpages, spages, vpages);
		goto out;
	}
	vm = mplm_bitmap_new(vpages);
	tr = mplm_bitmap_new(tpages);
	if (!vm || !tr) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	struct trace_info vinfo = info;
	vinfo.pages = vpages;
	snprintf(vinfo.workload, sizeof(vinfo.workload), "%.100s@top",
		 info.workload);
	snprintf(vinfo.origin, sizeof(vinfo.origin), "mplm-exp: %.160s at "
		 "pages %" PRIu64 "..%" PRIu64 ", %" PRIu64 " static pages "
		 "below", rq->spec ? rq->spec : rq->trace_path, off,
		 off + tpages - 1, spages);
	if (!(w = trace_writer_open(tmp, &vinfo, err, errlen)))
		goto out;
	uint64_t end_us = 0;
	if (write_initial(w, vm, src, off, spages, tpages) < 0) {
		snprintf(err, errlen, "writing the placed trace failed");
		goto out;
	}
	if (copy_intervals(w, src, vm, tr, off / 64, &end_us, err, errlen) < 0)
		goto out;
	rc = trace_writer_close(w, end_us, err, errlen);
	w = NULL;
out:
	if (w)
		trace_writer_close(w, TRACE_NO_END, err + strlen(err), 0);
	mplm_bitmap_free(vm);
	mplm_bitmap_free(tr);
	trace_source_close(src);
	return rc;
}

static int mkdir_p(const char *dir)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", dir);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0777) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0777) < 0 && errno != EEXIST ? -1 : 0;
}

int place_trace(const struct place_request *rq, const char *cache_dir,
		char *path, size_t pathlen, char *err, size_t errlen)
{
	char key[1024];
	snprintf(key, sizeof(key), "%s;%s;%s;vm=%" PRIu64 ";static=%" PRIu64,
		 PLACE_FORMAT, rq->spec ? "gen" : "trace",
		 rq->spec ? rq->spec : rq->trace_path, rq->vm_bytes,
		 rq->static_bytes);
	snprintf(path, pathlen, "%s/%016" PRIx64 ".trace.gz", cache_dir,
		 exp_fnv1a(key));
	if (access(path, R_OK) == 0)
		return 0;
	if (mkdir_p(cache_dir) < 0) {
		snprintf(err, errlen, "%s: %s", cache_dir, strerror(errno));
		return -1;
	}
	/* Written under a temporary name and renamed: never half a file. */
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp.gz", path, (long)getpid());
	if (write_placed(rq, tmp, err, errlen) < 0) {
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}
