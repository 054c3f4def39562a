/*
 * settings_cli.h - the settings table (mplm.h) as command-line options:
 * the getopt_long entries and the help block, for every program that takes
 * migration settings (mplm-sim, kvmlite), so each option is declared once.
 */
#ifndef MPLM_SETTINGS_CLI_H
#define MPLM_SETTINGS_CLI_H

#include <getopt.h>
#include <stddef.h>

#include "mplm.h"

/* getopt_long's val for a setting is SETTINGS_CLI_VAL + its id. */
#define SETTINGS_CLI_VAL 0x1000

static inline bool settings_cli_is(int val)
{
	return val >= SETTINGS_CLI_VAL && val < SETTINGS_CLI_VAL + MPLM_SET_COUNT;
}

/* Write one `struct option` per setting not in `skip` (a bit per id) into
 * opts; returns how many. opts must have room for MPLM_SET_COUNT. */
size_t settings_cli_options(struct option *opts, unsigned skip);

/* The help lines of those settings: migration parameters with their
 * defaults taken from p, run settings with run_defaults[id] (NULL: none
 * shown). Returns the length needed, like snprintf. */
size_t settings_cli_help(char *buf, size_t len, unsigned skip,
			 const struct mplm_params *p,
			 const char *const run_defaults[MPLM_SET_COUNT]);

#endif
