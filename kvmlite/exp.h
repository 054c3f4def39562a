/*
 * exp.h - kvmlite as an experiment back end: one migration of a real
 * guest, described and reported with the simulator's structures, so
 * mplm-exp can run `backend kvm` with the same experiment files.
 */
#ifndef KL_EXP_H
#define KL_EXP_H

#include "sim.h"

/* Like sim_run, on /dev/kvm: build a VM for cfg->workload_spec (gen.h
 * syntax: pattern, memory, wss, rate, duration, seed, hot, skew, arrays),
 * run the guest cfg->start_at seconds, migrate it over loopback to a
 * `kvmlite incoming --no-run` child with cfg->params, and report. The
 * link is emulated with the rate limit: min(max_bandwidth,
 * link_bandwidth). verified = the destination's memory at resume hashed
 * equal to the source's at pause (mismatches 1 if not). Costs
 * (header_bytes, state_bytes, sync_*) are real, not configured; a trace
 * file cannot drive a real guest. Run one at a time: migrations on the
 * same host disturb each other. Free res with sim_result_free. */
int kl_sim_run(const struct sim_config *cfg, struct sim_result *res);

/* A file built with kvmlite ("guests/workload.bin", "kvmlite/kvmlite"),
 * looked for next to the running program and one and two levels up. */
int kl_find_built(const char *rel, char *out, size_t len);

#endif
