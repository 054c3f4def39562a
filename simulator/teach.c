/*
 * teach.c - record a simulated migration sync by sync (teach.h).
 */
#include "teach.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* When a cell's pages are split evenly, show the state that matters most
 * to the migration: work still queued before work done. */
static const enum sim_page_state tie_order[TEACH_NSTATES] = {
	SIM_PAGE_DIRTY, SIM_PAGE_UNSENT, SIM_PAGE_ND, SIM_PAGE_CLEAN,
	SIM_PAGE_ZERO,
};

static enum sim_page_state majority(const uint64_t n[TEACH_NSTATES])
{
	enum sim_page_state best = tie_order[0];
	for (int i = 1; i < TEACH_NSTATES; i++)
		if (n[tie_order[i]] > n[best])
			best = tie_order[i];
	return best;
}

uint64_t teach_cell_first(const struct teach_run *run, uint64_t cell)
{
	uint64_t p = cell * run->pages_per_cell;
	return p < run->pages ? p : run->pages;
}

static struct teach_frame *new_frame(struct teach_run *run)
{
	if (run->nframes == run->cap) {
		size_t cap = run->cap ? 2 * run->cap : 16;
		struct teach_frame *f = realloc(run->frames, cap * sizeof(*f));
		if (!f)
			return NULL;
		run->frames = f;
		run->cap = cap;
	}
	struct teach_frame *f = &run->frames[run->nframes];
	memset(f, 0, sizeof(*f));
	f->cells = malloc(run->ncells);
	if (!f->cells)
		return NULL;
	run->nframes++;
	return f;
}

/* At the first sync: the VM's size is known, choose the cell size. */
static void size_cells(struct teach_run *run, uint64_t pages)
{
	run->pages = pages;
	run->pages_per_cell = (pages + run->max_cells - 1) / run->max_cells;
	run->ncells = (pages + run->pages_per_cell - 1) / run->pages_per_cell;
}

/* The observer: one frame per sync. */
static void record_sync(void *arg, const struct sim_snapshot *snap)
{
	struct teach_run *run = arg;
	if (!run->pages)
		size_cells(run, snap->vm_pages);
	if (run->max_frames && run->nframes == run->max_frames) {
		if (!run->too_many)
			sim_cancel(snap);
		run->too_many = 1;
		return;
	}
	struct teach_frame *f = run->oom ? NULL : new_frame(run);
	if (!f) {
		run->oom = 1;
		return;
	}
	f->rec = *snap->rec;
	for (uint64_t c = 0; c < run->ncells; c++) {
		uint64_t in_cell[TEACH_NSTATES] = { 0 };
		uint64_t end = teach_cell_first(run, c + 1);
		for (uint64_t p = teach_cell_first(run, c); p < end; p++)
			in_cell[sim_page_state(snap, p)]++;
		for (int s = 0; s < TEACH_NSTATES; s++)
			f->count[s] += in_cell[s];
		f->cells[c] = (uint8_t)majority(in_cell);
	}
}

int teach_record(const struct sim_config *cfg, uint64_t max_cells,
		 struct teach_run *run)
{
	return teach_record_max(cfg, max_cells, 0, run);
}

int teach_record_max(const struct sim_config *cfg, uint64_t max_cells,
		     size_t max_frames, struct teach_run *run)
{
	memset(run, 0, sizeof(*run));
	run->cfg = *cfg;
	run->max_cells = max_cells ? max_cells : 1;
	run->max_frames = max_frames;

	run->cfg.observer = record_sync;
	run->cfg.observer_arg = run;
	run->rc = sim_run(&run->cfg, &run->res);
	if (run->res.vm_pages)
		run->page_size = (uint32_t)(run->res.stats.total / run->res.vm_pages);
	if (run->too_many) {
		snprintf(run->res.error, sizeof(run->res.error),
			 "more than %zu dirty log syncs", run->max_frames);
		run->rc = -1;
	} else if (run->oom && run->rc == 0) {
		snprintf(run->res.error, sizeof(run->res.error),
			 "out of memory for the memory maps of %zu syncs",
			 run->nframes);
		run->rc = -1;
	}
	return run->rc;
}

void teach_run_free(struct teach_run *run)
{
	for (size_t i = 0; i < run->nframes; i++)
		free(run->frames[i].cells);
	free(run->frames);
	run->frames = NULL;
	run->nframes = run->cap = 0;
	sim_result_free(&run->res);
}

double teach_link_rate(const struct sim_config *cfg)
{
	return mplm_wire_rate(cfg->link_bandwidth, cfg->params.max_bandwidth);
}

char teach_state_char(enum sim_page_state s)
{
	static const char chars[TEACH_NSTATES] = {
		[SIM_PAGE_ZERO] = '.', [SIM_PAGE_ND] = 'n',
		[SIM_PAGE_UNSENT] = 'u', [SIM_PAGE_DIRTY] = 'D',
		[SIM_PAGE_CLEAN] = '#',
	};
	return (unsigned)s < TEACH_NSTATES ? chars[s] : '?';
}

const char *teach_state_label(enum sim_page_state s)
{
	static const char *const labels[TEACH_NSTATES] = {
		[SIM_PAGE_ZERO] = "zero page, not sent yet",
		[SIM_PAGE_ND] = "ND, never sent",
		[SIM_PAGE_UNSENT] = "in D, never sent",
		[SIM_PAGE_DIRTY] = "in D, dirty again",
		[SIM_PAGE_CLEAN] = "sent and clean",
	};
	return (unsigned)s < TEACH_NSTATES ? labels[s] : "?";
}

/* Digits with a comma every three, from a plain decimal rendering. */
static struct teach_num group_digits(const char *plain)
{
	struct teach_num n;
	const char *dot = strchr(plain, '.');
	size_t neg = plain[0] == '-', intlen = (dot ? (size_t)(dot - plain) : strlen(plain)) - neg;
	size_t o = 0;

	if (neg)
		n.s[o++] = '-';
	for (size_t i = 0; i < intlen && o + 2 < sizeof(n.s); i++) {
		if (i && (intlen - i) % 3 == 0)
			n.s[o++] = ',';
		n.s[o++] = plain[neg + i];
	}
	snprintf(n.s + o, sizeof(n.s) - o, "%s", dot ? dot : "");
	return n;
}

struct teach_num teach_count(uint64_t v)
{
	char plain[32];
	snprintf(plain, sizeof(plain), "%llu", (unsigned long long)v);
	return group_digits(plain);
}

struct teach_num teach_real(double v, int decimals)
{
	char plain[48];
	snprintf(plain, sizeof(plain), "%.*f", decimals, v);
	return group_digits(plain);
}

struct teach_num teach_size(double bytes)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB" };
	struct teach_num n;
	if (bytes < 1024) {
		snprintf(n.s, sizeof(n.s), "%.0f byte%s", bytes, bytes == 1 ? "" : "s");
		return n;
	}
	int u = 0;
	for (bytes /= 1024; bytes >= 1024 && u < 3; u++)
		bytes /= 1024;
	snprintf(n.s, sizeof(n.s), "%.1f %s", bytes, unit[u]);
	return n;
}
