/*
 * test_trace.c - `run --record-trace`: the dirty log of a real guest as
 * a format-1 trace. The trace reads back with workloads' reader, holds
 * the pages the guest wrote (all of its working set, nothing outside the
 * pages a guest may write), and replays in mplm-sim.
 */
#include "kltest.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "trace.h"
#include "trace_rec.h"

#define WSS 2048 /* swept ten times at full rate, twice at a quarter */

static char trace_path[64];

/* Pages the guest only reads (its code, its parameters): under shadow
 * paging (kvm_pvm) the first touch of one maps it writable, because its
 * guest PTE is already dirty, and KVM logs it as written. */
static bool read_only_page(uint64_t page)
{
	return page == (KL_PARAMS_GPA >> 12) ||
	       (page >= (KL_IMAGE_GPA >> 12) &&
		page < ((KL_IMAGE_GPA + KL_IMAGE_MAX) >> 12));
}

/* Pages the guest may write: its working set, its stack, its status. */
static bool writable(uint64_t page)
{
	uint64_t data = KL_DATA_GPA >> 12;
	return (page >= data && page < data + WSS) ||
	       page == (KL_STATUS_GPA >> 12) ||
	       (page >= (KL_STACKS_GPA >> 12) &&
		page < ((KL_STACKS_GPA + KL_STACK_SIZE) >> 12));
}

static int record(void **state)
{
	(void)state;
	struct kl_config cfg;
	struct kl_params p;
	struct kl_tracer *t;
	struct kl_err e;
	if (kltest_kvm_unusable())
		return 0;
	snprintf(trace_path, sizeof(trace_path), "/tmp/kltest-trace-%d.gz", (int)getpid());
	kltest_config(&cfg, 64 << 20, 1);
	kltest_params(&p, KL_PAT_SEQUENTIAL, WSS, 20000, 0);
	p.duration_ms = 1000;
	struct kl_vm *vm = kltest_vm(&cfg, &p);
	if (kl_trace_start(vm, trace_path, 0.1, &t, &e) < 0) {
		fprintf(stderr, "%s\n", e.msg);
		return -1;
	}
	kltest_run_to_end(vm, 30);
	int r = kl_trace_stop(t, &e);
	if (r < 0)
		fprintf(stderr, "%s\n", e.msg);
	kl_trace_free(t);
	kl_vm_destroy(vm);
	return r;
}

static int cleanup(void **state)
{
	(void)state;
	unlink(trace_path);
	return 0;
}

static void test_trace_reads_back(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	char err[512];
	trace_source *s = trace_open(trace_path, err, sizeof(err));
	if (!s)
		fail_msg("%s", err);
	const struct trace_info *info = trace_source_info(s);
	assert_int_equal(info->page_size, 4096);
	assert_int_equal(info->pages, (64 << 20) / 4096);
	assert_int_equal(info->interval_us, 100000);
	assert_non_null(strstr(info->workload, "sequential"));

	/* At the start: the boot pages hold data, the working set is zero. */
	const mplm_bitmap *init = trace_source_initial(s);
	assert_non_null(init);
	assert_true(mplm_bitmap_test(init, KL_IMAGE_GPA >> 12));
	assert_true(mplm_bitmap_test(init, KL_PARAMS_GPA >> 12));
	assert_false(mplm_bitmap_test(init, KL_DATA_GPA >> 12));

	mplm_bitmap *pages = mplm_bitmap_new(info->pages);
	mplm_bitmap *all = mplm_bitmap_new(info->pages);
	uint64_t t_end, count, last = 0, total = 0;
	int n = 0, r;
	while ((r = trace_source_next(s, pages, &t_end, &count)) == 1) {
		assert_true(t_end > last);
		last = t_end;
		total += count;
		for (uint64_t pg = mplm_bitmap_find_next_set(pages, 0); pg < info->pages;
		     pg = mplm_bitmap_find_next_set(pages, pg + 1))
			if (!writable(pg) && !(n == 0 && read_only_page(pg)))
				fail_msg("interval %d reports page %llu, which the guest never writes",
					 n, (unsigned long long)pg);
		mplm_bitmap_or(all, pages);
		mplm_bitmap_zero(pages);
		n++;
	}
	assert_int_equal(r, 0);
	/* ~10 intervals over ~1 s; even a starved vCPU sweeps the 2,048-page
	 * working set, so every page of it shows up. */
	if (n < 5 || n > 30)
		fail_msg("%d intervals over a 1 s run at 100 ms", n);
	for (uint64_t pg = 0; pg < WSS; pg++)
		assert_true(mplm_bitmap_test(all, (KL_DATA_GPA >> 12) + pg));
	/* A descheduled vCPU falls behind its pace (never ahead of it): on a
	 * loaded host a quarter of it has been seen. */
	if (total < 4000 || total > 23000)
		fail_msg("%llu pages over %d intervals", (unsigned long long)total, n);
	mplm_bitmap_free(pages);
	mplm_bitmap_free(all);
	trace_source_close(s);
}

static void test_trace_replays_in_mplm_sim(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	char sim[4200], cmd[8400], out[65536];
	snprintf(sim, sizeof(sim), "%s/mplm-sim", kltest_build_dir());
	if (access(sim, X_OK) != 0) {
		printf("SKIP: %s not built\n", sim);
		skip();
	}
	for (int alg = 0; alg < 2; alg++) {
		snprintf(cmd, sizeof(cmd), "%s --json --algorithm %s --intervaltime 0.3 %s 2>&1",
			 sim, alg ? "mplm" : "precopy", trace_path);
		FILE *f = popen(cmd, "r");
		assert_non_null(f);
		size_t len = fread(out, 1, sizeof(out) - 1, f);
		out[len] = 0;
		int st = pclose(f);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			fail_msg("%s\n%s", cmd, out);
		assert_non_null(strstr(out, "\"status\": \"completed\""));
	}
}

/* The CLI writes the same kind of trace. */
static void test_cli_record_trace(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	char path[64], cmd[8400], err[512];
	snprintf(path, sizeof(path), "/tmp/kltest-cli-trace-%d", (int)getpid());
	snprintf(cmd, sizeof(cmd),
		 "%s run --memory 32M --pattern hotspot --rate 10000 --duration 0.5 "
		 "--record-trace %s --trace-interval 50 >/dev/null 2>&1",
		 kltest_kvmlite(), path);
	assert_int_equal(system(cmd), 0);
	trace_source *s = trace_open(path, err, sizeof(err));
	if (!s)
		fail_msg("%s", err);
	assert_int_equal(trace_source_info(s)->interval_us, 50000);
	trace_source_close(s);
	unlink(path);
}

/* Recording the very run that is migrated: the migration and the
 * recorder each read KVM's dirty log through a reader of their own, so
 * neither steals the other's pages. Before, they shared one log and one
 * scratch buffer, and the destination's verify failed. */
static void test_record_while_migrating(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	struct kl_config cfg;
	struct kltest_dst d;
	struct kl_result_file res;
	char path[64], cmd[8400], err[512];

	kltest_config(&cfg, 64 << 20, 1);
	kltest_dst_start(&d, &cfg, NULL);
	snprintf(path, sizeof(path), "/tmp/kltest-mig-trace-%d.gz", (int)getpid());
	snprintf(cmd, sizeof(cmd),
		 "%s run --memory 64M --pattern uniform --wss 16M --rate 20k --duration 3 "
		 "--record-trace %s --trace-interval 20ms --migrate-to %s --start-at 1 "
		 "--algorithm precopy --max-bandwidth 200MB/s >/dev/null 2>&1",
		 kltest_kvmlite(), path, d.uri);
	int rc = system(cmd);
	int dst = kltest_dst_finish(&d, 90, &res);
	if (rc != 0 || dst != 0 || !res.ok || !res.vcpu[0].done) {
		char *out = kltest_dst_output(&d);
		fail_msg("source exit %d, destination exit %d, verified %d:\n%s", rc, dst,
			 res.ok, out ? out : "");
	}
	kltest_dst_cleanup(&d);

	/* The trace of that run reads back to its end and replays. */
	trace_source *s = trace_open(path, err, sizeof(err));
	if (!s)
		fail_msg("%s", err);
	const struct trace_info *info = trace_source_info(s);
	mplm_bitmap *pages = mplm_bitmap_new(info->pages);
	uint64_t t_end, count, total = 0;
	int n = 0, r;
	while ((r = trace_source_next(s, pages, &t_end, &count)) == 1) {
		total += count;
		n++;
		mplm_bitmap_zero(pages);
	}
	assert_int_equal(r, 0);
	assert_true(n >= 10 && total > 0);
	mplm_bitmap_free(pages);
	trace_source_close(s);
	snprintf(cmd, sizeof(cmd), "%s/mplm-sim --algorithm precopy %s >/dev/null 2>&1",
		 kltest_build_dir(), path);
	assert_int_equal(system(cmd), 0);
	unlink(path);
}

int main(void)
{
	kltest_init(300);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trace_reads_back),
		cmocka_unit_test(test_trace_replays_in_mplm_sim),
		cmocka_unit_test(test_cli_record_trace),
		cmocka_unit_test(test_record_while_migrating),
	};
	return cmocka_run_group_tests(tests, record, cleanup);
}
