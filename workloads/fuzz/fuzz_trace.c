/*
 * fuzz_trace.c - libFuzzer target for the trace reader.
 *
 * The input becomes a file (a memfd, named through /proc/self/fd so that
 * trace_open opens it like any path; zlib detects gzip by content). Every
 * interval is read, then the source is rewound and copied to a writer on
 * /dev/null, which exercises rewind, trace_copy and the writer as well.
 * Built by `make fuzz` with a small TRACE_MAX_PAGES to stay in memory.
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int write_all(int fd, const uint8_t *data, size_t size)
{
	while (size) {
		ssize_t n = write(fd, data, size);
		if (n <= 0)
			return -1;
		data += n;
		size -= (size_t)n;
	}
	return 0;
}

static void read_all(trace_source *s)
{
	mplm_bitmap *b = mplm_bitmap_new(trace_source_info(s)->pages);
	uint64_t t, n;

	if (!b)
		return;
	while (trace_source_next(s, b, &t, &n) > 0)
		mplm_bitmap_zero(b);
	mplm_bitmap_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[512];
	int fd = memfd_create("fuzz-trace", MFD_CLOEXEC);

	if (fd < 0 || write_all(fd, data, size) < 0)
		goto out;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	trace_source *s = trace_open(path, err, sizeof(err));
	if (!s)
		goto out;
	read_all(s);
	if (trace_source_rewind(s) == 0) {
		trace_writer *w = trace_writer_open("/dev/null", trace_source_info(s),
						    err, sizeof(err));
		if (w) {
			trace_copy(s, w, err, sizeof(err));
			trace_writer_close(w, TRACE_NO_END, err, sizeof(err));
		}
	}
	trace_source_close(s);
out:
	if (fd >= 0)
		close(fd);
	return 0;
}
