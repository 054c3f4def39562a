/*
 * static.h - the page's files, compiled into mplm-lab-web (embed.c writes
 * the table at build time), so the server reads nothing from disk and can
 * serve no file but these.
 */
#ifndef MPLM_WEB_STATIC_H
#define MPLM_WEB_STATIC_H

#include <stddef.h>

struct web_file {
	const char *path;         /* "/index.html" */
	const char *content_type;
	const unsigned char *data;
	size_t len;
};

/* Ends with an entry whose path is NULL. */
extern const struct web_file web_files[];

/* The file served at an exact request path ("/" is /index.html), or NULL. */
const struct web_file *web_file_find(const char *path);

#endif
