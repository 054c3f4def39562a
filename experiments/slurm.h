/*
 * slurm.h - `mplm-exp slurm EXP.ini --tasks N`: an experiment on a Slurm
 * cluster. Writes into OUT/NAME/slurm/ two batch scripts and submits them
 * with sbatch (unless dry_run: then prints them):
 *
 *   array.sh   a job array of N tasks; task K runs `mplm-exp run --shard
 *              K/N` into its own database shard-K.db (a task run again
 *              resumes its shard);
 *   merge.sh   afterwards (--dependency=afterany), `mplm-exp merge` of the
 *              shards into the results database, then plot and report.
 *
 * Paths in the scripts are absolute (the file system is shared across the
 * cluster's nodes); the mplm-exp that runs is this one.
 */
#ifndef EXP_SLURM_H
#define EXP_SLURM_H

#include <stdbool.h>
#include <stdio.h>

struct slurm_opts {
	unsigned tasks;          /* array tasks = shards, >= 1 */
	const char *partition;   /* NULL: the cluster's default */
	bool dry_run;
	const char *db;          /* the merged database */
	const char *out;         /* figures and tables (OUT/NAME/) */
	unsigned repetitions;    /* 0: the file's */
	unsigned cpus;           /* per task, = run -j */
};

int slurm_submit(const char *expfile, const char *name,
		 const struct slurm_opts *o, FILE *say, char *err,
		 size_t errlen);

#endif
