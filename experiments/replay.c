/*
 * replay.c - build the simulator's replays of recorded kvm runs (see
 * replay.h).
 */
#include "replay.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void replay_name(const char *kvm_name, char *buf, size_t len)
{
	snprintf(buf, len, "%s-replay", kvm_name);
}

/* Larger than any profile kvmlite calibrate writes: not a profile. */
#define PROFILE_MAX (64 * 1024)

int replay_profile_read(const char *path, struct replay_profile *p,
			char *err, size_t errlen)
{
	char why[400];
	memset(p, 0, sizeof(*p));
	p->path = path;
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	p->text = malloc(PROFILE_MAX + 1);
	size_t n = p->text ? fread(p->text, 1, PROFILE_MAX + 1, f) : 0;
	bool bad = ferror(f);
	fclose(f);
	if (!p->text || bad || n > PROFILE_MAX) {
		snprintf(err, errlen, "%s: %s", path, !p->text ? "out of memory"
			 : bad ? "read error" : "not a profile (larger than 64 KiB)");
		replay_profile_free(p);
		return -1;
	}
	p->text[n] = '\0';
	if (mplm_profile_parse(p->text, p->v, p->given, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		replay_profile_free(p);
		return -1;
	}
	return 0;
}

void replay_profile_free(struct replay_profile *p)
{
	free(p->text);
	p->text = NULL;
}

/* What the database holds for one kvm run: its recording, if the run
 * completed and was recorded. */
struct recording {
	char *trace;
	double start_at;
};

static int find_recording(sqlite3_stmt *st, const struct exp_run *k,
			  struct recording *rec)
{
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, k->hash, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, (int)k->repetition);
	int rc = sqlite3_step(st);
	rec->trace = NULL;
	if (rc == SQLITE_ROW) {
		rec->trace = strdup((const char *)sqlite3_column_text(st, 0));
		rec->start_at = sqlite3_column_double(st, 1);
		if (!rec->trace)
			return -1;
	}
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* The profile's link rate caps the run's link: kvmlite's stream cannot go
 * faster than this host moves it, whatever rate it was allowed. */
static double replay_link(const struct exp_run *k,
			  const struct replay_profile *prof)
{
	double host = prof->given[MPLM_SET_BANDWIDTH] ? prof->v[MPLM_SET_BANDWIDTH] : 0;
	return mplm_wire_rate(host, k->cfg.link_bandwidth);
}

/* The simulator's configuration of the replay of k: its trace from the
 * migration's start, k's migration parameters, the profile's costs. */
static void replay_config(const struct exp_run *k, const struct exp_workload *w,
			  const struct replay_profile *prof, struct sim_config *c)
{
	sim_config_default(c);
	c->trace_path = w->trace_path;
	c->vm_bytes = 0; /* the trace's pages: the real VM, boot area and all */
	c->params = k->cfg.params;
	c->replay = k->cfg.replay; /* the file's `replay`: the real guest has none */
	c->start_at = w->start_at;
	c->extend_live_at = k->cfg.extend_live_at;
	c->end_live_at = k->cfg.end_live_at;
	c->start_postcopy_at = k->cfg.start_postcopy_at;
	for (int id = 0; id < MPLM_SET_COUNT; id++)
		if (prof->given[id] && id != MPLM_SET_BANDWIDTH)
			sim_config_set(c, (enum mplm_setting_id)id, prof->v[id]);
	c->link_bandwidth = replay_link(k, prof);
}

/* The replay experiment's text, stored as its config: where its costs
 * came from (the profile, whole) and what it replays. */
static char *provenance(const struct experiment *kvm,
			const struct replay_profile *prof)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	fprintf(f, "; mplm-exp validate: mplm-sim's replays of the recorded runs of "
		   "experiment %s (%s),\n; each from its migration's start, with the "
		   "machine profile %s:\n", kvm->name, kvm->file, prof->path);
	for (const char *line = prof->text; *line;) {
		size_t n = strcspn(line, "\n");
		fprintf(f, ";   %.*s\n", (int)n, line);
		line += n + (line[n] == '\n');
	}
	fprintf(f, "; The recorded experiment:\n%s", kvm->text ? kvm->text : "");
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

static struct experiment *replay_experiment(const struct experiment *kvm,
					    const struct replay_profile *prof,
					    size_t nruns)
{
	struct experiment *e = calloc(1, sizeof(*e));
	char name[300];
	if (!e)
		return NULL;
	replay_name(kvm->name, name, sizeof(name));
	e->name = strdup(name);
	e->file = strdup(kvm->file);
	e->description = strdup("mplm-sim's replays of the recorded kvm runs");
	e->figure = strdup("none");
	e->text = provenance(kvm, prof);
	e->backend = backend_find("sim");
	e->repetitions = kvm->repetitions;
	e->seed = kvm->seed;
	e->workloads = calloc(nruns ? nruns : 1, sizeof(*e->workloads));
	if (!e->name || !e->file || !e->description || !e->figure || !e->text ||
	    !e->workloads) {
		exp_free(e);
		return NULL;
	}
	return e;
}

/* The replay's workload: the kvm run's name and label, its recording. */
static int replay_workload(const struct exp_workload *kw,
			   const struct recording *rec, const char *where,
			   struct exp_workload *w)
{
	*w = (struct exp_workload){
		.name = strdup(kw->name), .label = strdup(kw->label),
		.trace_path = rec->trace, .start_at = rec->start_at,
		.start_jitter = -1, .at_end = -1, .untraced_nonzero = -1,
		.placement = -1, .static_bytes = -1, .where = strdup(where),
	};
	return w->name && w->label && w->where ? 0 : -1;
}

static void add_replay(struct replay *out, const struct exp_run *k,
		       struct exp_workload *w, const struct replay_profile *prof)
{
	struct exp_run *r = &out->runs.v[out->runs.n++];
	*r = (struct exp_run){
		.workload = w, .alg = k->alg, .repetition = k->repetition,
		.seed = k->seed, .nominal_start = w->start_at,
		.point_index = k->point_index,
	};
	replay_config(k, w, prof, &r->cfg);
	exp_run_key(r, out->e);
	/* Its point is the recorded run's: the pairs group by case, though
	 * each repetition replays a trace of its own. */
	memcpy(r->point_hash, k->point_hash, sizeof(r->point_hash));
}

int replay_build(expdb *db, int64_t kvm_id, const struct experiment *kvm,
		 const struct exp_runs *kvm_runs,
		 const struct replay_profile *prof, struct replay *out,
		 char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	memset(out, 0, sizeof(*out));
	out->e = replay_experiment(kvm, prof, kvm_runs->n);
	out->runs.v = calloc(kvm_runs->n ? kvm_runs->n : 1, sizeof(*out->runs.v));
	if (!out->e || !out->runs.v) {
		snprintf(err, errlen, "out of memory");
		replay_free(out);
		return -1;
	}
	if (sqlite3_prepare_v2(db_handle(db),
			       "SELECT rec.trace, rec.start_at FROM runs r"
			       " JOIN recordings rec ON rec.run_id = r.id"
			       " WHERE r.experiment_id = ?3 AND r.param_hash = ?1"
			       " AND r.repetition = ?2 AND r.status = 'completed'",
			       -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "results database: %s",
			 sqlite3_errmsg(db_handle(db)));
		replay_free(out);
		return -1;
	}
	sqlite3_bind_int64(st, 3, kvm_id);
	bool failed = false;
	for (size_t i = 0; i < kvm_runs->n && !failed; i++) {
		const struct exp_run *k = &kvm_runs->v[i];
		struct recording rec;
		if (find_recording(st, k, &rec) < 0) {
			snprintf(err, errlen, "results database: %s",
				 sqlite3_errmsg(db_handle(db)));
			failed = true;
			continue;
		}
		if (!rec.trace) {
			out->unrecorded++;
			continue;
		}
		/* The workload owns the trace's name from here on. */
		struct exp_workload *w = &out->e->workloads[out->e->nworkloads++];
		if (replay_workload(k->workload, &rec, k->workload->where, w) < 0) {
			snprintf(err, errlen, "out of memory");
			failed = true;
			continue;
		}
		add_replay(out, k, w, prof);
	}
	sqlite3_finalize(st);
	if (failed) {
		replay_free(out);
		return -1;
	}
	return 0;
}

void replay_free(struct replay *r)
{
	for (size_t i = 0; i < r->runs.n; i++)
		free(r->runs.v[i].key);
	free(r->runs.v);
	exp_free(r->e);
	memset(r, 0, sizeof(*r));
}
