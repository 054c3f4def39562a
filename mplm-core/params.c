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
	p->cpu_throttle_initial = 20;  /* QEMU 2.9 */
	p->cpu_throttle_increment = 10;
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

/* Every migration parameter against its range in the settings table, so
 * the rule is the same whichever front end set it. */
int mplm_params_check(const struct mplm_params *p, char *err, size_t errlen)
{
	size_t n;
	const struct mplm_setting *t = mplm_settings(&n);
	for (size_t i = 0; i < n; i++) {
		double v = mplm_params_get(p, t[i].id), ok;
		if (t[i].migration &&
		    mplm_setting_from_number(&t[i], mplm_setting_to_number(&t[i], v),
					     &ok, err, errlen) < 0)
			return -1;
	}
	return 0;
}

static const char *const status_names[] = {
	[MPLM_STATUS_SETUP] = "setup",
	[MPLM_STATUS_ACTIVE] = "active",
	[MPLM_STATUS_COMPLETED] = "completed",
	[MPLM_STATUS_FAILED] = "failed",
	[MPLM_STATUS_CANCELLED] = "cancelled",
	[MPLM_STATUS_NOT_CONVERGED] = "not-converged",
	[MPLM_STATUS_UNKNOWN] = "outcome-unknown",
};

const char *mplm_status_name(enum mplm_status s)
{
	return (unsigned)s < sizeof(status_names) / sizeof(*status_names)
		       ? status_names[s]
		       : "?";
}
