/*
 * static.c - looking up the page's compiled-in files (static.h).
 */
#include "static.h"

#include <string.h>

const struct web_file *web_file_find(const char *path)
{
	/* An exact match against the table: nothing in the path is ever
	 * used to reach the file system, so "..", "%2e%2e" or "//" lead
	 * nowhere. */
	if (strcmp(path, "/") == 0)
		path = "/index.html";
	for (const struct web_file *f = web_files; f->path; f++)
		if (strcmp(path, f->path) == 0)
			return f;
	return NULL;
}
