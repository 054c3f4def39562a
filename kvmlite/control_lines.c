/*
 * control_lines.c - split a control client's bytes into command lines,
 * refusing over-long lines and NUL bytes (control_lines.h).
 */
#include "control_lines.h"

#include <string.h>

static void end_line(struct kl_lines *l,
		     void (*on_line)(void *ctx, const char *line, const char *why),
		     void *ctx)
{
	if (l->too_long)
		on_line(ctx, NULL, "command line longer than 8191 bytes: refused as a whole");
	else if (l->has_nul)
		on_line(ctx, NULL, "NUL byte inside a command line: refused");
	else {
		l->buf[l->len] = 0;
		on_line(ctx, l->buf, NULL);
	}
	l->len = 0;
	l->too_long = l->has_nul = false;
}

void kl_lines_feed(struct kl_lines *l, const char *data, size_t n,
		   void (*on_line)(void *ctx, const char *line, const char *why),
		   void *ctx)
{
	while (n) {
		const char *nl = memchr(data, '\n', n);
		size_t take = nl ? (size_t)(nl - data) : n;
		/* Keep what fits (room for the terminating NUL); past that
		 * the line is only scanned for its end. */
		if (!l->too_long && l->len + take < KL_LINE_MAX) {
			if (memchr(data, 0, take))
				l->has_nul = true;
			memcpy(l->buf + l->len, data, take);
			l->len += take;
		} else {
			l->too_long = true;
		}
		if (!nl)
			return;
		end_line(l, on_line, ctx);
		data += take + 1;
		n -= take + 1;
	}
}
