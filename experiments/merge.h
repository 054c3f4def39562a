/*
 * merge.h - `mplm-exp merge OUT.db SHARD.db...`: the runs of databases
 * written apart (the shards of a Slurm job array, runs on other machines)
 * into one.
 *
 * Each shard's experiments are matched by name; their definition (current
 * runs, reference values) and experiment row replace OUT's; every run OUT
 * does not hold yet is copied with its sync records. Merging again adds
 * nothing. Every shard's schema version is checked before anything is
 * written: a shard of another version is refused, and OUT is unchanged.
 * Each shard is merged in one transaction.
 */
#ifndef EXP_MERGE_H
#define EXP_MERGE_H

#include <stdio.h>

int merge_databases(const char *out, char *const *shards, int nshards,
		    FILE *say, char *err, size_t errlen);

#endif
