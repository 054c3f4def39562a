/*
 * api.c - mplm-lab-web's JSON API (api.h): query parameters to a
 * simulator configuration, a recorded run to JSON.
 */
#include "api.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explain.h"
#include "gen.h"
#include "memmap.h"
#include "teach.h"
#include "units.h"

void web_limits_default(struct web_limits *lim)
{
	/* A classroom server on a small machine: a run takes well under a
	 * second and its answer stays under a few MB. */
	lim->max_pages = 65536;  /* 256 MiB of 4 KiB pages */
	lim->max_time = 600;
	lim->max_writes = 2e7;
	lim->max_syncs = 1000;
}

void web_request_init(struct web_request *rq)
{
	memset(rq, 0, sizeof(*rq));
	sim_config_default(&rq->cfg);
	rq->cfg.params.max_bandwidth = 524288;
	rq->cfg.params.intervaltime = 1;
	/* The exercises of docs/teaching.md, worked out by hand. */
	rq->cfg.params.mplm_variant = MPLM_VARIANT_PAPER;
	rq->cfg.params.relaxlivemig = false;
	rq->cfg.params.threshold_bandwidth = MPLM_THRESHOLD_MAX_BANDWIDTH;
	/* --simple: every time is pages / pages per second. */
	rq->simple = true;
	rq->cfg.header_bytes = 0;
	rq->cfg.state_bytes = 0;
	rq->cfg.sync_fixed = 0;
	rq->cfg.sync_per_page = 0;
	snprintf(rq->pattern, sizeof(rq->pattern), "uniform");
	snprintf(rq->memory, sizeof(rq->memory), "1M"); /* 256 pages */
	snprintf(rq->rate, sizeof(rq->rate), "60");
	snprintf(rq->duration, sizeof(rq->duration), "60");
	snprintf(rq->seed, sizeof(rq->seed), "1");
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---------------------------------------------------------------- */
/* The parameters. Every setting of mplm-core's table (mplm.h) is parsed
 * and range-checked there, under its own name; the page's own parameters
 * are the workload generator's keys and the textbook costs. */

typedef int (*param_fn)(struct web_request *rq, const char *v, const char **want);

/* --simple's textbook costs (the default here), or mplm-sim's usual ones. */
static int set_simple(struct web_request *rq, const char *v, const char **want)
{
	bool simple;
	struct sim_config d;
	*want = "expected on or off";
	if (units_parse_bool(v, &simple) < 0)
		return -1;
	sim_config_default(&d);
	rq->simple = simple;
	rq->cfg.header_bytes = simple ? 0 : d.header_bytes;
	rq->cfg.state_bytes = simple ? 0 : d.state_bytes;
	rq->cfg.sync_fixed = simple ? 0 : d.sync_fixed;
	rq->cfg.sync_per_page = simple ? 0 : d.sync_per_page;
	return 0;
}

static int set_pattern(struct web_request *rq, const char *v, const char **want)
{
	static const char *const patterns[] = { "uniform", "sequential", "hotspot", "stencil" };
	*want = "expected uniform, sequential, hotspot or stencil";
	for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++)
		if (strcmp(v, patterns[i]) == 0) {
			snprintf(rq->pattern, sizeof(rq->pattern), "%s", v);
			return 0;
		}
	return -1;
}

/* A workload key goes into the generator's spec, checked there as a whole
 * (web_request_finish); here only that it cannot break the spec apart. */
static int set_spec_field(char *field, size_t size, const char *v, const char **want)
{
	*want = "expected a number, with a unit suffix for sizes (letters, digits and '.' only)";
	size_t n = strlen(v);
	if (n == 0 || n >= size || strspn(v, "0123456789.abcdefghijklmnopqrstuvwxyz"
				       "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != n)
		return -1;
	memcpy(field, v, n + 1);
	return 0;
}

#define SPEC_SETTER(fn, field)                                                    \
	static int fn(struct web_request *rq, const char *v, const char **want)   \
	{                                                                         \
		return set_spec_field(rq->field, sizeof(rq->field), v, want);     \
	}
SPEC_SETTER(set_wss, wss)
SPEC_SETTER(set_rate, rate)
SPEC_SETTER(set_duration, duration)
SPEC_SETTER(set_seed, seed)
SPEC_SETTER(set_hot, hot)
SPEC_SETTER(set_skew, skew)
SPEC_SETTER(set_arrays, arrays)

struct param {
	const char *name;
	param_fn set;
};

/* The workload's keys as gen.h spells them. */
static const struct param own_params[] = {
	{ "simple", set_simple },
	{ "pattern", set_pattern },
	{ "wss", set_wss },
	{ "rate", set_rate },
	{ "duration", set_duration },
	{ "seed", set_seed },
	{ "hot", set_hot },
	{ "skew", set_skew },
	{ "arrays", set_arrays },
};
#define NOWN (sizeof(own_params) / sizeof(own_params[0]))

const char *const *web_param_names(void)
{
	static const char *names[MPLM_SET_COUNT + NOWN + 1];
	size_t n, k = 0;
	const struct mplm_setting *set = mplm_settings(&n);
	for (size_t i = 0; i < n && k < MPLM_SET_COUNT; i++)
		names[k++] = set[i].name;
	for (size_t i = 0; i < NOWN; i++)
		names[k++] = own_params[i].name;
	names[k] = NULL;
	return names;
}

/* Each parameter once: bit id for a setting, 32 + i for our own. */
_Static_assert(MPLM_SET_COUNT <= 32, "settings' bits overlap the page's own in web_request.seen");
static int once(struct web_request *rq, unsigned bit, const char *name,
		char *err, size_t errlen)
{
	if (rq->seen & (1ull << bit))
		return fail(err, errlen, "%s: given twice", name);
	rq->seen |= 1ull << bit;
	return 0;
}

/* A setting of the table. The VM's memory is the generator's. */
static int set_setting(struct web_request *rq, const struct mplm_setting *set,
		       const char *value, char *err, size_t errlen)
{
	double v;
	if (once(rq, set->id, set->name, err, errlen) < 0 ||
	    mplm_setting_parse(set, value, &v, err, errlen) < 0)
		return -1;
	if (set->id == MPLM_SET_MEMORY) {
		/* As written ("4M") when the spec can carry it, for people. */
		const char *want;
		if (set_spec_field(rq->memory, sizeof(rq->memory), value, &want) < 0)
			snprintf(rq->memory, sizeof(rq->memory), "%.0f", v);
		return 0;
	}
	if (set->id == MPLM_SET_MAX_TOTAL_TIME)
		rq->max_time_given = true;
	if (set->id == MPLM_SET_BANDWIDTH)
		rq->link_given = true;
	sim_config_set(&rq->cfg, set->id, v);
	return 0;
}

int web_request_set(struct web_request *rq, const char *name,
		    const char *value, char *err, size_t errlen)
{
	const char *want = "";
	const struct mplm_setting *set = mplm_setting_find(name);
	if (!value)
		value = "";
	if (set)
		return set_setting(rq, set, value, err, errlen);
	for (size_t i = 0; i < NOWN; i++) {
		if (strcmp(name, own_params[i].name) != 0)
			continue;
		if (once(rq, 32 + (unsigned)i, name, err, errlen) < 0)
			return -1;
		if (own_params[i].set(rq, value, &want) < 0)
			return fail(err, errlen, "%s=%.60s: %s", name, value, want);
		return 0;
	}
	return fail(err, errlen, "%.60s: unknown parameter", name);
}

/* ---------------------------------------------------------------- */
/* The whole request. */

static void spec_add(char *spec, size_t size, const char *key, const char *v)
{
	size_t n = strlen(spec);
	if (v[0])
		snprintf(spec + n, size - n, ",%s=%s", key, v);
}

static int check_limits(struct web_request *rq, const struct gen_spec *g,
			const struct web_limits *lim, char *err, size_t errlen)
{
	struct mplm_params *p = &rq->cfg.params;
	if (g->pages > lim->max_pages)
		return fail(err, errlen, "memory: %llu pages, above this server's limit of %llu",
			    (unsigned long long)g->pages,
			    (unsigned long long)lim->max_pages);
	if (!rq->max_time_given)
		p->max_total_time = lim->max_time;
	else if (!(p->max_total_time > 0 && p->max_total_time <= lim->max_time))
		return fail(err, errlen, "max-total-time: must be above 0 and at most this server's %g s",
			    lim->max_time);
	/* The generator writes until the run stops or its program ends. */
	double until = rq->cfg.start_at + p->max_total_time;
	double writes = g->rate * (g->duration < until ? g->duration : until);
	if (writes > lim->max_writes)
		return fail(err, errlen, "rate=%s: %.3g page writes in the run, above this server's limit of %.3g (lower rate or duration)",
			    rq->rate, writes, lim->max_writes);
	if (rq->cfg.start_at > g->duration)
		return fail(err, errlen, "start-at: %g s is after the workload's end (duration=%s)",
			    rq->cfg.start_at, rq->duration);
	return 0;
}

int web_request_finish(struct web_request *rq, const struct web_limits *lim,
		       char *err, size_t errlen)
{
	struct gen_spec g;
	char why[256];

	/* As mplm-sim --simple: one rate, so the downtime (QEMU lifts the
	 * cap for it) goes at max-bandwidth too. */
	if (rq->simple && !rq->link_given && rq->cfg.params.max_bandwidth > 0)
		rq->cfg.link_bandwidth = rq->cfg.params.max_bandwidth;
	/* ... and writes land at each trace interval's end (replay
	 * interval), as the exercises count them, unless replay is given. */
	if (rq->simple && !(rq->seen & (1ull << MPLM_SET_REPLAY)))
		rq->cfg.replay = SIM_REPLAY_INTERVAL;
	snprintf(rq->spec, sizeof(rq->spec), "%s", rq->pattern);
	spec_add(rq->spec, sizeof(rq->spec), "memory", rq->memory);
	spec_add(rq->spec, sizeof(rq->spec), "wss", rq->wss);
	spec_add(rq->spec, sizeof(rq->spec), "rate", rq->rate);
	spec_add(rq->spec, sizeof(rq->spec), "duration", rq->duration);
	spec_add(rq->spec, sizeof(rq->spec), "seed", rq->seed);
	spec_add(rq->spec, sizeof(rq->spec), "hot", rq->hot);
	spec_add(rq->spec, sizeof(rq->spec), "skew", rq->skew);
	spec_add(rq->spec, sizeof(rq->spec), "arrays", rq->arrays);
	rq->cfg.workload_spec = rq->spec;
	if (gen_parse(rq->spec, &g, why, sizeof(why)) < 0)
		return fail(err, errlen, "%s", why);
	if (check_limits(rq, &g, lim, err, errlen) < 0)
		return -1;
	return mplm_params_check(&rq->cfg.params, err, errlen);
}

/* ---------------------------------------------------------------- */
/* The answer. */

static json_t *frame_json(const struct teach_run *run, size_t i)
{
	const struct teach_frame *f = &run->frames[i];
	const struct mplm_sync_record *r = &f->rec;
	char *cells = malloc(run->ncells + 1);
	char *text = explain_sync(run, i);
	json_t *counts = json_array(), *o = NULL;

	if (!cells || !text || !counts)
		goto out;
	for (uint64_t c = 0; c < run->ncells; c++)
		cells[c] = teach_state_char((enum sim_page_state)f->cells[c]);
	cells[run->ncells] = 0;
	for (int s = 0; s < TEACH_NSTATES; s++)
		json_array_append_new(counts, json_integer((json_int_t)f->count[s]));
	o = json_pack("{s:I, s:f, s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:O, s:s, s:s}",
		      "index", (json_int_t)r->index, "time", r->time,
		      "interval", r->interval, "dirtied", (json_int_t)r->dirtied,
		      "d", (json_int_t)r->d_size, "nd", (json_int_t)r->nd_size,
		      "sent_d", (json_int_t)r->sent_d, "sent_nd", (json_int_t)r->sent_nd,
		      "bytes", (json_int_t)r->bytes, "final", r->final,
		      "counts", counts, "cells", cells, "narration", text);
out:
	json_decref(counts);
	free(cells);
	free(text);
	return o;
}

static json_t *states_json(void)
{
	json_t *a = json_array();
	for (int s = 0; a && s < TEACH_NSTATES; s++) {
		char c[2] = { teach_state_char((enum sim_page_state)s), 0 };
		json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "char", c,
						   "name", sim_page_state_name((enum sim_page_state)s),
						   "label", teach_state_label((enum sim_page_state)s)));
	}
	return a;
}

/* What the run did, for the page's headings and the tests. */
static json_t *summary_json(const struct teach_run *run)
{
	const struct sim_result *r = &run->res;
	return json_pack("{s:s, s:s, s:s, s:f, s:f, s:f, s:f, s:I, s:f}",
			 "algorithm", mplm_algorithm_name(run->cfg.params.algorithm),
			 "workload", run->cfg.workload_spec,
			 "status", mplm_status_name(r->stats.status),
			 "live_time", r->stats.live_time, "downtime", r->stats.downtime,
			 "total_time", r->stats.total_time, "guest_rate", r->trace_rate,
			 "touched", (json_int_t)r->touched_pages,
			 "link_pages_per_s", teach_link_rate(&run->cfg) /
				 (run->page_size + run->cfg.header_bytes));
}

static json_t *reports_json(const struct teach_run *run)
{
	const struct sim_result *r = &run->res;
	char info[2048];
	char *qm = mplm_query_migrate_json(&r->stats, &run->cfg.params, r->syncs, r->nsyncs);
	char *outcome = explain_outcome(run);
	json_t *o = NULL, *q = qm ? json_loads(qm, 0, NULL) : NULL;

	mplm_format_info_migrate(&r->stats, info, sizeof(info));
	if (q && outcome)
		o = json_pack("{s:s, s:s, s:O}", "info_migrate", info, "outcome", outcome,
			      "query_migrate", q);
	json_decref(q);
	free(qm);
	free(outcome);
	return o;
}

static json_t *run_json(const struct teach_run *run)
{
	json_t *frames = json_array();
	json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:o, s:o, s:o}",
			      "pages", (json_int_t)run->pages,
			      "page_size", (json_int_t)run->page_size,
			      "pages_per_cell", (json_int_t)run->pages_per_cell,
			      "ncells", (json_int_t)run->ncells,
			      "summary", summary_json(run), "states", states_json(),
			      "reports", reports_json(run));
	if (!o || !frames) {
		json_decref(o);
		json_decref(frames);
		return NULL;
	}
	for (size_t i = 0; i < run->nframes; i++) {
		json_t *f = frame_json(run, i);
		if (!f || json_array_append_new(frames, f) < 0) {
			json_decref(frames);
			json_decref(o);
			return NULL;
		}
	}
	json_object_set_new(o, "frames", frames);
	return o;
}

char *web_run_json(const struct web_request *rq, const struct web_limits *lim,
		   char *err, size_t errlen)
{
	struct teach_run run;
	char *text = NULL;

	if (teach_record_max(&rq->cfg, MEMMAP_IMAGE_CELLS, lim->max_syncs, &run) < 0) {
		if (run.too_many)
			fail(err, errlen, "the run makes more than %zu dirty log syncs, this server's limit (raise intervaltime or lower max-total-time)",
			     lim->max_syncs);
		else
			fail(err, errlen, "%s", run.res.error[0] ? run.res.error : "the run failed");
	} else if (run.res.verified && run.res.mismatches) {
		fail(err, errlen, "invariant broken: %llu pages differ at resume",
		     (unsigned long long)run.res.mismatches);
	} else {
		json_t *o = run_json(&run);
		text = o ? json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
		if (!text)
			fail(err, errlen, "out of memory for the answer");
	}
	teach_run_free(&run);
	return text;
}
