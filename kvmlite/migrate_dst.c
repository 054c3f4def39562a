/*
 * migrate_dst.c - the migration destination: build a VM like the
 * source's, take one connection, let receive.c take and check the whole
 * stream, and only then run the guest. Anything wrong: the source was
 * told why, and the guest never runs here.
 */
#include "migration.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void kl_incoming_opts_default(struct kl_incoming_opts *o)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->listen, sizeof(o->listen), "127.0.0.1:4444");
	o->listen_fd = -1;
	o->accept_timeout = 0;
	o->io_timeout = 30;
	o->run_timeout = 0;
}

static int guest_crc_of(const char *path, uint32_t *crc, uint64_t *len,
			struct kl_err *e)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return kl_fail_errno(e, "open guest %s", path);
	uint8_t *buf = malloc(KL_IMAGE_MAX + 1);
	size_t n = buf ? fread(buf, 1, KL_IMAGE_MAX + 1, f) : 0;
	fclose(f);
	*crc = buf ? kl_crc32c(0, buf, n) : 0;
	*len = n;
	free(buf);
	return buf ? 0 : kl_fail(e, "out of memory");
}

static int take_connection(const struct kl_incoming_opts *o, struct kl_err *e)
{
	int lfd = o->listen_fd;
	if (lfd < 0) {
		lfd = kl_listen(o->listen, e);
		if (lfd < 0)
			return -1;
		printf("kvmlite incoming: listening on %s\n", o->listen);
		fflush(stdout);
	}
	int fd = kl_accept(lfd, o->accept_timeout, e);
	close(lfd);
	if (fd >= 0)
		kl_set_io_timeout(fd, o->io_timeout);
	return fd;
}

static void say_arrived(const struct kl_incoming_opts *o,
			const struct kl_incoming_result *res)
{
	const char *next = o->exit_after_load ? "loaded (--no-run: not starting it)"
					      : "the guest started";
	if (o->quiet)
		return;
	double mb = (double)res->stream_bytes / 1e6;
	printf("kvmlite incoming: stream complete and verified: %.1f MB in %.3f s "
	       "(%.0f MB/s), %llu pages + %llu zero pages; memory hash 0x%016llx; "
	       "%s",
	       mb, res->receive_seconds,
	       res->receive_seconds > 0 ? mb / res->receive_seconds : 0,
	       (unsigned long long)res->page_records,
	       (unsigned long long)res->zero_records,
	       (unsigned long long)res->memhash_at_resume, next);
	if (!o->exit_after_load)
		printf(" (%.3f ms after the ACK)", res->resume_gap * 1e3);
	printf("\n");
	if (res->postcopy_missing)
		printf("kvmlite incoming: post-copy: %llu pages missing at the switch, all arrived %.3f s after the guest started; "
		       "%llu remote faults (%llu pages requested), the guest waited %.3f s on them\n",
		       (unsigned long long)res->postcopy_missing, res->postcopy_window,
		       (unsigned long long)res->postcopy_faults,
		       (unsigned long long)res->postcopy_requests, res->postcopy_wait);
	fflush(stdout);
}

/* After the guest ran here: did it end well, and is its result right? */
static int check_guest(struct kl_vm *vm, const struct kl_incoming_opts *o,
		       struct kl_incoming_result *res, struct kl_err *e)
{
	struct kl_err why;
	if (kl_vm_error(vm)[0])
		return kl_fail(e, "guest failed after migration: %s", kl_vm_error(vm));
	if (!res->guest_ended)
		return 0;
	if (!o->quiet)
		kl_print_guest_report(vm, stdout);
	if (!o->verify)
		return 0;
	if (kl_verify_guest(vm, &why) < 0) {
		snprintf(res->verify, sizeof(res->verify), "%s", why.msg);
		return kl_fail(e, "verify: %s", why.msg);
	}
	if (res->postcopy && kl_postcopy_dst_check(res->postcopy, &res->postcopy_checked, &why) < 0) {
		snprintf(res->verify, sizeof(res->verify), "%s", why.msg);
		return kl_fail(e, "verify: %s", why.msg);
	}
	snprintf(res->verify, sizeof(res->verify), "ok");
	if (!o->quiet)
		printf("kvmlite incoming: verify: ok, the guest's results match a replay of its writes\n");
	if (!o->quiet && res->postcopy)
		printf("kvmlite incoming: verify: ok, the %llu pages the guest did not write here hold the source's content at its pause\n",
		       (unsigned long long)res->postcopy_checked);
	return 0;
}

int kl_incoming(const struct kl_config *cfg, const struct kl_incoming_opts *o,
		struct kl_incoming_result *res)
{
	struct kl_vm *vm = NULL;
	struct kl_err e = { "" };
	int fd = -1, ok = -1;

	memset(res, 0, sizeof(*res));
	if (kl_vm_create(&vm, cfg, &e) < 0)
		goto out;
	if (o->guest_path &&
	    guest_crc_of(o->guest_path, &vm->guest_crc, &vm->guest_len, &e) < 0)
		goto out;
	fd = take_connection(o, &e);
	if (fd < 0 || kl_receive_stream(vm, fd, o->io_timeout, !o->exit_after_load, res, &e) < 0)
		goto out;
	if (o->exit_after_load) {
		say_arrived(o, res);
		ok = 0;
		goto out;
	}
	/* Nothing between the ACK and the vCPUs: the source counts its
	 * downtime to the ACK, the guest to here. */
	if ((res->postcopy && o->verify && kl_postcopy_dst_watch(res->postcopy, &e) < 0) ||
	    kl_vm_start(vm, &e) < 0)
		goto out;
	res->resume_gap = kl_now() - res->t_ack;
	if (res->postcopy && kl_postcopy_dst_run(res->postcopy, res->t_ack + res->resume_gap,
						 res, &e) < 0)
		goto out;
	say_arrived(o, res);
	close(fd);
	fd = -1;
	res->guest_ended = kl_vm_wait_end(vm, o->run_timeout);
	ok = check_guest(vm, o, res, &e);
out:
	if (ok < 0)
		snprintf(res->error, sizeof(res->error), "%s", e.msg);
	if (o->result_json)
		kl_write_result_json(o->result_json, vm, res, NULL);
	if (fd >= 0)
		close(fd);
	kl_postcopy_dst_free(res->postcopy);
	res->postcopy = NULL;
	kl_vm_destroy(vm);
	return ok;
}
