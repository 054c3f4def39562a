/*
 * throttle.c - auto-converge's CPU throttle on kvmlite's vCPUs, as QEMU
 * 2.9 does it (cpus.c: cpu_throttle_set, cpu_throttle_timer_tick,
 * cpu_throttle_thread): a timer fires every 10 ms / (1 - pct) and asks each
 * vCPU to sleep pct / (1 - pct) x 10 ms, so that a vCPU runs 100 - pct
 * percent of the time.
 *
 * One difference: QEMU's vCPU sleeps through a stop request (up to 990 ms
 * at 99 %); kvmlite's wakes for a pause or quit, so throttling never
 * lengthens a downtime.
 */
#include "kvmlite.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SLICE 0.010 /* CPU_THROTTLE_TIMESLICE_NS */

struct kl_throttle {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	bool running;
	unsigned pct;
};

static void deadline_in(struct timespec *ts, double s)
{
	clock_gettime(CLOCK_REALTIME, ts);
	double t = (double)ts->tv_sec + ts->tv_nsec * 1e-9 + s;
	ts->tv_sec = (time_t)t;
	ts->tv_nsec = (long)((t - (double)ts->tv_sec) * 1e9);
}

/* cpu_throttle_timer_tick: every running vCPU sleeps its share. */
static void ask_vcpus_to_sleep(struct kl_vm *vm, uint64_t ns)
{
	pthread_mutex_lock(&vm->lock);
	for (unsigned i = 0; i < vm->cfg.nvcpus; i++) {
		struct kl_vcpu *v = &vm->vcpus[i];
		if (!v->has_thread || v->state != KL_VCPU_RUNNING)
			continue;
		/* Both under vm->lock: see kl_vcpu_sleep_if_throttled. */
		v->throttle_ns = ns;
		__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_RELEASE);
		pthread_kill(v->thread, SIGUSR1);
	}
	pthread_mutex_unlock(&vm->lock);
}

static void *throttle_thread(void *arg)
{
	struct kl_vm *vm = arg;
	struct kl_throttle *t = vm->throttle;

	pthread_mutex_lock(&t->lock);
	while (t->pct) {
		double pct = t->pct / 100.0;
		struct timespec until;
		deadline_in(&until, SLICE / (1 - pct));
		unsigned was = t->pct;
		while (t->pct == was &&
		       pthread_cond_timedwait(&t->cond, &t->lock, &until) != ETIMEDOUT)
			;
		if (t->pct != was)
			continue; /* changed or stopped: start a new tick */
		pthread_mutex_unlock(&t->lock);
		ask_vcpus_to_sleep(vm, (uint64_t)(pct / (1 - pct) * SLICE * 1e9));
		pthread_mutex_lock(&t->lock);
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

void kl_vm_set_throttle(struct kl_vm *vm, unsigned pct)
{
	struct kl_throttle *t = vm->throttle;
	if (pct > 99)
		pct = 99;
	if (!t) {
		if (!pct || !(t = calloc(1, sizeof(*t))))
			return;
		pthread_mutex_init(&t->lock, NULL);
		pthread_cond_init(&t->cond, NULL);
		vm->throttle = t;
	}
	pthread_mutex_lock(&t->lock);
	t->pct = pct;
	pthread_cond_broadcast(&t->cond);
	bool start = pct && !t->running;
	if (start)
		t->running = pthread_create(&t->thread, NULL, throttle_thread, vm) == 0;
	bool stop = !pct && t->running;
	pthread_mutex_unlock(&t->lock);
	if (stop) {
		pthread_join(t->thread, NULL);
		t->running = false;
	}
}

void kl_vm_throttle_free(struct kl_vm *vm)
{
	struct kl_throttle *t = vm->throttle;
	if (!t)
		return;
	kl_vm_set_throttle(vm, 0);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
	free(t);
	vm->throttle = NULL;
}

/* The throttle's kick and its sleep are taken together under vm->lock,
 * and the kick (immediate_exit) is cleared only when no pause is asked
 * for: a pauser sets pause_req and immediate_exit under the same lock, so
 * its kick is never lost, and a throttle kick never makes KVM_RUN spin. */
void kl_vcpu_sleep_if_throttled(struct kl_vcpu *v)
{
	struct kl_vm *vm = v->vm;
	struct timespec until;

	pthread_mutex_lock(&vm->lock);
	uint64_t ns = v->throttle_ns;
	v->throttle_ns = 0;
	if (!ns || vm->pause_req || vm->quit) {
		pthread_mutex_unlock(&vm->lock);
		return;
	}
	__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_RELEASE);
	double t0 = kl_now();
	deadline_in(&until, (double)ns * 1e-9);
	while (!vm->pause_req && !vm->quit &&
	       pthread_cond_timedwait(&vm->cond, &vm->lock, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&vm->lock);
	v->throttled += kl_now() - t0;
}

double kl_vm_throttled_seconds(struct kl_vm *vm)
{
	double s = 0;
	for (unsigned i = 0; i < vm->cfg.nvcpus; i++)
		s += vm->vcpus[i].throttled;
	return vm->cfg.nvcpus ? s / vm->cfg.nvcpus : 0;
}
