/*
 * cli.h - kvmlite's command line: every subcommand's options in one
 * struct, parsed by one function (cli.c), so main.c only sequences.
 */
#ifndef KL_CLI_H
#define KL_CLI_H

#include "migration.h"

struct kl_cli {
	const char *cmd;
	struct kl_config cfg;
	struct kl_params params;     /* the guest's parameter page */
	char guest[4096];            /* flat binary; default next to kvmlite */
	bool pattern_given;
	const char *profile_out;     /* calibrate --output */
	double duration;             /* s */
	bool allow_any_rate;         /* --force-rate: skip the PVM ceiling */
	/* run */
	const char *record_trace;
	double trace_interval;       /* s */
	const char *qmp;
	bool qmp_remote;             /* --qmp tcp: beyond loopback */
	double timeout;              /* s; 0 = none */
	bool verify;
	const char *result_json;
	const char *migrate_to;
	double migrate_after;        /* s after the guest starts */
	/* migrate / incoming */
	struct kl_mig_opts mig;
	struct kl_incoming_opts in;
	/* bench */
	const char *bench_what;
};

/* argv[0] is the subcommand. Prints usage for --help and returns 1. */
int kl_cli_parse(struct kl_cli *c, int argc, char **argv, struct kl_err *e);
void kl_cli_usage(FILE *f);
/* Refuse guest rates this machine cannot deliver (PVM: ~150,000 page
 * writes/s, each first write after a sync faults into the hypervisor). */
int kl_cli_check_rate(const struct kl_cli *c, struct kl_err *e);
/* Directory of the running kvmlite binary ("" if unknown). */
const char *kl_exe_dir(void);
/* VM options for a child `kvmlite incoming` that must match cfg. */
int kl_cli_vm_args(const struct kl_config *cfg, char **argv, int max,
		   char store[][64]);

uint64_t kl_parse_size(const char *s, bool *ok);   /* 64M, 1G: binary */
double kl_parse_rate(const char *s, bool *ok);     /* 60k: decimal */
const char *kl_pattern_name(uint64_t p);
int kl_pattern_parse(const char *s, uint64_t *out);

/* The ceiling measured on PVM machines (docs/kvm-on-these-machines.md). */
#define KL_PVM_MAX_RATE 150000

#endif
