/*
 * kltest.c - see kltest.h.
 */
#include "kltest.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "receive.h" /* kl_postcopy_dst_possible */
#include "guests/wl.h"

void kltest_init(unsigned alarm_seconds)
{
	alarm(alarm_seconds);
	setvbuf(stdout, NULL, _IOLBF, 0);
}

void kltest_sleep(double s)
{
	struct timespec t = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

const char *kltest_build_dir(void)
{
	static char dir[4096];
	if (!dir[0]) /* <B>/tests/kvmlite/test_x */
		snprintf(dir, sizeof(dir), "%s/../..", kl_exe_dir());
	return dir;
}

const char *kltest_kvmlite(void)
{
	static char p[4200];
	snprintf(p, sizeof(p), "%s/kvmlite/kvmlite", kltest_build_dir());
	return p;
}

const char *kltest_guest(void)
{
	static char p[4200];
	snprintf(p, sizeof(p), "%s/guests/workload.bin", kltest_build_dir());
	return p;
}

static const char *probe(void)
{
	static char why[512];
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, sizeof(why), "open /dev/kvm: %s", strerror(errno));
		return why;
	}
	close(fd);
	struct kl_config c;
	struct kl_params p;
	struct kl_vm *vm;
	struct kl_err e;
	kltest_config(&c, 8 << 20, 1);
	kltest_params(&p, KL_PAT_SEQUENTIAL, 16, 0, 100);
	if (kl_vm_create(&vm, &c, &e) < 0) {
		snprintf(why, sizeof(why), "%s", e.msg);
		return why;
	}
	if (kl_vm_load_guest_file(vm, kltest_guest(), &p, &e) < 0 ||
	    kl_vm_start(vm, &e) < 0) {
		snprintf(why, sizeof(why), "%s", e.msg);
		kl_vm_destroy(vm);
		return why;
	}
	if (!kl_vm_wait_end(vm, 10))
		snprintf(why, sizeof(why), "a test guest did not finish in 10 s");
	else if (kl_vm_error(vm)[0])
		snprintf(why, sizeof(why), "a test guest failed: %s", kl_vm_error(vm));
	else
		why[0] = 0;
	kl_vm_destroy(vm);
	return why[0] ? why : NULL;
}

const char *kltest_kvm_unusable(void)
{
	static int done;
	static const char *why;
	if (!done) {
		why = probe();
		done = 1;
	}
	return why;
}

const char *kltest_uffd_unusable(void)
{
	static int done;
	static struct kl_err why;
	if (!done)
		done = kl_postcopy_dst_possible(&why) == 0 ? 1 : 2;
	return done == 1 ? NULL : why.msg;
}

void kltest_config(struct kl_config *c, uint64_t mem_bytes, unsigned vcpus)
{
	kl_config_default(c);
	c->mem_bytes = mem_bytes;
	c->nvcpus = vcpus;
	c->quiet = true;
}

void kltest_params(struct kl_params *p, uint64_t pattern, uint64_t wss_pages,
		   uint64_t rate, uint64_t iterations)
{
	memset(p, 0, sizeof(*p));
	p->pattern = pattern;
	p->wss_pages = wss_pages;
	p->rate = rate;
	p->iterations = iterations;
	p->seed = 42;
	p->hot_permille = 100;
	p->skew_permille = 900;
	p->arrays = 3;
	p->progress_every = 4096;
}

struct kl_vm *kltest_vm(const struct kl_config *c, const struct kl_params *p)
{
	struct kl_vm *vm = NULL;
	struct kl_err e;
	if (kl_vm_create(&vm, c, &e) < 0)
		fail_msg("kl_vm_create: %s", e.msg);
	if (kl_vm_load_guest_file(vm, kltest_guest(), p, &e) < 0)
		fail_msg("loading the guest: %s", e.msg);
	return vm;
}

void kltest_run_to_end(struct kl_vm *vm, double timeout)
{
	struct kl_err e;
	if (kl_vm_start(vm, &e) < 0)
		fail_msg("kl_vm_start: %s", e.msg);
	if (!kl_vm_wait_end(vm, timeout))
		fail_msg("the guest did not finish within %.0f s", timeout);
	if (kl_vm_error(vm)[0])
		fail_msg("guest failed: %s", kl_vm_error(vm));
}

void kltest_replay(const struct kl_params *p, unsigned vcpu, uint64_t writes,
		   uint64_t *checksum, uint64_t *vecsum, uint64_t *memhash)
{
	uint8_t *mem = calloc(p->wss_pages, WL_PAGE);
	struct wl w;
	assert_non_null(mem);
	wl_init(&w, p, vcpu, mem);
	wl_run(&w, writes);
	*checksum = w.csum;
	*vecsum = wl_vecsum(&w);
	*memhash = wl_memhash(&w);
	free(mem);
}

/* The guest reports progress every 4,096 writes: on a loaded machine
 * that can take a while, so wait for it (bounded) rather than a fixed
 * time. */
void kltest_assert_guest_runs(struct kl_vm *vm)
{
	uint64_t before = kl_dev_progress(&vm->dev);
	for (int i = 0; i < 400 && kl_dev_progress(&vm->dev) == before; i++)
		kltest_sleep(0.05);
	assert_true(kl_dev_progress(&vm->dev) > before);
}

void kltest_assert_guest_matches_replay(struct kl_vm *vm)
{
	const struct kl_params *p = kl_gpa(vm, KL_PARAMS_GPA);
	for (unsigned i = 0; i < vm->cfg.nvcpus; i++) {
		const struct kl_status *st = kl_vm_status(vm, i);
		uint64_t c, v, m;
		assert_int_equal(st->done, 1);
		kltest_replay(p, i, st->writes, &c, &v, &m);
		assert_int_equal(st->checksum, c);
		assert_int_equal(st->vecsum, v);
		assert_int_equal(st->memhash, m);
	}
}

void kltest_dst_start(struct kltest_dst *d, const struct kl_config *c,
		      const char *const *extra)
{
	struct kl_err e;
	const char *args[24];
	int n = 0;

	memset(d, 0, sizeof(*d));
	strcpy(d->json, "/tmp/kltest-json-XXXXXX");
	strcpy(d->out, "/tmp/kltest-out-XXXXXX");
	int jfd = mkstemp(d->json), ofd = mkstemp(d->out);
	assert_true(jfd >= 0 && ofd >= 0);
	close(jfd);
	int lfd = kl_listen("127.0.0.1:0", &e);
	if (lfd < 0)
		fail_msg("listen: %s", e.msg);
	d->port = kl_local_port(lfd);
	snprintf(d->uri, sizeof(d->uri), "tcp:127.0.0.1:%d", d->port);
	args[n++] = "--result-json";
	args[n++] = d->json;
	args[n++] = "--accept-timeout=30";
	args[n++] = "--io-timeout=20";
	args[n++] = "--timeout=60";
	args[n++] = "--verify";
	for (int i = 0; extra && extra[i] && n < 22; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	/* The child's output goes to a file the test can read. */
	int saved_out = dup(1), saved_err = dup(2);
	fflush(stdout);
	dup2(ofd, 1);
	dup2(ofd, 2);
	d->pid = kl_spawn_incoming(kltest_kvmlite(), c, lfd, args, &e);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	close(ofd);
	close(lfd);
	if (d->pid < 0)
		fail_msg("spawn: %s", e.msg);
}

int kltest_dst_finish(struct kltest_dst *d, double timeout,
		      struct kl_result_file *r)
{
	struct kl_err e;
	int st = kl_wait_child(d->pid, timeout);
	d->pid = -1;
	if (r && kl_read_result_json(d->json, r, &e) < 0)
		memset(r, 0, sizeof(*r));
	return st;
}

char *kltest_dst_output(const struct kltest_dst *d)
{
	FILE *f = fopen(d->out, "r");
	char *buf = calloc(1, 1 << 16);
	if (f && buf)
		buf[fread(buf, 1, (1 << 16) - 1, f)] = 0;
	if (f)
		fclose(f);
	return buf;
}

void kltest_dst_cleanup(struct kltest_dst *d)
{
	if (d->pid > 0)
		kl_wait_child(d->pid, 0.01);
	unlink(d->json);
	unlink(d->out);
}

void kltest_mig_opts(struct kl_mig_opts *o, enum mplm_algorithm alg,
		     const char *uri)
{
	kl_mig_opts_default(o);
	o->params.algorithm = alg;
	o->params.intervaltime = 0.5;
	snprintf(o->uri, sizeof(o->uri), "%s", uri);
}

struct kl_vm *kltest_long_guest(struct kl_config *cfg, struct kl_params *p)
{
	struct kl_err e;
	kltest_config(cfg, 128 << 20, 1);
	kltest_params(p, KL_PAT_UNIFORM, 16384, 40000, 200000);
	struct kl_vm *vm = kltest_vm(cfg, p);
	assert_int_equal(kl_vm_start(vm, &e), 0);
	return vm;
}

static void *run_source(void *arg)
{
	struct kltest_mig *m = arg;
	m->rc = kl_source_run(m->s);
	return NULL;
}

void kltest_mig_start(struct kltest_mig *m, struct kl_vm *vm,
		      const struct kl_mig_opts *o)
{
	struct kl_err e;
	m->s = kl_source_new(vm, o, &e);
	if (!m->s)
		fail_msg("kl_source_new: %s", e.msg);
	assert_int_equal(pthread_create(&m->t, NULL, run_source, m), 0);
}

bool kltest_wait_source(kl_source *s,
			bool (*reached)(kl_source *s, const struct mplm_stats *st,
					const void *arg),
			const void *arg, double seconds)
{
	struct mplm_stats st;
	for (double t = 0; t < seconds; t += 0.002) {
		kl_source_stats(s, &st);
		if (reached(s, &st, arg))
			return true;
		if (st.status != MPLM_STATUS_SETUP && st.status != MPLM_STATUS_ACTIVE &&
		    st.status != MPLM_STATUS_POSTCOPY_ACTIVE)
			return false;
		kltest_sleep(0.002);
	}
	return false;
}
