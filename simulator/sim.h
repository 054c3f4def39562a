/*
 * sim.h - the trace-replay simulator as a library (mplm-sim is its CLI,
 * mplm-exp runs it for every point of a sweep).
 *
 * The simulator is an mplm-core back end with a virtual clock: a link of
 * a given bandwidth carries each page in (page size + header) / bandwidth
 * seconds, the guest's writes come from a trace_source, and the guest's
 * clock stops while it is paused (dirty log syncs, downtime).
 */
#ifndef MPLM_SIM_H
#define MPLM_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "mplm.h"

enum sim_at_end { SIM_END_IDLE, SIM_END_LOOP };

/* When the pages of a trace interval (T_prev, T] are written (the
 * setting `replay`; the indices are its choices'). */
enum sim_replay {
	SIM_REPLAY_SPREAD,   /* each at its own time inside the interval */
	SIM_REPLAY_INTERVAL, /* all at T, what a dirty log read at T reports */
};
/* Spread replay's rule, for tests and viewers: the landing time of trace
 * page `page` of interval number `interval` (0 the trace's first,
 * counting on when a trace loops) that covers (t0, t1]. */
double sim_landing_time(uint64_t page, uint64_t interval, double t0, double t1);

/* Where the trace's pages sit in a VM larger than the trace. */
enum sim_placement {
	SIM_PLACE_BOTTOM, /* trace page i is guest page i */
	SIM_PLACE_TOP,    /* at the top (64-page aligned), as Linux hands a
	                   * program started after boot its highest frames */
};

/* What a page is at a sync, for viewers (teaching mode). */
enum sim_page_state {
	SIM_PAGE_ZERO,       /* all zero, nothing to send but a marker */
	SIM_PAGE_ND,         /* MPLM's non-dirty set: never sent, not dirty */
	SIM_PAGE_UNSENT,     /* queued and never sent (pre-copy's first pass,
	                      * or dirty before its first send) */
	SIM_PAGE_DIRTY,      /* sent, then written again: queued to resend */
	SIM_PAGE_CLEAN,      /* sent, and not written since */
};

/* Handed to an observer after every dirty log sync. */
struct sim_snapshot {
	const struct mplm_sync_record *rec;
	uint64_t vm_pages;
	const struct sim *sim; /* for sim_page_state */
};
enum sim_page_state sim_page_state(const struct sim_snapshot *snap,
				   uint64_t page);
const char *sim_page_state_name(enum sim_page_state s);
/* From an observer: stop the migration (migrate_cancel); sim_run then
 * returns -1. For viewers that have seen enough (a web request's cap). */
void sim_cancel(const struct sim_snapshot *snap);

struct sim_config {
	const char *trace_path;    /* a trace file, or */
	const char *workload_spec; /* a generator spec (gen.h) */
	uint64_t vm_bytes;         /* 0: the trace's size */
	bool untraced_nonzero;     /* pages beyond the trace: static data */
	enum sim_placement placement;
	uint64_t static_bytes;     /* non-zero memory the guest never writes,
	                            * next to the trace (below it at the top,
	                            * above it at the bottom) */
	double link_bandwidth;     /* bytes/s */
	uint32_t header_bytes;     /* per page on the wire */
	int64_t zero_page_bytes;   /* a zero page on the wire; < 0: QEMU's,
	                            * header_bytes + 1 */
	double zero_page_cost;     /* s of source CPU per zero page */
	uint64_t state_bytes;      /* vCPU + device state */
	double sync_fixed;         /* s per dirty log sync */
	double sync_per_page;      /* s per dirty page reported */
	double start_at;           /* s into the trace */
	enum sim_at_end at_end;
	enum sim_replay replay;    /* default spread */
	double extend_live_at;     /* s after start; < 0 never */
	double end_live_at;        /* s after start; < 0 never */
	double start_postcopy_at;  /* migrate-start-postcopy, s after start;
	                            * < 0 never */
	double rtt;                /* s, post-copy: a remote fault's round
	                            * trip on top of the page's link time */
	bool verify;               /* track stale pages, check at resume */
	bool page_by_page;         /* tests: no send runs (the reference the
	                            * runs must equal) */
	/* Back ends that run a real guest (mplm-exp's kvm): record its dirty
	 * log from boot to the migration's end as a format-1 trace here, so
	 * the simulator can replay the very run that was migrated. NULL: no
	 * recording. sim_run replays, it never records: it ignores this. */
	const char *record_trace;
	/* Optional: called after every dirty log sync (not with sim_run's
	 * result filled yet). */
	void (*observer)(void *arg, const struct sim_snapshot *snap);
	void *observer_arg;
	struct mplm_params params; /* max_total_time is the not-converged cap */
};

void sim_config_default(struct sim_config *c);
/* Wire bytes of a zero page under c. */
uint32_t sim_zero_page_bytes(const struct sim_config *c);
/* A setting of mplm-core's table that is not a migration parameter (the
 * run's: memory, bandwidth, start-at, ...; the machine's costs), parsed
 * already, into the configuration: the one place that maps them. */
void sim_config_set(struct sim_config *c, enum mplm_setting_id id, double v);
/* Read a machine profile (kvmlite calibrate writes them): the values it
 * gives, by setting id. 0, or -1 with "FILE: line N: ..." in err. */
int sim_profile_read(const char *path, double v[MPLM_SET_COUNT],
		     bool given[MPLM_SET_COUNT], char *err, size_t errlen);
/* The same, into c, except the settings marked in `keep` (given
 * explicitly). */
int sim_config_load_profile(struct sim_config *c, const char *path,
			    const bool keep[MPLM_SET_COUNT], char *err,
			    size_t errlen);

struct sim_result {
	struct mplm_stats stats;
	struct mplm_sync_record *syncs;
	size_t nsyncs;
	uint64_t vm_pages;
	uint64_t touched_pages;   /* distinct pages written during migration */
	double trace_rate;        /* mean pages/s written while migrating */
	double guest_lost;        /* s of trace time the guest did not run
	                           * while migrating: throttled (auto-converge) */
	bool verified;            /* the invariant was checked ... */
	uint64_t mismatches;      /* ... and this many pages differed */
	uint64_t first_mismatch;
	uint64_t intervals_deferred; /* intervals whose pages were never made:
	                          * they landed in a full dirty log (sim.c) */
	double record_start_at;   /* with cfg->record_trace: s into the
	                           * recorded trace at which the migration
	                           * started (the replay's start_at) */
	double wall_seconds;
	char error[512];          /* set when sim_run returns -1 */
};

/* Run one simulated migration. Returns 0 when the migration reached an end
 * state (completed or not converged), -1 on bad input or failure. */
int sim_run(const struct sim_config *cfg, struct sim_result *res);
void sim_result_free(struct sim_result *res);

#endif
