/*
 * runner.c - fork a worker per run, collect results over pipes, store them
 * (see runner.h).
 */
#include "runner.h"

#include "claims.h"


#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WIRE_MAGIC 0x6d706c6dU /* "mplm" */

/* What a worker writes: this header, the sim_result, the sync records. */
struct wire_header {
	uint32_t magic;
	int32_t rc;
	uint64_t nsyncs;
	char stats_error[256];
};

struct worker {
	pid_t pid;
	int fd;
	size_t run;          /* index into the runs */
	double started;
	char *buf;
	size_t len, cap;
};

struct progress {
	bool on;
	size_t todo, done, failed;
	double t0, last_draw;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ */
/* The worker (child) side. */

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

typedef int (*backend_run_fn)(const struct sim_config *, struct sim_result *);

static void worker_main(const struct exp_run *r, backend_run_fn run, int fd)
{
	struct sim_result res;
	struct wire_header h = { .magic = WIRE_MAGIC };
	h.rc = run(&r->cfg, &res);
	h.nsyncs = res.syncs ? res.nsyncs : 0;
	if (res.stats.error)
		snprintf(h.stats_error, sizeof(h.stats_error), "%s",
			 res.stats.error);
	int bad = write_all(fd, &h, sizeof(h)) ||
		  write_all(fd, &res, sizeof(res)) ||
		  write_all(fd, res.syncs, h.nsyncs * sizeof(*res.syncs));
	sim_result_free(&res);
	_exit(bad ? 3 : 0);
}

/* ------------------------------------------------------------------ */
/* The parent side. */

static int start_worker(struct worker *w, const struct exp_run *r,
			backend_run_fn fn, size_t run, const struct worker *all,
			unsigned n)
{
	int p[2];
	if (pipe(p) < 0)
		return -1;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		for (unsigned i = 0; i < n; i++)
			if (all[i].pid > 0)
				close(all[i].fd);
		worker_main(r, fn, p[1]);
	}
	close(p[1]);
	/* Non-blocking: drain reads until the pipe is empty. */
	fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
	*w = (struct worker){ .pid = pid, .fd = p[0], .run = run,
			      .started = now_s() };
	return 0;
}

/* Read what is there; 1 at end of file (or a read error: the outcome is
 * then judged from what arrived), 0 for more to come. */
static int drain(struct worker *w)
{
	for (;;) {
		if (w->cap - w->len < 65536) {
			w->cap = w->cap ? w->cap * 2 : 131072;
			char *b = realloc(w->buf, w->cap);
			if (!b)
				return 1;
			w->buf = b;
		}
		ssize_t n = read(w->fd, w->buf + w->len, w->cap - w->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : 1;
		if (n == 0)
			return 1;
		w->len += (size_t)n;
	}
}

/* Turn the worker's bytes and exit status into an outcome. */
static void decode(const struct worker *w, int status, struct run_outcome *o)
{
	memset(o, 0, sizeof(*o));
	o->rc = -1;
	struct wire_header h;
	size_t fixed = sizeof(h) + sizeof(struct sim_result);
	if (w->len >= fixed) {
		memcpy(&h, w->buf, sizeof(h));
		size_t want = fixed + h.nsyncs * sizeof(struct mplm_sync_record);
		if (h.magic == WIRE_MAGIC && w->len == want) {
			memcpy(&o->res, w->buf + sizeof(h), sizeof(o->res));
			o->res.syncs = malloc((h.nsyncs ? h.nsyncs : 1) *
					      sizeof(*o->res.syncs));
			o->res.nsyncs = o->res.syncs ? h.nsyncs : 0;
			if (o->res.syncs)
				memcpy(o->res.syncs, w->buf + fixed,
				       h.nsyncs * sizeof(*o->res.syncs));
			o->res.stats.error = NULL;
			memcpy(o->stats_error, h.stats_error,
			       sizeof(o->stats_error));
			o->stats_error[sizeof(o->stats_error) - 1] = '\0';
			o->rc = h.rc;
			if (!o->res.syncs)
				o->rc = -1;
		}
	}
	if (WIFSIGNALED(status)) {
		o->rc = -1;
		snprintf(o->res.error, sizeof(o->res.error),
			 "worker killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	} else if (o->rc != 0 && !o->res.error[0] && !o->stats_error[0]) {
		snprintf(o->res.error, sizeof(o->res.error),
			 "worker exited with status %d and no result",
			 WEXITSTATUS(status));
	}
}

static void progress_draw(struct progress *p, bool force)
{
	if (!p->on)
		return;
	double t = now_s();
	if (!force && t - p->last_draw < 0.2)
		return;
	p->last_draw = t;
	double el = t - p->t0, rate = el > 0 ? (double)p->done / el : 0;
	double eta = rate > 0 ? (double)(p->todo - p->done) / rate : 0;
	int width = 30, fill = p->todo ? (int)(width * p->done / p->todo) : width;
	char bar[64];
	for (int i = 0; i < width; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[width] = '\0';
	char failed[32] = "";
	if (p->failed)
		snprintf(failed, sizeof(failed), "  %zu failed", p->failed);
	fprintf(stderr, "\r[%s] %zu/%zu runs  %.1f runs/s  ETA %d:%02d%s\033[K",
		bar, p->done, p->todo, rate, (int)eta / 60, (int)eta % 60,
		failed);
	fflush(stderr);
}

static int finish_worker(struct worker *w, expdb *db, int64_t exp_id,
			 const struct experiment *e, const struct exp_runs *runs,
			 struct runner_stats *st, char *err, size_t errlen)
{
	int status = 0;
	struct rusage ru;
	memset(&ru, 0, sizeof(ru));
	close(w->fd);
	while (wait4(w->pid, &status, 0, &ru) < 0 && errno == EINTR)
		;
	struct run_outcome o;
	decode(w, status, &o);
	o.peak_rss_bytes = (uint64_t)ru.ru_maxrss * 1024;
	o.wall_seconds = now_s() - w->started;
	int rc = db_store_run(db, exp_id, e, &runs->v[w->run], &o, err, errlen);
	st->ran++;
	if (rc == 1)  /* another runner took the run over and stored it */
		rc = 0;
	if (o.rc != 0)
		st->failed++;
	else if (o.res.stats.status == MPLM_STATUS_NOT_CONVERGED)
		st->not_converged++;
	sim_result_free(&o.res);
	free(w->buf);
	*w = (struct worker){ .pid = 0, .fd = -1 };
	return rc;
}

static bool in_shard(size_t i, const struct runner_opts *opts)
{
	return !opts->shard_n || i % opts->shard_n == opts->shard_k - 1;
}

/* The runs still to do: in the shard, and not stored (or stored as failed
 * when retrying). */
static size_t *select_todo(expdb *db, int64_t exp_id,
			   const struct exp_runs *runs,
			   const struct runner_opts *opts, size_t *ntodo,
			   size_t *stored, size_t *total)
{
	size_t *todo = malloc((runs->n ? runs->n : 1) * sizeof(*todo));
	if (!todo)
		return NULL;
	*ntodo = *stored = *total = 0;
	for (size_t i = 0; i < runs->n; i++) {
		if (!in_shard(i, opts))
			continue;
		(*total)++;
		bool is_stored = false, failed = false;
		db_run_stored(db, exp_id, &runs->v[i], &is_stored, &failed);
		if (is_stored && failed && opts->retry_failed) {
			db_delete_run(db, exp_id, &runs->v[i]);
			is_stored = false;
		}
		if (is_stored)
			(*stored)++;
		else
			todo[(*ntodo)++] = i;
	}
	return todo;
}

/* Everything the scheduling loop works on. */
struct pool {
	expdb *db;
	int64_t exp_id;
	const struct experiment *e;
	const struct exp_runs *runs;
	struct runner_stats *st;
	struct worker *ws;
	struct pollfd *pfd;
	unsigned nw;
	struct claims cl;
	size_t active;
	bool more;           /* runs left that this runner may yet claim */
	struct progress pg;
	char *err;
	size_t errlen;
};

/* Give every idle worker slot the next run nobody else holds. */
static int fill_workers(struct pool *p)
{
	for (unsigned i = 0; i < p->nw && p->more; i++) {
		if (p->ws[i].pid)
			continue;
		bool waiting;
		long run = claims_take(&p->cl, &waiting, p->err, p->errlen);
		if (run == -2)
			return -1;
		if (run < 0) {
			/* Held by others: look again after the next poll. */
			p->more = waiting;
			break;
		}
		if (start_worker(&p->ws[i], &p->runs->v[run], p->e->backend->run,
				 (size_t)run, p->ws, p->nw) < 0) {
			snprintf(p->err, p->errlen, "cannot start a worker: %s",
				 strerror(errno));
			return -1;
		}
		p->active++;
	}
	p->pg.done = p->st->ran + p->cl.done_by_others;
	return 0;
}

/* Wait (at most 250 ms, for the progress bar) and store the runs whose
 * workers have finished. */
static int collect_finished(struct pool *p)
{
	for (unsigned i = 0; i < p->nw; i++)
		p->pfd[i] = (struct pollfd){
			.fd = p->ws[i].pid ? p->ws[i].fd : -1, .events = POLLIN,
		};
	if (poll(p->pfd, p->nw, 250) < 0 && errno != EINTR) {
		snprintf(p->err, p->errlen, "poll: %s", strerror(errno));
		return -1;
	}
	for (unsigned i = 0; i < p->nw; i++) {
		if (!p->ws[i].pid || !p->pfd[i].revents || drain(&p->ws[i]) == 0)
			continue;
		size_t run = p->ws[i].run;
		int rc = finish_worker(&p->ws[i], p->db, p->exp_id, p->e,
				       p->runs, p->st, p->err, p->errlen);
		claims_done(&p->cl, run);
		p->active--;
		p->pg.done = p->st->ran + p->cl.done_by_others;
		p->pg.failed = p->st->failed;
		progress_draw(&p->pg, true);
		if (rc < 0)
			return -1;
	}
	progress_draw(&p->pg, false);
	return 0;
}

/* On an error, stop what is still running (its results are lost). */
static void kill_workers(struct pool *p)
{
	for (unsigned i = 0; i < p->nw; i++) {
		if (!p->ws[i].pid)
			continue;
		kill(p->ws[i].pid, SIGKILL);
		close(p->ws[i].fd);
		waitpid(p->ws[i].pid, NULL, 0);
		free(p->ws[i].buf);
	}
}

int runner_run(expdb *db, int64_t exp_id, const struct experiment *e,
	       const struct exp_runs *runs, const struct runner_opts *opts,
	       struct runner_stats *st, char *err, size_t errlen)
{
	double t0 = now_s();
	memset(st, 0, sizeof(*st));
	st->total = runs->n;
	unsigned jobs = !e->backend->parallel_safe || !opts->jobs ? 1
								 : opts->jobs;
	st->jobs = jobs;
	struct pool p = {
		.db = db, .exp_id = exp_id, .e = e, .runs = runs, .st = st,
		.nw = jobs, .err = err, .errlen = errlen, .more = true,
	};
	size_t ntodo = 0;
	size_t *todo = select_todo(db, exp_id, runs, opts, &ntodo,
				   &st->stored_before, &st->total);
	p.ws = calloc(p.nw, sizeof(*p.ws));
	p.pfd = calloc(p.nw, sizeof(*p.pfd));
	p.pg = (struct progress){
		.on = opts->progress < 0 ? isatty(2) : opts->progress,
		.todo = ntodo, .t0 = t0,
	};
	int rc = 0;
	if (!todo || !p.ws || !p.pfd) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
	}
	if (rc == 0)
		rc = claims_init(&p.cl, db, exp_id, runs, todo, ntodo, err, errlen);
	bool claims_ok = rc == 0;
	while (rc == 0 && (p.more || p.active)) {
		rc = fill_workers(&p);
		if (rc == 0 && (p.more || p.active))
			rc = collect_finished(&p);
		if (rc == 0)
			rc = claims_renew(&p.cl, err, errlen);
	}
	if (p.ws)
		kill_workers(&p);
	if (claims_ok) {
		if (rc < 0)
			claims_release(&p.cl);
		st->by_others = p.cl.done_by_others;
		claims_free(&p.cl);
	}
	if (p.pg.on && ntodo)
		fputc('\n', stderr);
	free(p.ws);
	free(p.pfd);
	free(todo);
	st->wall_seconds = now_s() - t0;
	return rc;
}
