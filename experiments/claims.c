/*
 * claims.c - runners divide the runs through the claims table (see
 * claims.h and SCHEMA.md).
 */
#include "claims.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A token tells this runner from an earlier one that had the same pid. */
static void random_token(char *buf, size_t len)
{
	uint64_t x = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, &x, sizeof(x)) != (ssize_t)sizeof(x))
		x = (uint64_t)getpid() * 0x9e3779b97f4a7c15u ^
		    (uint64_t)(wall_now() * 1e9);
	if (fd >= 0)
		close(fd);
	snprintf(buf, len, "%016llx", (unsigned long long)x);
}

static int sql_fail(struct claims *c, const char *what, char *err,
		    size_t errlen)
{
	sqlite3 *h = db_handle(c->db);
	snprintf(err, errlen, "results database: %s: %s", what,
		 sqlite3_errmsg(h));
	if (!sqlite3_get_autocommit(h))
		sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int claims_init(struct claims *c, expdb *db, int64_t exp_id,
		const struct exp_runs *runs, const size_t *cand, size_t ncand,
		char *err, size_t errlen)
{
	*c = (struct claims){ .db = db, .exp_id = exp_id, .runs = runs,
			      .cand = cand, .ncand = ncand, .pid = getpid(),
			      .last_renew = wall_now() };
	c->state = calloc(runs->n ? runs->n : 1, sizeof(*c->state));
	c->held = calloc(ncand ? ncand : 1, sizeof(*c->held));
	if (!c->state || !c->held) {
		snprintf(err, errlen, "out of memory");
		claims_free(c);
		return -1;
	}
	if (gethostname(c->host, sizeof(c->host)) < 0)
		snprintf(c->host, sizeof(c->host), "unknown");
	c->host[sizeof(c->host) - 1] = '\0';
	random_token(c->token, sizeof(c->token));
	return 0;
}

void claims_free(struct claims *c)
{
	free(c->state);
	free(c->held);
	c->state = NULL;
	c->held = NULL;
}

/* What the database says about one run. */
enum run_status { RUN_FREE, RUN_STORED, RUN_HELD, RUN_STALE };

static bool owner_alive(const char *host, long pid, const char *my_host)
{
	if (strcmp(host, my_host))
		return true;   /* another host: only its lease tells */
	return kill((pid_t)pid, 0) == 0 || errno != ESRCH;
}

static int look_up(struct claims *c, size_t run, enum run_status *out)
{
	static const char sql[] =
		"SELECT (SELECT 1 FROM runs WHERE experiment_id = ?1 AND"
		" param_hash = ?2 AND repetition = ?3),"
		" host, pid, lease_until FROM (SELECT 1) LEFT JOIN claims ON"
		" experiment_id = ?1 AND param_hash = ?2 AND repetition = ?3";
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db_handle(c->db), sql, -1, &st, NULL))
		return -1;
	const struct exp_run *r = &c->runs->v[run];
	sqlite3_bind_int64(st, 1, c->exp_id);
	sqlite3_bind_text(st, 2, r->hash, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, (int)r->repetition);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *host = (const char *)sqlite3_column_text(st, 1);
		if (sqlite3_column_type(st, 0) != SQLITE_NULL)
			*out = RUN_STORED;
		else if (!host)
			*out = RUN_FREE;
		else if (sqlite3_column_double(st, 3) < wall_now() ||
			 !owner_alive(host, sqlite3_column_int64(st, 2), c->host))
			*out = RUN_STALE;
		else
			*out = RUN_HELD;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

static int write_claim(struct claims *c, size_t run)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db_handle(c->db),
			       "INSERT OR REPLACE INTO claims VALUES"
			       " (?, ?, ?, ?, ?, ?, ?)", -1, &st, NULL))
		return -1;
	const struct exp_run *r = &c->runs->v[run];
	sqlite3_bind_int64(st, 1, c->exp_id);
	sqlite3_bind_text(st, 2, r->hash, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, (int)r->repetition);
	sqlite3_bind_text(st, 4, c->host, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, c->pid);
	sqlite3_bind_text(st, 6, c->token, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 7, wall_now() + CLAIM_LEASE_SECONDS);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Decide about one run inside the transaction: 1 claimed, 0 not. */
static int consider(struct claims *c, size_t run)
{
	enum run_status s;
	if (look_up(c, run, &s) < 0)
		return -1;
	switch (s) {
	case RUN_STORED:
		c->state[run] = CLAIM_DONE;
		c->done_by_others++;
		return 0;
	case RUN_HELD:
		c->state[run] = CLAIM_HELD;
		return 0;
	default:
		if (write_claim(c, run) < 0)
			return -1;
		c->state[run] = CLAIM_MINE;
		return 1;
	}
}

/* Runs held by others first (their owner may have died), then new ones. */
static long take_locked(struct claims *c, bool *waiting)
{
	size_t keep = 0;
	long got = -1;
	for (size_t i = 0; i < c->nheld; i++) {
		size_t run = c->held[i];
		int r = got < 0 ? consider(c, run) : 0;
		if (r < 0)
			return -2;
		if (r == 1)
			got = (long)run;
		if (c->state[run] == CLAIM_HELD)
			c->held[keep++] = run;
	}
	c->nheld = keep;
	while (got < 0 && c->cursor < c->ncand) {
		size_t run = c->cand[c->cursor++];
		int r = consider(c, run);
		if (r < 0)
			return -2;
		if (r == 1)
			got = (long)run;
		else if (c->state[run] == CLAIM_HELD)
			c->held[c->nheld++] = run;
	}
	*waiting = c->nheld > 0;
	return got;
}

long claims_take(struct claims *c, bool *waiting, char *err, size_t errlen)
{
	sqlite3 *h = db_handle(c->db);
	*waiting = false;
	if (c->cursor == c->ncand && !c->nheld)
		return -1;
	long got = -2;
	if (sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK) {
		got = take_locked(c, waiting);
		if (got != -2 &&
		    sqlite3_exec(h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			got = -2;
	}
	if (got == -2)
		sql_fail(c, "claiming a run", err, errlen);
	return got;
}

static int exec_mine(struct claims *c, const char *sql, double lease)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db_handle(c->db), sql, -1, &st, NULL))
		return -1;
	sqlite3_bind_text(st, 1, c->token, -1, SQLITE_STATIC);
	if (sqlite3_bind_parameter_count(st) > 1)
		sqlite3_bind_double(st, 2, lease);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int claims_renew(struct claims *c, char *err, size_t errlen)
{
	double now = wall_now();
	if (now - c->last_renew < CLAIM_LEASE_SECONDS / 4)
		return 0;
	c->last_renew = now;
	if (exec_mine(c, "UPDATE claims SET lease_until = ?2 WHERE token = ?1",
		      now + CLAIM_LEASE_SECONDS) < 0)
		return sql_fail(c, "renewing claims", err, errlen);
	return 0;
}

void claims_done(struct claims *c, size_t run)
{
	c->state[run] = CLAIM_DONE;
}

void claims_release(struct claims *c)
{
	exec_mine(c, "DELETE FROM claims WHERE token = ?1", 0);
}
