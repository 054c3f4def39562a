/*
 * params.c - migration parameters: defaults, names, validation.
 */
#include "mplm.h"

#include <string.h>

void mplm_params_default(struct mplm_params *p)
{
	memset(p, 0, sizeof(*p));
	p->algorithm = MPLM_ALG_MPLM;
	p->downtime_limit = 0.3;     /* QEMU: 300 ms */
	p->max_bandwidth = 125e6;    /* the paper's 1 Gbps, not QEMU's 32 MiB/s */
	p->intervaltime = 3.0;       /* qemu-mplm defaults */
	p->dirtypercents = 50;
	p->firstnondirty = true;
	p->relaxlivemig = false;
}

static const char *const algorithm_names[] = {
	[MPLM_ALG_PRECOPY] = "precopy",
	[MPLM_ALG_MPLM] = "mplm",
	[MPLM_ALG_STOPCOPY] = "stopcopy",
};

const char *mplm_algorithm_name(enum mplm_algorithm a)
{
	return (unsigned)a < sizeof(algorithm_names) / sizeof(*algorithm_names)
		       ? algorithm_names[a]
		       : "?";
}

int mplm_algorithm_parse(const char *s, enum mplm_algorithm *out)
{
	for (unsigned i = 0; i < sizeof(algorithm_names) / sizeof(*algorithm_names); i++) {
		if (strcmp(s, algorithm_names[i]) == 0) {
			*out = (enum mplm_algorithm)i;
			return 0;
		}
	}
	if (strcmp(s, "pre-copy") == 0) {
		*out = MPLM_ALG_PRECOPY;
		return 0;
	}
	if (strcmp(s, "stop-and-copy") == 0) {
		*out = MPLM_ALG_STOPCOPY;
		return 0;
	}
	return -1;
}

const char *mplm_params_check(const struct mplm_params *p)
{
	if ((unsigned)p->algorithm > MPLM_ALG_STOPCOPY)
		return "unknown algorithm";
	if (!(p->downtime_limit >= 0) || p->downtime_limit > 1e6)
		return "downtime-limit must be between 0 and 1e9 ms";
	if (!(p->max_bandwidth >= 0))
		return "max-bandwidth must not be negative";
	if (!(p->intervaltime > 0) || p->intervaltime > 1e6)
		return "intervaltime must be a positive number of seconds";
	if (p->dirtypercents > 100)
		return "dirtypercents must be between 0 and 100";
	if (!(p->max_total_time >= 0))
		return "the total-time cap must not be negative";
	return NULL;
}

static const char *const status_names[] = {
	[MPLM_STATUS_SETUP] = "setup",
	[MPLM_STATUS_ACTIVE] = "active",
	[MPLM_STATUS_COMPLETED] = "completed",
	[MPLM_STATUS_FAILED] = "failed",
	[MPLM_STATUS_CANCELLED] = "cancelled",
	[MPLM_STATUS_NOT_CONVERGED] = "not-converged",
};

const char *mplm_status_name(enum mplm_status s)
{
	return (unsigned)s < sizeof(status_names) / sizeof(*status_names)
		       ? status_names[s]
		       : "?";
}
