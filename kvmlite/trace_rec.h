/*
 * trace_rec.h - recording a real guest's dirty log as a format-1 trace.
 */
#ifndef KL_TRACE_REC_H
#define KL_TRACE_REC_H

#include "kvmlite.h"

struct kl_tracer;

/* Turn dirty logging on and write a trace of it every interval seconds
 * from now on. Call before the vCPUs start, so no write is missed. */
int kl_trace_start(struct kl_vm *vm, const char *path, double interval,
		   struct kl_tracer **out, struct kl_err *e);
/* Last interval, `e` line, close; dirty logging off. */
int kl_trace_stop(struct kl_tracer *t, struct kl_err *e);
uint64_t kl_trace_intervals(struct kl_tracer *t);
/* Time 0 of the trace, on kl_now's clock. */
double kl_trace_started_at(const struct kl_tracer *t);
void kl_trace_free(struct kl_tracer *t);

#endif
