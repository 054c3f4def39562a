/*
 * backend_sim.c - `backend = sim`: the trace-replay simulator (simulator/).
 */
#include "backend.h"

const struct backend backend_sim = {
	.name = "sim",
	.run = sim_run,
	.parallel_safe = true,
	.replays_traces = true,
	.modelled_costs = true,
};
