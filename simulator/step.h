/*
 * step.h - teaching mode's interactive step mode: a recorded run (teach.h)
 * shown one sync at a time in the terminal (memory map, narration), with
 * keys to go forward and back, and to change downtime-limit,
 * dirtypercents or the algorithm and replay.
 */
#ifndef MPLM_STEP_H
#define MPLM_STEP_H

#include <stdbool.h>
#include <stddef.h>

#include "sim.h"

/* Runs until the user quits. stdin and stdout must be a terminal. The
 * terminal is restored on every way out (quit, error, SIGINT, SIGTERM,
 * SIGHUP, SIGQUIT) and around a suspend (SIGTSTP). Returns 0, or -1 with
 * one line in err. */
int step_main(const struct sim_config *cfg, bool color, char *err,
	      size_t errlen);

#endif
