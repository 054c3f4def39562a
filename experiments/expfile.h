/*
 * expfile.h - experiment files: parse, check, expand into runs.
 *
 * An experiment file is INI (parsed by inih) with sections
 *   [experiment]          name, back end, repetitions, seeds, VM sizes, links
 *   [workload NAME]       a trace file or a generator spec (or a preset)
 *   [preset NAME]         a workload to be named by `preset = NAME`
 *   [algorithm NAME]      an algorithm and lists of its parameters
 *   [reference NAME]      numbers a paper states for workload NAME
 * The format is documented in experiments/README.md. Errors are reported
 * as "FILE:LINE: what is wrong".
 */
#ifndef EXP_EXPFILE_H
#define EXP_EXPFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "mplm.h"
#include "sim.h"


struct numlist {
	double *v;
	size_t n;
};

struct exp_workload {
	char *name;
	char *label;          /* for figures; defaults to name */
	char *preset;         /* name of a [preset], resolved at check time */
	char *trace_path;     /* resolved against the experiment file's dir */
	char *spec;           /* generator spec */
	double start_at;      /* < 0: unset */
	double start_jitter;  /* s, uniform in [0, jitter) by seed; < 0 unset */
	int at_end;           /* enum sim_at_end, -1 unset */
	int untraced_nonzero; /* -1 unset */
	int placement;        /* 1 top, 0 bottom, -1 unset (bottom) */
	double static_bytes;  /* with placement top; < 0 unset */
	uint64_t bytes;       /* the trace's memory, once known (0 = unknown) */
	char *where;          /* "FILE:LINE" of the section, for messages */
};

struct exp_algorithm {
	char *name;
	enum mplm_algorithm algorithm;
	bool algorithm_set;
	struct numlist downtime_limit;  /* s */
	struct numlist max_bandwidth;   /* bytes/s, 0 = link speed */
	struct numlist max_iterations;
	struct numlist intervaltime;    /* s */
	struct numlist dirtypercents;
	int threshold_bandwidth, mplm_variant;      /* enum values; -1 unset */
	int firstnondirty, relaxlivemig; /* -1 unset */
	int auto_converge;              /* -1 unset */
	double cpu_throttle_initial, cpu_throttle_increment; /* < 0 unset */
	int postcopy_ram;               /* -1 unset */
	double postcopy_after_passes, start_postcopy_at; /* < 0 unset */
	double max_total_time;          /* < 0: the experiment's */
	char *where;
};

struct exp_reference {
	char *workload;
	char *algorithm;   /* algorithm section name, NULL for dirty-rate */
	char *metric;      /* total, downtime, dirty-rate */
	double param;      /* downtime-limit for pre-copy points, NAN if none */
	double value;
	bool approx;       /* written "~x": read off a plot */
	char *where;
};

struct experiment {
	char *file;
	char *name;
	char *description;
	char *figure;              /* fig4, bounds, baselines, none */
	char *text;                /* the file as read (stored in the DB) */
	const struct backend *backend;  /* backend.h's table */
	unsigned repetitions;
	uint64_t seed;
	struct numlist vm_memory;  /* bytes */
	struct numlist bandwidth;  /* bytes/s */
	/* The machine's costs (settings with `machine` set in mplm-core's
	 * table), by setting id: given in the file, or by its `profile =`;
	 * negative = sim_config_default's value. The file's win. */
	double machine[MPLM_SET_COUNT];
	double profile[MPLM_SET_COUNT];
	char *profile_path;
	/* `record-trace = DIR` (back ends that run real guests): each run's
	 * dirty log recorded to DIR/NAME-HASH.trace.gz, for replays. */
	char *record_dir;
	char *record_where;        /* its FILE:LINE */
	double max_total_time;
	int untraced_nonzero, verify;
	int replay;           /* enum sim_replay, -1 unset (spread) */

	struct exp_workload *workloads;
	size_t nworkloads;
	struct exp_workload *presets;
	size_t npresets;
	struct exp_algorithm *algorithms;
	size_t nalgorithms;
	struct exp_reference *references;
	size_t nreferences;
};

/* Parse and check. Returns NULL with "FILE:LINE: what is wrong" in err. */
struct experiment *exp_load(const char *path, char *err, size_t errlen);
void exp_free(struct experiment *e);

/* One point of the cross product, one repetition. */
struct exp_run {
	const struct exp_workload *workload;
	const struct exp_algorithm *alg;
	unsigned repetition;
	uint64_t seed;
	struct sim_config cfg;     /* strings point into the run */
	char *spec;                /* generator spec with the seed */
	char *record_path;         /* with record-trace: this run's trace */
	char *key;                 /* canonical string of every parameter */
	char hash[17];             /* FNV-1a 64 of key, hex */
	char point_hash[17];       /* the same without the seed: the point */
	double nominal_start;      /* start-at before the jitter */
	unsigned point_index;      /* the point's place in the file's order */
};

struct exp_runs {
	struct exp_run *v;
	size_t n;
	size_t skipped_too_big;    /* points whose workload exceeds the VM */
};

/* Expand the cross product (repetition outermost). Workload sizes must be
 * known (exp_measure_workloads) for the VM-size filter to apply. */
int exp_expand(const struct experiment *e, struct exp_runs *out, char *err,
	       size_t errlen);
void exp_runs_free(struct exp_runs *r);
/* Fill r->key, r->hash and r->point_hash from r's settings (exp_expand
 * does it for every run; a run built elsewhere, such as a replay, too). */
void exp_run_key(struct exp_run *r, const struct experiment *e);

/* Open every workload once to learn its memory size (for the filter that
 * skips workloads bigger than the VM). */
int exp_measure_workloads(struct experiment *e, char *err, size_t errlen);
/* Read every trace the experiment names to its end, so that a bad line
 * anywhere in it is reported before anything runs (mplm-exp check). */
int exp_check_traces(struct experiment *e, char *err, size_t errlen);

/* The algorithm's short tag for tables: "precopy dl=0.3", "mplm dp=50 inv=3". */
void exp_run_point_label(const struct exp_run *r, char *buf, size_t len);

uint64_t exp_fnv1a(const char *s);

#endif
