/*
 * test_control.c - the QMP-style control socket: negotiation, errors,
 * parameters, and migrations driven the way an operator would: migrate,
 * poll query-migrate, migrate_cancel, set-mplm-extend-live / end-live,
 * migrate-set-parameters while running; `kvmlite run --qmp` as a process.
 */
#include "kltest.h"

#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control.h"

struct client {
	int fd;
	char buf[1 << 16];
	size_t len;
};

static json_t *read_reply(struct client *c)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		if (nl) {
			*nl = 0;
			json_t *o = json_loads(c->buf, 0, NULL);
			size_t used = (size_t)(nl - c->buf) + 1;
			memmove(c->buf, nl + 1, c->len - used);
			c->len -= used;
			assert_non_null(o);
			return o;
		}
		ssize_t r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
		if (r <= 0)
			fail_msg("control socket closed or timed out");
		c->len += (size_t)r;
	}
}

static void client_open(struct client *c, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, path);
	memset(c, 0, sizeof(*c));
	c->fd = socket(AF_UNIX, SOCK_STREAM, 0);
	for (int i = 0; i < 200; i++) {
		if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		kltest_sleep(0.02);
	}
	kl_set_io_timeout(c->fd, 10);
	json_t *g = read_reply(c);
	assert_non_null(json_object_get(g, "QMP"));
	json_decref(g);
}

/* Send a command, return the reply object (caller frees). */
static json_t *cmd(struct client *c, const char *text)
{
	size_t n = strlen(text);
	assert_int_equal(send(c->fd, text, n, MSG_NOSIGNAL), (ssize_t)n);
	assert_int_equal(send(c->fd, "\n", 1, MSG_NOSIGNAL), 1);
	return read_reply(c);
}

/* A command that must succeed; returns its "return" value (borrowed from
 * the reply, which is kept in *reply for the caller to free). */
static json_t *ok(struct client *c, const char *text, json_t **reply)
{
	*reply = cmd(c, text);
	json_t *r = json_object_get(*reply, "return");
	if (!r) {
		char *s = json_dumps(*reply, 0);
		fail_msg("%s -> %s", text, s);
	}
	return r;
}

static void ok_free(struct client *c, const char *text)
{
	json_t *reply;
	ok(c, text, &reply);
	json_decref(reply);
}

static const char *error_class(json_t *reply)
{
	return json_string_value(json_object_get(json_object_get(reply, "error"), "class"));
}

struct fixture {
	struct kl_vm *vm;
	struct kl_config cfg;
	struct kl_control *ctl;
	struct client c;
	char path[64];
};

static void setup(struct fixture *f, uint64_t iterations)
{
	struct kl_params p;
	struct kl_mig_opts o;
	struct kl_err e;
	kltest_config(&f->cfg, 128 << 20, 1);
	kltest_params(&p, KL_PAT_UNIFORM, 16384, 40000, iterations);
	f->vm = kltest_vm(&f->cfg, &p);
	kl_mig_opts_default(&o);
	snprintf(f->path, sizeof(f->path), "/tmp/kltest-qmp-%d", (int)getpid());
	unlink(f->path); /* left by a test that failed before its teardown */
	assert_int_equal(kl_control_start(f->vm, f->path, false, &o, &f->ctl, &e), 0);
	assert_int_equal(kl_vm_start(f->vm, &e), 0);
	client_open(&f->c, f->path);
	ok_free(&f->c, "{\"execute\":\"qmp_capabilities\"}");
}

static void teardown(struct fixture *f)
{
	close(f->c.fd);
	kl_control_stop(f->ctl);
	kl_vm_destroy(f->vm);
}

/* Poll query-migrate until the status is not setup/active (bounded). */
static json_t *wait_migration(struct client *c, json_t **reply)
{
	for (int i = 0; i < 1200; i++) {
		json_t *r = ok(c, "{\"execute\":\"query-migrate\"}", reply);
		const char *s = json_string_value(json_object_get(r, "status"));
		if (s && strcmp(s, "active") && strcmp(s, "setup") &&
		    strcmp(s, "postcopy-active"))
			return r;
		json_decref(*reply);
		kltest_sleep(0.05);
	}
	fail_msg("the migration did not end within 60 s");
	return NULL;
}

static const char *status_of(json_t *r)
{
	return json_string_value(json_object_get(r, "status"));
}

/* `migrate` to uri, which must be accepted. */
static void qmp_migrate(struct client *c, const char *uri)
{
	char text[256];
	snprintf(text, sizeof(text),
		 "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"%s\"}}", uri);
	ok_free(c, text);
}

/* query-migrate's status now must be want. */
static void assert_migrate_status(struct client *c, const char *want)
{
	json_t *r, *q = ok(c, "{\"execute\":\"query-migrate\"}", &r);
	assert_string_equal(status_of(q), want);
	json_decref(r);
}

/* An idle guest that would sleep for a minute (not started). */
static struct kl_vm *idle_vm(struct kl_config *cfg)
{
	struct kl_params p;
	kltest_config(cfg, 64 << 20, 1);
	kltest_params(&p, KL_PAT_IDLE, 16, 0, 0);
	p.duration_ms = 60000;
	return kltest_vm(cfg, &p);
}

static void test_negotiation_and_errors(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	struct fixture f;
	struct kl_mig_opts o;
	struct kl_err e;
	json_t *r;

	f.vm = idle_vm(&f.cfg);
	kl_mig_opts_default(&o);
	snprintf(f.path, sizeof(f.path), "/tmp/kltest-qmp-%d", (int)getpid());
	assert_int_equal(kl_control_start(f.vm, f.path, false, &o, &f.ctl, &e), 0);
	assert_int_equal(kl_vm_start(f.vm, &e), 0);
	client_open(&f.c, f.path);

	r = cmd(&f.c, "{\"execute\":\"query-status\"}");
	assert_string_equal(error_class(r), "CommandNotFound");
	json_decref(r);
	ok_free(&f.c, "{\"execute\":\"qmp_capabilities\"}");
	r = cmd(&f.c, "{\"execute\":\"query-status\",\"id\":17}");
	assert_true(json_is_true(json_object_get(json_object_get(r, "return"), "running")));
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 17);
	json_decref(r);
	r = cmd(&f.c, "{\"execute\":\"no-such-thing\"}");
	assert_string_equal(error_class(r), "CommandNotFound");
	json_decref(r);
	r = cmd(&f.c, "{\"execute\":");
	assert_string_equal(error_class(r), "GenericError");
	json_decref(r);
	r = cmd(&f.c, "{\"execute\":\"migrate\",\"arguments\":{}}");
	assert_string_equal(error_class(r), "GenericError");
	json_decref(r);
	r = cmd(&f.c, "{\"execute\":\"set-mplm-end-live\"}");
	assert_string_equal(error_class(r), "GenericError");
	json_decref(r);
	json_t *q = ok(&f.c, "{\"execute\":\"query-migrate\"}", &r);
	assert_int_equal(json_object_size(q), 0);
	json_decref(r);
	teardown(&f);
}

static void test_parameters(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	struct fixture f;
	json_t *r, *q;

	setup(&f, 10000);
	ok_free(&f.c, "{\"execute\":\"migrate-set-parameters\",\"arguments\":"
		      "{\"downtime-limit\":500,\"max-bandwidth\":100000000}}");
	ok_free(&f.c, "{\"execute\":\"set-mplm-migration\",\"arguments\":{\"enable\":true,"
		      "\"intervaltime\":0.5,\"dirtypercents\":40,\"firstnondirty\":false,"
		      "\"relaxlivemig\":true}}");
	q = ok(&f.c, "{\"execute\":\"query-migrate-parameters\"}", &r);
	assert_true(json_number_value(json_object_get(q, "downtime-limit")) == 500);
	assert_true(json_number_value(json_object_get(q, "max-bandwidth")) == 1e8);
	assert_string_equal(json_string_value(json_object_get(q, "algorithm")), "mplm");
	assert_true(json_number_value(json_object_get(q, "intervaltime")) == 0.5);
	assert_int_equal(json_integer_value(json_object_get(q, "dirtypercents")), 40);
	assert_true(json_is_false(json_object_get(q, "firstnondirty")));
	assert_true(json_is_true(json_object_get(q, "relaxlivemig")));
	json_decref(r);
	r = cmd(&f.c, "{\"execute\":\"set-mplm-migration\",\"arguments\":{\"dirtypercents\":101}}");
	assert_string_equal(error_class(r), "GenericError");
	json_decref(r);
	r = cmd(&f.c, "{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"max-bandwidth\":\"x\"}}");
	assert_string_equal(error_class(r), "GenericError");
	json_decref(r);
	/* Every command goes through the same table: -1 bytes/s, an
	 * ambiguous rate, an unknown name and a 0.1 ms interval are refused,
	 * and leave the parameters as they were. */
	static const char *const refused[] = {
		"{\"execute\":\"migrate_set_speed\",\"arguments\":{\"value\":-1}}",
		"{\"execute\":\"migrate_set_downtime\",\"arguments\":{\"value\":-0.5}}",
		"{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"max-bandwidth\":\"1Gb\"}}",
		"{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"downtime-limt\":300}}",
		"{\"execute\":\"set-mplm-migration\",\"arguments\":{\"intervaltime\":0.0001}}",
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
		r = cmd(&f.c, refused[i]);
		assert_string_equal(error_class(r), "GenericError");
		json_decref(r);
	}
	/* Units in strings, QEMU's bare units in numbers. */
	ok_free(&f.c, "{\"execute\":\"migrate-set-parameters\",\"arguments\":"
		      "{\"downtime-limit\":\"0.25s\",\"max-bandwidth\":\"1Gbps\"}}");
	ok_free(&f.c, "{\"execute\":\"migrate_set_downtime\",\"arguments\":{\"value\":0.2}}");
	q = ok(&f.c, "{\"execute\":\"query-migrate-parameters\"}", &r);
	assert_true(json_number_value(json_object_get(q, "downtime-limit")) == 200);
	assert_true(json_number_value(json_object_get(q, "max-bandwidth")) == 125e6);
	json_decref(r);
	/* The defaults, then issue 8's variant and threshold source. */
	q = ok(&f.c, "{\"execute\":\"query-migrate-parameters\"}", &r);
	assert_string_equal(json_string_value(json_object_get(q, "mplm-variant")), "qemu-mplm");
	assert_string_equal(json_string_value(json_object_get(q, "threshold-bandwidth")), "measured");
	json_decref(r);
	ok_free(&f.c, "{\"execute\":\"set-mplm-migration\",\"arguments\":{\"mplm-variant\":\"paper\"}}");
	ok_free(&f.c, "{\"execute\":\"migrate-set-parameters\",\"arguments\":"
		      "{\"threshold-bandwidth\":\"max-bandwidth\"}}");
	q = ok(&f.c, "{\"execute\":\"query-migrate-parameters\"}", &r);
	assert_string_equal(json_string_value(json_object_get(q, "mplm-variant")), "paper");
	assert_string_equal(json_string_value(json_object_get(q, "threshold-bandwidth")), "max-bandwidth");
	json_decref(r);
	r = cmd(&f.c, "{\"execute\":\"set-mplm-migration\",\"arguments\":{\"mplm-variant\":\"qemu\"}}");
	assert_string_equal(error_class(r), "GenericError");
	json_decref(r);
	r = cmd(&f.c, "{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"threshold-bandwidth\":\"link\"}}");
	assert_string_equal(error_class(r), "GenericError");
	json_decref(r);
	ok_free(&f.c, "{\"execute\":\"set-mplm-migration\",\"arguments\":{\"enable\":false}}");
	q = ok(&f.c, "{\"execute\":\"query-migrate-parameters\"}", &r);
	assert_string_equal(json_string_value(json_object_get(q, "algorithm")), "precopy");
	json_decref(r);
	teardown(&f);
}

static void check_guest_arrived(struct kltest_dst *d, struct kl_vm *vm)
{
	struct kl_result_file res;
	uint64_t c, v, h;
	assert_int_equal(kltest_dst_finish(d, 90, &res), 0);
	assert_true(res.ok && res.vcpu[0].done);
	kltest_replay(kl_gpa(vm, KL_PARAMS_GPA), 0, res.vcpu[0].writes, &c, &v, &h);
	assert_int_equal(res.vcpu[0].checksum, c);
	assert_int_equal(res.vcpu[0].memhash, h);
	kltest_dst_cleanup(d);
}

static void test_migrate_and_query(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	struct fixture f;
	struct kltest_dst d;
	char text[256];
	json_t *r, *q;

	setup(&f, 80000);
	kltest_dst_start(&d, &f.cfg, NULL);
	kltest_sleep(0.3);
	snprintf(text, sizeof(text),
		 "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"%s\"}}", d.uri);
	ok_free(&f.c, text);
	q = wait_migration(&f.c, &r);
	assert_string_equal(status_of(q), "completed");
	static const char *fields[] = { "total-time", "downtime", "setup-time", "ram", "mplm" };
	for (size_t i = 0; i < 5; i++)
		assert_non_null(json_object_get(q, fields[i]));
	json_t *ram = json_object_get(q, "ram");
	static const char *ram_fields[] = { "transferred", "remaining", "total",
					    "duplicate", "normal", "normal-bytes",
					    "dirty-sync-count", "mbps" };
	for (size_t i = 0; i < 8; i++)
		assert_non_null(json_object_get(ram, ram_fields[i]));
	assert_int_equal(json_integer_value(json_object_get(ram, "total")), 128 << 20);
	assert_true(json_integer_value(json_object_get(ram, "transferred")) > 0);
	assert_true(json_array_size(json_object_get(json_object_get(q, "mplm"), "syncs")) >= 2);
	json_decref(r);
	q = ok(&f.c, "{\"execute\":\"query-status\"}", &r);
	assert_string_equal(json_string_value(json_object_get(q, "status")), "postmigrate");
	json_decref(r);
	r = cmd(&f.c, text);
	assert_string_equal(error_class(r), "GenericError"); /* already gone */
	json_decref(r);
	assert_true(kl_control_migrated(f.ctl));
	check_guest_arrived(&d, f.vm);
	teardown(&f);
}

/* Post-copy the QEMU way: the capability, then migrate-start-postcopy
 * during the live stage (refused before, with QEMU's messages). */
static void test_postcopy_by_command(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	struct fixture f;
	struct kltest_dst d;
	json_t *r, *q;
	static const char start[] = "{\"execute\":\"migrate-start-postcopy\"}";

	setup(&f, 200000);
	r = cmd(&f.c, start);
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(r, "error"), "desc")),
			       "Enable postcopy with migrate_set_capability"));
	json_decref(r);
	/* With MPLM on, post-copy is refused (only pre-copy has a switch). */
	ok_free(&f.c, "{\"execute\":\"set-mplm-migration\",\"arguments\":{\"enable\":true}}");
	r = cmd(&f.c, "{\"execute\":\"migrate-set-capabilities\",\"arguments\":{\"capabilities\":"
		      "[{\"capability\":\"postcopy-ram\",\"state\":true}]}}");
	assert_string_equal(error_class(r), "GenericError");
	json_decref(r);
	ok_free(&f.c, "{\"execute\":\"set-mplm-migration\",\"arguments\":{\"enable\":false}}");
	ok_free(&f.c, "{\"execute\":\"migrate-set-capabilities\",\"arguments\":{\"capabilities\":"
		      "[{\"capability\":\"postcopy-ram\",\"state\":true}]}}");
	q = ok(&f.c, "{\"execute\":\"query-migrate-capabilities\"}", &r);
	assert_true(json_is_true(json_object_get(json_array_get(q, 1), "state")));
	assert_string_equal(json_string_value(json_object_get(json_array_get(q, 1), "capability")),
			    "postcopy-ram");
	json_decref(r);
	/* ... and MPLM after postcopy-ram: refused the same way, in one
	 * line, and nothing changed. */
	r = cmd(&f.c, "{\"execute\":\"set-mplm-migration\",\"arguments\":{\"enable\":true}}");
	assert_string_equal(error_class(r), "GenericError");
	const char *desc = json_string_value(json_object_get(json_object_get(r, "error"), "desc"));
	assert_non_null(strstr(desc, "postcopy-ram"));
	assert_null(strchr(desc, '\n'));
	json_decref(r);
	q = ok(&f.c, "{\"execute\":\"query-migrate-parameters\"}", &r);
	assert_true(json_is_false(json_object_get(q, "enable")));
	json_decref(r);
	r = cmd(&f.c, start);
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(r, "error"), "desc")),
			       "after migration has been started"));
	json_decref(r);
	/* 20 MB/s: the live stage lasts, so the command finds it. */
	ok_free(&f.c, "{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"max-bandwidth\":20000000}}");
	kltest_dst_start(&d, &f.cfg, NULL);
	qmp_migrate(&f.c, d.uri);
	/* Right away, maybe still in the handshake: remembered, as QEMU
	 * does once `migrate` returned. */
	ok_free(&f.c, start);
	q = wait_migration(&f.c, &r);
	assert_string_equal(status_of(q), "completed");
	assert_non_null(json_object_get(json_object_get(q, "ram"), "postcopy-requests"));
	json_t *mplm = json_object_get(q, "mplm");
	assert_true(json_is_true(json_object_get(mplm, "postcopy-ram")));
	assert_true(json_integer_value(json_object_get(mplm, "postcopy-pages")) > 0);
	json_decref(r);
	check_guest_arrived(&d, f.vm);
	teardown(&f);
}

static void test_extend_live_then_end_live(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	struct fixture f;
	struct kltest_dst d;
	json_t *r, *q;

	setup(&f, 120000);
	kltest_dst_start(&d, &f.cfg, NULL);
	ok_free(&f.c, "{\"execute\":\"set-mplm-migration\",\"arguments\":{\"enable\":true,\"intervaltime\":0.2}}");
	ok_free(&f.c, "{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"downtime-limit\":1}}");
	ok_free(&f.c, "{\"execute\":\"set-mplm-extend-live\"}");
	qmp_migrate(&f.c, d.uri);
	kltest_sleep(1.2);
	assert_migrate_status(&f.c, "active");
	/* The settings cannot change under a running migration. */
	r = cmd(&f.c, "{\"execute\":\"set-mplm-migration\",\"arguments\":{\"dirtypercents\":10}}");
	assert_string_equal(error_class(r), "GenericError");
	json_decref(r);
	ok_free(&f.c, "{\"execute\":\"set-mplm-end-live\"}");
	q = wait_migration(&f.c, &r);
	assert_string_equal(status_of(q), "completed");
	/* The live stage outlived ND: several epochs (the engine started
	 * after the destination's set-up, so not the full 1.2 s). */
	assert_true(json_integer_value(json_object_get(q, "total-time")) >= 500);
	assert_true(json_integer_value(json_object_get(json_object_get(q, "ram"),
						       "dirty-sync-count")) >= 4);
	json_decref(r);
	check_guest_arrived(&d, f.vm);
	teardown(&f);
}

static void test_cancel_then_migrate(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	struct fixture f;
	struct kltest_dst d;
	char text[256];
	json_t *r, *q;

	setup(&f, 200000);
	kltest_dst_start(&d, &f.cfg, NULL);
	ok_free(&f.c, "{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"max-bandwidth\":20000000}}");
	snprintf(text, sizeof(text),
		 "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"%s\"}}", d.uri);
	ok_free(&f.c, text);
	kltest_sleep(0.5);
	ok_free(&f.c, "{\"execute\":\"migrate_cancel\"}");
	q = wait_migration(&f.c, &r);
	assert_string_equal(status_of(q), "cancelled");
	json_decref(r);
	q = ok(&f.c, "{\"execute\":\"query-status\"}", &r);
	assert_true(json_is_true(json_object_get(q, "running")));
	json_decref(r);
	assert_int_not_equal(kltest_dst_finish(&d, 30, NULL), 0);
	kltest_dst_cleanup(&d);

	/* Again, slowly at first, then the cap is lifted mid-way. */
	kltest_dst_start(&d, &f.cfg, NULL);
	snprintf(text, sizeof(text),
		 "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"%s\"}}", d.uri);
	ok_free(&f.c, text);
	kltest_sleep(0.3);
	ok_free(&f.c, "{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"max-bandwidth\":0}}");
	q = wait_migration(&f.c, &r);
	assert_string_equal(status_of(q), "completed");
	json_decref(r);
	check_guest_arrived(&d, f.vm);
	teardown(&f);
}

/* ------------------------------------------------------------------ */
/* The socket itself. */

/* --qmp PATH never removes a file it did not make: a path that exists is
 * refused untouched, and at the end only our own socket goes (before,
 * kvmlite unlinked whatever was at PATH, at start and at exit). */
static void test_socket_path_is_never_clobbered(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	struct fixture f;
	struct kl_mig_opts o;
	struct kl_err e;
	struct stat st;

	f.vm = idle_vm(&f.cfg);
	kl_mig_opts_default(&o);
	snprintf(f.path, sizeof(f.path), "/tmp/kltest-qmp-file-%d", (int)getpid());
	FILE *file = fopen(f.path, "w");
	fputs("precious\n", file);
	fclose(file);
	assert_int_equal(kl_control_start(f.vm, f.path, false, &o, &f.ctl, &e), -1);
	assert_non_null(strstr(e.msg, "not a socket"));
	assert_int_equal(stat(f.path, &st), 0);
	assert_int_equal(st.st_size, 9);
	unlink(f.path);

	/* Someone else's socket at the path: refused, left alone. */
	int other = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, f.path);
	assert_int_equal(bind(other, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(kl_control_start(f.vm, f.path, false, &o, &f.ctl, &e), -1);
	assert_non_null(strstr(e.msg, "already exists"));
	assert_int_equal(lstat(f.path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	close(other);
	unlink(f.path);

	/* Ours, replaced by a file while we ran: the file stays. */
	assert_int_equal(kl_control_start(f.vm, f.path, false, &o, &f.ctl, &e), 0);
	unlink(f.path);
	file = fopen(f.path, "w");
	fputs("precious\n", file);
	fclose(file);
	kl_control_stop(f.ctl);
	assert_int_equal(stat(f.path, &st), 0);
	unlink(f.path);

	/* Ours, untouched: removed at the end. */
	assert_int_equal(kl_control_start(f.vm, f.path, false, &o, &f.ctl, &e), 0);
	kl_control_stop(f.ctl);
	assert_int_equal(lstat(f.path, &st), -1);
	kl_vm_destroy(f.vm);
}

/* TCP control has no authentication: loopback only unless asked. */
static void test_tcp_control_is_loopback_unless_asked(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	struct kl_config cfg;
	struct kl_mig_opts o;
	struct kl_err e;
	struct kl_control *ctl;

	struct kl_vm *vm = idle_vm(&cfg);
	kl_mig_opts_default(&o);
	assert_int_equal(kl_control_start(vm, "tcp:0.0.0.0:0", false, &o, &ctl, &e), -1);
	assert_non_null(strstr(e.msg, "--qmp-remote"));
	assert_int_equal(kl_control_start(vm, "tcp:0.0.0.0:0", true, &o, &ctl, &e), 0);
	kl_control_stop(ctl);
	assert_int_equal(kl_control_start(vm, "tcp:127.0.0.1:0", false, &o, &ctl, &e), 0);
	assert_true(kl_control_port(ctl) > 0);
	kl_control_stop(ctl);
	kl_vm_destroy(vm);
}

/* 8,191 junk bytes then a command: the whole line is refused and the
 * command does not run (before, the junk was dropped and `quit` ran);
 * a NUL inside a line is refused too (before, the part before it ran). */
static void test_long_line_and_nul_are_refused(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	struct fixture f;
	static char junk[8191 + 64];
	setup(&f, 10000);
	memset(junk, 'x', 8191);
	strcpy(junk + 8191, "{\"execute\":\"quit\"}");
	json_t *r = cmd(&f.c, junk);
	assert_string_equal(error_class(r), "GenericError");
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(r, "error"), "desc")), "longer"));
	json_decref(r);
	assert_false(kl_control_quit_requested(f.ctl));
	static const char nul[] = "{\"execute\":\"quit\"}\0junk\n";
	assert_int_equal(send(f.c.fd, nul, sizeof(nul) - 1, MSG_NOSIGNAL), (ssize_t)sizeof(nul) - 1);
	r = read_reply(&f.c);
	assert_string_equal(error_class(r), "GenericError");
	json_decref(r);
	assert_false(kl_control_quit_requested(f.ctl));
	/* The connection is still good. */
	ok_free(&f.c, "{\"execute\":\"query-status\"}");
	teardown(&f);
}

/* A client that sends commands and never reads its replies (and another
 * that sends half a line) cannot keep a third from `quit`. Before, one
 * client was served at a time and a blocked reply blocked everyone. */
static void test_stuck_client_does_not_block_others(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	struct fixture f;
	struct client half, late;
	setup(&f, 10000);
	client_open(&half, f.path);
	assert_int_equal(send(half.fd, "{\"execute\":", 11, MSG_NOSIGNAL), 11);
	/* f.c floods without reading until its socket is full. */
	static const char q[] = "{\"execute\":\"query-kvmlite\"}\n";
	int flags = fcntl(f.c.fd, F_GETFL);
	fcntl(f.c.fd, F_SETFL, flags | O_NONBLOCK);
	size_t sent = 0;
	for (int i = 0; i < 200000; i++) {
		ssize_t w = send(f.c.fd, q, sizeof(q) - 1, MSG_NOSIGNAL);
		if (w < 0)
			break;
		sent += (size_t)w;
	}
	assert_true(sent > 0);
	client_open(&late, f.path);
	ok_free(&late, "{\"execute\":\"qmp_capabilities\"}");
	ok_free(&late, "{\"execute\":\"quit\"}");
	assert_true(kl_control_quit_requested(f.ctl));
	close(half.fd);
	close(late.fd);
	teardown(&f);
}

/* A fake destination that answers the header one byte at a time, every
 * `every` seconds (at most `bytes` of them), so the source stays in its
 * handshake. */
struct trickler {
	int lfd, port;
	double every;
	int bytes;
	atomic_bool stop, done;
	pthread_t t;
};

static void *trickle(void *arg)
{
	struct trickler *tr = arg;
	struct kl_err e;
	int fd = kl_accept(tr->lfd, 30, &e);
	for (int i = 0; fd >= 0 && i < tr->bytes && !atomic_load(&tr->stop); i++) {
		kltest_sleep(tr->every);
		if (send(fd, "\x02", 1, MSG_NOSIGNAL) < 0)
			break;
	}
	atomic_store(&tr->done, true);
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void trickler_start(struct trickler *tr, double every, int bytes)
{
	struct kl_err e;
	memset(tr, 0, sizeof(*tr));
	tr->every = every;
	tr->bytes = bytes;
	tr->lfd = kl_listen("127.0.0.1:0", &e);
	assert_true(tr->lfd >= 0);
	tr->port = kl_local_port(tr->lfd);
	assert_int_equal(pthread_create(&tr->t, NULL, trickle, tr), 0);
}

static void trickler_stop(struct trickler *tr)
{
	atomic_store(&tr->stop, true);
	pthread_join(tr->t, NULL);
	close(tr->lfd);
}

/* migrate_cancel during set-up, against a destination that trickles a
 * byte every second for a minute: cancelled at once (before, ignored
 * until the handshake ended). */
static void test_cancel_during_setup(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	struct fixture f;
	struct trickler tr;
	char uri[64];
	json_t *r, *q;

	setup(&f, 400000); /* runs ~10 s: still running after the cancel */
	trickler_start(&tr, 1.0, 60);
	snprintf(uri, sizeof(uri), "tcp:127.0.0.1:%d", tr.port);
	qmp_migrate(&f.c, uri);
	kltest_sleep(1.5);
	assert_migrate_status(&f.c, "setup");
	ok_free(&f.c, "{\"execute\":\"migrate_cancel\"}");
	q = wait_migration(&f.c, &r);
	assert_string_equal(status_of(q), "cancelled");
	json_decref(r);
	assert_false(atomic_load(&tr.done)); /* it never had to give up */
	q = ok(&f.c, "{\"execute\":\"query-status\"}", &r);
	assert_true(json_is_true(json_object_get(q, "running")));
	json_decref(r);
	trickler_stop(&tr);
	teardown(&f);
}

/* The handshake has an overall deadline (io-timeout): a destination that
 * trickles its HELLO cannot hold the source (before: as long as it
 * trickled). */
static void test_handshake_has_a_deadline(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	struct kl_config cfg;
	struct kl_mig_opts o;
	struct kl_err e;
	struct trickler tr;
	char uri[64];

	struct kl_vm *vm = idle_vm(&cfg);
	assert_int_equal(kl_vm_start(vm, &e), 0);
	trickler_start(&tr, 0.3, 200);
	snprintf(uri, sizeof(uri), "tcp:127.0.0.1:%d", tr.port);
	kltest_mig_opts(&o, MPLM_ALG_PRECOPY, uri);
	o.io_timeout = 1.5;
	kl_source *s = kl_source_new(vm, &o, &e);
	assert_int_equal(kl_source_run(s), KL_MIG_FAILED);
	assert_non_null(strstr(kl_source_error(s), "in time"));
	assert_false(atomic_load(&tr.done));
	kl_source_free(s);
	trickler_stop(&tr);
	kl_vm_destroy(vm);
}

/* The CLI: `kvmlite run --qmp unix:PATH`, then quit. */
static void test_cli_qmp_quit(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	char path[64], arg[80];
	struct client c;
	snprintf(path, sizeof(path), "/tmp/kltest-cli-qmp-%d", (int)getpid());
	snprintf(arg, sizeof(arg), "unix:%s", path);
	unlink(path);
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		execl(kltest_kvmlite(), "kvmlite", "run", "--memory=32M", "--pattern=idle",
		      "--duration=60", "--timeout=60", "--qmp", arg, (char *)NULL);
		_exit(127);
	}
	client_open(&c, path);
	ok_free(&c, "{\"execute\":\"qmp_capabilities\"}");
	json_t *r;
	json_t *q = ok(&c, "{\"execute\":\"query-kvmlite\"}", &r);
	assert_non_null(json_object_get(q, "dirty-log"));
	json_decref(r);
	ok_free(&c, "{\"execute\":\"quit\"}");
	close(c.fd);
	int st = kl_wait_child(pid, 20);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(void)
{
	kltest_init(600);
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_negotiation_and_errors),
		cmocka_unit_test(test_parameters),
		cmocka_unit_test(test_migrate_and_query),
		cmocka_unit_test(test_postcopy_by_command),
		cmocka_unit_test(test_extend_live_then_end_live),
		cmocka_unit_test(test_cancel_then_migrate),
		cmocka_unit_test(test_socket_path_is_never_clobbered),
		cmocka_unit_test(test_tcp_control_is_loopback_unless_asked),
		cmocka_unit_test(test_long_line_and_nul_are_refused),
		cmocka_unit_test(test_stuck_client_does_not_block_others),
		cmocka_unit_test(test_cancel_during_setup),
		cmocka_unit_test(test_handshake_has_a_deadline),
		cmocka_unit_test(test_cli_qmp_quit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
