/*
 * backend_kvm.c - `backend = kvm`: one migration of a real guest under
 * kvmlite, described and reported with the simulator's structures, so the
 * same experiment files run on it.
 *
 * It builds a VM for cfg->workload_spec (gen.h syntax: pattern, memory,
 * wss, rate, duration, seed, hot, skew, arrays), runs the guest
 * cfg->start_at seconds, migrates it over loopback to a `kvmlite incoming
 * --no-run` child with cfg->params, and reports. The link is emulated with
 * the rate limit: min(max_bandwidth, link_bandwidth). verified = the
 * destination's memory at resume hashed equal to the source's at pause
 * (mismatches 1 if not). Costs (header_bytes, state_bytes, sync_*) are
 * real, not configured; a trace file cannot drive a real guest.
 *
 * With cfg->record_trace, the guest's dirty log is recorded from before
 * its vCPUs start to the end of the migration (kvmlite's recorder and the
 * migration read one dirty log), and res->record_start_at says where in
 * that trace the migration started: the replay's start-at.
 */
#include "backend.h"
#include "kvmlite.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "gen.h"
#include "trace_rec.h"

/* A file built with kvmlite ("guests/workload.bin", "kvmlite/kvmlite"),
 * looked for next to the running program and one and two levels up. */
static int find_built(const char *rel, char *out, size_t len)
{
	static const char *up[] = { "", "/..", "/../.." };
	const char *env = getenv("KVMLITE_BUILD");
	if (env) {
		snprintf(out, len, "%s/%s", env, rel);
		if (access(out, R_OK) == 0)
			return 0;
	}
	for (size_t i = 0; i < sizeof(up) / sizeof(up[0]); i++) {
		snprintf(out, len, "%s%s/%s", kl_exe_dir(), up[i], rel);
		if (access(out, R_OK) == 0)
			return 0;
	}
	return -1;
}

/* gen.h's SPEC, parsed by gen.h itself so a spec means the same workload
 * on a real guest as in the simulator; the guest runs the same pattern. */
static int parse_spec(const char *text, struct gen_spec *s, char *err, size_t len)
{
	uint64_t pattern;

	if (gen_parse(text, s, err, len) < 0)
		return -1;
	if (s->page_size != KL_PAGE_SIZE) {
		snprintf(err, len, "workload %s: a real guest has %u-byte pages", text,
			 KL_PAGE_SIZE);
		return -1;
	}
	if (kl_pattern_parse(s->pattern, &pattern) < 0) {
		snprintf(err, len, "workload %s: no guest program for pattern %s",
			 text, s->pattern);
		return -1;
	}
	return 0;
}

/* The guest's working set is the simulated VM's memory; kvmlite's boot
 * area (4 MiB) comes on top. */
static void vm_for(const struct sim_config *cfg, const struct gen_spec *s,
		   struct kl_config *c, struct kl_params *p)
{
	uint64_t mem = cfg->vm_bytes ? cfg->vm_bytes : s->pages * KL_PAGE_SIZE;
	kl_config_default(c);
	c->mem_bytes = (KL_DATA_GPA + mem + KL_HUGE - 1) / KL_HUGE * KL_HUGE;
	c->quiet = true;
	c->nvcpus = s->vcpus;
	memset(p, 0, sizeof(*p));
	/* The generator's own translation, so the guest writes the pages a
	 * simulated run of this spec would see. */
	gen_guest_params(s, p);
	/* Status ten times a second, for the rate reported. */
	p->progress_every = p->rate / 10 > 1024 ? p->rate / 10 : 1024;
	/* Loop: the guest writes until it is migrated away. */
	p->duration_ms = cfg->at_end == SIM_END_LOOP ? 0 : (uint64_t)llround(s->duration * 1000);
}

static void sleep_s(double s)
{
	struct timespec t = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
	nanosleep(&t, NULL);
}

static int fail(struct sim_result *res, const char *msg)
{
	snprintf(res->error, sizeof(res->error), "%s", msg);
	return -1;
}

/* Spawn the destination, migrate, collect what the engine reported. */
static int migrate_once(struct kl_vm *vm, const struct sim_config *cfg,
			double *started_at, struct sim_result *res)
{
	struct kl_err e;
	struct kl_mig_opts o;
	char exe[4200], json[] = "/tmp/kvmlite-exp-XXXXXX";
	if (find_built("kvmlite/kvmlite", exe, sizeof(exe)) < 0 &&
	    find_built("kvmlite", exe, sizeof(exe)) < 0)
		return fail(res, "kvmlite binary not found (set KVMLITE_BUILD)");
	int jfd = mkstemp(json), lfd = kl_listen("127.0.0.1:0", &e);
	if (jfd < 0 || lfd < 0)
		return fail(res, jfd < 0 ? "mkstemp" : e.msg);
	close(jfd);
	const char *extra[] = { "--no-run", "--accept-timeout=60", "--io-timeout=60",
				"--result-json", json, NULL };
	int pid = kl_spawn_incoming(exe, &vm->cfg, lfd, extra, &e);
	kl_mig_opts_default(&o);
	snprintf(o.uri, sizeof(o.uri), "tcp:127.0.0.1:%d", kl_local_port(lfd));
	close(lfd);
	if (pid < 0) {
		unlink(json);
		return fail(res, e.msg);
	}
	o.params = cfg->params;
	o.link_bandwidth = cfg->link_bandwidth;
	o.extend_live_at = cfg->extend_live_at;
	o.end_live_at = cfg->end_live_at;
	kl_source *s = kl_source_new(vm, &o, &e);
	int r = s ? kl_source_run(s) : -1;
	if (!s) {
		kl_wait_child(pid, 1);
		unlink(json);
		return fail(res, e.msg);
	}
	*started_at = kl_source_started_at(s);
	kl_source_stats(s, &res->stats);
	size_t n;
	const struct mplm_sync_record *syncs = kl_source_syncs(s, &n);
	if (n && (res->syncs = malloc(n * sizeof(*syncs)))) {
		memcpy(res->syncs, syncs, n * sizeof(*syncs));
		res->nsyncs = n;
	}
	int st = kl_wait_child(pid, r == 0 ? 120 : 1);
	if (r == 0) {
		struct kl_result_file out;
		if (kl_read_result_json(json, &out, &e) == 0 && st == 0 && out.ok) {
			res->verified = cfg->verify;
			res->mismatches = out.memhash_at_resume != kl_source_memhash_at_pause(s);
			/* Downtime as the guest sees it: to its vCPUs running on
			 * the destination, past the ACK the source timed. */
			res->stats.downtime += out.resume_gap;
			res->stats.total_time += out.resume_gap;
		} else {
			r = -1;
			snprintf(res->error, sizeof(res->error), "destination: %.480s",
				 out.error[0] ? out.error : "failed");
		}
	} else if (res->stats.status != MPLM_STATUS_NOT_CONVERGED) {
		snprintf(res->error, sizeof(res->error), "%s", kl_source_error(s));
	} else {
		r = 0;
	}
	res->stats.error = NULL; /* points into s; the message is in res->error */
	kl_source_free(s);
	unlink(json);
	return r;
}

static int kvm_run(const struct sim_config *cfg, struct sim_result *res)
{
	struct gen_spec s;
	struct kl_config c;
	struct kl_params p;
	struct kl_vm *vm;
	struct kl_err e;
	char guest[4200];
	double t0 = kl_now();

	memset(res, 0, sizeof(*res));
	if (!cfg->workload_spec)
		return fail(res, "backend kvm runs generated workloads (workload = SPEC), not trace files");
	if (parse_spec(cfg->workload_spec, &s, res->error, sizeof(res->error)) < 0)
		return -1;
	vm_for(cfg, &s, &c, &p);
	if (p.rate > KL_PVM_MAX_RATE && access("/sys/module/kvm_pvm", F_OK) == 0)
		return fail(res, "rate above the ~150,000 pages/s a guest can dirty on kvm_pvm");
	if (find_built("guests/workload.bin", guest, sizeof(guest)) < 0)
		return fail(res, "guests/workload.bin not found (set KVMLITE_BUILD)");
	if (kl_vm_create(&vm, &c, &e) < 0)
		return fail(res, e.msg);
	struct kl_tracer *tracer = NULL;
	int r = kl_vm_load_guest_file(vm, guest, &p, &e);
	/* The recorder starts before the vCPUs, so no write is missed. */
	if (r == 0 && cfg->record_trace)
		r = kl_trace_start(vm, cfg->record_trace, 0, &tracer, &e);
	if (r == 0)
		r = kl_vm_start(vm, &e);
	if (r < 0) {
		kl_trace_free(tracer);
		kl_vm_destroy(vm);
		return fail(res, e.msg);
	}
	sleep_s(cfg->start_at);
	res->vm_pages = vm->pages;
	double started_at = 0;
	r = migrate_once(vm, cfg, &started_at, res);
	if (tracer) {
		kl_vm_pause(vm); /* it is, after a completed migration */
		if (kl_trace_stop(tracer, &e) < 0 && r == 0)
			r = fail(res, e.msg);
		res->record_start_at = started_at - kl_trace_started_at(tracer);
		kl_trace_free(tracer);
		if (r < 0) /* no recording of a run that has no result */
			unlink(cfg->record_trace);
	}
	const struct kl_status *g = kl_vm_status(vm, 0);
	double secs = (double)(g->tsc_end - g->tsc_start - g->tsc_dropped) /
		      ((double)vm->tsc_khz * 1000);
	res->trace_rate = secs > 0 ? (double)kl_dev_progress(&vm->dev) / secs : 0;
	/* The guest work auto-converge's throttle cost: each vCPU's sleeps
	 * (the mean over vCPUs), as kvmlite migrate prints it. */
	res->guest_lost = kl_vm_throttled_seconds(vm);
	kl_vm_destroy(vm);
	res->wall_seconds = kl_now() - t0;
	return r;
}

/* Whether this process can open /dev/kvm and talk to it: a host (or a
 * user) without it would store every run as failed. */
static const char *kvm_unusable(void)
{
	static char why[256];
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, sizeof(why), "open /dev/kvm: %s", strerror(errno));
		return why;
	}
	int v = ioctl(fd, KVM_GET_API_VERSION, 0);
	close(fd);
	if (v != KVM_API_VERSION) {
		snprintf(why, sizeof(why), "/dev/kvm: KVM_GET_API_VERSION gave %d, "
			 "not %d", v, KVM_API_VERSION);
		return why;
	}
	return NULL;
}

const struct backend backend_kvm = {
	.name = "kvm",
	.run = kvm_run,
	.unusable = kvm_unusable,
	.parallel_safe = false,
	.replays_traces = false,
	.records_traces = true,
	.modelled_costs = false,
};
