/*
 * uffd.h - userfaultfd on guest memory, for post-copy's destination:
 * open a userfaultfd (the syscall, else /dev/userfaultfd), register a
 * range for missing-page faults, read fault events, and fill a page
 * (UFFDIO_COPY) or wake its waiters (UFFDIO_WAKE). Linux only.
 */
#ifndef KL_UFFD_H
#define KL_UFFD_H

#include <stdbool.h>
#include <stdint.h>

#include "kvmlite.h"

/* How the descriptor was obtained, for reports. */
enum kl_uffd_how { KL_UFFD_SYSCALL, KL_UFFD_DEVICE };

/* A non-blocking, close-on-exec userfaultfd with the API handshake
 * done. Tries userfaultfd(2) first, then /dev/userfaultfd; when both
 * fail, e names both reasons. Returns the fd or -1. */
int kl_uffd_open(enum kl_uffd_how *how, struct kl_err *e);
/* Only the syscall (how = SYSCALL) or only the device (DEVICE). */
int kl_uffd_open_by(enum kl_uffd_how how, struct kl_err *e);
const char *kl_uffd_how_name(enum kl_uffd_how how);

/* Register [addr, addr + len) for missing-page faults (both page
 * aligned); unregister it. */
int kl_uffd_register(int fd, void *addr, uint64_t len, struct kl_err *e);
int kl_uffd_unregister(int fd, void *addr, uint64_t len, struct kl_err *e);

/* The next fault, if one is queued: 1 with *addr (page aligned) and
 * *write set, 0 when none is waiting (EAGAIN), -1 on an error. Events
 * other than page faults are refused (none are enabled). */
int kl_uffd_next_fault(int fd, uint64_t *addr, bool *write, struct kl_err *e);

/* Place one 4 KiB page at dst (page aligned) from src and wake whoever
 * waits on it. 1 if this call placed it, 0 if it was already there (then
 * its waiters are woken anyway), -1 on an error. */
int kl_uffd_copy(int fd, void *dst, const void *src, struct kl_err *e);
/* Wake the threads waiting on [addr, addr + len). */
int kl_uffd_wake(int fd, void *addr, uint64_t len, struct kl_err *e);

#endif
