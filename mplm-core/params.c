/*
 * params.c - migration parameters: defaults, names, validation.
 */
#include "mplm.h"

#include <stdio.h>
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
	/* qemu-mplm's DEFAULT_RELAX_DIRT_TX_FLAG (migration/migration.c) and
	 * its set-mplm-migration example: relaxed is the default. */
	p->relaxlivemig = true;
	p->mplm_variant = MPLM_VARIANT_QEMU_MPLM;
	p->threshold_bandwidth = MPLM_THRESHOLD_MEASURED; /* QEMU 2.9 */
	p->cpu_throttle_initial = 20;  /* QEMU 2.9 */
	p->cpu_throttle_increment = 10;
}

/* Name <-> enum through a table indexed by the enum. */
static const char *name_of(const char *const *names, size_t n, unsigned v)
{
	return v < n && names[v] ? names[v] : "?";
}

static int parse_name(const char *const *names, size_t n, const char *s,
		      unsigned *out)
{
	for (unsigned i = 0; i < n; i++) {
		if (names[i] && strcmp(s, names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return -1;
}

#define NAMES_N(t) (sizeof(t) / sizeof(*(t)))

static const char *const variant_names[] = {
	[MPLM_VARIANT_QEMU_MPLM] = "qemu-mplm",
	[MPLM_VARIANT_PAPER] = "paper",
};

const char *mplm_variant_name(enum mplm_variant v)
{
	return name_of(variant_names, NAMES_N(variant_names), v);
}

static const char *const threshold_names[] = {
	[MPLM_THRESHOLD_MEASURED] = "measured",
	[MPLM_THRESHOLD_MAX_BANDWIDTH] = "max-bandwidth",
};

const char *mplm_threshold_bandwidth_name(enum mplm_threshold_bandwidth t)
{
	return name_of(threshold_names, NAMES_N(threshold_names), t);
}


double mplm_wire_rate(double link, double max_bandwidth)
{
	if (link <= 0)
		return max_bandwidth > 0 ? max_bandwidth : 0;
	return max_bandwidth > 0 && max_bandwidth < link ? max_bandwidth : link;
}

static const char *const verdict_names[] = {
	[MPLM_VERDICT_NONE] = "none",
	[MPLM_VERDICT_GO_ON] = "go-on",
	[MPLM_VERDICT_EXTENDED] = "extended",
	[MPLM_VERDICT_CONVERGED] = "converged",
	[MPLM_VERDICT_MEMORY_BOUND] = "memory-bound",
	[MPLM_VERDICT_END_LIVE] = "end-live",
	[MPLM_VERDICT_MAX_ITERATIONS] = "max-iterations",
	[MPLM_VERDICT_NOT_CONVERGED] = "not-converged",
	[MPLM_VERDICT_POSTCOPY] = "postcopy",
};

const char *mplm_verdict_name(enum mplm_verdict v)
{
	return name_of(verdict_names, NAMES_N(verdict_names), v);
}

static const char *const cause_names[] = {
	[MPLM_CAUSE_SETUP] = "setup",
	[MPLM_CAUSE_PENDING] = "pending",
	[MPLM_CAUSE_INTERVAL] = "interval",
	[MPLM_CAUSE_NOTHING] = "nothing-to-send",
	[MPLM_CAUSE_FINAL] = "final",
};

const char *mplm_sync_cause_name(enum mplm_sync_cause c)
{
	return name_of(cause_names, NAMES_N(cause_names), c);
}

static const char *const algorithm_names[] = {
	[MPLM_ALG_PRECOPY] = "precopy",
	[MPLM_ALG_MPLM] = "mplm",
	[MPLM_ALG_STOPCOPY] = "stopcopy",
};

const char *mplm_algorithm_name(enum mplm_algorithm a)
{
	return name_of(algorithm_names, NAMES_N(algorithm_names), a);
}

int mplm_algorithm_parse(const char *s, enum mplm_algorithm *out)
{
	unsigned v;
	if (parse_name(algorithm_names, NAMES_N(algorithm_names), s, &v) == 0) {
		*out = (enum mplm_algorithm)v;
		return 0;
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

static int params_fail(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
	return -1;
}

/* Settings that only make sense together. Post-copy continues QEMU's
 * pre-copy; MPLM is refused: its point is a live stage bounded by memory,
 * which post-copy would cut short (qemu-mplm never combines them). */
static int check_combinations(const struct mplm_params *p, char *err,
			      size_t errlen)
{
	if (p->postcopy_ram && p->algorithm != MPLM_ALG_PRECOPY)
		return params_fail(err, errlen,
				   "postcopy-ram: only with algorithm precopy (MPLM and "
				   "stop-and-copy have no post-copy switch)");
	if (p->postcopy_after_passes && !p->postcopy_ram)
		return params_fail(err, errlen,
				   "postcopy-after-passes: needs postcopy-ram on");
	return 0;
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
	return check_combinations(p, err, errlen);
}

int mplm_backend_check(const struct mplm_params *p,
		       const struct mplm_backend *be, char *err, size_t errlen)
{
	if (p->auto_converge && !be->set_throttle)
		return params_fail(err, errlen,
				   "auto-converge: this back end cannot throttle the guest");
	bool hooks = be->postcopy_discard && be->postcopy_next_request &&
		     be->postcopy_done;
	if (p->postcopy_ram && !hooks)
		return params_fail(err, errlen,
				   "postcopy-ram: this back end cannot do post-copy "
				   "(no discard, page request or completion hook)");
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
	[MPLM_STATUS_POSTCOPY_ACTIVE] = "postcopy-active",
};

const char *mplm_status_name(enum mplm_status s)
{
	return name_of(status_names, NAMES_N(status_names), s);
}
