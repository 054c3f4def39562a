/*
 * main.c - kvmlite's subcommands, each the sequence it performs:
 *
 *   run       create the VM, load the guest, [trace], [control], start
 *             the vCPUs, wait for the end (or a migration away), report
 *   incoming  build the VM, receive and verify a stream, run the guest
 *   migrate   run, fork a local destination, migrate mid-run, report
 *   bench     the figures of bench.c
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "cli.h"
#include "control.h"
#include "calibrate.h"
#include "trace_rec.h"

static int die(const char *what, const struct kl_err *e)
{
	fprintf(stderr, "kvmlite %s: %s\n", what, e->msg);
	return 1;
}

static void sleep_s(double s)
{
	struct timespec t = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
	nanosleep(&t, NULL);
}

static void say_booting(struct kl_vm *vm, const struct kl_cli *c)
{
	if (c->cfg.quiet)
		return;
	const struct kl_params *p = &c->params;
	printf("kvmlite: %u vCPU, %llu MiB in %u slot(s), CPL %u, TSC %u kHz, dirty log %s\n",
	       vm->cfg.nvcpus, (unsigned long long)(vm->cfg.mem_bytes >> 20),
	       vm->nslots, vm->cfg.cpl, vm->tsc_khz, kl_dirtylog_mode(vm));
	printf("kvmlite: guest %s, working set %llu MiB, rate %llu pages/s, %s %llu\n",
	       kl_pattern_name(p->pattern), (unsigned long long)(p->wss_pages >> 8),
	       (unsigned long long)p->rate,
	       p->duration_ms ? "duration ms" : "iterations",
	       (unsigned long long)(p->duration_ms ? p->duration_ms : p->iterations));
	fflush(stdout);
}

/* Print QEMU's `info migrate` (and the per-sync lines if asked). */
static void report_migration(kl_source *s, struct kl_vm *vm)
{
	struct mplm_stats st;
	char buf[4096];
	kl_source_stats(s, &st);
	mplm_format_info_migrate(&st, buf, sizeof(buf));
	fputs(buf, stdout);
	if (kl_source_params(s)->auto_converge)
		printf("guest work lost to auto-converge's throttle: %.3f s\n",
		       kl_vm_throttled_seconds(vm));
	if (kl_source_error(s)[0] && st.status != MPLM_STATUS_COMPLETED)
		printf("kvmlite: migration did not complete: %s\n", kl_source_error(s));
	fflush(stdout);
}

static int verify_here(struct kl_vm *vm)
{
	struct kl_err e;
	if (kl_verify_guest(vm, &e) < 0) {
		printf("kvmlite: verify: FAILED: %s\n", e.msg);
		return 1;
	}
	printf("kvmlite: verify: ok, the guest's results match a replay of its writes\n");
	return 0;
}

/* Migrate to c->migrate_to in this thread: a KL_MIG_* outcome. */
static int migrate_now(struct kl_vm *vm, struct kl_cli *c)
{
	struct kl_err e;
	snprintf(c->mig.uri, sizeof(c->mig.uri), "%s", c->migrate_to);
	kl_source *s = kl_source_new(vm, &c->mig, &e);
	if (!s)
		return die("run", &e);
	int r = kl_source_run(s);
	report_migration(s, vm);
	kl_source_free(s);
	return r;
}

enum run_end { ENDED, MIGRATED, QUIT, TIMED_OUT, UNKNOWN_OUTCOME, LOST };

/* Wait for the guest to finish, a migration away, `quit` or the timeout;
 * migrate when --migrate-to's time comes. An unknown outcome without a
 * control socket ends the run (nobody could `cont` this paused copy);
 * with one, the operator decides. */
static enum run_end wait_for_end(struct kl_vm *vm, struct kl_cli *c,
				 struct kl_control *ctl, bool *mig_failed)
{
	double t0 = kl_now();
	bool migrate_due = c->migrate_to != NULL;
	for (;;) {
		if (kl_vm_wait_end(vm, 0.05))
			return ENDED;
		double t = kl_now() - t0;
		if (migrate_due && t >= c->migrate_after) {
			migrate_due = false;
			int r = migrate_now(vm, c);
			if (r == KL_MIG_DONE)
				return MIGRATED;
			*mig_failed = true;
			if (r == KL_MIG_UNKNOWN && !ctl)
				return UNKNOWN_OUTCOME;
			if (r == KL_MIG_LOST && !ctl)
				return LOST;
		}
		if (ctl && kl_control_quit_requested(ctl))
			return QUIT;
		if (c->timeout > 0 && t >= c->timeout)
			return TIMED_OUT;
	}
}

/* With a control socket, after the guest ends or leaves, stay until
 * `quit` (QEMU's postmigrate / shutdown states). */
static void wait_for_quit(struct kl_control *ctl, double timeout)
{
	double t0 = kl_now();
	while (!kl_control_quit_requested(ctl) &&
	       (timeout <= 0 || kl_now() - t0 < timeout))
		sleep_s(0.05);
}

static int cmd_run(struct kl_cli *c)
{
	struct kl_vm *vm;
	struct kl_tracer *tracer = NULL;
	struct kl_control *ctl = NULL;
	struct kl_err e;
	int rc = 0;

	if (kl_cli_check_rate(c, &e) < 0)
		return die("run", &e);
	if (kl_vm_create(&vm, &c->cfg, &e) < 0)
		return die("run", &e);
	if (kl_vm_load_guest_file(vm, c->guest, &c->params, &e) < 0 ||
	    (c->record_trace && kl_trace_start(vm, c->record_trace,
					       c->trace_interval, &tracer, &e) < 0) ||
	    (c->qmp && kl_control_start(vm, c->qmp, c->qmp_remote, &c->mig, &ctl, &e) < 0) ||
	    (say_booting(vm, c), kl_vm_start(vm, &e) < 0)) {
		kl_vm_destroy(vm);
		return die("run", &e);
	}

	bool mig_failed = false;
	enum run_end end = wait_for_end(vm, c, ctl, &mig_failed);
	if (end == MIGRATED || (ctl && kl_control_migrated(ctl)))
		printf("kvmlite: the guest migrated; this VM stays paused\n");
	else if (end == UNKNOWN_OUTCOME) {
		fprintf(stderr, "kvmlite run: the migration's outcome is unknown: this copy of the guest "
				"stays paused and is discarded; the destination may be running it (use --qmp to keep it and decide with `cont`)\n");
		rc = 3;
	} else if (end == LOST) {
		fprintf(stderr, "kvmlite run: post-copy failed after the switch: the guest is lost "
				"(this paused copy is behind the destination's and cannot run on)\n");
		rc = 4;
	} else if (end == TIMED_OUT) {
		printf("kvmlite: timed out after %.1f s\n", c->timeout);
		rc = 2;
	}
	if (ctl && end != QUIT)
		wait_for_quit(ctl, c->timeout);
	kl_vm_pause(vm);
	if (tracer && kl_trace_stop(tracer, &e) < 0)
		rc = die("run --record-trace", &e);
	if (tracer && !rc)
		printf("kvmlite: trace %s: %" PRIu64 " intervals\n", c->record_trace,
		       kl_trace_intervals(tracer));
	if (kl_vm_error(vm)[0]) {
		fprintf(stderr, "kvmlite run: guest failed: %s\n", kl_vm_error(vm));
		rc = 1;
	} else if (end == ENDED || end == QUIT) {
		kl_print_guest_report(vm, stdout);
		if (c->verify && kl_vm_all_ended(vm))
			rc |= verify_here(vm);
	}
	/* --migrate-to asked for the guest to leave: it did not. */
	if (mig_failed && !rc && end != MIGRATED) {
		fprintf(stderr, "kvmlite run: the migration to %s failed\n", c->migrate_to);
		rc = 1;
	}
	if (c->result_json)
		kl_write_result_json(c->result_json, vm, NULL,
				     kl_vm_error(vm)[0] ? kl_vm_error(vm) : NULL);
	kl_control_stop(ctl);
	kl_trace_free(tracer);
	kl_vm_destroy(vm);
	return rc;
}

static int cmd_incoming(struct kl_cli *c)
{
	struct kl_incoming_result res;
	c->in.verify = c->verify;
	c->in.quiet = c->cfg.quiet;
	if (kl_incoming(&c->cfg, &c->in, &res) < 0) {
		fprintf(stderr, "kvmlite incoming: error: %s\n", res.error);
		return 1;
	}
	return 0;
}

/* The destination's verdict: its result file against the replay, and
 * memory at resume against memory at the source's pause. */
static int check_destination(const char *json, const struct kl_params *p,
			     uint64_t memhash_at_pause, double downtime)
{
	struct kl_result_file r;
	struct kl_expect want[KL_MAX_VCPUS];
	uint64_t writes[KL_MAX_VCPUS];
	struct kl_err e;

	if (kl_read_result_json(json, &r, &e) < 0)
		return die("migrate", &e);
	if (!r.ok) {
		printf("kvmlite: destination failed: %s\n", r.error);
		return 1;
	}
	if (downtime >= 0)
		printf("kvmlite: downtime as the guest saw it: %.3f ms (the source's %.3f ms to the "
		       "destination's ACK, then %.3f ms to its vCPUs running)\n",
		       (downtime + r.resume_gap) * 1e3, downtime * 1e3, r.resume_gap * 1e3);
	if (r.postcopy_missing)
		printf("kvmlite: post-copy: %" PRIu64 " pages missing when the destination started, "
		       "%" PRIu64 " remote faults, the guest waited %.3f s on them; degradation window %.3f s "
		       "(until the last page arrived); the %" PRIu64 " pages the guest did not write there "
		       "hold the source's content at its pause\n",
		       r.postcopy_missing, r.postcopy_faults, r.postcopy_wait, r.postcopy_window,
		       r.postcopy_checked);
	/* Post-copy: the destination's hash is of each page as it arrived,
	 * so "equal" says every page came with its content at the pause. */
	bool same = r.memhash_at_resume == memhash_at_pause;
	printf("kvmlite: memory hash at the source's pause 0x%016" PRIx64
	       ", at the destination's resume 0x%016" PRIx64 ": %s\n",
	       memhash_at_pause, r.memhash_at_resume, same ? "equal" : "DIFFERENT");
	if (p->pattern == KL_PAT_IDLE || p->pattern == KL_PAT_LIST)
		return same ? 0 : 1;
	for (unsigned i = 0; i < r.nvcpus; i++)
		writes[i] = r.vcpu[i].writes;
	if (kl_expect_run(p, writes, want, &e) < 0)
		return die("migrate", &e);
	bool all = same;
	for (unsigned i = 0; i < r.nvcpus; i++) {
		bool ok = r.vcpu[i].done && r.vcpu[i].checksum == want[i].checksum &&
			  r.vcpu[i].vecsum == want[i].vecsum &&
			  r.vcpu[i].memhash == want[i].memhash;
		printf("kvmlite: vCPU %u finished on the destination: checksum 0x%016" PRIx64
		       " (unmigrated replay 0x%016" PRIx64 "): %s\n",
		       i, r.vcpu[i].checksum, want[i].checksum, ok ? "ok" : "MISMATCH");
		all &= ok;
	}
	return all ? 0 : 1;
}

static int cmd_migrate(struct kl_cli *c)
{
	struct kl_vm *vm;
	struct kl_err e;
	char exe[4200], json[] = "/tmp/kvmlite-dst-XXXXXX";
	char timeout[32];

	if (kl_cli_check_rate(c, &e) < 0 || kl_vm_create(&vm, &c->cfg, &e) < 0)
		return die("migrate", &e);
	int lfd = -1, jfd = mkstemp(json), pid = -1, rc = 1;
	if (jfd >= 0)
		close(jfd);
	if (kl_vm_load_guest_file(vm, c->guest, &c->params, &e) < 0 ||
	    (lfd = kl_listen("127.0.0.1:0", &e)) < 0)
		goto out;
	snprintf(exe, sizeof(exe), "%s/kvmlite", kl_exe_dir());
	snprintf(timeout, sizeof(timeout), "--timeout=%g", c->timeout > 0 ? c->timeout : 600);
	/* Post-copy: the destination checks the page-content invariant on
	 * the guest's own memory (--verify), which only it can see. */
	const char *extra[] = { "--result-json", json, timeout, "--accept-timeout=60",
				c->mig.params.postcopy_ram ? "--verify" : NULL, NULL };
	pid = kl_spawn_incoming(exe, &c->cfg, lfd, extra, &e);
	snprintf(c->mig.uri, sizeof(c->mig.uri), "tcp:127.0.0.1:%d", kl_local_port(lfd));
	close(lfd);
	say_booting(vm, c);
	if (pid < 0 || kl_vm_start(vm, &e) < 0)
		goto out;

	kl_vm_wait_end(vm, c->migrate_after);
	kl_source *s = kl_source_new(vm, &c->mig, &e);
	if (!s)
		goto out;
	int r = kl_source_run(s);
	report_migration(s, vm);
	struct mplm_stats fin;
	kl_source_stats(s, &fin);
	uint64_t at_pause = kl_source_memhash_at_pause(s);
	kl_source_free(s);
	if (r == KL_MIG_UNKNOWN) {
		/* This copy stays paused; what the destination did decides. */
		int st = kl_wait_child(pid, c->timeout > 0 ? c->timeout + 30 : 0);
		pid = -1;
		rc = check_destination(json, kl_gpa(vm, KL_PARAMS_GPA), at_pause, -1);
		rc = rc ? rc : st != 0 ? 1 : 3;
	} else if (r == KL_MIG_DONE) {
		int st = kl_wait_child(pid, c->timeout > 0 ? c->timeout + 30 : 0);
		pid = -1;
		rc = check_destination(json, kl_gpa(vm, KL_PARAMS_GPA), at_pause,
				       fin.downtime);
		if (st != 0 && !rc)
			rc = 1;
	} else if (r == KL_MIG_LOST) {
		printf("kvmlite: post-copy failed after the switch: the guest is lost\n");
		rc = 4;
	} else {
		printf("kvmlite: the guest keeps running here\n");
		kl_vm_wait_end(vm, c->timeout);
		kl_print_guest_report(vm, stdout);
	}
	e.msg[0] = 0;
out:
	if (pid > 0)
		kl_wait_child(pid, 1);
	unlink(json);
	kl_vm_destroy(vm);
	if (e.msg[0])
		return die("migrate", &e);
	return rc;
}

int main(int argc, char **argv)
{
	struct kl_cli c;
	struct kl_err e;

	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("kvmlite %s (%s)\n", MPLM_VERSION, mplm_git_commit());
		return 0;
	}
	if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help")) {
		kl_cli_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	int r = kl_cli_parse(&c, argc - 1, argv + 1, &e);
	if (r > 0)
		return 0;
	if (r < 0) {
		fprintf(stderr, "kvmlite %s: %s\n", argv[1], e.msg);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(c.cmd, "run"))
		return cmd_run(&c);
	if (!strcmp(c.cmd, "incoming"))
		return cmd_incoming(&c);
	if (!strcmp(c.cmd, "migrate"))
		return cmd_migrate(&c);
	if (!strcmp(c.cmd, "bench"))
		return kl_bench(&c);
	if (!strcmp(c.cmd, "calibrate"))
		return kl_calibrate(&c);
	fprintf(stderr, "kvmlite: unknown command '%s' (run, incoming, migrate, bench, calibrate)\n",
		c.cmd);
	return 2;
}
