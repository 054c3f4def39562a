/*
 * test_faults.c - what goes wrong. The destination dies, or the operator
 * cancels, during the live stage: the source's guest keeps running and a
 * new migration then succeeds. The destination refuses at the end (after
 * the source paused): the source guest runs again. A corrupted, truncated,
 * incomplete or mismatched stream: the destination exits non-zero with a
 * clear message and never runs the guest.
 */
#include "kltest.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void start_migration(struct kltest_mig *m, struct kl_vm *vm,
			    const char *uri, double bandwidth)
{
	struct kl_mig_opts o;
	kltest_mig_opts(&o, MPLM_ALG_PRECOPY, uri);
	o.params.max_bandwidth = bandwidth;
	kltest_mig_start(m, vm, &o);
}


/* After a failed attempt: the guest is running here; migrate it again
 * and check it finishes on the destination exactly right. */
static void second_migration_succeeds(struct kl_vm *vm, struct kl_config *cfg)
{
	struct kltest_dst d;
	struct kl_result_file r;
	struct kltest_mig m;

	kltest_assert_guest_runs(vm);
	kltest_dst_start(&d, cfg, NULL);
	start_migration(&m, vm, d.uri, 0);
	pthread_join(m.t, NULL);
	if (m.rc != 0)
		fail_msg("second migration: %s", kl_source_error(m.s));
	uint64_t at_pause = kl_source_memhash_at_pause(m.s);
	kl_source_free(m.s);
	assert_int_equal(kltest_dst_finish(&d, 90, &r), 0);
	assert_true(r.ok);
	assert_int_equal(r.memhash_at_resume, at_pause);
	assert_true(r.vcpu[0].done);
	uint64_t c, v, h;
	kltest_replay(kl_gpa(vm, KL_PARAMS_GPA), 0, r.vcpu[0].writes, &c, &v, &h);
	assert_int_equal(r.vcpu[0].writes, 200000);
	assert_int_equal(r.vcpu[0].checksum, c);
	assert_int_equal(r.vcpu[0].memhash, h);
	kltest_dst_cleanup(&d);
}

static bool sending_live(kl_source *s, const struct mplm_stats *st, const void *arg)
{
	(void)s;
	(void)arg;
	return st->status == MPLM_STATUS_ACTIVE && st->transferred > 0;
}

/* Wait (bounded) until the migration is in its live stage and has sent
 * something: on a loaded machine the destination's start can take longer
 * than any fixed sleep. At 20 MB/s the 128 MiB first pass alone lasts
 * over 6 s, so the stage is still live when this returns. */
static void wait_live_stage(struct kltest_mig *m)
{
	struct mplm_stats st;
	if (kltest_wait_source(m->s, sending_live, NULL, 20))
		return;
	kl_source_stats(m->s, &st);
	fail_msg("the migration did not reach its live stage (status %s)",
		 mplm_status_name(st.status));
}

static void test_destination_killed_during_live_stage(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	struct kl_config cfg;
	struct kl_params p;
	struct kltest_dst d;
	struct kltest_mig m;
	struct mplm_stats st;

	struct kl_vm *vm = kltest_long_guest(&cfg, &p);
	kltest_dst_start(&d, &cfg, NULL);
	start_migration(&m, vm, d.uri, 20e6); /* 20 MB/s: a long live stage */
	wait_live_stage(&m);
	kill(d.pid, SIGKILL);
	pthread_join(m.t, NULL);
	assert_int_equal(m.rc, -1);
	kl_source_stats(m.s, &st);
	assert_int_equal(st.status, MPLM_STATUS_FAILED);
	assert_true(strstr(kl_source_error(m.s), "destination") != NULL);
	kl_source_free(m.s);
	kltest_dst_cleanup(&d);
	assert_false(kl_dirtylog_active(vm));
	second_migration_succeeds(vm, &cfg);
	kl_vm_destroy(vm);
}

static void test_cancel_during_live_stage(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	struct kl_config cfg;
	struct kl_params p;
	struct kltest_dst d;
	struct kltest_mig m;
	struct mplm_stats st;

	struct kl_vm *vm = kltest_long_guest(&cfg, &p);
	kltest_dst_start(&d, &cfg, NULL);
	start_migration(&m, vm, d.uri, 20e6);
	wait_live_stage(&m);
	kl_source_cancel(m.s);
	pthread_join(m.t, NULL);
	assert_int_equal(m.rc, -1);
	kl_source_stats(m.s, &st);
	assert_int_equal(st.status, MPLM_STATUS_CANCELLED);
	kl_source_free(m.s);
	/* The destination saw a truncated stream and did not run it. */
	struct kl_result_file r;
	assert_int_not_equal(kltest_dst_finish(&d, 30, &r), 0);
	assert_false(r.ok);
	kltest_dst_cleanup(&d);
	second_migration_succeeds(vm, &cfg);
	kl_vm_destroy(vm);
}

/* ------------------------------------------------------------------ */
/* A fake destination in a thread: answers like a real one and keeps
 * every record it received, so tests can replay (altered) streams. */

struct recorder {
	int lfd, port;
	bool refuse_at_end;     /* send a failing ACK after END */
	bool no_ack;            /* after END: close without an ACK */
	bool corrupt_ack;       /* after END: an ACK ok=1 with a bad CRC */
	pthread_t t;
	uint8_t *bytes;
	size_t len, cap;
	size_t rec_off[1 << 16]; /* where each record starts in bytes */
	uint32_t rec_type[1 << 16];
	size_t nrec;
};

static void keep(struct recorder *rc, const struct kl_rec *r)
{
	size_t n = r->len + KL_REC_OVERHEAD;
	if (rc->len + n > rc->cap) {
		rc->cap = (rc->len + n) * 2;
		rc->bytes = realloc(rc->bytes, rc->cap);
	}
	uint8_t *p = rc->bytes + rc->len;
	memcpy(p, &r->type, 4);
	memcpy(p + 4, &r->len, 4);
	memcpy(p + 8, r->data, r->len);
	uint32_t crc = kl_crc32c(0, p, 8 + r->len);
	memcpy(p + 8 + r->len, &crc, 4);
	if (rc->nrec < sizeof(rc->rec_off) / sizeof(rc->rec_off[0])) {
		rc->rec_off[rc->nrec] = rc->len;
		rc->rec_type[rc->nrec++] = r->type;
	}
	rc->len += n;
}

static void *recorder_thread(void *arg)
{
	struct recorder *rc = arg;
	struct kl_err e;
	struct kl_in in;
	struct kl_out out;
	struct kl_rec r;
	int fd = kl_accept(rc->lfd, 30, &e);
	if (fd < 0)
		return NULL;
	kl_set_io_timeout(fd, 20);
	kl_in_init(&in, fd, 4 << 20, &e);
	kl_out_init(&out, fd, 65536, &e);
	while (kl_in_next(&in, &r, &e) > 0) {
		keep(rc, &r);
		if (r.type == KL_REC_HEADER)
			kl_send_verdict(&out, KL_REC_HELLO, true, "ready", &e);
		if (r.type == KL_REC_END && rc->no_ack)
			break;
		if (r.type == KL_REC_END && rc->corrupt_ack) {
			uint32_t yes = 1;
			kl_out_record(&out, KL_REC_ACK, &yes, 4, "running", 7, &e);
			out.buf[out.len - 1] ^= 0x40; /* the CRC no longer matches */
			kl_out_flush(&out, &e);
			break;
		}
		if (r.type == KL_REC_END) {
			kl_send_verdict(&out, KL_REC_ACK, !rc->refuse_at_end,
					rc->refuse_at_end ? "test says no" : "running", &e);
			break;
		}
	}
	kl_in_free(&in);
	kl_out_free(&out);
	close(fd);
	return NULL;
}

static void recorder_start(struct recorder *rc)
{
	struct kl_err e;
	rc->lfd = kl_listen("127.0.0.1:0", &e);
	assert_true(rc->lfd >= 0);
	rc->port = kl_local_port(rc->lfd);
	assert_int_equal(pthread_create(&rc->t, NULL, recorder_thread, rc), 0);
}

static void recorder_stop(struct recorder *rc)
{
	pthread_join(rc->t, NULL);
	close(rc->lfd);
}

static void migrate_to_recorder(struct kl_vm *vm, struct recorder *rc,
				int expect_rc)
{
	char uri[64];
	struct kl_mig_opts o;
	struct kl_err e;
	snprintf(uri, sizeof(uri), "tcp:127.0.0.1:%d", rc->port);
	kltest_mig_opts(&o, MPLM_ALG_PRECOPY, uri);
	kl_source *s = kl_source_new(vm, &o, &e);
	assert_int_equal(kl_source_run(s), expect_rc);
	kl_source_free(s);
}

/* The destination refuses after END: the source had paused its guest
 * for the downtime and must run it again. */
static void test_refused_at_end_resumes_source(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	struct kl_config cfg;
	struct kl_params p;
	struct recorder *rc = calloc(1, sizeof(*rc));

	struct kl_vm *vm = kltest_long_guest(&cfg, &p);
	kltest_sleep(0.2);
	rc->refuse_at_end = true;
	recorder_start(rc);
	migrate_to_recorder(vm, rc, -1);
	recorder_stop(rc);
	kltest_assert_guest_runs(vm);
	assert_true(kl_vm_wait_end(vm, 60));
	kltest_assert_guest_matches_replay(vm);
	free(rc->bytes);
	free(rc);
	kl_vm_destroy(vm);
}

/* The stream was complete but the destination's answer is lost or
 * corrupted: it may be running the guest, so the source must not (before
 * the commit protocol, it resumed: two copies ran). The guest stays
 * paused, the status says outcome-unknown, and the operator's resume
 * (QMP `cont`) brings it back intact. */
static void unanswered_end_keeps_guest_paused(bool corrupt)
{
	struct kl_config cfg;
	struct kl_params p;
	struct recorder *rc = calloc(1, sizeof(*rc));
	struct mplm_stats st;

	struct kl_vm *vm = kltest_long_guest(&cfg, &p);
	kltest_sleep(0.2);
	rc->no_ack = !corrupt;
	rc->corrupt_ack = corrupt;
	recorder_start(rc);
	char uri[64];
	struct kl_mig_opts o;
	struct kl_err e;
	snprintf(uri, sizeof(uri), "tcp:127.0.0.1:%d", rc->port);
	kltest_mig_opts(&o, MPLM_ALG_PRECOPY, uri);
	o.io_timeout = 2;
	kl_source *s = kl_source_new(vm, &o, &e);
	assert_int_equal(kl_source_run(s), KL_MIG_UNKNOWN);
	kl_source_stats(s, &st);
	assert_int_equal(st.status, MPLM_STATUS_UNKNOWN);
	assert_non_null(strstr(kl_source_error(s), "outcome unknown"));
	recorder_stop(rc);
	/* Still paused: 2 s is over 4,096 writes even for a vCPU starved to
	 * a quarter of its pace on a loaded host. */
	uint64_t before = kl_dev_progress(&vm->dev);
	kltest_sleep(2);
	assert_int_equal(kl_dev_progress(&vm->dev), before);
	assert_false(kl_vm_all_ended(vm));
	kl_source_free(s);
	kl_vm_resume(vm); /* the operator's decision */
	assert_true(kl_vm_wait_end(vm, 60));
	kltest_assert_guest_matches_replay(vm);
	free(rc->bytes);
	free(rc);
	kl_vm_destroy(vm);
}

static void test_lost_ack_keeps_source_paused(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	unanswered_end_keeps_guest_paused(false);
}

static void test_corrupted_ack_keeps_source_paused(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	unanswered_end_keeps_guest_paused(true);
}

/* `kvmlite run --migrate-to` against a fake destination: its exit status
 * says how the migration ended (before: 0 even when it failed). */
static int cli_migrate_to(struct recorder *rc)
{
	char to[64];
	recorder_start(rc);
	snprintf(to, sizeof(to), "tcp:127.0.0.1:%d", rc->port);
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(null, 2);
		execl(kltest_kvmlite(), "kvmlite", "run", "--memory=32M", "--pattern=uniform",
		      "--wss=1M", "--rate=20000", "--iterations=20000", "--timeout=30",
		      "--migrate-to", to, "--start-at=0.1", "--io-timeout=1",
		      (char *)NULL);
		_exit(127);
	}
	int st = kl_wait_child(pid, 60);
	recorder_stop(rc);
	free(rc->bytes);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_cli_migrate_to_exit_status(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	struct recorder *rc = calloc(1, sizeof(*rc));
	assert_int_equal(cli_migrate_to(rc), 0); /* completed */
	memset(rc, 0, sizeof(*rc));
	rc->refuse_at_end = true;
	assert_int_equal(cli_migrate_to(rc), 1); /* failed: ran on here */
	memset(rc, 0, sizeof(*rc));
	rc->no_ack = true;
	assert_int_equal(cli_migrate_to(rc), 3); /* unknown: discarded */
	free(rc);
}

/* ------------------------------------------------------------------ */
/* Replaying streams into a real destination. */

struct captured {
	struct recorder *rc;
	struct kl_config cfg;
};

static struct captured cap;

/* One real migration of a small running guest, recorded. */
static int capture_setup(void **state)
{
	(void)state;
	if (kltest_kvm_unusable())
		return 0;
	struct kl_params p;
	struct kl_err e;
	kltest_config(&cap.cfg, 32 << 20, 1);
	kltest_params(&p, KL_PAT_UNIFORM, 1024, 20000, 30000);
	struct kl_vm *vm = kltest_vm(&cap.cfg, &p);
	if (kl_vm_start(vm, &e) < 0)
		return -1;
	kltest_sleep(0.2);
	cap.rc = calloc(1, sizeof(*cap.rc));
	recorder_start(cap.rc);
	migrate_to_recorder(vm, cap.rc, 0);
	recorder_stop(cap.rc);
	kl_vm_destroy(vm);
	return 0;
}

static int capture_teardown(void **state)
{
	(void)state;
	if (cap.rc)
		free(cap.rc->bytes);
	free(cap.rc);
	return 0;
}

static size_t find_record(uint32_t type, unsigned nth)
{
	for (size_t i = 0; i < cap.rc->nrec; i++)
		if (cap.rc->rec_type[i] == type && nth-- == 0)
			return i;
	fail_msg("no %s record #%u in the capture", kl_rec_name(type), nth);
	return 0;
}

/* Send bytes to a fresh destination, then read whatever it answers.
 * Returns its exit status; *out its output (malloc'd). */
static int replay(const struct kl_config *cfg, const uint8_t *bytes, size_t len,
		  struct kl_result_file *r, char **out)
{
	struct kltest_dst d;
	struct kl_err e;
	char buf[4096];
	kltest_dst_start(&d, cfg, NULL);
	int fd = kl_connect(d.uri, 10, &e);
	assert_true(fd >= 0);
	size_t off = 0;
	while (off < len) {
		ssize_t w = send(fd, bytes + off, len - off, MSG_NOSIGNAL);
		if (w <= 0)
			break; /* the destination gave up early: fine */
		off += (size_t)w;
	}
	shutdown(fd, SHUT_WR);
	while (recv(fd, buf, sizeof(buf), 0) > 0)
		;
	close(fd);
	int st = kltest_dst_finish(&d, 60, r);
	*out = kltest_dst_output(&d);
	kltest_dst_cleanup(&d);
	return st;
}

/* Refused: non-zero exit, the message, and the guest never ran. */
static void assert_refused(const uint8_t *bytes, size_t len,
			   const struct kl_config *cfg, const char *why)
{
	struct kl_result_file r;
	char *out;
	int st = replay(cfg, bytes, len, &r, &out);
	if (st == 0 || !strstr(out, why))
		fail_msg("expected a refusal with '%s', got exit %d:\n%s", why, st, out);
	assert_non_null(strstr(out, "kvmlite incoming: error:"));
	assert_null(strstr(out, "starting the guest"));
	assert_null(strstr(out, "[vcpu0]"));
	assert_false(r.ok);
	assert_int_equal(r.nvcpus, 0);
	free(out);
}

static void test_replay_intact_runs(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	struct kl_result_file r;
	char *out;
	int st = replay(&cap.cfg, cap.rc->bytes, cap.rc->len, &r, &out);
	if (st != 0)
		fail_msg("intact replay: exit %d\n%s", st, out);
	assert_true(r.ok);
	assert_true(r.vcpu[0].done);
	assert_int_equal(r.vcpu[0].writes, 30000);
	free(out);
}

static void test_flipped_byte_in_page(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	uint8_t *b = malloc(cap.rc->len);
	memcpy(b, cap.rc->bytes, cap.rc->len);
	b[cap.rc->rec_off[find_record(KL_REC_PAGE, 100)] + 8 + 8 + 1000] ^= 0x10;
	assert_refused(b, cap.rc->len, &cap.cfg, "CRC mismatch in page record");
	free(b);
}

static void test_flipped_byte_in_vcpu_state(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	uint8_t *b = malloc(cap.rc->len);
	memcpy(b, cap.rc->bytes, cap.rc->len);
	b[cap.rc->rec_off[find_record(KL_REC_VCPU, 0)] + 40] ^= 1;
	assert_refused(b, cap.rc->len, &cap.cfg, "CRC mismatch in vcpu record");
	free(b);
}

static void test_truncated_mid_record(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	size_t cut = cap.rc->rec_off[find_record(KL_REC_PAGE, 50)] + 2000;
	assert_refused(cap.rc->bytes, cut, &cap.cfg, "truncated");
}

static void test_truncated_before_end(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	size_t cut = cap.rc->rec_off[find_record(KL_REC_END, 0)];
	assert_refused(cap.rc->bytes, cut, &cap.cfg, "before the end marker");
}

/* Whole records, CRCs intact, but one page record missing. */
static void test_dropped_page_record(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	size_t i = find_record(KL_REC_PAGE, 10);
	size_t start = cap.rc->rec_off[i], end = cap.rc->rec_off[i + 1];
	uint8_t *b = malloc(cap.rc->len);
	memcpy(b, cap.rc->bytes, start);
	memcpy(b + start, cap.rc->bytes + end, cap.rc->len - end);
	assert_refused(b, cap.rc->len - (end - start), &cap.cfg, "end record counts");
	free(b);
}

static void test_wrong_memory_size(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	struct kl_config other = cap.cfg;
	other.mem_bytes = 64 << 20;
	assert_refused(cap.rc->bytes, cap.rc->len, &other, "memory");
}

static void test_wrong_vcpu_count(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	struct kl_config other = cap.cfg;
	other.nvcpus = 2;
	assert_refused(cap.rc->bytes, cap.rc->len, &other, "vCPUs");
}

/* The capture with a DISCARD record for `count` pages from `first`
 * spliced in before END, and the header's version set to `version`
 * (CRCs fixed: the records must be refused for what they say).
 * *len gets the new length; malloc'd. */
static uint8_t *with_discard(uint32_t version, uint64_t first, uint64_t count,
			     size_t *len)
{
	uint8_t rec[8 + 4 + 16 + 4];
	uint32_t type = KL_REC_DISCARD, plen = 20, n = 1;
	memcpy(rec, &type, 4);
	memcpy(rec + 4, &plen, 4);
	memcpy(rec + 8, &n, 4);
	memcpy(rec + 12, &first, 8);
	memcpy(rec + 20, &count, 8);
	uint32_t crc = kl_crc32c(0, rec, 28);
	memcpy(rec + 28, &crc, 4);

	size_t at = cap.rc->rec_off[find_record(KL_REC_END, 0)];
	*len = cap.rc->len + sizeof(rec);
	uint8_t *b = malloc(*len);
	memcpy(b, cap.rc->bytes, at);
	memcpy(b + at, rec, sizeof(rec));
	memcpy(b + at + sizeof(rec), cap.rc->bytes + at, cap.rc->len - at);
	/* The header is record 0: magic (8 bytes), then the version. */
	uint32_t hlen;
	memcpy(&hlen, b + 4, 4);
	memcpy(b + 8 + 8, &version, 4);
	crc = kl_crc32c(0, b, 8 + hlen);
	memcpy(b + 8 + hlen, &crc, 4);
	return b;
}

/* Post-copy's records belong to version 2 only. */
static void test_discard_in_version_1_stream(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	size_t len;
	uint8_t *b = with_discard(KL_STREAM_VERSION, 0, 1, &len);
	assert_refused(b, len, &cap.cfg, "post-copy needs version 2");
	free(b);
}

static void test_discard_beyond_memory(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	KLTEST_REQUIRE_UFFD(); /* else the header is refused first */
	size_t len;
	uint64_t pages = cap.cfg.mem_bytes / KL_PAGE_SIZE;
	uint8_t *b = with_discard(KL_STREAM_VERSION_POSTCOPY, pages - 1, 2, &len);
	assert_refused(b, len, &cap.cfg, "is outside memory");
	free(b);
}

static void test_not_a_stream(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	static const char junk[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	assert_refused((const uint8_t *)junk, sizeof(junk) - 1, &cap.cfg,
		       "bad record type");
}

/* A source that connects and then says nothing: bounded by the
 * destination's I/O timeout. */
static void test_silent_source_times_out(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	struct kltest_dst d;
	struct kl_err e;
	struct kl_result_file r;
	const char *extra[] = { "--io-timeout=1", NULL };
	kltest_dst_start(&d, &cap.cfg, extra);
	int fd = kl_connect(d.uri, 10, &e);
	assert_true(fd >= 0);
	double t0 = kl_now();
	int st = kltest_dst_finish(&d, 30, &r);
	assert_true(st != 0);
	assert_true(kl_now() - t0 < 10);
	char *out = kltest_dst_output(&d);
	assert_non_null(strstr(out, "stalled"));
	free(out);
	close(fd);
	kltest_dst_cleanup(&d);
}

int main(void)
{
	kltest_init(900);
	/* One group (one summary line for the test runner); its setup
	 * records the stream the replay tests alter. */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_destination_killed_during_live_stage),
		cmocka_unit_test(test_cancel_during_live_stage),
		cmocka_unit_test(test_refused_at_end_resumes_source),
		cmocka_unit_test(test_lost_ack_keeps_source_paused),
		cmocka_unit_test(test_corrupted_ack_keeps_source_paused),
		cmocka_unit_test(test_cli_migrate_to_exit_status),
		cmocka_unit_test(test_replay_intact_runs),
		cmocka_unit_test(test_flipped_byte_in_page),
		cmocka_unit_test(test_flipped_byte_in_vcpu_state),
		cmocka_unit_test(test_truncated_mid_record),
		cmocka_unit_test(test_truncated_before_end),
		cmocka_unit_test(test_dropped_page_record),
		cmocka_unit_test(test_wrong_memory_size),
		cmocka_unit_test(test_wrong_vcpu_count),
		cmocka_unit_test(test_discard_in_version_1_stream),
		cmocka_unit_test(test_discard_beyond_memory),
		cmocka_unit_test(test_not_a_stream),
		cmocka_unit_test(test_silent_source_times_out),
	};
	return cmocka_run_group_tests(tests, capture_setup, capture_teardown);
}
