/*
 * trace_reader.c - reads format-1 traces (docs/trace-format.md).
 *
 * The file (plain or gzip: zlib tells them apart by content) is streamed
 * through one large buffer and tokenized in place, a character at a time
 * with an inline fast path. No line is ever held whole, so a `d` line may
 * be of any length and memory stays at the buffer plus the initial bitmap.
 *
 * Every rejection reads "FILE:LINE: what is wrong", LINE being the 1-based
 * line the scanner is on (for a missing header key: the first record line,
 * or the line at which the file ends).
 */
#include "trace.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Tests and the fuzzer build with a tiny buffer, so that every token and
 * line also gets split across refills. */
#ifndef READ_BUF_SIZE
#define READ_BUF_SIZE (1u << 20)
#endif

/* The largest `pages` accepted: 2^36 pages is 256 TiB of 4 KiB pages and an
 * 8 GiB bitmap. The fuzzer builds with a smaller limit to stay in memory. */
#ifndef TRACE_MAX_PAGES
#define TRACE_MAX_PAGES (UINT64_C(1) << 36)
#endif

/* What peek() returns besides a byte. */
#define C_EOF (-1) /* end of input */
#define C_ERR (-2) /* read error, already reported */

struct reader {
	gzFile gz;
	char *path;
	unsigned char *buf;
	size_t pos, len;
	uint64_t buf_off; /* stream offset of buf[0] */
	bool eof;
	uint64_t line;    /* the line being scanned, 1-based */
	char *err;        /* where fail() writes: the caller's buffer */
	size_t errlen;

	struct trace_info info;
	uint64_t body_off, body_line; /* the first `d` or `e` line */
	int pending;      /* record letter read by trace_open, or 0 */
	bool have_d;
	uint64_t last_t;  /* time of the last `d` line */
	bool done;
	uint64_t end_t;
};

static int fail(struct reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct reader *r, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(r->err, r->errlen, "%s:%" PRIu64 ": %s", r->path, r->line,
		 what);
	return -1;
}

/* ------------------------------------------------------------------ */
/* Scanning. */

static int refill(struct reader *r)
{
	int errnum;

	r->buf_off += r->len;
	r->pos = r->len = 0;
	if (r->eof)
		return C_EOF;
	int n = gzread(r->gz, r->buf, READ_BUF_SIZE);
	if (n > 0) {
		r->len = (size_t)n;
		return r->buf[0];
	}
	const char *msg = gzerror(r->gz, &errnum);
	if (errnum == Z_BUF_ERROR)
		return fail(r, "truncated gzip stream (unexpected end of file)"), C_ERR;
	if (errnum == Z_ERRNO)
		return fail(r, "read error: %s", strerror(errno)), C_ERR;
	if (n < 0 || errnum != Z_OK)
		return fail(r, "corrupt gzip stream: %s", msg), C_ERR;
	r->eof = true;
	return C_EOF;
}

static inline int peek(struct reader *r)
{
	if (__builtin_expect(r->pos < r->len, 1))
		return r->buf[r->pos];
	return refill(r);
}

/* Only after peek() returned a byte. */
static inline void advance(struct reader *r)
{
	r->pos++;
}

static inline bool is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static inline bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static inline bool ends_token(int c)
{
	return is_blank(c) || c == '\n' || c == C_EOF;
}

static int skip_blanks(struct reader *r)
{
	int c;

	while (is_blank(c = peek(r)))
		advance(r);
	return c;
}

/* Consume the rest of the line and its newline. 0, or -1 on read error. */
static int skip_line(struct reader *r)
{
	for (;;) {
		if (r->pos == r->len) {
			int c = refill(r);
			if (c == C_EOF)
				return 0;
			if (c == C_ERR)
				return -1;
		}
		unsigned char *nl = memchr(r->buf + r->pos, '\n', r->len - r->pos);
		if (nl) {
			r->pos = (size_t)(nl - r->buf) + 1;
			r->line++;
			return 0;
		}
		r->pos = r->len;
	}
}

/* A byte as a message shows it. */
static const char *show(int c, char out[16])
{
	if (c == '\n')
		return "end of line";
	if (c == C_EOF)
		return "end of file";
	if (c >= 0x21 && c <= 0x7e)
		snprintf(out, 16, "'%c'", c);
	else
		snprintf(out, 16, "byte 0x%02x", (unsigned)c & 0xff);
	return out;
}

/* The line must end here (blanks allowed): consume its newline. */
static int end_line(struct reader *r, const char *after)
{
	char tmp[16];
	int c = skip_blanks(r);

	if (c == '\n') {
		advance(r);
		r->line++;
		return 0;
	}
	if (c == C_EOF)
		return 0;
	if (c == C_ERR)
		return -1;
	return fail(r, "unexpected %s after %s", show(c, tmp), after);
}

/* Read a word (up to a blank or the end of the line) into w, truncated to
 * cap - 1 bytes; returns its full length, or -1 on read error. */
static long read_word(struct reader *r, char *w, size_t cap)
{
	long n = 0;
	int c;

	while (!ends_token(c = peek(r))) {
		if (c == C_ERR)
			return -1;
		if ((size_t)n + 1 < cap)
			w[n] = (char)c;
		n++;
		advance(r);
	}
	w[(size_t)n < cap ? (size_t)n : cap - 1] = '\0';
	return n;
}

/* A decimal uint64: digits only, no sign, no overflow, and the token ends
 * after it (or, with dash_ok, continues with '-'). `what` names it. */
static int parse_u64(struct reader *r, uint64_t *out, const char *what,
		     bool dash_ok)
{
	char tmp[16];
	uint64_t v = 0;
	int c = peek(r);

	if (c == '+' || c == '-')
		return fail(r, "malformed %s: numbers have no sign", what);
	if (!is_digit(c))
		return c == C_ERR ? -1 :
		       fail(r, "malformed %s: expected a number, found %s",
			    what, show(c, tmp));
	do {
		unsigned d = (unsigned)(c - '0');
		if (v >= UINT64_MAX / 10 && (v > UINT64_MAX / 10 || d > UINT64_MAX % 10))
			return fail(r, "malformed %s: number overflows 64 bits", what);
		v = v * 10 + d;
		advance(r);
	} while (is_digit(c = peek(r)));
	if (c == C_ERR)
		return -1;
	if (!ends_token(c) && !(dash_ok && c == '-'))
		return fail(r, "malformed %s: junk %s after %" PRIu64, what,
			    show(c, tmp), v);
	*out = v;
	return 0;
}

/* RANGES up to the end of the line (newline consumed): set them in b (if
 * not NULL) and count the pages. */
static int parse_ranges(struct reader *r, mplm_bitmap *b, uint64_t *count)
{
	uint64_t n = 0, prev = 0, a, z;
	bool have_prev = false;

	for (;;) {
		int c = skip_blanks(r);
		if (c == C_ERR)
			return -1;
		if (c == '\n' || c == C_EOF)
			break;
		if (parse_u64(r, &a, "page number", true) < 0)
			return -1;
		z = a;
		if (peek(r) == '-') {
			advance(r);
			if (parse_u64(r, &z, "page number", false) < 0)
				return -1;
		}
		if (a > z)
			return fail(r, "range %" PRIu64 "-%" PRIu64 " has a > b", a, z);
		if (z >= r->info.pages)
			return fail(r, "page %" PRIu64 " out of range (pages %" PRIu64 ")",
				    z, r->info.pages);
		if (have_prev && a <= prev)
			return fail(r, "range starting at %" PRIu64 " is out of order or overlaps the previous range (ending at %" PRIu64 ")",
				    a, prev);
		if (b) {
			if (a == z)
				mplm_bitmap_set(b, a);
			else
				mplm_bitmap_set_range(b, a, z);
		}
		n += z - a + 1;
		prev = z;
		have_prev = true;
	}
	*count = n;
	return end_line(r, "ranges");
}

/* Skip comment and blank lines; read the first word of the next line into
 * w. Returns the word's length, 0 at end of file, -1 on error. */
static long next_line_word(struct reader *r, char *w, size_t cap)
{
	for (;;) {
		int c = skip_blanks(r);
		if (c == C_ERR)
			return -1;
		if (c == C_EOF)
			return 0;
		if (c == '\n') {
			advance(r);
			r->line++;
			continue;
		}
		if (c == '#') {
			if (skip_line(r) < 0)
				return -1;
			continue;
		}
		return read_word(r, w, cap);
	}
}

/* ------------------------------------------------------------------ */
/* Header. */

enum { KEY_PAGE_SIZE, KEY_PAGES, KEY_INTERVAL, KEY_WORKLOAD, KEY_ORIGIN, NKEYS };

static const char *const key_names[NKEYS] = {
	"page-size", "pages", "interval-us", "workload", "origin",
};

static int parse_first_line(struct reader *r)
{
	char magic[16], version[16];
	long n = read_word(r, magic, sizeof(magic));

	if (n < 0)
		return -1;
	if (n == 0 && peek(r) == C_EOF)
		return fail(r, "empty file: the first line must be 'mplm-trace 1'");
	if (strcmp(magic, "mplm-trace") != 0)
		return fail(r, "not a trace: the first line must be 'mplm-trace 1'");
	if (skip_blanks(r) == C_ERR)
		return -1;
	n = read_word(r, version, sizeof(version));
	if (n < 0)
		return -1;
	if (n == 0)
		return fail(r, "not a trace: the first line must be 'mplm-trace 1'");
	if (strcmp(version, "1") != 0)
		return fail(r, "unsupported trace format version '%s' (this reader knows 1)",
			    version);
	return end_line(r, "'mplm-trace 1'");
}

/* The rest of the line, trimmed, into s (truncated to cap - 1 bytes). */
static int parse_text(struct reader *r, char *s, size_t cap)
{
	size_t n = 0, keep = 0;
	int c = skip_blanks(r);

	while (c != '\n' && c != C_EOF) {
		if (c == C_ERR)
			return -1;
		if (n + 1 < cap) {
			s[n++] = (char)c;
			if (!is_blank(c))
				keep = n;
		}
		advance(r);
		c = peek(r);
	}
	s[keep] = '\0';
	return end_line(r, "text");
}

static int check_number_key(struct reader *r, int key, uint64_t v)
{
	switch (key) {
	case KEY_PAGE_SIZE:
		if (v == 0 || (v & (v - 1)))
			return fail(r, "page-size %" PRIu64 " is not a power of two", v);
		if (v > UINT32_MAX)
			return fail(r, "page-size %" PRIu64 " is too large", v);
		r->info.page_size = (uint32_t)v;
		return 0;
	case KEY_PAGES:
		if (v == 0)
			return fail(r, "pages must be at least 1");
		if (v > TRACE_MAX_PAGES)
			return fail(r, "pages %" PRIu64 " is above the limit of %" PRIu64,
				    v, TRACE_MAX_PAGES);
		r->info.pages = v;
		return 0;
	default:
		if (v == 0)
			return fail(r, "interval-us must be at least 1");
		r->info.interval_us = v;
		return 0;
	}
}

static int parse_header_line(struct reader *r, const char *key,
			     uint64_t seen_at[NKEYS])
{
	int k;

	for (k = 0; k < NKEYS; k++)
		if (strcmp(key, key_names[k]) == 0)
			break;
	if (k == NKEYS) /* unknown keys are for later versions */
		return skip_line(r);
	if (seen_at[k])
		return fail(r, "duplicate header key '%s' (first on line %" PRIu64 ")",
			    key, seen_at[k]);
	seen_at[k] = r->line;
	if (k == KEY_WORKLOAD)
		return parse_text(r, r->info.workload, sizeof(r->info.workload));
	if (k == KEY_ORIGIN)
		return parse_text(r, r->info.origin, sizeof(r->info.origin));

	uint64_t v;
	if (skip_blanks(r) == C_ERR || parse_u64(r, &v, key, false) < 0 ||
	    check_number_key(r, k, v) < 0)
		return -1;
	return end_line(r, key);
}

static int check_required(struct reader *r, const uint64_t seen_at[NKEYS],
			  const char *where)
{
	for (int k = KEY_PAGE_SIZE; k <= KEY_INTERVAL; k++)
		if (!seen_at[k])
			return fail(r, "missing required header key '%s' (%s)",
				    key_names[k], where);
	return 0;
}

static bool is_record(const char *w, long n)
{
	return n == 1 && (w[0] == 'p' || w[0] == 'd' || w[0] == 'e');
}

/* Header lines and `p` lines, up to the first `d` or `e` line (its letter
 * is left in r->pending) or the end of the file. */
static int parse_head(struct reader *r, mplm_bitmap **initial)
{
	uint64_t seen_at[NKEYS] = { 0 };
	uint64_t line_off = 0, n;
	char w[48];
	long len;

	if (parse_first_line(r) < 0)
		return -1;
	for (;;) {
		len = next_line_word(r, w, sizeof(w));
		line_off = r->buf_off + r->pos - (size_t)len;
		if (len < 0)
			return -1;
		if (len == 0 || is_record(w, len))
			break;
		if (parse_header_line(r, w, seen_at) < 0)
			return -1;
	}
	if (check_required(r, seen_at, len ? "before the first record" :
				       "at the end of the file") < 0)
		return -1;
	while (len == 1 && w[0] == 'p') {
		if (!*initial && !(*initial = mplm_bitmap_new(r->info.pages)))
			return fail(r, "out of memory for %" PRIu64 " pages",
				    r->info.pages);
		if (parse_ranges(r, *initial, &n) < 0)
			return -1;
		len = next_line_word(r, w, sizeof(w));
		line_off = r->buf_off + r->pos - (size_t)len;
		if (len < 0)
			return -1;
	}
	if (len == 0) {
		r->body_off = r->buf_off + r->pos;
		r->body_line = r->line;
		return 0;
	}
	if (!is_record(w, len))
		return fail(r, "unknown record '%s' (header lines come before the first record)",
			    w);
	r->pending = w[0];
	r->body_off = line_off;
	r->body_line = r->line;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Body. */

static int parse_d(struct reader *r, mplm_bitmap *pages, uint64_t *t_end,
		   uint64_t *count)
{
	uint64_t t;

	if (skip_blanks(r) == C_ERR || parse_u64(r, &t, "d time", false) < 0)
		return -1;
	if (r->have_d && t <= r->last_t)
		return fail(r, "d time %" PRIu64 " does not increase (previous d time %" PRIu64 ")",
			    t, r->last_t);
	if (parse_ranges(r, pages, count) < 0)
		return -1;
	r->have_d = true;
	r->last_t = t;
	*t_end = t;
	return 1;
}

/* The `e` line, then nothing but comments up to the end of the file. */
static int parse_e(struct reader *r)
{
	char w[48];
	uint64_t t;
	long n;

	if (skip_blanks(r) == C_ERR || parse_u64(r, &t, "e time", false) < 0)
		return -1;
	if (r->have_d && t < r->last_t)
		return fail(r, "e time %" PRIu64 " is before the last d time %" PRIu64,
			    t, r->last_t);
	if (end_line(r, "the e time") < 0)
		return -1;
	n = next_line_word(r, w, sizeof(w));
	if (n < 0)
		return -1;
	if (n > 0)
		return fail(r, "unexpected '%s' after the e line", w);
	r->done = true;
	r->end_t = t;
	return 0;
}

static int reader_next(void *impl, mplm_bitmap *pages, uint64_t *t_end_us,
		       uint64_t *count, char *err, size_t errlen)
{
	struct reader *r = impl;
	char w[48];
	long n;

	r->err = err;
	r->errlen = errlen;
	if (!r->done) {
		if (r->pending) {
			w[0] = (char)r->pending;
			n = 1;
			r->pending = 0;
		} else if ((n = next_line_word(r, w, sizeof(w))) < 0) {
			return -1;
		}
		if (n == 0) {
			r->done = true;
			r->end_t = r->have_d ? r->last_t : 0;
		} else if (n == 1 && w[0] == 'd') {
			return parse_d(r, pages, t_end_us, count);
		} else if (n == 1 && w[0] == 'e') {
			if (parse_e(r) < 0)
				return -1;
		} else if (n == 1 && w[0] == 'p') {
			return fail(r, "p line after a d line");
		} else {
			return fail(r, "unknown record '%s'", w);
		}
	}
	*t_end_us = r->end_t;
	*count = 0;
	return 0;
}

static int reader_rewind(void *impl, char *err, size_t errlen)
{
	struct reader *r = impl;

	r->err = err;
	r->errlen = errlen;
	if (gzrewind(r->gz) < 0 ||
	    gzseek(r->gz, (z_off_t)r->body_off, SEEK_SET) < 0)
		return fail(r, "cannot rewind: %s", gzerror(r->gz, &(int){ 0 }));
	r->pos = r->len = 0;
	r->buf_off = r->body_off;
	r->eof = false;
	r->line = r->body_line;
	r->pending = 0;
	r->have_d = false;
	r->last_t = 0;
	r->done = false;
	return 0;
}

static void reader_close(void *impl)
{
	struct reader *r = impl;

	if (!r)
		return;
	if (r->gz)
		gzclose(r->gz);
	free(r->buf);
	free(r->path);
	free(r);
}

static const struct trace_source_ops reader_ops = {
	.next = reader_next,
	.rewind = reader_rewind,
	.close = reader_close,
};

trace_source *trace_open(const char *path, char *err, size_t errlen)
{
	mplm_bitmap *initial = NULL;
	struct reader *r = calloc(1, sizeof(*r));

	if (!r || !(r->path = strdup(path)) ||
	    !(r->buf = malloc(READ_BUF_SIZE))) {
		snprintf(err, errlen, "%s: out of memory", path);
		reader_close(r);
		return NULL;
	}
	r->err = err;
	r->errlen = errlen;
	r->line = 1;
	errno = 0;
	r->gz = gzopen(path, "rb");
	if (!r->gz) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
			 errno ? strerror(errno) : "out of memory");
		reader_close(r);
		return NULL;
	}
	gzbuffer(r->gz, 256 * 1024);
	if (parse_head(r, &initial) < 0) {
		mplm_bitmap_free(initial);
		reader_close(r);
		return NULL;
	}
	trace_source *s = trace_source_new(&reader_ops, r, &r->info, initial);
	if (!s)
		snprintf(err, errlen, "%s: out of memory", path);
	return s;
}
