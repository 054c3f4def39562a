/*
 * kltest.h - helpers for kvmlite's cmocka suites: skip cleanly when
 * /dev/kvm is not usable, find the built kvmlite and guest, build VMs,
 * run destinations in child processes, replay a guest's writes on the
 * host. Every wait is bounded.
 */
#ifndef KLTEST_H
#define KLTEST_H

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "migration.h"

/* In every test that needs KVM: prints "SKIP: /dev/kvm not usable: why"
 * and skips when it cannot be used. */
#define KLTEST_REQUIRE_KVM()                                              \
	do {                                                              \
		const char *why_ = kltest_kvm_unusable();                 \
		if (why_) {                                               \
			printf("SKIP: /dev/kvm not usable: %s\n", why_);  \
			skip();                                           \
		}                                                         \
	} while (0)

/* NULL if a VM with one vCPU can be made and run; else the reason. */
const char *kltest_kvm_unusable(void);

/* In every test that needs userfaultfd (post-copy's destination): prints
 * "SKIP: why" and skips where this host has none. */
#define KLTEST_REQUIRE_UFFD()                                             \
	do {                                                              \
		const char *why_ = kltest_uffd_unusable();                \
		if (why_) {                                               \
			printf("SKIP: %s\n", why_);                       \
			skip();                                           \
		}                                                         \
	} while (0)

/* NULL if a destination here can take post-copy; else the reason. */
const char *kltest_uffd_unusable(void);
/* Call first in main(): a hard limit on the whole suite. */
void kltest_init(unsigned alarm_seconds);

const char *kltest_build_dir(void);  /* e.g. build/san */
const char *kltest_kvmlite(void);    /* the kvmlite binary */
const char *kltest_guest(void);      /* workload.bin */

void kltest_config(struct kl_config *c, uint64_t mem_bytes, unsigned vcpus);
void kltest_params(struct kl_params *p, uint64_t pattern, uint64_t wss_pages,
		   uint64_t rate, uint64_t iterations);
/* Create a VM and load the workload guest; fails the test on error. */
struct kl_vm *kltest_vm(const struct kl_config *c, const struct kl_params *p);
/* Start, wait (bounded) for every vCPU to finish, fail on guest errors. */
void kltest_run_to_end(struct kl_vm *vm, double timeout);

/* Replay the guest's writes on the host with wl.c (independently of
 * kvmlite's own checker). */
void kltest_replay(const struct kl_params *p, unsigned vcpu, uint64_t writes,
		   uint64_t *checksum, uint64_t *vecsum, uint64_t *memhash);
/* The guest makes progress (bounded wait of 20 s). */
void kltest_assert_guest_runs(struct kl_vm *vm);
/* Every finished vCPU of vm against the replay. */
void kltest_assert_guest_matches_replay(struct kl_vm *vm);

/* A destination in a child process (kvmlite incoming). */
struct kltest_dst {
	int pid;
	int port;
	char uri[64];
	char json[64];
	char out[64]; /* its stdout and stderr */
};
void kltest_dst_start(struct kltest_dst *d, const struct kl_config *c,
		      const char *const *extra);
/* Wait (bounded) for it to exit; its exit status and result file. */
int kltest_dst_finish(struct kltest_dst *d, double timeout,
		      struct kl_result_file *r);
/* Its captured output (malloc'd). */
char *kltest_dst_output(const struct kltest_dst *d);
void kltest_dst_cleanup(struct kltest_dst *d);

void kltest_mig_opts(struct kl_mig_opts *o, enum mplm_algorithm alg,
		     const char *uri);
void kltest_sleep(double s);

/* A started guest that writes ~5 s (uniform over 64 MiB of a 128 MiB VM,
 * 40,000 pages/s, 200,000 writes): time to fail a migration and do
 * another. */
struct kl_vm *kltest_long_guest(struct kl_config *cfg, struct kl_params *p);

/* A source migrating in a thread of its own, so the test can fail it. */
struct kltest_mig {
	pthread_t t;
	kl_source *s;
	int rc; /* kl_source_run's, after the join */
};
/* Create the source with o and run it in a thread (fails the test if
 * the source cannot be made). */
void kltest_mig_start(struct kltest_mig *m, struct kl_vm *vm,
		      const struct kl_mig_opts *o);
/* Bounded wait until reached(s, its stats, arg) holds: false if the
 * migration ended first (neither setup, active nor postcopy-active) or
 * seconds passed. */
bool kltest_wait_source(kl_source *s,
			bool (*reached)(kl_source *s, const struct mplm_stats *st,
					const void *arg),
			const void *arg, double seconds);

#endif
