/*
 * expfile.c - experiment files (see expfile.h and README.md).
 *
 * inih calls one handler per `key = value`; it does not pass the line
 * number, so the file is fed through a reader that counts lines (inih
 * counts one line per reader call too). The handler stores the first error
 * as "FILE:LINE: what" and returns 0; ini_parse_stream returns the line of
 * the first error, which tells a handler error from a syntax error.
 */
#include "expfile.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "trace.h"
#include "units.h"

#define MAX_INCLUDE_DEPTH 4
#define MAX_LINE 200 /* inih's INI_MAX_LINE in Debian's build */

struct parse_ctx {
	struct experiment *e;
	const char *file;
	char *dir;
	int line;
	int err_line;
	char err[512];
	int depth;
};

/* ------------------------------------------------------------------ */
/* Small helpers. */

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p) {
		perror("mplm-exp");
		exit(2);
	}
	return p;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p) {
		perror("mplm-exp");
		exit(2);
	}
	return p;
}

static void *grow(void *v, size_t n, size_t size)
{
	void *p = realloc(v, (n + 1) * size);
	if (!p) {
		perror("mplm-exp");
		exit(2);
	}
	memset((char *)p + n * size, 0, size);
	return p;
}

static char *xasprintf(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s;
	if (vasprintf(&s, fmt, ap) < 0) {
		perror("mplm-exp");
		exit(2);
	}
	va_end(ap);
	return s;
}

/* Record the first error at the current line; returns 0 for inih. */
static int fail(struct parse_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int fail(struct parse_ctx *c, const char *fmt, ...)
{
	if (c->err_line)
		return 0;
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(c->err, sizeof(c->err), "%s:%d: %s", c->file, c->line, msg);
	c->err_line = c->line;
	return 0;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return strndup(path, (size_t)(slash - path));
}

static char *resolve_path(const char *dir, const char *path)
{
	if (path[0] == '/' || strcmp(dir, ".") == 0)
		return xstrdup(path);
	return xasprintf("%s/%s", dir, path);
}

static char *where(const struct parse_ctx *c)
{
	return xasprintf("%s:%d", c->file, c->line);
}

/* ------------------------------------------------------------------ */
/* Values. */

struct list_arg {
	struct parse_ctx *c;
	struct numlist *l;
	const char *key;
	const struct mplm_setting *setting;
};

static int parse_plain(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0)
		return -1;
	*out = v;
	return 0;
}

static int list_item(const char *item, void *arg)
{
	struct list_arg *a = arg;
	double v;
	char err[256];
	if (mplm_setting_parse(a->setting, item, &v, err, sizeof(err)))
		return fail(a->c, "%s", err), -1;
	a->l->v = grow(a->l->v, a->l->n, sizeof(double));
	a->l->v[a->l->n++] = v;
	return 0;
}

/* Lists append: a key may be repeated or continued on indented lines. */
static int split_into(struct parse_ctx *c, struct list_arg *a,
		      const char *value)
{
	size_t before = a->l->n;
	if (units_split_list(value, list_item, a))
		return fail(c, "%s: bad list `%s'", a->key, value);
	if (a->l->n == before)
		return fail(c, "%s: empty list", a->key);
	return 1;
}

/* A list of values of a setting of the table (mplm.h): the same names,
 * units and ranges as on every command line. */
static int add_setting_list(struct parse_ctx *c, struct numlist *l,
			    const char *key, const char *value)
{
	struct list_arg a = { c, l, key, mplm_setting_find(key) };
	return split_into(c, &a, value);
}

/* One value of a setting of the table. */
static int set_setting(struct parse_ctx *c, double *dst, const char *key,
		       const char *value)
{
	char err[256];
	if (*dst >= 0)
		return fail(c, "duplicate key `%s'", key);
	if (mplm_setting_parse(mplm_setting_find(key), value, dst, err,
			       sizeof(err)))
		return fail(c, "%s", err);
	return 1;
}

/* A boolean or choice setting of the table, kept as -1 (unset) or its
 * value (0 or 1, a choice's index). */
static int set_setting_int(struct parse_ctx *c, int *dst, const char *key,
			   const char *value)
{
	double v = -1;
	if (*dst >= 0)
		return fail(c, "duplicate key `%s'", key);
	if (set_setting(c, &v, key, value) != 1)
		return 0;
	*dst = (int)v;
	return 1;
}

static int set_string(struct parse_ctx *c, char **dst, const char *key,
		      const char *value)
{
	if (*dst)
		return fail(c, "duplicate key `%s'", key);
	if (!*value)
		return fail(c, "%s: empty value", key);
	*dst = xstrdup(value);
	return 1;
}

static int set_seconds(struct parse_ctx *c, double *dst, const char *key,
		       const char *value)
{
	if (*dst >= 0)
		return fail(c, "duplicate key `%s'", key);
	if (units_parse_seconds(value, dst))
		return fail(c, "%s: `%s' is not a duration (seconds, or with "
			    "ms/s/min)", key, value);
	return 1;
}

static int set_bool(struct parse_ctx *c, int *dst, const char *key,
		    const char *value)
{
	bool b;
	if (*dst >= 0)
		return fail(c, "duplicate key `%s'", key);
	if (units_parse_bool(value, &b))
		return fail(c, "%s: `%s' is not a boolean (true/false)", key,
			    value);
	*dst = b;
	return 1;
}

/* ------------------------------------------------------------------ */
/* Sections. */

static int parse_file(struct parse_ctx *parent, struct experiment *e,
		      const char *path, char **text, char *err, size_t errlen);

/* `profile = FILE` (relative to this file): a machine profile, read and
 * checked now so that `check` finds a bad one at its line. */
static int load_profile(struct parse_ctx *c, struct experiment *e,
			const char *value)
{
	double v[MPLM_SET_COUNT];
	bool given[MPLM_SET_COUNT];
	char err[600];
	if (e->profile_path)
		return fail(c, "duplicate key `profile'");
	e->profile_path = resolve_path(c->dir, value);
	if (sim_profile_read(e->profile_path, v, given, err, sizeof(err)) < 0)
		return fail(c, "profile: %s", err);
	for (int id = 0; id < MPLM_SET_COUNT; id++)
		e->profile[id] = given[id] ? v[id] : -1;
	return 1;
}

static int experiment_key(struct parse_ctx *c, const char *key,
			  const char *value)
{
	struct experiment *e = c->e;
	if (!strcmp(key, "name")) {
		for (const char *p = value; *p; p++)
			if (!isalnum((unsigned char)*p) && !strchr("._-", *p))
				return fail(c, "name: `%s' may only hold "
					    "letters, digits, . _ -", value);
		return set_string(c, &e->name, key, value);
	}
	if (!strcmp(key, "description"))
		return set_string(c, &e->description, key, value);
	if (!strcmp(key, "figure")) {
		if (strcmp(value, "fig4") && strcmp(value, "bounds") &&
		    strcmp(value, "baselines") && strcmp(value, "none"))
			return fail(c, "figure: `%s' is not fig4, bounds, "
				    "baselines or none", value);
		return set_string(c, &e->figure, key, value);
	}
	if (!strcmp(key, "backend")) {
		const struct backend *b = backend_find(value);
		char names[64];
		backend_names(names, sizeof(names));
		if (!b)
			return fail(c, "backend: `%s' is not one of %s", value,
				    names);
		if (!b->run)
			return fail(c, "backend %s: %s", value, b->missing);
		e->backend = b;
		return 1;
	}
	if (!strcmp(key, "repetitions")) {
		uint64_t v;
		if (e->repetitions)
			return fail(c, "duplicate key `%s'", key);
		if (units_parse_uint(value, &v) || v < 1 || v > 100000)
			return fail(c, "repetitions: `%s' is not a count "
				    "1..100000", value);
		e->repetitions = (unsigned)v;
		return 1;
	}
	if (!strcmp(key, "seed")) {
		if (units_parse_uint(value, &e->seed))
			return fail(c, "seed: `%s' is not a non-negative "
				    "integer", value);
		return 1;
	}
	if (!strcmp(key, "memory"))
		return add_setting_list(c, &e->vm_memory, key, value);
	if (!strcmp(key, "vm-memory"))
		return fail(c, "vm-memory is now called memory, as on every command line");
	if (!strcmp(key, "bandwidth"))
		return add_setting_list(c, &e->bandwidth, key, value);
	const struct mplm_setting *set = mplm_setting_find(key);
	if (set && set->machine && set->id != MPLM_SET_BANDWIDTH)
		return set_setting(c, &e->machine[set->id], key, value);
	if (!strcmp(key, "profile"))
		return load_profile(c, e, value);
	if (!strcmp(key, "record-trace")) {
		if (e->record_dir)
			return fail(c, "duplicate key `%s'", key);
		e->record_where = where(c);
		e->record_dir = resolve_path(c->dir, value);
		return 1;
	}
	if (!strcmp(key, "max-total-time"))
		return set_setting(c, &e->max_total_time, key, value);
	if (!strcmp(key, "untraced-nonzero"))
		return set_bool(c, &e->untraced_nonzero, key, value);
	if (!strcmp(key, "verify"))
		return set_bool(c, &e->verify, key, value);
	if (!strcmp(key, "replay"))
		return set_setting_int(c, &e->replay, key, value);
	if (!strcmp(key, "include")) {
		if (c->depth >= MAX_INCLUDE_DEPTH)
			return fail(c, "include: nested too deeply");
		char *path = resolve_path(c->dir, value);
		int ok = parse_file(c, e, path, NULL, NULL, 0);
		free(path);
		return ok;
	}
	return fail(c, "unknown key `%s' in [experiment]", key);
}

static void workload_init(struct exp_workload *w, const char *name,
			  const struct parse_ctx *c)
{
	w->name = xstrdup(name);
	w->start_at = -1;
	w->start_jitter = -1;
	w->at_end = -1;
	w->untraced_nonzero = -1;
	w->placement = -1;
	w->static_bytes = -1;
	w->where = where(c);
}

static struct exp_workload *find_workload(struct exp_workload *v, size_t n,
					  const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

static struct exp_workload *get_workload(struct parse_ctx *c,
					 struct exp_workload **v, size_t *n,
					 const char *name)
{
	struct exp_workload *w = find_workload(*v, *n, name);
	if (w)
		return w;
	*v = grow(*v, *n, sizeof(**v));
	w = &(*v)[(*n)++];
	workload_init(w, name, c);
	return w;
}

static int workload_key(struct parse_ctx *c, struct exp_workload *w,
			const char *key, const char *value)
{
	if (!strcmp(key, "trace")) {
		if (w->trace_path)
			return fail(c, "duplicate key `trace'");
		w->trace_path = resolve_path(c->dir, value);
		return 1;
	}
	if (!strcmp(key, "generator"))
		return set_string(c, &w->spec, key, value);
	if (!strcmp(key, "preset"))
		return set_string(c, &w->preset, key, value);
	if (!strcmp(key, "label"))
		return set_string(c, &w->label, key, value);
	if (!strcmp(key, "start-at"))
		return set_setting(c, &w->start_at, key, value);
	if (!strcmp(key, "start-jitter"))
		return set_seconds(c, &w->start_jitter, key, value);
	if (!strcmp(key, "untraced-nonzero"))
		return set_bool(c, &w->untraced_nonzero, key, value);
	if (!strcmp(key, "placement")) {
		if (w->placement >= 0)
			return fail(c, "duplicate key `placement'");
		if (strcmp(value, "top") && strcmp(value, "bottom"))
			return fail(c, "placement: `%s' is not top or bottom",
				    value);
		w->placement = !strcmp(value, "top");
		return 1;
	}
	if (!strcmp(key, "static")) {
		uint64_t v;
		if (w->static_bytes >= 0)
			return fail(c, "duplicate key `static'");
		if (units_parse_size(value, &v))
			return fail(c, "static: `%s' is not a size", value);
		w->static_bytes = (double)v;
		return 1;
	}
	if (!strcmp(key, "at-end")) {
		if (w->at_end >= 0)
			return fail(c, "duplicate key `at-end'");
		if (!strcmp(value, "idle"))
			w->at_end = SIM_END_IDLE;
		else if (!strcmp(value, "loop"))
			w->at_end = SIM_END_LOOP;
		else
			return fail(c, "at-end: `%s' is not idle or loop",
				    value);
		return 1;
	}
	return fail(c, "unknown key `%s' in a workload", key);
}

static struct exp_algorithm *get_algorithm(struct parse_ctx *c,
					   const char *name)
{
	struct experiment *e = c->e;
	for (size_t i = 0; i < e->nalgorithms; i++)
		if (!strcmp(e->algorithms[i].name, name))
			return &e->algorithms[i];
	e->algorithms = grow(e->algorithms, e->nalgorithms, sizeof(*e->algorithms));
	struct exp_algorithm *a = &e->algorithms[e->nalgorithms++];
	a->name = xstrdup(name);
	a->threshold_bandwidth = a->mplm_variant = -1;
	a->firstnondirty = a->relaxlivemig = -1;
	a->auto_converge = -1;
	a->cpu_throttle_initial = a->cpu_throttle_increment = -1;
	a->postcopy_ram = -1;
	a->postcopy_after_passes = a->start_postcopy_at = -1;
	a->max_total_time = -1;
	a->where = where(c);
	/* The section name is the algorithm unless `algorithm =` says. */
	a->algorithm_set = mplm_algorithm_parse(name, &a->algorithm) == 0;
	return a;
}

static int algorithm_key(struct parse_ctx *c, struct exp_algorithm *a,
			 const char *key, const char *value)
{
	if (!strcmp(key, "algorithm")) {
		if (mplm_algorithm_parse(value, &a->algorithm))
			return fail(c, "algorithm: `%s' is not precopy, mplm or "
				    "stopcopy", value);
		a->algorithm_set = true;
		return 1;
	}
	if (!strcmp(key, "downtime-limit"))
		return add_setting_list(c, &a->downtime_limit, key, value);
	if (!strcmp(key, "max-bandwidth"))
		return add_setting_list(c, &a->max_bandwidth, key, value);
	if (!strcmp(key, "max-iterations"))
		return add_setting_list(c, &a->max_iterations, key, value);
	if (!strcmp(key, "intervaltime"))
		return add_setting_list(c, &a->intervaltime, key, value);
	if (!strcmp(key, "dirtypercents"))
		return add_setting_list(c, &a->dirtypercents, key, value);
	if (!strcmp(key, "threshold-bandwidth"))
		return set_setting_int(c, &a->threshold_bandwidth, key, value);
	if (!strcmp(key, "mplm-variant"))
		return set_setting_int(c, &a->mplm_variant, key, value);
	if (!strcmp(key, "firstnondirty"))
		return set_setting_int(c, &a->firstnondirty, key, value);
	if (!strcmp(key, "relaxlivemig"))
		return set_setting_int(c, &a->relaxlivemig, key, value);
	if (!strcmp(key, "auto-converge"))
		return set_setting_int(c, &a->auto_converge, key, value);
	if (!strcmp(key, "cpu-throttle-initial"))
		return set_setting(c, &a->cpu_throttle_initial, key, value);
	if (!strcmp(key, "cpu-throttle-increment"))
		return set_setting(c, &a->cpu_throttle_increment, key, value);
	if (!strcmp(key, "postcopy-ram"))
		return set_setting_int(c, &a->postcopy_ram, key, value);
	if (!strcmp(key, "postcopy-after-passes"))
		return set_setting(c, &a->postcopy_after_passes, key, value);
	if (!strcmp(key, "start-postcopy-at"))
		return set_setting(c, &a->start_postcopy_at, key, value);
	if (!strcmp(key, "max-total-time"))
		return set_setting(c, &a->max_total_time, key, value);
	return fail(c, "unknown key `%s' in an algorithm", key);
}

/* [reference W]: ALG.METRIC[@LIMIT] = [~]VALUE, or dirty-rate = VALUE. */
static int reference_key(struct parse_ctx *c, const char *workload,
			 const char *key, const char *value)
{
	struct exp_reference r = { .param = NAN };
	const char *v = value;
	if (*v == '~') {
		r.approx = true;
		v++;
	}
	if (parse_plain(v, &r.value))
		return fail(c, "%s: `%s' is not a number (or ~number)", key,
			    value);
	if (!strcmp(key, "dirty-rate")) {
		r.metric = xstrdup(key);
	} else {
		const char *dot = strchr(key, '.');
		if (!dot || dot == key)
			return fail(c, "reference key `%s' is not ALGORITHM."
				    "total|downtime[@LIMIT] or dirty-rate", key);
		const char *at = strchr(dot, '@');
		size_t mlen = at ? (size_t)(at - dot - 1) : strlen(dot + 1);
		if (!((mlen == 5 && !strncmp(dot + 1, "total", 5)) ||
		      (mlen == 8 && !strncmp(dot + 1, "downtime", 8))))
			return fail(c, "reference key `%s': metric must be "
				    "total or downtime", key);
		char why[256];
		if (at && mplm_setting_parse(mplm_setting_get(MPLM_SET_DOWNTIME_LIMIT),
					     at + 1, &r.param, why, sizeof(why)))
			return fail(c, "reference key `%s': after @, %s", key, why);
		r.algorithm = strndup(key, (size_t)(dot - key));
		r.metric = strndup(dot + 1, mlen);
	}
	r.workload = xstrdup(workload);
	r.where = where(c);
	struct experiment *e = c->e;
	e->references = grow(e->references, e->nreferences, sizeof(r));
	e->references[e->nreferences++] = r;
	return 1;
}

static int handler(void *user, const char *section, const char *key,
		   const char *value)
{
	struct parse_ctx *c = user;
	struct experiment *e = c->e;
	const char *space = strchr(section, ' ');
	size_t tlen = space ? (size_t)(space - section) : strlen(section);
	const char *name = space ? space + 1 : "";
	while (*name == ' ')
		name++;

	if (tlen == 10 && !strncmp(section, "experiment", tlen) && !*name)
		return experiment_key(c, key, value);
	if (!*name)
		return fail(c, "section [%s]: expected [experiment], "
			    "[workload NAME], [preset NAME], [algorithm NAME] "
			    "or [reference NAME]", section);
	for (const char *p = name; *p; p++)
		if (isspace((unsigned char)*p) || *p == ';' || *p == '=')
			return fail(c, "section [%s]: bad name", section);
	if (tlen == 8 && !strncmp(section, "workload", tlen))
		return workload_key(c, get_workload(c, &e->workloads,
						    &e->nworkloads, name),
				    key, value);
	if (tlen == 6 && !strncmp(section, "preset", tlen))
		return workload_key(c, get_workload(c, &e->presets,
						    &e->npresets, name),
				    key, value);
	if (tlen == 9 && !strncmp(section, "algorithm", tlen))
		return algorithm_key(c, get_algorithm(c, name), key, value);
	if (tlen == 9 && !strncmp(section, "reference", tlen))
		return reference_key(c, name, key, value);
	return fail(c, "unknown section [%s]", section);
}

struct line_reader {
	FILE *f;
	struct parse_ctx *c;
	bool want_text;   /* keep a copy of what was read */
	char *text;
	size_t len, cap;
};

static void keep_text(struct line_reader *r, const char *s)
{
	size_t n = strlen(s);
	if (r->len + n + 1 > r->cap) {
		r->cap = (r->len + n + 1) * 2;
		r->text = realloc(r->text, r->cap);
		if (!r->text) {
			perror("mplm-exp");
			exit(2);
		}
	}
	memcpy(r->text + r->len, s, n + 1);
	r->len += n;
}

/* inih only calls the handler for keys, so a section with none, such as
 * `[algorithm mplm]` taking every default, is noted here. */
static void note_section(struct parse_ctx *c, const char *line)
{
	while (*line == ' ' || *line == '\t')
		line++;
	const char *end = strchr(line, ']');
	if (*line != '[' || !end)
		return;
	char name[160];
	snprintf(name, sizeof(name), "%.*s", (int)(end - line - 1), line + 1);
	const char *sp = strchr(name, ' ');
	if (sp && !strncmp(name, "algorithm ", 10) && sp[1])
		get_algorithm(c, sp + 1);
}

/* fgets that also says whether the line held a NUL byte (which fgets
 * would pass on as the end of the line, cutting the value short). */
static char *get_line(char *str, int num, FILE *f, bool *nul)
{
	int n = 0, ch = EOF;
	*nul = false;
	while (n < num - 1 && (ch = getc(f)) != EOF) {
		*nul |= ch == '\0';
		str[n++] = (char)(ch ? ch : ' ');
		if (ch == '\n')
			break;
	}
	str[n] = '\0';
	return n ? str : NULL;
}

/* inih's reader: one call per line, which is how inih counts lines. */
static char *read_line(char *str, int num, void *stream)
{
	struct line_reader *r = stream;
	bool nul;
	if (!get_line(str, num, r->f, &nul))
		return NULL;
	r->c->line++;
	if (nul)
		fail(r->c, "a NUL byte in the line (binary data in an "
		     "experiment file?)");
	note_section(r->c, str);
	if (r->want_text)
		keep_text(r, str);
	size_t n = strlen(str);
	if (n == (size_t)num - 1 && str[n - 1] != '\n' && !feof(r->f)) {
		/* The truncated line still goes to inih; this error wins. */
		fail(r->c, "line longer than %d characters", num - 2);
		int ch;
		while ((ch = fgetc(r->f)) != EOF && ch != '\n')
			;
	}
	return str;
}

/* Parse one file into e; returns 1, or 0 with the message in err (at top
 * level) or in the including file's context. */
static int parse_file(struct parse_ctx *parent, struct experiment *e,
		      const char *path, char **text, char *err, size_t errlen)
{
	struct parse_ctx c = {
		.e = e, .file = path, .dir = dir_of(path),
		.depth = parent ? parent->depth + 1 : 0,
	};
	struct line_reader r = { .c = &c, .want_text = text != NULL };
	int ok = 1;
	r.f = fopen(path, "r");
	if (!r.f && parent) {
		free(c.dir);
		return fail(parent, "include %s: %s", path, strerror(errno));
	}
	if (!r.f) {
		snprintf(c.err, sizeof(c.err), "%s: %s", path, strerror(errno));
		ok = 0;
	} else {
		int bad = ini_parse_stream(read_line, &r, handler, &c);
		fclose(r.f);
		if (bad < 0) {
			snprintf(c.err, sizeof(c.err), "%s: out of memory", path);
			ok = 0;
		} else if (bad > 0 && (!c.err_line || bad < c.err_line)) {
			snprintf(c.err, sizeof(c.err), "%s:%d: syntax error: "
				 "expected [section], key = value, or a ; "
				 "comment", path, bad);
			ok = 0;
		} else if (bad > 0 || c.err_line) {
			ok = 0; /* the reader's or the handler's message */
		}
	}
	free(c.dir);
	if (text)
		*text = r.text ? r.text : xstrdup("");
	else
		free(r.text);
	if (ok)
		return 1;
	if (parent) {
		/* The include line fails with the included file's message. */
		if (!parent->err_line) {
			snprintf(parent->err, sizeof(parent->err), "%s", c.err);
			parent->err_line = parent->line;
		}
	} else {
		snprintf(err, errlen, "%s", c.err);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Checks after parsing. */

static int check_fail(char *err, size_t errlen, const char *where,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int check_fail(char *err, size_t errlen, const char *where,
		      const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s: %s", where, msg);
	return -1;
}

static void inherit(struct exp_workload *w, const struct exp_workload *p)
{
	if (!w->trace_path && !w->spec) {
		w->trace_path = p->trace_path ? xstrdup(p->trace_path) : NULL;
		w->spec = p->spec ? xstrdup(p->spec) : NULL;
	}
	if (!w->label && p->label)
		w->label = xstrdup(p->label);
	if (w->start_at < 0)
		w->start_at = p->start_at;
	if (w->start_jitter < 0)
		w->start_jitter = p->start_jitter;
	if (w->at_end < 0)
		w->at_end = p->at_end;
	if (w->untraced_nonzero < 0)
		w->untraced_nonzero = p->untraced_nonzero;
	if (w->placement < 0)
		w->placement = p->placement;
	if (w->static_bytes < 0)
		w->static_bytes = p->static_bytes;
}

static int check_workload(struct experiment *e, struct exp_workload *w,
			  char *err, size_t errlen)
{
	if (w->preset) {
		const struct exp_workload *p =
			find_workload(e->presets, e->npresets, w->preset);
		if (!p)
			return check_fail(err, errlen, w->where, "workload %s: "
					  "no [preset %s]", w->name, w->preset);
		inherit(w, p);
	}
	if (!w->trace_path == !w->spec)
		return check_fail(err, errlen, w->where, "workload %s: give "
				  "exactly one of trace = FILE, generator = "
				  "SPEC or preset = NAME", w->name);
	if (w->static_bytes > 0 && w->placement != 1)
		return check_fail(err, errlen, w->where, "workload %s: static "
				  "memory needs placement = top", w->name);
	if (!w->label)
		w->label = xstrdup(w->name);
	return 0;
}

static bool list_has_param(const struct numlist *l) { return l->n > 0; }

static int check_algorithm(const struct exp_algorithm *a, char *err,
			   size_t errlen)
{
	if (!a->algorithm_set)
		return check_fail(err, errlen, a->where, "[algorithm %s]: "
				  "say algorithm = precopy, mplm or stopcopy",
				  a->name);
	bool mplm = a->algorithm == MPLM_ALG_MPLM;
	if (!mplm && (list_has_param(&a->intervaltime) ||
		      list_has_param(&a->dirtypercents) ||
		      a->firstnondirty >= 0 || a->relaxlivemig >= 0))
		return check_fail(err, errlen, a->where, "[algorithm %s]: "
				  "intervaltime, dirtypercents, firstnondirty "
				  "and relaxlivemig apply to mplm only",
				  a->name);
	bool postcopy = a->postcopy_ram == 1;
	if ((postcopy || a->postcopy_after_passes > 0 || a->start_postcopy_at >= 0) &&
	    (a->algorithm != MPLM_ALG_PRECOPY || !postcopy))
		return check_fail(err, errlen, a->where, "[algorithm %s]: "
				  "postcopy-after-passes and start-postcopy-at need "
				  "postcopy-ram = on, which applies to precopy only",
				  a->name);
	if (a->algorithm == MPLM_ALG_STOPCOPY &&
	    list_has_param(&a->downtime_limit))
		return check_fail(err, errlen, a->where, "[algorithm %s]: "
				  "stopcopy has no downtime-limit", a->name);
	for (size_t i = 0; i < a->intervaltime.n; i++)
		if (a->intervaltime.v[i] <= 0)
			return check_fail(err, errlen, a->where, "[algorithm "
					  "%s]: intervaltime must be > 0",
					  a->name);
	return 0;
}

static const struct exp_algorithm *find_algorithm(const struct experiment *e,
						  const char *name)
{
	for (size_t i = 0; i < e->nalgorithms; i++)
		if (!strcmp(e->algorithms[i].name, name))
			return &e->algorithms[i];
	return NULL;
}

static int check_reference(const struct experiment *e,
			   const struct exp_reference *r, char *err,
			   size_t errlen)
{
	if (!find_workload(e->workloads, e->nworkloads, r->workload))
		return check_fail(err, errlen, r->where, "[reference %s]: no "
				  "[workload %s]", r->workload, r->workload);
	if (r->algorithm && !find_algorithm(e, r->algorithm))
		return check_fail(err, errlen, r->where, "[reference %s]: no "
				  "[algorithm %s]", r->workload, r->algorithm);
	return 0;
}

static int check_experiment(struct experiment *e, char *err, size_t errlen)
{
	if (!e->repetitions)
		e->repetitions = 1;
	if (!e->figure)
		e->figure = xstrdup("fig4");
	if (!e->description)
		e->description = xstrdup("");
	if (!e->vm_memory.n) {  /* 0: the workload's own size */
		e->vm_memory.v = grow(NULL, 0, sizeof(double));
		e->vm_memory.n = 1;
	}
	if (!e->bandwidth.n) {  /* the profile's link, or the paper's 1 Gbps */
		e->bandwidth.v = grow(NULL, 0, sizeof(double));
		e->bandwidth.v[0] = e->profile[MPLM_SET_BANDWIDTH] > 0
					    ? e->profile[MPLM_SET_BANDWIDTH] : 125e6;
		e->bandwidth.n = 1;
	}
	for (size_t i = 0; i < e->nworkloads; i++)
		if (check_workload(e, &e->workloads[i], err, errlen))
			return -1;
	for (size_t i = 0; i < e->nalgorithms; i++)
		if (check_algorithm(&e->algorithms[i], err, errlen))
			return -1;
	for (size_t i = 0; i < e->nreferences; i++)
		if (check_reference(e, &e->references[i], err, errlen))
			return -1;
	if (e->record_dir && !e->backend->records_traces)
		return check_fail(err, errlen, e->record_where, "record-trace: "
				  "backend %s runs no real guest to record",
				  e->backend->name);
	if (!e->name)
		return check_fail(err, errlen, e->file, "[experiment] needs "
				  "name = NAME");
	if (!e->nworkloads)
		return check_fail(err, errlen, e->file, "no [workload NAME] "
				  "section");
	if (!e->nalgorithms)
		return check_fail(err, errlen, e->file, "no [algorithm NAME] "
				  "section");
	return 0;
}

struct experiment *exp_load(const char *path, char *err, size_t errlen)
{
	struct experiment *e = xcalloc(1, sizeof(*e));
	e->file = xstrdup(path);
	e->seed = 1;
	e->backend = backend_default();
	for (int id = 0; id < MPLM_SET_COUNT; id++)
		e->machine[id] = e->profile[id] = -1;
	e->max_total_time = -1;
	e->untraced_nonzero = e->verify = e->replay = -1;

	if (!parse_file(NULL, e, path, &e->text, err, errlen)) {
		exp_free(e);
		return NULL;
	}
	if (check_experiment(e, err, errlen)) {
		exp_free(e);
		return NULL;
	}
	return e;
}

static void workload_free(struct exp_workload *w)
{
	free(w->name);
	free(w->label);
	free(w->preset);
	free(w->trace_path);
	free(w->spec);
	free(w->where);
}

void exp_free(struct experiment *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->nworkloads; i++)
		workload_free(&e->workloads[i]);
	for (size_t i = 0; i < e->npresets; i++)
		workload_free(&e->presets[i]);
	for (size_t i = 0; i < e->nalgorithms; i++) {
		struct exp_algorithm *a = &e->algorithms[i];
		free(a->name);
		free(a->downtime_limit.v);
		free(a->max_bandwidth.v);
		free(a->max_iterations.v);
		free(a->intervaltime.v);
		free(a->dirtypercents.v);
		free(a->where);
	}
	for (size_t i = 0; i < e->nreferences; i++) {
		free(e->references[i].workload);
		free(e->references[i].algorithm);
		free(e->references[i].metric);
		free(e->references[i].where);
	}
	free(e->workloads);
	free(e->presets);
	free(e->algorithms);
	free(e->references);
	free(e->vm_memory.v);
	free(e->bandwidth.v);
	free(e->profile_path);
	free(e->record_dir);
	free(e->record_where);
	free(e->file);
	free(e->name);
	free(e->description);
	free(e->figure);
	free(e->text);
	free(e);
}

/* ------------------------------------------------------------------ */
/* Expansion into runs. */

uint64_t exp_fnv1a(const char *s)
{
	uint64_t h = UINT64_C(14695981039346656037);
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= UINT64_C(1099511628211);
	}
	return h;
}

static uint64_t splitmix64(uint64_t x)
{
	x += UINT64_C(0x9e3779b97f4a7c15);
	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

/* Open the workload to learn its size; with whole_trace, also read a
 * trace file to its end (generators are valid once their spec parsed). */
static int measure_one(struct exp_workload *w, bool whole_trace, char *err,
		       size_t errlen)
{
	char why[512] = "";
	trace_source *s = w->spec ? gen_open(w->spec, why, sizeof(why))
				  : trace_open(w->trace_path, why, sizeof(why));
	if (!s)
		return check_fail(err, errlen, w->where, "workload %s: %s",
				  w->name, why);
	const struct trace_info *info = trace_source_info(s);
	w->bytes = info->pages * info->page_size;
	int rc = 0;
	if (whole_trace && w->trace_path && trace_source_read_to_end(s) < 0)
		rc = check_fail(err, errlen, w->where, "workload %s: %s",
				w->name, trace_source_error(s));
	trace_source_close(s);
	return rc;
}

static int measure_all(struct experiment *e, bool whole_traces, char *err,
		       size_t errlen)
{
	for (size_t i = 0; i < e->nworkloads; i++)
		if (measure_one(&e->workloads[i], whole_traces, err, errlen))
			return -1;
	return 0;
}

int exp_measure_workloads(struct experiment *e, char *err, size_t errlen)
{
	return measure_all(e, false, err, errlen);
}

int exp_check_traces(struct experiment *e, char *err, size_t errlen)
{
	return measure_all(e, true, err, errlen);
}

/* The spec with its seed replaced: same spec, same intervals. */
static char *spec_with_seed(const char *spec, uint64_t seed)
{
	size_t cap = strlen(spec) + 32, len = 0;
	char *out = xcalloc(cap, 1);
	const char *p = spec;
	while (*p) {
		size_t n = strcspn(p, ",");
		if (strncmp(p, "seed=", 5) != 0 || n < 5) {
			len += (size_t)snprintf(out + len, cap - len, "%s%.*s",
						len ? "," : "", (int)n, p);
		}
		p += n;
		if (*p == ',')
			p++;
	}
	snprintf(out + len, cap - len, ",seed=%llu", (unsigned long long)seed);
	return out;
}

/* sequential and stencil draw no random numbers (gen.c): their spec is
 * left alone, so every repetition replays the same trace. */
static bool spec_is_random(const char *spec)
{
	size_t n = strcspn(spec, ",");
	return !((n == 10 && !strncmp(spec, "sequential", n)) ||
		 (n == 7 && !strncmp(spec, "stencil", n)));
}

/* The spec without any seed= key: the same workload for every seed. */
static char *spec_without_seed(const char *spec)
{
	char *s = spec_with_seed(spec, 0);
	char *tail = strrchr(s, ',');
	if (tail)
		*tail = '\0';
	return s;
}

/* point key: every parameter but the seed; run key: point key + seed. */
void exp_run_key(struct exp_run *r, const struct experiment *e)
{
	const struct exp_workload *w = r->workload;
	const struct sim_config *c = &r->cfg;
	const struct mplm_params *p = &c->params;
	char *source = w->spec ? spec_without_seed(w->spec)
			       : xstrdup(w->trace_path);
	char *point = xasprintf(
		"backend=%s;workload=%s;source=%s:%s;vm=%llu;untraced=%d;"
		"bw=%.17g;hdr=%u;zero=%u;zerocost=%.17g;state=%llu;syncf=%.17g;syncp=%.17g;"
		"start=%.17g;jitter=%.17g;end=%s;verify=%d;alg=%s;algname=%s;"
		"dl=%.17g;maxbw=%.17g;iters=%u;threshold=%s;variant=%s;inv=%.17g;dp=%u;"
		"fnd=%d;relax=%d;cap=%.17g;place=%s;static=%.17g;ac=%d/%u/%u",
		e->backend->name, w->name,
		w->spec ? "gen" : "trace", source,
		(unsigned long long)c->vm_bytes, c->untraced_nonzero,
		c->link_bandwidth, c->header_bytes, sim_zero_page_bytes(c),
		c->zero_page_cost, (unsigned long long)c->state_bytes, c->sync_fixed,
		c->sync_per_page, r->nominal_start,
		w->start_jitter > 0 ? w->start_jitter : 0,
		c->at_end == SIM_END_LOOP ? "loop" : "idle", c->verify,
		mplm_algorithm_name(p->algorithm), r->alg->name,
		p->downtime_limit, p->max_bandwidth, p->max_iterations,
		mplm_threshold_bandwidth_name(p->threshold_bandwidth),
		mplm_variant_name(p->mplm_variant), p->intervaltime, p->dirtypercents,
		p->firstnondirty, p->relaxlivemig, p->max_total_time,
		w->placement == 1 ? "top" : "bottom",
		w->static_bytes > 0 ? w->static_bytes : 0, p->auto_converge,
		p->cpu_throttle_initial, p->cpu_throttle_increment);
	/* The simulator's (as bind_parameters stores it): a real guest's
	 * writes land when they happen, and editing `replay` in a kvm file
	 * must not run its real migrations again. */
	if (e->backend->replays_traces) {
		char *rp = xasprintf("%s;replay=%s", point,
				     c->replay == SIM_REPLAY_INTERVAL ? "interval"
								     : "spread");
		free(point);
		point = rp;
	}
	/* Post-copy's settings only when it is on: the keys of every other
	 * run stay what they were. */
	if (p->postcopy_ram) {
		char *pc = xasprintf("%s;pc=%u/%.17g;rtt=%.17g", point,
				     p->postcopy_after_passes, c->start_postcopy_at,
				     c->rtt);
		free(point);
		point = pc;
	}
	r->key = xasprintf("%s;seed=%llu", point, (unsigned long long)r->seed);
	snprintf(r->point_hash, sizeof(r->point_hash), "%016llx",
		 (unsigned long long)exp_fnv1a(point));
	snprintf(r->hash, sizeof(r->hash), "%016llx",
		 (unsigned long long)exp_fnv1a(r->key));
	free(point);
	free(source);
}

/* The settings shared by every algorithm of the point. */
static void base_config(const struct experiment *e,
			const struct exp_workload *w, struct exp_run *r,
			uint64_t vm_bytes, double bandwidth)
{
	struct sim_config *c = &r->cfg;
	sim_config_default(c);
	if (w->spec) {
		r->spec = spec_is_random(w->spec) ? spec_with_seed(w->spec, r->seed)
						  : xstrdup(w->spec);
		c->workload_spec = r->spec;
	} else {
		c->trace_path = w->trace_path;
	}
	c->vm_bytes = vm_bytes;
	c->link_bandwidth = bandwidth;
	for (int id = 0; id < MPLM_SET_COUNT; id++) {
		if (id == MPLM_SET_BANDWIDTH) /* a list of its own */
			continue;
		if (e->machine[id] >= 0)
			sim_config_set(c, (enum mplm_setting_id)id, e->machine[id]);
		else if (e->profile[id] >= 0)
			sim_config_set(c, (enum mplm_setting_id)id, e->profile[id]);
	}
	if (e->verify >= 0)
		c->verify = e->verify;
	if (e->replay >= 0)
		sim_config_set(c, MPLM_SET_REPLAY, e->replay);
	int untraced = w->untraced_nonzero >= 0 ? w->untraced_nonzero
						: e->untraced_nonzero;
	if (untraced >= 0)
		c->untraced_nonzero = untraced;
	c->placement = w->placement == 1 ? SIM_PLACE_TOP : SIM_PLACE_BOTTOM;
	c->static_bytes = w->static_bytes > 0 ? (uint64_t)w->static_bytes : 0;
	if (w->at_end >= 0)
		c->at_end = (enum sim_at_end)w->at_end;
	double start = w->start_at >= 0 ? w->start_at : c->start_at;
	r->nominal_start = start;
	if (w->start_jitter > 0) {
		uint64_t x = splitmix64(r->seed ^ exp_fnv1a(w->name));
		start += w->start_jitter * (double)(x >> 11) * 0x1.0p-53;
	}
	c->start_at = start;
}

/* Index i of list l, or keep *dst when the list is empty. */
static void pick(const struct numlist *l, size_t i, double *dst)
{
	if (l->n)
		*dst = l->v[i];
}

static size_t len_or_1(const struct numlist *l) { return l->n ? l->n : 1; }

struct alg_point {
	double dl, maxbw, iters, inv, dp;
};

static void apply_algorithm(const struct experiment *e,
			    const struct exp_algorithm *a,
			    const struct alg_point *pt, struct exp_run *r)
{
	struct mplm_params *p = &r->cfg.params; /* sim_config_default's */
	p->algorithm = a->algorithm;
	/* No cap unless asked: the wire then carries the link's rate
	 * (mplm_wire_rate owns min(link, max-bandwidth)). */
	p->max_bandwidth = 0;
	if (a->downtime_limit.n)
		p->downtime_limit = pt->dl;
	if (a->max_bandwidth.n)
		p->max_bandwidth = pt->maxbw;
	if (a->max_iterations.n)
		p->max_iterations = (unsigned)pt->iters;
	if (a->intervaltime.n)
		p->intervaltime = pt->inv;
	if (a->dirtypercents.n)
		p->dirtypercents = (unsigned)pt->dp;
	if (a->threshold_bandwidth >= 0)
		p->threshold_bandwidth = (enum mplm_threshold_bandwidth)a->threshold_bandwidth;
	if (a->mplm_variant >= 0)
		p->mplm_variant = (enum mplm_variant)a->mplm_variant;
	if (a->firstnondirty >= 0)
		p->firstnondirty = a->firstnondirty;
	if (a->relaxlivemig >= 0)
		p->relaxlivemig = a->relaxlivemig;
	if (a->auto_converge >= 0)
		p->auto_converge = a->auto_converge;
	if (a->cpu_throttle_initial >= 0)
		p->cpu_throttle_initial = (unsigned)a->cpu_throttle_initial;
	if (a->cpu_throttle_increment >= 0)
		p->cpu_throttle_increment = (unsigned)a->cpu_throttle_increment;
	if (a->postcopy_ram >= 0)
		p->postcopy_ram = a->postcopy_ram;
	if (a->postcopy_after_passes >= 0)
		p->postcopy_after_passes = (unsigned)a->postcopy_after_passes;
	if (a->start_postcopy_at >= 0)
		r->cfg.start_postcopy_at = a->start_postcopy_at;
	if (a->max_total_time >= 0)
		p->max_total_time = a->max_total_time;
	else if (e->max_total_time >= 0)
		p->max_total_time = e->max_total_time;
}

static void add_run(struct exp_runs *out, const struct exp_run *r)
{
	out->v = grow(out->v, out->n, sizeof(*out->v));
	out->v[out->n++] = *r;
}

/* Every parameter combination of one algorithm section. */
static void expand_algorithm(const struct experiment *e,
			     const struct exp_algorithm *a,
			     const struct exp_run *base, struct exp_runs *out)
{
	const struct numlist *ls[5] = { &a->downtime_limit, &a->max_bandwidth,
					&a->max_iterations, &a->intervaltime,
					&a->dirtypercents };
	size_t n[5], idx[5] = { 0 };
	for (int k = 0; k < 5; k++)
		n[k] = len_or_1(ls[k]);
	for (;;) {
		struct alg_point pt = { 0 };
		pick(ls[0], idx[0], &pt.dl);
		pick(ls[1], idx[1], &pt.maxbw);
		pick(ls[2], idx[2], &pt.iters);
		pick(ls[3], idx[3], &pt.inv);
		pick(ls[4], idx[4], &pt.dp);
		struct exp_run r = *base;
		r.alg = a;
		r.spec = base->spec ? xstrdup(base->spec) : NULL;
		if (r.spec)
			r.cfg.workload_spec = r.spec;
		apply_algorithm(e, a, &pt, &r);
		exp_run_key(&r, e);
		/* Named by the run's key, so a run and its recording stay
		 * together across repeated `run`s. */
		if (e->record_dir)
			r.record_path = xasprintf("%s/%s-%s.trace.gz", e->record_dir,
						  e->name, r.hash);
		r.cfg.record_trace = r.record_path;
		add_run(out, &r);
		int k = 4;
		while (k >= 0 && ++idx[k] == n[k])
			idx[k--] = 0;
		if (k < 0)
			break;
	}
}

int exp_expand(const struct experiment *e, struct exp_runs *out, char *err,
	       size_t errlen)
{
	memset(out, 0, sizeof(*out));
	for (size_t wi = 0; !e->backend->replays_traces && wi < e->nworkloads; wi++) {
		const struct exp_workload *w = &e->workloads[wi];
		if (w->trace_path)
			return check_fail(err, errlen, w->where, "workload %s: "
					  "backend %s runs real guests, which "
					  "need a generator spec, not a trace "
					  "file", w->name, e->backend->name);
	}
	size_t per_rep = 0;
	for (unsigned rep = 0; rep < e->repetitions; rep++)
	for (size_t wi = 0; wi < e->nworkloads; wi++)
	for (size_t vi = 0; vi < e->vm_memory.n; vi++)
	for (size_t bi = 0; bi < e->bandwidth.n; bi++) {
		const struct exp_workload *w = &e->workloads[wi];
		uint64_t vm = (uint64_t)e->vm_memory.v[vi];
		uint64_t need = w->bytes + (w->static_bytes > 0
					    ? (uint64_t)w->static_bytes : 0);
		if (vm && need > vm) {
			out->skipped_too_big += rep == 0;
			continue;
		}
		if (w->placement == 1 && !vm) {
			exp_runs_free(out);
			return check_fail(err, errlen, w->where, "workload %s: "
					  "placement = top needs memory",
					  w->name);
		}
		struct exp_run base = {
			.workload = w, .repetition = rep, .seed = e->seed + rep,
		};
		base_config(e, w, &base, vm, e->bandwidth.v[bi]);
		for (size_t ai = 0; ai < e->nalgorithms; ai++)
			expand_algorithm(e, &e->algorithms[ai], &base, out);
		free(base.spec);
	}
	/* Every repetition expands the same points in the same order. */
	per_rep = e->repetitions ? out->n / e->repetitions : 0;
	for (size_t i = 0; i < out->n; i++)
		out->v[i].point_index = (unsigned)(per_rep ? i % per_rep : i);
	return 0;
}

void exp_runs_free(struct exp_runs *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].spec);
		free(r->v[i].record_path);
		free(r->v[i].key);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

void exp_run_point_label(const struct exp_run *r, char *buf, size_t len)
{
	const struct mplm_params *p = &r->cfg.params;
	switch (p->algorithm) {
	case MPLM_ALG_PRECOPY:
		snprintf(buf, len, "%s dl=%g", r->alg->name, p->downtime_limit);
		break;
	case MPLM_ALG_MPLM:
		snprintf(buf, len, "%s dp=%u inv=%g", r->alg->name,
			 p->dirtypercents, p->intervaltime);
		break;
	default:
		snprintf(buf, len, "%s", r->alg->name);
	}
}
