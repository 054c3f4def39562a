/*
 * merge.c - merge results databases (see merge.h).
 */
#include "merge.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"

/* The columns of TABLE but SKIP1 and SKIP2, as "P.a, P.b, ..." (P NULL: no
 * prefix), read from the schema so that a new column is merged too. */
static int column_list(sqlite3 *h, const char *table, const char *skip1,
		       const char *skip2, const char *prefix, char *buf,
		       size_t len)
{
	char sql[96];
	snprintf(sql, sizeof(sql), "PRAGMA main.table_info(%s)", table);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	size_t n = 0;
	buf[0] = '\0';
	while (sqlite3_step(st) == SQLITE_ROW && n < len) {
		const char *c = (const char *)sqlite3_column_text(st, 1);
		if (!strcmp(c, skip1) || !strcmp(c, skip2))
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s%s%s%s", n ? ", " : "",
				      prefix ? prefix : "", prefix ? "." : "", c);
	}
	sqlite3_finalize(st);
	return n < len ? 0 : -1;
}

static int run_sql(sqlite3 *h, const char *sql, const char *what, char *err,
		   size_t errlen)
{
	char *msg = NULL;
	if (sqlite3_exec(h, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	snprintf(err, errlen, "%s: %s", what, msg ? msg : sqlite3_errmsg(h));
	sqlite3_free(msg);
	return -1;
}

static int64_t one_number(sqlite3 *h, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* A shard's experiments in main, matched by name: "JOIN main.experiments m
 * ON m.name = se.name" after the shard's table T aliased A. */
#define SHARD_EXP(T, A) \
	" FROM shard." T " " A " JOIN shard.experiments se ON se.id = " A \
	".experiment_id JOIN main.experiments m ON m.name = se.name"

/* The experiment rows and their definitions: the shard's replace OUT's. */
static int merge_definitions(sqlite3 *h, char *err, size_t errlen)
{
	char cols[1024], set[2048];
	if (column_list(h, "experiments", "id", "", NULL, cols, sizeof(cols)))
		return -1;
	/* "a = excluded.a, ..." for every column but the name. */
	size_t n = 0;
	for (const char *tok = cols; *tok && n < sizeof(set);) {
		int len = (int)strcspn(tok, ",");
		if (len != 4 || strncmp(tok, "name", 4))
			n += (size_t)snprintf(set + n, sizeof(set) - n,
					      "%s%.*s = excluded.%.*s",
					      n ? ", " : "", len, tok, len, tok);
		tok += len;
		while (*tok == ',' || *tok == ' ')
			tok++;
	}
	char *upsert = sqlite3_mprintf("INSERT INTO main.experiments (%s)"
		" SELECT %s FROM shard.experiments WHERE true"
		" ON CONFLICT (name) DO UPDATE SET %s", cols, cols, set);
	int rc = run_sql(h, upsert, "experiments", err, errlen);
	sqlite3_free(upsert);
	return rc ||
	       run_sql(h, "DELETE FROM main.current_runs WHERE experiment_id IN"
		       " (SELECT m.id FROM shard.experiments se JOIN"
		       " main.experiments m ON m.name = se.name);"
		       " INSERT INTO main.current_runs SELECT m.id, c.param_hash,"
		       " c.repetition" SHARD_EXP("current_runs", "c") ";"
		       " DELETE FROM main.reference_values WHERE experiment_id IN"
		       " (SELECT m.id FROM shard.experiments se JOIN"
		       " main.experiments m ON m.name = se.name);"
		       " INSERT INTO main.reference_values SELECT m.id,"
		       " r.workload, r.algorithm_name, r.metric, r.param, r.value,"
		       " r.approx" SHARD_EXP("reference_values", "r"),
		       "experiment definitions", err, errlen);
}

/* OUT's run n for the shard's run r: the same experiment (by name),
 * parameters and repetition. */
#define NEW_RUN \
	" JOIN shard.experiments se ON se.id = r.experiment_id" \
	" JOIN main.experiments m ON m.name = se.name" \
	" JOIN main.runs n ON n.experiment_id = m.id AND" \
	" n.param_hash = r.param_hash AND n.repetition = r.repetition"

/* The runs OUT does not hold, then the syncs and recordings of those (new
 * ids only). */
static int merge_runs(sqlite3 *h, int64_t *added, char *err, size_t errlen)
{
	char cols[4096], rcols[4096], scols[1024];
	if (column_list(h, "runs", "id", "experiment_id", NULL, cols,
			sizeof(cols)) ||
	    column_list(h, "runs", "id", "experiment_id", "r", rcols,
			sizeof(rcols)) ||
	    column_list(h, "syncs", "run_id", "", "s", scols, sizeof(scols))) {
		snprintf(err, errlen, "reading the schema: %s", sqlite3_errmsg(h));
		return -1;
	}
	int64_t before = one_number(h, "SELECT coalesce(max(id), 0) FROM main.runs");
	char *sql = sqlite3_mprintf("INSERT INTO main.runs (experiment_id, %s)"
		" SELECT m.id, %s" SHARD_EXP("runs", "r") " WHERE true"
		" ON CONFLICT (experiment_id, param_hash, repetition) DO NOTHING",
		cols, rcols);
	int rc = run_sql(h, sql, "runs", err, errlen);
	sqlite3_free(sql);
	if (rc)
		return -1;
	*added = sqlite3_changes(h);
	sql = sqlite3_mprintf("INSERT INTO main.syncs SELECT n.id, %s"
		" FROM shard.syncs s JOIN shard.runs r ON r.id = s.run_id"
		NEW_RUN
		" WHERE n.id > %lld", scols, (long long)before);
	rc = run_sql(h, sql, "syncs", err, errlen);
	sqlite3_free(sql);
	if (rc || !one_number(h, "SELECT count(*) FROM shard.sqlite_master"
			      " WHERE type = 'table' AND name = 'recordings'"))
		return rc;
	/* The recordings of those runs (a shard of `record-trace` runs): a
	 * replay or `mplm-exp validate` on the merged database needs them. */
	sql = sqlite3_mprintf("INSERT INTO main.recordings SELECT n.id,"
		" rec.trace, rec.start_at FROM shard.recordings rec"
		" JOIN shard.runs r ON r.id = rec.run_id"
		NEW_RUN
		" WHERE n.id > %lld", (long long)before);
	rc = run_sql(h, sql, "recordings", err, errlen);
	sqlite3_free(sql);
	return rc;
}

static int merge_one(expdb *db, const char *shard, FILE *say, char *err,
		     size_t errlen)
{
	sqlite3 *h = db_handle(db);
	char uri[4200];
	db_uri(shard, "mode=ro", uri, sizeof(uri));
	char *q = sqlite3_mprintf("ATTACH %Q AS shard", uri);
	int rc = run_sql(h, q, shard, err, errlen);
	sqlite3_free(q);
	if (rc)
		return -1;
	int64_t added = 0, total = one_number(h, "SELECT count(*) FROM shard.runs");
	rc = run_sql(h, "BEGIN IMMEDIATE", "merge", err, errlen);
	if (rc == 0 && (merge_definitions(h, err, errlen) ||
			merge_runs(h, &added, err, errlen))) {
		sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
		rc = -1;
	} else if (rc == 0) {
		rc = run_sql(h, "COMMIT", "merge", err, errlen);
	}
	sqlite3_exec(h, "DETACH shard", NULL, NULL, NULL);
	if (rc == 0 && say)
		fprintf(say, "merged %s: %lld runs added, %lld already there\n",
			shard, (long long)added, (long long)(total - added));
	return rc;
}

/* Before anything is written: every shard is readable and of our schema. */
static int check_shard(const char *shard, char *err, size_t errlen)
{
	if (access(shard, R_OK) != 0) {
		snprintf(err, errlen, "%s: cannot read it", shard);
		return -1;
	}
	char why[512];
	expdb *db = db_open_read_only(shard, why, sizeof(why));
	if (!db) {
		snprintf(err, errlen, "%s: %s", shard, why);
		return -1;
	}
	int v = db_schema_version(db, "main");
	db_close(db);
	if (v != EXP_DB_SCHEMA_VERSION) {
		snprintf(err, errlen, "%s: schema version %d, this mplm-exp "
			 "merges version %d only (run it with the mplm-exp "
			 "that wrote it, or re-run its shard)", shard, v,
			 EXP_DB_SCHEMA_VERSION);
		return -1;
	}
	return 0;
}

int merge_databases(const char *out, char *const *shards, int nshards,
		    FILE *say, char *err, size_t errlen)
{
	for (int i = 0; i < nshards; i++)
		if (check_shard(shards[i], err, errlen))
			return -1;
	char why[1024];
	expdb *db = db_open(out, why, sizeof(why));
	if (!db) {
		snprintf(err, errlen, "%s: %s", out, why);
		return -1;
	}
	int rc = 0;
	for (int i = 0; i < nshards && rc == 0; i++)
		rc = merge_one(db, shards[i], say, err, errlen);
	db_close(db);
	return rc;
}
