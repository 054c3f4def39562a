/*
 * settings_cli.c - command-line options from the settings table.
 */
#include "settings_cli.h"

#include <stdio.h>

size_t settings_cli_options(struct option *opts, unsigned skip)
{
	size_t n = 0, count;
	const struct mplm_setting *t = mplm_settings(&count);
	for (size_t i = 0; i < count; i++) {
		if (skip & (1u << t[i].id))
			continue;
		opts[n++] = (struct option){ t[i].name, required_argument, NULL,
					     SETTINGS_CLI_VAL + (int)t[i].id };
	}
	return n;
}

size_t settings_cli_help(char *buf, size_t len, unsigned skip,
			 const struct mplm_params *p,
			 const char *const run_defaults[MPLM_SET_COUNT])
{
	size_t used = 0, count;
	const struct mplm_setting *t = mplm_settings(&count);
	for (size_t i = 0; i < count; i++) {
		char def[64];
		const char *shown = NULL;
		if (skip & (1u << t[i].id))
			continue;
		if (t[i].migration) {
			mplm_setting_format(&t[i], mplm_params_get(p, t[i].id),
					    def, sizeof(def));
			shown = def;
		} else if (run_defaults) {
			shown = run_defaults[t[i].id];
		}
		used += mplm_setting_help(&t[i], "--", shown,
					  used < len ? buf + used : NULL,
					  used < len ? len - used : 0);
	}
	return used;
}
