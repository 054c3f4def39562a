/*
 * bench.c - placeholder until the benchmarks land.
 */
#include "bench.h"

int kl_bench(struct kl_cli *c)
{
	(void)c;
	fprintf(stderr, "kvmlite bench: not yet\n");
	return 1;
}
