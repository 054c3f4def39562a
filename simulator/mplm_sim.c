/*
 * mplm-sim - replay a dirty-page trace against a simulated migration and
 * report what QEMU's `info migrate` (or, with --json, `query-migrate`)
 * would have said.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "explain.h"
#include "memmap.h"
#include "sim.h"
#include "step.h"
#include "teach.h"
#include "settings_cli.h"
#include "units.h"

static const char usage_head[] =
	"usage: mplm-sim [OPTIONS] TRACE\n"
	"       mplm-sim [OPTIONS] --workload SPEC\n"
	"\n"
	"Simulate a live migration of a VM whose guest writes memory as TRACE says.\n"
	"\n"
	"Examples:\n"
	"  mplm-sim --algorithm precopy --downtime-limit 300ms --start-at 2 workloads/traces/npb/npb-mg.B.trace.gz\n"
	"  mplm-sim --json --workload uniform,memory=8G,wss=2G,rate=50k,duration=600,seed=1\n"
	"\n"
	"Migration and run (QEMU / qemu-mplm names; a bare number is in the unit\n"
	"shown: downtime-limit 300 = 300 ms, intervaltime 3 = 3 s; suffixes such as\n"
	"300ms, 0.3s, 1Gbps, 125MB/s, 8G work everywhere):\n";

static const char usage_tail[] =
	"\n"
	"Machine:\n"
	"  --profile FILE                      a machine profile (kvmlite calibrate writes\n"
	"                                      one): machine settings; options after it win\n"
	"  --untraced zero|nonzero             pages beyond the trace (default zero)\n"
	"  --placement bottom|top              where the trace sits in the VM (default bottom)\n"
	"  --static SIZE                       non-zero memory next to the trace, never written\n"
	"\n"
	"Workload and run:\n"
	"  --workload SPEC                     generate the trace (see mplm-workload --help)\n"
	"  --at-end idle|loop                  when the trace ends (default idle)\n"
	"  --no-verify                         skip the page-version check at resume\n"
	"\n"
	"Output:\n"
	"  --json                              query-migrate object with per-sync records\n"
	"  --verbose                           qemu-mplm's per-sync lines before the report\n"
	"\n"
	"Teaching mode (small VMs: a few hundred pages):\n"
	"  --explain                           a paragraph per sync: what was sent, what the\n"
	"                                      guest dirtied, why the algorithm goes on or stops\n"
	"  --memmap                            a map of memory after each sync, a cell per page\n"
	"  --memmap-png DIR                    the maps as DIR/sync-000.png ... (gnuplot)\n"
	"  --memmap-gif FILE                   the maps as an animated GIF (gnuplot)\n"
	"  --step                              browse the syncs interactively (a terminal)\n"
	"  --color auto|always|never           ANSI colours in maps (default auto: on a terminal)\n"
	"  --simple                            no page header, CPU state or sync cost, the link\n"
	"                                      at max-bandwidth (unless --bandwidth), so every\n"
	"                                      time is bytes / bandwidth; --replay interval\n"
	"                                      (unless given)\n"
	"  --version, --help\n";

static void print_usage(void)
{
	static const char *const run_defaults[MPLM_SET_COUNT] = {
		[MPLM_SET_MEMORY] = "the trace's",
		[MPLM_SET_BANDWIDTH] = "1 Gbps",
		[MPLM_SET_START_AT] = "0 s",
		[MPLM_SET_REPLAY] = "spread",
		[MPLM_SET_HEADER_BYTES] = "8",
		[MPLM_SET_ZERO_PAGE_BYTES] = "header-bytes + 1",
		[MPLM_SET_ZERO_PAGE_COST] = "0 us",
		[MPLM_SET_STATE_BYTES] = "64 KiB",
		[MPLM_SET_SYNC_FIXED] = "10 us",
		[MPLM_SET_SYNC_PER_PAGE] = "36 ns",
	};
	struct sim_config c;
	char help[4096];
	sim_config_default(&c);
	settings_cli_help(help, sizeof(help), 0, &c.params, run_defaults);
	fputs(usage_head, stdout);
	fputs(help, stdout);
	fputs(usage_tail, stdout);
}

/* mplm-sim's own options; the settings table's come after them. */
enum opt {
	OPT_UNTRACED = 256, OPT_PLACEMENT, OPT_STATIC, OPT_PROFILE, OPT_WORKLOAD, OPT_ATEND,
	OPT_NOVERIFY, OPT_JSON, OPT_VERBOSE, OPT_EXPLAIN,
	OPT_MEMMAP, OPT_MEMMAP_PNG, OPT_MEMMAP_GIF, OPT_STEP, OPT_COLOR,
	OPT_SIMPLE, OPT_VERSION, OPT_HELP,
};

static const struct option sim_options[] = {
	{ "untraced", required_argument, NULL, OPT_UNTRACED },
	{ "placement", required_argument, NULL, OPT_PLACEMENT },
	{ "static", required_argument, NULL, OPT_STATIC },
	{ "profile", required_argument, NULL, OPT_PROFILE },
	{ "workload", required_argument, NULL, OPT_WORKLOAD },
	{ "at-end", required_argument, NULL, OPT_ATEND },
	{ "no-verify", no_argument, NULL, OPT_NOVERIFY },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ "explain", no_argument, NULL, OPT_EXPLAIN },
	{ "memmap", no_argument, NULL, OPT_MEMMAP },
	{ "memmap-png", required_argument, NULL, OPT_MEMMAP_PNG },
	{ "memmap-gif", required_argument, NULL, OPT_MEMMAP_GIF },
	{ "step", no_argument, NULL, OPT_STEP },
	{ "color", required_argument, NULL, OPT_COLOR },
	{ "simple", no_argument, NULL, OPT_SIMPLE },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, OPT_HELP },
};

#define N_SIM_OPTIONS (sizeof(sim_options) / sizeof(*sim_options))

enum color_when { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };

struct cli {
	struct sim_config cfg;
	bool json, verbose;
	/* Teaching mode */
	bool explain, memmap, step;
	const char *png_dir, *gif_file;
	enum color_when color;
	bool simple, link_given, replay_given;
};

static int bad_value(const char *opt, const char *value, const char *want)
{
	fprintf(stderr, "mplm-sim: --%s %s: %s\n", opt, value, want);
	return -1;
}

static int parse_teaching_option(struct cli *cli, int opt, const char *arg)
{
	struct sim_config *c = &cli->cfg;
	switch (opt) {
	case OPT_EXPLAIN:
		cli->explain = true;
		return 0;
	case OPT_MEMMAP:
		cli->memmap = true;
		return 0;
	case OPT_MEMMAP_PNG:
		cli->png_dir = arg;
		return 0;
	case OPT_MEMMAP_GIF:
		cli->gif_file = arg;
		return 0;
	case OPT_STEP:
		cli->step = true;
		return 0;
	case OPT_COLOR:
		if (strcmp(arg, "auto") == 0)
			cli->color = COLOR_AUTO;
		else if (strcmp(arg, "always") == 0)
			cli->color = COLOR_ALWAYS;
		else if (strcmp(arg, "never") == 0)
			cli->color = COLOR_NEVER;
		else
			return bad_value("color", arg, "expected auto, always or never");
		return 0;
	case OPT_SIMPLE:
		/* Textbook costs: a page is page-size bytes, nothing else
		 * takes time. Later options still override these. */
		c->header_bytes = 0;
		c->state_bytes = 0;
		c->sync_fixed = 0;
		c->sync_per_page = 0;
		cli->simple = true;
		return 0;
	}
	return -1;
}

/* A setting of the table: migration parameters go into the params, the
 * run's settings into the simulator's configuration. */
static int parse_setting(struct cli *cli, int opt, const char *arg)
{
	struct sim_config *c = &cli->cfg;
	const struct mplm_setting *set = mplm_setting_get(opt - SETTINGS_CLI_VAL);
	char err[256];
	double v;

	if (mplm_setting_parse(set, arg, &v, err, sizeof(err)) < 0) {
		fprintf(stderr, "mplm-sim: --%s\n", err);
		return -1;
	}
	sim_config_set(c, set->id, v);
	if (set->id == MPLM_SET_BANDWIDTH)
		cli->link_given = true;
	if (set->id == MPLM_SET_REPLAY)
		cli->replay_given = true;
	return 0;
}

static const char *option_name(int opt)
{
	for (size_t i = 0; i < N_SIM_OPTIONS; i++)
		if (sim_options[i].val == opt)
			return sim_options[i].name;
	return "?";
}

static int parse_option(struct cli *cli, int opt, const char *arg)
{
	struct sim_config *c = &cli->cfg;
	const char *name = option_name(opt);

	if (settings_cli_is(opt))
		return parse_setting(cli, opt, arg);
	switch (opt) {
	case OPT_UNTRACED:
		if (strcmp(arg, "zero") && strcmp(arg, "nonzero"))
			return bad_value(name, arg, "expected zero or nonzero");
		c->untraced_nonzero = strcmp(arg, "nonzero") == 0;
		return 0;
	case OPT_PLACEMENT:
		if (strcmp(arg, "bottom") && strcmp(arg, "top"))
			return bad_value(name, arg, "expected bottom or top");
		c->placement = strcmp(arg, "top") == 0 ? SIM_PLACE_TOP : SIM_PLACE_BOTTOM;
		return 0;
	case OPT_STATIC:
		if (units_parse_size(arg, &c->static_bytes) < 0)
			return bad_value(name, arg, "expected a size such as 2G");
		return 0;
	case OPT_PROFILE: {
		char err[600];
		if (sim_config_load_profile(c, arg, NULL, err, sizeof(err)) < 0) {
			fprintf(stderr, "mplm-sim: --profile %s\n", err);
			return -1;
		}
		return 0;
	}
	case OPT_WORKLOAD:
		c->workload_spec = arg;
		return 0;
	case OPT_ATEND:
		if (strcmp(arg, "idle") && strcmp(arg, "loop"))
			return bad_value(name, arg, "expected idle or loop");
		c->at_end = strcmp(arg, "loop") == 0 ? SIM_END_LOOP : SIM_END_IDLE;
		return 0;
	case OPT_NOVERIFY:
		c->verify = false;
		return 0;
	case OPT_JSON:
		cli->json = true;
		return 0;
	case OPT_VERBOSE:
		cli->verbose = true;
		return 0;
	default:
		return parse_teaching_option(cli, opt, arg);
	}
	return -1;
}

static int parse_args(struct cli *cli, int argc, char **argv)
{
	struct option options[N_SIM_OPTIONS + MPLM_SET_COUNT + 1] = { 0 };
	int opt;

	memcpy(options, sim_options, sizeof(sim_options));
	settings_cli_options(options + N_SIM_OPTIONS, 0);
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (opt == 'h' || opt == OPT_HELP) {
			print_usage();
			exit(0);
		}
		if (opt == OPT_VERSION) {
			printf("mplm-sim %s (%s)\n", MPLM_VERSION, mplm_git_commit());
			exit(0);
		}
		if (opt == '?') {
			fprintf(stderr, "mplm-sim: unknown option or missing value: %s (see --help)\n",
				argv[optind - 1]);
			return -1;
		}
		if (parse_option(cli, opt, optarg) < 0)
			return -1;
	}
	/* --simple has one rate, the one --max-bandwidth sets: the link
	 * carries no more, so the downtime, which QEMU runs without the cap,
	 * goes at it too. */
	if (cli->simple && !cli->link_given && cli->cfg.params.max_bandwidth > 0)
		cli->cfg.link_bandwidth = cli->cfg.params.max_bandwidth;
	/* ... and writes land at the end of each trace interval, so each
	 * sync's dirty pages can be counted by hand from the trace. */
	if (cli->simple && !cli->replay_given)
		cli->cfg.replay = SIM_REPLAY_INTERVAL;
	if (optind < argc)
		cli->cfg.trace_path = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "mplm-sim: unexpected argument: %s\n", argv[optind]);
		return -1;
	}
	if (cli->json && (cli->explain || cli->memmap || cli->step)) {
		fprintf(stderr, "mplm-sim: --json does not mix with --explain, --memmap or --step\n");
		return -1;
	}
	if (cli->step && (cli->explain || cli->memmap || cli->png_dir || cli->gif_file)) {
		fprintf(stderr, "mplm-sim: --step is interactive: use it without --explain and --memmap*\n");
		return -1;
	}
	if (!cli->cfg.trace_path == !cli->cfg.workload_spec) {
		fprintf(stderr, "mplm-sim: give a TRACE file or --workload SPEC, not %s (see --help)\n",
			cli->cfg.trace_path ? "both" : "neither");
		return -1;
	}
	return 0;
}

static void print_report(const struct cli *cli, const struct sim_result *r)
{
	char buf[2048];
	if (cli->json) {
		char *js = mplm_query_migrate_json(&r->stats, &cli->cfg.params,
						   r->syncs, r->nsyncs);
		if (js) {
			puts(js);
			free(js);
		}
		return;
	}
	if (cli->verbose) {
		for (size_t i = 0; i < r->nsyncs; i++) {
			mplm_format_sync_record(&r->syncs[i], r->vm_pages, buf, sizeof(buf));
			fputs(buf, stdout);
		}
	}
	mplm_format_info_migrate(&r->stats, buf, sizeof(buf));
	fputs(buf, stdout);
	printf("algorithm: %s\n", mplm_algorithm_name(cli->cfg.params.algorithm));
	printf("live time: %.3f s, downtime: %.3f s, total: %.3f s\n",
	       r->stats.live_time, r->stats.downtime, r->stats.total_time);
	printf("guest write rate while migrating: %.0f pages/s, pages touched: %" PRIu64 "\n",
	       r->trace_rate, r->touched_pages);
	if (cli->cfg.params.auto_converge) {
		unsigned top = 0;
		for (size_t i = 0; i < r->nsyncs; i++)
			top = r->syncs[i].throttle > top ? r->syncs[i].throttle : top;
		printf("auto-converge: throttle reached %u %%, guest work lost to it: %.3f s\n",
		       top, r->guest_lost);
	}
	if (r->stats.verdict == MPLM_VERDICT_POSTCOPY)
		printf("post-copy: %" PRIu64 " remote faults, guest waited %.3f s on them, "
		       "%" PRIu64 " pages after the switch, degradation window %.3f s\n",
		       r->stats.postcopy_requests, r->stats.postcopy_wait,
		       r->stats.postcopy_pages, r->stats.postcopy_time);
	if (r->verified)
		printf("verified: %s\n", r->mismatches ? "MISMATCH"
			: r->stats.verdict == MPLM_VERDICT_POSTCOPY
				? "every page the destination holds is the latest"
				: "every page matches the source at pause");
}

static bool use_color(const struct cli *cli)
{
	const char *term = getenv("TERM");
	if (cli->color != COLOR_AUTO)
		return cli->color == COLOR_ALWAYS;
	return isatty(STDOUT_FILENO) && term && strcmp(term, "dumb") != 0 &&
	       !getenv("NO_COLOR");
}

static bool teaching(const struct cli *cli)
{
	return cli->explain || cli->memmap || cli->png_dir || cli->gif_file;
}

static int write_images(const struct cli *cli, const struct teach_run *run)
{
	char err[512];
	if (cli->png_dir && memmap_write_pngs(run, cli->png_dir, err, sizeof(err)) < 0) {
		fprintf(stderr, "mplm-sim: --memmap-png %s: %s\n", cli->png_dir, err);
		return -1;
	}
	if (cli->gif_file && memmap_write_gif(run, cli->gif_file, err, sizeof(err)) < 0) {
		fprintf(stderr, "mplm-sim: --memmap-gif %s: %s\n", cli->gif_file, err);
		return -1;
	}
	return 0;
}

/* A paragraph and/or a map per sync, then how it ended. */
static void narrate(const struct cli *cli, const struct teach_run *run)
{
	bool color = use_color(cli);
	for (size_t i = 0; i < run->nframes; i++) {
		if (cli->explain) {
			char *t = explain_sync(run, i);
			if (t)
				explain_wrap(stdout, t, 78);
			free(t);
		}
		if (cli->memmap)
			memmap_print(stdout, run, i, color);
		if (cli->explain || cli->memmap)
			putchar('\n');
	}
	if (cli->explain) {
		char *t = explain_outcome(run);
		if (t) {
			explain_wrap(stdout, t, 78);
			putchar('\n');
		}
		free(t);
	}
}

/* Teaching mode: record the run sync by sync; res points into *run. */
static int run_teaching(const struct cli *cli, struct teach_run *run)
{
	uint64_t cells = cli->memmap ? MEMMAP_TERM_CELLS : MEMMAP_IMAGE_CELLS;
	if (teach_record(&cli->cfg, cells, run) < 0) {
		fprintf(stderr, "mplm-sim: %s\n", run->res.error);
		return -1;
	}
	if (write_images(cli, run) < 0)
		return -1;
	narrate(cli, run);
	return 0;
}

static int run_step(const struct cli *cli)
{
	char err[512];
	if (step_main(&cli->cfg, cli->color != COLOR_NEVER && !getenv("NO_COLOR"),
		      err, sizeof(err)) < 0) {
		fprintf(stderr, "mplm-sim: %s\n", err);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct cli cli = { 0 };
	struct teach_run run = { 0 };
	struct sim_result plain;
	const struct sim_result *res = &plain;
	int rc = 0;

	sim_config_default(&cli.cfg);
	if (parse_args(&cli, argc, argv) < 0)
		return 2;
	if (cli.step)
		return run_step(&cli);
	if (teaching(&cli)) {
		res = &run.res;
		if (run_teaching(&cli, &run) < 0) {
			teach_run_free(&run);
			return 1;
		}
	} else if (sim_run(&cli.cfg, &plain) < 0) {
		fprintf(stderr, "mplm-sim: %s\n", plain.error);
		sim_result_free(&plain);
		return 1;
	}
	print_report(&cli, res);
	if (res->verified && res->mismatches) {
		fprintf(stderr,
			"mplm-sim: invariant broken: %" PRIu64 " pages differ at resume (first: page %" PRIu64 ")\n",
			res->mismatches, res->first_mismatch);
		rc = 3;
	}
	if (teaching(&cli))
		teach_run_free(&run);
	else
		sim_result_free(&plain);
	return rc;
}
