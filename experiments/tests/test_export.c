/*
 * test_export.c - settings that do not apply are NULL; `mplm-exp export`
 * writes every run (and its syncs) as CSV and JSON with full precision;
 * list, report and export work on a read-only database.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>

#include "helpers.h"

static char ini[PATH_MAX + 64], db[PATH_MAX + 64];

/* 2 pre-copy limits + 2 MPLM points + stop-and-copy = 5 runs. */
static const char experiment[] =
	"[experiment]\n"
	"name = exp-export\n"
	"memory = 256M\n"
	"\n"
	"[workload u]\n"
	"label = uniform, \"quoted\"\n"
	"generator = uniform,memory=128M,wss=64M,rate=6000,duration=8\n"
	"start-at = 1\n"
	"\n"
	"[algorithm precopy]\n"
	"downtime-limit = 300ms 1s\n"
	"\n"
	"[algorithm mplm]\n"
	"dirtypercents = 30 70\n"
	"\n"
	"[algorithm stopcopy]\n";

static char *export_out(const char *format, bool syncs)
{
	const char *args[] = { "export", "--db", db, "--format", format,
			       syncs ? "--syncs" : "exp-export", "exp-export",
			       NULL };
	if (!syncs)
		args[6] = NULL;
	int rc = run_exp(args);
	if (rc != 0) {
		char *e = exp_stderr();
		print_error("export exit %d: %s\n", rc, e);
		free(e);
	}
	assert_int_equal(rc, 0);
	return exp_stdout();
}

static void test_settings_that_do_not_apply_are_null(void **state)
{
	(void)state;
	assert_true(db_value(db, "SELECT count(*) FROM runs") == 5);
	assert_true(db_value(db, "SELECT count(*) FROM runs WHERE algorithm ="
			     " 'precopy' AND dirtypercents IS NULL AND "
			     "intervaltime IS NULL AND firstnondirty IS NULL"
			     " AND relaxlivemig IS NULL AND downtime_limit IS"
			     " NOT NULL") == 2);
	assert_true(db_value(db, "SELECT count(*) FROM runs WHERE algorithm ="
			     " 'mplm' AND dirtypercents IS NOT NULL AND "
			     "max_iterations IS NULL") == 2);
	assert_true(db_value(db, "SELECT count(*) FROM runs WHERE algorithm ="
			     " 'stopcopy' AND downtime_limit IS NULL AND "
			     "dirtypercents IS NULL") == 1);
	/* Grouping by an MPLM setting sees MPLM's two points only. */
	assert_true(db_value(db, "SELECT count(DISTINCT dirtypercents) FROM "
			     "runs") == 2);
	assert_true(db_value(db, "PRAGMA user_version") == 3);
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Field `col` (0-based) of CSV line `line` (0 = header); simple fields. */
static void csv_field(const char *csv, int line, int col, char *buf,
		      size_t len)
{
	const char *p = csv;
	for (int i = 0; i < line && p; i++) {
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	assert_non_null(p);
	for (int c = 0; c < col; c++) {
		bool quoted = false;
		while (*p && (quoted || (*p != ',' && *p != '\n'))) {
			if (*p == '"')
				quoted = !quoted;
			p++;
		}
		assert_true(*p == ',');
		p++;
	}
	size_t n = strcspn(p, ",\n");
	snprintf(buf, len, "%.*s", (int)n, p);
}

static int csv_column(const char *csv, const char *name)
{
	char field[128];
	for (int c = 0; c < 200; c++) {
		csv_field(csv, 0, c, field, sizeof(field));
		if (!strcmp(field, name))
			return c;
	}
	return -1;
}

static void test_csv_has_every_run_at_full_precision(void **state)
{
	(void)state;
	char *csv = export_out("csv", false);
	assert_int_equal(count_lines(csv), 1 + 5);
	/* The label with a comma and quotes comes back quoted. */
	assert_non_null(strstr(csv, "\"uniform, \"\"quoted\"\"\""));
	int id_col = csv_column(csv, "id");
	int total_col = csv_column(csv, "total_time");
	int dp_col = csv_column(csv, "dirtypercents");
	int alg_col = csv_column(csv, "algorithm");
	assert_true(id_col >= 0 && total_col >= 0 && dp_col >= 0 && alg_col >= 0);
	for (int line = 1; line <= 5; line++) {
		char id[32], total[64], dp[32], alg[32];
		csv_field(csv, line, id_col, id, sizeof(id));
		csv_field(csv, line, total_col, total, sizeof(total));
		csv_field(csv, line, dp_col, dp, sizeof(dp));
		csv_field(csv, line, alg_col, alg, sizeof(alg));
		/* The text reads back to exactly the stored double. */
		double stored = db_value(db, "SELECT total_time FROM runs WHERE"
					 " id = %s", id);
		assert_true(strtod(total, NULL) == stored);
		assert_true(strcmp(alg, "mplm") ? dp[0] == '\0' : dp[0] != '\0');
	}
	free(csv);
}

static void test_csv_syncs_match_the_database(void **state)
{
	(void)state;
	char *csv = export_out("csv", true);
	assert_true(count_lines(csv) - 1 ==
		    db_value(db, "SELECT count(*) FROM syncs"));
	assert_true(csv_column(csv, "run_id") >= 0 &&
		    csv_column(csv, "dirtied") >= 0 &&
		    csv_column(csv, "param_hash") >= 0);
	free(csv);
}

static void test_json_nests_syncs_in_runs(void **state)
{
	(void)state;
	char *text = export_out("json", true);
	json_error_t jerr;
	json_t *doc = json_loads(text, 0, &jerr);
	if (!doc)
		print_error("JSON: %s at line %d\n", jerr.text, jerr.line);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "experiment")),
			    "exp-export");
	json_t *runs = json_object_get(doc, "runs");
	assert_int_equal(json_array_size(runs), 5);
	size_t i, nsyncs = 0;
	json_t *run;
	json_array_foreach(runs, i, run) {
		/* "syncs" is the count column; the records come with it. */
		json_t *syncs = json_object_get(run, "sync_records");
		assert_int_equal(json_array_size(syncs),
				 json_integer_value(json_object_get(run, "syncs")));
		nsyncs += json_array_size(syncs);
		const char *alg = json_string_value(json_object_get(run, "algorithm"));
		json_t *dp = json_object_get(run, "dirtypercents");
		assert_true(strcmp(alg, "mplm") ? json_is_null(dp)
						: json_is_integer(dp));
		double stored = db_value(db, "SELECT total_time FROM runs WHERE "
					 "id = %lld", (long long)json_integer_value(
						 json_object_get(run, "id")));
		assert_true(json_real_value(json_object_get(run, "total_time")) ==
			    stored);
	}
	assert_true(nsyncs == db_value(db, "SELECT count(*) FROM syncs"));
	json_decref(doc);
	free(text);
}

static void test_readers_work_on_a_read_only_database(void **state)
{
	(void)state;
	char uri[PATH_MAX + 128];
	snprintf(uri, sizeof(uri), "file:%s?mode=ro", db);
	const char *list[] = { "list", "--db", uri, NULL };
	assert_int_equal(run_exp(list), 0);
	char *o = exp_stdout();
	assert_non_null(strstr(o, "exp-export"));
	free(o);
	char out[PATH_MAX + 16];
	path_in_tmp(out, sizeof(out), "tables");
	const char *report[] = { "report", "--db", uri, "--out", out, "--quiet",
				 "exp-export", NULL };
	assert_int_equal(run_exp(report), 0);
	const char *export[] = { "export", "--db", uri, "exp-export", NULL };
	assert_int_equal(run_exp(export), 0);
	/* A writer on a read-only URI fails in one line, not partway. */
	const char *run[] = { "run", "--db", uri, ini, NULL };
	assert_int_equal(run_exp(run), 1);
	char *e = exp_stderr();
	assert_non_null(strstr(e, "readonly") ? e : strstr(e, "read-only"));
	free(e);
}

/* mplm-exp ARGS as a user who may not write DIR: ourselves if we are not
 * root (root may write anything), else nobody by setpriv. Exit status. */
static int run_as_reader(const char *const *args)
{
	char *argv[16];
	int n = 0;
	if (geteuid() == 0) {
		argv[n++] = "setpriv";
		argv[n++] = "--reuid=65534";
		argv[n++] = "--regid=65534";
		argv[n++] = "--clear-groups";
	}
	argv[n++] = exp_bin;
	for (; *args && n < 15; args++)
		argv[n++] = (char *)*args;
	argv[n] = NULL;
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	return wait_exit(pid);
}

/* A copy of the database in a folder, and a file, nobody may write: no
 * WAL index can be made there, and readers still read it. */
static void test_readers_work_where_nothing_may_be_written(void **state)
{
	(void)state;
	if (geteuid() == 0 && access("/usr/bin/setpriv", X_OK) != 0) {
		printf("SKIP: root, and no setpriv to drop to a user who "
		       "cannot write\n");
		skip();
	}
	char dir[PATH_MAX + 32], copy[PATH_MAX + 64], out[PATH_MAX + 32];
	char cmd[12 * PATH_MAX];
	path_in_tmp(dir, sizeof(dir), "ro");
	path_in_tmp(out, sizeof(out), "ro-out");
	snprintf(copy, sizeof(copy), "%s/export.db", dir);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s' '%s' && cp '%s' '%s' && "
		 "chmod 0444 '%s' && chmod 0555 '%s' && chmod 0777 '%s' && "
		 "chmod 0755 '%s'", dir, out, db, copy, copy, dir, out, tmp_dir);
	assert_int_equal(system(cmd), 0);
	const char *list[] = { "list", "--db", copy, NULL };
	assert_int_equal(run_as_reader(list), 0);
	const char *report[] = { "report", "--db", copy, "--out", out,
				 "--quiet", "exp-export", NULL };
	assert_int_equal(run_as_reader(report), 0);
	const char *export[] = { "export", "--db", copy, "exp-export", NULL };
	assert_int_equal(run_as_reader(export), 0);
	/* Nothing was written next to it. */
	char wal[PATH_MAX + 80];
	snprintf(wal, sizeof(wal), "%s-wal", copy);
	assert_int_not_equal(access(wal, F_OK), 0);
	snprintf(cmd, sizeof(cmd), "chmod 0755 '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* runs' column names in order, comma-separated. */
static void runs_columns(const char *path, char *buf, size_t len)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	buf[0] = '\0';
	assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT group_concat(name) FROM "
					    "(SELECT name FROM pragma_table_info"
					    "('runs') ORDER BY cid)", -1, &st,
					    NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(buf, len, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(h);
}

/* Load experiments/tests/data/NAME (a dump) into tmp/DB. */
static void load_dump(const char *name, char *path, size_t len,
		      const char *db_name)
{
	char sqlpath[PATH_MAX + 64];
	snprintf(sqlpath, sizeof(sqlpath), "%s/experiments/tests/data/%s",
		 repo_root, name);
	path_in_tmp(path, len, db_name);
	char *sql = read_file(sqlpath);
	assert_non_null(sql);
	sqlite3 *h;
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	free(sql);
}

/* A version-1 database (every setting in every row) is upgraded in place
 * by the first mplm-exp that may write it: runs and syncs kept, settings
 * that do not apply cleared. */
static void test_version_1_is_upgraded(void **state)
{
	(void)state;
	char old[PATH_MAX + 32];
	load_dump("schema-v1.sql", old, sizeof(old), "v1.db");
	assert_true(db_value(old, "PRAGMA user_version") == 1);
	assert_true(db_value(old, "SELECT count(*) FROM runs WHERE algorithm = "
			     "'precopy' AND dirtypercents IS NOT NULL") == 2);
	double syncs = db_value(old, "SELECT count(*) FROM syncs");
	const char *list[] = { "list", "--db", old, NULL };
	assert_int_equal(run_exp(list), 0);
	assert_true(db_value(old, "PRAGMA user_version") == 3);
	assert_true(db_value(old, "SELECT count(*) FROM current") == 5);
	/* Version 3's results were not measured then. */
	assert_true(db_value(old, "SELECT count(guest_lost) + "
			     "count(cpu_throttle_percentage) FROM current") == 0);
	assert_true(db_value(old, "SELECT count(*) FROM syncs") == syncs);
	assert_true(db_value(old, "SELECT count(*) FROM pragma_foreign_key_check")
		    == 0);
	assert_true(db_value(old, "SELECT count(*) FROM runs WHERE algorithm = "
			     "'precopy' AND dirtypercents IS NULL AND "
			     "intervaltime IS NULL") == 2);
	assert_true(db_value(old, "SELECT count(*) FROM runs WHERE algorithm = "
			     "'stopcopy' AND downtime_limit IS NULL") == 1);
	assert_true(db_value(old, "SELECT count(*) FROM runs WHERE algorithm = "
			     "'mplm' AND dirtypercents IN (30, 70)") == 2);
}

/* A version-2 database gets version 3's columns (the guest's lost work,
 * the throttle, post-copy's figures) in place, NULL in its old runs, and
 * then takes new runs that fill them. */
static void test_version_2_is_upgraded(void **state)
{
	(void)state;
	char old[PATH_MAX + 32];
	load_dump("schema-v2.sql", old, sizeof(old), "v2.db");
	assert_true(db_value(old, "PRAGMA user_version") == 2);
	double syncs = db_value(old, "SELECT count(*) FROM syncs");
	assert_true(syncs > 0);
	const char *list[] = { "list", "--db", old, NULL };
	assert_int_equal(run_exp(list), 0);
	assert_true(db_value(old, "PRAGMA user_version") == 3);
	assert_true(db_value(old, "SELECT count(*) FROM current") == 6);
	assert_true(db_value(old, "SELECT count(*) FROM syncs") == syncs);
	assert_true(db_value(old, "SELECT count(*) FROM pragma_foreign_key_check")
		    == 0);
	assert_true(db_value(old, "SELECT count(*) FROM current WHERE "
			     "guest_lost IS NULL AND cpu_throttle_percentage "
			     "IS NULL AND postcopy_requests IS NULL AND "
			     "postcopy_wait IS NULL AND postcopy_time IS NULL")
		    == 6);
	/* The same columns in the same order as a new database's (merge
	 * copies runs between the two). */
	char fresh[PATH_MAX + 32], cols_old[4096], cols_new[4096];
	path_in_tmp(fresh, sizeof(fresh), "v3-fresh.db");
	const char *run_fresh[] = { "run", "--no-progress", "--db", fresh, ini,
				    NULL };
	assert_int_equal(run_exp(run_fresh), 0);
	runs_columns(old, cols_old, sizeof(cols_old));
	runs_columns(fresh, cols_new, sizeof(cols_new));
	assert_non_null(strstr(cols_old, ",guest_lost,cpu_throttle_percentage,"
			       "postcopy_requests,postcopy_wait,postcopy_time,"
			       "postcopy_ram,postcopy_after_passes,"
			       "start_postcopy_at,rtt,replay"));
	assert_string_equal(cols_old, cols_new);
	/* Its experiment (this file's, with pre-copy under auto-converge)
	 * run again: the new runs have them. */
	char v2t[PATH_MAX + 32], text[sizeof(experiment) + 128];
	const char *rest = strstr(experiment, "\nmemory");
	assert_non_null(rest);
	snprintf(text, sizeof(text), "[experiment]\nname = v2t%s\n"
		 "[algorithm precopy-ac]\nalgorithm = precopy\n"
		 "downtime-limit = 300ms\nauto-converge = on\n", rest);
	path_in_tmp(v2t, sizeof(v2t), "v2t.ini");
	write_file(v2t, text);
	const char *rerun[] = { "run", "--no-progress", "--rerun", "--db", old,
				v2t, NULL };
	assert_int_equal(run_exp(rerun), 0);
	assert_true(db_value(old, "SELECT count(guest_lost) FROM current") == 6);
	assert_true(db_value(old, "SELECT count(*) FROM current WHERE "
			     "cpu_throttle_percentage IS NOT NULL") == 1);
	assert_true(db_value(old, "SELECT cpu_throttle_percentage IS NOT NULL "
			     "FROM current WHERE algorithm_name = "
			     "'precopy-ac'") == 1);
}

static void test_export_of_an_unknown_experiment_is_one_line(void **state)
{
	(void)state;
	const char *args[] = { "export", "--db", db, "nosuch", NULL };
	assert_int_equal(run_exp(args), 1);
	char *e = exp_stderr();
	assert_non_null(strstr(e, "nosuch: no experiment"));
	assert_true(one_line(e));
	free(e);
	const char *bad[] = { "export", "--db", db, "--format", "xml",
			      "exp-export", NULL };
	assert_int_equal(run_exp(bad), 2);
}

int main(int argc, char **argv)
{
	(void)argc;
	helpers_init(argv[0]);
	path_in_tmp(ini, sizeof(ini), "export.ini");
	path_in_tmp(db, sizeof(db), "export.db");
	write_file(ini, experiment);
	if (!run_setup(ini, db))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_settings_that_do_not_apply_are_null),
		cmocka_unit_test(test_csv_has_every_run_at_full_precision),
		cmocka_unit_test(test_csv_syncs_match_the_database),
		cmocka_unit_test(test_json_nests_syncs_in_runs),
		cmocka_unit_test(test_readers_work_on_a_read_only_database),
		cmocka_unit_test(test_readers_work_where_nothing_may_be_written),
		cmocka_unit_test(test_version_1_is_upgraded),
		cmocka_unit_test(test_version_2_is_upgraded),
		cmocka_unit_test(test_export_of_an_unknown_experiment_is_one_line),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	helpers_cleanup();
	return rc;
}
