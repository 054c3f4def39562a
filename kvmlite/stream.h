/*
 * stream.h - kvmlite's migration stream (format in STREAM.md): framed,
 * checksummed records over a socket, written through a large buffer with
 * an optional token-bucket rate limit, read through another.
 */
#ifndef KL_STREAM_H
#define KL_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvmlite.h"

#define KL_STREAM_MAGIC "KVMLITE\n"
#define KL_STREAM_VERSION 1
/* Version 2 = version 1 plus the post-copy records (DISCARD, POSTCOPY,
 * REQUEST, COMPLETE); a source sends it only with postcopy-ram on, so a
 * pre-copy stream still reads in a version-1 kvmlite. */
#define KL_STREAM_VERSION_POSTCOPY 2
#define KL_REC_MAX (16u << 20)      /* largest record payload */
#define KL_REC_OVERHEAD 12u         /* type, length, CRC */
#define KL_PAGE_REC_BYTES (KL_REC_OVERHEAD + 8 + KL_PAGE_SIZE)
#define KL_ZERO_REC_BYTES (KL_REC_OVERHEAD + 8)

enum kl_rec_type {
	KL_REC_HEADER = 1,  /* source: who I am (first record) */
	KL_REC_HELLO = 2,   /* destination: header accepted or why not */
	KL_REC_PAGE = 3,    /* u64 page number, 4096 bytes */
	KL_REC_ZERO = 4,    /* u64 page number: the page is all zero */
	KL_REC_VCPU = 5,    /* one vCPU's state */
	KL_REC_DEVICES = 6, /* device state */
	KL_REC_END = 7,     /* counts; the stream is complete */
	KL_REC_ACK = 8,     /* destination: verified and running, or not */
	/* Post-copy (version 2, STREAM.md "Post-copy"). */
	KL_REC_DISCARD = 9,   /* source: page ranges the destination must not use */
	KL_REC_POSTCOPY = 10, /* source: the switch; the destination runs now */
	KL_REC_REQUEST = 11,  /* destination: a vCPU waits for this page */
	KL_REC_COMPLETE = 12, /* destination: every page arrived, its figures */
	KL_REC_LAST = KL_REC_COMPLETE,
};
const char *kl_rec_name(uint32_t type);
/* A DISCARD record: u32 n, then n x (u64 first page, u64 pages). */
#define KL_DISCARD_RANGES_MAX 4096

uint32_t kl_crc32c(uint32_t crc, const void *p, size_t n);
uint32_t kl_crc32c_soft(uint32_t crc, const void *p, size_t n);
/* memcpy(dst, src, n), returning the CRC of the bytes copied: one pass. */
uint32_t kl_crc32c_copy(uint32_t crc, void *dst, const void *src, size_t n);

/* Writing. Records are built in the buffer (so a page's CRC is of the
 * copy that is sent, even while the guest keeps writing the original)
 * and the buffer goes out in large send()s. */
struct kl_out {
	int fd;
	uint8_t *buf;
	size_t len, cap, flush_at;
	size_t flush_max;  /* flush_at's bound, whatever the rate */
	double rate;       /* bytes/s; 0 = unlimited */
	double budget;     /* token bucket, bytes */
	double t_refill;
	uint64_t bytes;    /* bytes handed to the kernel */
	uint64_t records;
};

int kl_out_init(struct kl_out *o, int fd, size_t cap, struct kl_err *e);
void kl_out_free(struct kl_out *o);
void kl_out_set_rate(struct kl_out *o, double bytes_per_s);
/* One record whose payload is head (small) followed by body. */
int kl_out_record(struct kl_out *o, uint32_t type, const void *head,
		  size_t hlen, const void *body, size_t blen, struct kl_err *e);
/* A page of guest memory: a ZERO record if it is all zero, else PAGE.
 * *wire gets the bytes it takes. */
int kl_out_page(struct kl_out *o, uint64_t page, const void *data,
		bool *zero, uint32_t *wire, struct kl_err *e);
int kl_out_flush(struct kl_out *o, struct kl_err *e);
/* Send whenever this much is buffered (<= the buffer), whatever rate
 * kl_out_set_rate sets later: post-copy's pushed pages must not pile up
 * in front of a page a vCPU waits for. */
void kl_out_set_flush_max(struct kl_out *o, size_t bytes);

/* Reading. */
struct kl_in {
	int fd;
	uint8_t *buf;
	size_t cap, pos, end;
	uint64_t offset;   /* stream offset of buf[pos] */
	double deadline;   /* kl_now() by which the next record must be
	                    * whole (a peer trickling bytes cannot stretch a
	                    * wait without end); 0 = only the io timeout */
};

struct kl_rec {
	uint32_t type, len;
	const uint8_t *data; /* valid until the next kl_in_next */
	uint64_t offset;     /* where the record starts in the stream */
	uint32_t crc;        /* the CRC the record carries */
	bool checked;        /* false: PAGE from kl_in_next_lazy */
};

int kl_in_init(struct kl_in *in, int fd, size_t cap, struct kl_err *e);
void kl_in_free(struct kl_in *in);
/* 1: a verified record; 0: the peer closed the connection cleanly before
 * a record; -1: error (truncated record, bad CRC, bad length, I/O). */
int kl_in_next(struct kl_in *in, struct kl_rec *r, struct kl_err *e);

/* Same, but a PAGE record's CRC is left to kl_rec_copy_checked, which
 * checks it while copying the page out (one pass instead of two). */
int kl_in_next_lazy(struct kl_in *in, struct kl_rec *r, struct kl_err *e);
/* Copy payload bytes [from, len) to dst and check the record's CRC on
 * the way. On a mismatch dst holds garbage and -1 is returned. */
int kl_rec_copy_checked(const struct kl_rec *r, size_t from, void *dst,
			struct kl_err *e);

bool kl_page_is_zero(const void *page);

/* Little-endian field packing for payloads. */
struct kl_pack {
	uint8_t *p, *end;
	bool overflow;
};
void kl_put32(struct kl_pack *k, uint32_t v);
void kl_put64(struct kl_pack *k, uint64_t v);
void kl_putb(struct kl_pack *k, const void *b, size_t n);

struct kl_unpack {
	const uint8_t *p, *end;
	bool short_read;
};
uint32_t kl_get32(struct kl_unpack *u);
uint64_t kl_get64(struct kl_unpack *u);
const uint8_t *kl_getb(struct kl_unpack *u, size_t n);

/* Sockets (net.c): loopback TCP with timeouts. "HOST:PORT" or
 * "tcp:HOST:PORT"; port 0 = any (see kl_local_port). */
int kl_listen(const char *addr, struct kl_err *e);
/* Is addr's host in 127.0.0.0/8 (or empty / localhost)? */
int kl_addr_is_loopback(const char *addr, bool *loopback, struct kl_err *e);
int kl_local_port(int fd);
int kl_accept(int lfd, double timeout, struct kl_err *e);
int kl_connect(const char *addr, double timeout, struct kl_err *e);
void kl_set_io_timeout(int fd, double seconds);
/* Fixed socket buffers (no autotuning): post-copy's, so that a page a
 * vCPU waits for is not queued behind megabytes of pushed ones. */
void kl_set_socket_buffers(int fd, int bytes);
#define KL_POSTCOPY_SOCKET_BUFFER (128 * 1024)
#define KL_POSTCOPY_FLUSH_AT (64 * 1024)

#endif
