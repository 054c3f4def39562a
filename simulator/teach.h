/*
 * teach.h - teaching mode: a simulated migration recorded sync by sync,
 * for the narration (explain.c), the memory maps (memmap.c) and the
 * interactive step mode (step.c).
 *
 * teach_record() runs sim_run() with an observer that keeps, after every
 * dirty log sync, the sync record, how many pages are in each state, and a
 * picture of memory: one cell per page, or per group of pages when the VM
 * has more pages than the picture has cells (the cell shows the state most
 * of its pages are in).
 */
#ifndef MPLM_TEACH_H
#define MPLM_TEACH_H

#include <stddef.h>
#include <stdint.h>

#include "sim.h"

#define TEACH_NSTATES (SIM_PAGE_CLEAN + 1)

/* The state of memory right after one dirty log sync. */
struct teach_frame {
	struct mplm_sync_record rec;
	uint64_t count[TEACH_NSTATES]; /* pages in each state, exact */
	uint8_t *cells;                /* ncells enum sim_page_state values */
};

struct teach_run {
	struct sim_config cfg;   /* as run (observer fields are ours) */
	struct sim_result res;   /* sim_run's result */
	int rc;                  /* sim_run's return */
	uint64_t pages;          /* VM pages */
	uint32_t page_size;      /* bytes (0 if the run did not start) */
	uint64_t max_cells;      /* as asked */
	uint64_t pages_per_cell; /* >= 1 */
	uint64_t ncells;         /* ceil(pages / pages_per_cell) */
	struct teach_frame *frames;
	size_t nframes, cap;
	int oom;                 /* a frame could not be stored */
	size_t max_frames;       /* 0: no limit */
	int too_many;            /* stopped at max_frames */
};

/* Run the simulation described by cfg, keeping a frame per sync with at
 * most max_cells cells. Returns 0 when the migration reached an end state;
 * -1 with run->res.error set otherwise (the frames so far are kept).
 * Free with teach_run_free whatever it returns. */
int teach_record(const struct sim_config *cfg, uint64_t max_cells,
		 struct teach_run *run);
/* The same, but the run is cancelled at its (max_frames + 1)th sync, and
 * teach_record_max returns -1 with "more than N dirty log syncs": what a
 * server keeps per request stays bounded. */
int teach_record_max(const struct sim_config *cfg, uint64_t max_cells,
		     size_t max_frames, struct teach_run *run);
void teach_run_free(struct teach_run *run);

/* The first page and one past the last page that cell i covers. */
uint64_t teach_cell_first(const struct teach_run *run, uint64_t cell);

/* The link's rate in bytes/s: the link, or max-bandwidth if lower. */
double teach_link_rate(const struct sim_config *cfg);

/* One character per state, distinct without colour ('.', 'n', 'u', 'D',
 * '#'), and a short description for legends. */
char teach_state_char(enum sim_page_state s);
const char *teach_state_label(enum sim_page_state s);

/* Numbers for people, as rvalues usable in one printf call:
 * teach_count(1234).s = "1,234", teach_real(157286.4, 1).s = "157,286.4",
 * teach_size(157286.4).s = "153.6 KiB". */
struct teach_num {
	char s[48];
};
struct teach_num teach_count(uint64_t v);
struct teach_num teach_real(double v, int decimals);
struct teach_num teach_size(double bytes);

#endif
