/*
 * api.h - mplm-lab-web's JSON API, apart from HTTP: a request's query
 * parameters checked one by one, then a teaching-mode run (teach.h) of
 * the simulator turned into one JSON document for the page.
 *
 * Every setting goes through mplm-core's settings table, as mplm-sim's
 * options do, the workload's keys through the generator's spec parser;
 * a request is refused, with one line naming the parameter, when it would
 * make the server simulate more than web_limits allows.
 */
#ifndef MPLM_WEB_API_H
#define MPLM_WEB_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim.h"

/* What one request may cost the server. */
struct web_limits {
	uint64_t max_pages;      /* VM size, pages */
	double max_time;         /* simulated seconds of migration */
	double max_writes;       /* rate x duration: page writes to generate */
	size_t max_syncs;        /* frames in one answer */
};
void web_limits_default(struct web_limits *lim);

/* One run, as the query string describes it. */
struct web_request {
	struct sim_config cfg;
	/* The workload, kept apart until web_request_finish builds the spec. */
	char pattern[16];
	char memory[32], wss[32], rate[32], duration[32], seed[32];
	char hot[32], skew[32], arrays[32];
	char spec[320];
	bool max_time_given;
	bool simple;             /* textbook costs: the link runs at max-bandwidth */
	bool link_given;         /* `bandwidth` was set */
	unsigned long long seen; /* a bit per parameter, to refuse repeats */
};

/* Defaults: the classroom VM of docs/teaching.md (256 pages over 512KiB/s,
 * --simple costs), MPLM with intervaltime 1, and the guide's textbook
 * algorithms (mplm-variant paper, relaxlivemig off, threshold-bandwidth
 * max-bandwidth; a request may set qemu-mplm's and QEMU's). */
void web_request_init(struct web_request *rq);
/* One query parameter. 0, or -1 with one line naming it in err. */
int web_request_set(struct web_request *rq, const char *name,
		    const char *value, char *err, size_t errlen);
/* After the last parameter: the workload spec and the limits. */
int web_request_finish(struct web_request *rq, const struct web_limits *lim,
		       char *err, size_t errlen);

/* Run it: a malloc'd JSON text (config, frames with cells and narration,
 * outcome, info migrate, query-migrate), or NULL with one line in err. */
char *web_run_json(const struct web_request *rq, const struct web_limits *lim,
		   char *err, size_t errlen);

/* The parameters the API takes, NULL-terminated, for /api/params. */
const char *const *web_param_names(void);

#endif
