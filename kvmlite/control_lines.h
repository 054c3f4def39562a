/*
 * control_lines.h - the control socket's input framing: bytes in, whole
 * lines out. A line longer than KL_LINE_MAX is refused as a whole (its
 * tail, whatever it says, is never run as a command) and so is a line
 * with a NUL byte in it (JSON text cannot contain one, and a C parser
 * would stop there and run the part before it).
 */
#ifndef KL_CONTROL_LINES_H
#define KL_CONTROL_LINES_H

#include <stdbool.h>
#include <stddef.h>

#define KL_LINE_MAX 8192 /* bytes of a command line, newline included */

struct kl_lines {
	char buf[KL_LINE_MAX];
	size_t len;
	bool too_long;  /* discarding up to the next newline */
	bool has_nul;   /* the line being read has a NUL in it */
};

/* For each line ended in data: on_line(ctx, line, NULL) with the line
 * NUL-terminated (no newline), or on_line(ctx, NULL, why) for a refused
 * one. A partial line is kept for the next call. */
void kl_lines_feed(struct kl_lines *l, const char *data, size_t n,
		   void (*on_line)(void *ctx, const char *line, const char *why),
		   void *ctx);

#endif
