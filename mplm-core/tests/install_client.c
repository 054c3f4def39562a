/*
 * install_client.c - a program outside the project that uses the installed
 * libmplm-core: test_install.sh builds it with `pkg-config --cflags --libs
 * mplm-core`. It migrates a 64-page guest over a back end that takes 1 ms
 * per page and in which the guest writes page 5 once, during the first
 * pages sent, and prints what QEMU's `info migrate` would count.
 */
#include <mplm.h>
#include <stdio.h>

struct toy {
	double clock; /* seconds */
	unsigned syncs;
};

static double toy_now(void *ctx) { return ((struct toy *)ctx)->clock; }
static void toy_set_max_bandwidth(void *ctx, double bps) { (void)ctx; (void)bps; }

/* Sync 0 starts logging; the next one reports page 5 as written. */
static int toy_sync(void *ctx, mplm_bitmap *dirty)
{
	struct toy *t = ctx;
	if (t->syncs++ == 1)
		mplm_bitmap_set(dirty, 5);
	return 0;
}

static int toy_send_page(void *ctx, uint64_t page, struct mplm_page_sent *out)
{
	(void)page;
	((struct toy *)ctx)->clock += 0.001;
	out->wire_bytes = 4096 + 8;
	out->zero = false;
	return 0;
}

static int toy_ok(void *ctx) { (void)ctx; return 0; }

static int toy_send_state(void *ctx, uint64_t *wire_bytes)
{
	(void)ctx;
	*wire_bytes = 0;
	return 0;
}

int main(void)
{
	struct toy t = { 0 };
	struct mplm_backend be = {
		.ctx = &t, .now = toy_now, .set_max_bandwidth = toy_set_max_bandwidth,
		.sync_dirty_log = toy_sync, .send_page = toy_send_page,
		.stop_guest = toy_ok, .send_state = toy_send_state,
		.start_destination = toy_ok,
	};
	struct mplm_params p;
	mplm_params_default(&p);
	p.algorithm = MPLM_ALG_MPLM;
	mplm_migration *m = mplm_migration_new(64, 4096, &p, &be);
	if (!m || mplm_migration_run(m) < 0) {
		fprintf(stderr, "install_client: migration failed\n");
		return 1;
	}
	struct mplm_stats st;
	mplm_migration_stats(m, &st);
	printf("mplm-core %s: %s, %llu normal pages, %llu dirty syncs\n",
	       MPLM_VERSION, mplm_status_name(st.status),
	       (unsigned long long)st.normal,
	       (unsigned long long)st.dirty_sync_count);
	mplm_migration_free(m);
	return 0;
}
