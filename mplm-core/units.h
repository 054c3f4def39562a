/*
 * units.h - numbers with units, as every mplm-lab tool reads them (command
 * lines, workload specs, experiment files).
 *
 * Sizes are binary (8G = 8 GiB, as QEMU's -m reads it); bandwidths follow
 * network usage (1Gbps = 10^9 bits/s = 125,000,000 bytes/s); durations are
 * seconds unless they end in ms or min. Every parser takes the whole string
 * (surrounding blanks allowed) and returns -1 on junk, a sign where none is
 * allowed, or overflow.
 */
#ifndef MPLM_UNITS_H
#define MPLM_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "8G", "512M", "4096", "8GiB", "1.5G": bytes. */
int units_parse_size(const char *s, uint64_t *out);
/* "1Gbps", "100Mbps", "125000000" (B/s), "100MB/s", "1GiB/s": bytes/s,
 * > 0. Case matters (b bits, B bytes); "1G", "125M" and "1Gb" are refused
 * as ambiguous. */
int units_parse_bandwidth(const char *s, double *out);
/* Why s is not a bandwidth, in words that say what to write instead. */
const char *units_bandwidth_hint(const char *s);
/* A count with an optional decimal suffix: "60000", "60k", "1.5M". */
int units_parse_count(const char *s, double *out);
/* "0.3", "300ms", "2min", "10s": seconds (>= 0). */
int units_parse_seconds(const char *s, double *out);
/* The same, but a bare number is in units of bare_unit seconds (0.001 for
 * a setting counted in ms, as QEMU's downtime-limit): "300" = 0.3 s. */
int units_parse_duration(const char *s, double bare_unit, double *out);
/* A non-negative decimal integer. */
int units_parse_uint(const char *s, uint64_t *out);
/* true/false, yes/no, on/off, 1/0. */
int units_parse_bool(const char *s, bool *out);

/* Split a list "a, b c" on commas and blanks; calls fn for each item (a
 * NUL-terminated copy) and stops at the first nonzero return. */
int units_split_list(const char *s, int (*fn)(const char *item, void *arg),
		     void *arg);

/* "8 GiB", "512 MiB", "1.5 GiB": for titles and tables. */
void units_format_size(uint64_t bytes, char *buf, size_t len);
/* "1 Gbps", "100 Mbps". */
void units_format_bandwidth(double bytes_per_s, char *buf, size_t len);

#endif
