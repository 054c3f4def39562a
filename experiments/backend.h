/*
 * backend.h - mplm-exp's back ends, in one table: what runs a run, and
 * what the runner and the experiment file must know about it. One file per
 * back end (backend_sim.c, backend_kvm.c); nothing else names one.
 */
#ifndef EXP_BACKEND_H
#define EXP_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

#include "sim.h"

struct backend {
	const char *name;      /* `backend = NAME` in experiment files */
	/* One migration, with sim_run's contract: 0, or -1 with res->error
	 * (free res with sim_result_free either way). NULL: not built. */
	int (*run)(const struct sim_config *cfg, struct sim_result *res);
	const char *missing;   /* why it was not built, when run is NULL */
	/* NULL if this host can run it now; else why not ("open /dev/kvm:
	 * Permission denied"), asked before anything is stored, so that a
	 * host without it refuses the file instead of storing failed runs.
	 * NULL (no probe): always usable. */
	const char *(*unusable)(void);
	bool parallel_safe;    /* runs may overlap (-j N); real migrations on
	                        * one host disturb each other */
	bool replays_traces;   /* takes trace files, not only generator specs */
	bool records_traces;   /* runs a real guest whose dirty log it can
	                        * record (sim_config.record_trace) */
	bool modelled_costs;   /* header-bytes, sync costs... are settings of
	                        * a model (stored); else they are real */
};

/* The whole table. */
const struct backend *const *backend_all(size_t *n);
/* The back end called NAME; NULL if there is none. */
const struct backend *backend_find(const char *name);
/* `sim`, the default. */
const struct backend *backend_default(void);
/* "sim, kvm": for messages. */
void backend_names(char *buf, size_t len);

#endif
