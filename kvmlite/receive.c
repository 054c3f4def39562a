/*
 * receive.c - the destination's stream parser: take one stream from a
 * socket into a VM built like the source's, check every record (CRC,
 * type, length, page numbers, that every page and every vCPU arrived,
 * the END counts), load the vCPUs and devices, and answer HELLO and ACK.
 * It never runs the guest: migrate_dst.c does, after a 0 from here.
 * On its own so that a fuzzer can drive it (kvmlite/fuzz/).
 */
#include "receive.h"

#include <stdlib.h>
#include <string.h>

static int on_page(struct receiver *r, const struct kl_rec *rec, bool zero,
		   struct kl_err *e)
{
	uint64_t page;
	if (rec->len != (zero ? 8u : 8u + KL_PAGE_SIZE))
		return kl_fail(e, "%s record of %u bytes at byte %llu",
			       kl_rec_name(rec->type), rec->len,
			       (unsigned long long)rec->offset);
	memcpy(&page, rec->data, 8);
	if (page >= r->vm->pages)
		return kl_fail(e, "page %llu is beyond the end of memory (%llu pages) at byte %llu",
			       (unsigned long long)page,
			       (unsigned long long)r->vm->pages,
			       (unsigned long long)rec->offset);
	uint8_t *dst = kl_gpa(r->vm, page << KL_PAGE_SHIFT);
	mplm_bitmap_set(r->arrived, page);
	if (!zero) {
		/* Checked while copied: a bad page is in guest memory then, but
		 * the guest never runs from a stream that failed. */
		if (kl_rec_copy_checked(rec, 8, dst, e) < 0)
			return -1;
		r->page_hash[page] = kl_page_hash(page, dst);
		mplm_bitmap_set(r->written, page);
		r->page_records++;
		return 0;
	}
	static const uint64_t zero_page[KL_PAGE_SIZE / 8];
	r->page_hash[page] = kl_page_hash(page, zero_page);
	/* Fresh memory is already zero: write only over older data. */
	if (mplm_bitmap_test(r->written, page)) {
		memset(dst, 0, KL_PAGE_SIZE);
		mplm_bitmap_clear(r->written, page);
	}
	r->zero_records++;
	return 0;
}

static int on_vcpu(struct receiver *r, const struct kl_rec *rec, struct kl_err *e)
{
	struct kl_vcpu_saved s;
	unsigned i;
	if (kl_vcpu_unrecord(&s, &i, rec->data, rec->len, r->vm, e) < 0) {
		kl_vcpu_state_free(&s);
		return -1;
	}
	if (r->have_vcpu[i]) {
		kl_vcpu_state_free(&s);
		return kl_fail(e, "vCPU %u state arrived twice", i);
	}
	r->vcpus[i] = s;
	r->have_vcpu[i] = true;
	r->vcpu_records++;
	return 0;
}

static int on_devices(struct receiver *r, const struct kl_rec *rec,
		      struct kl_err *e)
{
	if (r->dev)
		return kl_fail(e, "device state arrived twice");
	if (rec->len != kl_dev_state_size(&r->vm->dev))
		return kl_fail(e, "device state of %u bytes, expected %zu", rec->len,
			       kl_dev_state_size(&r->vm->dev));
	r->dev = malloc(rec->len);
	if (!r->dev)
		return kl_fail(e, "out of memory");
	memcpy(r->dev, rec->data, rec->len);
	r->dev_records++;
	return 0;
}

int kl_receiver_check_counts(struct receiver *r, const struct kl_rec *rec,
			     uint64_t *discarded, struct kl_err *e)
{
	struct kl_unpack u = { rec->data, rec->data + rec->len, false };
	uint64_t pages = kl_get64(&u), zeros = kl_get64(&u);
	uint32_t vcpus = kl_get32(&u), devs = kl_get32(&u);
	uint64_t bytes = kl_get64(&u);
	if (discarded)
		*discarded = kl_get64(&u);

	if (u.short_read || u.p != u.end)
		return kl_fail(e, "malformed %s record at byte %llu", kl_rec_name(rec->type),
			       (unsigned long long)rec->offset);
	if (pages != r->page_records || zeros != r->zero_records)
		return kl_fail(e, "%s record counts %llu pages and %llu zero pages, %llu and %llu arrived",
			       kl_rec_name(rec->type),
			       (unsigned long long)pages, (unsigned long long)zeros,
			       (unsigned long long)r->page_records,
			       (unsigned long long)r->zero_records);
	if (bytes != rec->offset)
		return kl_fail(e, "%s record says %llu bytes came before it, %llu did",
			       kl_rec_name(rec->type), (unsigned long long)bytes,
			       (unsigned long long)rec->offset);
	if (vcpus != r->vm->cfg.nvcpus || r->vcpu_records != vcpus ||
	    devs != 1 || r->dev_records != 1)
		return kl_fail(e, "state of %u of %u vCPUs and %u device records arrived",
			       r->vcpu_records, r->vm->cfg.nvcpus, r->dev_records);
	return 0;
}

/* The END record must agree with what arrived, and nothing may be missing. */
static int on_end(struct receiver *r, const struct kl_rec *rec, struct kl_err *e)
{
	if (kl_receiver_check_counts(r, rec, NULL, e) < 0)
		return -1;
	uint64_t got = mplm_bitmap_count(r->arrived);
	if (got != r->vm->pages)
		return kl_fail(e, "only %llu of %llu pages arrived (first missing: %llu)",
			       (unsigned long long)got,
			       (unsigned long long)r->vm->pages,
			       (unsigned long long)mplm_bitmap_find_next_set(r->arrived, 0));
	return 0;
}

/* The switch: the counts so far, and the discard set as announced. */
static int on_postcopy(struct receiver *r, const struct kl_rec *rec,
		       struct kl_err *e)
{
	uint64_t discarded;
	if (kl_receiver_check_counts(r, rec, &discarded, e) < 0)
		return -1;
	if (discarded != mplm_bitmap_count(r->discard))
		return kl_fail(e, "postcopy record says %llu pages were discarded, %llu were",
			       (unsigned long long)discarded,
			       (unsigned long long)mplm_bitmap_count(r->discard));
	return 0;
}

/* Post-copy records are part of version 2 only. */
static int postcopy_allowed(struct receiver *r, const struct kl_rec *rec,
			    struct kl_err *e)
{
	if (r->version == KL_STREAM_VERSION_POSTCOPY)
		return 0;
	return kl_fail(e, "%s record at byte %llu in a version %u stream (post-copy needs version %u)",
		       kl_rec_name(rec->type), (unsigned long long)rec->offset,
		       r->version, KL_STREAM_VERSION_POSTCOPY);
}

/* Records until END (0: complete and verified) or POSTCOPY (1: the
 * switch, verified so far); -1: e says what is wrong. */
static int receive_body(struct receiver *r, struct kl_err *e)
{
	struct kl_rec rec;
	for (;;) {
		int got = kl_in_next_lazy(&r->in, &rec, e);
		if (got == 0)
			return kl_fail(e, "stream truncated: the source closed the connection at byte %llu, before the end marker (%llu pages received)",
				       (unsigned long long)r->in.offset,
				       (unsigned long long)(r->page_records + r->zero_records));
		if (got < 0)
			return -1;
		int ok;
		switch (rec.type) {
		case KL_REC_PAGE:
			ok = on_page(r, &rec, false, e);
			break;
		case KL_REC_ZERO:
			ok = on_page(r, &rec, true, e);
			break;
		case KL_REC_VCPU:
			ok = on_vcpu(r, &rec, e);
			break;
		case KL_REC_DEVICES:
			ok = on_devices(r, &rec, e);
			break;
		case KL_REC_END:
			return on_end(r, &rec, e);
		case KL_REC_DISCARD:
			ok = postcopy_allowed(r, &rec, e);
			if (ok == 0)
				ok = kl_postcopy_dst_discard(r, &rec, e);
			break;
		case KL_REC_POSTCOPY:
			if (postcopy_allowed(r, &rec, e) < 0 || on_postcopy(r, &rec, e) < 0)
				return -1;
			return 1;
		default:
			return kl_fail(e, "unexpected %s record at byte %llu",
				       kl_rec_name(rec.type),
				       (unsigned long long)rec.offset);
		}
		if (ok < 0)
			return -1;
	}
}

/* Post-copy runs the guest before its memory is all here: the caller
 * must be about to run it, and this host must have userfaultfd. */
static int postcopy_refused(bool allowed, struct kl_err *why)
{
	if (!allowed)
		return kl_fail(why, "post-copy needs a destination that runs the guest (this one has --no-run)");
	return kl_postcopy_dst_possible(why);
}

static int receive_header(struct receiver *r, bool allow_postcopy, struct kl_err *e)
{
	struct kl_rec rec;
	struct kl_stream_header h;
	struct kl_err why;
	int got = kl_in_next(&r->in, &rec, e);
	if (got == 0)
		return kl_fail(e, "the source closed the connection before the header");
	if (got < 0)
		return -1;
	if (rec.type != KL_REC_HEADER)
		return kl_fail(e, "stream starts with a %s record, not a header",
			       kl_rec_name(rec.type));
	if (kl_header_unpack(&h, rec.data, rec.len, &why) < 0 ||
	    kl_header_check(&h, r->vm, &why) < 0 ||
	    (h.version == KL_STREAM_VERSION_POSTCOPY && postcopy_refused(allow_postcopy, &why) < 0)) {
		kl_send_verdict(&r->out, KL_REC_HELLO, false, why.msg, e);
		return kl_fail(e, "refused the stream: %s", why.msg);
	}
	r->version = h.version;
	r->vm->guest_crc = h.guest_crc;
	r->vm->guest_len = h.guest_len;
	return kl_send_verdict(&r->out, KL_REC_HELLO, true, "ready", e);
}

static int load_state(struct receiver *r, struct kl_err *e)
{
	for (unsigned i = 0; i < r->vm->cfg.nvcpus; i++)
		if (kl_vcpu_load(&r->vm->vcpus[i], &r->vcpus[i], e) < 0)
			return -1;
	return kl_dev_load(&r->vm->dev, r->dev, kl_dev_state_size(&r->vm->dev), e);
}

static int receiver_init(struct receiver *r, struct kl_vm *vm, int fd,
			 struct kl_err *e)
{
	memset(r, 0, sizeof(*r));
	r->vm = vm;
	r->arrived = mplm_bitmap_new(vm->pages);
	r->written = mplm_bitmap_new(vm->pages);
	r->discard = mplm_bitmap_new(vm->pages);
	r->page_hash = calloc(vm->pages, sizeof(uint64_t));
	if (!r->arrived || !r->written || !r->discard || !r->page_hash)
		return kl_fail(e, "out of memory");
	if (kl_in_init(&r->in, fd, 4 << 20, e) < 0 ||
	    kl_out_init(&r->out, fd, 64 * 1024, e) < 0)
		return -1;
	return 0;
}

void kl_receiver_free(struct receiver *r)
{
	if (!r)
		return;
	for (unsigned i = 0; i < KL_MAX_VCPUS; i++)
		kl_vcpu_state_free(&r->vcpus[i]);
	free(r->dev);
	mplm_bitmap_free(r->arrived);
	mplm_bitmap_free(r->written);
	mplm_bitmap_free(r->discard);
	free(r->page_hash);
	kl_in_free(&r->in);
	kl_out_free(&r->out);
	free(r);
}

/* The switch to post-copy: what arrived is checked and the state loaded;
 * now guest RAM goes under userfaultfd, and the ACK commits to running
 * the guest with pages still missing. */
static int switch_to_postcopy(struct receiver *r, struct kl_incoming_result *res,
			      struct kl_err *e)
{
	struct kl_out *out = &r->out;
	struct kl_err ignore;
	struct kl_postcopy_dst *pc = kl_postcopy_dst_new(r, e); /* owns r on success */
	if (!pc) {
		/* Nothing ran here yet: refuse, and the source resumes. */
		kl_send_verdict(out, KL_REC_ACK, false, e->msg, &ignore);
		kl_receiver_free(r);
		return -1;
	}
	if (kl_send_verdict(out, KL_REC_ACK, true, "running (post-copy)", e) < 0) {
		kl_postcopy_dst_free(pc);
		return -1;
	}
	res->t_ack = kl_now();
	res->postcopy = pc;
	return 0;
}

int kl_receive_stream(struct kl_vm *vm, int fd, double header_timeout,
		      bool allow_postcopy, struct kl_incoming_result *res,
		      struct kl_err *e)
{
	struct kl_err ignore;
	double t0 = kl_now();
	struct receiver *r = calloc(1, sizeof(*r));
	if (!r)
		return kl_fail(e, "out of memory");
	int ok = receiver_init(r, vm, fd, e);
	/* A source that trickles its header cannot hold us for longer. */
	r->in.deadline = header_timeout > 0 ? t0 + header_timeout : 0;
	if (ok == 0)
		ok = receive_header(r, allow_postcopy, e);
	r->in.deadline = 0;
	if (ok == 0)
		ok = receive_body(r, e);
	bool postcopy = ok == 1;
	if (postcopy)
		ok = 0;
	if (ok == 0)
		ok = load_state(r, e);
	/* Pages were hashed as they arrived (every one did, or ok < 0): the
	 * hash at resume costs the guest no time before it runs. */
	if (ok == 0 && !postcopy)
		res->memhash_at_resume = kl_memhash_of(r->page_hash, vm->pages);
	res->stream_bytes = r->in.offset;
	res->page_records = r->page_records;
	res->zero_records = r->zero_records;
	res->receive_seconds = kl_now() - t0;
	if (ok == 0 && postcopy)
		return switch_to_postcopy(r, res, e);
	if (r->out.buf) {
		if (ok == 0) {
			ok = kl_send_verdict(&r->out, KL_REC_ACK, true, "running", e);
			res->t_ack = kl_now();
		} else {
			kl_send_verdict(&r->out, KL_REC_ACK, false, e->msg, &ignore);
		}
	}
	kl_receiver_free(r);
	return ok;
}
