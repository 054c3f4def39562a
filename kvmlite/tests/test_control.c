/*
 * test_control.c - the QMP-style control socket: negotiation, errors,
 * parameters, and migrations driven the way an operator would: migrate,
 * poll query-migrate, migrate_cancel, set-mplm-extend-live / end-live,
 * migrate-set-parameters while running; `kvmlite run --qmp` as a process.
 */
#include "kltest.h"

#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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
	assert_int_equal(kl_control_start(f->vm, f->path, &o, &f->ctl, &e), 0);
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
		if (s && strcmp(s, "active") && strcmp(s, "setup"))
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

static void test_negotiation_and_errors(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	struct fixture f;
	struct kl_params p;
	struct kl_mig_opts o;
	struct kl_err e;
	json_t *r;

	kltest_config(&f.cfg, 64 << 20, 1);
	kltest_params(&p, KL_PAT_IDLE, 16, 0, 0);
	p.duration_ms = 60000;
	f.vm = kltest_vm(&f.cfg, &p);
	kl_mig_opts_default(&o);
	snprintf(f.path, sizeof(f.path), "/tmp/kltest-qmp-%d", (int)getpid());
	assert_int_equal(kl_control_start(f.vm, f.path, &o, &f.ctl, &e), 0);
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

static void test_extend_live_then_end_live(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	struct fixture f;
	struct kltest_dst d;
	char text[256];
	json_t *r, *q;

	setup(&f, 120000);
	kltest_dst_start(&d, &f.cfg, NULL);
	ok_free(&f.c, "{\"execute\":\"set-mplm-migration\",\"arguments\":{\"enable\":true,\"intervaltime\":0.2}}");
	ok_free(&f.c, "{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"downtime-limit\":1}}");
	ok_free(&f.c, "{\"execute\":\"set-mplm-extend-live\"}");
	snprintf(text, sizeof(text),
		 "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"%s\"}}", d.uri);
	ok_free(&f.c, text);
	kltest_sleep(1.2);
	q = ok(&f.c, "{\"execute\":\"query-migrate\"}", &r);
	assert_string_equal(status_of(q), "active");
	json_decref(r);
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
		cmocka_unit_test(test_extend_live_then_end_live),
		cmocka_unit_test(test_cancel_then_migrate),
		cmocka_unit_test(test_cli_qmp_quit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
