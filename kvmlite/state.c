/*
 * state.c - the stream's header and vCPU records (STREAM.md), and the
 * destination's check of a header against its own configuration.
 *
 * vCPU state is carried as KVM's own structures (kvm_regs, kvm_sregs,
 * ...), each in a tagged section with its length, so a destination built
 * against different headers refuses instead of misreading.
 */
#include "migration.h"

#include <stdlib.h>
#include <string.h>

enum {
	SEC_REGS = 1,
	SEC_SREGS = 2,
	SEC_EVENTS = 3,
	SEC_XCRS = 4,
	SEC_XSAVE = 5,
	SEC_FPU = 6,
	SEC_MSRS = 7,
};

void kl_header_of(struct kl_vm *vm, struct kl_stream_header *h)
{
	memset(h, 0, sizeof(*h));
	h->version = KL_STREAM_VERSION;
	h->page_size = KL_PAGE_SIZE;
	h->mem_bytes = vm->cfg.mem_bytes;
	h->nvcpus = vm->cfg.nvcpus;
	h->nslots = vm->nslots;
	h->cpl = vm->cfg.cpl;
	h->tsc_khz = vm->tsc_khz;
	h->xsave_len = kl_xsave_size(vm);
	h->dev_state_len = (uint32_t)kl_dev_state_size(&vm->dev);
	for (unsigned i = 0; i < vm->nslots; i++)
		h->slot_bytes[i] = vm->slots[i].size;
	h->guest_crc = vm->guest_crc;
	h->guest_len = vm->guest_len;
	memcpy(&h->params, kl_gpa(vm, KL_PARAMS_GPA), sizeof(h->params));
}

size_t kl_header_pack(const struct kl_stream_header *h, uint8_t *buf, size_t len)
{
	struct kl_pack k = { buf, buf + len, false };
	kl_putb(&k, KL_STREAM_MAGIC, 8);
	kl_put32(&k, h->version);
	kl_put32(&k, h->page_size);
	kl_put64(&k, h->mem_bytes);
	kl_put32(&k, h->nvcpus);
	kl_put32(&k, h->nslots);
	kl_put32(&k, h->cpl);
	kl_put32(&k, h->tsc_khz);
	kl_put32(&k, h->xsave_len);
	kl_put32(&k, h->dev_state_len);
	for (unsigned i = 0; i < h->nslots && i < KL_MAX_SLOTS; i++)
		kl_put64(&k, h->slot_bytes[i]);
	kl_put32(&k, h->guest_crc);
	kl_put64(&k, h->guest_len);
	kl_put32(&k, (uint32_t)sizeof(h->params));
	kl_putb(&k, &h->params, sizeof(h->params));
	return k.overflow ? 0 : (size_t)(k.p - buf);
}

int kl_header_unpack(struct kl_stream_header *h, const uint8_t *p, size_t len,
		     struct kl_err *e)
{
	struct kl_unpack u = { p, p + len, false };
	const uint8_t *magic = kl_getb(&u, 8);

	memset(h, 0, sizeof(*h));
	if (!magic || memcmp(magic, KL_STREAM_MAGIC, 8))
		return kl_fail(e, "not a kvmlite migration stream (bad magic)");
	h->version = kl_get32(&u);
	if (h->version != KL_STREAM_VERSION &&
	    h->version != KL_STREAM_VERSION_POSTCOPY)
		return kl_fail(e, "stream version %u, this kvmlite reads versions %u and %u (post-copy)",
			       h->version, KL_STREAM_VERSION, KL_STREAM_VERSION_POSTCOPY);
	h->page_size = kl_get32(&u);
	h->mem_bytes = kl_get64(&u);
	h->nvcpus = kl_get32(&u);
	h->nslots = kl_get32(&u);
	h->cpl = kl_get32(&u);
	h->tsc_khz = kl_get32(&u);
	h->xsave_len = kl_get32(&u);
	h->dev_state_len = kl_get32(&u);
	if (h->nslots > KL_MAX_SLOTS)
		return kl_fail(e, "header: %u memory slots (at most %d)", h->nslots,
			       KL_MAX_SLOTS);
	for (unsigned i = 0; i < h->nslots; i++)
		h->slot_bytes[i] = kl_get64(&u);
	h->guest_crc = kl_get32(&u);
	h->guest_len = kl_get64(&u);
	uint32_t plen = kl_get32(&u);
	if (plen != sizeof(h->params))
		return kl_fail(e, "header: guest parameters of %u bytes, expected %zu",
			       plen, sizeof(h->params));
	const uint8_t *params = kl_getb(&u, plen);
	if (u.short_read || u.p != u.end)
		return kl_fail(e, "header record of %zu bytes is malformed", len);
	memcpy(&h->params, params, plen);
	return 0;
}

int kl_header_check(const struct kl_stream_header *h, struct kl_vm *vm,
		    struct kl_err *e)
{
	struct kl_stream_header mine;
	kl_header_of(vm, &mine);
	if (h->page_size != KL_PAGE_SIZE)
		return kl_fail(e, "page size %u, expected %u", h->page_size, KL_PAGE_SIZE);
	if (h->mem_bytes != mine.mem_bytes)
		return kl_fail(e, "source has %llu MiB of memory, this VM %llu MiB",
			       (unsigned long long)(h->mem_bytes >> 20),
			       (unsigned long long)(mine.mem_bytes >> 20));
	if (h->nvcpus != mine.nvcpus)
		return kl_fail(e, "source has %u vCPUs, this VM %u", h->nvcpus, mine.nvcpus);
	if (h->nslots != mine.nslots)
		return kl_fail(e, "source has %u memory slots, this VM %u", h->nslots,
			       mine.nslots);
	for (unsigned i = 0; i < h->nslots; i++)
		if (h->slot_bytes[i] != mine.slot_bytes[i])
			return kl_fail(e, "memory slot %u: %llu bytes at the source, %llu here",
				       i, (unsigned long long)h->slot_bytes[i],
				       (unsigned long long)mine.slot_bytes[i]);
	if (h->cpl != mine.cpl)
		return kl_fail(e, "source guest runs at CPL %u, this VM at CPL %u",
			       h->cpl, mine.cpl);
	if (h->tsc_khz != mine.tsc_khz)
		return kl_fail(e, "source TSC runs at %u kHz, this host at %u kHz",
			       h->tsc_khz, mine.tsc_khz);
	if (h->xsave_len != mine.xsave_len)
		return kl_fail(e, "source XSAVE area is %u bytes, here %u",
			       h->xsave_len, mine.xsave_len);
	if (h->dev_state_len != mine.dev_state_len)
		return kl_fail(e, "source device state is %u bytes, here %u",
			       h->dev_state_len, mine.dev_state_len);
	if (mine.guest_crc && (h->guest_crc != mine.guest_crc ||
			       h->guest_len != mine.guest_len))
		return kl_fail(e, "source runs a different guest image (crc 0x%08x, %llu bytes; expected 0x%08x, %llu bytes)",
			       h->guest_crc, (unsigned long long)h->guest_len,
			       mine.guest_crc, (unsigned long long)mine.guest_len);
	return 0;
}

/* ------------------------------------------------------------------ */
/* vCPU records: u32 index, u32 run state, u32 sections, then sections
 * of (u32 tag, u32 length, bytes). */

static void put_section(struct kl_pack *k, uint32_t tag, const void *p, size_t n)
{
	kl_put32(k, tag);
	kl_put32(k, (uint32_t)n);
	kl_putb(k, p, n);
}

int kl_vcpu_record(const struct kl_vcpu_saved *s, unsigned index,
		   uint8_t **out, size_t *len, struct kl_err *e)
{
	size_t cap = 4096 + s->xsave_len + sizeof(*s);
	uint8_t *buf = malloc(cap);
	if (!buf)
		return kl_fail(e, "out of memory");
	struct kl_pack k = { buf, buf + cap, false };
	kl_put32(&k, index);
	kl_put32(&k, s->run_state);
	kl_put32(&k, 5 + (s->has_xcrs ? 1 : 0));
	put_section(&k, SEC_REGS, &s->regs, sizeof(s->regs));
	put_section(&k, SEC_SREGS, &s->sregs, sizeof(s->sregs));
	put_section(&k, SEC_EVENTS, &s->events, sizeof(s->events));
	if (s->has_xcrs)
		put_section(&k, SEC_XCRS, &s->xcrs, sizeof(s->xcrs));
	if (s->xsave_len)
		put_section(&k, SEC_XSAVE, s->xsave, s->xsave_len);
	else
		put_section(&k, SEC_FPU, &s->fpu, sizeof(s->fpu));
	kl_put32(&k, SEC_MSRS);
	kl_put32(&k, 4 + 12 * s->nmsrs);
	kl_put32(&k, s->nmsrs);
	for (unsigned i = 0; i < s->nmsrs; i++) {
		kl_put32(&k, s->msr_index[i]);
		kl_put64(&k, s->msr_value[i]);
	}
	if (k.overflow) {
		free(buf);
		return kl_fail(e, "vCPU record overflow");
	}
	*out = buf;
	*len = (size_t)(k.p - buf);
	return 0;
}

/* Copy a fixed-size section, refusing any other length. */
static int fixed(void *dst, size_t size, const uint8_t *p, uint32_t n,
		 const char *what, struct kl_err *e)
{
	if (n != size)
		return kl_fail(e, "vCPU %s section of %u bytes, expected %zu", what,
			       n, size);
	memcpy(dst, p, size);
	return 0;
}

static int msr_section(struct kl_vcpu_saved *s, const uint8_t *p, uint32_t n,
		       struct kl_vm *vm, struct kl_err *e)
{
	struct kl_unpack u = { p, p + n, false };
	s->nmsrs = kl_get32(&u);
	if (s->nmsrs > KL_MAX_MSRS || n != 4 + 12 * s->nmsrs)
		return kl_fail(e, "vCPU MSR section is malformed");
	for (unsigned i = 0; i < s->nmsrs; i++) {
		s->msr_index[i] = kl_get32(&u);
		s->msr_value[i] = kl_get64(&u);
		bool known = false;
		for (unsigned j = 0; j < vm->nmsrs; j++)
			known |= vm->msrs[j] == s->msr_index[i];
		if (!known)
			return kl_fail(e, "MSR 0x%x from the source is not supported here",
				       s->msr_index[i]);
	}
	return 0;
}

static int section(struct kl_vcpu_saved *s, uint32_t tag, const uint8_t *p,
		   uint32_t n, struct kl_vm *vm, struct kl_err *e)
{
	switch (tag) {
	case SEC_REGS:
		return fixed(&s->regs, sizeof(s->regs), p, n, "regs", e);
	case SEC_SREGS:
		return fixed(&s->sregs, sizeof(s->sregs), p, n, "sregs", e);
	case SEC_EVENTS:
		return fixed(&s->events, sizeof(s->events), p, n, "events", e);
	case SEC_XCRS:
		s->has_xcrs = true;
		return fixed(&s->xcrs, sizeof(s->xcrs), p, n, "xcrs", e);
	case SEC_FPU:
		return fixed(&s->fpu, sizeof(s->fpu), p, n, "fpu", e);
	case SEC_XSAVE:
		if (n != kl_xsave_size(vm) || s->xsave)
			return kl_fail(e, "vCPU XSAVE section of %u bytes, expected %u",
				       n, kl_xsave_size(vm));
		s->xsave = malloc(n);
		if (!s->xsave)
			return kl_fail(e, "out of memory");
		memcpy(s->xsave, p, n);
		s->xsave_len = n;
		return 0;
	case SEC_MSRS:
		return msr_section(s, p, n, vm, e);
	default:
		return kl_fail(e, "unknown vCPU section %u", tag);
	}
}

int kl_vcpu_unrecord(struct kl_vcpu_saved *s, unsigned *index,
		     const uint8_t *p, size_t len, struct kl_vm *vm,
		     struct kl_err *e)
{
	struct kl_unpack u = { p, p + len, false };
	uint32_t seen = 0;

	memset(s, 0, sizeof(*s));
	*index = kl_get32(&u);
	s->run_state = kl_get32(&u);
	uint32_t n = kl_get32(&u);
	if (u.short_read || *index >= vm->cfg.nvcpus)
		return kl_fail(e, "vCPU record for vCPU %u (this VM has %u)", *index,
			       vm->cfg.nvcpus);
	if (s->run_state > KL_VCPU_FAILED)
		return kl_fail(e, "vCPU %u: bad run state %u", *index, s->run_state);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t tag = kl_get32(&u), sl = kl_get32(&u);
		const uint8_t *sp = kl_getb(&u, sl);
		if (u.short_read)
			return kl_fail(e, "vCPU %u record is truncated", *index);
		if (tag < 32 && (seen & (1u << tag)))
			return kl_fail(e, "vCPU %u: section %u twice", *index, tag);
		seen |= tag < 32 ? 1u << tag : 0;
		if (section(s, tag, sp, sl, vm, e) < 0)
			return -1;
	}
	uint32_t need = 1u << SEC_REGS | 1u << SEC_SREGS | 1u << SEC_EVENTS |
			1u << SEC_MSRS | 1u << (kl_xsave_size(vm) ? SEC_XSAVE : SEC_FPU);
	if ((seen & need) != need || u.p != u.end)
		return kl_fail(e, "vCPU %u record is incomplete or has trailing bytes",
			       *index);
	return 0;
}

/* ------------------------------------------------------------------ */

int kl_send_verdict(struct kl_out *o, uint32_t type, bool ok, const char *msg,
		    struct kl_err *e)
{
	uint32_t v = ok;
	size_t n = msg ? strlen(msg) : 0;
	if (n > 1000)
		n = 1000;
	if (kl_out_record(o, type, &v, 4, msg, n, e) < 0)
		return -1;
	return kl_out_flush(o, e);
}

int kl_read_verdict(struct kl_in *in, uint32_t type, char *msg, size_t len,
		    struct kl_err *e)
{
	struct kl_rec r;
	int got = kl_in_next(in, &r, e);
	if (got == 0)
		return kl_fail(e, "the destination closed the connection without a %s",
			       kl_rec_name(type));
	if (got < 0)
		return -1;
	if (r.type != type || r.len < 4)
		return kl_fail(e, "expected a %s record from the destination, got %s",
			       kl_rec_name(type), kl_rec_name(r.type));
	uint32_t ok;
	memcpy(&ok, r.data, 4);
	size_t n = r.len - 4 < len - 1 ? r.len - 4 : len - 1;
	memcpy(msg, r.data + 4, n);
	msg[n] = 0;
	if (!ok) {
		kl_fail(e, "the destination refused: %s", msg);
		return 1;
	}
	return 0;
}
