/*
 * backend.c - the table of back ends (see backend.h).
 */
#include "backend.h"

#include <stdio.h>
#include <string.h>

#include "mplm-config.h" /* MPLM_HAVE_KVMLITE */

extern const struct backend backend_sim;
#if MPLM_HAVE_KVMLITE
extern const struct backend backend_kvm;  /* backend_kvm.c */
#else
/* kvmlite needs linux/kvm.h on x86_64: without it, `backend = kvm` is
 * refused at its line, saying why. */
static const struct backend backend_kvm = {
	.name = "kvm",
	.missing = "this mplm-exp was built without kvmlite (it needs "
		   "linux/kvm.h on x86_64)",
};
#endif

static const struct backend *const table[] = { &backend_sim, &backend_kvm };

const struct backend *const *backend_all(size_t *n)
{
	*n = sizeof(table) / sizeof(table[0]);
	return table;
}

const struct backend *backend_find(const char *name)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (!strcmp(table[i]->name, name))
			return table[i];
	return NULL;
}

const struct backend *backend_default(void)
{
	return &backend_sim;
}

void backend_names(char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]) && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "",
				      table[i]->name);
}
