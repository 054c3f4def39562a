/*
 * gen.h - synthetic dirty-page workloads.
 *
 * A generator is a trace_source that makes its intervals on the fly from a
 * seed, so `mplm-sim --workload SPEC` needs no trace on disk and
 * `mplm-workload` writes the same intervals as a format-1 trace. Same spec
 * (seed included), same intervals, bit for bit.
 *
 * SPEC is PATTERN[,key=value]... e.g.
 *   uniform,memory=8G,wss=8G,rate=200000,duration=1000,seed=1
 * Patterns: uniform, sequential, hotspot, stencil. Keys: memory (bytes,
 * units K M G), pages (instead of memory), wss (working set bytes),
 * rate (page writes per second, as kvmlite's guest paces them), duration
 * (s), interval (ms, default 100), seed, page-size, vcpus (default 1: the
 * guest's vCPUs, each writing its own share of the working set), and per
 * pattern: hotspot `hot` (fraction of the working set that is hot) and
 * `skew` (fraction of writes that go to it); stencil `arrays` (number of
 * arrays swept in turn). The page each write goes to is defined once, in
 * guests/wl_seq.h, for the generators and the guest program alike.
 */
#ifndef MPLM_GEN_H
#define MPLM_GEN_H

#include "trace.h"
#include "guests/guest_abi.h"

/* The hotspot pattern's defaults, for every back end that makes it (the
 * generators here, kvmlite's guest programs): a fifth of the working set
 * takes four fifths of the writes. */
#define GEN_HOT_DEFAULT 0.2
#define GEN_SKEW_DEFAULT 0.8
/* The stencil's number of arrays. */
#define GEN_ARRAYS_DEFAULT 3

/* NULL on a bad spec, with "workload SPEC: what is wrong" in err. */
trace_source *gen_open(const char *spec, char *err, size_t errlen);

/* A spec parsed and checked, defaults filled in: what gen_open replays,
 * for back ends that make the same workload another way (kvmlite's guest
 * programs). */
struct gen_spec {
	const char *pattern;   /* "uniform", "sequential", "hotspot", "stencil" */
	uint32_t page_size;
	uint64_t pages;        /* memory, in pages */
	uint64_t wss_pages;    /* the working set: pages [0, wss_pages) */
	double rate;           /* page writes per second, over all vCPUs */
	double duration;       /* s */
	double interval_ms;
	uint64_t seed;
	unsigned vcpus;        /* the guest's: each writes its own share */
	double hot, skew;      /* hotspot, in steps of 0.001 */
	uint64_t arrays;       /* stencil */
};
/* 0, or -1 with "workload SPEC: what is wrong" in err. */
int gen_parse(const char *spec, struct gen_spec *out, char *err, size_t errlen);

/* A fraction (hot, skew) in the guest's permille, rounded: the one
 * conversion, for every back end that fills a guest's parameters. */
uint64_t gen_permille(double fraction);

/* The guest program's parameters for a checked spec: pattern, vCPUs,
 * working set, rate, seed, hot, skew and arrays (the rest of p is left
 * alone). The generators make their writes from these same parameters
 * (guests/wl_seq.h), so the guest writes what the trace says. */
void gen_guest_params(const struct gen_spec *s, struct kl_params *p);

#endif
