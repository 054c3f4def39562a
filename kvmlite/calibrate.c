/*
 * calibrate.c - `kvmlite calibrate`: measure on this host what mplm-sim
 * needs to predict a kvmlite migration, and write it as a machine profile
 * (mplm-core's `name = value` lines of machine settings):
 *
 *   sync-fixed, sync-per-page  a dirty-log read against the pages it
 *                              reports, fitted as a line (least squares)
 *   zero-page-cost             source CPU per zero page (a ZERO record)
 *   header-bytes,              wire bytes per page beyond its 4 KiB, and
 *   zero-page-bytes            of a zero page (the stream's record sizes)
 *   state-bytes                vCPU and device state of a real migration
 *   bandwidth                  the rate the stream achieves on loopback,
 *                              memory to memory (best of three)
 */
#include "calibrate.h"

#include <errno.h>
#include <gsl/gsl_fit.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "stream.h"

struct profile {
	double sync_fixed, sync_per_page, r2;
	int sync_points;
	double zero_cost;
	double state_bytes;
	double rate;
};

/* Reads of the dirty log while the guest sweeps memory at full speed,
 * after pauses of different lengths so the reads report from a few
 * hundred to tens of thousands of pages, plus reads with nothing dirty. */
static int measure_sync(struct bench *b, struct profile *out)
{
	static const double pauses[] = { 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2 };
	enum { ROUNDS = 3, IDLE = 8 };
	double x[ROUNDS * 7 + IDLE], y[ROUNDS * 7 + IDLE];
	int n = 0, rc = -1;
	struct kl_params p;
	uint64_t wss = (b->mem - KL_DATA_GPA) / KL_PAGE_SIZE;

	bench_guest(&p, KL_PAT_SEQUENTIAL, wss, 0, 600000);
	struct kl_vm *vm = bench_vm(b, b->mem, true, &p);
	mplm_bitmap *bits = vm ? mplm_bitmap_new(vm->pages) : NULL;
	struct kl_dirty_reader *log = bits ? kl_dirtylog_attach(vm, &b->e) : NULL;
	if (!log || kl_vm_start(vm, &b->e) < 0)
		goto out;
	bench_sleep(0.5); /* past the first touch of fresh memory */
	if (kl_dirtylog_read(log, mplm_bitmap_words(bits), &b->e) < 0)
		goto out;
	for (int r = 0; r < ROUNDS; r++)
		for (size_t i = 0; i < sizeof(pauses) / sizeof(*pauses); i++) {
			mplm_bitmap_zero(bits);
			bench_sleep(pauses[i]);
			double t0 = kl_now();
			if (kl_dirtylog_read(log, mplm_bitmap_words(bits), &b->e) < 0)
				goto out;
			y[n] = kl_now() - t0;
			x[n++] = (double)mplm_bitmap_count(bits);
		}
	kl_vm_pause(vm);
	kl_dirtylog_read(log, mplm_bitmap_words(bits), &b->e);
	for (int i = 0; i < IDLE; i++) {
		double t0 = kl_now();
		if (kl_dirtylog_read(log, mplm_bitmap_words(bits), &b->e) < 0)
			goto out;
		y[n] = kl_now() - t0;
		x[n++] = 0;
	}
	double c0, c1, cov00, cov01, cov11, sumsq, mean = 0, tot = 0;
	gsl_fit_linear(x, 1, y, 1, (size_t)n, &c0, &c1, &cov00, &cov01, &cov11, &sumsq);
	for (int i = 0; i < n; i++)
		mean += y[i] / n;
	for (int i = 0; i < n; i++)
		tot += (y[i] - mean) * (y[i] - mean);
	/* A negative intercept or slope is noise around zero. */
	out->sync_fixed = c0 > 0 ? c0 : 0;
	out->sync_per_page = c1 > 0 ? c1 : 0;
	out->r2 = tot > 0 ? 1 - sumsq / tot : 0;
	out->sync_points = n;
	rc = 0;
out:
	kl_dirtylog_detach(log, &b->e);
	mplm_bitmap_free(bits);
	if (vm)
		kl_vm_destroy(vm);
	return rc;
}

static void *drain(void *arg)
{
	int fd = *(int *)arg;
	char buf[1 << 16];
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	return NULL;
}

/* Source CPU per zero page: ZERO records through the stream writer into
 * a socket that a thread drains. The zero pages are 512 MiB of real,
 * faulted-in memory walked in order, so each is read from RAM as a guest's
 * untouched memory is, not from a cache-hot buffer. */
static int measure_zero_page(struct bench *b, struct profile *out)
{
	enum { PAGES = 131072 };
	int sv[2];
	pthread_t t;
	struct kl_out o;
	uint8_t *zero = calloc(PAGES, KL_PAGE_SIZE);

	if (!zero)
		return kl_fail(&b->e, "out of memory");
	memset(zero, 0, (size_t)PAGES * KL_PAGE_SIZE); /* fault every page in */

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
		free(zero);
		return kl_fail_errno(&b->e, "socketpair");
	}
	if (pthread_create(&t, NULL, drain, &sv[1])) {
		close(sv[0]);
		close(sv[1]);
		free(zero);
		return kl_fail(&b->e, "cannot start a thread");
	}
	int rc = kl_out_init(&o, sv[0], 1 << 20, &b->e);
	double best = 1e9;
	for (int round = 0; rc == 0 && round < 3; round++) {
		double t0 = kl_now();
		for (uint64_t i = 0; i < PAGES && rc == 0; i++) {
			bool z;
			uint32_t wire;
			rc = kl_out_page(&o, i, zero + i * KL_PAGE_SIZE, &z, &wire, &b->e);
		}
		if (rc == 0)
			rc = kl_out_flush(&o, &b->e);
		double per = (kl_now() - t0) / PAGES;
		best = per < best ? per : best;
	}
	if (rc == 0)
		kl_out_free(&o);
	close(sv[0]);
	pthread_join(t, NULL);
	close(sv[1]);
	free(zero);
	out->zero_cost = best;
	return rc;
}

/* The state a real migration sends, and the stream's rate: stop-and-copy
 * of a guest whose every page is non-zero, no cap (best of three). */
static int measure_stream(struct bench *b, struct profile *out)
{
	struct mplm_stats st;
	out->rate = 0;
	for (int round = 0; round < 3; round++) {
		uint64_t bytes = 0;
		int r;
		struct kl_vm *vm = bench_full_stopcopy(b, &st, &bytes, &r);
		if (vm)
			kl_vm_destroy(vm);
		if (!vm || r < 0)
			return -1;
		double rate = (double)st.transferred / st.total_time;
		out->rate = rate > out->rate ? rate : out->rate;
		out->state_bytes = (double)st.state_bytes;
	}
	return 0;
}

/* One `name = value` line of a setting, in its own unit, so that the
 * profile reads back through the same table. */
static void line(FILE *f, enum mplm_setting_id id, double value)
{
	const struct mplm_setting *s = mplm_setting_get(id);
	if (s->type == MPLM_TYPE_DURATION)
		fprintf(f, "%s = %.6g %s\n", s->name, value / s->scale, s->unit);
	else if (s->type == MPLM_TYPE_RATE)
		fprintf(f, "%s = %.6gMB/s\n", s->name, value / 1e6);
	else
		fprintf(f, "%s = %.0f\n", s->name, value);
}

static int write_profile(FILE *f, const char *path, const struct bench *b,
			 const struct profile *p, struct kl_err *e)
{
	char host[256] = "?", when[64] = "?";
	time_t now = time(NULL);
	struct tm tm;
	gethostname(host, sizeof(host) - 1);
	if (gmtime_r(&now, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
	fprintf(f,
		"# mplm-lab machine profile: what mplm-sim needs to predict kvmlite here.\n"
		"# Written by kvmlite calibrate (mplm-lab %s, %s) on %s, %s,\n"
		"# with a %llu MiB guest. Use: mplm-sim --profile FILE, or profile = FILE\n"
		"# in an experiment file.\n"
		"# Dirty-log read = sync-fixed + sync-per-page x pages reported, fitted\n"
		"# on %d reads (r^2 = %.3f).\n",
		MPLM_VERSION, mplm_git_commit(), host, when,
		(unsigned long long)(b->mem >> 20), p->sync_points, p->r2);
	line(f, MPLM_SET_SYNC_FIXED, p->sync_fixed);
	line(f, MPLM_SET_SYNC_PER_PAGE, p->sync_per_page);
	fprintf(f, "# The stream's records: a page and a zero page on the wire.\n");
	line(f, MPLM_SET_HEADER_BYTES, KL_PAGE_REC_BYTES - KL_PAGE_SIZE);
	line(f, MPLM_SET_ZERO_PAGE_BYTES, KL_ZERO_REC_BYTES);
	line(f, MPLM_SET_ZERO_PAGE_COST, p->zero_cost);
	line(f, MPLM_SET_STATE_BYTES, p->state_bytes);
	fprintf(f, "# Stop-and-copy on loopback, memory to memory, no cap (best of 3).\n");
	line(f, MPLM_SET_BANDWIDTH, p->rate);
	int bad = ferror(f);
	if (f != stdout && fclose(f) != 0)
		bad = 1;
	return bad ? kl_fail(e, "%s: write failed", path) : 0;
}

/* The profile goes to a new file beside path, renamed over it once
 * whole: an old profile there survives a calibration that fails or is
 * interrupted. The mode is what fopen(path, "w") would give. */
static FILE *open_beside(const char *path, char *tmp, size_t cap, struct kl_err *e)
{
	if ((size_t)snprintf(tmp, cap, "%s.XXXXXX", path) >= cap) {
		tmp[0] = 0;
		kl_fail(e, "--output %s: path too long", path);
		return NULL;
	}
	int fd = mkstemp(tmp);
	if (fd < 0) {
		tmp[0] = 0;
		kl_fail_errno(e, "--output %s", path);
		return NULL;
	}
	mode_t mask = umask(0);
	umask(mask);
	FILE *f = fchmod(fd, 0666 & ~mask) == 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		kl_fail_errno(e, "--output %s", path);
		close(fd);
		unlink(tmp);
		tmp[0] = 0;
	}
	return f;
}

int kl_calibrate(struct kl_cli *c)
{
	char exe[4200];
	snprintf(exe, sizeof(exe), "%s/kvmlite", kl_exe_dir());
	struct bench b = { .exe = exe, .mem = c->cfg.mem_bytes };
	struct profile p = { 0 };
	const char *out = c->profile_out ? c->profile_out : "-";
	char tmp[4200] = "";
	/* Opened first: a bad path fails now, not after the measurements. */
	FILE *f = strcmp(out, "-") ? open_beside(out, tmp, sizeof(tmp), &b.e) : stdout;
	if (!f)
		goto fail;

	fprintf(stderr, "kvmlite calibrate: %llu MiB guest: dirty-log reads...\n",
		(unsigned long long)(b.mem >> 20));
	if (measure_sync(&b, &p) < 0)
		goto fail;
	fprintf(stderr, "kvmlite calibrate: zero pages...\n");
	if (measure_zero_page(&b, &p) < 0)
		goto fail;
	fprintf(stderr, "kvmlite calibrate: stream rate and state (3 migrations)...\n");
	if (measure_stream(&b, &p) < 0)
		goto fail;
	int wrote = write_profile(f, out, &b, &p, &b.e);
	f = NULL; /* closed there */
	if (wrote < 0)
		goto fail;
	if (tmp[0] && rename(tmp, out) < 0) {
		kl_fail_errno(&b.e, "--output %s: renaming %s over it", out, tmp);
		goto fail;
	}
	if (tmp[0])
		fprintf(stderr, "kvmlite calibrate: wrote %s\n", out);
	return 0;
fail:
	if (f && f != stdout)
		fclose(f);
	if (tmp[0])
		unlink(tmp); /* nothing partial left; an old profile stays */
	fprintf(stderr, "kvmlite: calibrate: %s\n", b.e.msg);
	return 1;
}
