/*
 * uffd.c - see uffd.h. Kept apart from the post-copy logic so the probe
 * test (tests/test_uffd.c) exercises exactly what the destination uses.
 */
#include "uffd.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

const char *kl_uffd_how_name(enum kl_uffd_how how)
{
	return how == KL_UFFD_SYSCALL ? "userfaultfd(2)" : "/dev/userfaultfd";
}

static int raw_open(enum kl_uffd_how how)
{
	int flags = O_CLOEXEC | O_NONBLOCK;
	if (how == KL_UFFD_SYSCALL)
		return (int)syscall(SYS_userfaultfd, flags);
	int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -1;
	int fd = ioctl(dev, USERFAULTFD_IOC_NEW, flags);
	int saved = errno;
	close(dev);
	errno = saved;
	return fd;
}

/* No optional features: missing-page faults on private anonymous
 * memory are in every kernel that has userfaultfd. */
static int handshake(int fd, struct kl_err *e)
{
	struct uffdio_api api = { .api = UFFD_API };
	if (ioctl(fd, UFFDIO_API, &api) < 0)
		return kl_fail_errno(e, "UFFDIO_API");
	uint64_t need = 1ull << _UFFDIO_REGISTER | 1ull << _UFFDIO_UNREGISTER;
	if ((api.ioctls & need) != need)
		return kl_fail(e, "userfaultfd lacks REGISTER/UNREGISTER");
	return 0;
}

int kl_uffd_open_by(enum kl_uffd_how how, struct kl_err *e)
{
	int fd = raw_open(how);
	if (fd < 0)
		return kl_fail_errno(e, "%s", kl_uffd_how_name(how));
	if (handshake(fd, e) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int kl_uffd_open(enum kl_uffd_how *how, struct kl_err *e)
{
	struct kl_err first;
	int fd = kl_uffd_open_by(KL_UFFD_SYSCALL, &first);
	if (fd >= 0) {
		*how = KL_UFFD_SYSCALL;
		return fd;
	}
	fd = kl_uffd_open_by(KL_UFFD_DEVICE, e);
	if (fd >= 0) {
		*how = KL_UFFD_DEVICE;
		return fd;
	}
	char second[sizeof(e->msg)];
	memcpy(second, e->msg, sizeof(second));
	return kl_fail(e, "no userfaultfd: %.200s; %.200s (see "
		       "/proc/sys/vm/unprivileged_userfaultfd)", first.msg, second);
}

int kl_uffd_register(int fd, void *addr, uint64_t len, struct kl_err *e)
{
	struct uffdio_register r = {
		.range = { .start = (uintptr_t)addr, .len = len },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	if (ioctl(fd, UFFDIO_REGISTER, &r) < 0)
		return kl_fail_errno(e, "UFFDIO_REGISTER of %llu bytes",
				     (unsigned long long)len);
	if (!(r.ioctls & (1ull << _UFFDIO_COPY)))
		return kl_fail(e, "UFFDIO_COPY is not available on guest memory");
	return 0;
}

int kl_uffd_unregister(int fd, void *addr, uint64_t len, struct kl_err *e)
{
	struct uffdio_range r = { .start = (uintptr_t)addr, .len = len };
	if (ioctl(fd, UFFDIO_UNREGISTER, &r) < 0)
		return kl_fail_errno(e, "UFFDIO_UNREGISTER");
	return 0;
}

int kl_uffd_next_fault(int fd, uint64_t *addr, bool *write, struct kl_err *e)
{
	struct uffd_msg m;
	ssize_t n = read(fd, &m, sizeof(m));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n < 0)
		return kl_fail_errno(e, "reading userfaultfd");
	if (n != (ssize_t)sizeof(m) || m.event != UFFD_EVENT_PAGEFAULT)
		return kl_fail(e, "userfaultfd: unexpected event %u", m.event);
	*addr = m.arg.pagefault.address & ~(uint64_t)(KL_PAGE_SIZE - 1);
	*write = m.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WRITE;
	return 1;
}

int kl_uffd_copy(int fd, void *dst, const void *src, struct kl_err *e)
{
	struct uffdio_copy c = {
		.dst = (uintptr_t)dst, .src = (uintptr_t)src, .len = KL_PAGE_SIZE,
	};
	for (;;) {
		if (ioctl(fd, UFFDIO_COPY, &c) == 0)
			return 1;
		if (errno == EEXIST)
			return kl_uffd_wake(fd, dst, KL_PAGE_SIZE, e) < 0 ? -1 : 0;
		/* EAGAIN: the mapping changed under the copy; try again. */
		if (errno != EAGAIN || c.copy != -EAGAIN)
			return kl_fail_errno(e, "UFFDIO_COPY at %p", dst);
		c.copy = 0;
	}
}

int kl_uffd_wake(int fd, void *addr, uint64_t len, struct kl_err *e)
{
	struct uffdio_range r = { .start = (uintptr_t)addr, .len = len };
	if (ioctl(fd, UFFDIO_WAKE, &r) < 0)
		return kl_fail_errno(e, "UFFDIO_WAKE");
	return 0;
}
