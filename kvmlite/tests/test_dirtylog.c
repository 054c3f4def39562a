/*
 * test_dirtylog.c - the dirty log reports exactly the pages a guest
 * wrote: a guest writes a known list of pages between two barriers (in
 * one asm block, so nothing else is written), and the VMM syncs the log
 * at each barrier. Bitmap with and without KVM_CLEAR_DIRTY_LOG, several
 * slots, dirty rings; and two readers of the log (a migration and a trace
 * recorder) each see every write.
 */
#include "kltest.h"

#include <stdlib.h>
#include <string.h>

struct dl_case {
	struct kl_vm *vm;
	struct kl_dirty_reader *first, *second;
	mplm_bitmap *got, *again, *other;
	int barriers;
	char err[512];
};

/* Barrier 1: logging on, two readers. Barrier 2: the first reads the log,
 * then reads it again (which must be empty: nothing ran in between); then
 * the second reads, and must see what the first saw. */
static uint32_t on_barrier(void *ctx, struct kl_vcpu *v)
{
	struct dl_case *c = ctx;
	struct kl_err e;
	(void)v;
	if (c->barriers++ == 0) {
		if (!(c->first = kl_dirtylog_attach(c->vm, &e)) ||
		    !(c->second = kl_dirtylog_attach(c->vm, &e)))
			snprintf(c->err, sizeof(c->err), "attach: %.400s", e.msg);
		return 0;
	}
	if (kl_dirtylog_read(c->first, mplm_bitmap_words(c->got), &e) < 0 ||
	    kl_dirtylog_read(c->first, mplm_bitmap_words(c->again), &e) < 0 ||
	    kl_dirtylog_read(c->second, mplm_bitmap_words(c->other), &e) < 0)
		snprintf(c->err, sizeof(c->err), "read: %.400s", e.msg);
	if (kl_dirtylog_detach(c->first, &e) < 0 || kl_dirtylog_detach(c->second, &e) < 0 ||
	    kl_dirtylog_active(c->vm))
		snprintf(c->err, sizeof(c->err), "detach: %.400s", e.msg);
	return 0;
}

static void run_list(struct kl_config *cfg, const uint64_t *pages, unsigned n)
{
	struct kl_params p;
	struct dl_case c = { 0 };

	kltest_params(&p, KL_PAT_LIST, 16, 0, 0);
	p.list_count = n;
	memcpy(p.list, pages, n * sizeof(uint64_t));
	c.vm = kltest_vm(cfg, &p);
	c.got = mplm_bitmap_new(c.vm->pages);
	c.again = mplm_bitmap_new(c.vm->pages);
	c.other = mplm_bitmap_new(c.vm->pages);
	c.vm->dev.barrier = on_barrier;
	c.vm->dev.barrier_ctx = &c;
	kltest_run_to_end(c.vm, 30);

	assert_string_equal(c.err, "");
	assert_int_equal(c.barriers, 2);
	mplm_bitmap *want = mplm_bitmap_new(c.vm->pages);
	for (unsigned i = 0; i < n; i++)
		mplm_bitmap_set(want, pages[i]);
	for (uint64_t pg = 0; pg < c.vm->pages; pg++)
		if (mplm_bitmap_test(want, pg) != mplm_bitmap_test(c.got, pg))
			fail_msg("page %llu: written %d, reported %d",
				 (unsigned long long)pg, mplm_bitmap_test(want, pg),
				 mplm_bitmap_test(c.got, pg));
	assert_int_equal(mplm_bitmap_count(c.got), mplm_bitmap_count(want));
	assert_int_equal(mplm_bitmap_count(c.again), 0);
	/* The second reader was not robbed by the first one's reads. */
	for (uint64_t pg = 0; pg < c.vm->pages; pg++)
		if (mplm_bitmap_test(c.other, pg) != mplm_bitmap_test(c.got, pg))
			fail_msg("page %llu: first reader %d, second reader %d",
				 (unsigned long long)pg, mplm_bitmap_test(c.got, pg),
				 mplm_bitmap_test(c.other, pg));
	mplm_bitmap_free(want);
	mplm_bitmap_free(c.got);
	mplm_bitmap_free(c.again);
	mplm_bitmap_free(c.other);
	kl_vm_destroy(c.vm);
}

/* Seven pages, some in the data area, one in the last page of RAM. */
static const uint64_t seven[] = { 0x400, 0x401, 0x47f, 0x800, 0x1234, 0x1fff,
				  0x3fff };

static void test_seven_pages_with_clear(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	struct kl_config cfg;
	kltest_config(&cfg, 64 << 20, 1);
	run_list(&cfg, seven, 7);
}

static void test_seven_pages_without_clear(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	struct kl_config cfg;
	kltest_config(&cfg, 64 << 20, 1);
	cfg.no_clear_log = true;
	run_list(&cfg, seven, 7);
}

/* 400 random pages over 3 slots (32 MiB + 32 MiB + 64 MiB). */
static void test_many_pages_three_slots(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	struct kl_config cfg;
	uint64_t pages[KL_LIST_MAX];
	unsigned n = 0;
	uint64_t x = 12345;

	kltest_config(&cfg, 96 << 20, 1);
	cfg.nslots = 3;
	while (n < KL_LIST_MAX) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		uint64_t pg = 0x400 + (x >> 33) % ((96ull << 8) - 0x400);
		bool dup = false;
		for (unsigned i = 0; i < n; i++)
			dup |= pages[i] == pg;
		if (!dup)
			pages[n++] = pg;
	}
	/* Ascending, as a page walk would be; order does not matter to KVM. */
	run_list(&cfg, pages, n);
}

static void test_dirty_ring(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	struct kl_config cfg;
	kltest_config(&cfg, 64 << 20, 1);
	cfg.log_mode = KL_LOG_RING;
	cfg.ring_entries = 4096;
	run_list(&cfg, seven, 7);
}

/* A guest writing many pages fills a small ring: the vCPU must harvest
 * on KVM_EXIT_DIRTY_RING_FULL and go on; the sync sees every page. */
static void test_dirty_ring_full(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	struct kl_config cfg;
	struct kl_params p;
	struct kl_err e;

	kltest_config(&cfg, 64 << 20, 1);
	cfg.log_mode = KL_LOG_RING;
	cfg.ring_entries = 512;
	kltest_params(&p, KL_PAT_SEQUENTIAL, 5000, 0, 5000);
	struct kl_vm *vm = kltest_vm(&cfg, &p);
	struct kl_dirty_reader *log = kl_dirtylog_attach(vm, &e);
	assert_non_null(log);
	kltest_run_to_end(vm, 30);
	mplm_bitmap *got = mplm_bitmap_new(vm->pages);
	assert_int_equal(kl_dirtylog_read(log, mplm_bitmap_words(got), &e), 0);
	assert_int_equal(kl_dirtylog_detach(log, &e), 0);
	/* Every page of the working set, plus the guest's stack and status
	 * pages; nothing else. */
	for (uint64_t pg = 0; pg < 5000; pg++)
		assert_true(mplm_bitmap_test(got, (KL_DATA_GPA >> 12) + pg));
	uint64_t extra = mplm_bitmap_count(got) - 5000;
	assert_true(extra <= 8);
	kltest_assert_guest_matches_replay(vm);
	mplm_bitmap_free(got);
	kl_vm_destroy(vm);
}

int main(void)
{
	kltest_init(300);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seven_pages_with_clear),
		cmocka_unit_test(test_seven_pages_without_clear),
		cmocka_unit_test(test_many_pages_three_slots),
		cmocka_unit_test(test_dirty_ring),
		cmocka_unit_test(test_dirty_ring_full),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
