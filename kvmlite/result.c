/*
 * result.c - checking a guest's output against a host replay of its
 * writes, and writing a run's outcome as JSON (for tests and scripts).
 */
#include "migration.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "guests/wl.h"

int kl_expect_run(const struct kl_params *p, const uint64_t *writes,
		  struct kl_expect *out, struct kl_err *e)
{
	if (!p->nvcpus || p->nvcpus > KL_MAX_VCPUS || !p->wss_pages)
		return kl_fail(e, "guest parameters have no working set to replay");
	size_t bytes = p->wss_pages * WL_PAGE;
	uint8_t *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		return kl_fail_errno(e, "mmap %zu bytes for the replay", bytes);
	for (unsigned i = 0; i < p->nvcpus; i++) {
		struct wl w;
		wl_init(&w, p, i, mem);
		wl_run(&w, writes[i]);
		out[i].checksum = w.csum;
		out[i].vecsum = wl_vecsum(&w);
		out[i].memhash = wl_memhash(&w);
	}
	munmap(mem, bytes);
	return 0;
}

int kl_verify_guest(struct kl_vm *vm, struct kl_err *e)
{
	struct kl_params p;
	uint64_t writes[KL_MAX_VCPUS];
	struct kl_expect want[KL_MAX_VCPUS];

	memcpy(&p, kl_gpa(vm, KL_PARAMS_GPA), sizeof(p));
	if (p.pattern == KL_PAT_IDLE || p.pattern == KL_PAT_LIST)
		return 0;
	for (unsigned i = 0; i < vm->cfg.nvcpus; i++) {
		const struct kl_status *st = kl_vm_status(vm, i);
		if (!st->done)
			return kl_fail(e, "vCPU %u has not finished", i);
		writes[i] = st->writes;
	}
	if (kl_expect_run(&p, writes, want, e) < 0)
		return -1;
	for (unsigned i = 0; i < vm->cfg.nvcpus; i++) {
		const struct kl_status *st = kl_vm_status(vm, i);
		const char *what = st->checksum != want[i].checksum ? "checksum"
				 : st->vecsum != want[i].vecsum     ? "vecsum"
				 : st->memhash != want[i].memhash   ? "memhash"
								    : NULL;
		if (what)
			return kl_fail(e, "vCPU %u: %s differs from the replay of its %" PRIu64 " writes",
				       i, what, st->writes);
	}
	return 0;
}

static json_t *hex(uint64_t v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "0x%016" PRIx64, v);
	return json_string(buf);
}

static json_t *vcpu_json(struct kl_vm *vm, unsigned i)
{
	const struct kl_status *st = kl_vm_status(vm, i);
	const struct kl_dev_cpu *dc = &vm->dev.cpu[i];
	json_t *o = json_object();
	json_object_set_new(o, "index", json_integer(i));
	json_object_set_new(o, "done", json_boolean(st->done));
	json_object_set_new(o, "writes", json_integer((json_int_t)st->writes));
	json_object_set_new(o, "checksum", hex(st->checksum));
	json_object_set_new(o, "vecsum", hex(st->vecsum));
	json_object_set_new(o, "memhash", hex(st->memhash));
	json_object_set_new(o, "progress", json_integer((json_int_t)dc->progress));
	json_object_set_new(o, "exit-code", json_integer(dc->exit_code));
	return o;
}

/* What only the destination can measure of a post-copy migration. */
static json_t *postcopy_json(const struct kl_incoming_result *in)
{
	json_t *o = json_object();
	json_object_set_new(o, "missing-pages", json_integer((json_int_t)in->postcopy_missing));
	json_object_set_new(o, "placed-pages", json_integer((json_int_t)in->postcopy_pages));
	json_object_set_new(o, "remote-faults", json_integer((json_int_t)in->postcopy_faults));
	json_object_set_new(o, "postcopy-requests", json_integer((json_int_t)in->postcopy_requests));
	json_object_set_new(o, "wait-seconds", json_real(in->postcopy_wait));
	json_object_set_new(o, "window-seconds", json_real(in->postcopy_window));
	json_object_set_new(o, "unwritten-pages-checked", json_integer((json_int_t)in->postcopy_checked));
	return o;
}

int kl_write_result_json(const char *path, struct kl_vm *vm,
			 const struct kl_incoming_result *in, const char *error)
{
	json_t *o = json_object();
	const char *err = error ? error : in && in->error[0] ? in->error : NULL;

	json_object_set_new(o, "ok", json_boolean(!err));
	if (err)
		json_object_set_new(o, "error", json_string(err));
	if (in) {
		json_object_set_new(o, "memhash-at-resume", hex(in->memhash_at_resume));
		json_object_set_new(o, "stream-bytes", json_integer((json_int_t)in->stream_bytes));
		json_object_set_new(o, "page-records", json_integer((json_int_t)in->page_records));
		json_object_set_new(o, "zero-records", json_integer((json_int_t)in->zero_records));
		json_object_set_new(o, "receive-seconds", json_real(in->receive_seconds));
		json_object_set_new(o, "resume-gap-seconds", json_real(in->resume_gap));
		json_object_set_new(o, "guest-ended", json_boolean(in->guest_ended));
		if (in->postcopy_missing)
			json_object_set_new(o, "postcopy", postcopy_json(in));
	}
	if (vm && (!in || !in->error[0] || in->memhash_at_resume)) {
		json_t *list = json_array();
		for (unsigned i = 0; i < vm->cfg.nvcpus; i++)
			json_array_append_new(list, vcpu_json(vm, i));
		json_object_set_new(o, "vcpus", list);
		char *con = malloc(KL_CONSOLE_LOG);
		if (con) {
			kl_dev_console(&vm->dev, con, KL_CONSOLE_LOG);
			json_object_set_new(o, "console", json_string(con));
			free(con);
		}
	}
	int r = json_dump_file(o, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	return r;
}

static uint64_t hex_value(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? strtoull(s, NULL, 16) : 0;
}

int kl_read_result_json(const char *path, struct kl_result_file *r,
			struct kl_err *e)
{
	json_error_t je;
	json_t *o = json_load_file(path, 0, &je);

	memset(r, 0, sizeof(*r));
	if (!o)
		return kl_fail(e, "%s: %s", path, je.text);
	r->ok = json_is_true(json_object_get(o, "ok"));
	const char *err = json_string_value(json_object_get(o, "error"));
	if (err)
		snprintf(r->error, sizeof(r->error), "%s", err);
	r->memhash_at_resume = hex_value(o, "memhash-at-resume");
	r->stream_bytes = (uint64_t)json_integer_value(json_object_get(o, "stream-bytes"));
	r->resume_gap = json_number_value(json_object_get(o, "resume-gap-seconds"));
	json_t *pc = json_object_get(o, "postcopy");
	r->postcopy_missing = (uint64_t)json_integer_value(json_object_get(pc, "missing-pages"));
	r->postcopy_faults = (uint64_t)json_integer_value(json_object_get(pc, "remote-faults"));
	r->postcopy_requests = (uint64_t)json_integer_value(json_object_get(pc, "postcopy-requests"));
	r->postcopy_wait = json_number_value(json_object_get(pc, "wait-seconds"));
	r->postcopy_window = json_number_value(json_object_get(pc, "window-seconds"));
	r->postcopy_checked = (uint64_t)json_integer_value(json_object_get(pc, "unwritten-pages-checked"));
	json_t *list = json_object_get(o, "vcpus");
	for (size_t i = 0; i < json_array_size(list) && i < KL_MAX_VCPUS; i++) {
		json_t *v = json_array_get(list, i);
		r->vcpu[i].writes = (uint64_t)json_integer_value(json_object_get(v, "writes"));
		r->vcpu[i].checksum = hex_value(v, "checksum");
		r->vcpu[i].vecsum = hex_value(v, "vecsum");
		r->vcpu[i].memhash = hex_value(v, "memhash");
		r->vcpu[i].done = json_is_true(json_object_get(v, "done"));
		r->nvcpus = (unsigned)i + 1;
	}
	const char *con = json_string_value(json_object_get(o, "console"));
	if (con) {
		size_t n = strlen(con), keep = sizeof(r->console) - 1;
		snprintf(r->console, sizeof(r->console), "%s", n > keep ? con + n - keep : con);
	}
	json_decref(o);
	return 0;
}

void kl_print_guest_report(struct kl_vm *vm, FILE *f)
{
	const struct kl_params *p = kl_gpa(vm, KL_PARAMS_GPA);
	double hz = (double)vm->tsc_khz * 1000;
	double want = p->nvcpus ? (double)p->rate / (double)p->nvcpus : 0;

	for (unsigned i = 0; i < vm->cfg.nvcpus; i++) {
		const struct kl_status *st = kl_vm_status(vm, i);
		double secs = (double)(st->tsc_end - st->tsc_start - st->tsc_dropped) / hz;
		double rate = secs > 0 ? (double)st->writes / secs : 0;
		fprintf(f, "kvmlite: vCPU %u: %s, %" PRIu64 " page writes in %.3f s (%.0f/s), checksum 0x%016" PRIx64 "\n",
			i, st->done ? "finished" : "not finished", st->writes, secs,
			rate, st->checksum);
		if (st->done && want > 0 && rate < 0.95 * want &&
		    p->pattern != KL_PAT_IDLE && p->pattern != KL_PAT_LIST)
			fprintf(f, "kvmlite: warning: vCPU %u delivered %.0f page writes/s of the %.0f asked: the guest could not keep up\n",
				i, rate, want);
	}
}
