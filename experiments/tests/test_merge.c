/*
 * test_merge.c - `mplm-exp merge` carries a shard's recordings (the traces
 * `record-trace` runs wrote, which replays and `mplm-exp validate` read)
 * over to the merged database, attached to the same runs under their new
 * ids, once however often it merges; a shard without the table merges.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "helpers.h"

static char ini[PATH_MAX + 64], other_ini[PATH_MAX + 64];
static char shard[PATH_MAX + 64], other[PATH_MAX + 64], bare[PATH_MAX + 64];
static char out[PATH_MAX + 64];

/* 2 repetitions x (pre-copy + MPLM) = 4 short runs. */
static const char experiment[] =
	"[experiment]\n"
	"name = merge\n"
	"repetitions = 2\n"
	"memory = 64M\n"
	"max-total-time = 60\n"
	"\n"
	"[workload u]\n"
	"generator = uniform,memory=64M,wss=32M,rate=3000,duration=8\n"
	"\n"
	"[algorithm precopy]\n"
	"downtime-limit = 300ms\n"
	"\n"
	"[algorithm mplm]\n"
	"intervaltime = 0.5\n";

/* Another experiment, merged first, so that OUT's run ids are not the
 * shard's. */
static const char other_experiment[] =
	"[experiment]\n"
	"name = other\n"
	"repetitions = 3\n"
	"memory = 64M\n"
	"\n"
	"[workload u]\n"
	"generator = uniform,memory=64M,wss=16M,rate=2000,duration=8\n"
	"\n"
	"[algorithm precopy]\n"
	"downtime-limit = 1s\n";

static void sql(const char *db, const char *text)
{
	sqlite3 *h;
	char *msg = NULL;
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	if (sqlite3_exec(h, text, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s: %s", db, text, msg);
	sqlite3_close(h);
}

/* OUT's recordings that are the shard's: the same trace and start on the
 * run with the same experiment, parameters and repetition. */
static double matching_recordings(void)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	char attach[PATH_MAX + 96];
	double n = -1;
	snprintf(attach, sizeof(attach), "ATTACH '%s' AS s", shard);
	assert_int_equal(sqlite3_open(out, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, attach, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h,
		"SELECT count(*) FROM main.recordings mr"
		" JOIN main.runs m ON m.id = mr.run_id"
		" JOIN main.experiments me ON me.id = m.experiment_id"
		" JOIN s.runs r ON r.param_hash = m.param_hash AND r.repetition = m.repetition"
		" JOIN s.experiments se ON se.id = r.experiment_id AND se.name = me.name"
		" JOIN s.recordings sr ON sr.run_id = r.id"
		" WHERE sr.trace = mr.trace AND sr.start_at = mr.start_at", -1, &st, NULL),
		SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_double(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return n;
}

static int merge(const char *db)
{
	const char *args[] = { "merge", out, db, NULL };
	return run_exp(args);
}

static void test_recordings_follow_their_runs(void **state)
{
	(void)state;
	/* Two of the shard's runs were recorded (a fixture: the table as
	 * a `record-trace` run fills it). */
	sql(shard, "INSERT INTO recordings SELECT id, 'rec-' || id || '.trace', 1.5"
		   " FROM runs ORDER BY id LIMIT 2");
	assert_int_equal(merge(other), 0);
	assert_int_equal(merge(shard), 0);
	assert_true(db_value(out, "SELECT count(*) FROM runs") == 3 + 4);
	assert_true(db_value(out, "SELECT count(*) FROM recordings") == 2);
	assert_true(matching_recordings() == 2);
	/* They sit on runs that were not the shard's ids. */
	assert_true(db_value(out, "SELECT min(run_id) FROM recordings") > 3);
}

static void test_merging_again_adds_nothing(void **state)
{
	(void)state;
	assert_int_equal(merge(shard), 0);
	char *o = exp_stdout();
	bool said = strstr(o, "0 runs added, 4 already there") != NULL;
	free(o);
	assert_true(said);
	assert_true(db_value(out, "SELECT count(*) FROM recordings") == 2);
	assert_true(matching_recordings() == 2);
}

/* A shard written before recordings had a table of their own. */
static void test_shard_without_recordings_merges(void **state)
{
	(void)state;
	sql(bare, "DROP TABLE recordings");
	unlink(out);
	assert_int_equal(merge(bare), 0);
	assert_true(db_value(out, "SELECT count(*) FROM runs") == 4);
	assert_true(db_value(out, "SELECT count(*) FROM recordings") == 0);
}

int main(int argc, char **argv)
{
	(void)argc;
	helpers_init(argv[0]);
	path_in_tmp(ini, sizeof(ini), "merge.ini");
	path_in_tmp(other_ini, sizeof(other_ini), "other.ini");
	path_in_tmp(shard, sizeof(shard), "shard.db");
	path_in_tmp(other, sizeof(other), "other.db");
	path_in_tmp(bare, sizeof(bare), "bare.db");
	path_in_tmp(out, sizeof(out), "out.db");
	write_file(ini, experiment);
	write_file(other_ini, other_experiment);
	if (!run_setup(ini, shard) || !run_setup(other_ini, other) ||
	    !run_setup(ini, bare)) {
		helpers_cleanup();
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recordings_follow_their_runs),
		cmocka_unit_test(test_merging_again_adds_nothing),
		cmocka_unit_test(test_shard_without_recordings_merges),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	helpers_cleanup();
	return rc;
}
