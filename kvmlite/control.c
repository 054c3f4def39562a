/*
 * control.c - QMP-style control: a thread serves a socket, several
 * clients at once, one JSON object per line each way. Migrations run in their own
 * thread so query-migrate, migrate_cancel and the MPLM operator commands
 * work while they are in progress (mplm-core's stats and events are safe
 * from other threads).
 */
#include "control.h"
#include "control_lines.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct kl_control {
	struct kl_vm *vm;
	int lfd;
	char unix_path[108];    /* the socket we made, "" if none */
	dev_t unix_dev;
	ino_t unix_ino;
	int wake[2];            /* written to stop the server thread */
	pthread_t thread;

	pthread_mutex_t lock;   /* everything below */
	struct kl_mig_opts opts;
	kl_source *src;         /* the current or last migration */
	pthread_t mig_thread;
	bool mig_thread_live;   /* not joined yet */
	bool mig_running;
	bool migrated, quit;
	bool outcome_unknown;   /* paused after an unanswered END: `cont` decides */
	bool lost;              /* post-copy failed after the switch */
};

/* ------------------------------------------------------------------ */
/* Replies. */

static json_t *ok_empty(void)
{
	return json_pack("{s:{}}", "return");
}

static json_t *error_reply(const char *cls, const char *desc)
{
	return json_pack("{s:{s:s,s:s}}", "error", "class", cls, "desc", desc);
}

static json_t *generic_error(const char *desc)
{
	return error_reply("GenericError", desc);
}

/* ------------------------------------------------------------------ */
/* Migration thread. */

static void *migration_thread(void *arg)
{
	struct kl_control *c = arg;
	kl_source *s = c->src; /* set before the thread starts, not changed */
	int r = kl_source_run(s);

	pthread_mutex_lock(&c->lock);
	c->mig_running = false;
	if (r == KL_MIG_DONE)
		c->migrated = true;
	c->outcome_unknown = r == KL_MIG_UNKNOWN;
	c->lost = r == KL_MIG_LOST;
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* Join and free a finished migration; call with c->lock held. */
static void reap_migration(struct kl_control *c)
{
	if (!c->mig_thread_live || c->mig_running)
		return;
	pthread_join(c->mig_thread, NULL);
	c->mig_thread_live = false;
}

/* After the switch to post-copy the destination ran the guest: this copy
 * is behind it, and running it would roll the guest back. */
#define LOST_MSG "post-copy failed after the switch: the guest is lost (the destination ran it past this paused copy; post-copy cannot fall back)"

static json_t *cmd_migrate(struct kl_control *c, json_t *args)
{
	const char *uri = json_string_value(json_object_get(args, "uri"));
	struct kl_err e;

	if (!uri)
		return generic_error("migrate: 'uri' is required (tcp:HOST:PORT)");
	if (c->mig_running)
		return generic_error("There's a migration process in progress");
	if (c->migrated)
		return generic_error("the guest has already migrated away");
	if (c->lost)
		return generic_error(LOST_MSG);
	if (c->outcome_unknown)
		return generic_error("the last migration's outcome is unknown and this copy is paused: check the destination, then `cont` here if it does not run the guest");
	reap_migration(c);
	kl_source_free(c->src);
	c->src = NULL;
	struct kl_mig_opts o = c->opts;
	snprintf(o.uri, sizeof(o.uri), "%s", uri);
	c->opts.extend_live = false; /* an extend-live request is used once */
	c->src = kl_source_new(c->vm, &o, &e);
	if (!c->src)
		return generic_error(e.msg);
	c->mig_running = true;
	if (pthread_create(&c->mig_thread, NULL, migration_thread, c)) {
		c->mig_running = false;
		return generic_error("cannot start the migration thread");
	}
	c->mig_thread_live = true;
	return ok_empty();
}

static json_t *cmd_query_migrate(struct kl_control *c)
{
	struct mplm_stats st;
	size_t n = 0;
	const struct mplm_sync_record *syncs = NULL;

	if (!c->src)
		return ok_empty();
	kl_source_stats(c->src, &st);
	syncs = kl_source_syncs(c->src, &n); /* NULL until it has ended */
	char *text = mplm_query_migrate_json(&st, kl_source_params(c->src), syncs, n);
	json_t *obj = text ? json_loads(text, 0, NULL) : NULL;
	free(text);
	if (!obj)
		return generic_error("out of memory");
	if (syncs && kl_source_error(c->src)[0] && st.status != MPLM_STATUS_COMPLETED)
		json_object_set_new(obj, "error-desc", json_string(kl_source_error(c->src)));
	return json_pack("{s:o}", "return", obj);
}

/* One QMP argument through the settings table: a JSON number is in the
 * setting's bare unit (QEMU's: downtime-limit ms, max-bandwidth bytes/s), a
 * string may carry units ("300ms", "1Gbps"), a boolean sets on/off. */
static int setting_arg(const struct mplm_setting *s, json_t *v, double *out,
		       char *err, size_t len)
{
	if (json_is_number(v))
		return mplm_setting_from_number(s, json_number_value(v), out, err, len);
	if (json_is_string(v))
		return mplm_setting_parse(s, json_string_value(v), out, err, len);
	if (json_is_boolean(v) && s->type == MPLM_TYPE_BOOL) {
		*out = json_is_true(v);
		return 0;
	}
	snprintf(err, len, "%s: expected a number or a string with units", s->name);
	return -1;
}

/* Apply every member of args that `allowed` names (a bit per setting id)
 * to *p; an unknown or disallowed member, or a bad value, is an error
 * naming it, and *p is then left as it was. */
static int apply_settings(const char *cmd, json_t *args, unsigned allowed,
			  struct mplm_params *p, char *err, size_t len)
{
	struct mplm_params next = *p;
	const char *key;
	json_t *v;
	char why[256];

	json_object_foreach(args, key, v) {
		const struct mplm_setting *s = mplm_setting_find(key);
		double val;
		if (!s || !s->migration || !(allowed & (1u << s->id))) {
			snprintf(err, len, "%s: unknown parameter '%.64s'", cmd, key);
			return -1;
		}
		if (setting_arg(s, v, &val, why, sizeof(why)) < 0) {
			snprintf(err, len, "%s: %s", cmd, why);
			return -1;
		}
		mplm_params_put(&next, s->id, val);
	}
	if (mplm_params_check(&next, why, sizeof(why)) < 0) {
		snprintf(err, len, "%s: %s", cmd, why);
		return -1;
	}
	*p = next;
	return 0;
}

#define BIT(id) (1u << (id))
/* What a running migration can change: QEMU's live parameters. */
#define LIVE_SETTINGS (BIT(MPLM_SET_DOWNTIME_LIMIT) | BIT(MPLM_SET_MAX_BANDWIDTH))
/* migrate-set-parameters: QEMU's, and mplm-lab's pre-copy options. */
#define QEMU_SETTINGS (LIVE_SETTINGS | BIT(MPLM_SET_MAX_ITERATIONS) | \
		       BIT(MPLM_SET_THRESHOLD_BANDWIDTH) | BIT(MPLM_SET_MAX_TOTAL_TIME) | \
		       BIT(MPLM_SET_CPU_THROTTLE_INITIAL) | \
		       BIT(MPLM_SET_CPU_THROTTLE_INCREMENT) | \
		       BIT(MPLM_SET_POSTCOPY_AFTER_PASSES))
/* set-mplm-migration: qemu-mplm's (its `enable` is handled apart). */
#define MPLM_SETTINGS (BIT(MPLM_SET_INTERVALTIME) | BIT(MPLM_SET_DIRTYPERCENTS) | \
		       BIT(MPLM_SET_FIRSTNONDIRTY) | BIT(MPLM_SET_RELAXLIVEMIG) | \
		       BIT(MPLM_SET_MPLM_VARIANT))

/* The parameters for the next migration change at once; a running one
 * takes the live ones (downtime-limit, max-bandwidth) too. */
static json_t *set_params(struct kl_control *c, const char *cmd, json_t *args,
			  unsigned allowed)
{
	struct mplm_params p = c->opts.params;
	char err[320];

	if (!json_is_object(args))
		args = json_object(); /* no arguments: nothing to change */
	else
		json_incref(args);
	if (c->mig_running && (allowed & ~LIVE_SETTINGS)) {
		const char *key;
		json_t *v;
		json_object_foreach(args, key, v) {
			const struct mplm_setting *s = mplm_setting_find(key);
			if (s && !(LIVE_SETTINGS & BIT(s->id))) {
				json_decref(args);
				snprintf(err, sizeof(err),
					 "%s: a migration is in progress; only downtime-limit and max-bandwidth change now, not '%.64s'",
					 cmd, key);
				return generic_error(err);
			}
		}
	}
	int rc = apply_settings(cmd, args, allowed, &p, err, sizeof(err));
	json_decref(args);
	if (rc < 0)
		return generic_error(err);
	c->opts.params = p;
	if (c->src && c->mig_running) {
		kl_source_set_downtime_limit(c->src, p.downtime_limit);
		kl_source_set_max_bandwidth(c->src, p.max_bandwidth);
	}
	return ok_empty();
}

/* query-migrate-parameters: every migration setting in its bare unit. */
static json_t *cmd_query_parameters(struct kl_control *c)
{
	const struct mplm_params *p = &c->opts.params;
	json_t *o = json_object();
	size_t n;
	const struct mplm_setting *t = mplm_settings(&n);

	for (size_t i = 0; i < n; i++) {
		double v = mplm_params_get(p, t[i].id);
		char word[64];
		if (!t[i].migration)
			continue;
		if (t[i].type == MPLM_TYPE_BOOL) {
			json_object_set_new(o, t[i].name, json_boolean(v != 0));
		} else if (t[i].type == MPLM_TYPE_CHOICE) {
			mplm_setting_format(&t[i], v, word, sizeof(word));
			json_object_set_new(o, t[i].name, json_string(word));
		} else {
			/* Integers where QEMU prints integers (300, not 300.0). */
			double bare = mplm_setting_to_number(&t[i], v);
			json_object_set_new(o, t[i].name,
					    bare == floor(bare) && fabs(bare) < 9e15
						    ? json_integer((json_int_t)bare)
						    : json_real(bare));
		}
	}
	json_object_set_new(o, "enable", json_boolean(p->algorithm == MPLM_ALG_MPLM));
	return json_pack("{s:o}", "return", o);
}

/* qemu-mplm's set-mplm-migration: for the next migration. */
static json_t *cmd_set_mplm(struct kl_control *c, json_t *args)
{
	json_t *rest = json_is_object(args) ? json_deep_copy(args) : json_object();
	json_t *en = json_object_get(rest, "enable");

	if (c->mig_running) {
		json_decref(rest);
		return generic_error("set-mplm-migration: a migration is in progress; the settings apply to the next one");
	}
	if (en && !json_is_boolean(en)) {
		json_decref(rest);
		return generic_error("set-mplm-migration: enable: expected true or false");
	}
	bool enable = en ? json_is_true(en) : c->opts.params.algorithm == MPLM_ALG_MPLM;
	json_object_del(rest, "enable");
	/* The algorithm goes in first, so set_params checks the settings
	 * with it (MPLM with postcopy-ram on is refused). */
	enum mplm_algorithm before = c->opts.params.algorithm;
	if (enable)
		c->opts.params.algorithm = MPLM_ALG_MPLM;
	else if (before == MPLM_ALG_MPLM)
		c->opts.params.algorithm = MPLM_ALG_PRECOPY;
	json_t *r = set_params(c, "set-mplm-migration", rest, MPLM_SETTINGS);
	json_decref(rest);
	if (json_object_get(r, "error"))
		c->opts.params.algorithm = before; /* nothing was changed */
	return r;
}

/* QEMU's migrate-set-capabilities: a list of {capability, state}. Of
 * QEMU 2.9's capabilities kvmlite has auto-converge and postcopy-ram;
 * others are refused by name. */
static json_t *cmd_set_capabilities(struct kl_control *c, json_t *args)
{
	json_t *list = json_object_get(args, "capabilities"), *item;
	struct mplm_params p = c->opts.params;
	size_t i;
	char err[300];

	if (c->mig_running)
		return generic_error("migrate-set-capabilities: a migration is in progress");
	if (!json_is_array(list))
		return generic_error("migrate-set-capabilities: 'capabilities' must be a list of {capability, state}");
	json_array_foreach(list, i, item) {
		const char *name = json_string_value(json_object_get(item, "capability"));
		json_t *state = json_object_get(item, "state");
		if (!name || !json_is_boolean(state))
			return generic_error("migrate-set-capabilities: each item needs 'capability' (a name) and 'state' (true or false)");
		if (!strcmp(name, "auto-converge")) {
			p.auto_converge = json_is_true(state);
		} else if (!strcmp(name, "postcopy-ram")) {
			p.postcopy_ram = json_is_true(state);
		} else {
			snprintf(err, sizeof(err),
				 "migrate-set-capabilities: capability '%.64s' is not supported (kvmlite has auto-converge and postcopy-ram)",
				 name);
			return generic_error(err);
		}
	}
	char why[200];
	if (mplm_params_check(&p, why, sizeof(why)) < 0) {
		snprintf(err, sizeof(err), "migrate-set-capabilities: %s", why);
		return generic_error(err);
	}
	c->opts.params = p;
	return ok_empty();
}

static json_t *cmd_query_capabilities(struct kl_control *c)
{
	return json_pack("{s:[{s:s,s:b},{s:s,s:b}]}", "return",
			 "capability", "auto-converge", "state", c->opts.params.auto_converge,
			 "capability", "postcopy-ram", "state", c->opts.params.postcopy_ram);
}

/* QEMU's migrate-start-postcopy: switch a running migration to
 * post-copy at its next step (needs postcopy-ram, QEMU's messages). */
static json_t *cmd_start_postcopy(struct kl_control *c)
{
	char err[300];
	/* QEMU's order: the capability first (it cannot change while a
	 * migration runs, so c->opts has the running one's). */
	if (!c->opts.params.postcopy_ram)
		return generic_error("Enable postcopy with migrate_set_capability before the start of migration");
	if (kl_source_start_postcopy(c->mig_running ? c->src : NULL, err, sizeof(err)) < 0)
		return generic_error(err);
	return ok_empty();
}

/* QEMU's older single-value commands, through the same table:
 * migrate_set_speed takes bytes/s, migrate_set_downtime seconds. */
static json_t *cmd_set_one(struct kl_control *c, const char *cmd,
			   json_t *args, enum mplm_setting_id id, double to_bare)
{
	json_t *v = json_object_get(args, "value");
	json_t *one;
	if (!json_is_number(v))
		return generic_error(id == MPLM_SET_MAX_BANDWIDTH
					     ? "migrate_set_speed: 'value' (bytes/s) must be a number"
					     : "migrate_set_downtime: 'value' (seconds) must be a number");
	one = json_pack("{s:f}", mplm_setting_get(id)->name,
			json_number_value(v) * to_bare);
	json_t *r = set_params(c, cmd, one, BIT(id));
	json_decref(one);
	return r;
}

static json_t *cmd_operator(struct kl_control *c, const char *name)
{
	bool running = c->src && c->mig_running;
	if (!strcmp(name, "migrate_cancel")) {
		if (running)
			kl_source_cancel(c->src);
		return ok_empty();
	}
	if (!strcmp(name, "set-mplm-extend-live")) {
		if (running)
			kl_source_extend_live(c->src);
		else
			c->opts.extend_live = true;
		return ok_empty();
	}
	/* set-mplm-end-live */
	if (!running)
		return generic_error("set-mplm-end-live: no migration in progress");
	kl_source_end_live(c->src);
	return ok_empty();
}

/* QEMU's `cont`: here, the operator's resolution of an unknown outcome
 * (the destination does not run the guest, so it runs here again). After
 * a confirmed migration it is refused: the destination runs the guest. */
static json_t *cmd_cont(struct kl_control *c)
{
	if (c->migrated)
		return generic_error("cont: the destination confirmed it runs the guest; running it here too would make two copies");
	if (c->lost)
		return generic_error("cont: " LOST_MSG);
	if (c->mig_running)
		return generic_error("cont: a migration is in progress");
	if (c->outcome_unknown) {
		c->outcome_unknown = false;
		kl_vm_resume(c->vm);
	}
	return ok_empty();
}

static json_t *cmd_query_status(struct kl_control *c)
{
	const char *status = "running";
	bool running = true;
	if (c->migrated || c->outcome_unknown || c->lost) {
		status = "postmigrate";
		running = false;
	} else if (kl_vm_all_ended(c->vm)) {
		status = "shutdown";
		running = false;
	}
	return json_pack("{s:{s:b,s:s}}", "return", "running", running, "status", status);
}

/* kvmlite's own: the guest's progress counters. */
static json_t *cmd_query_guest(struct kl_control *c)
{
	json_t *list = json_array();
	for (unsigned i = 0; i < c->vm->cfg.nvcpus; i++) {
		const struct kl_status *st = kl_vm_status(c->vm, i);
		json_array_append_new(list, json_pack("{s:I,s:I,s:b}",
			"progress", (json_int_t)c->vm->dev.cpu[i].progress,
			"writes", (json_int_t)st->writes, "done", st->done != 0));
	}
	return json_pack("{s:{s:I,s:s,s:o}}", "return",
			 "progress", (json_int_t)kl_dev_progress(&c->vm->dev),
			 "dirty-log", kl_dirtylog_mode(c->vm), "vcpus", list);
}

static json_t *dispatch(struct kl_control *c, const char *name, json_t *args)
{
	if (!strcmp(name, "migrate"))
		return cmd_migrate(c, args);
	if (!strcmp(name, "query-migrate"))
		return cmd_query_migrate(c);
	if (!strcmp(name, "migrate-set-parameters"))
		return set_params(c, name, args, QEMU_SETTINGS);
	if (!strcmp(name, "migrate-set-capabilities"))
		return cmd_set_capabilities(c, args);
	if (!strcmp(name, "query-migrate-capabilities"))
		return cmd_query_capabilities(c);
	if (!strcmp(name, "migrate-start-postcopy"))
		return cmd_start_postcopy(c);
	if (!strcmp(name, "query-migrate-parameters"))
		return cmd_query_parameters(c);
	if (!strcmp(name, "migrate_set_speed"))
		return cmd_set_one(c, name, args, MPLM_SET_MAX_BANDWIDTH, 1);
	if (!strcmp(name, "migrate_set_downtime"))
		return cmd_set_one(c, name, args, MPLM_SET_DOWNTIME_LIMIT, 1000);
	if (!strcmp(name, "set-mplm-migration"))
		return cmd_set_mplm(c, args);
	if (!strcmp(name, "migrate_cancel") || !strcmp(name, "set-mplm-extend-live") ||
	    !strcmp(name, "set-mplm-end-live"))
		return cmd_operator(c, name);
	if (!strcmp(name, "query-status"))
		return cmd_query_status(c);
	if (!strcmp(name, "cont"))
		return cmd_cont(c);
	if (!strcmp(name, "query-kvmlite"))
		return cmd_query_guest(c);
	if (!strcmp(name, "quit")) {
		c->quit = true;
		return ok_empty();
	}
	if (!strcmp(name, "qmp_capabilities"))
		return ok_empty();
	return error_reply("CommandNotFound", "The command is not found");
}

/* One request object to one reply object. */
static json_t *execute(struct kl_control *c, json_t *req, bool *negotiated)
{
	const char *name = json_string_value(json_object_get(req, "execute"));
	json_t *args = json_object_get(req, "arguments");
	json_t *reply;

	if (!name)
		reply = generic_error("QMP input must be an object with 'execute'");
	else if (args && !json_is_object(args))
		reply = generic_error("'arguments' must be an object");
	else if (!*negotiated && strcmp(name, "qmp_capabilities"))
		reply = error_reply("CommandNotFound",
				    "Expecting capabilities negotiation with 'qmp_capabilities'");
	else {
		pthread_mutex_lock(&c->lock);
		reply = dispatch(c, name, args);
		pthread_mutex_unlock(&c->lock);
		if (!strcmp(name, "qmp_capabilities"))
			*negotiated = true;
	}
	json_t *id = json_object_get(req, "id");
	if (id && reply)
		json_object_set(reply, "id", id);
	return reply;
}

char *kl_control_execute(struct kl_control *c, const char *request)
{
	bool negotiated = true;
	json_t *req = json_loads(request, 0, NULL);
	json_t *reply = req ? execute(c, req, &negotiated)
			    : error_reply("GenericError", "JSON parse error");
	char *text = json_dumps(reply, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(req);
	json_decref(reply);
	return text;
}

/* ------------------------------------------------------------------ */
/* The socket: a poll loop over the listening socket and up to
 * KL_CTL_CLIENTS clients, all non-blocking, so a client that stops
 * reading (or sends half a line) never keeps another from `quit` or
 * `migrate_cancel`. Replies queue per client; a client whose replies
 * have not moved for KL_CTL_WRITE_TIMEOUT s, or pile up past
 * KL_CTL_OUT_MAX bytes, is disconnected. */

#define KL_CTL_CLIENTS 8
#define KL_CTL_WRITE_TIMEOUT 5.0
#define KL_CTL_OUT_MAX (1u << 20)

struct ctl_client {
	int fd;                 /* -1: free slot */
	bool negotiated;
	bool drop;              /* disconnect at the next turn */
	struct kl_lines in;
	char *out;
	size_t out_len;
	double out_since;       /* when queued replies last moved */
	struct kl_control *c;
};

static void client_queue(struct ctl_client *k, json_t *o)
{
	char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	size_t n = text ? strlen(text) : 0;
	if (!text || k->out_len + n + 1 > KL_CTL_OUT_MAX) {
		k->drop = true; /* it does not read what it asks for */
		free(text);
		return;
	}
	char *grown = realloc(k->out, k->out_len + n + 1);
	if (!grown) {
		k->drop = true;
		free(text);
		return;
	}
	if (!k->out_len)
		k->out_since = kl_now();
	k->out = grown;
	memcpy(k->out + k->out_len, text, n);
	k->out[k->out_len + n] = '\n';
	k->out_len += n + 1;
	free(text);
}

static void client_line(void *ctx, const char *line, const char *why)
{
	struct ctl_client *k = ctx;
	json_error_t je;
	json_t *req = line ? json_loads(line, 0, &je) : NULL;
	json_t *reply = why    ? generic_error(why)
			: req  ? execute(k->c, req, &k->negotiated)
			       : error_reply("GenericError", je.text);
	client_queue(k, reply);
	json_decref(req);
	json_decref(reply);
}

static void client_close(struct ctl_client *k)
{
	close(k->fd);
	free(k->out);
	*k = (struct ctl_client){ .fd = -1 };
}

static void client_read(struct ctl_client *k)
{
	char buf[4096];
	ssize_t r = recv(k->fd, buf, sizeof(buf), 0);
	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (r <= 0) {
		k->drop = true;
		return;
	}
	kl_lines_feed(&k->in, buf, (size_t)r, client_line, k);
}

static void client_write(struct ctl_client *k)
{
	ssize_t w = send(k->fd, k->out, k->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (w < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (w <= 0) {
		k->drop = true;
		return;
	}
	memmove(k->out, k->out + w, k->out_len - (size_t)w);
	k->out_len -= (size_t)w;
	k->out_since = kl_now();
}

static void accept_client(struct kl_control *c, struct ctl_client *cl)
{
	int fd = accept4(c->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	for (int i = 0; i < KL_CTL_CLIENTS; i++) {
		if (cl[i].fd >= 0)
			continue;
		cl[i] = (struct ctl_client){ .fd = fd, .c = c };
		json_t *greeting = json_pack(
			"{s:{s:{s:{s:i,s:i,s:i},s:s},s:[]}}", "QMP", "version", "qemu",
			"major", 0, "minor", 1, "micro", 0, "package", "kvmlite",
			"capabilities");
		client_queue(&cl[i], greeting);
		json_decref(greeting);
		return;
	}
	static const char busy[] = "{\"error\": {\"class\": \"GenericError\", \"desc\": \"too many control clients\"}}\n";
	if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		/* best effort: it is closed either way */
	}
	close(fd);
}

static void *server_thread(void *arg)
{
	struct kl_control *c = arg;
	struct ctl_client cl[KL_CTL_CLIENTS];
	struct pollfd p[KL_CTL_CLIENTS + 2];

	for (int i = 0; i < KL_CTL_CLIENTS; i++)
		cl[i] = (struct ctl_client){ .fd = -1 };
	for (;;) {
		p[0] = (struct pollfd){ .fd = c->wake[0], .events = POLLIN };
		p[1] = (struct pollfd){ .fd = c->lfd, .events = POLLIN };
		for (int i = 0; i < KL_CTL_CLIENTS; i++)
			p[i + 2] = (struct pollfd){ .fd = cl[i].fd,
				.events = POLLIN | (cl[i].out_len ? POLLOUT : 0) };
		int r = poll(p, KL_CTL_CLIENTS + 2, 500);
		if (r < 0 && errno != EINTR)
			break;
		if (r > 0 && p[0].revents)
			break;
		if (r > 0 && p[1].revents)
			accept_client(c, cl);
		double now = kl_now();
		for (int i = 0; i < KL_CTL_CLIENTS; i++) {
			struct ctl_client *k = &cl[i];
			if (k->fd < 0)
				continue;
			if (r > 0 && p[i + 2].fd == k->fd) {
				if (p[i + 2].revents & (POLLIN | POLLHUP | POLLERR))
					client_read(k);
				if (!k->drop && k->out_len && (p[i + 2].revents & POLLOUT))
					client_write(k);
			}
			if (k->out_len && now - k->out_since > KL_CTL_WRITE_TIMEOUT)
				k->drop = true;
			if (k->drop)
				client_close(k);
		}
	}
	for (int i = 0; i < KL_CTL_CLIENTS; i++)
		if (cl[i].fd >= 0)
			client_close(&cl[i]);
	return NULL;
}

/* A unix socket of our own: refuse a path that exists (another's socket,
 * a file, a stale socket: not ours to remove), remember which inode we
 * made so kl_control_stop removes that and nothing else. */
static int listen_unix(struct kl_control *c, const char *path, struct kl_err *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	if (strlen(path) >= sizeof(sa.sun_path))
		return kl_fail(e, "control socket path too long: %s", path);
	if (lstat(path, &st) == 0)
		return kl_fail(e, "control socket %s: %s already exists; refusing to replace it (remove it yourself if it is a stale socket)",
			       path, S_ISSOCK(st.st_mode) ? "a socket" : "a file that is not a socket");
	strcpy(sa.sun_path, path);
	c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->lfd < 0)
		return kl_fail_errno(e, "socket");
	if (bind(c->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return kl_fail_errno(e, "control socket %s", path);
	if (lstat(path, &st) == 0) {
		c->unix_dev = st.st_dev;
		c->unix_ino = st.st_ino;
		snprintf(c->unix_path, sizeof(c->unix_path), "%s", path);
	}
	if (listen(c->lfd, KL_CTL_CLIENTS) < 0)
		return kl_fail_errno(e, "control socket %s", path);
	return 0;
}

/* Only the socket this process made: not whatever is at the path now. */
static void remove_unix(struct kl_control *c)
{
	struct stat st;
	if (c->unix_path[0] && lstat(c->unix_path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    st.st_dev == c->unix_dev && st.st_ino == c->unix_ino)
		unlink(c->unix_path);
}

/* TCP control has no authentication: loopback unless asked for. */
static int listen_tcp(struct kl_control *c, const char *addr, bool allow_remote,
		      struct kl_err *e)
{
	bool loopback;
	if (kl_addr_is_loopback(addr, &loopback, e) < 0)
		return -1;
	if (!loopback && !allow_remote)
		return kl_fail(e, "control socket %s: not a loopback address; anyone who can reach it could control the VM (add --qmp-remote to allow it)",
			       addr);
	c->lfd = kl_listen(addr, e);
	return c->lfd < 0 ? -1 : 0;
}

int kl_control_start(struct kl_vm *vm, const char *addr, bool allow_remote,
		     const struct kl_mig_opts *defaults,
		     struct kl_control **out, struct kl_err *e)
{
	struct kl_control *c = calloc(1, sizeof(*c));
	*out = NULL;
	if (!c)
		return kl_fail(e, "out of memory");
	c->vm = vm;
	c->opts = *defaults;
	c->lfd = c->wake[0] = c->wake[1] = -1;
	pthread_mutex_init(&c->lock, NULL);
	int r;
	if (!strncmp(addr, "tcp:", 4))
		r = listen_tcp(c, addr, allow_remote, e);
	else
		r = listen_unix(c, !strncmp(addr, "unix:", 5) ? addr + 5 : addr, e);
	if (r == 0 && pipe2(c->wake, O_CLOEXEC) < 0)
		r = kl_fail_errno(e, "pipe");
	if (r == 0 && pthread_create(&c->thread, NULL, server_thread, c))
		r = kl_fail(e, "cannot start the control thread");
	if (r < 0) {
		remove_unix(c);
		if (c->lfd >= 0)
			close(c->lfd);
		if (c->wake[0] >= 0) {
			close(c->wake[0]);
			close(c->wake[1]);
		}
		pthread_mutex_destroy(&c->lock);
		free(c);
		return -1;
	}
	*out = c;
	return 0;
}

void kl_control_stop(struct kl_control *c)
{
	if (!c)
		return;
	if (write(c->wake[1], "x", 1) < 0)
		perror("kvmlite: control stop");
	pthread_join(c->thread, NULL);
	pthread_mutex_lock(&c->lock);
	if (c->src && c->mig_running)
		kl_source_cancel(c->src);
	bool live = c->mig_thread_live;
	pthread_mutex_unlock(&c->lock);
	if (live)
		pthread_join(c->mig_thread, NULL);
	kl_source_free(c->src);
	close(c->lfd);
	close(c->wake[0]);
	close(c->wake[1]);
	remove_unix(c);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

bool kl_control_quit_requested(struct kl_control *c)
{
	pthread_mutex_lock(&c->lock);
	bool q = c->quit;
	pthread_mutex_unlock(&c->lock);
	return q;
}

bool kl_control_migrated(struct kl_control *c)
{
	pthread_mutex_lock(&c->lock);
	bool m = c->migrated;
	pthread_mutex_unlock(&c->lock);
	return m;
}

int kl_control_port(struct kl_control *c)
{
	return c->unix_path[0] ? -1 : kl_local_port(c->lfd);
}
