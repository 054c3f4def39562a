/*
 * explain.h - teaching mode's narration: a plain-language paragraph per
 * dirty log sync of a recorded run (teach.h), saying what was sent from
 * which set, what the guest dirtied, and why the algorithm goes on or
 * stops. Every number and every reason is computed from the sync records,
 * the page counts and the parameters; nothing is canned.
 */
#ifndef MPLM_EXPLAIN_H
#define MPLM_EXPLAIN_H

#include <stdio.h>

#include "teach.h"

/* Texts are malloc'd (NULL on ENOMEM): a heading line, '\n', then the
 * paragraph on one line. explain_wrap lays them out. */
char *explain_sync(const struct teach_run *run, size_t frame);
/* How the run ended, after the last sync. */
char *explain_outcome(const struct teach_run *run);

/* Print text wrapped at `width` columns: the heading line as it is, the
 * paragraph indented by two spaces. */
void explain_wrap(FILE *out, const char *text, unsigned width);

#endif
