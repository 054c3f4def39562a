/*
 * calibrate.h - `kvmlite calibrate`: a machine profile for mplm-sim,
 * measured on this host with real guests (see calibrate.c).
 */
#ifndef KL_CALIBRATE_H
#define KL_CALIBRATE_H

#include "cli.h"

/* Measure and write the profile to c->profile_out ("-" or NULL: stdout).
 * Returns the process exit status. */
int kl_calibrate(struct kl_cli *c);

#endif
