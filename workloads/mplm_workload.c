/*
 * mplm-workload - write a synthetic workload as a format-1 trace, or
 * summarize a trace.
 *
 *   mplm-workload [-o FILE] SPEC      trace of a generator spec (gen.h)
 *   mplm-workload [-o FILE] TRACE     copy a trace (check, (un)compress)
 *   mplm-workload --stats SPEC|TRACE  summary: size, intervals, rates
 */
#include "gen.h"
#include "trace.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ERRLEN 1024

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mplm-workload [-o FILE] SPEC|TRACE\n"
		"       mplm-workload --stats SPEC|TRACE\n"
		"\n"
		"Writes the dirty-page trace (format 1) of a synthetic workload, or\n"
		"copies a trace file (checking it); FILE ending in .gz is written\n"
		"gzip-compressed, '-' (the default) is stdout. --stats prints a\n"
		"summary instead: size, intervals, duration, dirty pages per interval\n"
		"and per second (mean and peak), distinct pages ever written.\n"
		"\n"
		"SPEC is PATTERN[,key=value]..., PATTERN one of uniform, sequential,\n"
		"hotspot, stencil. Keys: memory=SIZE or pages=N (required), wss=SIZE\n"
		"(working set, default all memory), rate=PAGES_PER_S (required),\n"
		"duration=S (default 60), interval=MS (default 100), seed=N\n"
		"(default 1), page-size=SIZE (default 4096); hotspot: hot=FRACTION\n"
		"(default 0.2), skew=FRACTION (default 0.8); stencil: arrays=N\n"
		"(default 3). SIZE is bytes with an optional K, M, G or T (1G = 2^30).\n"
		"An argument naming an existing file is read as a trace.\n"
		"\n"
		"Counts take k and M (rate=50k), durations ms, s or min (duration=2min,\n"
		"interval=20ms), as everywhere in mplm-lab.\n"
		"\n"
		"examples:\n"
		"  mplm-workload -o u.trace.gz uniform,memory=1G,rate=50k,duration=10\n"
		"  mplm-workload --stats hotspot,memory=4G,wss=3G,rate=200k,duration=60,seed=7\n"
		"\n"
		"  --version, --help\n");
}

/* A trace file if one of that name exists, else a generator spec. */
static trace_source *open_input(const char *arg, char *err, size_t errlen)
{
	if (access(arg, F_OK) == 0)
		return trace_open(arg, err, errlen);
	return gen_open(arg, err, errlen);
}

struct stats {
	uint64_t intervals, sum, peak;
	uint64_t rated;                /* intervals long enough for a rate */
	double rate_sum, rate_peak;
	uint64_t end_us;
	uint64_t distinct;
};

/* Dirty pages/s are taken over intervals at least half the nominal
 * length, which leaves out a short last one (as the NPB README does). */
static int collect(trace_source *src, struct stats *st)
{
	const struct trace_info *info = trace_source_info(src);
	mplm_bitmap *iv = mplm_bitmap_new(info->pages);
	mplm_bitmap *all = mplm_bitmap_new(info->pages);
	uint64_t t, prev = 0, n;
	int r = -1;

	memset(st, 0, sizeof(*st));
	if (!iv || !all)
		goto out;
	while ((r = trace_source_next(src, iv, &t, &n)) > 0) {
		st->intervals++;
		st->sum += n;
		if (n > st->peak)
			st->peak = n;
		if (t > prev && 2 * (t - prev) >= info->interval_us) {
			double rate = (double)n * 1e6 / (double)(t - prev);
			st->rated++;
			st->rate_sum += rate;
			if (rate > st->rate_peak)
				st->rate_peak = rate;
		}
		prev = t;
		mplm_bitmap_or(all, iv);
		mplm_bitmap_zero(iv);
	}
	st->end_us = t;
	st->distinct = mplm_bitmap_count(all);
out:
	mplm_bitmap_free(iv);
	mplm_bitmap_free(all);
	return r;
}

static int print_stats(const char *arg)
{
	char err[ERRLEN];
	struct stats st;
	trace_source *src = open_input(arg, err, sizeof(err));

	if (!src) {
		fprintf(stderr, "mplm-workload: %s\n", err);
		return 1;
	}
	const struct trace_info *info = trace_source_info(src);
	const mplm_bitmap *initial = trace_source_initial(src);
	if (collect(src, &st) < 0) {
		const char *e = trace_source_error(src);
		fprintf(stderr, "mplm-workload: %s\n", *e ? e : "out of memory");
		trace_source_close(src);
		return 1;
	}
	printf("workload: %s\n", info->workload);
	printf("pages: %" PRIu64 "\n", info->pages);
	printf("page-size: %" PRIu32 "\n", info->page_size);
	printf("memory-mib: %.1f\n",
	       (double)info->pages * info->page_size / (1024.0 * 1024.0));
	printf("interval-us: %" PRIu64 "\n", info->interval_us);
	if (initial)
		printf("nonzero-at-start: %" PRIu64 "\n", mplm_bitmap_count(initial));
	else
		printf("nonzero-at-start: all\n");
	printf("intervals: %" PRIu64 "\n", st.intervals);
	printf("duration-s: %.6f\n", (double)st.end_us / 1e6);
	printf("mean-dirty-per-interval: %.1f\n",
	       st.intervals ? (double)st.sum / (double)st.intervals : 0.0);
	printf("peak-dirty-per-interval: %" PRIu64 "\n", st.peak);
	printf("mean-dirty-per-s: %.0f\n",
	       st.rated ? st.rate_sum / (double)st.rated : 0.0);
	printf("peak-dirty-per-s: %.0f\n", st.rate_peak);
	printf("distinct-written: %" PRIu64 " (%.1f %%)\n", st.distinct,
	       100.0 * (double)st.distinct / (double)info->pages);
	trace_source_close(src);
	return 0;
}

/* No half-written trace left behind; but never remove what is not a
 * regular file (-o /dev/full must stay a device). */
static void remove_partial(const char *out)
{
	struct stat st;

	if (strcmp(out, "-") != 0 && lstat(out, &st) == 0 && S_ISREG(st.st_mode))
		unlink(out);
}

static int write_trace(const char *arg, const char *out)
{
	char err[ERRLEN];
	trace_source *src = open_input(arg, err, sizeof(err));
	trace_writer *w;
	int r;

	if (!src) {
		fprintf(stderr, "mplm-workload: %s\n", err);
		return 1;
	}
	w = trace_writer_open(out, trace_source_info(src), err, sizeof(err));
	if (!w) {
		fprintf(stderr, "mplm-workload: %s\n", err);
		trace_source_close(src);
		return 1;
	}
	r = trace_copy(src, w, err, sizeof(err));
	if (trace_writer_close(w, TRACE_NO_END, r ? NULL : err,
			       r ? 0 : sizeof(err)) < 0)
		r = -1;
	trace_source_close(src);
	if (r < 0) {
		fprintf(stderr, "mplm-workload: %s\n", err);
		remove_partial(out);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "stats", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = "-";
	bool stats = false;
	int c;

	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 's':
			stats = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("mplm-workload %s (%s)\n", MPLM_VERSION, mplm_git_commit());
			return 0;
		default:
			fprintf(stderr, "mplm-workload: try --help\n");
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "mplm-workload: %s (try --help)\n",
			optind == argc ? "missing SPEC or TRACE" :
					 "more than one SPEC or TRACE");
		return 2;
	}
	return stats ? print_stats(argv[optind]) : write_trace(argv[optind], out);
}
