/*
 * trace_writer.c - writes format-1 traces.
 *
 * Output goes through zlib in both cases (gzip for a name ending in .gz,
 * transparent mode otherwise) so there is one write path and one place
 * where errors show up. Lines are built in our own buffer with a hand-made
 * number formatter: a generated trace can be gigabytes of page numbers.
 * The first error is kept and every later call fails; close reports it.
 */
#include "trace.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define WRITE_BUF_SIZE (1u << 18)
#define WRITER_ERR_LEN 512

struct trace_writer {
	gzFile gz;
	char *path;
	struct trace_info info;
	char *buf;
	size_t len;
	bool failed;
	bool have_d, ended;
	uint64_t last_t, end_t;
	char err[WRITER_ERR_LEN];
};

static int wfail(trace_writer *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int wfail(trace_writer *w, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	if (w->failed)
		return -1;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(w->err, sizeof(w->err), "%s: %s", w->path, what);
	w->failed = true;
	return -1;
}

/* Why the last zlib call failed. */
static const char *gz_reason(gzFile gz, int saved_errno)
{
	int errnum = Z_OK;
	const char *msg = gz ? gzerror(gz, &errnum) : "";

	if (errnum == Z_ERRNO || errnum == Z_OK)
		return strerror(saved_errno ? saved_errno : EIO);
	return msg;
}

static int flush_buf(trace_writer *w)
{
	if (w->failed)
		return -1;
	if (w->len == 0)
		return 0;
	errno = 0;
	if (gzwrite(w->gz, w->buf, (unsigned)w->len) != (int)w->len)
		return wfail(w, "write error: %s", gz_reason(w->gz, errno));
	w->len = 0;
	return 0;
}

/* Room for at least n more bytes. */
static inline int reserve(trace_writer *w, size_t n)
{
	if (w->len + n <= WRITE_BUF_SIZE)
		return 0;
	return flush_buf(w);
}

static inline void put_char(trace_writer *w, char c)
{
	w->buf[w->len++] = c;
}

/* Decimal, written right to left into a scratch array. */
static inline void put_u64(trace_writer *w, uint64_t v)
{
	char tmp[20];
	int i = 20;

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	memcpy(w->buf + w->len, tmp + i, (size_t)(20 - i));
	w->len += (size_t)(20 - i);
}

/* "key value\n"; a line break inside the value would start a new line. */
static int put_key_text(trace_writer *w, const char *key, const char *val)
{
	size_t kn = strlen(key), n = strlen(val);

	if (reserve(w, kn + n + 2))
		return -1;
	memcpy(w->buf + w->len, key, kn);
	w->len += kn;
	put_char(w, ' ');
	for (size_t i = 0; i < n; i++)
		put_char(w, val[i] == '\n' || val[i] == '\r' ? ' ' : val[i]);
	put_char(w, '\n');
	return 0;
}

/* First clear bit at or after from, or nbits. */
static uint64_t find_next_clear(const uint64_t *words, uint64_t nbits,
				uint64_t from)
{
	uint64_t nwords = (nbits + 63) / 64, wi = from / 64;
	if (from >= nbits)
		return nbits;
	uint64_t word = ~words[wi] & (~UINT64_C(0) << (from % 64));
	while (!word) {
		if (++wi >= nwords)
			return nbits;
		word = ~words[wi];
	}
	uint64_t i = wi * 64 + (uint64_t)__builtin_ctzll(word);
	return i < nbits ? i : nbits;
}

/* " a" or " a-b" for each run of set bits below info.pages. */
static int put_ranges(trace_writer *w, const mplm_bitmap *b)
{
	const uint64_t *words = mplm_bitmap_cwords(b);
	uint64_t nbits = mplm_bitmap_nbits(b), pages = w->info.pages;

	if (nbits < pages)
		return wfail(w, "bitmap of %" PRIu64 " bits is smaller than the trace (%" PRIu64 " pages)",
			     nbits, pages);
	for (uint64_t a = mplm_bitmap_find_next_set(b, 0); a < nbits;) {
		uint64_t end = find_next_clear(words, nbits, a);
		if (end > pages)
			return wfail(w, "page %" PRIu64 " out of range (pages %" PRIu64 ")",
				     end - 1, pages);
		if (reserve(w, 43))
			return -1;
		put_char(w, ' ');
		put_u64(w, a);
		if (end - 1 > a) {
			put_char(w, '-');
			put_u64(w, end - 1);
		}
		a = mplm_bitmap_find_next_set(b, end);
	}
	return 0;
}

static int put_header(trace_writer *w)
{
	const struct trace_info *i = &w->info;

	if (reserve(w, 128))
		return -1;
	w->len += (size_t)snprintf(w->buf + w->len, 128,
				   "mplm-trace 1\npage-size %" PRIu32 "\npages %" PRIu64
				   "\ninterval-us %" PRIu64 "\n",
				   i->page_size, i->pages, i->interval_us);
	if (i->workload[0] && put_key_text(w, "workload", i->workload))
		return -1;
	if (i->origin[0] && put_key_text(w, "origin", i->origin))
		return -1;
	return 0;
}

static const char *check_info(const struct trace_info *i)
{
	if (i->page_size == 0 || (i->page_size & (i->page_size - 1)))
		return "page size is not a power of two";
	if (i->pages == 0)
		return "pages must be at least 1";
	if (i->interval_us == 0)
		return "interval-us must be at least 1";
	return NULL;
}

static gzFile open_output(const char *path)
{
	size_t n = strlen(path);

	if (strcmp(path, "-") == 0) {
		int fd = dup(STDOUT_FILENO);
		gzFile gz = fd < 0 ? NULL : gzdopen(fd, "wbT");
		if (!gz && fd >= 0)
			close(fd);
		return gz;
	}
	if (n > 3 && strcmp(path + n - 3, ".gz") == 0)
		return gzopen(path, "wb6");
	return gzopen(path, "wbT");
}

trace_writer *trace_writer_open(const char *path, const struct trace_info *info,
				char *err, size_t errlen)
{
	const char *bad = check_info(info);
	trace_writer *w;

	if (bad) {
		snprintf(err, errlen, "%s: %s", path, bad);
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w || !(w->path = strdup(path)) || !(w->buf = malloc(WRITE_BUF_SIZE))) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	w->info = *info;
	errno = 0;
	w->gz = open_output(path);
	if (!w->gz) {
		snprintf(err, errlen, "%s: cannot open for writing: %s", path,
			 strerror(errno ? errno : ENOMEM));
		goto fail;
	}
	gzbuffer(w->gz, WRITE_BUF_SIZE);
	if (put_header(w) < 0) {
		trace_writer_close(w, TRACE_NO_END, err, errlen);
		return NULL;
	}
	return w;
fail:
	if (w) {
		free(w->buf);
		free(w->path);
	}
	free(w);
	return NULL;
}

int trace_writer_initial(trace_writer *w, const mplm_bitmap *nonzero)
{
	if (w->failed)
		return -1;
	if (w->have_d || w->ended)
		return wfail(w, "p line after a d or e line");
	if (reserve(w, 2))
		return -1;
	put_char(w, 'p');
	if (put_ranges(w, nonzero) || reserve(w, 1))
		return -1;
	put_char(w, '\n');
	return 0;
}

int trace_writer_interval(trace_writer *w, uint64_t t_end_us,
			  const mplm_bitmap *pages)
{
	if (w->failed)
		return -1;
	if (w->ended)
		return wfail(w, "d line after the e line");
	if (w->have_d && t_end_us <= w->last_t)
		return wfail(w, "d time %" PRIu64 " does not increase (previous %" PRIu64 ")",
			     t_end_us, w->last_t);
	if (reserve(w, 24))
		return -1;
	put_char(w, 'd');
	put_char(w, ' ');
	put_u64(w, t_end_us);
	if (put_ranges(w, pages) || reserve(w, 1))
		return -1;
	put_char(w, '\n');
	w->have_d = true;
	w->last_t = t_end_us;
	return 0;
}

int trace_writer_end(trace_writer *w, uint64_t end_us)
{
	if (w->failed)
		return -1;
	if (w->ended)
		return wfail(w, "second e line");
	if (w->have_d && end_us < w->last_t)
		return wfail(w, "e time %" PRIu64 " is before the last d time %" PRIu64,
			     end_us, w->last_t);
	if (reserve(w, 24))
		return -1;
	put_char(w, 'e');
	put_char(w, ' ');
	put_u64(w, end_us);
	put_char(w, '\n');
	w->ended = true;
	w->end_t = end_us;
	return 0;
}

int trace_writer_error(const trace_writer *w, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s", w->failed ? w->err : "");
	return w->failed ? -1 : 0;
}

int trace_writer_close(trace_writer *w, uint64_t end_us, char *err,
		       size_t errlen)
{
	if (end_us != TRACE_NO_END && !(w->ended && end_us == w->end_t))
		trace_writer_end(w, end_us);
	flush_buf(w);
	errno = 0;
	int zr = gzclose(w->gz);
	if (zr != Z_OK)
		wfail(w, "write error: %s",
		      zr == Z_ERRNO ? strerror(errno ? errno : EIO) : zError(zr));
	int r = trace_writer_error(w, err, errlen);
	free(w->buf);
	free(w->path);
	free(w);
	return r;
}
