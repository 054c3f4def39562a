/*
 * cli.c - option parsing for every kvmlite subcommand.
 */
#include "cli.h"
#include "gen.h"
#include "settings_cli.h"
#include "units.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *pattern_names[KL_PAT_COUNT] = {
	"idle", "sequential", "uniform", "hotspot", "stencil", "list",
};

const char *kl_pattern_name(uint64_t p)
{
	return p < KL_PAT_COUNT ? pattern_names[p] : "?";
}

int kl_pattern_parse(const char *s, uint64_t *out)
{
	for (uint64_t i = 0; i < KL_PAT_COUNT; i++)
		if (!strcmp(s, pattern_names[i])) {
			*out = i;
			return 0;
		}
	return -1;
}

/* Numbers with units, as the rest of mplm-lab reads them (units.h). */
uint64_t kl_parse_size(const char *s, bool *ok)
{
	uint64_t v = 0;
	*ok = units_parse_size(s, &v) == 0;
	return v;
}

double kl_parse_rate(const char *s, bool *ok)
{
	double v = 0;
	*ok = units_parse_count(s, &v) == 0;
	return v;
}

static double parse_double(const char *s, bool *ok)
{
	char *end;
	double v = strtod(s, &end);
	*ok = end != s && !*end && isfinite(v) && v >= 0;
	return v;
}

static double parse_seconds(const char *s, bool *ok)
{
	double v = 0;
	*ok = units_parse_seconds(s, &v) == 0;
	return v;
}

const char *kl_exe_dir(void)
{
	static char dir[4096];
	if (!dir[0]) {
		ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
		if (n <= 0)
			return "";
		dir[n] = 0;
		char *slash = strrchr(dir, '/');
		if (slash)
			*slash = 0;
	}
	return dir;
}

/* The settings kvmlite takes from the table: all but the simulated
 * link's speed (kvmlite's link is real) and the simulator's replay of a
 * trace (kvmlite's guest really runs). */
#define KL_SKIP_SETTINGS ((1u << MPLM_SET_BANDWIDTH) | (1u << MPLM_SET_REPLAY))

void kl_cli_usage(FILE *f)
{
	static const char *const run_defaults[MPLM_SET_COUNT] = {
		[MPLM_SET_MEMORY] = "64 MiB",
		[MPLM_SET_START_AT] = "1 s",
	};
	struct kl_mig_opts mig;
	char help[4096];

	kl_mig_opts_default(&mig);
	settings_cli_help(help, sizeof(help), KL_SKIP_SETTINGS, &mig.params,
			  run_defaults);
	fputs(
"usage: kvmlite COMMAND [options]\n"
"\n"
"commands:\n"
"  run        boot a guest and run it to the end\n"
"  incoming   wait for a migration stream, verify it, run the guest\n"
"  migrate    run a guest, migrate it mid-run to a forked local\n"
"             destination, print `info migrate` and the guest's result\n"
"  bench      dirty-log, migration and stream throughput figures\n"
"  calibrate  measure this host's costs into a machine profile for\n"
"             mplm-sim --profile (--output FILE; --memory: the guest's size)\n"
"\n"
"examples:\n"
"  kvmlite run --memory 1G --pattern uniform --wss 512M --rate 60k --duration 10 --verify\n"
"  kvmlite migrate --memory 1G --pattern uniform --wss 512M --rate 60k --duration 20 \\\n"
"      --start-at 3 --algorithm mplm --max-bandwidth 1Gbps\n"
"\n"
"VM:    --vcpus N (1)  --slots N (1)  --cpl 3|0\n"
"       --dirty-ring[=ENTRIES]  --no-clear-log  --quiet\n"
"guest: --guest FILE  --pattern idle|sequential|uniform|hotspot|stencil\n"
"       --rate PAGES/S (60k; 0 = flat out)  --wss SIZE  --duration S\n"
"       --iterations N (per vCPU)  --seed N  --hot FRACTION (0.2)  --skew FRACTION (0.8)\n"
"       --arrays N  --force-rate (no PVM ceiling)\n"
"run:   --timeout S  --verify  --result-json FILE  --qmp unix:PATH|tcp:H:P\n"
"       --qmp-remote (allow --qmp tcp: on a non-loopback address: the\n"
"       socket has no authentication, so anyone who can reach it can\n"
"       migrate, pause or quit the VM and read its state)\n"
"       --record-trace FILE [--trace-interval MS]\n"
"       --migrate-to tcp:HOST:PORT (migrate at --start-at)\n"
"migration and run settings (QEMU / qemu-mplm names; a bare number is in the\n"
"unit shown; 300ms, 0.3s, 1Gbps, 125MB/s, 8G work everywhere):\n", f);
	fputs(help, f);
	fputs(
"       --extend-live  --io-timeout S  --syncs (print qemu-mplm's per-sync lines)\n"
"incoming: --listen HOST:PORT (127.0.0.1:4444)  --listen-fd N\n"
"       --no-prealloc (do not fault guest RAM in before the stream)\n"
"       --no-run (verify and load the stream, then exit without running)\n"
"       --accept-timeout S  --timeout S  --guest FILE (must match)\n"
"bench: --bench all|dirtylog|idle|throughput|dirty\n"
"       --version, --help\n",
		f);
}

enum {
	O_VCPUS = 256, O_SLOTS, O_CPL, O_RING, O_NOCLEAR, O_QUIET,
	O_GUEST, O_PATTERN, O_RATE, O_WSS, O_DURATION, O_ITER, O_SEED, O_HOT,
	O_SKEW, O_ARRAYS, O_FORCE_RATE, O_TIMEOUT, O_VERIFY, O_RESULT, O_QMP,
	O_TRACE, O_TRACE_INT, O_MIG_TO, O_EXTEND, O_IOTIMEOUT,
	O_SYNCS, O_NOPREALLOC, O_NORUN, O_LISTEN, O_LISTEN_FD, O_ACCEPT_TIMEOUT,
	O_BENCH, O_OUTPUT, O_VERSION, O_HELP, O_QMP_REMOTE,
};

static const struct option kl_options[] = {
	{ "vcpus", 1, 0, O_VCPUS },
	{ "slots", 1, 0, O_SLOTS }, { "cpl", 1, 0, O_CPL },
	{ "dirty-ring", 2, 0, O_RING }, { "no-clear-log", 0, 0, O_NOCLEAR },
	{ "quiet", 0, 0, O_QUIET }, { "guest", 1, 0, O_GUEST },
	{ "pattern", 1, 0, O_PATTERN }, { "rate", 1, 0, O_RATE },
	{ "wss", 1, 0, O_WSS }, { "duration", 1, 0, O_DURATION },
	{ "iterations", 1, 0, O_ITER }, { "seed", 1, 0, O_SEED },
	{ "hot", 1, 0, O_HOT }, { "skew", 1, 0, O_SKEW },
	{ "arrays", 1, 0, O_ARRAYS }, { "force-rate", 0, 0, O_FORCE_RATE },
	{ "timeout", 1, 0, O_TIMEOUT }, { "verify", 0, 0, O_VERIFY },
	{ "result-json", 1, 0, O_RESULT }, { "qmp", 1, 0, O_QMP },
	{ "record-trace", 1, 0, O_TRACE }, { "trace-interval", 1, 0, O_TRACE_INT },
	{ "migrate-to", 1, 0, O_MIG_TO },
	{ "extend-live", 0, 0, O_EXTEND }, { "io-timeout", 1, 0, O_IOTIMEOUT },
	{ "syncs", 0, 0, O_SYNCS }, { "no-prealloc", 0, 0, O_NOPREALLOC },
	{ "no-run", 0, 0, O_NORUN }, { "listen", 1, 0, O_LISTEN },
	{ "listen-fd", 1, 0, O_LISTEN_FD },
	{ "accept-timeout", 1, 0, O_ACCEPT_TIMEOUT }, { "bench", 1, 0, O_BENCH },
	{ "output", 1, 0, O_OUTPUT },
	{ "version", 0, 0, O_VERSION }, { "help", 0, 0, O_HELP },
	{ "qmp-remote", 0, 0, O_QMP_REMOTE },
};

#define N_KL_OPTIONS (sizeof(kl_options) / sizeof(*kl_options))

static void defaults(struct kl_cli *c)
{
	memset(c, 0, sizeof(*c));
	kl_config_default(&c->cfg);
	c->params.pattern = KL_PAT_SEQUENTIAL;
	c->params.seed = 1;
	/* The generators' hotspot, so one spec means one workload. */
	c->params.hot_permille = gen_permille(GEN_HOT_DEFAULT);
	c->params.skew_permille = gen_permille(GEN_SKEW_DEFAULT);
	c->params.arrays = GEN_ARRAYS_DEFAULT;
	c->duration = -1;
	c->trace_interval = 0.1;
	c->migrate_after = 1;
	kl_mig_opts_default(&c->mig);
	kl_incoming_opts_default(&c->in);
	c->bench_what = "all";
	snprintf(c->guest, sizeof(c->guest), "%s/../guests/workload.bin", kl_exe_dir());
}

/* A setting of the table (settings_cli.h). */
static int apply_setting(struct kl_cli *c, int opt, const char *arg,
			 struct kl_err *e)
{
	const struct mplm_setting *set = mplm_setting_get(opt - SETTINGS_CLI_VAL);
	char err[256];
	double v;

	if (mplm_setting_parse(set, arg, &v, err, sizeof(err)) < 0)
		return kl_fail(e, "--%s", err);
	if (set->migration) {
		mplm_params_put(&c->mig.params, set->id, v);
		return 0;
	}
	switch (set->id) {
	case MPLM_SET_MEMORY: c->cfg.mem_bytes = (uint64_t)v; break;
	case MPLM_SET_START_AT: c->migrate_after = v; break;
	case MPLM_SET_EXTEND_LIVE_AT: c->mig.extend_live_at = v; break;
	case MPLM_SET_END_LIVE_AT: c->mig.end_live_at = v; break;
	case MPLM_SET_START_POSTCOPY_AT: c->mig.start_postcopy_at = v; break;
	default: return kl_fail(e, "%s: not a kvmlite setting", set->name);
	}
	return 0;
}

/* One option; 0 ok, -1 bad value. */
static int apply(struct kl_cli *c, int opt, const char *arg, struct kl_err *e)
{
	bool ok = true;
	switch (opt) {
	case O_VCPUS: c->cfg.nvcpus = (unsigned)kl_parse_size(arg, &ok); break;
	case O_SLOTS: c->cfg.nslots = (unsigned)kl_parse_size(arg, &ok); break;
	case O_CPL: c->cfg.cpl = (unsigned)kl_parse_size(arg, &ok); break;
	case O_RING:
		c->cfg.log_mode = KL_LOG_RING;
		if (arg)
			c->cfg.ring_entries = (uint32_t)kl_parse_size(arg, &ok);
		break;
	case O_NOCLEAR: c->cfg.no_clear_log = true; break;
	case O_QUIET: c->cfg.quiet = true; break;
	case O_GUEST:
		snprintf(c->guest, sizeof(c->guest), "%s", arg);
		c->in.guest_path = arg;
		break;
	case O_PATTERN:
		ok = kl_pattern_parse(arg, &c->params.pattern) == 0;
		c->pattern_given = true;
		break;
	case O_RATE: c->params.rate = (uint64_t)kl_parse_rate(arg, &ok); break;
	case O_WSS: c->params.wss_pages = kl_parse_size(arg, &ok) / KL_PAGE_SIZE; break;
	case O_DURATION: c->duration = parse_seconds(arg, &ok); break;
	case O_ITER: c->params.iterations = (uint64_t)kl_parse_rate(arg, &ok); break;
	case O_SEED: c->params.seed = kl_parse_size(arg, &ok); break;
	case O_HOT: c->params.hot_permille = gen_permille(parse_double(arg, &ok)); break;
	case O_SKEW: c->params.skew_permille = gen_permille(parse_double(arg, &ok)); break;
	case O_ARRAYS: c->params.arrays = kl_parse_size(arg, &ok); break;
	case O_FORCE_RATE: c->allow_any_rate = true; break;
	case O_TIMEOUT: c->timeout = c->in.run_timeout = parse_seconds(arg, &ok); break;
	case O_VERIFY: c->verify = true; break;
	case O_RESULT: c->result_json = c->in.result_json = arg; break;
	case O_QMP: c->qmp = arg; break;
	case O_QMP_REMOTE: c->qmp_remote = true; break;
	case O_TRACE: c->record_trace = arg; break;
	case O_TRACE_INT:
		ok = units_parse_duration(arg, 1e-3, &c->trace_interval) == 0;
		break;
	case O_MIG_TO: c->migrate_to = arg; break;
	case O_EXTEND: c->mig.extend_live = true; break;
	case O_IOTIMEOUT:
		c->mig.io_timeout = c->in.io_timeout = parse_seconds(arg, &ok);
		break;
	case O_SYNCS: c->mig.print_syncs = true; break;
	case O_NOPREALLOC: c->cfg.prealloc = false; break;
	case O_NORUN: c->in.exit_after_load = true; break;
	case O_LISTEN: snprintf(c->in.listen, sizeof(c->in.listen), "%s", arg); break;
	case O_LISTEN_FD: c->in.listen_fd = (int)kl_parse_size(arg, &ok); break;
	case O_ACCEPT_TIMEOUT: c->in.accept_timeout = parse_seconds(arg, &ok); break;
	case O_BENCH: c->bench_what = arg; break;
	case O_OUTPUT: c->profile_out = arg; break;
	default: return kl_fail(e, "unknown option");
	}
	return ok ? 0 : kl_fail(e, "bad value '%s'", arg ? arg : "");
}

/* Fill what depends on other options. */
static int complete(struct kl_cli *c, struct kl_err *e)
{
	struct kl_params *p = &c->params;
	uint64_t data_pages = c->cfg.mem_bytes > KL_DATA_GPA
				      ? (c->cfg.mem_bytes - KL_DATA_GPA) / KL_PAGE_SIZE : 0;
	if (!p->wss_pages)
		p->wss_pages = data_pages;
	if (p->wss_pages > data_pages)
		return kl_fail(e, "--wss of %llu MiB does not fit: %llu MiB of guest memory above 4 MiB",
			       (unsigned long long)(p->wss_pages >> 8),
			       (unsigned long long)(data_pages >> 8));
	if (p->wss_pages < c->cfg.nvcpus)
		return kl_fail(e, "--wss must give every vCPU at least one page");
	if (p->pattern == KL_PAT_STENCIL &&
	    (p->arrays < 1 || p->arrays > p->wss_pages / c->cfg.nvcpus))
		return kl_fail(e, "--arrays must be between 1 and the pages of a vCPU's share of the working set");
	if (c->duration < 0 && !p->iterations)
		c->duration = p->pattern == KL_PAT_IDLE ? 0 : 2;
	if (c->duration > 0)
		p->duration_ms = (uint64_t)(c->duration * 1000 + 0.5);
	if (p->hot_permille > 1000 || p->skew_permille > 1000)
		return kl_fail(e, "--hot and --skew are fractions in 0..1");
	if (!p->progress_every)
		p->progress_every = p->rate ? (p->rate / 10 > 1024 ? p->rate / 10 : 1024) : 65536;
	return kl_mig_opts_check(&c->mig, e);
}

int kl_cli_parse(struct kl_cli *c, int argc, char **argv, struct kl_err *e)
{
	defaults(c);
	c->cmd = argv[0];
	c->cfg.prealloc = !strcmp(c->cmd, "incoming");
	struct option options[N_KL_OPTIONS + MPLM_SET_COUNT + 1] = { 0 };
	memcpy(options, kl_options, sizeof(kl_options));
	settings_cli_options(options + N_KL_OPTIONS, KL_SKIP_SETTINGS);
	optind = 1;
	opterr = 0;
	for (;;) {
		int idx = 0, opt = getopt_long(argc, argv, "", options, &idx);
		if (opt == -1)
			break;
		if (opt == O_HELP) {
			kl_cli_usage(stdout);
			return 1;
		}
		if (opt == O_VERSION) {
			printf("kvmlite %s (%s)\n", MPLM_VERSION, mplm_git_commit());
			return 1;
		}
		if (opt == '?')
			return kl_fail(e, "unknown or incomplete option %s",
				       argv[optind - 1]);
		if (settings_cli_is(opt)) {
			if (apply_setting(c, opt, optarg, e) < 0)
				return -1;
		} else if (apply(c, opt, optarg, e) < 0) {
			struct kl_err what = *e;
			return kl_fail(e, "--%s: %.400s", options[idx].name, what.msg);
		}
	}
	if (optind < argc)
		return kl_fail(e, "unexpected argument '%s'", argv[optind]);
	if (kl_config_check(&c->cfg, e) < 0)
		return -1;
	return complete(c, e);
}

static bool on_pvm(void)
{
	return access("/sys/module/kvm_pvm", F_OK) == 0;
}

int kl_cli_check_rate(const struct kl_cli *c, struct kl_err *e)
{
	if (c->allow_any_rate || !on_pvm())
		return 0;
	if (c->params.rate > KL_PVM_MAX_RATE)
		return kl_fail(e, "a guest rate of %llu pages/s is not reachable here: /dev/kvm is "
			       "kvm_pvm, where each first write to a page after a dirty-log sync "
			       "faults into the hypervisor (~7 us), so guests dirty at most about "
			       "%d distinct pages/s (see docs/kvm-on-these-machines.md); ask for "
			       "less, or --force-rate to try anyway",
			       (unsigned long long)c->params.rate, KL_PVM_MAX_RATE);
	return 0;
}

int kl_cli_vm_args(const struct kl_config *cfg, char **argv, int max,
		   char store[][64])
{
	int n = 0;
#define ARG(...)                                                        \
	do {                                                            \
		if (n < max) {                                          \
			snprintf(store[n], 64, __VA_ARGS__);            \
			argv[n] = store[n];                             \
			n++;                                            \
		}                                                       \
	} while (0)
	ARG("--memory=%llu", (unsigned long long)cfg->mem_bytes);
	ARG("--vcpus=%u", cfg->nvcpus);
	ARG("--slots=%u", cfg->nslots);
	ARG("--cpl=%u", cfg->cpl);
	if (cfg->log_mode == KL_LOG_RING)
		ARG("--dirty-ring=%u", cfg->ring_entries);
	if (cfg->no_clear_log)
		ARG("--no-clear-log");
	if (cfg->quiet)
		ARG("--quiet");
#undef ARG
	return n;
}
