/*
 * bench.h - `kvmlite bench` and bench-kvmlite: the figures,
 * measured on this host with real guests.
 */
#ifndef KL_BENCH_H
#define KL_BENCH_H

#include "cli.h"
#include "migration.h"

/* The harness that the benchmarks and `kvmlite calibrate` share. */
struct bench {
	const char *exe; /* the kvmlite binary, run as the destination */
	uint64_t mem;
	struct kl_err e;
};
void bench_sleep(double s);
double bench_median(double *v, int n); /* sorts v */
/* A VM with the workload guest loaded; clear: KVM_CLEAR_DIRTY_LOG. */
struct kl_vm *bench_vm(struct bench *b, uint64_t mem, bool clear,
		       const struct kl_params *p);
void bench_guest(struct kl_params *p, uint64_t pattern, uint64_t wss,
		 uint64_t rate, uint64_t duration_ms);
/* Every page of guest RAM above the boot area non-zero and distinct. */
void bench_fill(struct kl_vm *vm);
/* Migrate vm to a `kvmlite incoming --no-run` child. */
int bench_migrate(struct bench *b, struct kl_vm *vm, const struct mplm_params *p,
		  struct mplm_stats *st, uint64_t *stream_bytes);
/* A guest whose every page is non-zero, stop-and-copied with no cap: the
 * stream's top rate. The VM (caller destroys it; NULL if it could not be
 * made) and, in *rc, 0 if the migration completed. */
struct kl_vm *bench_full_stopcopy(struct bench *b, struct mplm_stats *st,
				  uint64_t *bytes, int *rc);

/* what: all, sync, idle, throughput, dirty (comma-separated). exe: the
 * kvmlite binary, run as the destination. */
int kl_bench_run(const char *exe, const char *what, uint64_t mem_bytes);
int kl_bench(struct kl_cli *c);

#endif
