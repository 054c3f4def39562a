/*
 * bench.c - kvmlite's figures, each with the setting the issue names:
 *
 *   sync        dirty-log sync of a 1 GiB guest: nothing dirty and with a
 *               guest sweeping memory, with KVM_CLEAR_DIRTY_LOG (manual
 *               protect) and without it
 *   idle        migrating an idle 1 GiB guest, no bandwidth cap
 *   throughput  the stream's rate against a plain loopback TCP transfer
 *               of the same number of bytes, same run (target >= 0.8)
 *   dirty       1 Gbps cap, a guest dirtying 512 MiB at 60,000 pages/s:
 *               pre-copy with a 300 ms downtime limit against MPLM
 *
 * Destinations are `kvmlite incoming --no-run` child processes.
 */
#include "bench.h"
#include "gen.h"

#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guests/wl.h"

void bench_sleep(double s)
{
	struct timespec t = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
	nanosleep(&t, NULL);
}

static void row(const char *what, double value, const char *unit)
{
	printf("  %-58s %12.3f %s\n", what, value, unit);
}

static void target_row(const char *what, double value, const char *unit,
		       double target)
{
	printf("  %-58s %12.3f %-8s target >= %g   %s\n", what, value, unit,
	       target, value >= target ? "ok" : "MISSED");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	return v[n / 2];
}

struct kl_vm *bench_vm(struct bench *b, uint64_t mem, bool clear,
			     const struct kl_params *p)
{
	struct kl_config cfg;
	struct kl_vm *vm;
	kl_config_default(&cfg);
	cfg.mem_bytes = mem;
	cfg.quiet = getenv("KL_BENCH_VERBOSE") == NULL;
	cfg.no_clear_log = !clear;
	if (kl_vm_create(&vm, &cfg, &b->e) < 0)
		return NULL;
	char guest[4200];
	snprintf(guest, sizeof(guest), "%s/../guests/workload.bin", kl_exe_dir());
	if (kl_vm_load_guest_file(vm, guest, p, &b->e) < 0) {
		kl_vm_destroy(vm);
		return NULL;
	}
	return vm;
}

void bench_guest(struct kl_params *p, uint64_t pattern, uint64_t wss,
			 uint64_t rate, uint64_t duration_ms)
{
	memset(p, 0, sizeof(*p));
	p->pattern = pattern;
	p->wss_pages = wss;
	p->rate = rate;
	p->duration_ms = duration_ms;
	p->seed = 1;
	/* The generators' defaults, as on the command line. */
	p->hot_permille = gen_permille(GEN_HOT_DEFAULT);
	p->skew_permille = gen_permille(GEN_SKEW_DEFAULT);
	p->arrays = GEN_ARRAYS_DEFAULT;
	p->progress_every = rate / 10 > 1024 ? rate / 10 : 65536;
}

/* ------------------------------------------------------------------ */

static int bench_sync(struct bench *b, bool clear)
{
	struct kl_params p;
	uint64_t wss = (b->mem - KL_DATA_GPA) / KL_PAGE_SIZE;
	bench_guest(&p, KL_PAT_SEQUENTIAL, wss, 0, 600000);
	struct kl_vm *vm = bench_vm(b, b->mem, clear, &p);
	if (!vm)
		return -1;
	mplm_bitmap *bits = mplm_bitmap_new(vm->pages);
	double busy[8], get[8], clr[8], idle[32];
	uint64_t pages[8];
	const char *mode = clear ? "GET+CLEAR" : "GET only";

	struct kl_dirty_reader *log = kl_dirtylog_attach(vm, &b->e);
	if (!log || kl_vm_start(vm, &b->e) < 0)
		goto fail;
	bench_sleep(1.0); /* past the first touch of fresh memory */
	if (kl_dirtylog_read(log, mplm_bitmap_words(bits), &b->e) < 0)
		goto fail;
	for (int i = 0; i < 8; i++) {
		mplm_bitmap_zero(bits);
		bench_sleep(0.5);
		double t0 = kl_now();
		if (kl_dirtylog_read(log, mplm_bitmap_words(bits), &b->e) < 0)
			goto fail;
		busy[i] = (kl_now() - t0) * 1e6;
		kl_dirtylog_last_times(vm, &get[i], &clr[i]);
		pages[i] = mplm_bitmap_count(bits);
	}
	kl_vm_pause(vm);
	kl_dirtylog_read(log, mplm_bitmap_words(bits), &b->e);
	for (int i = 0; i < 32; i++) {
		double t0 = kl_now();
		if (kl_dirtylog_read(log, mplm_bitmap_words(bits), &b->e) < 0)
			goto fail;
		idle[i] = (kl_now() - t0) * 1e6;
	}
	uint64_t total = 0;
	for (int i = 0; i < 8; i++)
		total += pages[i];
	double mean_pages = (double)total / 8;
	char what[128];
	snprintf(what, sizeof(what), "sync 1 GiB, nothing dirty, %s", mode);
	row(what, bench_median(idle, 32), "us");
	snprintf(what, sizeof(what), "sync 1 GiB, ~%.0f dirty pages, %s", mean_pages, mode);
	row(what, bench_median(busy, 8), "us");
	if (clear) {
		for (int i = 0; i < 8; i++) {
			get[i] *= 1e6;
			clr[i] *= 1e6;
		}
		row("    of which KVM_GET_DIRTY_LOG", bench_median(get, 8), "us");
		row("    of which KVM_CLEAR_DIRTY_LOG", bench_median(clr, 8), "us");
	}
	mplm_bitmap_free(bits);
	kl_vm_destroy(vm);
	return 0;
fail:
	mplm_bitmap_free(bits);
	kl_vm_destroy(vm);
	return -1;
}

/* ------------------------------------------------------------------ */

/* A destination that verifies and loads, then exits. */
static int spawn_destination(struct bench *b, struct kl_vm *vm, char *uri,
			     size_t len)
{
	int lfd = kl_listen("127.0.0.1:0", &b->e);
	if (lfd < 0)
		return -1;
	const char *extra[] = { "--no-run", "--accept-timeout=60", "--io-timeout=60", NULL };
	int pid = kl_spawn_incoming(b->exe, &vm->cfg, lfd, extra, &b->e);
	snprintf(uri, len, "tcp:127.0.0.1:%d", kl_local_port(lfd));
	close(lfd);
	return pid;
}

int bench_migrate(struct bench *b, struct kl_vm *vm, const struct mplm_params *p,
		   struct mplm_stats *st, uint64_t *stream_bytes)
{
	struct kl_mig_opts o;
	kl_mig_opts_default(&o);
	o.params = *p;
	o.io_timeout = 60;
	int pid = spawn_destination(b, vm, o.uri, sizeof(o.uri));
	if (pid < 0)
		return -1;
	kl_source *s = kl_source_new(vm, &o, &b->e);
	if (!s) {
		kl_wait_child(pid, 1);
		return -1;
	}
	int r = kl_source_run(s);
	kl_source_stats(s, st);
	if (stream_bytes)
		*stream_bytes = kl_source_stream_bytes(s);
	if (r < 0 && st->status != MPLM_STATUS_NOT_CONVERGED)
		kl_fail(&b->e, "migration failed: %s", kl_source_error(s));
	kl_source_free(s);
	int status = kl_wait_child(pid, r == 0 ? 120 : 1);
	if (r == 0 && status != 0)
		return kl_fail(&b->e, "the destination exited with status %d", status);
	return r < 0 && st->status != MPLM_STATUS_NOT_CONVERGED ? -1 : 0;
}

static int bench_idle(struct bench *b)
{
	struct kl_params p;
	struct mplm_params mp;
	struct mplm_stats st;
	bench_guest(&p, KL_PAT_IDLE, 16, 0, 600000);
	struct kl_vm *vm = bench_vm(b, b->mem, true, &p);
	if (!vm || kl_vm_start(vm, &b->e) < 0)
		return -1;
	bench_sleep(0.2);
	mplm_params_default(&mp);
	mp.algorithm = MPLM_ALG_PRECOPY;
	mp.max_bandwidth = 0;
	int r = bench_migrate(b, vm, &mp, &st, NULL);
	if (r == 0) {
		row("idle 1 GiB guest, pre-copy, no cap: total time", st.total_time * 1e3, "ms");
		row("idle 1 GiB guest, pre-copy, no cap: downtime", st.downtime * 1e3, "ms");
		row("    transferred", (double)st.transferred / 1e6, "MB");
	}
	kl_vm_destroy(vm);
	return r;
}

/* ------------------------------------------------------------------ */

/* Every page of guest RAM above the boot area non-zero and distinct. */
void bench_fill(struct kl_vm *vm)
{
	for (uint64_t pg = KL_DATA_GPA >> KL_PAGE_SHIFT; pg < vm->pages; pg++) {
		uint64_t *w = kl_gpa(vm, pg << KL_PAGE_SHIFT);
		for (unsigned i = 0; i < KL_PAGE_SIZE / 8; i++)
			w[i] = wl_mix64(pg * 512 + i + 1);
	}
}

/* The receiving half of a plain transfer, in a child: with `region`
 * bytes of memory faulted in first (0: one reused 1 MiB buffer), then
 * everything read into it in order, wrapping. Only system calls here:
 * the parent has threads. */
static void plain_receiver(int lfd, char *buf, size_t chunk, size_t region)
{
	int fd = accept(lfd, NULL, NULL);
	char *dst = buf;
	if (region) {
		dst = mmap(NULL, region, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (dst == MAP_FAILED)
			_exit(1);
	}
	if (fd < 0 || write(fd, "r", 1) != 1)
		_exit(1);
	size_t off = 0, size = region ? region : chunk;
	for (;;) {
		size_t n = size - off < chunk ? size - off : chunk;
		ssize_t r = read(fd, dst + off, n);
		if (r <= 0)
			break;
		off = (off + (size_t)r) % size;
	}
	_exit(0);
}

/* Plain TCP on loopback: `bytes` sent in 1 MiB send()s, from src (wrapping;
 * NULL: one reused buffer) to a child that reads them into memory.
 * Seconds from the first send to the reader's end; < 0 on failure. */
static double plain_tcp(struct bench *b, uint64_t bytes, const uint8_t *src,
			size_t src_len, size_t region)
{
	size_t chunk = 1 << 20;
	char *buf = malloc(chunk), ready;
	int lfd = kl_listen("127.0.0.1:0", &b->e);
	if (!buf || lfd < 0) {
		free(buf);
		return -1;
	}
	memset(buf, 0x5a, chunk);
	char uri[64];
	snprintf(uri, sizeof(uri), "tcp:127.0.0.1:%d", kl_local_port(lfd));
	pid_t pid = fork();
	if (pid == 0)
		plain_receiver(lfd, buf, chunk, region);
	close(lfd);
	int fd = kl_connect(uri, 10, &b->e);
	if (fd < 0 || read(fd, &ready, 1) != 1) {
		free(buf);
		kl_wait_child(pid, 1);
		return -1;
	}
	double t0 = kl_now();
	for (uint64_t sent = 0; sent < bytes;) {
		size_t off = src ? (size_t)(sent % src_len) : 0;
		size_t n = bytes - sent < chunk ? (size_t)(bytes - sent) : chunk;
		if (src && n > src_len - off)
			n = src_len - off;
		ssize_t w = send(fd, src ? (const char *)src + off : buf, n, MSG_NOSIGNAL);
		if (w <= 0)
			break;
		sent += (uint64_t)w;
	}
	close(fd);
	kl_wait_child(pid, 60);
	double t = kl_now() - t0;
	free(buf);
	return t;
}

/* One stop-and-copy of a guest whose every page is non-zero, then the
 * same number of bytes over plain TCP twice: memory to memory (from this
 * guest's RAM into as much fresh, faulted-in memory: what the stream
 * moves, without kvmlite's records and checksums) and buffer to buffer
 * (one cache-resident 1 MiB buffer each side: the wire alone). */
struct tput {
	double stream, mem, buf; /* MB/s */
};

struct kl_vm *bench_full_stopcopy(struct bench *b, struct mplm_stats *st,
				  uint64_t *bytes, int *rc)
{
	struct kl_params p;
	struct mplm_params mp;
	bench_guest(&p, KL_PAT_IDLE, 16, 0, 600000);
	struct kl_vm *vm = bench_vm(b, b->mem, true, &p);
	*rc = -1;
	if (!vm)
		return NULL;
	bench_fill(vm);
	*rc = kl_vm_start(vm, &b->e);
	if (*rc == 0) {
		bench_sleep(0.2);
		mplm_params_default(&mp);
		mp.algorithm = MPLM_ALG_STOPCOPY;
		mp.max_bandwidth = 0;
		*rc = bench_migrate(b, vm, &mp, st, bytes);
	}
	return vm;
}

static int throughput_once(struct bench *b, struct tput *t)
{
	struct mplm_stats st;
	uint64_t bytes = 0;
	int r;
	struct kl_vm *vm = bench_full_stopcopy(b, &st, &bytes, &r);
	if (!vm)
		return -1;
	double t_mem = r < 0 ? -1 : plain_tcp(b, bytes, vm->mem, vm->cfg.mem_bytes,
					      vm->cfg.mem_bytes);
	double t_buf = t_mem < 0 ? -1 : plain_tcp(b, bytes, NULL, 0, 0);
	kl_vm_destroy(vm);
	if (t_mem <= 0 || t_buf <= 0)
		return -1;
	t->stream = (double)bytes / st.total_time / 1e6;
	t->mem = (double)bytes / t_mem / 1e6;
	t->buf = (double)bytes / t_buf / 1e6;
	return 0;
}

/* Best of three of each: the machines are shared, and a neighbour's
 * burst should not decide a ratio. */
static int bench_throughput(struct bench *b)
{
	struct tput best = { 0, 0, 0 };
	for (int i = 0; i < 3; i++) {
		struct tput t;
		if (throughput_once(b, &t) < 0)
			return -1;
		best.stream = t.stream > best.stream ? t.stream : best.stream;
		best.mem = t.mem > best.mem ? t.mem : best.mem;
		best.buf = t.buf > best.buf ? t.buf : best.buf;
	}
	row("stream, 1 GiB of non-zero pages, stop-and-copy (best of 3)", best.stream, "MB/s");
	row("plain TCP, same bytes, guest RAM to fresh RAM (best of 3)", best.mem, "MB/s");
	row("plain TCP, same bytes, 1 MiB buffer to buffer (best of 3)", best.buf, "MB/s");
	target_row("stream / plain TCP memory to memory", best.stream / best.mem, "", 0.8);
	row("stream / plain TCP buffer to buffer", best.stream / best.buf, "");
	return 0;
}

/* ------------------------------------------------------------------ */

static void dirty_rows(const char *name, const struct mplm_stats *st)
{
	char what[128];
	snprintf(what, sizeof(what), "%s: status %s, total time", name,
		 mplm_status_name(st->status));
	row(what, st->total_time, "s");
	snprintf(what, sizeof(what), "%s: downtime", name);
	row(what, st->downtime * 1e3, "ms");
	snprintf(what, sizeof(what), "%s: transferred", name);
	row(what, (double)st->transferred / 1e6, "MB");
}

static int bench_dirty_one(struct bench *b, enum mplm_algorithm alg,
			   const char *name)
{
	struct kl_params p;
	struct mplm_params mp;
	struct mplm_stats st;
	/* 512 MiB dirtied at 60,000 pages/s for 40 s (it must outlast a
	 * pre-copy that cannot converge while it runs). */
	bench_guest(&p, KL_PAT_UNIFORM, 512 * 256, 60000, 40000);
	struct kl_vm *vm = bench_vm(b, 1ull << 30, true, &p);
	if (!vm || kl_vm_start(vm, &b->e) < 0)
		return -1;
	bench_sleep(3);
	mplm_params_default(&mp); /* 1 Gbps, 300 ms, MPLM: 3 s, 50 %, firstnondirty */
	mp.algorithm = alg;
	mp.max_total_time = 120;
	int r = bench_migrate(b, vm, &mp, &st, NULL);
	if (r == 0) {
		dirty_rows(name, &st);
		/* What the guest really did, from its status page. */
		const struct kl_status *g = kl_vm_status(vm, 0);
		double secs = (double)(g->tsc_end - g->tsc_start - g->tsc_dropped) /
			      ((double)vm->tsc_khz * 1000);
		char what[128];
		snprintf(what, sizeof(what), "%s: guest's page writes/s (asked 60000)", name);
		row(what, secs > 0 ? (double)g->writes / secs : 0, "/s");
	}
	kl_vm_destroy(vm);
	return r;
}

static int bench_dirty(struct bench *b)
{
	printf("  (1 Gbps cap; guest: uniform over 512 MiB at 60,000 pages/s for 40 s;\n"
	       "   migration starts 3 s in)\n");
	if (bench_dirty_one(b, MPLM_ALG_PRECOPY, "pre-copy 300 ms") < 0)
		return -1;
	return bench_dirty_one(b, MPLM_ALG_MPLM, "MPLM (3 s, 50 %)");
}

/* ------------------------------------------------------------------ */

static bool wanted(const char *what, const char *name)
{
	if (!strcmp(what, "all"))
		return true;
	size_t n = strlen(name);
	for (const char *p = what; (p = strstr(p, name)); p += n)
		if ((p == what || p[-1] == ',') && (p[n] == 0 || p[n] == ','))
			return true;
	return false;
}

int kl_bench_run(const char *exe, const char *what, uint64_t mem_bytes)
{
	struct bench b = { .exe = exe, .mem = mem_bytes };
	int r = 0;

	signal(SIGPIPE, SIG_IGN);
	printf("kvmlite (real guests on /dev/kvm, loopback; %llu MiB guest)\n",
	       (unsigned long long)(mem_bytes >> 20));
	if (wanted(what, "sync") && (bench_sync(&b, true) < 0 || bench_sync(&b, false) < 0))
		r = -1;
	if (!r && wanted(what, "idle") && bench_idle(&b) < 0)
		r = -1;
	if (!r && wanted(what, "throughput") && bench_throughput(&b) < 0)
		r = -1;
	if (!r && wanted(what, "dirty") && bench_dirty(&b) < 0)
		r = -1;
	if (r < 0)
		fprintf(stderr, "kvmlite bench: %s\n", b.e.msg);
	return r < 0 ? 1 : 0;
}

int kl_bench(struct kl_cli *c)
{
	char exe[4200];
	snprintf(exe, sizeof(exe), "%s/kvmlite", kl_exe_dir());
	uint64_t mem = c->cfg.mem_bytes == 64ull << 20 ? 1ull << 30 : c->cfg.mem_bytes;
	return kl_bench_run(exe, c->bench_what, mem);
}
