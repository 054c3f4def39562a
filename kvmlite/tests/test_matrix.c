/*
 * test_matrix.c - the fault matrix: real migrations between two kvmlite
 * processes (`run --migrate-to` and `incoming`) through a proxy on
 * loopback that damages one record (flip a byte, truncate the stream
 * there, drop it, stall it briefly or for longer than the io-timeout,
 * withhold it and everything after) of each type in each direction, or
 * kills one side when a record passes (before, during and after the
 * pause; around the commit), for pre-copy, MPLM and stop-and-copy, and
 * for post-copy (switched to at once, so nearly every page is pulled or
 * pushed after the switch) with its own records.
 *
 * Every case asserts: at most one copy of the guest runs to its end; a
 * copy that runs passes its self-check (--verify: its results equal a
 * replay of its writes); both processes end on their own within a bound.
 * The source is `kvmlite run --qmp`: the test starts the migration there
 * and then acts as the operator would: after an unknown outcome it checks
 * the destination and says `cont` only if the destination did not run
 * the guest. Post-copy has no way back: damage at or after its switch
 * may lose the guest, which both sides must then say ("the guest is
 * lost"). Small guests and a 1.5 s io-timeout keep a case to a few
 * seconds; the counts are printed at the end. KLTEST_MATRIX_VERBOSE=1
 * prints every case (2: with both sides' output), KLTEST_MATRIX_ONLY=R,A
 * (record, action) or kI,A (kill point, algorithm) runs one.
 */
#include "kltest.h"

#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define IO_TIMEOUT "1.5"      /* s, both sides */
#define SHORT_STALL 0.3       /* s: under the io-timeout, survived */
#define LONG_STALL 3.5        /* s: over it */
#define CASE_BOUND 40.0       /* s a process may take before it is "hung" */

enum action { FLIP, TRUNCATE, DROP, STALL_SHORT, STALL_LONG, WITHHOLD,
	      KILL_SRC_BEFORE, KILL_SRC_AFTER, KILL_DST_BEFORE, KILL_DST_AFTER };
static const char *const action_names[] = {
	"flip a byte", "truncate", "drop", "stall 0.3 s", "stall 3.5 s", "withhold",
	"kill source before", "kill source after", "kill destination before",
	"kill destination after",
};

/* Direction of a record through the proxy. */
enum { TO_DST, TO_SRC };

struct fault {
	enum action action;
	int dir;
	uint32_t type;      /* the record that triggers it */
	unsigned nth;       /* its occurrence, from 0 */
};

/* ------------------------------------------------------------------ */
/* The proxy: forwards records between the source and the destination,
 * and applies the fault to the chosen one. */

struct side {
	int fd;
	uint8_t *buf;      /* bytes read, not yet forwarded */
	size_t len, cap;
	unsigned seen[16]; /* records of each type so far */
	bool withheld;     /* discarding from the faulted record on */
};

struct proxy {
	int lfd, port;
	int dst_port;
	struct fault f;
	int src_pid, dst_pid;
	pthread_t t;
	bool fired;
};

/* false when the peer is gone: the proxy then closes both sides, as a
 * broken connection would look to the other end. */
static bool send_bytes(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* Apply the fault to one whole record bound for `to`. false: the proxy
 * ends the conversation (truncate). */
static bool fault_record(struct proxy *px, struct side *from, int to,
			 uint8_t *rec, size_t n)
{
	px->fired = true;
	switch (px->f.action) {
	case FLIP:
		rec[n / 2] ^= 0x10;
		return send_bytes(to, rec, n);
	case TRUNCATE:
		send_bytes(to, rec, n / 2);
		return false;
	case DROP:
		return true;
	case STALL_SHORT:
	case STALL_LONG:
		kltest_sleep(px->f.action == STALL_SHORT ? SHORT_STALL : LONG_STALL);
		return send_bytes(to, rec, n);
	case WITHHOLD:
		from->withheld = true;
		return true;
	case KILL_SRC_BEFORE:
	case KILL_DST_BEFORE:
		kill(px->f.action == KILL_SRC_BEFORE ? px->src_pid : px->dst_pid, SIGKILL);
		return send_bytes(to, rec, n);
	case KILL_SRC_AFTER:
	case KILL_DST_AFTER: {
		bool sent = send_bytes(to, rec, n);
		kltest_sleep(0.05);
		kill(px->f.action == KILL_SRC_AFTER ? px->src_pid : px->dst_pid, SIGKILL);
		return sent;
	}
	}
	return true;
}

/* Forward every whole record buffered on `from`. */
static bool forward(struct proxy *px, struct side *from, int dir, int to)
{
	size_t off = 0;
	bool go_on = true;
	while (go_on && from->len - off >= KL_REC_OVERHEAD) {
		uint32_t type, len;
		memcpy(&type, from->buf + off, 4);
		memcpy(&len, from->buf + off + 4, 4);
		size_t n = KL_REC_OVERHEAD + (size_t)len;
		if (from->len - off < n)
			break;
		unsigned nth = type < 16 ? from->seen[type]++ : 0;
		uint8_t *rec = from->buf + off;
		off += n;
		if (from->withheld)
			continue;
		if (!px->fired && dir == px->f.dir && type == px->f.type && nth == px->f.nth)
			go_on = fault_record(px, from, to, rec, n);
		else
			go_on = send_bytes(to, rec, n);
	}
	memmove(from->buf, from->buf + off, from->len - off);
	from->len -= off;
	return go_on;
}

static bool pump(struct proxy *px, struct side *from, int dir, int to)
{
	if (from->cap - from->len < 65536) {
		from->cap = from->cap * 2 + (1 << 20);
		from->buf = realloc(from->buf, from->cap);
	}
	ssize_t r = recv(from->fd, from->buf + from->len, from->cap - from->len, 0);
	if (r <= 0)
		return false;
	from->len += (size_t)r;
	return forward(px, from, dir, to);
}

static void *proxy_thread(void *arg)
{
	struct proxy *px = arg;
	struct kl_err e;
	struct side s = { .fd = -1 }, d = { .fd = -1 };
	char uri[64];

	s.fd = kl_accept(px->lfd, CASE_BOUND, &e);
	snprintf(uri, sizeof(uri), "127.0.0.1:%d", px->dst_port);
	if (s.fd >= 0)
		d.fd = kl_connect(uri, 10, &e);
	double until = kl_now() + CASE_BOUND;
	while (s.fd >= 0 && d.fd >= 0 && kl_now() < until) {
		struct pollfd p[2] = { { .fd = s.fd, .events = POLLIN },
				       { .fd = d.fd, .events = POLLIN } };
		if (poll(p, 2, 200) < 0)
			break;
		if (p[0].revents && !pump(px, &s, TO_DST, d.fd))
			break;
		if (p[1].revents && !pump(px, &d, TO_SRC, s.fd))
			break;
	}
	if (s.fd >= 0)
		close(s.fd);
	if (d.fd >= 0)
		close(d.fd);
	free(s.buf);
	free(d.buf);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* One case. */

struct counts {
	unsigned cases, survived, lost, twice, resumed;
};

/* A case's migration: one of mplm-core's algorithms, or post-copy. */
#define MODE_POSTCOPY 3

static const char *mode_name(int mode)
{
	return mode == MODE_POSTCOPY ? "post-copy" : mplm_algorithm_name(mode);
}

/* The source: `kvmlite run` with a control socket; the test starts the
 * migration there and plays the operator. */
static int spawn_source(int mode, const char *json, const char *out,
			const char *qmp)
{
	char ctl[80];
	bool pc = mode == MODE_POSTCOPY;
	snprintf(ctl, sizeof(ctl), "unix:%s", qmp);
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(out, O_WRONLY | O_TRUNC);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(kltest_kvmlite(), "kvmlite", "run", "--memory=32M", "--pattern=uniform",
		      "--wss=4M", "--rate=20000", "--iterations=24000", "--timeout=30",
		      "--algorithm", pc ? "precopy" : mode_name(mode),
		      "--intervaltime=0.1", "--io-timeout=" IO_TIMEOUT, "--verify",
		      "--result-json", json, "--qmp", ctl,
		      /* post-copy: the switch at once */
		      pc ? "--postcopy-ram=on" : (char *)NULL, "--start-postcopy-at=0",
		      (char *)NULL);
		_exit(127);
	}
	return pid;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 1 << 16);
	if (f)
		buf[fread(buf, 1, (1 << 16) - 1, f)] = 0;
	if (f)
		fclose(f);
	return buf;
}

/* ------------------------------------------------------------------ */
/* The operator, on the source's control socket. */

struct qmp {
	int fd;
	char buf[8192];
	size_t len;
};

/* The next line from the server as JSON (NULL if the socket is gone). */
static json_t *qmp_line(struct qmp *q)
{
	for (;;) {
		char *nl = memchr(q->buf, '\n', q->len);
		if (nl) {
			*nl = 0;
			json_t *o = json_loads(q->buf, 0, NULL);
			q->len -= (size_t)(nl + 1 - q->buf);
			memmove(q->buf, nl + 1, q->len);
			return o;
		}
		ssize_t r = recv(q->fd, q->buf + q->len, sizeof(q->buf) - q->len, 0);
		if (r <= 0)
			return NULL;
		q->len += (size_t)r;
	}
}

/* One command (a name, or a whole JSON object), its reply ("return" or
 * "error"). kvmlite sends no events. */
static json_t *qmp_cmd(struct qmp *q, const char *execute)
{
	char line[256];
	int n = execute[0] == '{' ? snprintf(line, sizeof(line), "%s\n", execute)
		: snprintf(line, sizeof(line), "{\"execute\":\"%s\"}\n", execute);
	if (send(q->fd, line, (size_t)n, MSG_NOSIGNAL) != n)
		return NULL;
	return qmp_line(q);
}

static bool qmp_open(struct qmp *q, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	memset(q, 0, sizeof(*q));
	q->fd = socket(AF_UNIX, SOCK_STREAM, 0);
	kl_set_io_timeout(q->fd, 10);
	if (connect(q->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return false;
	json_decref(qmp_line(q)); /* the greeting */
	json_t *r = qmp_cmd(q, "qmp_capabilities");
	bool ok = r != NULL;
	json_decref(r);
	return ok;
}

static char *status_text(json_t *reply, char *out, size_t len)
{
	const char *s = json_string_value(json_object_get(json_object_get(reply, "return"), "status"));
	snprintf(out, len, "%s", s ? s : "");
	json_decref(reply);
	return out;
}

/* What an operator does once the destination has ended: a source whose
 * outcome is unknown is resumed (`cont`) only if the destination did not
 * run the guest; then the source runs its guest to the end and quits.
 * Returns whether it resumed; err gets query-migrate's error-desc (what
 * the source says to its operator: `run --qmp` prints nothing). */
static bool operate(struct qmp *q_, bool dst_ran, char *err, size_t errlen)
{
	struct qmp q = *q_;
	char st[64];
	bool resumed = false;
	/* Wait (bounded) for the migration to end, and a failed one's
	 * reason to be there. */
	for (int i = 0; i < 400; i++) {
		json_t *r = qmp_cmd(&q, "query-migrate");
		const char *desc = json_string_value(
			json_object_get(json_object_get(r, "return"), "error-desc"));
		snprintf(err, errlen, "%s", desc ? desc : "");
		status_text(r, st, sizeof(st));
		if (strcmp(st, "setup") && strcmp(st, "active") &&
		    strcmp(st, "postcopy-active") && (strcmp(st, "failed") || err[0]))
			break;
		kltest_sleep(0.05);
	}
	if (!strcmp(st, "outcome-unknown") && !dst_ran) {
		json_decref(qmp_cmd(&q, "cont"));
		resumed = true;
	}
	/* A guest running here ends by itself (shutdown); paused, it stays. */
	for (int i = 0; i < 600; i++) {
		status_text(qmp_cmd(&q, "query-status"), st, sizeof(st));
		if (strcmp(st, "running"))
			break;
		kltest_sleep(0.05);
	}
	json_decref(qmp_cmd(&q, "quit"));
	return resumed;
}

/* Connect to the source's control socket (it may still be starting) and
 * start the migration to port. false if the source is gone. */
static bool start_migration(struct qmp *q, const char *path, int src_pid, int port)
{
	char cmd[160];
	for (int i = 0; i < 400 && !qmp_open(q, path); i++) {
		close(q->fd);
		q->fd = -1;
		siginfo_t info = { 0 };
		waitid(P_PID, (id_t)src_pid, &info, WEXITED | WNOHANG | WNOWAIT);
		if (info.si_pid)
			return false; /* reaped later */
		kltest_sleep(0.05);
	}
	kltest_sleep(0.15); /* the guest has been running a little */
	snprintf(cmd, sizeof(cmd),
		 "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"tcp:127.0.0.1:%d\"}}", port);
	json_t *r = qmp_cmd(q, cmd);
	bool ok = json_object_get(r, "return") != NULL;
	json_decref(r);
	return ok;
}

/* Did a process end by itself (not killed by us, not by the bound)? */
static bool ended_by_itself(int st, bool we_killed)
{
	if (st == -1)
		return false; /* the bound ran out: kl_wait_child killed it */
	return we_killed || !WIFSIGNALED(st);
}

static void run_case(const struct fault *f, int mode, struct counts *n)
{
	struct kl_config cfg;
	struct kltest_dst d;
	struct proxy px = { .f = *f };
	struct kl_err e;
	char sjson[] = "/tmp/kltest-srcjson-XXXXXX", sout[] = "/tmp/kltest-srcout-XXXXXX";
	const char *extra[] = { "--io-timeout=" IO_TIMEOUT, "--timeout=30", NULL };

	char qmp_path[64];
	double t0 = kl_now();
	close(mkstemp(sjson));
	close(mkstemp(sout));
	snprintf(qmp_path, sizeof(qmp_path), "/tmp/kltest-matrix-qmp-%d", (int)getpid());
	unlink(qmp_path);
	kltest_config(&cfg, 32 << 20, 1);
	kltest_dst_start(&d, &cfg, extra);
	px.dst_port = d.port;
	px.dst_pid = d.pid;
	px.lfd = kl_listen("127.0.0.1:0", &e);
	assert_true(px.lfd >= 0);
	px.port = kl_local_port(px.lfd);
	px.src_pid = spawn_source(mode, sjson, sout, qmp_path);
	assert_true(px.src_pid > 0);
	assert_int_equal(pthread_create(&px.t, NULL, proxy_thread, &px), 0);

	struct kl_result_file dr, sr;
	struct qmp q;
	char src_err[512] = "";
	bool started = start_migration(&q, qmp_path, px.src_pid, px.port);
	int dst = kltest_dst_finish(&d, CASE_BOUND, &dr);
	bool dst_ran = dr.nvcpus && dr.vcpu[0].done;
	if (started && operate(&q, dst_ran, src_err, sizeof(src_err)))
		n->resumed++;
	if (q.fd >= 0)
		close(q.fd);
	int sst = kl_wait_child(px.src_pid, CASE_BOUND);
	unlink(qmp_path);
	pthread_join(px.t, NULL);
	close(px.lfd);
	char *dout = kltest_dst_output(&d), *so = slurp(sout);
	if (kl_read_result_json(sjson, &sr, &e) < 0)
		memset(&sr, 0, sizeof(sr));

	bool src_killed = f->action == KILL_SRC_BEFORE || f->action == KILL_SRC_AFTER;
	bool dst_killed = f->action == KILL_DST_BEFORE || f->action == KILL_DST_AFTER;
	bool ran_dst = dst_ran;
	bool ran_src = sr.nvcpus && sr.vcpu[0].done;
	char what[160];
	snprintf(what, sizeof(what), "%s, %s the %s %s record #%u", mode_name(mode),
		 action_names[f->action], f->dir == TO_DST ? "source's" : "destination's",
		 kl_rec_name(f->type), f->nth);
	n->cases++;
	/* The record passed and the fault was done: a case whose record never
	 * came would prove nothing either. */
	if (!px.fired)
		fail_msg("%s: the record never passed the proxy\nsource:\n%s\ndestination:\n%s",
			 what, so, dout);
	/* The source must have run and started migrating: a case where it
	 * could not (a broken command line) would prove nothing. */
	if (!started && !(px.fired && src_killed))
		fail_msg("%s: the migration did not start\nsource:\n%s", what, so);
	if (ran_src && ran_dst) {
		n->twice++;
		fail_msg("%s: the guest ran on both sides\nsource:\n%s\ndestination:\n%s", what, so, dout);
	}
	if (!ended_by_itself(sst, px.fired && src_killed) ||
	    !ended_by_itself(dst, px.fired && dst_killed))
		fail_msg("%s: a process did not end by itself (source %d, destination %d)\nsource:\n%s\ndestination:\n%s",
			 what, sst, dst, so, dout);
	/* The destination is --quiet: its result file says whether --verify
	 * passed. */
	if (ran_dst && (!dr.ok || dst != 0))
		fail_msg("%s: the destination's guest failed its check:\n%s", what, dout);
	if (ran_src && !strstr(so, "kvmlite: verify: ok"))
		fail_msg("%s: the source's guest failed its check:\n%s", what, so);
	if (ran_src || ran_dst)
		n->survived++;
	else
		n->lost++;
	/* A damaged record never costs the guest: the destination refuses
	 * and says so, or the operator resumes the source. Only a kill can,
	 * or damage after post-copy's switch, which both sides say. */
	bool lost_in_postcopy = mode == MODE_POSTCOPY && strstr(dout, "the guest is lost") &&
				strstr(src_err, "the guest is lost");
	if (!ran_src && !ran_dst && !src_killed && !dst_killed && !lost_in_postcopy)
		fail_msg("%s: the guest ran nowhere\nsource (query-migrate: %s):\n%s\ndestination:\n%s",
			 what, src_err, so, dout);
	const char *verbose = getenv("KLTEST_MATRIX_VERBOSE");
	if (verbose)
		printf("  %-70s %-24s %4.1f s\n", what, ran_dst ? "ran on the destination"
					   : ran_src ? "ran on the source" : "ran nowhere", kl_now() - t0);
	if (verbose && *verbose == '2')
		printf("source (exit %d):\n%s\ndestination (exit %d):\n%s\n", sst, so, dst, dout);
	free(dout);
	free(so);
	unlink(sjson);
	unlink(sout);
	kltest_dst_cleanup(&d);
}

/* ------------------------------------------------------------------ */

static void print_counts(const char *what, const struct counts *n)
{
	printf("fault matrix, %s: %u cases; the guest survived (ran once, verified) in %u "
	       "(%u of them after the operator's cont on an unknown outcome); ran nowhere in %u; "
	       "ran twice in %u\n", what, n->cases, n->survived, n->resumed, n->lost, n->twice);
}

static const enum mplm_algorithm algs[] = { MPLM_ALG_PRECOPY, MPLM_ALG_MPLM,
					    MPLM_ALG_STOPCOPY };

/* A record that triggers a fault: its direction, type and occurrence. */
struct rec_point {
	int dir;
	uint32_t type;
	unsigned nth;
};

/* Every action on each record of recs, case k with algorithm k % 3 (so
 * that every algorithm meets every type and every action), or all with
 * post-copy. KLTEST_MATRIX_ONLY="<prefix>R,A" runs one. */
static void each_record_fault(const struct rec_point *recs, size_t nrecs,
			      const char *prefix, bool postcopy, struct counts *n)
{
	unsigned k = 0;
	const char *only = getenv("KLTEST_MATRIX_ONLY");
	for (size_t r = 0; r < nrecs; r++)
		for (enum action a = FLIP; a <= WITHHOLD; a++, k++) {
			struct fault f = { a, recs[r].dir, recs[r].type, recs[r].nth };
			char id[48];
			snprintf(id, sizeof(id), "%s%zu,%d", prefix, r, (int)a);
			if (!only || !strcmp(only, id))
				run_case(&f, postcopy ? MODE_POSTCOPY : (int)algs[k % 3], n);
		}
}

/* Record faults: every action on every record type of each direction. */
static void test_record_faults(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	static const struct rec_point recs[] = {
		{ TO_DST, KL_REC_HEADER, 0 }, { TO_DST, KL_REC_PAGE, 3 },
		{ TO_DST, KL_REC_ZERO, 100 }, { TO_DST, KL_REC_VCPU, 0 },
		{ TO_DST, KL_REC_DEVICES, 0 }, { TO_DST, KL_REC_END, 0 },
		{ TO_SRC, KL_REC_HELLO, 0 }, { TO_SRC, KL_REC_ACK, 0 },
	};
	struct counts n = { 0 };
	each_record_fault(recs, sizeof(recs) / sizeof(recs[0]), "", false, &n);
	print_counts("record faults", &n);
}

/* Kill points: each side killed before, during and after the pause and
 * on both sides of the commit, with each algorithm. */
static void test_kill_points(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	static const struct fault kills[] = {
		{ KILL_SRC_BEFORE, TO_DST, KL_REC_PAGE, 3 },    /* live */
		{ KILL_DST_BEFORE, TO_DST, KL_REC_PAGE, 3 },
		{ KILL_SRC_BEFORE, TO_DST, KL_REC_VCPU, 0 },    /* paused */
		{ KILL_DST_BEFORE, TO_DST, KL_REC_VCPU, 0 },
		{ KILL_DST_AFTER, TO_DST, KL_REC_END, 0 },      /* before the ACK */
		{ KILL_SRC_BEFORE, TO_SRC, KL_REC_ACK, 0 },     /* committed, ACK lost */
		{ KILL_SRC_AFTER, TO_SRC, KL_REC_ACK, 0 },      /* after the commit */
		{ KILL_DST_AFTER, TO_SRC, KL_REC_ACK, 0 },
	};
	struct counts n = { 0 };
	const char *only = getenv("KLTEST_MATRIX_ONLY"); /* "kI,A": one case */
	for (size_t i = 0; i < sizeof(kills) / sizeof(kills[0]); i++)
		for (size_t a = 0; a < 3; a++) {
			char id[16];
			snprintf(id, sizeof(id), "k%zu,%zu", i, a);
			if (!only || !strcmp(only, id))
				run_case(&kills[i], (int)algs[a], &n);
		}
	print_counts("kill points", &n);
}

/* Post-copy: every action on each of its records (the switch's DISCARD
 * and POSTCOPY, a page after it, a page request, the destination's ACK
 * of the switch and its COMPLETE), and kills around the switch. */
static void test_postcopy_faults(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	/* Without it every destination refuses at the header: nothing here
	 * would reach the switch. */
	KLTEST_REQUIRE_UFFD();
	static const struct rec_point recs[] = {
		{ TO_DST, KL_REC_DISCARD, 0 }, { TO_DST, KL_REC_POSTCOPY, 0 },
		{ TO_DST, KL_REC_PAGE, 200 }, { TO_SRC, KL_REC_ACK, 0 },
		{ TO_SRC, KL_REC_REQUEST, 0 }, { TO_SRC, KL_REC_COMPLETE, 0 },
	};
	static const struct fault kills[] = {
		{ KILL_SRC_BEFORE, TO_DST, KL_REC_POSTCOPY, 0 }, /* before the commit */
		{ KILL_DST_AFTER, TO_DST, KL_REC_POSTCOPY, 0 },
		{ KILL_SRC_AFTER, TO_SRC, KL_REC_ACK, 0 },       /* after it */
		{ KILL_DST_AFTER, TO_SRC, KL_REC_ACK, 0 },
		{ KILL_SRC_BEFORE, TO_DST, KL_REC_PAGE, 200 },   /* pulling pages */
		{ KILL_DST_BEFORE, TO_SRC, KL_REC_REQUEST, 0 },
	};
	struct counts n = { 0 };
	const char *only = getenv("KLTEST_MATRIX_ONLY"); /* "pR,A" or "pkI" */
	each_record_fault(recs, sizeof(recs) / sizeof(recs[0]), "p", true, &n);
	for (size_t i = 0; i < sizeof(kills) / sizeof(kills[0]); i++) {
		char id[16];
		snprintf(id, sizeof(id), "pk%zu", i);
		if (!only || !strcmp(only, id))
			run_case(&kills[i], MODE_POSTCOPY, &n);
	}
	print_counts("post-copy", &n);
}

int main(void)
{
	kltest_init(1800);
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_faults),
		cmocka_unit_test(test_kill_points),
		cmocka_unit_test(test_postcopy_faults),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
