/*
 * stream.c - records on the wire (STREAM.md): type, length, payload,
 * CRC-32C of all three. Output is buffered and rate-limited with a token
 * bucket; input is read in large chunks and handed out record by record.
 */
#include "stream.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

const char *kl_rec_name(uint32_t type)
{
	static const char *names[] = { "?", "header", "hello", "page", "zero",
				       "vcpu", "devices", "end", "ack", "discard",
				       "postcopy", "request", "complete" };
	return type < sizeof(names) / sizeof(names[0]) ? names[type] : "unknown";
}

/* ------------------------------------------------------------------ */
/* Packing. */

void kl_put32(struct kl_pack *k, uint32_t v) { kl_putb(k, &v, 4); }
void kl_put64(struct kl_pack *k, uint64_t v) { kl_putb(k, &v, 8); }

void kl_putb(struct kl_pack *k, const void *b, size_t n)
{
	if (k->overflow || (size_t)(k->end - k->p) < n) {
		k->overflow = true;
		return;
	}
	memcpy(k->p, b, n);
	k->p += n;
}

const uint8_t *kl_getb(struct kl_unpack *u, size_t n)
{
	if (u->short_read || (size_t)(u->end - u->p) < n) {
		u->short_read = true;
		return NULL;
	}
	const uint8_t *p = u->p;
	u->p += n;
	return p;
}

uint32_t kl_get32(struct kl_unpack *u)
{
	uint32_t v = 0;
	const uint8_t *p = kl_getb(u, 4);
	if (p)
		memcpy(&v, p, 4);
	return v;
}

uint64_t kl_get64(struct kl_unpack *u)
{
	uint64_t v = 0;
	const uint8_t *p = kl_getb(u, 8);
	if (p)
		memcpy(&v, p, 8);
	return v;
}

/* ------------------------------------------------------------------ */
/* Zero pages: OR 64 bytes at a time, stop at the first non-zero block. */

bool kl_page_is_zero(const void *page)
{
	const uint64_t *w = page;
	for (unsigned i = 0; i < KL_PAGE_SIZE / 8; i += 8) {
		if (w[i] | w[i + 1] | w[i + 2] | w[i + 3] | w[i + 4] | w[i + 5] |
		    w[i + 6] | w[i + 7])
			return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Output. */

int kl_out_init(struct kl_out *o, int fd, size_t cap, struct kl_err *e)
{
	memset(o, 0, sizeof(*o));
	o->fd = fd;
	o->cap = cap;
	o->flush_at = o->flush_max = cap;
	o->buf = malloc(cap);
	o->t_refill = kl_now();
	return o->buf ? 0 : kl_fail(e, "out of memory");
}

void kl_out_free(struct kl_out *o)
{
	free(o->buf);
	o->buf = NULL;
}

/* Rate-limited output goes in chunks of ~5 ms of the rate, so the bucket
 * stays smooth; unlimited output in whole buffers; never more than
 * flush_max at once. */
void kl_out_set_rate(struct kl_out *o, double bytes_per_s)
{
	o->rate = bytes_per_s > 0 ? bytes_per_s : 0;
	o->flush_at = o->flush_max;
	if (o->rate) {
		double chunk = o->rate * 0.005;
		if (chunk < 64 * 1024)
			chunk = 64 * 1024;
		if (chunk < (double)o->flush_at)
			o->flush_at = (size_t)chunk;
	}
	o->budget = 0;
	o->t_refill = kl_now();
}

void kl_out_set_flush_max(struct kl_out *o, size_t bytes)
{
	o->flush_max = bytes < o->cap ? bytes : o->cap;
	if (o->flush_at > o->flush_max)
		o->flush_at = o->flush_max;
}

static void sleep_for(double s)
{
	struct timespec t = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

/* Token bucket: refill at the rate (at most one chunk of burst), take n,
 * and sleep off any debt. */
static void throttle(struct kl_out *o, size_t n)
{
	if (!o->rate)
		return;
	double now = kl_now();
	o->budget += (now - o->t_refill) * o->rate;
	o->t_refill = now;
	if (o->budget > (double)o->flush_at)
		o->budget = (double)o->flush_at;
	o->budget -= (double)n;
	if (o->budget < 0)
		sleep_for(-o->budget / o->rate);
}

static int send_all(struct kl_out *o, const uint8_t *p, size_t n,
		    struct kl_err *e)
{
	while (n) {
		ssize_t w = send(o->fd, p, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return kl_fail(e, "sending to the destination timed out");
			return kl_fail_errno(e, "sending to the destination");
		}
		p += w;
		n -= (size_t)w;
		o->bytes += (uint64_t)w;
	}
	return 0;
}

int kl_out_flush(struct kl_out *o, struct kl_err *e)
{
	if (!o->len)
		return 0;
	throttle(o, o->len);
	int r = send_all(o, o->buf, o->len, e);
	o->len = 0;
	return r;
}

static int make_room(struct kl_out *o, size_t n, struct kl_err *e)
{
	if (n > o->cap)
		return kl_fail(e, "record of %zu bytes is larger than the buffer", n);
	if (o->len + n > o->flush_at)
		return kl_out_flush(o, e);
	return 0;
}

/* Header, payload, then the CRC of the bytes as they sit in the buffer. */
int kl_out_record(struct kl_out *o, uint32_t type, const void *head,
		  size_t hlen, const void *body, size_t blen, struct kl_err *e)
{
	size_t plen = hlen + blen;
	if (plen > KL_REC_MAX)
		return kl_fail(e, "%s record of %zu bytes is too large",
			       kl_rec_name(type), plen);
	if (make_room(o, plen + KL_REC_OVERHEAD, e) < 0)
		return -1;
	uint8_t *p = o->buf + o->len;
	uint32_t len32 = (uint32_t)plen;
	memcpy(p, &type, 4);
	memcpy(p + 4, &len32, 4);
	uint32_t crc = kl_crc32c(0, p, 8);
	p += 8;
	crc = kl_crc32c_copy(crc, p, head, hlen);
	crc = kl_crc32c_copy(crc, p + hlen, body, blen);
	memcpy(p + plen, &crc, 4);
	o->len += plen + KL_REC_OVERHEAD;
	o->records++;
	return 0;
}

int kl_out_page(struct kl_out *o, uint64_t page, const void *data,
		bool *zero, uint32_t *wire, struct kl_err *e)
{
	*zero = kl_page_is_zero(data);
	if (*zero) {
		*wire = KL_ZERO_REC_BYTES;
		return kl_out_record(o, KL_REC_ZERO, &page, 8, NULL, 0, e);
	}
	*wire = KL_PAGE_REC_BYTES;
	return kl_out_record(o, KL_REC_PAGE, &page, 8, data, KL_PAGE_SIZE, e);
}

/* ------------------------------------------------------------------ */
/* Input. */

int kl_in_init(struct kl_in *in, int fd, size_t cap, struct kl_err *e)
{
	memset(in, 0, sizeof(*in));
	in->fd = fd;
	in->cap = cap;
	in->buf = malloc(cap);
	return in->buf ? 0 : kl_fail(e, "out of memory");
}

void kl_in_free(struct kl_in *in)
{
	free(in->buf);
	in->buf = NULL;
}

/* Wait for data, but not past in->deadline. */
static int wait_until(struct kl_in *in, struct kl_err *e)
{
	struct pollfd p = { .fd = in->fd, .events = POLLIN };
	for (;;) {
		double left = in->deadline - kl_now();
		if (left <= 0)
			return kl_fail(e, "stream stalled: no complete record in time at byte %llu",
				       (unsigned long long)(in->offset + in->end));
		int r = poll(&p, 1, (int)(left * 1000) + 1);
		if (r > 0 || (r < 0 && errno != EINTR))
			return 0; /* read() tells what it is */
	}
}

/* Make n bytes available at buf[pos]. 1: there; 0: EOF with nothing
 * buffered; -1: EOF part way (truncated) or an error. */
static int fill(struct kl_in *in, size_t n, struct kl_err *e)
{
	if (in->end - in->pos >= n)
		return 1;
	if (in->pos) {
		memmove(in->buf, in->buf + in->pos, in->end - in->pos);
		in->end -= in->pos;
		in->pos = 0;
	}
	while (in->end < n) {
		if (in->deadline > 0 && wait_until(in, e) < 0)
			return -1;
		ssize_t r = read(in->fd, in->buf + in->end, in->cap - in->end);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return kl_fail(e, "stream stalled: nothing received for too long at byte %llu",
				       (unsigned long long)(in->offset + in->end));
		if (r < 0)
			return kl_fail_errno(e, "reading the stream at byte %llu",
					     (unsigned long long)(in->offset + in->end));
		if (r == 0) {
			if (in->end == 0)
				return 0;
			return kl_fail(e, "stream truncated: connection closed at byte %llu, inside a record",
				       (unsigned long long)(in->offset + in->end));
		}
		in->end += (size_t)r;
	}
	return 1;
}

static int crc_mismatch(const struct kl_rec *r, uint32_t got, struct kl_err *e)
{
	return kl_fail(e, "CRC mismatch in %s record at byte %llu (0x%08x, computed 0x%08x)",
		       kl_rec_name(r->type), (unsigned long long)r->offset,
		       r->crc, got);
}

static int next(struct kl_in *in, struct kl_rec *r, bool lazy, struct kl_err *e)
{
	int f = fill(in, 8, e);
	if (f <= 0)
		return f;
	uint8_t *h = in->buf + in->pos;
	memcpy(&r->type, h, 4);
	memcpy(&r->len, h + 4, 4);
	r->offset = in->offset;
	if (r->type < KL_REC_HEADER || r->type > KL_REC_LAST)
		return kl_fail(e, "bad record type %u at byte %llu", r->type,
			       (unsigned long long)r->offset);
	if (r->len > KL_REC_MAX || r->len + KL_REC_OVERHEAD > in->cap)
		return kl_fail(e, "bad %s record length %u at byte %llu",
			       kl_rec_name(r->type), r->len,
			       (unsigned long long)r->offset);
	size_t total = r->len + KL_REC_OVERHEAD;
	f = fill(in, total, e);
	if (f == 0)
		return kl_fail(e, "stream truncated inside a %s record at byte %llu",
			       kl_rec_name(r->type), (unsigned long long)r->offset);
	if (f < 0)
		return -1;
	h = in->buf + in->pos;
	memcpy(&r->crc, h + 8 + r->len, 4);
	r->data = h + 8;
	r->checked = !(lazy && r->type == KL_REC_PAGE);
	if (r->checked) {
		uint32_t got = kl_crc32c(0, h, 8 + r->len);
		if (got != r->crc)
			return crc_mismatch(r, got, e);
	}
	in->pos += total;
	in->offset += total;
	return 1;
}

int kl_in_next(struct kl_in *in, struct kl_rec *r, struct kl_err *e)
{
	return next(in, r, false, e);
}

int kl_in_next_lazy(struct kl_in *in, struct kl_rec *r, struct kl_err *e)
{
	return next(in, r, true, e);
}

int kl_rec_copy_checked(const struct kl_rec *r, size_t from, void *dst,
			struct kl_err *e)
{
	uint32_t got = kl_crc32c(0, r->data - 8, 8 + from);
	got = kl_crc32c_copy(got, dst, r->data + from, r->len - from);
	return got == r->crc ? 0 : crc_mismatch(r, got, e);
}
