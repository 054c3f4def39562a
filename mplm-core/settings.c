/*
 * settings.c - the one table of user settings (see mplm.h, "Settings").
 *
 * Each setting is declared here once: its QEMU / qemu-mplm name, its type,
 * the unit a bare number is read in (QEMU's own: downtime-limit in ms,
 * max-bandwidth in bytes/s; qemu-mplm's intervaltime in s), its range and
 * its help. Front ends build their options, QMP arguments and experiment
 * keys from it, so none of them can read a setting another way.
 */
#include "mplm.h"
#include "units.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define TB_PER_S 1.25e12 /* 10 Tbps: no link here is faster */
#define LONG_TIME 1e7    /* s, about 115 days of simulated time */

static const struct mplm_setting table[MPLM_SET_COUNT] = {
	{ MPLM_SET_ALGORITHM, "algorithm", MPLM_TYPE_CHOICE, "", 1, 0, 2,
	  "precopy|mplm|stopcopy", "precopy|mplm|stopcopy",
	  "QEMU 2.9 pre-copy, MPLM, or non-live stop-and-copy", true, false },
	{ MPLM_SET_DOWNTIME_LIMIT, "downtime-limit", MPLM_TYPE_DURATION, "ms",
	  1e-3, 0, 2000, NULL, "MS",
	  "pre-copy's maximum tolerable downtime (QEMU's limit: 2000 s)", true, false },
	{ MPLM_SET_MAX_BANDWIDTH, "max-bandwidth", MPLM_TYPE_RATE, "bytes/s", 1,
	  0, TB_PER_S, NULL, "RATE",
	  "cap on the migration's rate: 1Gbps, 125MB/s, bytes/s; 0 = none", true, false },
	{ MPLM_SET_MAX_ITERATIONS, "max-iterations", MPLM_TYPE_COUNT, "", 1, 0,
	  1e6, NULL, "N",
	  "pre-copy: stop-and-copy after N dirty syncs; 0 = no limit", true, false },
	{ MPLM_SET_THRESHOLD_BANDWIDTH, "threshold-bandwidth", MPLM_TYPE_CHOICE,
	  "", 1, 0, 1, "measured|max-bandwidth", "measured|max-bandwidth",
	  "the downtime threshold's rate: QEMU 2.9's measured one, or min(link, max-bandwidth)",
	  true, false },
	{ MPLM_SET_MPLM_VARIANT, "mplm-variant", MPLM_TYPE_CHOICE, "", 1, 0, 1,
	  "qemu-mplm|paper", "qemu-mplm|paper",
	  "MPLM as qemu-mplm's code runs it, or as the paper describes it", true,
	  false },
	{ MPLM_SET_INTERVALTIME, "intervaltime", MPLM_TYPE_DURATION, "s", 1,
	  1e-3, 1e6, NULL, "S", "MPLM: epoch length, time between dirty syncs",
	  true, false },
	{ MPLM_SET_DIRTYPERCENTS, "dirtypercents", MPLM_TYPE_COUNT, "%", 1, 0,
	  100, NULL, "N", "MPLM: of every 100 page slots, those for the dirty set",
	  true, false },
	{ MPLM_SET_FIRSTNONDIRTY, "firstnondirty", MPLM_TYPE_BOOL, "", 1, 0, 1,
	  NULL, "on|off", "MPLM: epoch 0 sends non-dirty pages only", true, false },
	{ MPLM_SET_RELAXLIVEMIG, "relaxlivemig", MPLM_TYPE_BOOL, "", 1, 0, 1,
	  NULL, "on|off", "MPLM: in QEMU's bulk stage the dirty cursor may send unsent pages",
	  true, false },
	{ MPLM_SET_MAX_TOTAL_TIME, "max-total-time", MPLM_TYPE_DURATION, "s", 1,
	  0, LONG_TIME, NULL, "S",
	  "give up (status not-converged) after this long; 0 = never", true, false },
	{ MPLM_SET_AUTO_CONVERGE, "auto-converge", MPLM_TYPE_BOOL, "", 1, 0, 1,
	  NULL, "on|off", "QEMU's capability: throttle a guest that dirties too fast",
	  true, false },
	{ MPLM_SET_CPU_THROTTLE_INITIAL, "cpu-throttle-initial", MPLM_TYPE_COUNT,
	  "%", 1, 1, 99, NULL, "N", "auto-converge: the first throttle", true,
	  false },
	{ MPLM_SET_CPU_THROTTLE_INCREMENT, "cpu-throttle-increment",
	  MPLM_TYPE_COUNT, "%", 1, 1, 99, NULL, "N",
	  "auto-converge: added at each later throttle", true, false },
	{ MPLM_SET_MEMORY, "memory", MPLM_TYPE_SIZE, "bytes", 1, 4096,
	  17592186044416.0 /* 16 TiB */, NULL, "SIZE", "guest memory: 8G, 512M",
	  false, false },
	{ MPLM_SET_BANDWIDTH, "bandwidth", MPLM_TYPE_RATE, "bytes/s", 1, 1,
	  TB_PER_S, NULL, "RATE", "the simulated link's speed: 1Gbps, 10Gbps",
	  false, true },
	{ MPLM_SET_START_AT, "start-at", MPLM_TYPE_DURATION, "s", 1, 0,
	  LONG_TIME, NULL, "S", "start migrating this far into the guest's run",
	  false, false },
	{ MPLM_SET_EXTEND_LIVE_AT, "extend-live-at", MPLM_TYPE_DURATION, "s", 1,
	  0, LONG_TIME, NULL, "S",
	  "MPLM: set-mplm-extend-live this long after the start", false, false },
	{ MPLM_SET_END_LIVE_AT, "end-live-at", MPLM_TYPE_DURATION, "s", 1, 0,
	  LONG_TIME, NULL, "S", "MPLM: set-mplm-end-live this long after the start",
	  false, false },
	{ MPLM_SET_HEADER_BYTES, "header-bytes", MPLM_TYPE_SIZE, "bytes", 1, 0,
	  65536, NULL, "N", "wire bytes per page on top of the page (QEMU: 8)",
	  false, true },
	{ MPLM_SET_ZERO_PAGE_BYTES, "zero-page-bytes", MPLM_TYPE_SIZE, "bytes",
	  1, 0, 65536, NULL, "N", "wire bytes of a zero page (QEMU: 9)", false,
	  true },
	{ MPLM_SET_ZERO_PAGE_COST, "zero-page-cost", MPLM_TYPE_DURATION, "us",
	  1e-6, 0, 1e-3, NULL, "US", "source CPU time to find and send a zero page",
	  false, true },
	{ MPLM_SET_STATE_BYTES, "state-bytes", MPLM_TYPE_SIZE, "bytes", 1, 0,
	  1073741824.0, NULL, "SIZE", "vCPU and device state sent in the downtime",
	  false, true },
	{ MPLM_SET_SYNC_FIXED, "sync-fixed", MPLM_TYPE_DURATION, "us", 1e-6, 0,
	  1, NULL, "US", "dirty log sync: fixed cost (the guest is paused)", false,
	  true },
	{ MPLM_SET_SYNC_PER_PAGE, "sync-per-page", MPLM_TYPE_DURATION, "ns",
	  1e-9, 0, 1e-3, NULL, "NS", "dirty log sync: cost per dirty page reported",
	  false, true },
};

const struct mplm_setting *mplm_settings(size_t *count)
{
	*count = MPLM_SET_COUNT;
	return table;
}

const struct mplm_setting *mplm_setting_get(enum mplm_setting_id id)
{
	return (unsigned)id < MPLM_SET_COUNT ? &table[id] : NULL;
}

const struct mplm_setting *mplm_setting_find(const char *name)
{
	for (size_t i = 0; i < MPLM_SET_COUNT; i++)
		if (strcmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}

/* The index of word in "a|b|c", or -1. */
static int choice_index(const char *choices, const char *word)
{
	size_t n = strlen(word);
	int i = 0;
	for (const char *c = choices; *c; i++) {
		size_t len = strcspn(c, "|");
		if (len == n && strncmp(c, word, n) == 0)
			return i;
		c += len + (c[len] == '|');
	}
	return -1;
}

static int fail(char *err, size_t len, const struct mplm_setting *s,
		const char *text, const char *why)
{
	if (err && len)
		snprintf(err, len, "%s %s: %s", s->name, text, why);
	return -1;
}

static void describe_range(const struct mplm_setting *s, char *buf,
			   size_t len)
{
	char lo[48], hi[48];
	mplm_setting_format(s, s->min, lo, sizeof(lo));
	mplm_setting_format(s, s->max, hi, sizeof(hi));
	snprintf(buf, len, "out of range: %s to %s", lo, hi);
}

static int check_range(const struct mplm_setting *s, const char *text,
		       double v, double *out, char *err, size_t len)
{
	char why[128];
	if (!(v >= s->min && v <= s->max)) {
		describe_range(s, why, sizeof(why));
		return fail(err, len, s, text, why);
	}
	if ((s->type == MPLM_TYPE_COUNT || s->type == MPLM_TYPE_CHOICE ||
	     s->type == MPLM_TYPE_BOOL) && v != floor(v))
		return fail(err, len, s, text, "expected a whole number");
	*out = v;
	return 0;
}

static int parse_typed(const struct mplm_setting *s, const char *text,
		       double *v, const char **why)
{
	uint64_t u;
	bool b;
	int i;

	switch (s->type) {
	case MPLM_TYPE_CHOICE:
		if ((i = choice_index(s->choices, text)) < 0 &&
		    (s->id != MPLM_SET_ALGORITHM ||
		     mplm_algorithm_parse(text, (enum mplm_algorithm *)&i) < 0)) {
			*why = "not one of the choices";
			return -1;
		}
		*v = i;
		return 0;
	case MPLM_TYPE_BOOL:
		*why = "expected on or off";
		if (units_parse_bool(text, &b) < 0)
			return -1;
		*v = b;
		return 0;
	case MPLM_TYPE_COUNT:
		*why = "expected a whole number";
		return units_parse_count(text, v);
	case MPLM_TYPE_DURATION:
		*why = s->scale == 1 ? "expected a duration such as 3, 3s or 500ms"
				     : "expected a duration such as 300, 300ms or 0.3s";
		return units_parse_duration(text, s->scale, v);
	case MPLM_TYPE_SIZE:
		*why = "expected a size such as 8G, 512M or 4096";
		if (units_parse_size(text, &u) < 0)
			return -1;
		*v = (double)u;
		return 0;
	case MPLM_TYPE_RATE:
		/* "0" is a rate only where the table allows none (no cap). */
		if (s->min == 0 && units_parse_uint(text, &u) == 0 && u == 0) {
			*v = 0;
			return 0;
		}
		*why = units_bandwidth_hint(text);
		return units_parse_bandwidth(text, v);
	}
	*why = "unknown type";
	return -1;
}

int mplm_setting_parse(const struct mplm_setting *s, const char *text,
		       double *out, char *err, size_t errlen)
{
	double v;
	const char *why = NULL;
	char shown[64];

	/* Quote what was given, cut short: a message is one line. */
	snprintf(shown, sizeof(shown), "%s", text);
	if (strcspn(text, "\n\r") != strlen(text) || strlen(text) >= 256)
		return fail(err, errlen, s, "(value)", "too long or several lines");
	if (parse_typed(s, text, &v, &why) < 0) {
		if (s->type == MPLM_TYPE_CHOICE) {
			char msg[160];
			snprintf(msg, sizeof(msg), "expected %s", s->choices);
			return fail(err, errlen, s, shown, msg);
		}
		return fail(err, errlen, s, shown, why);
	}
	return check_range(s, shown, v, out, err, errlen);
}

int mplm_setting_from_number(const struct mplm_setting *s, double bare,
			     double *out, char *err, size_t errlen)
{
	char shown[64];
	snprintf(shown, sizeof(shown), "%g", bare);
	if (!isfinite(bare))
		return fail(err, errlen, s, shown, "not a finite number");
	return check_range(s, shown, bare * s->scale, out, err, errlen);
}

double mplm_setting_to_number(const struct mplm_setting *s, double value)
{
	return value / s->scale;
}

void mplm_setting_format(const struct mplm_setting *s, double value,
			 char *buf, size_t len)
{
	switch (s->type) {
	case MPLM_TYPE_CHOICE: {
		const char *c = s->choices;
		for (int i = 0; i < (int)value && *c; i++)
			c += strcspn(c, "|") + (c[strcspn(c, "|")] == '|');
		snprintf(buf, len, "%.*s", (int)strcspn(c, "|"), c);
		return;
	}
	case MPLM_TYPE_BOOL:
		snprintf(buf, len, "%s", value != 0 ? "on" : "off");
		return;
	case MPLM_TYPE_COUNT:
		snprintf(buf, len, "%.15g%s", value, s->unit);
		return;
	case MPLM_TYPE_DURATION:
		snprintf(buf, len, "%.15g %s", value / s->scale, s->unit);
		return;
	case MPLM_TYPE_SIZE:
		units_format_size((uint64_t)value, buf, len);
		return;
	case MPLM_TYPE_RATE:
		if (value == 0)
			snprintf(buf, len, "none");
		else
			units_format_bandwidth(value, buf, len);
		return;
	}
	snprintf(buf, len, "?");
}

size_t mplm_setting_help(const struct mplm_setting *s, const char *prefix,
			 const char *default_text, char *buf, size_t len)
{
	char left[64];
	int n;
	snprintf(left, sizeof(left), "%s%s %s", prefix, s->name, s->metavar);
	n = snprintf(buf, len, "  %-34s %s%s%s%s\n", left, s->help,
		     default_text ? " (default " : "",
		     default_text ? default_text : "", default_text ? ")" : "");
	return n < 0 ? 0 : (size_t)n;
}

double mplm_params_get(const struct mplm_params *p, enum mplm_setting_id id)
{
	switch (id) {
	case MPLM_SET_ALGORITHM: return p->algorithm;
	case MPLM_SET_DOWNTIME_LIMIT: return p->downtime_limit;
	case MPLM_SET_MAX_BANDWIDTH: return p->max_bandwidth;
	case MPLM_SET_MAX_ITERATIONS: return p->max_iterations;
	case MPLM_SET_THRESHOLD_BANDWIDTH: return p->threshold_bandwidth;
	case MPLM_SET_MPLM_VARIANT: return p->mplm_variant;
	case MPLM_SET_INTERVALTIME: return p->intervaltime;
	case MPLM_SET_DIRTYPERCENTS: return p->dirtypercents;
	case MPLM_SET_FIRSTNONDIRTY: return p->firstnondirty;
	case MPLM_SET_RELAXLIVEMIG: return p->relaxlivemig;
	case MPLM_SET_MAX_TOTAL_TIME: return p->max_total_time;
	case MPLM_SET_AUTO_CONVERGE: return p->auto_converge;
	case MPLM_SET_CPU_THROTTLE_INITIAL: return p->cpu_throttle_initial;
	case MPLM_SET_CPU_THROTTLE_INCREMENT: return p->cpu_throttle_increment;
	default: return NAN;
	}
}

void mplm_params_put(struct mplm_params *p, enum mplm_setting_id id,
		     double v)
{
	switch (id) {
	case MPLM_SET_ALGORITHM: p->algorithm = (enum mplm_algorithm)v; break;
	case MPLM_SET_DOWNTIME_LIMIT: p->downtime_limit = v; break;
	case MPLM_SET_MAX_BANDWIDTH: p->max_bandwidth = v; break;
	case MPLM_SET_MAX_ITERATIONS: p->max_iterations = (unsigned)v; break;
	case MPLM_SET_THRESHOLD_BANDWIDTH:
		p->threshold_bandwidth = (enum mplm_threshold_bandwidth)v;
		break;
	case MPLM_SET_MPLM_VARIANT: p->mplm_variant = (enum mplm_variant)v; break;
	case MPLM_SET_INTERVALTIME: p->intervaltime = v; break;
	case MPLM_SET_DIRTYPERCENTS: p->dirtypercents = (unsigned)v; break;
	case MPLM_SET_FIRSTNONDIRTY: p->firstnondirty = v != 0; break;
	case MPLM_SET_RELAXLIVEMIG: p->relaxlivemig = v != 0; break;
	case MPLM_SET_MAX_TOTAL_TIME: p->max_total_time = v; break;
	case MPLM_SET_AUTO_CONVERGE: p->auto_converge = v != 0; break;
	case MPLM_SET_CPU_THROTTLE_INITIAL: p->cpu_throttle_initial = (unsigned)v; break;
	case MPLM_SET_CPU_THROTTLE_INCREMENT: p->cpu_throttle_increment = (unsigned)v; break;
	default: break;
	}
}

int mplm_params_set(struct mplm_params *p, const char *name,
		    const char *text, char *err, size_t errlen)
{
	const struct mplm_setting *s = mplm_setting_find(name);
	double v;
	if (!s || !s->migration) {
		if (err && errlen)
			snprintf(err, errlen, "%s: not a migration parameter", name);
		return -1;
	}
	if (mplm_setting_parse(s, text, &v, err, errlen) < 0)
		return -1;
	mplm_params_put(p, s->id, v);
	return 0;
}

int mplm_profile_parse(const char *text, double values[MPLM_SET_COUNT],
		       bool given[MPLM_SET_COUNT], char *err, size_t errlen)
{
	char line[512], why[256];
	int n = 0;

	while (*text) {
		size_t len = strcspn(text, "\n");
		n++;
		if (len >= sizeof(line) || memchr(text, '\0', len)) {
			snprintf(err, errlen, "line %d: too long", n);
			return -1;
		}
		memcpy(line, text, len);
		line[len] = '\0';
		text += len + (text[len] == '\n');

		char *p = line + strspn(line, " \t\r");
		if (!*p || *p == '#')
			continue;
		char *eq = strchr(p, '=');
		if (!eq) {
			snprintf(err, errlen, "line %d: expected name = value", n);
			return -1;
		}
		char *end = eq;
		while (end > p && strchr(" \t", end[-1]))
			end--;
		*end = '\0';
		const struct mplm_setting *s = mplm_setting_find(p);
		if (!s || !s->machine) {
			snprintf(err, errlen, "line %d: %.64s is not a machine setting "
				 "(header-bytes, zero-page-bytes, zero-page-cost, state-bytes, "
				 "sync-fixed, sync-per-page, bandwidth)", n, p);
			return -1;
		}
		char *v = eq + 1 + strspn(eq + 1, " \t");
		v[strcspn(v, "\r")] = '\0';
		if (mplm_setting_parse(s, v, &values[s->id], why, sizeof(why)) < 0) {
			snprintf(err, errlen, "line %d: %s", n, why);
			return -1;
		}
		given[s->id] = true;
	}
	return 0;
}
