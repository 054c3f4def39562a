/*
 * export.c - an experiment's stored runs (and per-sync records) as CSV or
 * JSON, for analysis elsewhere (see export.h).
 *
 * The columns are the database's own (SCHEMA.md), read from the query, so
 * a new column is exported without touching this file. Reals keep full
 * precision (%.17g: they read back to the same double); NULL is an empty
 * CSV field or JSON null.
 */
#include "export.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* The current runs of the experiment, in the file's order. */
static const char runs_sql[] =
	"SELECT * FROM current WHERE experiment = ?1"
	" ORDER BY point_index, repetition, id";
/* Their syncs, each with the key of its run. */
static const char syncs_sql[] =
	"SELECT r.experiment, r.param_hash, r.repetition, r.workload,"
	" r.algorithm_name, s.* FROM current r"
	" JOIN syncs s ON s.run_id = r.id WHERE r.experiment = ?1"
	" ORDER BY r.point_index, r.repetition, r.id, s.idx";
static const char syncs_of_run_sql[] =
	"SELECT * FROM syncs WHERE run_id = ?1 ORDER BY idx";

/* ------------------------------------------------------------------ */
/* CSV. */

void csv_text(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* The shortest of %.15g..%.17g that reads back to the same double: full
 * precision without 0.30000000000000001 where 0.3 was stored. */
static void csv_real(FILE *f, double v)
{
	char buf[40];
	for (int digits = 15; digits <= 17; digits++) {
		snprintf(buf, sizeof(buf), "%.*g", digits, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	fputs(buf, f);
}

static void csv_value(FILE *f, sqlite3_stmt *st, int col)
{
	switch (sqlite3_column_type(st, col)) {
	case SQLITE_NULL:
		break;
	case SQLITE_INTEGER:
		fprintf(f, "%lld", (long long)sqlite3_column_int64(st, col));
		break;
	case SQLITE_FLOAT:
		csv_real(f, sqlite3_column_double(st, col));
		break;
	default:
		csv_text(f, (const char *)sqlite3_column_text(st, col));
	}
}

static int write_csv(FILE *f, sqlite3_stmt *st)
{
	int ncol = sqlite3_column_count(st), rc;
	for (int c = 0; c < ncol; c++) {
		if (c)
			fputc(',', f);
		csv_text(f, sqlite3_column_name(st, c));
	}
	fputc('\n', f);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int c = 0; c < ncol; c++) {
			if (c)
				fputc(',', f);
			csv_value(f, st, c);
		}
		fputc('\n', f);
	}
	return rc == SQLITE_DONE ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* JSON: {"experiment": NAME, "runs": [{column: value, ..., "sync_records":
 * [{...}, ...]}, ...]}, one run per line. */

static json_t *json_value(sqlite3_stmt *st, int col)
{
	switch (sqlite3_column_type(st, col)) {
	case SQLITE_NULL:
		return json_null();
	case SQLITE_INTEGER:
		return json_integer(sqlite3_column_int64(st, col));
	case SQLITE_FLOAT:
		return json_real(sqlite3_column_double(st, col));
	default:
		return json_string((const char *)sqlite3_column_text(st, col));
	}
}

static json_t *json_row(sqlite3_stmt *st)
{
	json_t *o = json_object();
	for (int c = 0; o && c < sqlite3_column_count(st); c++)
		json_object_set_new(o, sqlite3_column_name(st, c),
				    json_value(st, c));
	return o;
}

static int add_syncs(sqlite3 *h, json_t *run)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(h, syncs_of_run_sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, json_integer_value(json_object_get(run, "id")));
	json_t *a = json_array();
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *s = json_row(st);
		json_object_del(s, "run_id");
		json_array_append_new(a, s);
	}
	sqlite3_finalize(st);
	json_object_set_new(run, "sync_records", a);
	return rc == SQLITE_DONE ? 0 : -1;
}

#define JSON_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17))

static int write_json(FILE *f, sqlite3 *h, sqlite3_stmt *st,
		      const char *experiment, bool syncs)
{
	json_t *name = json_string(experiment);
	fputs("{\"experiment\": ", f);
	json_dumpf(name, f, JSON_FLAGS | JSON_ENCODE_ANY);
	json_decref(name);
	fputs(", \"runs\": [", f);
	int rc, n = 0, bad = 0;
	while (!bad && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *run = json_row(st);
		bad = !run || (syncs && add_syncs(h, run) < 0);
		fputs(n++ ? ",\n" : "\n", f);
		if (run)
			json_dumpf(run, f, JSON_FLAGS);
		json_decref(run);
	}
	fputs("\n]}\n", f);
	return !bad && rc == SQLITE_DONE ? 0 : -1;
}

static bool experiment_exists(sqlite3 *h, const char *name)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(h, "SELECT 1 FROM experiments WHERE name = ?",
			       -1, &st, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	bool found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

int export_experiment(expdb *db, const char *experiment,
		      enum export_format format, bool syncs, FILE *out,
		      char *err, size_t errlen)
{
	sqlite3 *h = db_handle(db);
	if (!experiment_exists(h, experiment)) {
		snprintf(err, errlen, "no experiment of that name in the database");
		return -1;
	}
	/* CSV is one table: --syncs gives the sync records instead of the
	 * runs; JSON nests them in their runs. */
	const char *sql = syncs && format == EXPORT_CSV ? syncs_sql : runs_sql;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "query: %s", sqlite3_errmsg(h));
		return -1;
	}
	sqlite3_bind_text(st, 1, experiment, -1, SQLITE_STATIC);
	int rc = format == EXPORT_CSV ? write_csv(out, st)
				      : write_json(out, h, st, experiment, syncs);
	if (rc < 0)
		snprintf(err, errlen, "reading the database: %s",
			 sqlite3_errmsg(h));
	sqlite3_finalize(st);
	if (rc == 0 && (fflush(out) || ferror(out))) {
		snprintf(err, errlen, "write error");
		rc = -1;
	}
	return rc;
}
