/*
 * test_stream.c - the stream's pieces without KVM: CRC-32C, zero-page
 * detection, record framing and its error reports, the rate limit, the
 * header encoding, the CLI's unit parsers.
 */
#include "kltest.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"

static void test_crc32c_known_answer(void **state)
{
	(void)state;
	assert_int_equal(kl_crc32c(0, "123456789", 9), 0xe3069283u);
	assert_int_equal(kl_crc32c_soft(0, "123456789", 9), 0xe3069283u);
	assert_int_equal(kl_crc32c(0, "", 0), 0);
	/* Incremental = one shot. */
	uint32_t c = kl_crc32c(0, "1234", 4);
	assert_int_equal(kl_crc32c(c, "56789", 5), 0xe3069283u);
}

static void test_crc32c_hardware_matches_table(void **state)
{
	(void)state;
	static uint8_t buf[20000];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 131 + 7 + (i >> 9));
	for (size_t off = 0; off < 9; off++)
		for (size_t len = 0; len < 200; len += 7)
			assert_int_equal(kl_crc32c(0, buf + off, len),
					 kl_crc32c_soft(0, buf + off, len));
	/* Around and past the interleaved blocks (3 x 1368 bytes). */
	static const size_t lens[] = { 4096, 4103, 4104, 4105, 4112, 8208,
				       8216, 12312, 19990 };
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		assert_int_equal(kl_crc32c(0x1234, buf + 3, lens[i]),
				 kl_crc32c_soft(0x1234, buf + 3, lens[i]));
}

static void test_zero_page(void **state)
{
	(void)state;
	uint64_t *page = calloc(512, 8);
	assert_true(kl_page_is_zero(page));
	for (unsigned i = 0; i < 4096; i += 511) {
		((uint8_t *)page)[i] = 1;
		assert_false(kl_page_is_zero(page));
		((uint8_t *)page)[i] = 0;
	}
	((uint8_t *)page)[4095] = 0x80;
	assert_false(kl_page_is_zero(page));
	free(page);
}

struct pair {
	int w, r;
};

static void make_pair(struct pair *p)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	p->w = sv[0];
	p->r = sv[1];
	kl_set_io_timeout(p->r, 5);
	kl_set_io_timeout(p->w, 5);
}

static void test_records_round_trip(void **state)
{
	(void)state;
	struct pair p;
	struct kl_out o;
	struct kl_in in;
	struct kl_rec r;
	struct kl_err e;
	uint8_t page[4096];
	bool zero;
	uint32_t wire;

	make_pair(&p);
	memset(page, 0xab, sizeof(page));
	assert_int_equal(kl_out_init(&o, p.w, 16384, &e), 0);
	assert_int_equal(kl_in_init(&in, p.r, 65536, &e), 0);
	assert_int_equal(kl_out_record(&o, KL_REC_HEADER, "abc", 3, "defg", 4, &e), 0);
	assert_int_equal(kl_out_page(&o, 7, page, &zero, &wire, &e), 0);
	assert_false(zero);
	assert_int_equal(wire, KL_PAGE_REC_BYTES);
	memset(page, 0, sizeof(page));
	assert_int_equal(kl_out_page(&o, 8, page, &zero, &wire, &e), 0);
	assert_true(zero);
	assert_int_equal(wire, KL_ZERO_REC_BYTES);
	assert_int_equal(kl_out_flush(&o, &e), 0);
	assert_int_equal(o.bytes, 3 + 4 + KL_REC_OVERHEAD + KL_PAGE_REC_BYTES + KL_ZERO_REC_BYTES);
	close(p.w);

	assert_int_equal(kl_in_next(&in, &r, &e), 1);
	assert_int_equal(r.type, KL_REC_HEADER);
	assert_int_equal(r.len, 7);
	assert_memory_equal(r.data, "abcdefg", 7);
	assert_int_equal(r.offset, 0);
	assert_int_equal(kl_in_next(&in, &r, &e), 1);
	assert_int_equal(r.type, KL_REC_PAGE);
	uint64_t pg;
	memcpy(&pg, r.data, 8);
	assert_int_equal(pg, 7);
	assert_int_equal(r.data[8 + 4095], 0xab);
	assert_int_equal(kl_in_next(&in, &r, &e), 1);
	assert_int_equal(r.type, KL_REC_ZERO);
	assert_int_equal(r.len, 8);
	assert_int_equal(kl_in_next(&in, &r, &e), 0); /* clean EOF */
	kl_out_free(&o);
	kl_in_free(&in);
	close(p.r);
}

/* Write raw bytes, read one record: the error message. */
static int read_raw(const uint8_t *bytes, size_t len, struct kl_err *e)
{
	struct pair p;
	struct kl_in in;
	struct kl_rec r;
	make_pair(&p);
	assert_int_equal(write(p.w, bytes, len), (ssize_t)len);
	close(p.w);
	kl_in_init(&in, p.r, 65536, e);
	int got = kl_in_next(&in, &r, e);
	kl_in_free(&in);
	close(p.r);
	return got;
}

static size_t one_record(uint8_t *buf, uint32_t type, const char *payload)
{
	uint32_t len = (uint32_t)strlen(payload);
	memcpy(buf, &type, 4);
	memcpy(buf + 4, &len, 4);
	memcpy(buf + 8, payload, len);
	uint32_t crc = kl_crc32c(0, buf, 8 + len);
	memcpy(buf + 8 + len, &crc, 4);
	return 12 + len;
}

static void test_record_errors(void **state)
{
	(void)state;
	uint8_t buf[256];
	struct kl_err e;
	size_t n = one_record(buf, KL_REC_DEVICES, "hello world");

	assert_int_equal(read_raw(buf, n, &e), 1);
	buf[10] ^= 4;
	assert_int_equal(read_raw(buf, n, &e), -1);
	assert_non_null(strstr(e.msg, "CRC mismatch in devices record at byte 0"));
	buf[10] ^= 4;
	assert_int_equal(read_raw(buf, n - 3, &e), -1);
	assert_non_null(strstr(e.msg, "truncated"));
	assert_int_equal(read_raw(buf, 5, &e), -1);
	assert_non_null(strstr(e.msg, "truncated"));
	uint32_t bad = 99;
	memcpy(buf, &bad, 4);
	assert_int_equal(read_raw(buf, n, &e), -1);
	assert_non_null(strstr(e.msg, "bad record type 99"));
	n = one_record(buf, KL_REC_PAGE, "x");
	uint32_t huge = KL_REC_MAX + 1;
	memcpy(buf + 4, &huge, 4);
	assert_int_equal(read_raw(buf, n, &e), -1);
	assert_non_null(strstr(e.msg, "bad page record length"));
}

struct drain {
	int fd;
	size_t got;
};

static void *drain_thread(void *arg)
{
	struct drain *d = arg;
	char buf[65536];
	ssize_t r;
	while ((r = read(d->fd, buf, sizeof(buf))) > 0)
		d->got += (size_t)r;
	return NULL;
}

/* 2 MB at 10 MB/s takes about 0.2 s (less one burst). */
static void test_rate_limit(void **state)
{
	(void)state;
	struct pair p;
	struct kl_out o;
	struct kl_err e;
	struct drain d;
	pthread_t t;
	static uint8_t chunk[65536];

	make_pair(&p);
	d.fd = p.r;
	d.got = 0;
	pthread_create(&t, NULL, drain_thread, &d);
	kl_out_init(&o, p.w, 1 << 20, &e);
	kl_out_set_rate(&o, 10e6);
	double t0 = kl_now();
	for (int i = 0; i < 32; i++)
		assert_int_equal(kl_out_record(&o, KL_REC_PAGE, NULL, 0, chunk,
					       sizeof(chunk) - 64, &e), 0);
	assert_int_equal(kl_out_flush(&o, &e), 0);
	double dt = kl_now() - t0;
	close(p.w);
	pthread_join(t, NULL);
	close(p.r);
	kl_out_free(&o);
	assert_true(dt > 0.17 && dt < 0.5);
	assert_int_equal(d.got, o.bytes);
}

/* A bound on what is buffered (post-copy's) holds through later rate
 * changes (migrate_set_speed during postcopy-active). */
static void test_flush_max_outlives_rate_changes(void **state)
{
	(void)state;
	struct kl_out o;
	struct kl_err e;
	assert_int_equal(kl_out_init(&o, -1, 1 << 20, &e), 0);
	kl_out_set_rate(&o, 1e9); /* 5 ms of it: 5 MB, more than the buffer */
	assert_int_equal(o.flush_at, 1 << 20);
	kl_out_set_flush_max(&o, 16384);
	assert_int_equal(o.flush_at, 16384);
	kl_out_set_rate(&o, 1e9);
	assert_int_equal(o.flush_at, 16384);
	kl_out_set_rate(&o, 0);
	assert_int_equal(o.flush_at, 16384);
	kl_out_set_rate(&o, 1e6); /* its 64 KiB floor stays under the bound */
	assert_int_equal(o.flush_at, 16384);
	kl_out_free(&o);
}

static void test_header_round_trip(void **state)
{
	(void)state;
	struct kl_stream_header h = { .version = KL_STREAM_VERSION,
				      .page_size = 4096, .mem_bytes = 1 << 30,
				      .nvcpus = 2, .nslots = 3, .cpl = 3,
				      .tsc_khz = 2600000, .xsave_len = 4096,
				      .dev_state_len = 600, .guest_crc = 0x1234,
				      .guest_len = 3000 };
	struct kl_stream_header g;
	struct kl_err e;
	uint8_t buf[8192];
	h.slot_bytes[0] = 1;
	h.slot_bytes[2] = 3;
	h.params.rate = 60000;
	size_t n = kl_header_pack(&h, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(kl_header_unpack(&g, buf, n, &e), 0);
	assert_int_equal(g.mem_bytes, h.mem_bytes);
	assert_int_equal(g.nslots, 3);
	assert_int_equal(g.slot_bytes[2], 3);
	assert_int_equal(g.params.rate, 60000);
	assert_int_equal(g.guest_crc, 0x1234);
	assert_int_equal(kl_header_unpack(&g, buf, n - 1, &e), -1);
	assert_non_null(strstr(e.msg, "malformed"));
	buf[0] = 'X';
	assert_int_equal(kl_header_unpack(&g, buf, n, &e), -1);
	assert_non_null(strstr(e.msg, "bad magic"));
	buf[0] = 'K';
	buf[8] = 9;
	assert_int_equal(kl_header_unpack(&g, buf, n, &e), -1);
	assert_non_null(strstr(e.msg, "version 9"));
	assert_int_equal(kl_header_pack(&h, buf, 100), 0);
}

static void test_units(void **state)
{
	(void)state;
	bool ok;
	assert_true(kl_parse_size("64M", &ok) == 64ull << 20 && ok);
	assert_true(kl_parse_size("1GiB", &ok) == 1ull << 30 && ok);
	kl_parse_size("-1", &ok);
	assert_false(ok);
	assert_true(kl_parse_rate("60k", &ok) == 60000 && ok);
	uint64_t pat;
	assert_int_equal(kl_pattern_parse("stencil", &pat), 0);
	assert_int_equal(pat, KL_PAT_STENCIL);
	assert_int_equal(kl_pattern_parse("zigzag", &pat), -1);

	/* One hotspot: kvmlite's guests default to the generators' 0.2/0.8. */
	struct kl_cli c;
	struct kl_err e;
	char *argv[] = { "run", "--pattern", "hotspot", NULL };
	assert_int_equal(kl_cli_parse(&c, 3, argv, &e), 0);
	assert_int_equal(c.params.hot_permille, 200);
	assert_int_equal(c.params.skew_permille, 800);
}

int main(void)
{
	kltest_init(120);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c_known_answer),
		cmocka_unit_test(test_crc32c_hardware_matches_table),
		cmocka_unit_test(test_zero_page),
		cmocka_unit_test(test_records_round_trip),
		cmocka_unit_test(test_record_errors),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_flush_max_outlives_rate_changes),
		cmocka_unit_test(test_header_round_trip),
		cmocka_unit_test(test_units),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
