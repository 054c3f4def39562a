/*
 * claims.h - several `mplm-exp run` processes (on one host or many, sharing
 * one database file) divide an experiment's runs between them.
 *
 * Before a runner starts a run it claims it: in one BEGIN IMMEDIATE
 * transaction it checks that the run is neither stored nor held by a live
 * claim, and writes a row in `claims` (its host, pid, a random token and a
 * lease). Storing the run deletes the claim in the same transaction. A
 * claim is stale, and may be taken over, when its lease has run out (the
 * owner renews it while the run is in flight) or when its owner is on this
 * host and its pid is gone (a runner killed with SIGKILL). A run stored
 * twice after a takeover is stored once: the second insert does nothing.
 */
#ifndef EXP_CLAIMS_H
#define EXP_CLAIMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "expfile.h"

/* Seconds a claim lasts without renewal; runners renew every quarter. */
#define CLAIM_LEASE_SECONDS 60.0

enum claim_state { CLAIM_PENDING, CLAIM_MINE, CLAIM_HELD, CLAIM_DONE };

/* One runner's view of the runs it may do. */
struct claims {
	expdb *db;
	int64_t exp_id;
	const struct exp_runs *runs;
	const size_t *cand;        /* indexes into runs, in order */
	size_t ncand, cursor;      /* candidates before cursor were looked at */
	enum claim_state *state;   /* per run (index into runs) */
	size_t *held, nheld;       /* runs held by other runners' claims */
	size_t done_by_others;     /* candidates another runner stored */
	char host[256];
	long pid;
	char token[17];
	double last_renew;
};

int claims_init(struct claims *c, expdb *db, int64_t exp_id,
		const struct exp_runs *runs, const size_t *cand, size_t ncand,
		char *err, size_t errlen);
void claims_free(struct claims *c);

/* Claim the next run nobody holds: its index into runs, -1 if none can be
 * claimed now (*waiting: some are held by live claims of other runners, so
 * call again later), -2 on a database error. */
long claims_take(struct claims *c, bool *waiting, char *err, size_t errlen);
/* Extend the lease of this runner's claims (every CLAIM_LEASE_SECONDS/4). */
int claims_renew(struct claims *c, char *err, size_t errlen);
/* The run was stored (by us): no longer ours to hold. */
void claims_done(struct claims *c, size_t run);
/* Give up this runner's claims (it stops early). */
void claims_release(struct claims *c);

#endif
