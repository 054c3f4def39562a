/*
 * trace_rec.c - `kvmlite run --record-trace FILE`: read the real dirty
 * log every interval while the guest runs and write it as a format-1
 * trace (workloads/trace.h), so mplm-sim can replay what the guest did.
 *
 * The `p` line lists the pages that hold data at boot (page tables, the
 * guest image, its parameters); every later write comes from KVM.
 */
#include "trace_rec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "stream.h"
#include "trace.h"

struct kl_tracer {
	struct kl_vm *vm;
	trace_writer *w;
	struct kl_dirty_reader *log; /* shared with a migration, if any */
	mplm_bitmap *bits;
	double interval, t0;
	uint64_t last_us;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	struct kl_err err;
	bool failed;
	uint64_t intervals;
};

static mplm_bitmap *nonzero_pages(struct kl_vm *vm)
{
	mplm_bitmap *b = mplm_bitmap_new(vm->pages);
	if (!b)
		return NULL;
	for (uint64_t p = 0; p < vm->pages; p++)
		if (!kl_page_is_zero(kl_gpa(vm, p << KL_PAGE_SHIFT)))
			mplm_bitmap_set(b, p);
	return b;
}

/* One interval: what the guest wrote since the previous one. */
static int record_interval(struct kl_tracer *t)
{
	mplm_bitmap_zero(t->bits);
	if (kl_dirtylog_read(t->log, mplm_bitmap_words(t->bits), &t->err) < 0)
		return -1;
	uint64_t us = (uint64_t)((kl_now() - t->t0) * 1e6);
	if (us <= t->last_us)
		us = t->last_us + 1; /* times must increase strictly */
	t->last_us = us;
	t->intervals++;
	if (trace_writer_interval(t->w, us, t->bits) < 0)
		return kl_fail(&t->err, "writing the trace failed");
	return 0;
}

static void *tracer_thread(void *arg)
{
	struct kl_tracer *t = arg;
	double next = t->t0 + t->interval;

	pthread_mutex_lock(&t->lock);
	while (!t->stop && !t->failed) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		double wait = next - kl_now();
		if (wait > 0) {
			double s = (double)until.tv_sec + until.tv_nsec * 1e-9 + wait;
			until.tv_sec = (time_t)s;
			until.tv_nsec = (long)((s - (double)until.tv_sec) * 1e9);
			if (pthread_cond_timedwait(&t->cond, &t->lock, &until) != ETIMEDOUT)
				continue;
		}
		pthread_mutex_unlock(&t->lock);
		int r = record_interval(t);
		next += t->interval;
		pthread_mutex_lock(&t->lock);
		if (r < 0)
			t->failed = true;
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

static int open_writer(struct kl_tracer *t, const char *path, struct kl_err *e)
{
	const struct kl_params *p = kl_gpa(t->vm, KL_PARAMS_GPA);
	struct trace_info info = {
		.page_size = KL_PAGE_SIZE, .pages = t->vm->pages,
		.interval_us = (uint64_t)(t->interval * 1e6 + 0.5),
	};
	char err[512];
	snprintf(info.workload, sizeof(info.workload), "kvmlite-%s",
		 kl_pattern_name(p->pattern));
	snprintf(info.origin, sizeof(info.origin),
		 "kvmlite run: KVM dirty log (%s) of a real guest, %u vCPU, "
		 "rate %llu pages/s, wss %llu pages, seed %llu",
		 kl_dirtylog_mode(t->vm), t->vm->cfg.nvcpus,
		 (unsigned long long)p->rate, (unsigned long long)p->wss_pages,
		 (unsigned long long)p->seed);
	t->w = trace_writer_open(path, &info, err, sizeof(err));
	if (!t->w)
		return kl_fail(e, "%s", err);
	mplm_bitmap *nz = nonzero_pages(t->vm);
	if (!nz)
		return kl_fail(e, "out of memory");
	int r = trace_writer_initial(t->w, nz);
	mplm_bitmap_free(nz);
	return r < 0 ? kl_fail(e, "writing the trace header failed") : 0;
}

int kl_trace_start(struct kl_vm *vm, const char *path, double interval,
		   struct kl_tracer **out, struct kl_err *e)
{
	struct kl_tracer *t = calloc(1, sizeof(*t));
	*out = NULL;
	if (!t)
		return kl_fail(e, "out of memory");
	t->vm = vm;
	t->interval = interval > 0 ? interval : 0.1;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->cond, NULL);
	t->bits = mplm_bitmap_new(vm->pages);
	if (!t->bits || open_writer(t, path, e) < 0 ||
	    !(t->log = kl_dirtylog_attach(vm, e))) {
		if (!t->bits)
			kl_fail(e, "out of memory");
		kl_trace_free(t);
		return -1;
	}
	t->t0 = kl_now();
	int r = pthread_create(&t->thread, NULL, tracer_thread, t);
	if (r) {
		errno = r;
		kl_fail_errno(e, "pthread_create");
		kl_trace_free(t);
		return -1;
	}
	*out = t;
	return 0;
}

int kl_trace_stop(struct kl_tracer *t, struct kl_err *e)
{
	pthread_mutex_lock(&t->lock);
	t->stop = true;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);

	int r = t->failed ? -1 : record_interval(t); /* the last partial one */
	if (r < 0 && e != &t->err)
		*e = t->err;
	char err[512];
	if (trace_writer_close(t->w, t->last_us, err, sizeof(err)) < 0 && r == 0)
		r = kl_fail(e, "%s", err);
	t->w = NULL;
	struct kl_err ignore;
	kl_dirtylog_detach(t->log, &ignore);
	t->log = NULL;
	return r;
}

uint64_t kl_trace_intervals(struct kl_tracer *t)
{
	return t->intervals;
}

double kl_trace_started_at(const struct kl_tracer *t)
{
	return t->t0;
}

void kl_trace_free(struct kl_tracer *t)
{
	if (!t)
		return;
	if (t->w) {
		char err[64];
		trace_writer_close(t->w, TRACE_NO_END, err, sizeof(err));
	}
	mplm_bitmap_free(t->bits);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
	free(t);
}
