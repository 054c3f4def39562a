/*
 * db.c - the SQLite results database (see db.h, SCHEMA.md).
 */
#include "db.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <errno.h>
#include <unistd.h>

struct expdb {
	sqlite3 *h;
	sqlite3_stmt *lookup, *insert_run, *insert_sync, *delete_run;
	sqlite3_stmt *delete_claim, *insert_recording;
};

/* The runs table's columns, shared by the schema and the upgrades: from
 * version 1 (which rebuilds the table: SQLite cannot drop NOT NULL) and
 * from version 2 (which adds the columns it lacks; each added one must be
 * nullable). */
#define RUNS_COLUMNS \
	"(\n" \
	"  id INTEGER PRIMARY KEY,\n" \
	"  experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,\n" \
	"  param_hash TEXT NOT NULL,\n" \
	"  point_hash TEXT NOT NULL,\n" \
	"  point_index INTEGER NOT NULL,\n" \
	"  param_key TEXT NOT NULL,\n" \
	"  repetition INTEGER NOT NULL,\n" \
	"  seed INTEGER NOT NULL,\n" \
	"  backend TEXT NOT NULL,\n" \
	"  tool_version TEXT NOT NULL,\n" \
	"  git_commit TEXT NOT NULL,\n" \
	"  finished_at TEXT NOT NULL,\n" \
	"  workload TEXT NOT NULL,\n" \
	"  workload_label TEXT NOT NULL,\n" \
	"  source_kind TEXT NOT NULL,\n" \
	"  source TEXT NOT NULL,\n" \
	"  placement TEXT NOT NULL,\n" \
	"  static_bytes INTEGER NOT NULL,\n" \
	"  start_at REAL NOT NULL,\n" \
	"  at_end TEXT NOT NULL,\n" \
	"  untraced_nonzero INTEGER NOT NULL,\n" \
	"  vm_bytes INTEGER NOT NULL,\n" \
	"  link_bandwidth REAL NOT NULL,\n" \
	"  header_bytes INTEGER,\n" \
	"  zero_page_bytes INTEGER,\n" \
	"  zero_page_cost REAL,\n" \
	"  state_bytes INTEGER,\n" \
	"  sync_fixed REAL,\n" \
	"  sync_per_page REAL,\n" \
	"  verify INTEGER NOT NULL,\n" \
	"  algorithm TEXT NOT NULL,\n" \
	"  algorithm_name TEXT NOT NULL,\n" \
	"  downtime_limit REAL,\n" \
	"  max_bandwidth REAL NOT NULL,\n" \
	"  max_iterations INTEGER,\n" \
	"  measured_bandwidth INTEGER,\n" \
	"  intervaltime REAL,\n" \
	"  dirtypercents INTEGER,\n" \
	"  firstnondirty INTEGER,\n" \
	"  relaxlivemig INTEGER,\n" \
	"  auto_converge INTEGER,\n" \
	"  cpu_throttle_initial INTEGER,\n" \
	"  cpu_throttle_increment INTEGER,\n" \
	"  max_total_time REAL NOT NULL,\n" \
	"  status TEXT NOT NULL,\n" \
	"  error TEXT,\n" \
	"  converged INTEGER NOT NULL,\n" \
	"  total_time REAL,\n" \
	"  downtime REAL,\n" \
	"  live_time REAL,\n" \
	"  setup_time REAL,\n" \
	"  transferred_bytes INTEGER,\n" \
	"  normal_pages INTEGER,\n" \
	"  zero_pages INTEGER,\n" \
	"  normal_bytes INTEGER,\n" \
	"  pages_sent INTEGER,\n" \
	"  downtime_pages INTEGER,\n" \
	"  state_bytes_sent INTEGER,\n" \
	"  remaining_bytes INTEGER,\n" \
	"  syncs INTEGER,\n" \
	"  mbps REAL,\n" \
	"  vm_pages INTEGER,\n" \
	"  touched_pages INTEGER,\n" \
	"  touched_bytes INTEGER,\n" \
	"  sent_ratio REAL,\n" \
	"  metadata_bytes INTEGER,\n" \
	"  peak_rss_bytes INTEGER,\n" \
	"  dirty_rate REAL,\n" \
	"  verified INTEGER,\n" \
	"  mismatches INTEGER,\n" \
	"  sim_seconds REAL,\n" \
	"  wall_seconds REAL,\n" \
	"  guest_lost REAL,\n" \
	"  cpu_throttle_percentage INTEGER,\n" \
	"  postcopy_requests INTEGER,\n" \
	"  postcopy_wait REAL,\n" \
	"  postcopy_time REAL,\n" \
	"  postcopy_ram INTEGER,\n" \
	"  postcopy_after_passes INTEGER,\n" \
	"  start_postcopy_at REAL,\n" \
	"  rtt REAL,\n" \
	"  replay TEXT,\n" \
	"  UNIQUE (experiment_id, param_hash, repetition))"

/* The declaration as text, to tell whether a column exists. */
static const char RUNS_DECLARATION[] = RUNS_COLUMNS;

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS experiments (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  name TEXT NOT NULL UNIQUE,\n"
	"  file TEXT NOT NULL,\n"
	"  description TEXT NOT NULL,\n"
	"  figure TEXT NOT NULL,\n"
	"  backend TEXT NOT NULL,\n"
	"  repetitions INTEGER NOT NULL,\n"
	"  runs_defined INTEGER NOT NULL,\n"
	"  config TEXT NOT NULL,\n"
	"  tool_version TEXT NOT NULL,\n"
	"  git_commit TEXT NOT NULL,\n"
	"  created_at TEXT NOT NULL,\n"
	"  updated_at TEXT NOT NULL);\n"
	"CREATE TABLE IF NOT EXISTS current_runs (\n"
	"  experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,\n"
	"  param_hash TEXT NOT NULL,\n"
	"  repetition INTEGER NOT NULL,\n"
	"  PRIMARY KEY (experiment_id, param_hash, repetition)) WITHOUT ROWID;\n"
	"CREATE TABLE IF NOT EXISTS reference_values (\n"
	"  experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,\n"
	"  workload TEXT NOT NULL,\n"
	"  algorithm_name TEXT,\n"
	"  metric TEXT NOT NULL,\n"
	"  param REAL,\n"
	"  value REAL NOT NULL,\n"
	"  approx INTEGER NOT NULL);\n"
	"CREATE TABLE IF NOT EXISTS runs " RUNS_COLUMNS ";\n"
	"CREATE INDEX IF NOT EXISTS runs_point ON runs (experiment_id, point_hash);\n"
	"CREATE TABLE IF NOT EXISTS syncs (\n"
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
	"  idx INTEGER NOT NULL,\n"
	"  time REAL NOT NULL,\n"
	"  interval REAL NOT NULL,\n"
	"  dirtied INTEGER NOT NULL,\n"
	"  d_size INTEGER NOT NULL,\n"
	"  nd_size INTEGER NOT NULL,\n"
	"  sent_d INTEGER NOT NULL,\n"
	"  sent_nd INTEGER NOT NULL,\n"
	"  slots_nd INTEGER NOT NULL,\n"
	"  slots_total INTEGER NOT NULL,\n"
	"  bytes INTEGER NOT NULL,\n"
	"  final INTEGER NOT NULL,\n"
	"  throttle INTEGER,\n"
	"  PRIMARY KEY (run_id, idx)) WITHOUT ROWID;\n"
	/* The traces recorded while real guests were migrated
	 * (`record-trace`), each with where in it the migration started:
	 * what a replay needs. A table of its own (not a column of runs):
	 * a version 3 database written before it existed gets it on its
	 * next writable open, like every table here, without a new
	 * version. */
	"CREATE TABLE IF NOT EXISTS recordings (\n"
	"  run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,\n"
	"  trace TEXT NOT NULL,\n"
	"  start_at REAL NOT NULL);\n"
	"CREATE TABLE IF NOT EXISTS claims (\n"
	"  experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,\n"
	"  param_hash TEXT NOT NULL,\n"
	"  repetition INTEGER NOT NULL,\n"
	"  host TEXT NOT NULL,\n"
	"  pid INTEGER NOT NULL,\n"
	"  token TEXT NOT NULL,\n"
	"  lease_until REAL NOT NULL,\n"
	"  PRIMARY KEY (experiment_id, param_hash, repetition)) WITHOUT ROWID;\n"
	"CREATE INDEX IF NOT EXISTS claims_token ON claims (token);\n"
	"CREATE VIEW IF NOT EXISTS current AS\n"
	"  SELECT e.name AS experiment, r.* FROM runs r\n"
	"  JOIN experiments e ON e.id = r.experiment_id\n"
	"  JOIN current_runs c ON c.experiment_id = r.experiment_id\n"
	"   AND c.param_hash = r.param_hash AND c.repetition = r.repetition;\n";

static const char insert_run_sql[] =
	"INSERT INTO runs (experiment_id, param_hash, point_hash, point_index,"
	" param_key,"
	" repetition,"
	" seed, backend, tool_version, git_commit, finished_at, workload,"
	" workload_label, source_kind, source, placement, static_bytes,"
	" start_at, at_end,"
	" untraced_nonzero, vm_bytes, link_bandwidth, header_bytes,"
	" zero_page_bytes, zero_page_cost, state_bytes, sync_fixed, sync_per_page, verify, algorithm,"
	" algorithm_name, downtime_limit, max_bandwidth, max_iterations,"
	" measured_bandwidth, intervaltime, dirtypercents, firstnondirty,"
	" relaxlivemig, auto_converge, cpu_throttle_initial,"
	" cpu_throttle_increment, max_total_time, status, error, converged,"
	" total_time,"
	" downtime, live_time, setup_time, transferred_bytes, normal_pages,"
	" zero_pages, normal_bytes, pages_sent, downtime_pages,"
	" state_bytes_sent, remaining_bytes, syncs, mbps, vm_pages,"
	" touched_pages, touched_bytes, sent_ratio, metadata_bytes,"
	" peak_rss_bytes, dirty_rate, verified, mismatches, sim_seconds,"
	" wall_seconds, guest_lost, cpu_throttle_percentage,"
	" postcopy_requests, postcopy_wait, postcopy_time, postcopy_ram,"
	" postcopy_after_passes, start_postcopy_at, rtt, replay) VALUES (:experiment_id, :param_hash, :point_hash,"
	" :point_index,"
	" :param_key,"
	" :repetition, :seed, :backend, :tool_version, :git_commit,"
	" strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), :workload, :workload_label,"
	" :source_kind, :source, :placement, :static_bytes,"
	" :start_at, :at_end, :untraced_nonzero,"
	" :vm_bytes, :link_bandwidth, :header_bytes, :zero_page_bytes,"
	" :zero_page_cost, :state_bytes,"
	" :sync_fixed, :sync_per_page, :verify, :algorithm, :algorithm_name,"
	" :downtime_limit, :max_bandwidth, :max_iterations,"
	" :measured_bandwidth, :intervaltime, :dirtypercents, :firstnondirty,"
	" :relaxlivemig, :auto_converge, :cpu_throttle_initial,"
	" :cpu_throttle_increment, :max_total_time, :status, :error, :converged,"
	" :total_time, :downtime, :live_time, :setup_time,"
	" :transferred_bytes, :normal_pages, :zero_pages, :normal_bytes,"
	" :pages_sent, :downtime_pages, :state_bytes_sent, :remaining_bytes,"
	" :syncs, :mbps, :vm_pages, :touched_pages, :touched_bytes,"
	" :sent_ratio, :metadata_bytes, :peak_rss_bytes, :dirty_rate,"
	" :verified, :mismatches, :sim_seconds, :wall_seconds, :guest_lost,"
	" :cpu_throttle_percentage, :postcopy_requests, :postcopy_wait,"
	" :postcopy_time, :postcopy_ram, :postcopy_after_passes,"
	" :start_postcopy_at, :rtt, :replay)"
	/* Another runner that took over a stale claim may have stored it. */
	" ON CONFLICT (experiment_id, param_hash, repetition) DO NOTHING";

static const char insert_sync_sql[] =
	"INSERT INTO syncs (run_id, idx, time, interval, dirtied, d_size,"
	" nd_size, sent_d, sent_nd, slots_nd, slots_total, bytes, final,"
	" throttle) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

static int db_error(expdb *db, char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "results database: %s: %s", what,
		 sqlite3_errmsg(db->h));
	return -1;
}

static int exec(expdb *db, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;
	if (sqlite3_exec(db->h, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	snprintf(err, errlen, "results database: %s", msg ? msg : "?");
	sqlite3_free(msg);
	return -1;
}

int db_schema_version(expdb *db, const char *schema)
{
	char sql[96];
	snprintf(sql, sizeof(sql), "PRAGMA %s.user_version", schema);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL))
		return -1;
	int v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	return v;
}

static int read_version(expdb *db)
{
	return db_schema_version(db, "main");
}

static int wrong_version(int v, char *err, size_t errlen)
{
	snprintf(err, errlen, "results database: schema version %d, this "
		 "mplm-exp knows %d", v, EXP_DB_SCHEMA_VERSION);
	return -1;
}

/* Settings that apply to some runs only are stored as NULL elsewhere, so
 * that a query never averages or groups by a default nobody used (a
 * pre-copy row's dirtypercents). The one rule, used when storing a run and
 * when upgrading a version-1 database: migration settings by algorithm
 * (below); the machine's costs (`machine` in mplm-core's settings table)
 * are the simulator's model, real and not set on backend kvm. A setting's
 * column is its name with '_' for '-'. */
#define ALG(a) (1u << (a))
static const struct {
	enum mplm_setting_id id;
	unsigned algorithms;   /* the algorithms it applies to */
} by_algorithm[] = {
	{ MPLM_SET_DOWNTIME_LIMIT, ALG(MPLM_ALG_PRECOPY) | ALG(MPLM_ALG_MPLM) },
	{ MPLM_SET_MAX_ITERATIONS, ALG(MPLM_ALG_PRECOPY) },
	{ MPLM_SET_INTERVALTIME, ALG(MPLM_ALG_MPLM) },
	{ MPLM_SET_DIRTYPERCENTS, ALG(MPLM_ALG_MPLM) },
	{ MPLM_SET_FIRSTNONDIRTY, ALG(MPLM_ALG_MPLM) },
	{ MPLM_SET_RELAXLIVEMIG, ALG(MPLM_ALG_MPLM) },
	/* QEMU's auto-converge acts at live syncs: none in stop-and-copy. */
	{ MPLM_SET_AUTO_CONVERGE, ALG(MPLM_ALG_PRECOPY) | ALG(MPLM_ALG_MPLM) },
	{ MPLM_SET_CPU_THROTTLE_INITIAL, ALG(MPLM_ALG_PRECOPY) | ALG(MPLM_ALG_MPLM) },
	{ MPLM_SET_CPU_THROTTLE_INCREMENT, ALG(MPLM_ALG_PRECOPY) | ALG(MPLM_ALG_MPLM) },
	/* mplm-core refuses post-copy with MPLM and stop-and-copy. */
	{ MPLM_SET_POSTCOPY_RAM, ALG(MPLM_ALG_PRECOPY) },
	{ MPLM_SET_POSTCOPY_AFTER_PASSES, ALG(MPLM_ALG_PRECOPY) },
	{ MPLM_SET_START_POSTCOPY_AT, ALG(MPLM_ALG_PRECOPY) },
};

/* The simulator's cost model: not set on backend kvm, where the costs are
 * real. The link's speed is one too, but kvmlite emulates it. */
static bool modelled_cost(enum mplm_setting_id id)
{
	return mplm_setting_get(id)->machine && id != MPLM_SET_BANDWIDTH;
}

static bool setting_applies(enum mplm_setting_id id,
			    const struct mplm_params *p, bool modelled)
{
	/* The throttle's steps, only when auto-converge is on; the switch's
	 * settings and the fault's round trip, only with post-copy. */
	if ((id == MPLM_SET_CPU_THROTTLE_INITIAL ||
	     id == MPLM_SET_CPU_THROTTLE_INCREMENT) && !p->auto_converge)
		return false;
	if ((id == MPLM_SET_POSTCOPY_AFTER_PASSES ||
	     id == MPLM_SET_START_POSTCOPY_AT || id == MPLM_SET_RTT) &&
	    !p->postcopy_ram)
		return false;
	if (modelled_cost(id))
		return modelled;
	enum mplm_algorithm alg = p->algorithm;
	for (size_t i = 0; i < sizeof(by_algorithm) / sizeof(by_algorithm[0]); i++)
		if (by_algorithm[i].id == id)
			return by_algorithm[i].algorithms & ALG(alg);
	return true;
}

/* Columns named otherwise than their setting (their names in version 1). */
static const struct {
	enum mplm_setting_id id;
	const char *column;
} renamed[] = {
	{ MPLM_SET_MEMORY, "vm_bytes" },
	{ MPLM_SET_BANDWIDTH, "link_bandwidth" },
};

bool db_setting_column(enum mplm_setting_id id, char *buf, size_t len)
{
	const struct mplm_setting *s = mplm_setting_get(id);
	snprintf(buf, len, "%s", s->name);
	for (char *p = buf; *p; p++)
		if (*p == '-')
			*p = '_';
	for (size_t i = 0; i < sizeof(renamed) / sizeof(renamed[0]); i++)
		if (renamed[i].id == id)
			snprintf(buf, len, "%s", renamed[i].column);
	char pattern[80];
	snprintf(pattern, sizeof(pattern), "\n  %s ", buf);
	return strstr(RUNS_DECLARATION, pattern) != NULL;
}

/* The column of a setting that may be NULL; false if none. */
static bool nullable_column(enum mplm_setting_id id, char *buf, size_t len)
{
	bool nullable = modelled_cost(id) || id == MPLM_SET_START_POSTCOPY_AT;
	for (size_t i = 0; i < sizeof(by_algorithm) / sizeof(by_algorithm[0]); i++)
		nullable |= by_algorithm[i].id == id;
	return nullable && db_setting_column(id, buf, len);
}

/* Version 1 stored every setting in every row: rebuild runs without the
 * NOT NULLs, then clear what does not apply. Foreign keys are off (db_open
 * turns them on afterwards), so dropping the old table keeps the syncs. */
static int upgrade_from_1(expdb *db, char *err, size_t errlen)
{
	/* Version 1's columns, by name (version 2 added some). */
	char cols[4096] = "";
	size_t n = 0;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->h, "SELECT name FROM pragma_table_info('runs')",
			       -1, &st, NULL) != SQLITE_OK)
		return db_error(db, err, errlen, "upgrade");
	while (sqlite3_step(st) == SQLITE_ROW && n < sizeof(cols))
		n += (size_t)snprintf(cols + n, sizeof(cols) - n, "%s%s",
				      n ? ", " : "", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	char *sql = sqlite3_mprintf("DROP VIEW IF EXISTS current;"
		" CREATE TABLE runs_v2 " RUNS_COLUMNS ";"
		" INSERT INTO runs_v2 (%s) SELECT %s FROM runs;"
		" DROP TABLE runs;"
		" ALTER TABLE runs_v2 RENAME TO runs;"
		" ALTER TABLE syncs ADD COLUMN throttle INTEGER;", cols, cols);
	int rc = exec(db, sql, err, errlen);
	sqlite3_free(sql);
	if (rc)
		return -1;
	static const enum mplm_algorithm algs[] = {
		MPLM_ALG_PRECOPY, MPLM_ALG_MPLM, MPLM_ALG_STOPCOPY };
	size_t nb;
	const struct backend *const *b = backend_all(&nb);
	for (int id = 0; id < MPLM_SET_COUNT; id++)
		for (size_t a = 0; a < 3; a++)
			for (size_t k = 0; k < nb; k++) {
				char col[64], upd[256];
				if (!nullable_column(id, col, sizeof(col)) ||
				    setting_applies(id, &(struct mplm_params){
						    .algorithm = algs[a],
						    .auto_converge = true },
						    b[k]->modelled_costs))
					continue;
				snprintf(upd, sizeof(upd), "UPDATE runs SET %s = "
					 "NULL WHERE algorithm = '%s' AND "
					 "backend = '%s'", col,
					 mplm_algorithm_name(algs[a]), b[k]->name);
				if (exec(db, upd, err, errlen))
					return -1;
			}
	return 0;
}

/* Does runs have this column? */
static bool has_column(expdb *db, const char *name, size_t len)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->h, "SELECT 1 FROM pragma_table_info('runs')"
			       " WHERE name = ?", -1, &st, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(st, 1, name, (int)len, SQLITE_STATIC);
	bool found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

/* Version 2 lacks version 3's results (guest_lost, the final throttle,
 * the post-copy figures): each column of RUNS_COLUMNS that runs does not
 * have is added as declared there, NULL in the rows stored before (not
 * measured then). The view over runs.* is made again by the schema. */
static int add_missing_columns(expdb *db, char *err, size_t errlen)
{
	if (exec(db, "DROP VIEW IF EXISTS current;", err, errlen))
		return -1;
	for (const char *line = strchr(RUNS_DECLARATION, '\n'); line;
	     line = strchr(line + 1, '\n')) {
		const char *name = line + 3;   /* "\n  name TYPE...,": a column */
		size_t len = strcspn(name, " ");
		size_t decl = strcspn(name, ",\n");
		if (line[1] != ' ' || !strncmp(name, "UNIQUE", 6) ||
		    has_column(db, name, len))
			continue;
		char *sql = sqlite3_mprintf("ALTER TABLE runs ADD COLUMN %.*s;",
					    (int)decl, name);
		int rc = exec(db, sql, err, errlen);
		sqlite3_free(sql);
		if (rc)
			return -1;
	}
	return 0;
}

/* Inside the opening transaction: a new database gets the schema, an old
 * one is upgraded, another version is refused. */
static int check_version(expdb *db, char *err, size_t errlen)
{
	int v = read_version(db);
	if (v < 0)
		return db_error(db, err, errlen, "user_version");
	if (v > EXP_DB_SCHEMA_VERSION)
		return wrong_version(v, err, errlen);
	/* Version 1's rebuilt runs has every column already; version 2's
	 * gets the columns it lacks. */
	if (v == 1 && upgrade_from_1(db, err, errlen))
		return -1;
	else if (v == 2 && add_missing_columns(db, err, errlen))
		return -1;
	if (exec(db, schema, err, errlen))
		return -1;
	char sql[64];
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
		 EXP_DB_SCHEMA_VERSION);
	return v == EXP_DB_SCHEMA_VERSION ? 0 : exec(db, sql, err, errlen);
}

static int prepare(expdb *db, const char *sql, sqlite3_stmt **st, char *err,
		   size_t errlen)
{
	if (sqlite3_prepare_v2(db->h, sql, -1, st, NULL) != SQLITE_OK)
		return db_error(db, err, errlen, "prepare");
	return 0;
}

/* The database's directory, made if missing (results/ on a fresh tree). */
static void make_parent_dir(const char *path)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return;
	*slash = '\0';
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(dir, 0777);
		*p = '/';
	}
	mkdir(dir, 0777);
}

/* A busy database is waited for, not reported: several runners share one
 * (a run's transaction is short, but a loaded machine can stall one). */
#define BUSY_TIMEOUT_MS 60000

static expdb *open_handle(const char *path, int flags, char *err,
			  size_t errlen)
{
	expdb *db = calloc(1, sizeof(*db));
	if (!db) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (sqlite3_open_v2(path, &db->h, flags | SQLITE_OPEN_URI, NULL) !=
	    SQLITE_OK) {
		db_error(db, err, errlen, "open");
		db_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db->h, BUSY_TIMEOUT_MS);
	return db;
}

expdb *db_open(const char *path, char *err, size_t errlen)
{
	if (strncmp(path, "file:", 5))
		make_parent_dir(path);
	expdb *db = open_handle(path, SQLITE_OPEN_READWRITE |
				SQLITE_OPEN_CREATE, err, errlen);
	if (!db)
		return NULL;
	/* WAL + NORMAL: a committed run survives the process being killed.
	 * Foreign keys go on after the schema check (an upgrade rebuilds
	 * runs under the syncs' feet). */
	if (exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
		 err, errlen) ||
	    exec(db, "BEGIN IMMEDIATE", err, errlen)) {
		db_close(db);
		return NULL;
	}
	if (check_version(db, err, errlen) ||
	    exec(db, "COMMIT; PRAGMA foreign_keys = ON;", err, errlen)) {
		db_close(db);
		return NULL;
	}
	if (prepare(db, "SELECT status FROM runs WHERE experiment_id = ? AND "
		    "param_hash = ? AND repetition = ?", &db->lookup, err,
		    errlen) ||
	    prepare(db, "DELETE FROM runs WHERE experiment_id = ? AND "
		    "param_hash = ? AND repetition = ?", &db->delete_run, err,
		    errlen) ||
	    prepare(db, "DELETE FROM claims WHERE experiment_id = ? AND "
		    "param_hash = ? AND repetition = ?", &db->delete_claim, err,
		    errlen) ||
	    prepare(db, insert_run_sql, &db->insert_run, err, errlen) ||
	    prepare(db, insert_sync_sql, &db->insert_sync, err, errlen) ||
	    prepare(db, "INSERT INTO recordings VALUES (?, ?, ?)",
		    &db->insert_recording, err, errlen)) {
		db_close(db);
		return NULL;
	}
	return db;
}

void db_uri(const char *path, const char *query, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "file:");
	for (; *path && n + 4 < len; path++)
		n += strchr("?#%", *path)
			     ? (size_t)snprintf(buf + n, len - n, "%%%02X",
						(unsigned char)*path)
			     : (size_t)snprintf(buf + n, len - n, "%c", *path);
	snprintf(buf + n, len - n, "?%s", query);
}

expdb *db_open_read_only(const char *path, char *err, size_t errlen)
{
	bool is_uri = !strncmp(path, "file:", 5);
	if (!is_uri && access(path, F_OK) != 0) {
		snprintf(err, errlen, "results database: %s", strerror(errno));
		return NULL;
	}
	expdb *db = open_handle(path, SQLITE_OPEN_READONLY, err, errlen);
	if (db && read_version(db) < 0 && !is_uri) {
		/* A folder nobody may write: SQLite cannot make the WAL
		 * index a reader needs, so read the file as it is. */
		char uri[4200];
		db_uri(path, "immutable=1", uri, sizeof(uri));
		db_close(db);
		db = open_handle(uri, SQLITE_OPEN_READONLY, err, errlen);
	}
	if (db && read_version(db) < 0) {
		db_error(db, err, errlen, "reading");
		db_close(db);
		return NULL;
	}
	return db;
}

expdb *db_open_read(const char *path, char *err, size_t errlen)
{
	expdb *db = db_open_read_only(path, err, errlen);
	if (!db)
		return NULL;
	int v = read_version(db);
	if (v == EXP_DB_SCHEMA_VERSION)
		return db;
	db_close(db);
	/* An older database is upgraded when it may be written. */
	if (v >= 1 && v < EXP_DB_SCHEMA_VERSION && strncmp(path, "file:", 5) && access(path, W_OK) == 0)
		return db_open(path, err, errlen);
	if (v == 0)
		snprintf(err, errlen, "results database: empty (no mplm-exp "
			 "schema)");
	else
		wrong_version(v, err, errlen);
	return NULL;
}

void db_close(expdb *db)
{
	if (!db)
		return;
	sqlite3_finalize(db->lookup);
	sqlite3_finalize(db->delete_run);
	sqlite3_finalize(db->delete_claim);
	sqlite3_finalize(db->insert_run);
	sqlite3_finalize(db->insert_sync);
	sqlite3_finalize(db->insert_recording);
	sqlite3_close(db->h);
	free(db);
}

sqlite3 *db_handle(expdb *db) { return db->h; }

int64_t db_experiment_id(expdb *db, const char *name)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->h, "SELECT id FROM experiments WHERE name = ?",
			       -1, &st, NULL))
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int64_t id = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0)
						   : -1;
	sqlite3_finalize(st);
	return id;
}

static int upsert_experiment(expdb *db, const struct experiment *e,
			     size_t nruns, int64_t *id, char *err,
			     size_t errlen)
{
	sqlite3_stmt *st;
	if (prepare(db,
		    "INSERT INTO experiments (name, file, description, figure,"
		    " backend, repetitions, runs_defined, config, tool_version,"
		    " git_commit, created_at, updated_at) VALUES (?, ?, ?, ?, ?,"
		    " ?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'),"
		    " strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))"
		    " ON CONFLICT (name) DO UPDATE SET file = excluded.file,"
		    " description = excluded.description,"
		    " figure = excluded.figure, backend = excluded.backend,"
		    " repetitions = excluded.repetitions,"
		    " runs_defined = excluded.runs_defined,"
		    " config = excluded.config,"
		    " tool_version = excluded.tool_version,"
		    " git_commit = excluded.git_commit,"
		    " updated_at = excluded.updated_at", &st, err, errlen))
		return -1;
	sqlite3_bind_text(st, 1, e->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, e->file, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, e->description, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, e->figure, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, e->backend->name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, (int)e->repetitions);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)nruns);
	sqlite3_bind_text(st, 8, e->text ? e->text : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, MPLM_VERSION, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, mplm_git_commit(), -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_error(db, err, errlen, "experiment row");
	*id = db_experiment_id(db, e->name);
	return *id < 0 ? db_error(db, err, errlen, "experiment id") : 0;
}

/* Forget an experiment's rows of one table (its definition is rewritten). */
static int delete_experiment_rows(expdb *db, int64_t id, const char *table,
				  char *err, size_t errlen)
{
	char sql[128];
	sqlite3_stmt *del;
	snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE experiment_id = ?", table);
	if (prepare(db, sql, &del, err, errlen))
		return -1;
	sqlite3_bind_int64(del, 1, id);
	int rc = sqlite3_step(del);
	sqlite3_finalize(del);
	return rc == SQLITE_DONE ? 0 : db_error(db, err, errlen, table);
}

static int record_current_runs(expdb *db, int64_t id, const struct exp_runs *runs,
			       char *err, size_t errlen)
{
	sqlite3_stmt *ins;
	if (delete_experiment_rows(db, id, "current_runs", err, errlen))
		return -1;
	if (prepare(db, "INSERT OR IGNORE INTO current_runs VALUES (?, ?, ?)",
		    &ins, err, errlen))
		return -1;
	for (size_t i = 0; i < runs->n; i++) {
		sqlite3_reset(ins);
		sqlite3_bind_int64(ins, 1, id);
		sqlite3_bind_text(ins, 2, runs->v[i].hash, -1, SQLITE_STATIC);
		sqlite3_bind_int(ins, 3, (int)runs->v[i].repetition);
		if (sqlite3_step(ins) != SQLITE_DONE) {
			sqlite3_finalize(ins);
			return db_error(db, err, errlen, "current runs");
		}
	}
	sqlite3_finalize(ins);
	return 0;
}

static int record_references(expdb *db, int64_t id, const struct experiment *e,
			     char *err, size_t errlen)
{
	sqlite3_stmt *ins;
	if (delete_experiment_rows(db, id, "reference_values", err, errlen))
		return -1;
	if (prepare(db, "INSERT INTO reference_values VALUES (?, ?, ?, ?, ?, ?, ?)",
		    &ins, err, errlen))
		return -1;
	for (size_t i = 0; i < e->nreferences; i++) {
		const struct exp_reference *r = &e->references[i];
		sqlite3_reset(ins);
		sqlite3_bind_int64(ins, 1, id);
		sqlite3_bind_text(ins, 2, r->workload, -1, SQLITE_STATIC);
		if (r->algorithm)
			sqlite3_bind_text(ins, 3, r->algorithm, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(ins, 3);
		sqlite3_bind_text(ins, 4, r->metric, -1, SQLITE_STATIC);
		if (isnan(r->param))
			sqlite3_bind_null(ins, 5);
		else
			sqlite3_bind_double(ins, 5, r->param);
		sqlite3_bind_double(ins, 6, r->value);
		sqlite3_bind_int(ins, 7, r->approx);
		if (sqlite3_step(ins) != SQLITE_DONE) {
			sqlite3_finalize(ins);
			return db_error(db, err, errlen, "reference values");
		}
	}
	sqlite3_finalize(ins);
	return 0;
}

int db_begin_experiment(expdb *db, const struct experiment *e,
			const struct exp_runs *runs, int64_t *id, char *err,
			size_t errlen)
{
	if (exec(db, "BEGIN IMMEDIATE", err, errlen))
		return -1;
	if (upsert_experiment(db, e, runs->n, id, err, errlen) ||
	    record_current_runs(db, *id, runs, err, errlen) ||
	    record_references(db, *id, e, err, errlen)) {
		exec(db, "ROLLBACK", err + strlen(err), 0);
		return -1;
	}
	return exec(db, "COMMIT", err, errlen);
}

static void bind_key(sqlite3_stmt *st, int64_t exp_id, const struct exp_run *r)
{
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, exp_id);
	sqlite3_bind_text(st, 2, r->hash, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, (int)r->repetition);
}

int db_run_stored(expdb *db, int64_t exp_id, const struct exp_run *r,
		  bool *stored, bool *failed)
{
	bind_key(db->lookup, exp_id, r);
	int rc = sqlite3_step(db->lookup);
	*stored = rc == SQLITE_ROW;
	*failed = *stored && !strcmp((const char *)sqlite3_column_text(
					     db->lookup, 0), "failed");
	sqlite3_reset(db->lookup);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int db_delete_run(expdb *db, int64_t exp_id, const struct exp_run *r)
{
	bind_key(db->delete_run, exp_id, r);
	int rc = sqlite3_step(db->delete_run);
	sqlite3_reset(db->delete_run);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Named-parameter binding: the column names say what goes where. */
static void bind_d(sqlite3_stmt *st, const char *name, double v)
{
	int i = sqlite3_bind_parameter_index(st, name);
	if (isfinite(v))
		sqlite3_bind_double(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

static void bind_i(sqlite3_stmt *st, const char *name, int64_t v)
{
	sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, name), v);
}

static void bind_t(sqlite3_stmt *st, const char *name, const char *v)
{
	int i = sqlite3_bind_parameter_index(st, name);
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static void bind_parameters(sqlite3_stmt *st, int64_t exp_id,
			    const struct experiment *e, const struct exp_run *r)
{
	const struct sim_config *c = &r->cfg;
	const struct mplm_params *p = &c->params;
	bind_i(st, ":experiment_id", exp_id);
	bind_t(st, ":param_hash", r->hash);
	bind_t(st, ":point_hash", r->point_hash);
	bind_i(st, ":point_index", r->point_index);
	bind_t(st, ":param_key", r->key);
	bind_i(st, ":repetition", r->repetition);
	bind_i(st, ":seed", (int64_t)r->seed);
	bind_t(st, ":backend", e->backend->name);
	bind_t(st, ":tool_version", MPLM_VERSION);
	bind_t(st, ":git_commit", mplm_git_commit());
	bind_t(st, ":workload", r->workload->name);
	bind_t(st, ":workload_label", r->workload->label);
	const struct exp_workload *w = r->workload;
	bind_t(st, ":source_kind", w->spec ? "generator" : "trace");
	bind_t(st, ":source", w->spec ? r->spec : w->trace_path);
	bind_t(st, ":placement", w->placement == 1 ? "top" : "bottom");
	bind_i(st, ":static_bytes",
	       w->static_bytes > 0 ? (int64_t)w->static_bytes : 0);
	bind_d(st, ":start_at", c->start_at);
	bind_t(st, ":at_end", c->at_end == SIM_END_LOOP ? "loop" : "idle");
	bind_i(st, ":untraced_nonzero", c->untraced_nonzero);
	bind_i(st, ":vm_bytes", (int64_t)c->vm_bytes);
	bind_d(st, ":link_bandwidth", c->link_bandwidth);
	bind_i(st, ":header_bytes", c->header_bytes);
	bind_i(st, ":zero_page_bytes", sim_zero_page_bytes(c));
	bind_d(st, ":zero_page_cost", c->zero_page_cost);
	bind_i(st, ":state_bytes", (int64_t)c->state_bytes);
	bind_d(st, ":sync_fixed", c->sync_fixed);
	bind_d(st, ":sync_per_page", c->sync_per_page);
	bind_i(st, ":verify", c->verify);
	bind_t(st, ":algorithm", mplm_algorithm_name(p->algorithm));
	bind_t(st, ":algorithm_name", r->alg->name);
	bind_d(st, ":downtime_limit", p->downtime_limit);
	bind_d(st, ":max_bandwidth", p->max_bandwidth);
	bind_i(st, ":max_iterations", p->max_iterations);
	/* threshold-bandwidth, in version 2's column: 1 = measured. (The
	 * MPLM variant is in param_key only.) */
	if (p->algorithm == MPLM_ALG_STOPCOPY)
		sqlite3_bind_null(st, sqlite3_bind_parameter_index(st, ":measured_bandwidth"));
	else
		bind_i(st, ":measured_bandwidth",
		       p->threshold_bandwidth == MPLM_THRESHOLD_MEASURED);
	bind_d(st, ":intervaltime", p->intervaltime);
	bind_i(st, ":dirtypercents", p->dirtypercents);
	bind_i(st, ":firstnondirty", p->firstnondirty);
	bind_i(st, ":relaxlivemig", p->relaxlivemig);
	bind_i(st, ":auto_converge", p->auto_converge);
	bind_i(st, ":cpu_throttle_initial", p->cpu_throttle_initial);
	bind_i(st, ":cpu_throttle_increment", p->cpu_throttle_increment);
	bind_d(st, ":max_total_time", p->max_total_time);
	bind_i(st, ":postcopy_ram", p->postcopy_ram);
	bind_i(st, ":postcopy_after_passes", p->postcopy_after_passes);
	/* < 0: no operator command (NULL). */
	bind_d(st, ":start_postcopy_at",
	       c->start_postcopy_at >= 0 ? c->start_postcopy_at : NAN);
	bind_d(st, ":rtt", c->rtt);
	/* The simulator's: a real guest's writes land when they happen. */
	if (e->backend->replays_traces) {
		char replay[32];
		mplm_setting_format(mplm_setting_get(MPLM_SET_REPLAY),
				    (double)c->replay, replay, sizeof(replay));
		bind_t(st, ":replay", replay);
	}
	for (int id = 0; id < MPLM_SET_COUNT; id++) {
		char name[64] = ":";
		if (nullable_column(id, name + 1, sizeof(name) - 1) &&
		    !setting_applies(id, p,
				     e->backend->modelled_costs))
			sqlite3_bind_null(st, sqlite3_bind_parameter_index(st, name));
	}
}

/* The throttle auto-converge had reached when the live stage ended: the
 * last one in force (it only rises during a migration). QEMU's
 * query-migrate shows 0 after completion (cpu_throttle_stop), so the
 * stats' final value would say nothing; the per-sync records keep it.
 * NULL without auto-converge. */
static void bind_throttle(sqlite3_stmt *st, const struct exp_run *r,
			  const struct sim_result *res)
{
	int i = sqlite3_bind_parameter_index(st, ":cpu_throttle_percentage");
	if (!r->cfg.params.auto_converge) {
		sqlite3_bind_null(st, i);
		return;
	}
	unsigned pct = 0;
	for (size_t k = 0; k < res->nsyncs; k++)
		if (res->syncs[k].throttle > pct)
			pct = res->syncs[k].throttle;
	sqlite3_bind_int(st, i, (int)pct);
}

/* Post-copy's figures (QEMU's postcopy-requests; the guest's wait on
 * remote faults; the degradation window), NULL for runs without
 * post-copy, and for post-copy runs that never switched (pre-copy
 * converged first, or the cap came first): they had no post-copy. */
static void bind_postcopy(sqlite3_stmt *st, const struct exp_run *r,
			  const struct sim_result *res)
{
	const struct mplm_stats *s = &res->stats;
	if (!r->cfg.params.postcopy_ram || s->verdict != MPLM_VERDICT_POSTCOPY)
		return;   /* cleared bindings: NULL */
	bind_i(st, ":postcopy_requests", (int64_t)s->postcopy_requests);
	bind_d(st, ":postcopy_wait", s->postcopy_wait);
	bind_d(st, ":postcopy_time", s->postcopy_time);
}

/* A run that reached an end state (completed or not converged). */
static void bind_results(sqlite3_stmt *st, const struct exp_run *r,
			 const struct run_outcome *o)
{
	const struct sim_result *res = &o->res;
	const struct mplm_stats *s = &res->stats;
	bool converged = s->status == MPLM_STATUS_COMPLETED;
	uint64_t page_size = res->vm_pages ? s->total / res->vm_pages : 4096;
	bind_t(st, ":status", mplm_status_name(s->status));
	bind_i(st, ":converged", converged);
	bind_d(st, ":total_time", s->total_time);
	/* A migration cut off by the cap never had a downtime. */
	bind_d(st, ":downtime", converged ? s->downtime : NAN);
	bind_d(st, ":live_time", s->live_time);
	bind_d(st, ":setup_time", s->setup_time);
	bind_i(st, ":transferred_bytes", (int64_t)s->transferred);
	bind_i(st, ":normal_pages", (int64_t)s->normal);
	bind_i(st, ":zero_pages", (int64_t)s->duplicate);
	bind_i(st, ":normal_bytes", (int64_t)s->normal_bytes);
	bind_i(st, ":pages_sent", (int64_t)s->pages_sent);
	bind_i(st, ":downtime_pages", (int64_t)s->downtime_pages);
	bind_i(st, ":state_bytes_sent", (int64_t)s->state_bytes);
	bind_i(st, ":remaining_bytes", (int64_t)s->remaining);
	bind_i(st, ":syncs", (int64_t)s->dirty_sync_count);
	bind_d(st, ":mbps", s->mbps);
	bind_i(st, ":vm_pages", (int64_t)res->vm_pages);
	bind_i(st, ":touched_pages", (int64_t)res->touched_pages);
	bind_i(st, ":touched_bytes", (int64_t)(res->touched_pages * page_size));
	bind_d(st, ":sent_ratio", s->total ? (double)s->transferred /
					     (double)s->total : NAN);
	bind_i(st, ":metadata_bytes", (int64_t)s->metadata_bytes);
	bind_d(st, ":dirty_rate", res->trace_rate);
	bind_i(st, ":verified", res->verified);
	bind_i(st, ":mismatches", (int64_t)res->mismatches);
	bind_d(st, ":sim_seconds", res->wall_seconds);
	bind_d(st, ":guest_lost", res->guest_lost);
	bind_throttle(st, r, res);
	bind_postcopy(st, r, res);
}

static int insert_syncs(expdb *db, int64_t run_id, const struct sim_result *res)
{
	sqlite3_stmt *st = db->insert_sync;
	for (size_t i = 0; i < res->nsyncs; i++) {
		const struct mplm_sync_record *s = &res->syncs[i];
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, run_id);
		sqlite3_bind_int64(st, 2, s->index);
		sqlite3_bind_double(st, 3, s->time);
		sqlite3_bind_double(st, 4, s->interval);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)s->dirtied);
		sqlite3_bind_int64(st, 6, (sqlite3_int64)s->d_size);
		sqlite3_bind_int64(st, 7, (sqlite3_int64)s->nd_size);
		sqlite3_bind_int64(st, 8, (sqlite3_int64)s->sent_d);
		sqlite3_bind_int64(st, 9, (sqlite3_int64)s->sent_nd);
		sqlite3_bind_int64(st, 10, (sqlite3_int64)s->slots_nd);
		sqlite3_bind_int64(st, 11, (sqlite3_int64)s->slots_total);
		sqlite3_bind_int64(st, 12, (sqlite3_int64)s->bytes);
		sqlite3_bind_int(st, 13, s->final);
		sqlite3_bind_int(st, 14, (int)s->throttle);
		if (sqlite3_step(st) != SQLITE_DONE)
			return -1;
	}
	return 0;
}

static void failure_text(const struct run_outcome *o, char *buf, size_t len)
{
	if (o->res.error[0])
		snprintf(buf, len, "%s", o->res.error);
	else if (o->stats_error[0])
		snprintf(buf, len, "%s", o->stats_error);
	else
		snprintf(buf, len, "failed without a message");
}

static int insert_recording(expdb *db, int64_t run_id, const char *trace,
			    double start_at)
{
	sqlite3_stmt *st = db->insert_recording;
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_text(st, 2, trace, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 3, start_at);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int db_store_run(expdb *db, int64_t exp_id, const struct experiment *e,
		 const struct exp_run *r, const struct run_outcome *o,
		 char *err, size_t errlen)
{
	sqlite3_stmt *st = db->insert_run;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	bind_parameters(st, exp_id, e, r);
	bind_i(st, ":peak_rss_bytes", (int64_t)o->peak_rss_bytes);
	bind_d(st, ":wall_seconds", o->wall_seconds);
	if (o->rc == 0) {
		bind_results(st, r, o);
	} else {
		/* Failed: parameters and the reason, no results. */
		char why[600];
		failure_text(o, why, sizeof(why));
		bind_t(st, ":status", "failed");
		bind_t(st, ":error", why);
		bind_i(st, ":converged", 0);
	}
	if (exec(db, "BEGIN IMMEDIATE", err, errlen))
		return -1;
	if (sqlite3_step(st) != SQLITE_DONE) {
		db_error(db, err, errlen, "storing a run");
		sqlite3_reset(st);
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	bool inserted = sqlite3_changes(db->h) == 1;
	int64_t run_id = sqlite3_last_insert_rowid(db->h);
	sqlite3_reset(st);
	if (inserted && o->rc == 0 && insert_syncs(db, run_id, &o->res) < 0) {
		db_error(db, err, errlen, "storing syncs");
		sqlite3_reset(db->insert_sync);
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	sqlite3_reset(db->insert_sync);
	if (inserted && o->rc == 0 && r->record_path &&
	    insert_recording(db, run_id, r->record_path,
			     o->res.record_start_at) < 0) {
		db_error(db, err, errlen, "storing the recording");
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	/* The run is stored: its claim (ours, or a stale one) goes with it. */
	bind_key(db->delete_claim, exp_id, r);
	int rc = sqlite3_step(db->delete_claim);
	sqlite3_reset(db->delete_claim);
	if (rc != SQLITE_DONE) {
		db_error(db, err, errlen, "releasing the claim");
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	if (exec(db, "COMMIT", err, errlen))
		return -1;
	return inserted ? 0 : 1;
}
