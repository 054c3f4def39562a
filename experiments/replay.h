/*
 * replay.h - the simulator's replays of a kvm experiment's recorded runs
 * (`record-trace = DIR`), for `mplm-exp validate`: each completed,
 * recorded run becomes one simulator run of its own trace, from the
 * moment its migration started, with the same migration parameters and
 * the machine costs of a profile (`kvmlite calibrate`).
 */
#ifndef EXP_REPLAY_H
#define EXP_REPLAY_H

#include <stdbool.h>
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

/* A machine profile (kvmlite calibrate), read once: its values for the
 * replays' costs, its text for their experiment's provenance. */
struct replay_profile {
	const char *path;
	char *text;
	double v[MPLM_SET_COUNT];
	bool given[MPLM_SET_COUNT];
};
/* 0, or -1 with "PATH: why" (a bad line: "PATH: line N: ...") in err. */
int replay_profile_read(const char *path, struct replay_profile *p,
			char *err, size_t errlen);
void replay_profile_free(struct replay_profile *p);

/* The replays of kvm's stored runs (kvm_id: its id in db). kvm, kvm_runs
 * and prof must outlive out (the replays share their algorithms). 0, or
 * -1 with the reason in err. */
int replay_build(expdb *db, int64_t kvm_id, const struct experiment *kvm,
		 const struct exp_runs *kvm_runs,
		 const struct replay_profile *prof, struct replay *out,
		 char *err, size_t errlen);
void replay_free(struct replay *r);

#endif
