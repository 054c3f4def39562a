/*
 * control.h - the QMP-style control socket: JSON commands, one per line,
 * with QEMU's names (qmp_capabilities, migrate, migrate_cancel,
 * migrate-set-parameters, query-migrate, query-status, quit) and
 * qemu-mplm's (set-mplm-migration, set-mplm-extend-live,
 * set-mplm-end-live). See README.md for the list and arguments.
 */
#ifndef KL_CONTROL_H
#define KL_CONTROL_H

#include "migration.h"

struct kl_control;

/* Listen on addr ("unix:PATH", "PATH", or "tcp:HOST:PORT") and serve up
 * to 8 clients at once from a thread. A unix PATH must not exist yet
 * (only the socket made here is ever removed); a TCP HOST must be
 * loopback unless allow_remote. defaults: the migration parameters until
 * a client changes them. */
int kl_control_start(struct kl_vm *vm, const char *addr, bool allow_remote,
		     const struct kl_mig_opts *defaults,
		     struct kl_control **out, struct kl_err *e);
/* Cancels a running migration, stops the thread, removes the socket. */
void kl_control_stop(struct kl_control *c);
bool kl_control_quit_requested(struct kl_control *c);
bool kl_control_migrated(struct kl_control *c);
/* The TCP port when listening on tcp:...:0. */
int kl_control_port(struct kl_control *c);

/* One command, as the socket would run it: request and reply are JSON
 * text (the reply malloc'd). For tests and for scripts. */
char *kl_control_execute(struct kl_control *c, const char *request);

#endif
