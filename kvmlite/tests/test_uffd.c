/*
 * test_uffd.c - can the destination of a post-copy migration take
 * userfaultfd faults on guest memory under this KVM (on these machines
 * the software kvm_pvm)? The answers README.md's "Post-copy" section
 * gives, each checked here:
 *
 *   - a userfaultfd can be had (the syscall or /dev/userfaultfd);
 *   - a vCPU whose guest touches a missing page waits in KVM_RUN until a
 *     handler thread places the page with UFFDIO_COPY, then resumes, and
 *     the guest's own self-check passes; each missing page it touches
 *     faults exactly once;
 *   - KVM's own side (KVM_GET_DIRTY_LOG) never touches guest pages, while
 *     kvmlite's reads of guest memory (its memory hash) fault like any
 *     other access;
 *   - a vCPU waiting on a fault still stops for a pause.
 */
#include "kltest.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "uffd.h"

/* The guest's working set: the first WSS pages of the data area. */
#define WSS 64
#define VM_BYTES (8u << 20)

/* After KLTEST_REQUIRE_UFFD: a userfaultfd, or the test fails. */
static int open_uffd(void)
{
	enum kl_uffd_how how;
	struct kl_err e;
	int fd = kl_uffd_open(&how, &e);
	if (fd < 0)
		fail_msg("%s", e.msg);
	return fd;
}

/* A handler thread serving missing pages with zeros (what a fresh guest
 * expects), counting faults per page of the data area. While `hold` is
 * set it reports faults but serves none. */
struct handler {
	int fd;
	struct kl_vm *vm;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop, hold;
	unsigned faults, write_faults, outside;
	unsigned per_page[VM_BYTES / KL_PAGE_SIZE];
	uint64_t pending[64]; /* faults seen while held */
	unsigned npending;
	char err[512];
};

static void serve(struct handler *h, uint64_t addr)
{
	static const uint8_t zero[KL_PAGE_SIZE];
	struct kl_err e;
	if (kl_uffd_copy(h->fd, (void *)(uintptr_t)addr, zero, &e) < 0)
		snprintf(h->err, sizeof(h->err), "%s", e.msg);
}

static void note_fault(struct handler *h, uint64_t addr, bool write)
{
	uint64_t off = addr - (uintptr_t)h->vm->mem;
	h->faults++;
	h->write_faults += write;
	if (off >= VM_BYTES)
		h->outside++;
	else
		h->per_page[off / KL_PAGE_SIZE]++;
}

static void *handler_main(void *arg)
{
	struct handler *h = arg;
	struct kl_err e;
	pthread_mutex_lock(&h->lock);
	while (!h->stop) {
		pthread_mutex_unlock(&h->lock);
		struct pollfd p = { .fd = h->fd, .events = POLLIN };
		poll(&p, 1, 20);
		uint64_t addr;
		bool write;
		int r = kl_uffd_next_fault(h->fd, &addr, &write, &e);
		pthread_mutex_lock(&h->lock);
		if (r < 0) {
			snprintf(h->err, sizeof(h->err), "%s", e.msg);
			break;
		}
		if (r == 0)
			continue;
		note_fault(h, addr, write);
		if (h->hold && h->npending < 64)
			h->pending[h->npending++] = addr;
		else
			serve(h, addr);
		pthread_cond_broadcast(&h->cond);
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

/* The VM's data area: missing pages, registered with the handler's fd;
 * hold: serve none until handler_release. */
static void handler_start(struct handler *h, struct kl_vm *vm, int fd, bool hold)
{
	struct kl_err e;
	memset(h, 0, sizeof(*h));
	h->fd = fd;
	h->vm = vm;
	h->hold = hold;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	uint8_t *data = kl_gpa(vm, KL_DATA_GPA);
	uint64_t len = vm->cfg.mem_bytes - KL_DATA_GPA;
	assert_int_equal(madvise(data, len, MADV_DONTNEED), 0);
	if (kl_uffd_register(fd, data, len, &e) < 0)
		fail_msg("%s", e.msg);
	assert_int_equal(pthread_create(&h->thread, NULL, handler_main, h), 0);
}

static void handler_stop(struct handler *h)
{
	pthread_mutex_lock(&h->lock);
	h->stop = true;
	pthread_mutex_unlock(&h->lock);
	pthread_join(h->thread, NULL);
	pthread_mutex_destroy(&h->lock);
	pthread_cond_destroy(&h->cond);
	assert_string_equal(h->err, "");
}

/* Serve every fault held back, and stop holding. */
static void handler_release(struct handler *h)
{
	pthread_mutex_lock(&h->lock);
	h->hold = false;
	for (unsigned i = 0; i < h->npending; i++)
		serve(h, h->pending[i]);
	h->npending = 0;
	pthread_mutex_unlock(&h->lock);
}

/* Wait (bounded, generously) until the handler saw at least n faults. */
static void handler_wait_faults(struct handler *h, unsigned n)
{
	double end = kl_now() + 30;
	pthread_mutex_lock(&h->lock);
	while (h->faults < n && kl_now() < end) {
		pthread_mutex_unlock(&h->lock);
		kltest_sleep(0.005);
		pthread_mutex_lock(&h->lock);
	}
	unsigned got = h->faults;
	pthread_mutex_unlock(&h->lock);
	if (got < n)
		fail_msg("only %u of %u faults arrived in 30 s", got, n);
}

static struct kl_vm *writing_vm(void)
{
	struct kl_config cfg;
	struct kl_params p;
	kltest_config(&cfg, VM_BYTES, 1);
	/* Each of the WSS pages written four times over. */
	kltest_params(&p, KL_PAT_SEQUENTIAL, WSS, 0, 4 * WSS);
	return kltest_vm(&cfg, &p);
}

static void assert_each_wss_page_faulted_once(const struct handler *h)
{
	unsigned first = KL_DATA_GPA / KL_PAGE_SIZE;
	for (unsigned pg = 0; pg < VM_BYTES / KL_PAGE_SIZE; pg++) {
		unsigned want = pg >= first && pg < first + WSS;
		if (h->per_page[pg] != want)
			fail_msg("page %u faulted %u times, expected %u", pg,
				 h->per_page[pg], want);
	}
	assert_int_equal(h->outside, 0);
}

static void test_open_both_ways(void **state)
{
	(void)state;
	unsigned ok = 0;
	bool syscall_ok = false;
	printf("unprivileged_userfaultfd: ");
	FILE *f = fopen("/proc/sys/vm/unprivileged_userfaultfd", "r");
	int c = f ? fgetc(f) : EOF;
	printf("%c\n", c == EOF ? '?' : c);
	if (f)
		fclose(f);
	for (int how = KL_UFFD_SYSCALL; how <= KL_UFFD_DEVICE; how++) {
		struct kl_err e;
		int fd = kl_uffd_open_by(how, &e);
		printf("%s: %s\n", kl_uffd_how_name(how), fd >= 0 ? "ok" : e.msg);
		if (fd >= 0) {
			ok++;
			syscall_ok |= how == KL_UFFD_SYSCALL;
			close(fd);
		}
	}
	/* kl_uffd_open takes the syscall when it works, else the device. */
	enum kl_uffd_how how;
	struct kl_err e;
	int fd = kl_uffd_open(&how, &e);
	if (fd >= 0)
		close(fd);
	if (!ok) {
		assert_true(fd < 0);
		printf("SKIP: no userfaultfd on this host\n");
		skip();
	}
	if (fd < 0)
		fail_msg("kl_uffd_open: %s, though one way works", e.msg);
	assert_int_equal(how, syscall_ok ? KL_UFFD_SYSCALL : KL_UFFD_DEVICE);
}

/* The vCPU waits in KVM_RUN for each missing page and resumes when it
 * is placed; the guest's checksum, vector sum and memory hash equal the
 * host's replay of its writes (over zero-filled memory). */
static void test_guest_waits_for_each_missing_page(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	KLTEST_REQUIRE_UFFD();
	int fd = open_uffd();
	struct kl_vm *vm = writing_vm();
	struct handler *h = calloc(1, sizeof(*h));
	handler_start(h, vm, fd, false);
	kltest_run_to_end(vm, 60);
	handler_stop(h);
	printf("guest faults served: %u (%u writes)\n", h->faults, h->write_faults);
	kltest_assert_guest_matches_replay(vm);
	/* The guest reads each word before it writes it (its checksum
	 * covers old values), so every fault is a read fault. */
	assert_each_wss_page_faulted_once(h);
	free(h);
	kl_vm_destroy(vm);
	close(fd);
}

/* KVM_GET_DIRTY_LOG with every data page missing and no one serving
 * faults returns, and raises no fault; kvmlite's memory hash reads each
 * missing page and waits for it like the guest does. */
static void test_dirty_log_never_faults_host_reads_do(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	KLTEST_REQUIRE_UFFD();
	int fd = open_uffd();
	struct kl_vm *vm = writing_vm();
	struct handler *h = calloc(1, sizeof(*h));
	struct kl_err e;
	mplm_bitmap *bits = mplm_bitmap_new(vm->pages);

	handler_start(h, vm, fd, true);
	struct kl_dirty_reader *r = kl_dirtylog_attach(vm, &e);
	if (!r || kl_dirtylog_read(r, mplm_bitmap_words(bits), &e) < 0)
		fail_msg("dirty log: %s", e.msg);
	pthread_mutex_lock(&h->lock);
	unsigned after_log = h->faults;
	h->hold = false;
	pthread_mutex_unlock(&h->lock);
	assert_int_equal(after_log, 0);

	uint64_t hash = kl_vm_memhash(vm); /* faults in every data page */
	handler_stop(h);
	unsigned data_pages = (VM_BYTES - KL_DATA_GPA) / KL_PAGE_SIZE;
	printf("host memhash faults: %u of %u data pages, %u writes\n",
	       h->faults, data_pages, h->write_faults);
	assert_int_equal(h->faults, data_pages);
	assert_int_equal(h->write_faults, 0);
	assert_int_not_equal(hash, 0);
	if (kl_dirtylog_detach(r, &e) < 0)
		fail_msg("%s", e.msg);
	mplm_bitmap_free(bits);
	free(h);
	kl_vm_destroy(vm);
	close(fd);
}

struct pauser {
	struct kl_vm *vm;
	bool done;
	pthread_mutex_t lock;
};

static void *pause_main(void *arg)
{
	struct pauser *p = arg;
	kl_vm_pause(p->vm);
	pthread_mutex_lock(&p->lock);
	p->done = true;
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static bool pauser_done(struct pauser *p)
{
	pthread_mutex_lock(&p->lock);
	bool d = p->done;
	pthread_mutex_unlock(&p->lock);
	return d;
}

/* The vCPU is stuck on a page nobody serves; a pause must still park it
 * (the signal that kicks it out of KVM_RUN interrupts the fault), and
 * after the page arrives the guest resumes and finishes intact. */
static void test_pause_while_waiting_on_a_fault(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	KLTEST_REQUIRE_UFFD();
	int fd = open_uffd();
	struct kl_vm *vm = writing_vm();
	struct handler *h = calloc(1, sizeof(*h));
	struct kl_err e;
	struct pauser p = { .vm = vm };
	pthread_t t;

	pthread_mutex_init(&p.lock, NULL);
	handler_start(h, vm, fd, true);
	if (kl_vm_start(vm, &e) < 0)
		fail_msg("%s", e.msg);
	handler_wait_faults(h, 1);
	assert_int_equal(pthread_create(&t, NULL, pause_main, &p), 0);
	/* Bounded: parked while the fault is still unserved, or the
	 * finding is that a waiting vCPU cannot be paused. */
	double end = kl_now() + 30;
	while (!pauser_done(&p) && kl_now() < end)
		kltest_sleep(0.01);
	bool parked_while_waiting = pauser_done(&p);
	pthread_mutex_lock(&h->lock);
	unsigned held = h->npending;
	pthread_mutex_unlock(&h->lock);
	printf("pause with a fault unserved: %s (faults held: %u)\n",
	       parked_while_waiting ? "parked" : "did not park in 30 s", held);
	handler_release(h);
	pthread_join(t, NULL);
	assert_true(parked_while_waiting);
	kl_vm_resume(vm);
	if (!kl_vm_wait_end(vm, 60))
		fail_msg("the guest did not finish after the pause");
	assert_string_equal(kl_vm_error(vm), "");
	handler_stop(h);
	kltest_assert_guest_matches_replay(vm);
	assert_each_wss_page_faulted_once(h);
	pthread_mutex_destroy(&p.lock);
	free(h);
	kl_vm_destroy(vm);
	close(fd);
}

int main(void)
{
	kltest_init(300);
	printf("kernel: ");
	fflush(stdout);
	if (system("uname -r") != 0)
		printf("?\n");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_both_ways),
		cmocka_unit_test(test_guest_waits_for_each_missing_page),
		cmocka_unit_test(test_dirty_log_never_faults_host_reads_do),
		cmocka_unit_test(test_pause_while_waiting_on_a_fault),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
