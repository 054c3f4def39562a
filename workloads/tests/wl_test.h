/*
 * wl_test.h - helpers shared by the workloads/ test suites (cmocka).
 */
#ifndef WL_TEST_H
#define WL_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "gen.h"
#include "trace.h"

/* A fresh temporary file name ending in suffix; the file exists, empty.
 * The caller unlinks and frees it. */
static inline char *tmp_path(const char *suffix)
{
	const char *dir = getenv("TMPDIR");
	char *path;

	if (!dir || !*dir)
		dir = "/tmp";
	assert_true(asprintf(&path, "%s/wl-test-XXXXXX%s", dir, suffix) > 0);
	int fd = mkstemps(path, (int)strlen(suffix));
	assert_true(fd >= 0);
	close(fd);
	return path;
}

/* Write len bytes to a new temporary file. */
static inline char *write_tmp(const void *data, size_t len, const char *suffix)
{
	char *path = tmp_path(suffix);
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

static inline char *write_tmp_str(const char *text)
{
	return write_tmp(text, strlen(text), ".trace");
}

/* The same, gzip-compressed. */
static inline char *write_tmp_gz(const void *data, size_t len)
{
	char *path = tmp_path(".trace.gz");
	gzFile gz = gzopen(path, "wb");

	assert_non_null(gz);
	assert_int_equal(gzwrite(gz, data, (unsigned)len), (int)len);
	assert_int_equal(gzclose(gz), Z_OK);
	return path;
}

static inline void *read_whole(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	assert_non_null(f);
	for (;;) {
		if (n == cap) {
			cap = cap ? 2 * cap : 65536;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	*len = n;
	return buf;
}

static inline void drop_tmp(char *path)
{
	unlink(path);
	free(path);
}

/* What reading a whole source gave. */
struct read_result {
	int status;          /* 0: read to the end; -1: open failed; -2: next failed */
	char err[1024];
	uint64_t intervals, total, end_us, pages;
	uint64_t hash;       /* of every interval's times and page sets */
	bool initial_null;
	uint64_t initial_count;
};

/* FNV-1a over the words of b, then t. */
static inline uint64_t hash_interval(uint64_t h, const mplm_bitmap *b,
				     uint64_t t)
{
	const uint64_t *w = mplm_bitmap_cwords(b);

	for (uint64_t i = 0; i < mplm_bitmap_nwords(b); i++)
		h = (h ^ w[i]) * UINT64_C(0x100000001b3);
	return (h ^ t) * UINT64_C(0x100000001b3);
}

/* Read every interval of s (checking that each count is the bitmap's). */
static inline void read_source(trace_source *s, struct read_result *res)
{
	const struct trace_info *info = trace_source_info(s);
	const mplm_bitmap *ini = trace_source_initial(s);
	mplm_bitmap *b = mplm_bitmap_new(info->pages);
	uint64_t t, n;
	int r;

	assert_non_null(b);
	res->pages = info->pages;
	res->initial_null = ini == NULL;
	res->initial_count = ini ? mplm_bitmap_count(ini) : 0;
	res->intervals = res->total = 0;
	res->hash = UINT64_C(0xcbf29ce484222325);
	while ((r = trace_source_next(s, b, &t, &n)) > 0) {
		assert_int_equal(mplm_bitmap_count(b), n);
		res->intervals++;
		res->total += n;
		res->hash = hash_interval(res->hash, b, t);
		mplm_bitmap_zero(b);
	}
	res->status = r < 0 ? -2 : 0;
	res->end_us = t;
	if (r < 0)
		snprintf(res->err, sizeof(res->err), "%s", trace_source_error(s));
	mplm_bitmap_free(b);
}

static inline void read_path(const char *path, struct read_result *res)
{
	memset(res, 0, sizeof(*res));
	trace_source *s = trace_open(path, res->err, sizeof(res->err));
	if (!s) {
		res->status = -1;
		return;
	}
	read_source(s, res);
	trace_source_close(s);
}

/* The NPB traces shipped with the repository (tests run from its root). */
#define NPB_TRACE_DIR "workloads/traces/npb"

#endif
