/*
 * units.c - numbers with units (see units.h).
 */
#include "units.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct suffix {
	const char *name;
	double factor;
};

static const char *skip_blanks(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return s;
}

/* The suffix [s, end) with trailing blanks removed equals name. */
static bool suffix_is(const char *s, const char *name, bool fold)
{
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n != strlen(name))
		return false;
	return fold ? strncasecmp(s, name, n) == 0 : strncmp(s, name, n) == 0;
}

/* A finite, non-negative decimal number followed by a suffix from the
 * table (or none, factor 1). */
static int parse_scaled(const char *s, const struct suffix *tab, bool fold,
			double *out)
{
	s = skip_blanks(s);
	if (!isdigit((unsigned char)*s) && *s != '.')
		return -1;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0)
		return -1;
	if (*skip_blanks(end) == '\0') {
		*out = v;
		return 0;
	}
	end = (char *)skip_blanks(end);
	for (const struct suffix *t = tab; t->name; t++) {
		if (suffix_is(end, t->name, fold)) {
			*out = v * t->factor;
			return isfinite(*out) ? 0 : -1;
		}
	}
	return -1;
}

static const struct suffix size_suffixes[] = {
	{ "B", 1 },
	{ "K", 1024.0 }, { "KB", 1024.0 }, { "KiB", 1024.0 },
	{ "M", 1048576.0 }, { "MB", 1048576.0 }, { "MiB", 1048576.0 },
	{ "G", 1073741824.0 }, { "GB", 1073741824.0 }, { "GiB", 1073741824.0 },
	{ "T", 1099511627776.0 }, { "TB", 1099511627776.0 },
	{ "TiB", 1099511627776.0 },
	{ NULL, 0 },
};

int units_parse_size(const char *s, uint64_t *out)
{
	double v;
	if (parse_scaled(s, size_suffixes, true, &v) || v >= 18446744073709551615.0)
		return -1;
	/* Whole bytes only: 1.5K is fine, 0.3 is not. */
	if (v != floor(v))
		return -1;
	*out = (uint64_t)v;
	return 0;
}

/* Case matters: b is bits, B is bytes. */
static const struct suffix bandwidth_suffixes[] = {
	{ "bps", 1.0 / 8 }, { "kbps", 1e3 / 8 }, { "Kbps", 1e3 / 8 },
	{ "Mbps", 1e6 / 8 }, { "Gbps", 1e9 / 8 }, { "Tbps", 1e12 / 8 },
	{ "B/s", 1 }, { "kB/s", 1e3 }, { "KB/s", 1e3 }, { "MB/s", 1e6 },
	{ "GB/s", 1e9 }, { "KiB/s", 1024.0 }, { "MiB/s", 1048576.0 },
	{ "GiB/s", 1073741824.0 },
	{ NULL, 0 },
};

int units_parse_bandwidth(const char *s, double *out)
{
	double v;
	if (parse_scaled(s, bandwidth_suffixes, false, &v) < 0 || v <= 0)
		return -1;
	*out = v;
	return 0;
}

/* Rates written like sizes (QEMU's HMP reads "125M" as 125 MiB/s, many
 * people mean 125 Mbps) or with a bare "b": which one was meant cannot be
 * told, so they are refused with the two spellings that can. */
const char *units_bandwidth_hint(const char *s)
{
	static const char *const ambiguous[] = {
		"K", "M", "G", "T", "k", "m", "g", "t",
		"Kb", "Mb", "Gb", "Tb", "kb", "mb", "gb", "tb",
		"KB", "MB", "GB", "TB", "KiB", "MiB", "GiB", "TiB", NULL,
	};
	char *end;
	s = skip_blanks(s);
	strtod(s, &end);
	if (end == s)
		return "expected a rate such as 1Gbps, 100Mbps, 125MB/s or 125000000 (bytes/s)";
	end = (char *)skip_blanks(end);
	for (size_t i = 0; ambiguous[i]; i++)
		if (suffix_is(end, ambiguous[i], false))
			return "ambiguous rate: write bits as Gbps/Mbps or bytes as GB/s, MB/s, GiB/s, MiB/s";
	return "expected a rate such as 1Gbps, 100Mbps, 125MB/s or 125000000 (bytes/s)";
}

static const struct suffix count_suffixes[] = {
	{ "k", 1e3 }, { "K", 1e3 }, { "M", 1e6 }, { "G", 1e9 },
	{ NULL, 0 },
};

int units_parse_count(const char *s, double *out)
{
	return parse_scaled(s, count_suffixes, false, out);
}

static const struct suffix time_suffixes[] = {
	{ "s", 1 }, { "ms", 1e-3 }, { "us", 1e-6 }, { "ns", 1e-9 }, { "min", 60 },
	{ "h", 3600 },
	{ NULL, 0 },
};

int units_parse_seconds(const char *s, double *out)
{
	return parse_scaled(s, time_suffixes, false, out);
}

int units_parse_duration(const char *s, double bare_unit, double *out)
{
	double v;
	if (parse_scaled(s, time_suffixes, false, &v) < 0)
		return -1;
	/* A number with no suffix is in the setting's own unit. */
	char *end;
	strtod(skip_blanks(s), &end);
	*out = *skip_blanks(end) ? v : v * bare_unit;
	return 0;
}

int units_parse_uint(const char *s, uint64_t *out)
{
	s = skip_blanks(s);
	if (!isdigit((unsigned char)*s))
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *skip_blanks(end) != '\0')
		return -1;
	*out = v;
	return 0;
}

int units_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	for (size_t i = 0; i < 4; i++) {
		if (suffix_is(skip_blanks(s), yes[i], true)) {
			*out = true;
			return 0;
		}
		if (suffix_is(skip_blanks(s), no[i], true)) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

int units_split_list(const char *s, int (*fn)(const char *item, void *arg),
		     void *arg)
{
	char item[256];
	while (*s) {
		while (*s == ',' || isspace((unsigned char)*s))
			s++;
		size_t n = strcspn(s, ", \t\r\n");
		if (n == 0)
			break;
		if (n >= sizeof(item))
			return -1;
		memcpy(item, s, n);
		item[n] = '\0';
		int rc = fn(item, arg);
		if (rc)
			return rc;
		s += n;
	}
	return 0;
}

void units_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const names[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	size_t i = 0;
	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	snprintf(buf, len, "%.4g %s", v, names[i]);
}

void units_format_bandwidth(double bytes_per_s, char *buf, size_t len)
{
	static const char *const names[] = { "bps", "Kbps", "Mbps", "Gbps",
					      "Tbps" };
	double v = bytes_per_s * 8;
	size_t i = 0;
	while (v >= 1000 && i < 4) {
		v /= 1000;
		i++;
	}
	snprintf(buf, len, "%.4g %s", v, names[i]);
}
