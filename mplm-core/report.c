/*
 * report.c - QEMU's reports: `info migrate` text and the `query-migrate`
 * JSON object, plus qemu-mplm's per-sync lines. Formatting only: the
 * caller decides where the text goes.
 */
#include "mplm.h"

#include <jansson.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t ms(double seconds) { return (uint64_t)(seconds * 1000 + 0.5); }

/* Appends to buf like snprintf, keeping track of what is left. */
struct textbuf {
	char *p;
	size_t left, need;
};

static void tb_printf(struct textbuf *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(t->p, t->left, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	t->need += (size_t)n;
	size_t used = (size_t)n < t->left ? (size_t)n : t->left;
	t->p += used;
	t->left -= used;
}

size_t mplm_format_info_migrate(const struct mplm_stats *st, char *buf,
				size_t len)
{
	struct textbuf t = { buf, len, 0 };
	bool done = st->status == MPLM_STATUS_COMPLETED;

	tb_printf(&t, "Migration status: %s\n", mplm_status_name(st->status));
	if ((st->status == MPLM_STATUS_FAILED || st->status == MPLM_STATUS_UNKNOWN) &&
	    st->error)
		tb_printf(&t, "error: %s\n", st->error);
	tb_printf(&t, "total time: %" PRIu64 " milliseconds\n", ms(st->total_time));
	if (done)
		tb_printf(&t, "downtime: %" PRIu64 " milliseconds\n", ms(st->downtime));
	tb_printf(&t, "setup: %" PRIu64 " milliseconds\n", ms(st->setup_time));
	tb_printf(&t, "transferred ram: %" PRIu64 " kbytes\n", st->transferred >> 10);
	tb_printf(&t, "throughput: %0.2f mbps\n", st->mbps);
	tb_printf(&t, "remaining ram: %" PRIu64 " kbytes\n", st->remaining >> 10);
	tb_printf(&t, "total ram: %" PRIu64 " kbytes\n", st->total >> 10);
	tb_printf(&t, "duplicate: %" PRIu64 " pages\n", st->duplicate);
	tb_printf(&t, "skipped: 0 pages\n");
	tb_printf(&t, "normal: %" PRIu64 " pages\n", st->normal);
	tb_printf(&t, "normal bytes: %" PRIu64 " kbytes\n", st->normal_bytes >> 10);
	tb_printf(&t, "dirty sync count: %" PRIu64 "\n", st->dirty_sync_count);
	/* QEMU prints it while auto-converge throttles. */
	if (st->cpu_throttle_percentage)
		tb_printf(&t, "cpu throttle percentage: %u\n", st->cpu_throttle_percentage);
	/* QEMU 2.9's hmp_info_migrate prints it once there is one. */
	if (st->postcopy_requests)
		tb_printf(&t, "postcopy request count: %" PRIu64 "\n", st->postcopy_requests);
	return t.need;
}

size_t mplm_format_sync_record(const struct mplm_sync_record *r,
			       uint64_t pages, char *buf, size_t len)
{
	struct textbuf t = { buf, len, 0 };
	double nd_share = r->slots_total ? 100.0 * (double)r->slots_nd /
						   (double)r->slots_total
					 : 0;
	tb_printf(&t,
		  "sync %u%s: t=%.3fs interval=%.3fs total=%" PRIu64
		  " dirtied=%" PRIu64 " D=%" PRIu64 " ND=%" PRIu64
		  " sent-D=%" PRIu64 " sent-ND=%" PRIu64 " ND-slots=%.1f%%",
		  r->index, r->final ? " (final)" : "", r->time, r->interval,
		  pages, r->dirtied, r->d_size, r->nd_size, r->sent_d,
		  r->sent_nd, nd_share);
	if (r->throttle) /* auto-converge's, in force after this sync */
		tb_printf(&t, " throttle=%u%%", r->throttle);
	tb_printf(&t, "\n");
	return t.need;
}

static json_t *sync_record_json(const struct mplm_sync_record *r)
{
	return json_pack("{s:I, s:f, s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b,"
			 " s:I, s:s, s:f, s:f, s:s}",
			 "index", (json_int_t)r->index, "time", r->time,
			 "interval", r->interval, "dirtied", (json_int_t)r->dirtied,
			 "d-size", (json_int_t)r->d_size,
			 "nd-size", (json_int_t)r->nd_size,
			 "sent-d", (json_int_t)r->sent_d,
			 "sent-nd", (json_int_t)r->sent_nd,
			 "slots-nd", (json_int_t)r->slots_nd,
			 "slots-total", (json_int_t)r->slots_total,
			 "bytes", (json_int_t)r->bytes, "final", r->final,
			 "throttle", (json_int_t)r->throttle,
			 "cause", mplm_sync_cause_name(r->cause),
			 "bandwidth", r->bandwidth, "threshold", r->threshold,
			 "verdict", mplm_verdict_name(r->verdict));
}

char *mplm_query_migrate_json(const struct mplm_stats *st,
			      const struct mplm_params *params,
			      const struct mplm_sync_record *syncs,
			      size_t nsyncs)
{
	json_t *ram = json_pack(
		"{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f}",
		"transferred", (json_int_t)st->transferred,
		"remaining", (json_int_t)st->remaining,
		"total", (json_int_t)st->total,
		"duplicate", (json_int_t)st->duplicate, "skipped", (json_int_t)0,
		"normal", (json_int_t)st->normal,
		"normal-bytes", (json_int_t)st->normal_bytes,
		"dirty-sync-count", (json_int_t)st->dirty_sync_count,
		"mbps", st->mbps);
	json_object_set_new(ram, "postcopy-requests",
			    json_integer((json_int_t)st->postcopy_requests));
	json_t *o = json_pack("{s:s, s:I, s:I, s:o}", "status",
			      mplm_status_name(st->status), "total-time",
			      (json_int_t)ms(st->total_time), "setup-time",
			      (json_int_t)ms(st->setup_time), "ram", ram);
	if (!o)
		return NULL;
	if (st->status == MPLM_STATUS_COMPLETED)
		json_object_set_new(o, "downtime", json_integer((json_int_t)ms(st->downtime)));
	if ((st->status == MPLM_STATUS_FAILED || st->status == MPLM_STATUS_UNKNOWN) &&
	    st->error)
		json_object_set_new(o, "error-desc", json_string(st->error));
	if (st->cpu_throttle_percentage)
		json_object_set_new(o, "cpu-throttle-percentage",
				    json_integer(st->cpu_throttle_percentage));

	json_t *list = json_array();
	unsigned throttle_max = 0;
	for (size_t i = 0; i < nsyncs; i++) {
		json_array_append_new(list, sync_record_json(&syncs[i]));
		if (syncs[i].throttle > throttle_max)
			throttle_max = syncs[i].throttle;
	}
	json_t *mplm = json_pack(
		"{s:s, s:s, s:s, s:f, s:f, s:I, s:b, s:b, s:f, s:f, s:f, s:I, s:s, s:o}",
		"algorithm", mplm_algorithm_name(params->algorithm),
		"mplm-variant", mplm_variant_name(params->mplm_variant),
		"threshold-bandwidth",
		mplm_threshold_bandwidth_name(params->threshold_bandwidth),
		"downtime-limit", params->downtime_limit * 1000,
		"max-bandwidth", params->max_bandwidth,
		"dirtypercents", (json_int_t)params->dirtypercents,
		"firstnondirty", params->firstnondirty,
		"relaxlivemig", params->relaxlivemig,
		"intervaltime", params->intervaltime,
		"live-time", st->live_time, "downtime-exact", st->downtime,
		"state-bytes", (json_int_t)st->state_bytes,
		"verdict", mplm_verdict_name(st->verdict), "syncs", list);
	json_object_set_new(mplm, "auto-converge", json_boolean(params->auto_converge));
	json_object_set_new(mplm, "cpu-throttle-max", json_integer(throttle_max));
	json_object_set_new(mplm, "postcopy-ram", json_boolean(params->postcopy_ram));
	json_object_set_new(mplm, "postcopy-after-passes",
			    json_integer(params->postcopy_after_passes));
	json_object_set_new(mplm, "postcopy-pages", json_integer((json_int_t)st->postcopy_pages));
	json_object_set_new(mplm, "postcopy-wait", json_real(st->postcopy_wait));
	json_object_set_new(mplm, "postcopy-time", json_real(st->postcopy_time));
	json_object_set_new(o, "mplm", mplm);
	char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}
