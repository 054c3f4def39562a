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
	[MPLM_SET_ALGORITHM] = { .id = MPLM_SET_ALGORITHM, .name = "algorithm", .type = MPLM_TYPE_CHOICE,
	  .unit = "", .scale = 1, .min = 0, .max = 2,
	  .choices = "precopy|mplm|stopcopy",
	  .metavar = "precopy|mplm|stopcopy",
	  .help = "QEMU 2.9 pre-copy, MPLM, or non-live stop-and-copy",
	  .migration = true },
	[MPLM_SET_DOWNTIME_LIMIT] = { .id = MPLM_SET_DOWNTIME_LIMIT, .name = "downtime-limit", .type = MPLM_TYPE_DURATION,
	  .unit = "ms", .scale = 1e-3, .min = 0, .max = 2000,
	  .metavar = "MS",
	  .help = "pre-copy's maximum tolerable downtime (QEMU's limit: 2000 s)",
	  .migration = true },
	/* Below 1 KB/s one page takes seconds: a typo, not a link. */
	[MPLM_SET_MAX_BANDWIDTH] = { .id = MPLM_SET_MAX_BANDWIDTH, .name = "max-bandwidth", .type = MPLM_TYPE_RATE,
	  .unit = "bytes/s", .scale = 1, .min = 1000, .max = TB_PER_S,
	  .metavar = "RATE",
	  .help = "cap on the migration's rate: 1Gbps, 125MB/s, bytes/s; 0 = none",
	  .migration = true, .zero_is_none = true },
	[MPLM_SET_MAX_ITERATIONS] = { .id = MPLM_SET_MAX_ITERATIONS, .name = "max-iterations", .type = MPLM_TYPE_COUNT,
	  .unit = "", .scale = 1, .min = 0, .max = 1e6,
	  .metavar = "N",
	  .help = "pre-copy: stop-and-copy after N dirty syncs; 0 = no limit",
	  .migration = true },
	[MPLM_SET_THRESHOLD_BANDWIDTH] = { .id = MPLM_SET_THRESHOLD_BANDWIDTH, .name = "threshold-bandwidth", .type = MPLM_TYPE_CHOICE,
	  .unit = "", .scale = 1, .min = 0, .max = 1,
	  .choices = "measured|max-bandwidth",
	  .metavar = "measured|max-bandwidth",
	  .help = "the downtime threshold's rate: QEMU 2.9's measured one, or min(link, max-bandwidth)",
	  .migration = true },
	[MPLM_SET_MPLM_VARIANT] = { .id = MPLM_SET_MPLM_VARIANT, .name = "mplm-variant", .type = MPLM_TYPE_CHOICE,
	  .unit = "", .scale = 1, .min = 0, .max = 1,
	  .choices = "qemu-mplm|paper",
	  .metavar = "qemu-mplm|paper",
	  .help = "MPLM as qemu-mplm's code runs it, or as the paper describes it",
	  .migration = true },
	[MPLM_SET_INTERVALTIME] = { .id = MPLM_SET_INTERVALTIME, .name = "intervaltime", .type = MPLM_TYPE_DURATION,
	  .unit = "s", .scale = 1, .min = 1e-3, .max = 1e6,
	  .metavar = "S",
	  .help = "MPLM: epoch length, time between dirty syncs",
	  .migration = true },
	[MPLM_SET_DIRTYPERCENTS] = { .id = MPLM_SET_DIRTYPERCENTS, .name = "dirtypercents", .type = MPLM_TYPE_COUNT,
	  .unit = "%", .scale = 1, .min = 0, .max = 100,
	  .metavar = "N",
	  .help = "MPLM: of every 100 page slots, those for the dirty set",
	  .migration = true },
	[MPLM_SET_FIRSTNONDIRTY] = { .id = MPLM_SET_FIRSTNONDIRTY, .name = "firstnondirty", .type = MPLM_TYPE_BOOL,
	  .unit = "", .scale = 1, .min = 0, .max = 1,
	  .metavar = "on|off",
	  .help = "MPLM: epoch 0 sends non-dirty pages only",
	  .migration = true },
	[MPLM_SET_RELAXLIVEMIG] = { .id = MPLM_SET_RELAXLIVEMIG, .name = "relaxlivemig", .type = MPLM_TYPE_BOOL,
	  .unit = "", .scale = 1, .min = 0, .max = 1,
	  .metavar = "on|off",
	  .help = "MPLM: in QEMU's bulk stage the dirty cursor may send unsent pages",
	  .migration = true },
	[MPLM_SET_MAX_TOTAL_TIME] = { .id = MPLM_SET_MAX_TOTAL_TIME, .name = "max-total-time", .type = MPLM_TYPE_DURATION,
	  .unit = "s", .scale = 1, .min = 0, .max = LONG_TIME,
	  .metavar = "S",
	  .help = "give up (status not-converged) after this long; 0 = never",
	  .migration = true },
	[MPLM_SET_AUTO_CONVERGE] = { .id = MPLM_SET_AUTO_CONVERGE, .name = "auto-converge", .type = MPLM_TYPE_BOOL,
	  .unit = "", .scale = 1, .min = 0, .max = 1,
	  .metavar = "on|off",
	  .help = "QEMU's capability: throttle a guest that dirties too fast",
	  .migration = true },
	[MPLM_SET_CPU_THROTTLE_INITIAL] = { .id = MPLM_SET_CPU_THROTTLE_INITIAL, .name = "cpu-throttle-initial", .type = MPLM_TYPE_COUNT,
	  .unit = "%", .scale = 1, .min = 1, .max = 99,
	  .metavar = "N",
	  .help = "auto-converge: the first throttle",
	  .migration = true },
	[MPLM_SET_CPU_THROTTLE_INCREMENT] = { .id = MPLM_SET_CPU_THROTTLE_INCREMENT, .name = "cpu-throttle-increment", .type = MPLM_TYPE_COUNT,
	  .unit = "%", .scale = 1, .min = 1, .max = 99,
	  .metavar = "N",
	  .help = "auto-converge: added at each later throttle",
	  .migration = true },
	[MPLM_SET_POSTCOPY_RAM] = { .id = MPLM_SET_POSTCOPY_RAM, .name = "postcopy-ram", .type = MPLM_TYPE_BOOL,
	  .unit = "", .scale = 1, .min = 0, .max = 1,
	  .metavar = "on|off",
	  .help = "QEMU's capability: pre-copy may switch to post-copy (no way back after it)",
	  .migration = true },
	/* Not a QEMU parameter: QEMU switches on migrate-start-postcopy only. */
	[MPLM_SET_POSTCOPY_AFTER_PASSES] = { .id = MPLM_SET_POSTCOPY_AFTER_PASSES, .name = "postcopy-after-passes", .type = MPLM_TYPE_COUNT,
	  .unit = "", .scale = 1, .min = 0, .max = 1e6,
	  .metavar = "N",
	  .help = "post-copy after N pre-copy passes (live syncs); 0 = on migrate-start-postcopy only",
	  .migration = true },
	[MPLM_SET_MEMORY] = { .id = MPLM_SET_MEMORY, .name = "memory", .type = MPLM_TYPE_SIZE,
	  .unit = "bytes", .scale = 1, .min = 4096, .max = 17592186044416.0 /* 16 TiB */,
	  .metavar = "SIZE",
	  .help = "guest memory: 8G, 512M" },
	[MPLM_SET_BANDWIDTH] = { .id = MPLM_SET_BANDWIDTH, .name = "bandwidth", .type = MPLM_TYPE_RATE,
	  .unit = "bytes/s", .scale = 1, .min = 1, .max = TB_PER_S,
	  .metavar = "RATE",
	  .help = "the simulated link's speed: 1Gbps, 10Gbps",
	  .machine = true },
	[MPLM_SET_START_AT] = { .id = MPLM_SET_START_AT, .name = "start-at", .type = MPLM_TYPE_DURATION,
	  .unit = "s", .scale = 1, .min = 0, .max = LONG_TIME,
	  .metavar = "S",
	  .help = "start migrating this far into the guest's run" },
	[MPLM_SET_EXTEND_LIVE_AT] = { .id = MPLM_SET_EXTEND_LIVE_AT, .name = "extend-live-at", .type = MPLM_TYPE_DURATION,
	  .unit = "s", .scale = 1, .min = 0, .max = LONG_TIME,
	  .metavar = "S",
	  .help = "MPLM: set-mplm-extend-live this long after the start" },
	[MPLM_SET_END_LIVE_AT] = { .id = MPLM_SET_END_LIVE_AT, .name = "end-live-at", .type = MPLM_TYPE_DURATION,
	  .unit = "s", .scale = 1, .min = 0, .max = LONG_TIME,
	  .metavar = "S",
	  .help = "MPLM: set-mplm-end-live this long after the start" },
	/* The simulator's: spread (the default) lands each page of a trace
	 * interval at its own time inside it; interval lands them all at its
	 * end, as before (simulator/README.md, "The guest's writes"). */
	[MPLM_SET_REPLAY] = { .id = MPLM_SET_REPLAY, .name = "replay", .type = MPLM_TYPE_CHOICE,
	  .unit = "", .scale = 1, .min = 0, .max = 1,
	  .choices = "spread|interval",
	  .metavar = "spread|interval",
	  .help = "simulator: a trace interval's writes spread over it, or all at its end" },
	[MPLM_SET_START_POSTCOPY_AT] = { .id = MPLM_SET_START_POSTCOPY_AT, .name = "start-postcopy-at", .type = MPLM_TYPE_DURATION,
	  .unit = "s", .scale = 1, .min = 0, .max = LONG_TIME,
	  .metavar = "S",
	  .help = "postcopy-ram: migrate-start-postcopy this long after the start" },
	[MPLM_SET_HEADER_BYTES] = { .id = MPLM_SET_HEADER_BYTES, .name = "header-bytes", .type = MPLM_TYPE_SIZE,
	  .unit = "bytes", .scale = 1, .min = 0, .max = 65536,
	  .metavar = "N",
	  .help = "wire bytes per page on top of the page (QEMU: 8)",
	  .machine = true },
	[MPLM_SET_ZERO_PAGE_BYTES] = { .id = MPLM_SET_ZERO_PAGE_BYTES, .name = "zero-page-bytes", .type = MPLM_TYPE_SIZE,
	  .unit = "bytes", .scale = 1, .min = 0, .max = 65536,
	  .metavar = "N",
	  .help = "wire bytes of a zero page (QEMU: 9)",
	  .machine = true },
	[MPLM_SET_ZERO_PAGE_COST] = { .id = MPLM_SET_ZERO_PAGE_COST, .name = "zero-page-cost", .type = MPLM_TYPE_DURATION,
	  .unit = "us", .scale = 1e-6, .min = 0, .max = 1e-3,
	  .metavar = "US",
	  .help = "source CPU time to find and send a zero page",
	  .machine = true },
	[MPLM_SET_STATE_BYTES] = { .id = MPLM_SET_STATE_BYTES, .name = "state-bytes", .type = MPLM_TYPE_SIZE,
	  .unit = "bytes", .scale = 1, .min = 0, .max = 1073741824.0,
	  .metavar = "SIZE",
	  .help = "vCPU and device state sent in the downtime",
	  .machine = true },
	[MPLM_SET_SYNC_FIXED] = { .id = MPLM_SET_SYNC_FIXED, .name = "sync-fixed", .type = MPLM_TYPE_DURATION,
	  .unit = "us", .scale = 1e-6, .min = 0, .max = 1,
	  .metavar = "US",
	  .help = "dirty log sync: fixed cost (the guest is paused)",
	  .machine = true },
	[MPLM_SET_SYNC_PER_PAGE] = { .id = MPLM_SET_SYNC_PER_PAGE, .name = "sync-per-page", .type = MPLM_TYPE_DURATION,
	  .unit = "ns", .scale = 1e-9, .min = 0, .max = 1e-3,
	  .metavar = "NS",
	  .help = "dirty log sync: cost per dirty page reported",
	  .machine = true },
	/* A 1 GbE LAN's ping is 0.1-0.2 ms, loopback's 0.02-0.05 ms; a
	 * userfaultfd fault adds its own handling on both sides. */
	[MPLM_SET_RTT] = { .id = MPLM_SET_RTT, .name = "rtt", .type = MPLM_TYPE_DURATION,
	  .unit = "us", .scale = 1e-6, .min = 0, .max = 10,
	  .metavar = "US",
	  .help = "post-copy: a remote fault's round trip, on top of the page's time on the link",
	  .machine = true },
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
	snprintf(buf, len, "out of range: %s%s to %s", s->zero_is_none ? "0 (none) or " : "",
		 lo, hi);
}

static int check_range(const struct mplm_setting *s, const char *text,
		       double v, double *out, char *err, size_t len)
{
	char why[160];
	if (!(v >= s->min && v <= s->max) && !(v == 0 && s->zero_is_none)) {
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
		if (s->zero_is_none && units_parse_uint(text, &u) == 0 && u == 0) {
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
	case MPLM_SET_POSTCOPY_RAM: return p->postcopy_ram;
	case MPLM_SET_POSTCOPY_AFTER_PASSES: return p->postcopy_after_passes;
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
	case MPLM_SET_POSTCOPY_RAM: p->postcopy_ram = v != 0; break;
	case MPLM_SET_POSTCOPY_AFTER_PASSES: p->postcopy_after_passes = (unsigned)v; break;
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

/* "a, b, c": the machine settings' names, from the table (a new one
 * joins the list by itself). */
static void machine_names(char *out, size_t outlen)
{
	size_t len = 0;
	out[0] = '\0';
	for (size_t i = 0; i < MPLM_SET_COUNT && len < outlen; i++)
		if (table[i].machine)
			len += (size_t)snprintf(out + len, outlen - len, "%s%s",
						len ? ", " : "", table[i].name);
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
			char names[256];
			machine_names(names, sizeof(names));
			snprintf(err, errlen, "line %d: %.64s is not a machine setting (%s)",
				 n, p, names);
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
