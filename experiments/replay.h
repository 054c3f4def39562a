/*
 * replay.h - the simulator's replays of a kvm experiment's recorded runs
 * (`record-trace = DIR`), for `mplm-exp validate`: each completed,
 * recorded run becomes one simulator run of its own trace, from the
 * moment its migration started, with the same migration parameters and
 * the machine costs of a profile (`kvmlite calibrate`).
 */
#ifndef EXP_REPLAY_H
#define EXP_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "expfile.h"

/* "NAME-replay": the replays' experiment in the database. */
void replay_name(const char *kvm_name, char *buf, size_t len);

struct replay {
	struct experiment *e;  /* NAME-replay, backend sim; its config text
	                        * says which profile and which experiment */
	struct exp_runs runs;  /* run i replays one recorded run; its
	                        * workload's trace is that run's recording */
	size_t unrecorded;     /* kvm runs not replayed: not stored, not
	                        * completed, or without a recording */
};

/* The replays of kvm's stored runs (kvm_id: its id in db). kvm and
 * kvm_runs must outlive out (the replays share their algorithms). 0, or
 * -1 with the reason in err. */
int replay_build(expdb *db, int64_t kvm_id, const struct experiment *kvm,
		 const struct exp_runs *kvm_runs, const char *profile_path,
		 struct replay *out, char *err, size_t errlen);
void replay_free(struct replay *r);

#endif
