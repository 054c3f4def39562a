/*
 * bench.h - `kvmlite bench` and bench-kvmlite: the figures,
 * measured on this host with real guests.
 */
#ifndef KL_BENCH_H
#define KL_BENCH_H

#include "cli.h"

/* what: all, sync, idle, throughput, dirty (comma-separated). exe: the
 * kvmlite binary, run as the destination. */
int kl_bench_run(const char *exe, const char *what, uint64_t mem_bytes);
int kl_bench(struct kl_cli *c);

#endif
