/*
 * sim.c - the trace-replay simulator: an mplm-core back end with a virtual
 * clock.
 *
 * Two clocks run here. `now` is the migration's clock, starting at 0 when
 * the migration starts. `guest` is the trace's clock: it advances with
 * `now` while the guest runs and stands still while the guest is paused
 * (dirty log syncs, the downtime). The pages of a trace interval (T_prev,
 * T] are written when the guest clock reaches T, all at once: that is
 * what a dirty log read at T would have reported.
 *
 * With `verify`, every page carries a version (bumped on each write) and
 * the destination keeps the version of the copy it received; at resume
 * they must all agree.
 */
#include "sim.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gen.h"
#include "trace.h"
#include "units.h"

#define NEVER_RECEIVED UINT32_MAX

struct sim {
	const struct sim_config *cfg;
	struct sim_result *res;
	trace_source *src;
	const mplm_bitmap *initial; /* non-zero at trace start; NULL = all */
	uint64_t vm_pages, trace_pages;
	uint64_t base;                /* guest page of trace page 0; 64-aligned */
	uint64_t static_lo, static_hi; /* guest pages of static data */
	uint32_t page_size;
	uint32_t zero_bytes;          /* a zero page on the wire */

	double now;          /* s since the migration started */
	double guest;        /* s of trace time */
	double sec_per_byte; /* on the wire, at the effective rate */
	double guest_speed;  /* 1, or 1 - throttle / 100 (auto-converge) */
	bool paused;

	/* The next interval, read ahead: lands when guest >= next_at. */
	mplm_bitmap *iv;
	uint64_t iv_count;
	double next_at;      /* s of trace time; INFINITY when none left */
	double loop_offset;  /* trace time at which the current pass began */
	bool src_done;

	mplm_bitmap *log;     /* written since the last sync */
	mplm_bitmap *written; /* written since the trace started, up to the last sync */
	mplm_bitmap *touched; /* written since the migration started, ditto */
	uint64_t pages_written_migrating; /* sum of interval sizes */
	double guest_at_start;

	uint32_t *version, *dest_version; /* with verify */
	mplm_bitmap *sent;                /* with an observer */

	mplm_migration *m;
	char *err;
	size_t errlen;
};

/* ---------------------------------------------------------------- */
/* The guest: replaying the trace. */

static int read_next_interval(struct sim *s)
{
	uint64_t t_us, count;
	for (;;) {
		int r = trace_source_next(s->src, s->iv, &t_us, &count);
		if (r < 0) {
			snprintf(s->err, s->errlen, "%s", trace_source_error(s->src));
			return -1;
		}
		if (r > 0) {
			s->iv_count = count;
			s->next_at = s->loop_offset + (double)t_us / 1e6;
			return 0;
		}
		/* End of the workload at t_us: idle from then on, or replay
		 * it from the start. An empty trace cannot loop. */
		if (s->cfg->at_end == SIM_END_IDLE || t_us == 0) {
			s->src_done = true;
			s->next_at = INFINITY;
			return 0;
		}
		if (trace_source_rewind(s->src) < 0) {
			snprintf(s->err, s->errlen, "%s", trace_source_error(s->src));
			return -1;
		}
		s->loop_offset += (double)t_us / 1e6;
	}
}

/* The guest writes the pages of the interval that just ended. Straight
 * word loops the compiler vectorises: an interval touches a scattered
 * fraction of a large bitmap, where a branch per word mispredicts. */
static void apply_interval(struct sim *s, bool migrating)
{
	uint64_t *restrict iv = mplm_bitmap_words(s->iv);
	uint64_t *restrict dst = mplm_bitmap_words(migrating ? s->log : s->written);
	uint64_t nw = mplm_bitmap_nwords(s->iv);

	for (uint64_t w = 0; w < nw; w++)
		dst[w] |= iv[w];
	if (s->version) {
		uint32_t *version = s->version + s->base;
		for (uint64_t w = 0; w < nw; w++)
			for (uint64_t b = iv[w]; b; b &= b - 1)
				version[w * 64 + (uint64_t)__builtin_ctzll(b)]++;
	}
	mplm_bitmap_zero(s->iv);
	if (migrating)
		s->pages_written_migrating += s->iv_count;
}

/* Let the guest run until its clock reads `until`. */
static int guest_run_to(struct sim *s, double until, bool migrating)
{
	while (s->next_at <= until) {
		s->guest = s->next_at;
		apply_interval(s, migrating);
		if (read_next_interval(s) < 0)
			return -1;
	}
	s->guest = until;
	return 0;
}

/* Advance the migration clock; the guest runs along unless paused. A
 * trace error here cannot be returned through send_page's caller in the
 * middle of a page, so it is kept and reported by the next callback. */
static int advance(struct sim *s, double dt)
{
	if (s->err[0])
		return -1;
	s->now += dt;
	if (s->paused)
		return 0;
	/* A throttled guest runs (100 - pct) % of the time: its trace time
	 * moves that much slower, and the rest is work it lost. */
	s->res->guest_lost += dt * (1 - s->guest_speed);
	double until = s->guest + dt * s->guest_speed;
	if (until < s->next_at) {
		s->guest = until;
		return 0;
	}
	return guest_run_to(s, until, true);
}

/* ---------------------------------------------------------------- */
/* The back end. */

static double be_now(void *ctx) { return ((struct sim *)ctx)->now; }

static void be_set_max_bandwidth(void *ctx, double bps)
{
	struct sim *s = ctx;
	s->sec_per_byte = 1.0 / mplm_wire_rate(s->cfg->link_bandwidth, bps);
}

static void be_set_throttle(void *ctx, unsigned pct)
{
	((struct sim *)ctx)->guest_speed = 1 - pct / 100.0;
}

static int be_sync_dirty_log(void *ctx, mplm_bitmap *dirty)
{
	struct sim *s = ctx;
	uint64_t *d = mplm_bitmap_words(dirty) + s->base / 64;
	uint64_t *log = mplm_bitmap_words(s->log);
	uint64_t *wr = mplm_bitmap_words(s->written);
	uint64_t *tt = mplm_bitmap_words(s->touched);
	uint64_t nw = mplm_bitmap_nwords(s->log), n = 0;

	/* The trace starts on a word boundary of the VM: same layout. */
	for (uint64_t w = 0; w < nw; w++) {
		uint64_t bits = log[w];
		if (!bits)
			continue;
		n += (uint64_t)__builtin_popcountll(bits);
		d[w] |= bits;
		wr[w] |= bits;
		tt[w] |= bits;
		log[w] = 0;
	}
	/* The guest is paused while the hypervisor reads the log. */
	bool was_paused = s->paused;
	s->paused = true;
	int rc = advance(s, s->cfg->sync_fixed + s->cfg->sync_per_page * (double)n);
	s->paused = was_paused;
	return rc;
}

static bool page_is_zero(const struct sim *s, uint64_t page)
{
	if (page - s->base >= s->trace_pages) {
		if (page >= s->static_lo && page < s->static_hi)
			return false;
		return !s->cfg->untraced_nonzero;
	}
	uint64_t tp = page - s->base;
	if (!s->initial || mplm_bitmap_test(s->initial, tp))
		return false;
	return !mplm_bitmap_test(s->written, tp) &&
	       !mplm_bitmap_test(s->log, tp);
}

static int be_send_page(void *ctx, uint64_t page, struct mplm_page_sent *out)
{
	struct sim *s = ctx;
	bool zero = page_is_zero(s, page);
	uint32_t bytes = zero ? s->zero_bytes : s->cfg->header_bytes + s->page_size;

	if (s->dest_version)
		s->dest_version[page] = s->version[page];
	if (s->sent)
		mplm_bitmap_set(s->sent, page);
	out->wire_bytes = bytes;
	out->zero = zero;
	return advance(s, bytes * s->sec_per_byte + (zero ? s->cfg->zero_page_cost : 0));
}

static int be_stop_guest(void *ctx)
{
	((struct sim *)ctx)->paused = true;
	return 0;
}

static int be_resume_source(void *ctx)
{
	((struct sim *)ctx)->paused = false;
	return 0;
}

static int be_send_state(void *ctx, uint64_t *wire_bytes)
{
	struct sim *s = ctx;
	*wire_bytes = s->cfg->state_bytes;
	return advance(s, (double)s->cfg->state_bytes * s->sec_per_byte);
}

/* The destination resumes: check the invariant. */
static int be_start_destination(void *ctx)
{
	struct sim *s = ctx;
	if (!s->dest_version)
		return 0;
	s->res->verified = true;
	for (uint64_t p = 0; p < s->vm_pages; p++) {
		if (s->dest_version[p] != s->version[p]) {
			if (!s->res->mismatches)
				s->res->first_mismatch = p;
			s->res->mismatches++;
		}
	}
	return 0;
}

static void be_wait(void *ctx, double seconds)
{
	advance(ctx, seconds);
}

static void be_on_sync(void *ctx, const struct mplm_sync_record *rec)
{
	struct sim *s = ctx;
	struct sim_snapshot snap = { rec, s->vm_pages, s };
	s->cfg->observer(s->cfg->observer_arg, &snap);
}

enum sim_page_state sim_page_state(const struct sim_snapshot *snap,
				   uint64_t page)
{
	const struct sim *s = snap->sim;
	const mplm_bitmap *d, *nd;
	mplm_migration_sets(s->m, &d, &nd);
	bool sent = mplm_bitmap_test(s->sent, page);
	if (mplm_bitmap_test(nd, page))
		return page_is_zero(s, page) ? SIM_PAGE_ZERO : SIM_PAGE_ND;
	if (mplm_bitmap_test(d, page)) {
		if (sent)
			return SIM_PAGE_DIRTY;
		return page_is_zero(s, page) ? SIM_PAGE_ZERO : SIM_PAGE_UNSENT;
	}
	return SIM_PAGE_CLEAN;
}

void sim_cancel(const struct sim_snapshot *snap)
{
	mplm_migration_cancel(snap->sim->m);
}

const char *sim_page_state_name(enum sim_page_state st)
{
	static const char *const names[] = {
		[SIM_PAGE_ZERO] = "zero", [SIM_PAGE_ND] = "non-dirty (never sent)",
		[SIM_PAGE_UNSENT] = "never sent", [SIM_PAGE_DIRTY] = "dirty",
		[SIM_PAGE_CLEAN] = "sent and clean",
	};
	return (unsigned)st <= SIM_PAGE_CLEAN ? names[st] : "?";
}

/* ---------------------------------------------------------------- */
/* Setting up and tearing down. */

void sim_config_default(struct sim_config *c)
{
	memset(c, 0, sizeof(*c));
	c->link_bandwidth = 125e6;  /* 1 Gbps */
	c->header_bytes = 8;        /* QEMU: be64 address | flags */
	c->state_bytes = 64 * 1024; /* vCPU registers, devices: tiny */
	/* KVM_GET_DIRTY_LOG on a 1 GiB slot: ~10 us with nothing dirty,
	 * 4.3-5.1 ms with 131,072 dirty pages (docs/kvm-on-these-machines.md):
	 * 10 us + ~36 ns per dirty page. */
	c->sync_fixed = 10e-6;
	c->sync_per_page = 36e-9;
	c->zero_page_bytes = -1; /* QEMU: the 8-byte header and one byte */
	c->at_end = SIM_END_IDLE;
	c->extend_live_at = -1;
	c->end_live_at = -1;
	c->verify = true;
	mplm_params_default(&c->params);
	c->params.max_total_time = 3600;
}

uint32_t sim_zero_page_bytes(const struct sim_config *c)
{
	return c->zero_page_bytes >= 0 ? (uint32_t)c->zero_page_bytes
				       : c->header_bytes + 1;
}

void sim_config_set(struct sim_config *c, enum mplm_setting_id id, double v)
{
	switch (id) {
	case MPLM_SET_MEMORY: c->vm_bytes = (uint64_t)v; break;
	case MPLM_SET_BANDWIDTH: c->link_bandwidth = v; break;
	case MPLM_SET_START_AT: c->start_at = v; break;
	case MPLM_SET_EXTEND_LIVE_AT: c->extend_live_at = v; break;
	case MPLM_SET_END_LIVE_AT: c->end_live_at = v; break;
	case MPLM_SET_HEADER_BYTES: c->header_bytes = (uint32_t)v; break;
	case MPLM_SET_ZERO_PAGE_BYTES: c->zero_page_bytes = (int64_t)v; break;
	case MPLM_SET_ZERO_PAGE_COST: c->zero_page_cost = v; break;
	case MPLM_SET_STATE_BYTES: c->state_bytes = (uint64_t)v; break;
	case MPLM_SET_SYNC_FIXED: c->sync_fixed = v; break;
	case MPLM_SET_SYNC_PER_PAGE: c->sync_per_page = v; break;
	default: mplm_params_put(&c->params, id, v); break;
	}
}

int sim_profile_read(const char *path, double v[MPLM_SET_COUNT],
		     bool given[MPLM_SET_COUNT], char *err, size_t errlen)
{
	char text[16384], why[400];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f) {
		snprintf(err, errlen, "%s: cannot open", path);
		return -1;
	}
	n = fread(text, 1, sizeof(text) - 1, f);
	bool whole = feof(f) && !ferror(f);
	fclose(f);
	text[n] = '\0';
	if (!whole) {
		snprintf(err, errlen, "%s: not a profile (larger than %zu bytes)", path,
			 sizeof(text) - 1);
		return -1;
	}
	for (int id = 0; id < MPLM_SET_COUNT; id++)
		given[id] = false;
	if (mplm_profile_parse(text, v, given, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		return -1;
	}
	return 0;
}

int sim_config_load_profile(struct sim_config *c, const char *path,
			    const bool keep[MPLM_SET_COUNT], char *err,
			    size_t errlen)
{
	double v[MPLM_SET_COUNT];
	bool given[MPLM_SET_COUNT];
	if (sim_profile_read(path, v, given, err, errlen) < 0)
		return -1;
	for (int id = 0; id < MPLM_SET_COUNT; id++)
		if (given[id] && !(keep && keep[id]))
			sim_config_set(c, (enum mplm_setting_id)id, v[id]);
	return 0;
}

static void sim_destroy(struct sim *s)
{
	mplm_migration_free(s->m);
	if (s->src)
		trace_source_close(s->src);
	mplm_bitmap_free(s->iv);
	mplm_bitmap_free(s->log);
	mplm_bitmap_free(s->written);
	mplm_bitmap_free(s->touched);
	mplm_bitmap_free(s->sent);
	free(s->version);
	free(s->dest_version);
}

static int open_source(struct sim *s)
{
	const struct sim_config *c = s->cfg;
	if (!!c->trace_path == !!c->workload_spec) {
		snprintf(s->err, s->errlen, "give either a trace file or a workload spec");
		return -1;
	}
	s->src = c->trace_path ? trace_open(c->trace_path, s->err, s->errlen)
			       : gen_open(c->workload_spec, s->err, s->errlen);
	return s->src ? 0 : -1;
}

static int place_trace(struct sim *s);

static int size_vm(struct sim *s)
{
	const struct trace_info *info = trace_source_info(s->src);
	const struct sim_config *c = s->cfg;
	s->page_size = info->page_size;
	s->zero_bytes = sim_zero_page_bytes(c);
	s->trace_pages = info->pages;
	s->vm_pages = c->vm_bytes ? c->vm_bytes / info->page_size : info->pages;
	if (c->vm_bytes % info->page_size) {
		snprintf(s->err, s->errlen,
			 "VM memory %" PRIu64 " is not a multiple of the trace's page size %u",
			 c->vm_bytes, info->page_size);
		return -1;
	}
	if (s->vm_pages < s->trace_pages) {
		snprintf(s->err, s->errlen,
			 "VM memory (%" PRIu64 " pages) is smaller than the trace (%" PRIu64 " pages)",
			 s->vm_pages, s->trace_pages);
		return -1;
	}
	return place_trace(s);
}

/* Lay out the trace and the static data in the VM. */
static int place_trace(struct sim *s)
{
	uint64_t spages = (s->cfg->static_bytes + s->page_size - 1) / s->page_size;
	uint64_t free_pages = s->vm_pages - s->trace_pages;

	if (s->cfg->placement == SIM_PLACE_TOP) {
		s->base = free_pages & ~UINT64_C(63);
		s->static_hi = s->base;
		s->static_lo = s->base - (spages < s->base ? spages : s->base);
	} else {
		s->base = 0;
		s->static_lo = s->trace_pages;
		s->static_hi = s->trace_pages + spages;
	}
	if (s->static_hi - s->static_lo < spages || s->static_hi > s->vm_pages) {
		snprintf(s->err, s->errlen,
			 "the trace (%" PRIu64 " pages) and %" PRIu64
			 " pages of static data do not fit a %" PRIu64 "-page VM",
			 s->trace_pages, spages, s->vm_pages);
		return -1;
	}
	return 0;
}

/* Bytes of memory the machine can still give (MemAvailable), or 0 if
 * unknown. */
static uint64_t memory_available(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	unsigned long long kib = 0;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	if (kib)
		return (uint64_t)kib * 1024;
	long pages = sysconf(_SC_AVPHYS_PAGES), size = sysconf(_SC_PAGESIZE);
	return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size : 0;
}

/* What the run will allocate: the simulator's and the trace reader's
 * bitmaps over the trace, the engine's over the VM (D, ND, the dirty log
 * and the pages to send), and with the check at resume two page-version
 * arrays. Refused before allocating when the machine cannot hold it, so a
 * six-line trace that claims 2^32 pages fails at once with the reason. */
static int check_memory(struct sim *s)
{
	uint64_t bitmap_vm = (s->vm_pages + 63) / 64 * 8;
	uint64_t bitmap_trace = (s->trace_pages + 63) / 64 * 8;
	uint64_t versions = s->cfg->verify ? 2 * 8 * s->vm_pages : 0;
	uint64_t need = 6 * bitmap_trace + 5 * bitmap_vm + versions;
	uint64_t avail = memory_available();
	char n[32], a[32], v[32];

	if (!avail || need <= avail)
		return 0;
	units_format_size(need, n, sizeof(n));
	units_format_size(avail, a, sizeof(a));
	units_format_size(versions, v, sizeof(v));
	snprintf(s->err, s->errlen,
		 "a VM of %" PRIu64 " pages needs %s of the simulator's memory (%s of it "
		 "page versions for the check at resume, which --no-verify drops); "
		 "this machine has %s available",
		 s->vm_pages, n, v, a);
	return -1;
}

static int alloc_state(struct sim *s)
{
	s->iv = mplm_bitmap_new(s->trace_pages);
	s->log = mplm_bitmap_new(s->trace_pages);
	s->written = mplm_bitmap_new(s->trace_pages);
	s->touched = mplm_bitmap_new(s->trace_pages);
	if (s->cfg->verify) {
		s->version = calloc(s->vm_pages, sizeof(*s->version));
		s->dest_version = malloc(s->vm_pages * sizeof(*s->dest_version));
		if (s->dest_version)
			memset(s->dest_version, 0xff, s->vm_pages * sizeof(*s->dest_version));
	}
	if (s->cfg->observer)
		s->sent = mplm_bitmap_new(s->vm_pages);
	if (!s->iv || !s->log || !s->written || !s->touched ||
	    (s->cfg->observer && !s->sent) ||
	    (s->cfg->verify && (!s->version || !s->dest_version))) {
		snprintf(s->err, s->errlen, "out of memory for a %" PRIu64 "-page VM",
			 s->vm_pages);
		return -1;
	}
	return 0;
}

/* Run the trace up to the migration's start: what it writes before then
 * only makes pages non-zero. */
static int fast_forward(struct sim *s)
{
	if (read_next_interval(s) < 0)
		return -1;
	if (guest_run_to(s, s->cfg->start_at, false) < 0)
		return -1;
	s->guest_at_start = s->guest;
	return 0;
}

static void collect(struct sim *s, struct sim_result *res)
{
	size_t n;
	const struct mplm_sync_record *recs = mplm_migration_syncs(s->m, &n);
	mplm_migration_stats(s->m, &res->stats);
	res->syncs = malloc((n ? n : 1) * sizeof(*recs));
	if (res->syncs) {
		memcpy(res->syncs, recs, n * sizeof(*recs));
		res->nsyncs = n;
	}
	res->vm_pages = s->vm_pages;
	res->touched_pages = mplm_bitmap_count(s->touched);
	double ran = s->guest - s->guest_at_start;
	res->trace_rate = ran > 0 ? (double)s->pages_written_migrating / ran : 0;
}

/* A trace is valid only as a whole: the part after the point where the
 * migration ended is read and checked too (a stream, so not read twice).
 * Generated workloads are valid by construction and may be long. */
static int check_rest_of_trace(struct sim *s)
{
	if (!s->cfg->trace_path || s->src_done)
		return 0;
	if (trace_source_read_to_end(s->src) < 0) {
		snprintf(s->err, s->errlen, "%s", trace_source_error(s->src));
		return -1;
	}
	return 0;
}

static double wall_clock(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int sim_run(const struct sim_config *cfg, struct sim_result *res)
{
	double t0 = wall_clock();
	struct sim s = { .cfg = cfg, .res = res, .err = res->error,
			 .errlen = sizeof(res->error), .guest_speed = 1 };
	memset(res, 0, sizeof(*res));

	if (mplm_params_check(&cfg->params, res->error, sizeof(res->error)) < 0)
		return -1;
	if (!(cfg->link_bandwidth > 0) || !(cfg->start_at >= 0)) {
		snprintf(res->error, sizeof(res->error),
			 !(cfg->start_at >= 0) ? "start time must not be negative"
					       : "link bandwidth must be positive");
		return -1;
	}
	int rc = -1;
	if (open_source(&s) < 0 || size_vm(&s) < 0 || check_memory(&s) < 0 ||
	    alloc_state(&s) < 0)
		goto out;
	s.initial = trace_source_initial(s.src);
	if (fast_forward(&s) < 0)
		goto out;

	struct mplm_backend be = {
		.ctx = &s,
		.link_bandwidth = cfg->link_bandwidth,
		.now = be_now,
		.set_max_bandwidth = be_set_max_bandwidth,
		.set_throttle = be_set_throttle,
		.sync_dirty_log = be_sync_dirty_log,
		.send_page = be_send_page,
		.stop_guest = be_stop_guest,
		.send_state = be_send_state,
		.start_destination = be_start_destination,
		.resume_source = be_resume_source,
		.wait = be_wait,
		.on_sync = cfg->observer ? be_on_sync : NULL,
	};
	be_set_max_bandwidth(&s, cfg->params.max_bandwidth);
	s.m = mplm_migration_new(s.vm_pages, s.page_size, &cfg->params, &be);
	if (!s.m) {
		snprintf(res->error, sizeof(res->error), "cannot set up the migration");
		goto out;
	}
	mplm_migration_schedule(s.m, cfg->extend_live_at, cfg->end_live_at);
	int mrc = mplm_migration_run(s.m);
	if (s.err[0] || check_rest_of_trace(&s) < 0) /* a bad trace: no result */
		goto out;
	collect(&s, res);
	if (mrc < 0) {
		snprintf(res->error, sizeof(res->error), "migration %s: %s",
			 mplm_status_name(res->stats.status),
			 res->stats.error ? res->stats.error : "?");
		goto out;
	}
	rc = 0;
out:
	sim_destroy(&s);
	res->wall_seconds = wall_clock() - t0;
	return rc;
}

void sim_result_free(struct sim_result *res)
{
	free(res->syncs);
	res->syncs = NULL;
	res->nsyncs = 0;
}
