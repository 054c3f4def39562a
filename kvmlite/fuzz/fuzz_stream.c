/*
 * fuzz_stream.c - libFuzzer target for the destination's stream parser
 * (receive.c): the input is what a source sent, byte for byte.
 *
 * One small VM (6 MiB, one vCPU) is built once; each input goes into a
 * socketpair, the writing end is shut, and kl_receive_stream takes it as
 * from a source: header check, every record, END, loading the state.
 * Inputs longer than the socket buffer are cut there (the parser then
 * sees a truncated stream, which is a case too).
 *
 * The first input byte is a mode, not stream: odd = fix up every
 * record's CRC before sending (so mutations get past the checksum to the
 * record's meaning), even = send the bytes as they are (CRC errors).
 *
 * Seeds depend on the host (the header carries its TSC rate and XSAVE
 * size), so they are made here: with KL_FUZZ_SEEDS=DIR set, the first
 * call writes a complete valid stream for this VM and a few variants
 * into DIR (`make fuzz-stream-run` does this).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "migration.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct kl_vm *vm;

static struct kl_vm *fuzz_vm(void)
{
	struct kl_config cfg;
	struct kl_err e;
	kl_config_default(&cfg);
	cfg.mem_bytes = 6ull << 20;
	cfg.quiet = true;
	if (kl_vm_create(&vm, &cfg, &e) < 0) {
		fprintf(stderr, "fuzz_stream: %s\n", e.msg);
		abort();
	}
	return vm;
}

/* ------------------------------------------------------------------ */
/* Seeds: a valid stream for this VM, built with the source's encoders. */

static int drain(int fd, uint8_t *buf, size_t cap, size_t *len)
{
	ssize_t r;
	while (*len < cap && (r = recv(fd, buf + *len, cap - *len, MSG_DONTWAIT)) > 0)
		*len += (size_t)r;
	return 0;
}

static size_t valid_stream(uint8_t *buf, size_t cap)
{
	int sv[2];
	struct kl_out o;
	struct kl_err e;
	struct kl_stream_header h;
	uint8_t hb[8192], *rec = NULL, end[32];
	size_t len = 0, rlen = 0;
	static const uint8_t zero_page[KL_PAGE_SIZE];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 || kl_out_init(&o, sv[0], 1 << 16, &e) < 0)
		abort();
	kl_header_of(vm, &h);
	size_t n = kl_header_pack(&h, hb, sizeof(hb));
	kl_out_record(&o, KL_REC_HEADER, hb, n, NULL, 0, &e);
	uint64_t pages = 0, zeros = 0;
	for (uint64_t p = 0; p < vm->pages; p++) {
		bool z;
		uint32_t wire;
		/* A few real pages, the rest zero markers. */
		const void *src = p % 97 == 5 ? kl_gpa(vm, p << KL_PAGE_SHIFT) : zero_page;
		kl_out_page(&o, p, src, &z, &wire, &e);
		z ? zeros++ : pages++;
		kl_out_flush(&o, &e);
		drain(sv[1], buf, cap, &len);
	}
	struct kl_vcpu_saved st;
	if (kl_vcpu_save(&vm->vcpus[0], &st, &e) < 0 ||
	    kl_vcpu_record(&st, 0, &rec, &rlen, &e) < 0)
		abort();
	kl_out_record(&o, KL_REC_VCPU, rec, rlen, NULL, 0, &e);
	free(rec);
	kl_vcpu_state_free(&st);
	size_t dlen = kl_dev_state_size(&vm->dev);
	uint8_t *dev = calloc(1, dlen);
	kl_dev_save(&vm->dev, dev);
	kl_out_record(&o, KL_REC_DEVICES, dev, dlen, NULL, 0, &e);
	free(dev);
	struct kl_pack k = { end, end + sizeof(end), false };
	kl_put64(&k, pages);
	kl_put64(&k, zeros);
	kl_put32(&k, 1);
	kl_put32(&k, 1);
	kl_put64(&k, o.bytes + o.len);
	kl_out_record(&o, KL_REC_END, end, sizeof(end), NULL, 0, &e);
	kl_out_flush(&o, &e);
	drain(sv[1], buf, cap, &len);
	kl_out_free(&o);
	close(sv[0]);
	close(sv[1]);
	return len;
}

/* Each seed twice: with CRCs fixed up, and raw. */
static void write_seed(const char *dir, const char *name, const uint8_t *p, size_t n)
{
	char path[4096];
	for (uint8_t mode = 0; mode < 2; mode++) {
		snprintf(path, sizeof(path), "%s/%s-%s", dir, name, mode ? "fixcrc" : "raw");
		FILE *f = fopen(path, "wb");
		if (!f || fwrite(&mode, 1, 1, f) != 1 || fwrite(p, 1, n, f) != n)
			perror(path);
		if (f)
			fclose(f);
	}
}

/* Rewrite the CRC of every whole record in buf (in place). */
static void fix_crcs(uint8_t *buf, size_t n)
{
	size_t off = 0;
	while (n - off >= KL_REC_OVERHEAD) {
		uint32_t len;
		memcpy(&len, buf + off + 4, 4);
		if (len > n - off - KL_REC_OVERHEAD)
			return;
		uint32_t crc = kl_crc32c(0, buf + off, 8 + (size_t)len);
		memcpy(buf + off + 8 + len, &crc, 4);
		off += KL_REC_OVERHEAD + len;
	}
}

static void write_seeds(const char *dir)
{
	size_t cap = 1 << 20;
	uint8_t *s = malloc(cap);
	size_t n = valid_stream(s, cap);
	write_seed(dir, "valid", s, n);
	uint32_t hlen;
	memcpy(&hlen, s + 4, 4);
	write_seed(dir, "header-only", s, KL_REC_OVERHEAD + hlen);
	write_seed(dir, "no-end", s, n - 44);
	size_t tail = n > 12000 ? n - 12000 : 0; /* vCPU, devices, END */
	write_seed(dir, "tail", s + tail, n - tail);
	free(s);
}

/* ------------------------------------------------------------------ */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool seeded;
	int sv[2];
	struct kl_incoming_result res;
	struct kl_err e;

	if (!vm)
		fuzz_vm();
	const char *dir = getenv("KL_FUZZ_SEEDS");
	if (dir && !seeded) {
		seeded = true;
		write_seeds(dir);
	}
	if (!size)
		return 0;
	bool fix = data[0] & 1;
	uint8_t *copy = malloc(size);
	memcpy(copy, data + 1, --size);
	if (fix)
		fix_crcs(copy, size);
	data = copy;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	size_t off = 0;
	while (off < size) {
		ssize_t w = send(sv[1], data + off, size - off, MSG_NOSIGNAL);
		if (w <= 0)
			break; /* the buffer is full: the rest is cut */
		off += (size_t)w;
	}
	shutdown(sv[1], SHUT_WR);
	kl_set_io_timeout(sv[0], 1);
	memset(&res, 0, sizeof(res));
	int r = kl_receive_stream(vm, sv[0], 1, true, &res, &e);
	kl_postcopy_dst_free(res.postcopy);
	if (getenv("KL_FUZZ_VERBOSE")) /* to check the seeds */
		fprintf(stderr, "fuzz_stream: %zu bytes: %s\n", size, r == 0 ? "accepted" : e.msg);
	close(sv[0]);
	close(sv[1]);
	free(copy);
	return 0;
}
