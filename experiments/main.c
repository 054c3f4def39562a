/*
 * main.c - mplm-exp: run experiments, store results in SQLite, draw the
 * figures and write the tables (see README.md).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "expfile.h"
#include "export.h"
#include "merge.h"
#include "plot.h"
#include "replay.h"
#include "report.h"
#include "runner.h"
#include "slurm.h"
#include "validate.h"


#define DEFAULT_DB "results/mplm.db"
#define DEFAULT_OUT "results"

static const char usage_text[] =
	"usage: mplm-exp run [-j N] [--db FILE] [--retry-failed] [--rerun]\n"
	"                    [--repetitions N] [--shard K/N]\n"
	"                    [--progress|--no-progress] EXPFILE...\n"
	"       mplm-exp check EXPFILE...\n"
	"       mplm-exp plot [--db FILE] [--out DIR] [--x PARAM [--y METRIC]\n"
	"                     [--by PARAM] [--facet PARAM]] EXPERIMENT...\n"
	"       mplm-exp report [--db FILE] [--out DIR] [--quiet] EXPERIMENT...\n"
	"       mplm-exp export [--db FILE] [--format csv|json] [--syncs] EXPERIMENT\n"
	"       mplm-exp merge OUT.db SHARD.db...\n"
	"       mplm-exp slurm --tasks N [--partition P] [--dry-run] [--db FILE]\n"
	"                      [--out DIR] [-j N] [--repetitions N] EXPFILE\n"
	"       mplm-exp list [--db FILE]\n"
	"       mplm-exp validate --profile FILE [--db FILE] [--out DIR] [-j N]\n"
	"                         [--rerun] [--quiet] EXPFILE...\n"
	"\n"
	"run     run every point of the experiment files' cross product that the\n"
	"        database does not hold yet, -j N at a time (default: CPUs);\n"
	"        several runners on one database share the work\n"
	"check   parse the files, read every trace they name to its end, and\n"
	"        print how many runs they make\n"
	"plot    gnuplot figures (PNG and SVG) into OUT/EXPERIMENT/: the\n"
	"        experiment's figure and the trade-off view, or with --x METRIC\n"
	"        (default total-time) against PARAM, a line per --by value, a\n"
	"        panel per --facet value\n"
	"report  Markdown and CSV tables into OUT/EXPERIMENT/, Markdown on stdout\n"
	"export  the stored runs (or with --syncs their per-sync records) on stdout\n"
	"merge   add the runs of shard databases to OUT.db (again: adds nothing)\n"
	"slurm   submit the experiment to Slurm: a job array of N shards (-j N\n"
	"        CPUs each) and a job that merges them into --db, plots, reports\n"
	"list    the experiments in the database and their runs\n"
	"validate  run each file's kvm experiment (backend = kvm, record-trace),\n"
	"        replay every recorded run in the simulator with the machine\n"
	"        profile (as experiment NAME-replay), and write the predicted-\n"
	"        against-measured figure and error tables into OUT/validate/\n"
	"\n"
	"  --db FILE          results database (default " DEFAULT_DB ")\n"
	"  --out DIR          figures and tables (default " DEFAULT_OUT ")\n"
	"  --retry-failed     run again the runs stored as failed\n"
	"  --rerun            forget the experiment's stored runs first\n"
	"  --repetitions N    override the files' repetitions\n"
	"  --shard K/N        run only share K (1..N) of the runs: every N-th\n"
	"  --tasks N          slurm: array tasks (shards)\n"
	"  --partition P      slurm: the partition (default: the cluster's)\n"
	"  --dry-run          slurm: print the batch scripts, submit nothing\n"
	"  --format csv|json  export's format (default csv)\n"
	"  --syncs            export the per-sync records too\n"
	"  --profile FILE     validate: the machine profile (kvmlite calibrate)\n"
	"  --version          print the version\n"
	"\n"
	"examples:\n"
	"  mplm-exp run -j 2 experiments/paper/paper-fig4.ini && mplm-exp report paper-fig4\n"
	"  mplm-exp check experiments/paper/*.ini\n"
	"\n"
	"Experiment files: experiments/README.md (settings have the names and units\n"
	"of mplm-sim's options: downtime-limit = 300ms, memory = 8G). Database:\n"
	"experiments/SCHEMA.md.\n";

enum { OPT_DB = 256, OPT_OUT, OPT_RETRY, OPT_RERUN, OPT_REPS, OPT_PROGRESS,
       OPT_NO_PROGRESS, OPT_QUIET, OPT_VERSION, OPT_HELP, OPT_FORMAT,
       OPT_SYNCS, OPT_SHARD, OPT_X, OPT_Y, OPT_BY, OPT_FACET, OPT_TASKS,
       OPT_PARTITION, OPT_DRY_RUN, OPT_PROFILE };

static const struct option long_opts[] = {
	{ "db", required_argument, NULL, OPT_DB },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "retry-failed", no_argument, NULL, OPT_RETRY },
	{ "rerun", no_argument, NULL, OPT_RERUN },
	{ "repetitions", required_argument, NULL, OPT_REPS },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "syncs", no_argument, NULL, OPT_SYNCS },
	{ "shard", required_argument, NULL, OPT_SHARD },
	{ "tasks", required_argument, NULL, OPT_TASKS },
	{ "partition", required_argument, NULL, OPT_PARTITION },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "profile", required_argument, NULL, OPT_PROFILE },
	{ "x", required_argument, NULL, OPT_X },
	{ "y", required_argument, NULL, OPT_Y },
	{ "by", required_argument, NULL, OPT_BY },
	{ "facet", required_argument, NULL, OPT_FACET },
	{ "jobs", required_argument, NULL, 'j' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

struct options {
	const char *db;
	const char *out;
	struct runner_opts run;
	bool rerun;
	bool quiet;
	unsigned repetitions;
	enum export_format format;
	bool syncs;
	struct plot_request plot;
	struct slurm_opts slurm;
	bool jobs_set;
	const char *profile;
};

/* One line: what is wrong with the command line. */
static int usage_error(const char *msg)
{
	fprintf(stderr, "mplm-exp: %s (see mplm-exp --help)\n", msg);
	return 2;
}

static int parse_shard(const char *s, struct runner_opts *r)
{
	char *end;
	long k = strtol(s, &end, 10);
	if (end == s || *end != '/')
		return -1;
	const char *ns = end + 1;
	long n = strtol(ns, &end, 10);
	if (end == ns || *end || k < 1 || n < k || n > 100000)
		return -1;
	r->shard_k = (unsigned)k;
	r->shard_n = (unsigned)n;
	return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	*o = (struct options){
		.db = DEFAULT_DB, .out = DEFAULT_OUT,
		.run = { .jobs = ncpu > 0 ? (unsigned)ncpu : 1, .progress = -1 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "j:h", long_opts, NULL)) != -1) {
		char *end;
		long v;
		switch (c) {
		case 'j':
			v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 1024)
				return usage_error("-j wants a number 1..1024");
			o->run.jobs = (unsigned)v;
			o->jobs_set = true;
			break;
		case OPT_DB: o->db = optarg; break;
		case OPT_OUT: o->out = optarg; break;
		case OPT_RETRY: o->run.retry_failed = true; break;
		case OPT_RERUN: o->rerun = true; break;
		case OPT_PROGRESS: o->run.progress = 1; break;
		case OPT_NO_PROGRESS: o->run.progress = 0; break;
		case OPT_QUIET: o->quiet = true; break;
		case OPT_SYNCS: o->syncs = true; break;
		case OPT_TASKS:
			v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 10000)
				return usage_error("--tasks wants 1..10000");
			o->slurm.tasks = (unsigned)v;
			break;
		case OPT_PARTITION: o->slurm.partition = optarg; break;
		case OPT_DRY_RUN: o->slurm.dry_run = true; break;
		case OPT_PROFILE: o->profile = optarg; break;
		case OPT_X: o->plot.x = optarg; break;
		case OPT_Y: o->plot.y = optarg; break;
		case OPT_BY: o->plot.by = optarg; break;
		case OPT_FACET: o->plot.facet = optarg; break;
		case OPT_SHARD:
			if (parse_shard(optarg, &o->run) < 0)
				return usage_error("--shard wants K/N with 1 <= K <= N <= 100000");
			break;
		case OPT_FORMAT:
			if (!strcmp(optarg, "csv"))
				o->format = EXPORT_CSV;
			else if (!strcmp(optarg, "json"))
				o->format = EXPORT_JSON;
			else
				return usage_error("--format wants csv or json");
			break;
		case OPT_REPS:
			v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 100000)
				return usage_error("--repetitions wants 1..100000");
			o->repetitions = (unsigned)v;
			break;
		case OPT_VERSION:
			printf("mplm-exp %s (%s)\n", MPLM_VERSION, mplm_git_commit());
			exit(0);
		case 'h':
		case OPT_HELP:
			fputs(usage_text, stdout);
			plot_list_names(stdout);
			exit(0);
		default:
			return 2;
		}
	}
	return 0;
}

/* Load, measure the workloads, expand. */
static struct experiment *load_and_expand(const char *file, unsigned reps,
					  struct exp_runs *runs)
{
	char err[1024];
	struct experiment *e = exp_load(file, err, sizeof(err));
	if (!e) {
		fprintf(stderr, "mplm-exp: %s\n", err);
		return NULL;
	}
	if (reps)
		e->repetitions = reps;
	if (exp_measure_workloads(e, err, sizeof(err)) < 0 ||
	    exp_expand(e, runs, err, sizeof(err)) < 0) {
		fprintf(stderr, "mplm-exp: %s\n", err);
		exp_free(e);
		return NULL;
	}
	return e;
}

/* The exit status of several steps: an error (1) wins over failed runs
 * (3), which win over success. */
static int exit_status(int rc, int r)
{
	return r == 1 || rc == 1 ? 1 : r > rc ? r : rc;
}

static int forget_runs(expdb *db, const char *name)
{
	int64_t id = db_experiment_id(db, name);
	if (id < 0)
		return 0;
	char sql[128];
	snprintf(sql, sizeof(sql), "DELETE FROM runs WHERE experiment_id = %lld",
		 (long long)id);
	return sqlite3_exec(db_handle(db), sql, NULL, NULL, NULL) == SQLITE_OK
		       ? 0 : -1;
}

/* Run an expanded experiment's runs that the database does not hold yet,
 * and say what happened in one line. 0, 1 on an error, 3 if runs failed. */
static int run_experiment(expdb *db, const char *file, struct experiment *e,
			  const struct exp_runs *runs, const struct options *o)
{
	char err[1024];
	int64_t id;
	struct runner_stats st;
	const char *why = e->backend->unusable ? e->backend->unusable() : NULL;
	if (why) {
		fprintf(stderr, "mplm-exp: %s: backend %s: %s\n", file,
			e->backend->name, why);
		return 1;
	}
	if (e->record_dir && report_mkdir(e->record_dir, err, sizeof(err)) < 0) {
		fprintf(stderr, "mplm-exp: %s: record-trace: %s\n", file, err);
		return 1;
	}
	if (db_begin_experiment(db, e, runs, &id, err, sizeof(err)) < 0 ||
	    runner_run(db, id, e, runs, &o->run, &st, err, sizeof(err)) < 0) {
		fprintf(stderr, "mplm-exp: %s: %s\n", file, err);
		return 1;
	}
	char shard[64] = "", others[64] = "";
	if (o->run.shard_n)
		snprintf(shard, sizeof(shard), " in shard %u/%u", o->run.shard_k,
			 o->run.shard_n);
	if (st.by_others)
		snprintf(others, sizeof(others), ", %zu by other runners",
			 st.by_others);
	printf("%s: %zu runs%s: %zu run now (%zu failed, %zu not converged), "
	       "%zu already stored%s; %.1f s with -j %u\n", e->name, st.total,
	       shard, st.ran, st.failed, st.not_converged, st.stored_before,
	       others, st.wall_seconds, st.jobs);
	if (runs->skipped_too_big)
		printf("%s: %zu workload/VM-size pairs left out: the workload "
		       "(with its static memory) is larger than the VM\n",
		       e->name, runs->skipped_too_big);
	return st.failed ? 3 : 0;
}

static int run_one_file(expdb *db, const char *file, const struct options *o)
{
	struct exp_runs runs;
	struct experiment *e = load_and_expand(file, o->repetitions, &runs);
	if (!e)
		return 1;
	int rc = 1;
	if (o->rerun && forget_runs(db, e->name) < 0)
		fprintf(stderr, "mplm-exp: cannot forget the runs of %s\n",
			e->name);
	else
		rc = run_experiment(db, file, e, &runs, o);
	exp_runs_free(&runs);
	exp_free(e);
	return rc;
}

/* The database (read-only unless the command stores runs), or NULL after
 * saying why. */
static expdb *open_db(const struct options *o, bool write, char *err,
		      size_t errlen)
{
	expdb *db = write ? db_open(o->db, err, errlen)
			  : db_open_read(o->db, err, errlen);
	if (!db)
		fprintf(stderr, "mplm-exp: %s: %s\n", o->db, err);
	return db;
}

static int cmd_run(int argc, char **argv, const struct options *o)
{
	if (optind >= argc)
		return usage_error("run: no experiment file");
	char err[1024];
	expdb *db = open_db(o, true, err, sizeof(err));
	if (!db)
		return 1;
	int rc = 0;
	for (int i = optind; i < argc; i++) {
		rc = exit_status(rc, run_one_file(db, argv[i], o));
	}
	db_close(db);
	return rc;
}

static int cmd_check(int argc, char **argv, const struct options *o)
{
	if (optind >= argc)
		return usage_error("check: no experiment file");
	int rc = 0;
	for (int i = optind; i < argc; i++) {
		struct exp_runs runs;
		struct experiment *e = load_and_expand(argv[i], o->repetitions,
						       &runs);
		if (!e) {
			rc = 1;
			continue;
		}
		char err[1024];
		if (exp_check_traces(e, err, sizeof(err)) < 0) {
			fprintf(stderr, "mplm-exp: %s\n", err);
			rc = 1;
			exp_runs_free(&runs);
			exp_free(e);
			continue;
		}
		printf("%s: experiment %s: %zu workloads, %zu algorithms, "
		       "%u repetitions: %zu runs\n", argv[i], e->name,
		       e->nworkloads, e->nalgorithms, e->repetitions, runs.n);
		exp_runs_free(&runs);
		exp_free(e);
	}
	return rc;
}

static int cmd_list(const struct options *o)
{
	char err[1024];
	expdb *db = open_db(o, false, err, sizeof(err));
	if (!db)
		return 1;
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db_handle(db),
		"SELECT e.name, e.runs_defined, "
		" (SELECT count(*) FROM current c JOIN experiments x"
		"   ON x.name = c.experiment WHERE x.id = e.id),"
		" (SELECT count(*) FROM current c JOIN experiments x"
		"   ON x.name = c.experiment WHERE x.id = e.id"
		"   AND c.status = 'failed'), e.updated_at, e.file"
		" FROM experiments e ORDER BY e.name", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		fprintf(stderr, "mplm-exp: %s\n", sqlite3_errmsg(db_handle(db)));
		db_close(db);
		return 1;
	}
	while (sqlite3_step(st) == SQLITE_ROW)
		printf("%-24s %6d/%-6d runs stored (%d failed)  %s  %s\n",
		       sqlite3_column_text(st, 0), sqlite3_column_int(st, 2),
		       sqlite3_column_int(st, 1), sqlite3_column_int(st, 3),
		       sqlite3_column_text(st, 4), sqlite3_column_text(st, 5));
	sqlite3_finalize(st);
	db_close(db);
	return 0;
}

/* plot and report: for each named experiment. */
static int cmd_output(int argc, char **argv, const struct options *o,
		      bool plot)
{
	if (optind >= argc)
		return usage_error("name at least one experiment");
	if (plot && !o->plot.x && (o->plot.y || o->plot.by || o->plot.facet))
		return usage_error("plot: --y, --by and --facet need --x");
	char err[1024];
	expdb *db = open_db(o, false, err, sizeof(err));
	if (!db)
		return 1;
	int rc = 0;
	for (int i = optind; i < argc; i++) {
		int r = plot ? plot_experiment(db, argv[i], o->out, &o->plot,
					       stdout, err, sizeof(err))
			     : report_experiment(db, argv[i], o->out,
						 o->quiet ? NULL : stdout, err,
						 sizeof(err));
		if (r < 0) {
			fprintf(stderr, "mplm-exp: %s: %s\n", argv[i], err);
			rc = 1;
		}
	}
	db_close(db);
	return rc;
}

static int cmd_merge(int argc, char **argv)
{
	if (argc - optind < 2)
		return usage_error("merge: name OUT.db and at least one shard");
	char err[1024];
	if (merge_databases(argv[optind], argv + optind + 1, argc - optind - 1,
			    stdout, err, sizeof(err)) < 0) {
		fprintf(stderr, "mplm-exp: merge: %s\n", err);
		return 1;
	}
	return 0;
}

static int cmd_slurm(int argc, char **argv, struct options *o)
{
	if (optind + 1 != argc)
		return usage_error("slurm: name one experiment file");
	if (!o->slurm.tasks)
		return usage_error("slurm: say --tasks N");
	struct exp_runs runs;
	struct experiment *e = load_and_expand(argv[optind], o->repetitions,
					       &runs);
	if (!e)
		return 1;
	o->slurm.db = o->db;
	o->slurm.out = o->out;
	o->slurm.repetitions = o->repetitions;
	o->slurm.cpus = o->jobs_set ? o->run.jobs : 1;
	char err[1024];
	int rc = 0;
	if (o->slurm.tasks > runs.n) {
		fprintf(stderr, "mplm-exp: slurm: %u tasks for %zu runs: some "
			"would have nothing to do\n", o->slurm.tasks, runs.n);
		rc = 1;
	} else if (slurm_submit(argv[optind], e->name, &o->slurm, stdout, err,
				sizeof(err)) < 0) {
		fprintf(stderr, "mplm-exp: slurm: %s\n", err);
		rc = 1;
	}
	exp_runs_free(&runs);
	exp_free(e);
	return rc;
}

static int cmd_export(int argc, char **argv, const struct options *o)
{
	if (optind + 1 != argc)
		return usage_error("export: name one experiment");
	char err[1024];
	expdb *db = open_db(o, false, err, sizeof(err));
	if (!db)
		return 1;
	int rc = export_experiment(db, argv[optind], o->format, o->syncs,
				   stdout, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "mplm-exp: %s: %s\n", argv[optind], err);
	db_close(db);
	return rc < 0 ? 1 : 0;
}

/* A file of `validate`, loaded and checked before anything runs. */
struct validate_file {
	const char *path;
	struct experiment *e;
	struct exp_runs runs;
};

/* Load, expand and check that the file records a real guest; one line
 * and -1 if not. */
static int validate_load(const char *path, const struct options *o,
			 struct validate_file *vf)
{
	vf->path = path;
	vf->e = load_and_expand(path, o->repetitions, &vf->runs);
	if (!vf->e)
		return -1;
	if (!vf->e->record_dir || !vf->e->backend->records_traces) {
		fprintf(stderr, "mplm-exp: validate: %s: needs backend = kvm and "
			"record-trace = DIR in [experiment]\n", path);
		return -1;
	}
	return 0;
}

static void validate_file_free(struct validate_file *vf)
{
	if (!vf->e)
		return;
	exp_runs_free(&vf->runs);
	exp_free(vf->e);
	vf->e = NULL;
}

/* One file of `validate`: its real runs, then their replays. */
static int validate_one_file(expdb *db, struct validate_file *vf,
			     const struct replay_profile *prof,
			     const struct options *o)
{
	struct experiment *e = vf->e;
	char err[1024];
	struct replay rp;
	char replay[300];
	replay_name(e->name, replay, sizeof(replay));
	if (o->rerun && (forget_runs(db, e->name) < 0 || forget_runs(db, replay) < 0)) {
		fprintf(stderr, "mplm-exp: cannot forget the runs of %s\n", e->name);
		return 1;
	}
	int rc = run_experiment(db, vf->path, e, &vf->runs, o);
	if (rc == 1)
		return 1;
	int64_t id = db_experiment_id(db, e->name);
	if (replay_build(db, id, e, &vf->runs, prof, &rp, err, sizeof(err)) < 0) {
		fprintf(stderr, "mplm-exp: validate: %s: %s\n", vf->path, err);
		return 1;
	}
	if (rp.unrecorded)
		printf("%s: %zu runs not replayed (failed, not converged, or "
		       "without a recording)\n", e->name, rp.unrecorded);
	/* Nothing recorded, nothing to replay: no empty replay experiment. */
	if (rp.runs.n)
		rc = exit_status(rc, run_experiment(db, vf->path, rp.e, &rp.runs, o));
	replay_free(&rp);
	return rc;
}

static int cmd_validate(int argc, char **argv, const struct options *o)
{
	if (optind >= argc)
		return usage_error("validate: no experiment file");
	if (!o->profile)
		return usage_error("validate: say --profile FILE (kvmlite calibrate "
				   "--output FILE writes one)");
	char err[1024];
	/* Read once, before minutes of real migrations: a bad profile is
	 * said first, and every replay has the same. */
	struct replay_profile prof;
	if (replay_profile_read(o->profile, &prof, err, sizeof(err)) < 0) {
		fprintf(stderr, "mplm-exp: validate: %s\n", err);
		return 1;
	}
	size_t nfiles = (size_t)(argc - optind);
	struct validate_file *files = calloc(nfiles, sizeof(*files));
	char **names = calloc(nfiles, sizeof(*names));
	if (!files || !names) {
		free(files);
		free(names);
		replay_profile_free(&prof);
		fprintf(stderr, "mplm-exp: out of memory\n");
		return 1;
	}
	/* Every file checked first: a mistake in the last one is said before
	 * the real migrations of the first, and nothing is stored. */
	int rc = 0;
	for (size_t i = 0; i < nfiles; i++)
		if (validate_load(argv[optind + (int)i], o, &files[i]) < 0)
			rc = 1;
	expdb *db = rc ? NULL : open_db(o, true, err, sizeof(err));
	if (!db)
		rc = 1;
	size_t n = 0;
	for (size_t i = 0; i < nfiles && rc != 1; i++) {
		rc = exit_status(rc, validate_one_file(db, &files[i], &prof, o));
		if (rc != 1 && !(names[n++] = strdup(files[i].e->name))) {
			fprintf(stderr, "mplm-exp: out of memory\n");
			rc = 1;
		}
	}
	if (rc != 1 && validate_report(db, names, n, o->out,
				       o->quiet ? NULL : stdout, stdout, err,
				       sizeof(err)) < 0) {
		fprintf(stderr, "mplm-exp: validate: %s\n", err);
		rc = 1;
	}
	for (size_t i = 0; i < nfiles; i++) {
		free(names[i]);
		validate_file_free(&files[i]);
	}
	free(names);
	free(files);
	replay_profile_free(&prof);
	if (db)
		db_close(db);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage_error("no command");
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		fputs(usage_text, stdout);
		plot_list_names(stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version")) {
		printf("mplm-exp %s (%s)\n", MPLM_VERSION, mplm_git_commit());
		return 0;
	}
	struct options o;
	int rc = parse_options(argc - 1, argv + 1, &o);
	if (rc)
		return rc;
	argc--;
	argv++;
	if (!strcmp(cmd, "run"))
		return cmd_run(argc, argv, &o);
	if (!strcmp(cmd, "check"))
		return cmd_check(argc, argv, &o);
	if (!strcmp(cmd, "plot"))
		return cmd_output(argc, argv, &o, true);
	if (!strcmp(cmd, "report"))
		return cmd_output(argc, argv, &o, false);
	if (!strcmp(cmd, "list"))
		return cmd_list(&o);
	if (!strcmp(cmd, "export"))
		return cmd_export(argc, argv, &o);
	if (!strcmp(cmd, "merge"))
		return cmd_merge(argc, argv);
	if (!strcmp(cmd, "slurm"))
		return cmd_slurm(argc, argv, &o);
	if (!strcmp(cmd, "validate"))
		return cmd_validate(argc, argv, &o);
	char msg[192];
	snprintf(msg, sizeof(msg), "unknown command '%.60s' (run, check, plot, report, export, merge, slurm, list, validate)", cmd);
	return usage_error(msg);
}
