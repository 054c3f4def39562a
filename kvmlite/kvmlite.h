/*
 * kvmlite.h - a minimal KVM VMM: the pieces main.c and the tests put
 * together. One file per concern:
 *
 *   vm.c          the VM, guest memory in slots, page tables, guest loading
 *   vcpu.c        vCPUs: boot state, the run loop thread, pause, state I/O
 *   devices.c     the port-I/O device: console, progress, result, sleep
 *   dirtylog.c    KVM's dirty log: bitmaps (+ manual clear) or dirty rings
 *   stream.c      the migration stream: records, CRC32C, buffered wire
 *   migrate_src.c the mplm-core back end that sends a running VM
 *   migrate_dst.c the destination: receive, verify, then run
 *   control.c     the QMP-style control socket
 *   trace_rec.c   `run --record-trace`: the dirty log as a format-1 trace
 *
 * Functions that can fail return 0 / -1 and leave a message in an error
 * buffer (struct kl_err) the caller prints.
 */
#ifndef KVMLITE_H
#define KVMLITE_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "guests/guest_abi.h"
#include "mplm.h"

#define KL_PAGE_SIZE 4096u
#define KL_PAGE_SHIFT 12
#define KL_MAX_SLOTS 32
#define KL_HUGE (2ull << 20)
#define KL_MAX_MSRS 32

struct kl_err {
	char msg[512];
};
/* Sets e->msg like printf; returns -1 so callers can `return kl_fail(...)`. */
int kl_fail(struct kl_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Same, with ": strerror(errno)" appended. */
int kl_fail_errno(struct kl_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
double kl_now(void); /* CLOCK_MONOTONIC, seconds */

/* ------------------------------------------------------------------ */
/* VM configuration: what both ends of a migration must agree on. */

enum kl_log_mode { KL_LOG_BITMAP, KL_LOG_RING };

struct kl_config {
	uint64_t mem_bytes;   /* a multiple of 2 MiB */
	unsigned nvcpus;
	unsigned nslots;      /* guest memory split into this many slots */
	unsigned cpl;         /* 3 (runs natively under PVM) or 0 */
	enum kl_log_mode log_mode;
	uint32_t ring_entries;  /* dirty ring entries per vCPU (power of 2) */
	bool no_clear_log;      /* never use KVM_CLEAR_DIRTY_LOG */
	bool quiet;             /* console lines not echoed to stdout */
	bool prealloc;          /* fault all guest RAM in at creation (a
	                         * destination, so pages arrive at full speed) */
};

void kl_config_default(struct kl_config *c);
int kl_config_check(const struct kl_config *c, struct kl_err *e);

/* ------------------------------------------------------------------ */
/* Devices (devices.c): one port-I/O device, per-vCPU console lines,
 * progress counters and the final result. */

#define KL_CONSOLE_LINE 256
#define KL_CONSOLE_LOG (64 * 1024)

struct kl_dev_cpu {
	uint64_t progress;   /* page writes reported through KL_PORT_PROGRESS */
	uint32_t exit_code;
	uint32_t panic_code;
	bool done;
	bool panicked;
	uint32_t line_len;
	char line[KL_CONSOLE_LINE];
};

struct kl_vcpu;
/* Called on `in KL_PORT_BARRIER`, from that vCPU's thread. */
typedef uint32_t (*kl_barrier_fn)(void *ctx, struct kl_vcpu *v);

struct kl_devices {
	pthread_mutex_t lock;
	unsigned nvcpus;
	struct kl_dev_cpu cpu[KL_MAX_VCPUS];
	bool quiet;
	char log[KL_CONSOLE_LOG]; /* the last console lines, for tests */
	size_t log_len;
	kl_barrier_fn barrier;
	void *barrier_ctx;
};

void kl_dev_init(struct kl_devices *d, unsigned nvcpus, bool quiet);
void kl_dev_destroy(struct kl_devices *d);
enum kl_pio_result { KL_PIO_CONTINUE, KL_PIO_DONE, KL_PIO_FAIL };
enum kl_pio_result kl_dev_pio(struct kl_vcpu *v, struct kvm_run *run);
/* Device state on the wire: fixed-size little-endian records. */
size_t kl_dev_state_size(const struct kl_devices *d);
void kl_dev_save(struct kl_devices *d, uint8_t *out);
int kl_dev_load(struct kl_devices *d, const uint8_t *in, size_t len,
		struct kl_err *e);
uint64_t kl_dev_progress(struct kl_devices *d); /* sum over vCPUs */
/* Copy of the console log (NUL-terminated, truncated to len). */
void kl_dev_console(struct kl_devices *d, char *buf, size_t len);

/* ------------------------------------------------------------------ */
/* VM and memory (vm.c). */

struct kl_slot {
	uint32_t id;
	uint64_t gpa, size;
	uint8_t *hva;
	uint64_t first_page, npages;
};

enum kl_vcpu_state { KL_VCPU_NEW, KL_VCPU_RUNNING, KL_VCPU_PARKED,
		     KL_VCPU_DONE, KL_VCPU_FAILED };

struct kl_dirty_gfn;

struct kl_vcpu {
	struct kl_vm *vm;
	unsigned index;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool has_thread;
	enum kl_vcpu_state state; /* under vm->lock */
	bool start_parked;       /* thread parks before its first KVM_RUN */
	/* Auto-converge's throttle: sleep this long at the next exit (under
	 * vm->lock); the seconds slept so far (throttle.c). */
	uint64_t throttle_ns;
	double throttled;
	/* Dirty ring (KL_LOG_RING). */
	struct kvm_dirty_gfn *ring;
	uint32_t ring_next;
	char error[256];
};

struct kl_dirtylog;
struct kl_throttle;

struct kl_vm {
	struct kl_config cfg;
	int kvm_fd, vm_fd;
	uint8_t *mem;
	uint64_t pages;
	struct kl_slot slots[KL_MAX_SLOTS];
	unsigned nslots;
	uint32_t tsc_khz;
	size_t run_size;
	struct kvm_cpuid2 *cpuid;
	struct kl_vcpu vcpus[KL_MAX_VCPUS];
	struct kl_devices dev;
	struct kl_dirtylog *log;
	struct kl_throttle *throttle; /* NULL until auto-converge throttles */
	uint32_t guest_crc;  /* CRC-32C of the guest image, 0 = not known */
	uint64_t guest_len;

	/* Run control, under lock. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool pause_req;
	bool quit;
	unsigned nthreads;        /* vCPU threads started */
	unsigned nparked, nended; /* of those: parked, finished */
	char error[256];          /* first vCPU failure */

	/* MSRs migrated: the ones kvmlite wants that this KVM lists. */
	uint32_t msrs[KL_MAX_MSRS];
	unsigned nmsrs;
};

int kl_vm_create(struct kl_vm **out, const struct kl_config *cfg,
		 struct kl_err *e);
/* Stops and joins every vCPU thread, frees everything. */
void kl_vm_destroy(struct kl_vm *vm);
/* Page tables, GDT, TSS, parameter page, the guest image; then the boot
 * register state of every vCPU. */
int kl_vm_load_guest(struct kl_vm *vm, const void *image, size_t len,
		     const struct kl_params *params, struct kl_err *e);
int kl_vm_load_guest_file(struct kl_vm *vm, const char *path,
			  const struct kl_params *params, struct kl_err *e);
static inline void *kl_gpa(struct kl_vm *vm, uint64_t gpa)
{
	return vm->mem + gpa;
}
const struct kl_status *kl_vm_status(struct kl_vm *vm, unsigned vcpu);
/* Hash of all guest RAM, page by page. */
uint64_t kl_vm_memhash(struct kl_vm *vm);
/* The same hash from per-page hashes (kl_page_hash of each page's
 * content), so a destination can hash pages as they arrive instead of
 * all of memory while the guest waits to run. */
uint64_t kl_page_hash(uint64_t page, const void *data);
uint64_t kl_memhash_of(const uint64_t *page_hash, uint64_t pages);
uint32_t kl_host_tsc_khz(int kvm_fd, int vcpu_fd);

/* Run control (vcpu.c). */
int kl_vm_start(struct kl_vm *vm, struct kl_err *e); /* start all vCPUs */
void kl_vm_pause(struct kl_vm *vm);   /* returns once every vCPU is parked */
/* Auto-converge's CPU throttle (throttle.c): vCPUs run 100 - pct percent
 * of the time, QEMU's way; 0 stops it. */
void kl_vm_set_throttle(struct kl_vm *vm, unsigned pct);
void kl_vm_throttle_free(struct kl_vm *vm);
/* Seconds a vCPU slept throttled, on average over the vCPUs. */
double kl_vm_throttled_seconds(struct kl_vm *vm);
/* From a vCPU thread between two KVM_RUNs. */
void kl_vcpu_sleep_if_throttled(struct kl_vcpu *v);
void kl_vm_resume(struct kl_vm *vm);
/* Wait until every vCPU is done or failed, at most timeout s (<= 0: no
 * limit). Returns 1 when all ended, 0 on timeout. */
int kl_vm_wait_end(struct kl_vm *vm, double timeout);
bool kl_vm_all_ended(struct kl_vm *vm);
/* First vCPU failure message, "" if none. */
const char *kl_vm_error(struct kl_vm *vm);

/* ------------------------------------------------------------------ */
/* vCPUs (vcpu.c). */

int kl_vcpu_create(struct kl_vm *vm, unsigned index, struct kl_err *e);
int kl_vcpu_boot_state(struct kl_vcpu *v, struct kl_err *e);
void kl_vcpu_destroy(struct kl_vcpu *v);

/* Saved vCPU state: KVM's own structures, plus the MSRs kvmlite uses. */
struct kl_vcpu_saved {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_vcpu_events events;
	struct kvm_xcrs xcrs;
	bool has_xcrs;
	uint8_t *xsave;  /* KVM_GET_XSAVE(2) area, xsave_len bytes */
	uint32_t xsave_len;
	struct kvm_fpu fpu; /* only without XSAVE */
	uint32_t nmsrs;
	uint32_t msr_index[KL_MAX_MSRS];
	uint64_t msr_value[KL_MAX_MSRS];
	uint32_t run_state; /* enum kl_vcpu_state at save time */
};

int kl_vcpu_save(struct kl_vcpu *v, struct kl_vcpu_saved *s, struct kl_err *e);
int kl_vcpu_load(struct kl_vcpu *v, const struct kl_vcpu_saved *s,
		 struct kl_err *e);
void kl_vcpu_state_free(struct kl_vcpu_saved *s);
/* Size of the XSAVE area this KVM uses (0 without XSAVE). */
uint32_t kl_xsave_size(struct kl_vm *vm);

/* ------------------------------------------------------------------ */
/* Dirty log (dirtylog.c). Bitmap layout: bit i of word i/64 = page i of
 * guest RAM, the layout of mplm_bitmap. */

/* Must run before the vCPUs are created (rings are per vCPU). */
int kl_dirtylog_init(struct kl_vm *vm, struct kl_err *e);
int kl_dirtylog_vcpu_init(struct kl_vcpu *v, struct kl_err *e);
void kl_dirtylog_free(struct kl_vm *vm);
/* Every consumer of the log (the migration, the trace recorder) reads it
 * through a reader of its own: reading KVM's log clears it, so one reader
 * pulls for all. The first attach turns logging on for every slot, the
 * last detach turns it off; a reader's first read reports only writes
 * after its attach. */
struct kl_dirty_reader;
struct kl_dirty_reader *kl_dirtylog_attach(struct kl_vm *vm, struct kl_err *e);
int kl_dirtylog_detach(struct kl_dirty_reader *r, struct kl_err *e);
/* OR every page written since this reader's previous read into words[],
 * and re-protect those pages. */
int kl_dirtylog_read(struct kl_dirty_reader *r, uint64_t *words, struct kl_err *e);
bool kl_dirtylog_active(struct kl_vm *vm);
/* From a vCPU thread on KVM_EXIT_DIRTY_RING_FULL. */
int kl_dirtylog_ring_full(struct kl_vcpu *v, struct kl_err *e);
const char *kl_dirtylog_mode(struct kl_vm *vm); /* for reports */
bool kl_dirtylog_uses_clear(struct kl_vm *vm);
/* Seconds the last sync spent in KVM_GET_DIRTY_LOG and in
 * KVM_CLEAR_DIRTY_LOG (bitmap mode). */
void kl_dirtylog_last_times(struct kl_vm *vm, double *get_s, double *clear_s);

#endif
