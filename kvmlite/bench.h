/*
 * bench.h - `kvmlite bench`: the figures, measured on this host.
 */
#ifndef KL_BENCH_H
#define KL_BENCH_H

#include "cli.h"

int kl_bench(struct kl_cli *c);

#endif
