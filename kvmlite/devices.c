/*
 * devices.c - kvmlite's one device, on I/O ports (guest_abi.h): console
 * output collected per vCPU into lines, progress counters, the guest's
 * final result, a sleep call (so a pacing guest does not spin) and a
 * barrier for tests. Its state migrates with the vCPUs.
 */
#include "kvmlite.h"

#include <errno.h>
#include <string.h>
#include <time.h>

void kl_dev_init(struct kl_devices *d, unsigned nvcpus, bool quiet)
{
	memset(d, 0, sizeof(*d));
	pthread_mutex_init(&d->lock, NULL);
	d->nvcpus = nvcpus;
	d->quiet = quiet;
}

void kl_dev_destroy(struct kl_devices *d)
{
	pthread_mutex_destroy(&d->lock);
}

/* Keep the newest text: drop the oldest half when full. */
static void log_append(struct kl_devices *d, const char *s, size_t n)
{
	if (n >= KL_CONSOLE_LOG / 2)
		n = KL_CONSOLE_LOG / 2 - 1;
	if (d->log_len + n >= KL_CONSOLE_LOG) {
		size_t keep = KL_CONSOLE_LOG / 2;
		memmove(d->log, d->log + d->log_len - keep, keep);
		d->log_len = keep;
	}
	memcpy(d->log + d->log_len, s, n);
	d->log_len += n;
}

static void console_char(struct kl_devices *d, unsigned cpu, char c)
{
	struct kl_dev_cpu *dc = &d->cpu[cpu];
	if (c != '\n' && dc->line_len < KL_CONSOLE_LINE - 1) {
		dc->line[dc->line_len++] = c;
		return;
	}
	char out[KL_CONSOLE_LINE + 32];
	int n = snprintf(out, sizeof(out), "[vcpu%u] %.*s\n", cpu,
			 (int)dc->line_len, dc->line);
	log_append(d, out, (size_t)n);
	if (!d->quiet) {
		fputs(out, stdout);
		fflush(stdout);
	}
	dc->line_len = 0;
	if (c != '\n')
		dc->line[dc->line_len++] = c;
}

/* Sleep up to us microseconds, less if someone asks the vCPUs to pause. */
static void guest_sleep(struct kl_vm *vm, uint32_t us)
{
	struct timespec until;
	if (us > 1000000)
		us = 1000000;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += (long)us * 1000;
	until.tv_sec += until.tv_nsec / 1000000000;
	until.tv_nsec %= 1000000000;
	pthread_mutex_lock(&vm->lock);
	while (!vm->pause_req && !vm->quit &&
	       pthread_cond_timedwait(&vm->cond, &vm->lock, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&vm->lock);
}

static uint32_t port_value(const struct kvm_run *run)
{
	const uint8_t *p = (const uint8_t *)run + run->io.data_offset;
	uint32_t v = 0;
	memcpy(&v, p, run->io.size <= 4 ? run->io.size : 4);
	return v;
}

static enum kl_pio_result pio_out(struct kl_vcpu *v, struct kvm_run *run)
{
	struct kl_devices *d = &v->vm->dev;
	struct kl_dev_cpu *dc = &d->cpu[v->index];
	uint32_t val = port_value(run);
	enum kl_pio_result r = KL_PIO_CONTINUE;

	if (run->io.port == KL_PORT_SLEEP) {
		guest_sleep(v->vm, val);
		return r;
	}
	pthread_mutex_lock(&d->lock);
	switch (run->io.port) {
	case KL_PORT_CONSOLE: {
		const char *p = (const char *)run + run->io.data_offset;
		for (uint32_t i = 0; i < run->io.count; i++)
			console_char(d, v->index, p[i * run->io.size]);
		break;
	}
	case KL_PORT_PROGRESS:
		dc->progress += val;
		break;
	case KL_PORT_RESULT:
		dc->done = true;
		dc->exit_code = val;
		r = KL_PIO_DONE;
		break;
	case KL_PORT_PANIC:
		dc->panicked = true;
		dc->panic_code = val;
		r = KL_PIO_FAIL;
		break;
	default:
		r = KL_PIO_FAIL;
		break;
	}
	pthread_mutex_unlock(&d->lock);
	return r;
}

enum kl_pio_result kl_dev_pio(struct kl_vcpu *v, struct kvm_run *run)
{
	struct kl_devices *d = &v->vm->dev;

	if (run->io.direction == KVM_EXIT_IO_OUT)
		return pio_out(v, run);
	uint32_t val = 0;
	if (run->io.port == KL_PORT_BARRIER && d->barrier)
		val = d->barrier(d->barrier_ctx, v);
	else if (run->io.port != KL_PORT_BARRIER)
		val = 0xffffffff; /* nothing there */
	uint8_t *p = (uint8_t *)run + run->io.data_offset;
	memcpy(p, &val, run->io.size <= 4 ? run->io.size : 4);
	return KL_PIO_CONTINUE;
}

/* ------------------------------------------------------------------ */
/* State on the wire: per vCPU, little-endian
 *   u64 progress, u32 exit_code, u32 panic_code, u32 flags (1 done,
 *   2 panicked), u32 line_len, line[KL_CONSOLE_LINE]. */

#define DEV_CPU_WIRE (8 + 4 * 4 + KL_CONSOLE_LINE)

size_t kl_dev_state_size(const struct kl_devices *d)
{
	return 4 + (size_t)d->nvcpus * DEV_CPU_WIRE;
}

static uint8_t *put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); return p + 4; }
static uint8_t *put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); return p + 8; }
static const uint8_t *get32(const uint8_t *p, uint32_t *v) { memcpy(v, p, 4); return p + 4; }
static const uint8_t *get64(const uint8_t *p, uint64_t *v) { memcpy(v, p, 8); return p + 8; }

void kl_dev_save(struct kl_devices *d, uint8_t *out)
{
	pthread_mutex_lock(&d->lock);
	out = put32(out, d->nvcpus);
	for (unsigned i = 0; i < d->nvcpus; i++) {
		const struct kl_dev_cpu *c = &d->cpu[i];
		out = put64(out, c->progress);
		out = put32(out, c->exit_code);
		out = put32(out, c->panic_code);
		out = put32(out, (c->done ? 1u : 0u) | (c->panicked ? 2u : 0u));
		out = put32(out, c->line_len);
		memcpy(out, c->line, KL_CONSOLE_LINE);
		out += KL_CONSOLE_LINE;
	}
	pthread_mutex_unlock(&d->lock);
}

int kl_dev_load(struct kl_devices *d, const uint8_t *in, size_t len,
		struct kl_err *e)
{
	uint32_t n, flags, line_len;
	if (len != kl_dev_state_size(d))
		return kl_fail(e, "device state of %zu bytes, expected %zu", len,
			       kl_dev_state_size(d));
	in = get32(in, &n);
	if (n != d->nvcpus)
		return kl_fail(e, "device state for %u vCPUs, this VM has %u", n,
			       d->nvcpus);
	pthread_mutex_lock(&d->lock);
	for (unsigned i = 0; i < n; i++) {
		struct kl_dev_cpu *c = &d->cpu[i];
		in = get64(in, &c->progress);
		in = get32(in, &c->exit_code);
		in = get32(in, &c->panic_code);
		in = get32(in, &flags);
		in = get32(in, &line_len);
		memcpy(c->line, in, KL_CONSOLE_LINE);
		in += KL_CONSOLE_LINE;
		c->done = flags & 1;
		c->panicked = flags & 2;
		c->line_len = line_len < KL_CONSOLE_LINE ? line_len : 0;
	}
	pthread_mutex_unlock(&d->lock);
	return 0;
}

uint64_t kl_dev_progress(struct kl_devices *d)
{
	uint64_t sum = 0;
	pthread_mutex_lock(&d->lock);
	for (unsigned i = 0; i < d->nvcpus; i++)
		sum += d->cpu[i].progress;
	pthread_mutex_unlock(&d->lock);
	return sum;
}

void kl_dev_console(struct kl_devices *d, char *buf, size_t len)
{
	if (!len)
		return;
	pthread_mutex_lock(&d->lock);
	size_t n = d->log_len < len - 1 ? d->log_len : len - 1;
	memcpy(buf, d->log + d->log_len - n, n);
	buf[n] = 0;
	pthread_mutex_unlock(&d->lock);
}
