/*
 * workload.c - the guest program: dirty memory in a chosen pattern at a
 * target rate, keep a running checksum, and at the end print it with a
 * hash of the working set, so the output proves that memory and CPU
 * state crossed a migration intact.
 *
 * Every vCPU runs this on its own share of the working set, at its share
 * of the rate, paced by the TSC (frequency from the parameter page).
 */
#include <stdbool.h>

#include "glib.h"
#include "wl.h"

/* Writes done between looks at the clock. */
#define BATCH 64

struct pacer {
	uint64_t tsc_hz;
	uint64_t rate;     /* page writes/s for this vCPU; 0 = flat out */
	uint64_t t0;       /* TSC at the start */
	uint64_t dropped;  /* TSC ticks not counted (pauses not caught up) */
	uint64_t burst;    /* writes worth sleeping for (~2 ms) */
	uint64_t max_lag;  /* writes behind schedule worth catching up */
};

static struct kl_status *my_status(unsigned vcpu)
{
	return (struct kl_status *)(KL_STATUS_GPA + KL_STATUS_STRIDE * vcpu);
}

static uint64_t writes_due(const struct pacer *pc, uint64_t now)
{
	return (now - pc->t0 - pc->dropped) * pc->rate / pc->tsc_hz;
}

/* Sleep through the VMM when more than a millisecond ahead; spin else. */
static void wait_ticks(const struct pacer *pc, uint64_t ticks)
{
	uint64_t us = ticks * 1000000 / pc->tsc_hz;
	if (us > 1000) {
		outl(KL_PORT_SLEEP, (uint32_t)(us - 500));
		return;
	}
	for (uint64_t end = rdtsc() + ticks; rdtsc() < end;)
		cpu_relax();
}

/* How many writes may be done now (up to BATCH); 0 after waiting. A pause
 * longer than max_lag (the VMM stopped the guest) is not caught up: the
 * rate is a steady rate, not a burst after a pause. */
static uint64_t pace(struct pacer *pc, uint64_t k)
{
	if (!pc->rate)
		return BATCH;
	uint64_t now = rdtsc(), due = writes_due(pc, now);
	if (due > k + pc->max_lag) {
		pc->dropped += (due - k - pc->max_lag) * pc->tsc_hz / pc->rate;
		due = writes_due(pc, now);
	}
	if (due > k)
		return due - k < BATCH ? due - k : BATCH;
	uint64_t ready = (k + pc->burst) * pc->tsc_hz / pc->rate;
	uint64_t elapsed = now - pc->t0 - pc->dropped;
	wait_ticks(pc, ready > elapsed ? ready - elapsed : 1);
	return 0;
}

static void publish(struct kl_status *st, const struct wl *w,
		    const struct pacer *pc)
{
	st->writes = w->seq.k;
	st->checksum = w->csum;
	st->vecsum = wl_vecsum(w);
	st->tsc_dropped = pc->dropped;
	st->tsc_end = rdtsc();
}

static void print_result(unsigned vcpu, const struct kl_status *st)
{
	con_puts("vcpu ");
	con_putu(vcpu);
	con_puts(": writes=");
	con_putu(st->writes);
	con_puts(" checksum=");
	con_puthex(st->checksum);
	con_puts(" vecsum=");
	con_puthex(st->vecsum);
	con_puts(" memhash=");
	con_puthex(st->memhash);
	con_puts("\n");
}

static bool finished(const struct kl_params *p, const struct wl *w,
		     const struct pacer *pc)
{
	if (p->iterations && w->seq.k >= p->iterations)
		return true;
	return p->duration_ms &&
	       rdtsc() - pc->t0 >= p->duration_ms * (pc->tsc_hz / 1000);
}

static void pacer_init(struct pacer *pc, const struct kl_params *p)
{
	*pc = (struct pacer){ .tsc_hz = p->tsc_khz * 1000, .t0 = rdtsc() };
	pc->rate = p->rate / p->nvcpus;
	if (p->rate && !pc->rate)
		pc->rate = 1;
	pc->burst = pc->rate / 500 + 1;
	pc->max_lag = pc->rate / 20 + BATCH;
}

static void run_pattern(unsigned vcpu, const struct kl_params *p)
{
	struct kl_status *st = my_status(vcpu);
	struct pacer pc;
	struct wl w;
	uint64_t every = p->progress_every ? p->progress_every : 4096;
	uint64_t reported = 0;

	wl_init(&w, p, vcpu, (uint8_t *)p->data_gpa);
	pacer_init(&pc, p);
	st->tsc_start = pc.t0;
	while (!finished(p, &w, &pc)) {
		uint64_t n = pace(&pc, w.seq.k);
		if (p->iterations && n > p->iterations - w.seq.k)
			n = p->iterations - w.seq.k;
		wl_run(&w, n);
		if (w.seq.k - reported >= every) {
			publish(st, &w, &pc);
			outl(KL_PORT_PROGRESS, (uint32_t)(w.seq.k - reported));
			reported = w.seq.k;
		}
	}
	publish(st, &w, &pc);
	outl(KL_PORT_PROGRESS, (uint32_t)(w.seq.k - reported));
	st->memhash = wl_memhash(&w);
}

static void run_idle(unsigned vcpu, const struct kl_params *p)
{
	struct kl_status *st = my_status(vcpu);
	uint64_t hz = p->tsc_khz * 1000, t0 = rdtsc();
	uint64_t end = t0 + p->duration_ms * (hz / 1000);

	st->tsc_start = t0;
	while (!p->duration_ms || rdtsc() < end)
		outl(KL_PORT_SLEEP, 10000);
	st->tsc_end = rdtsc();
}

/* Between two barriers, write exactly the listed pages and nothing else:
 * one asm block, so no stack or status write can slip in between. */
static void run_list(const struct kl_params *p)
{
	const uint64_t *list = p->list;
	uint64_t n = p->list_count, tmp;

	__asm__ volatile("mov %[bar], %%dx\n\t"
			 "inl %%dx, %%eax\n\t"
			 "test %[n], %[n]\n\t"
			 "jz 2f\n"
			 "1:\n\t"
			 "mov (%[l]), %[t]\n\t"
			 "shl $12, %[t]\n\t"
			 "mov %[n], (%[t])\n\t"
			 "add $8, %[l]\n\t"
			 "dec %[n]\n\t"
			 "jnz 1b\n"
			 "2:\n\t"
			 "inl %%dx, %%eax\n\t"
			 : [l] "+r"(list), [n] "+r"(n), [t] "=&r"(tmp)
			 : [bar] "i"(KL_PORT_BARRIER)
			 : "rax", "rdx", "memory", "cc");
}

__attribute__((noreturn)) void kmain(uint64_t vcpu, const struct kl_params *p);

void kmain(uint64_t vcpu, const struct kl_params *p)
{
	struct kl_status *st = my_status((unsigned)vcpu);

	if (p->magic != KL_PARAMS_MAGIC || p->version != KL_PARAMS_VERSION)
		guest_panic(1, "bad parameter page");
	if (vcpu >= p->nvcpus || p->tsc_khz == 0 || p->pattern >= KL_PAT_COUNT)
		guest_panic(2, "bad parameters");

	switch (p->pattern) {
	case KL_PAT_IDLE:
		run_idle((unsigned)vcpu, p);
		break;
	case KL_PAT_LIST:
		if (vcpu == 0)
			run_list(p);
		break;
	default:
		run_pattern((unsigned)vcpu, p);
		print_result((unsigned)vcpu, st);
		break;
	}
	st->done = 1;
	guest_exit(0);
}
