/*
 * migration.h - live migration of a kvmlite VM: the source (an mplm-core
 * back end, migrate_src.c), the destination (migrate_dst.c) and the
 * stream's header and state records they share (state.c).
 */
#ifndef KL_MIGRATION_H
#define KL_MIGRATION_H

#include "kvmlite.h"
#include "stream.h"

/* ------------------------------------------------------------------ */
/* Header and state records (state.c). */

struct kl_stream_header {
	uint32_t version, page_size;
	uint64_t mem_bytes;
	uint32_t nvcpus, nslots, cpl, tsc_khz;
	uint32_t xsave_len, dev_state_len;
	uint64_t slot_bytes[KL_MAX_SLOTS];
	uint32_t guest_crc;   /* CRC-32C of the guest image booted, 0 unknown */
	uint64_t guest_len;
	struct kl_params params; /* the guest's parameters, for the record */
};

void kl_header_of(struct kl_vm *vm, struct kl_stream_header *h);
size_t kl_header_pack(const struct kl_stream_header *h, uint8_t *buf, size_t len);
int kl_header_unpack(struct kl_stream_header *h, const uint8_t *p, size_t len,
		     struct kl_err *e);
/* Does a stream from h fit this VM? Sets the reason when it does not. */
int kl_header_check(const struct kl_stream_header *h, struct kl_vm *vm,
		    struct kl_err *e);

/* A vCPU record: malloc'd payload in *out. */
int kl_vcpu_record(const struct kl_vcpu_saved *s, unsigned index,
		   uint8_t **out, size_t *len, struct kl_err *e);
int kl_vcpu_unrecord(struct kl_vcpu_saved *s, unsigned *index,
		     const uint8_t *p, size_t len, struct kl_vm *vm,
		     struct kl_err *e);

/* HELLO and ACK: u32 ok, then a message. kl_read_verdict: 0 ok, 1 a
 * valid refusal (e says why), -1 no valid verdict (closed, timed out,
 * corrupted, another record). */
int kl_send_verdict(struct kl_out *o, uint32_t type, bool ok, const char *msg,
		    struct kl_err *e);
int kl_read_verdict(struct kl_in *in, uint32_t type, char *msg, size_t len,
		    struct kl_err *e);

/* ------------------------------------------------------------------ */
/* Source. */

struct kl_mig_opts {
	char uri[256];            /* tcp:127.0.0.1:PORT */
	struct mplm_params params;
	double link_bandwidth;    /* bytes/s of a modelled link (the pace
	                           * under max-bandwidth); 0 = the real wire */
	double connect_timeout;   /* s */
	double io_timeout;        /* s without progress on the socket */
	size_t buffer_bytes;      /* output buffer */
	bool extend_live;         /* set-mplm-extend-live before the start */
	double extend_live_at;    /* s after start, < 0 never */
	double end_live_at;       /* s after start, < 0 never */
	double start_postcopy_at; /* migrate-start-postcopy at s after start,
	                           * < 0 never (needs postcopy-ram) */
	bool print_syncs;         /* qemu-mplm's per-sync lines on stdout */
};

void kl_mig_opts_default(struct kl_mig_opts *o);
/* Can a migration start with these options? One line in e if not. */
int kl_mig_opts_check(const struct kl_mig_opts *o, struct kl_err *e);

typedef struct kl_source kl_source;

kl_source *kl_source_new(struct kl_vm *vm, const struct kl_mig_opts *o,
			 struct kl_err *e);
/* kl_source_run's outcomes. */
enum {
	KL_MIG_DONE = 0,      /* the destination runs the guest; paused here */
	KL_MIG_FAILED = -1,   /* the guest runs here (never left, or resumed) */
	KL_MIG_UNKNOWN = -2,  /* no trustworthy answer after the end of the
	                       * stream: paused here, the destination may run
	                       * it; an operator's `cont` resolves it */
	KL_MIG_LOST = -3,     /* post-copy failed after the switch: paused
	                       * here for good, with memory the destination
	                       * had moved past; the guest is lost */
};
/* Connect, hand-shake, run the engine to an end state: one of the above. */
int kl_source_run(kl_source *s);
void kl_source_free(kl_source *s);
/* From any thread while kl_source_run runs (NULL before the engine is
 * created / after it ended: then use kl_source_stats). */
void kl_source_cancel(kl_source *s);
void kl_source_extend_live(kl_source *s);
void kl_source_end_live(kl_source *s);
/* Has the destination committed to running the guest with pages still
 * to come (post-copy, after its ACK)? From then on there is no way back. */
bool kl_source_postcopy_committed(kl_source *s);
/* migrate-start-postcopy (s may be NULL: no migration); remembered
 * during the handshake. -1 with QEMU's message if postcopy-ram is off or
 * no migration runs. */
int kl_source_start_postcopy(kl_source *s, char *err, size_t errlen);
void kl_source_set_downtime_limit(kl_source *s, double seconds);
void kl_source_set_max_bandwidth(kl_source *s, double bytes_per_s);
void kl_source_stats(kl_source *s, struct mplm_stats *st);
/* After kl_source_run: the per-sync records, and why it failed. */
const struct mplm_sync_record *kl_source_syncs(kl_source *s, size_t *n);
const char *kl_source_error(kl_source *s);
const struct mplm_params *kl_source_params(kl_source *s);
/* Memory hash taken while the source was paused for good (0 if not). */
uint64_t kl_source_memhash_at_pause(kl_source *s);
uint64_t kl_source_stream_bytes(kl_source *s);
/* When the engine started (kl_now's clock; 0 before kl_source_run got
 * that far): time 0 of the migration's reports. */
double kl_source_started_at(kl_source *s);

/* ------------------------------------------------------------------ */
/* Destination. */

struct kl_incoming_opts {
	char listen[256];         /* HOST:PORT; default 127.0.0.1:4444 */
	int listen_fd;            /* >= 0: already listening (fork + exec) */
	double accept_timeout;    /* s; <= 0 none */
	double io_timeout;        /* s without data inside a stream */
	const char *guest_path;   /* if set, the stream must carry this guest */
	double run_timeout;       /* s the guest may run after arriving */
	const char *result_json;  /* write the outcome here */
	bool exit_after_load;     /* verify and load, but do not run (tests) */
	bool verify;              /* check the guest's result by replay */
	bool quiet;               /* no progress messages */
};

struct kl_incoming_result {
	uint64_t memhash_at_resume;
	uint64_t stream_bytes;
	uint64_t page_records, zero_records;
	double receive_seconds;
	double t_ack;             /* when the ACK went out (kl_now) */
	double resume_gap;        /* s from the ACK to the vCPUs running: the
	                           * downtime the source cannot see */
	bool guest_ended;
	/* Post-copy: set by kl_receive_stream at the switch (the guest may
	 * run with pages missing; kl_postcopy_dst_run takes the rest of the
	 * stream), NULL for a pre-copy stream. */
	struct kl_postcopy_dst *postcopy;
	uint64_t postcopy_faults;   /* vCPU faults on missing pages */
	uint64_t postcopy_requests; /* pages asked of the source */
	double postcopy_wait;       /* s vCPUs waited on them, summed */
	double postcopy_window;     /* s from the vCPUs' start to the last page */
	uint64_t postcopy_pages;    /* missing pages placed */
	uint64_t postcopy_missing;  /* pages missing at the switch */
	uint64_t postcopy_checked;  /* --verify: pages the guest did not
	                             * write, found as at the source's pause */
	char verify[512];         /* "" = not checked, "ok", or what differs */
	char error[512];
};

void kl_incoming_opts_default(struct kl_incoming_opts *o);
/* One whole stream from fd into vm (receive.c): HELLO after the header
 * (which must be whole within header_timeout s, <= 0: no bound),
 * every record checked, the state loaded, ACK. 0 when the guest may run
 * (the ACK ok=1 is sent); -1 with e's reason otherwise (ACK ok=0 sent if
 * it still could be). Never runs the guest. A post-copy stream (version
 * 2) is refused at its header unless allow_postcopy (the caller will run
 * the guest) and this host has userfaultfd. */
int kl_receive_stream(struct kl_vm *vm, int fd, double header_timeout,
		      bool allow_postcopy, struct kl_incoming_result *res,
		      struct kl_err *e);
/* Post-copy's destination (postcopy_dst.c): after kl_receive_stream
 * set res->postcopy and the vCPUs started at t_start, serve their faults
 * from the rest of the stream until every page is here. 0: complete
 * (res->memhash_at_resume set); -1: the guest is lost (paused here; e
 * says why). */
struct kl_postcopy_dst;
int kl_postcopy_dst_run(struct kl_postcopy_dst *pc, double t_start,
			struct kl_incoming_result *res, struct kl_err *e);
void kl_postcopy_dst_free(struct kl_postcopy_dst *pc);
/* The page-content invariant (--verify): watch the guest's writes from
 * before its vCPUs start; once every page is here (and the guest
 * stopped writing), check that every page it did not write holds the
 * source's content at the pause. *checked: pages compared. */
int kl_postcopy_dst_watch(struct kl_postcopy_dst *pc, struct kl_err *e);
int kl_postcopy_dst_check(struct kl_postcopy_dst *pc, uint64_t *checked,
			  struct kl_err *e);

/* Build the VM, take one stream, verify it completely, and only then
 * run the guest. Returns 0 if the guest arrived (and ran, unless
 * exit_after_load), -1 with res->error otherwise. */
int kl_incoming(const struct kl_config *cfg, const struct kl_incoming_opts *o,
		struct kl_incoming_result *res);

/* ------------------------------------------------------------------ */
/* Results (result.c). */

/* What the guest must have printed, worked out on the host by replaying
 * its writes (workloads/guests/wl.c) for the number of writes it did. */
struct kl_expect {
	uint64_t checksum, vecsum, memhash;
};
/* p: the guest's parameter page; writes[i]: writes vCPU i did. */
int kl_expect_run(const struct kl_params *p, const uint64_t *writes,
		  struct kl_expect *out, struct kl_err *e);
/* Compare every finished vCPU's status with the replay. 0 if all match;
 * else e says which value differs. */
int kl_verify_guest(struct kl_vm *vm, struct kl_err *e);

/* The outcome as JSON: per-vCPU status, console, and for a destination
 * the stream figures and the memory hash at resume. in may be NULL. */
int kl_write_result_json(const char *path, struct kl_vm *vm,
			 const struct kl_incoming_result *in, const char *error);

/* A finished run as kl_write_result_json wrote it. */
struct kl_result_file {
	bool ok;
	char error[512];
	uint64_t memhash_at_resume;
	uint64_t stream_bytes;
	double resume_gap; /* s from the destination's ACK to its vCPUs */
	/* Post-copy (0 without a switch): see struct kl_incoming_result. */
	uint64_t postcopy_missing, postcopy_faults, postcopy_checked;
	uint64_t postcopy_requests;
	double postcopy_wait, postcopy_window;
	unsigned nvcpus;
	struct kl_status vcpu[KL_MAX_VCPUS];
	char console[4096]; /* the end of it */
};
int kl_read_result_json(const char *path, struct kl_result_file *r,
			struct kl_err *e);

/* Per-vCPU lines: writes, checksum, achieved rate (and a warning when
 * the guest fell short of the rate it was asked for). */
void kl_print_guest_report(struct kl_vm *vm, FILE *f);

/* ------------------------------------------------------------------ */
/* Child destinations (spawn.c), for `kvmlite migrate` and the tests. */

/* Run `exe incoming --listen-fd=LFD <VM options of cfg> extra...`.
 * extra is NULL-terminated (may be NULL). Returns the pid or -1. */
int kl_spawn_incoming(const char *exe, const struct kl_config *cfg, int lfd,
		      const char *const *extra, struct kl_err *e);
/* Wait at most timeout s for pid; kill it (SIGKILL) after that.
 * Returns its exit status as from waitpid, or -1. */
int kl_wait_child(int pid, double timeout);

#endif
