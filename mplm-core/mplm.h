/*
 * mplm.h - the public interface of mplm-core.
 *
 * mplm-core holds the migration algorithms (pre-copy as QEMU 2.9 does it,
 * MPLM as qemu-mplm does it, and stop-and-copy) and nothing else: no I/O,
 * no clock, no global state. A back end (the simulator, kvmlite) supplies
 * time, the dirty log and the wire through struct mplm_backend, so the same
 * code runs under a virtual clock and a real one.
 */
#ifndef MPLM_H
#define MPLM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MPLM_VERSION "0.1.0"
/* The git commit this build was made from ("unknown" outside git). */
const char *mplm_git_commit(void);

/* ------------------------------------------------------------------ */
/* Bitmaps: one bit per guest page, bit i in word i/64 at bit i%64 -- the
 * layout of KVM's dirty log, so a back end can OR a log in word by word. */

typedef struct mplm_bitmap mplm_bitmap;

mplm_bitmap *mplm_bitmap_new(uint64_t nbits); /* all clear; NULL on ENOMEM */
void mplm_bitmap_free(mplm_bitmap *b);
uint64_t mplm_bitmap_nbits(const mplm_bitmap *b);
uint64_t mplm_bitmap_nwords(const mplm_bitmap *b);
uint64_t *mplm_bitmap_words(mplm_bitmap *b);
const uint64_t *mplm_bitmap_cwords(const mplm_bitmap *b);

void mplm_bitmap_set(mplm_bitmap *b, uint64_t i);
void mplm_bitmap_clear(mplm_bitmap *b, uint64_t i);
bool mplm_bitmap_test(const mplm_bitmap *b, uint64_t i);
bool mplm_bitmap_test_and_set(mplm_bitmap *b, uint64_t i);  /* old value */
void mplm_bitmap_set_range(mplm_bitmap *b, uint64_t first, uint64_t last);
/* Clears bits first..last (inclusive); returns how many were set. */
uint64_t mplm_bitmap_clear_range(mplm_bitmap *b, uint64_t first, uint64_t last);
void mplm_bitmap_fill(mplm_bitmap *b);
void mplm_bitmap_zero(mplm_bitmap *b);
uint64_t mplm_bitmap_count(const mplm_bitmap *b);
/* The same over words [first, first + n) only (bits first*64 ...). */
uint64_t mplm_bitmap_count_words(const mplm_bitmap *b, uint64_t first, uint64_t n);
void mplm_bitmap_zero_words(mplm_bitmap *b, uint64_t first, uint64_t n);
/* Index of the first set bit >= from, or nbits if there is none. */
uint64_t mplm_bitmap_find_next_set(const mplm_bitmap *b, uint64_t from);
/* dst |= src; both of the same size. */
void mplm_bitmap_or(mplm_bitmap *dst, const mplm_bitmap *src);

/* ------------------------------------------------------------------ */
/* Parameters, named after QEMU's migrate-set-parameters and qemu-mplm's
 * set-mplm-migration. */

enum mplm_algorithm {
	MPLM_ALG_PRECOPY,  /* QEMU 2.9 pre-copy */
	MPLM_ALG_MPLM,     /* memory-bounded pre-copy */
	MPLM_ALG_STOPCOPY, /* non-live: pause, copy everything, resume */
};

/* Which MPLM: qemu-mplm's code (migration/ram.c at its HEAD) or the
 * paper's description; mplm-core/README.md lists every difference. */
enum mplm_variant {
	MPLM_VARIANT_QEMU_MPLM,
	MPLM_VARIANT_PAPER,
};

/* The rate behind the convergence threshold (QEMU's max_size). */
enum mplm_threshold_bandwidth {
	MPLM_THRESHOLD_MEASURED,      /* QEMU 2.9: bytes written over each
	                               * window of >= 100 ms; 0 before the
	                               * first window ends */
	MPLM_THRESHOLD_MAX_BANDWIDTH, /* the configured rate the wire delivers:
	                               * min(link, max-bandwidth) */
};

struct mplm_params {
	enum mplm_algorithm algorithm;
	double downtime_limit;   /* seconds (QEMU: downtime-limit, in ms) */
	double max_bandwidth;    /* bytes/s; 0 = unlimited (link speed) */
	unsigned max_iterations; /* pre-copy: stop-and-copy after this many
	                          * dirty syncs; 0 = no limit */
	enum mplm_threshold_bandwidth threshold_bandwidth;
	/* MPLM (set-mplm-migration) */
	enum mplm_variant mplm_variant;
	double intervaltime;     /* seconds per epoch */
	unsigned dirtypercents;  /* 0..100: slots of 100 given to D */
	bool firstnondirty;      /* epoch 0 sends only non-dirty pages */
	bool relaxlivemig;       /* D slots may send never-sent pages until the
	                          * D cursor's first pass is done */
	/* QEMU's auto-converge capability: throttle the guest's CPU when it
	 * dirties faster than the wire drains (migration_bitmap_sync). */
	bool auto_converge;
	unsigned cpu_throttle_initial;   /* percent, QEMU: 20 */
	unsigned cpu_throttle_increment; /* percent, QEMU: 10 */
	/* QEMU's postcopy-ram capability (pre-copy only): at the switch the
	 * source stops, the destination runs the guest and pulls each page it
	 * faults on while the source pushes the rest. The switch comes with
	 * migrate-start-postcopy (mplm_migration_start_postcopy, or
	 * start-postcopy-at) or after postcopy_after_passes live syncs. */
	bool postcopy_ram;
	unsigned postcopy_after_passes; /* mplm-lab's, not QEMU's: switch at
	                                 * the test after this many pre-copy
	                                 * passes (live syncs); 0 = only on
	                                 * the operator's command */
	double max_total_time;   /* seconds; 0 = no cap. Past it the run ends
	                          * as not converged. */
};

/* QEMU 2.9 and qemu-mplm defaults (max_bandwidth: 1 Gbps, the paper's). */
void mplm_params_default(struct mplm_params *p);
const char *mplm_algorithm_name(enum mplm_algorithm a);
int mplm_algorithm_parse(const char *s, enum mplm_algorithm *out);
const char *mplm_variant_name(enum mplm_variant v); /* "qemu-mplm", "paper" */
/* "measured", "max-bandwidth" */
const char *mplm_threshold_bandwidth_name(enum mplm_threshold_bandwidth t);
/* The rate the wire really delivers, bytes/s: the smaller of the link and
 * max-bandwidth, either of which may be 0 (unknown / unlimited); 0 when
 * both are. Every front end that models a link asks this one function. */
double mplm_wire_rate(double link, double max_bandwidth);
/* 0 if every parameter is in its range (the settings table's), else -1
 * with a one-line message in err (which may be NULL). */
int mplm_params_check(const struct mplm_params *p, char *err, size_t errlen);

/* ------------------------------------------------------------------ */
/* Settings: every parameter a user can set, declared once (name, unit,
 * range, help). mplm-sim's and kvmlite's options, kvmlite's QMP commands,
 * experiment files and the web lab all parse and check through this table,
 * so a name means one thing with one unit everywhere. Names are QEMU's
 * (migrate-set-parameters) and qemu-mplm's (set-mplm-migration). */

enum mplm_setting_id {
	/* fields of struct mplm_params */
	MPLM_SET_ALGORITHM,
	MPLM_SET_DOWNTIME_LIMIT,
	MPLM_SET_MAX_BANDWIDTH,
	MPLM_SET_MAX_ITERATIONS,
	MPLM_SET_THRESHOLD_BANDWIDTH,
	MPLM_SET_MPLM_VARIANT,
	MPLM_SET_INTERVALTIME,
	MPLM_SET_DIRTYPERCENTS,
	MPLM_SET_FIRSTNONDIRTY,
	MPLM_SET_RELAXLIVEMIG,
	MPLM_SET_MAX_TOTAL_TIME,
	MPLM_SET_AUTO_CONVERGE,
	MPLM_SET_CPU_THROTTLE_INITIAL,
	MPLM_SET_CPU_THROTTLE_INCREMENT,
	MPLM_SET_POSTCOPY_RAM,   /* QEMU's capability */
	MPLM_SET_POSTCOPY_AFTER_PASSES,
	/* the run's, kept by the back end */
	MPLM_SET_MEMORY,         /* VM memory */
	MPLM_SET_BANDWIDTH,      /* link speed (simulated links only) */
	MPLM_SET_START_AT,       /* migrate this far into the guest's run */
	MPLM_SET_EXTEND_LIVE_AT, /* set-mplm-extend-live at this time */
	MPLM_SET_END_LIVE_AT,    /* set-mplm-end-live at this time */
	MPLM_SET_REPLAY,         /* simulator: when a trace interval's writes land */
	MPLM_SET_START_POSTCOPY_AT, /* migrate-start-postcopy at this time */
	/* the machine's costs (a simulated back end's; kvmlite calibrate
	 * measures them into a profile) */
	MPLM_SET_HEADER_BYTES,   /* wire bytes per page beyond the page */
	MPLM_SET_ZERO_PAGE_BYTES,/* wire bytes of a zero page */
	MPLM_SET_ZERO_PAGE_COST, /* source CPU time per zero page */
	MPLM_SET_STATE_BYTES,    /* vCPU and device state */
	MPLM_SET_SYNC_FIXED,     /* dirty log sync: fixed cost */
	MPLM_SET_SYNC_PER_PAGE,  /* ... and per dirty page reported */
	MPLM_SET_RTT,            /* post-copy: a remote fault's round trip */
	MPLM_SET_COUNT
};

enum mplm_value_type {
	MPLM_TYPE_CHOICE,   /* one word of `choices`; stored as its index */
	MPLM_TYPE_BOOL,     /* on/off, true/false, yes/no, 1/0 */
	MPLM_TYPE_COUNT,    /* a whole number */
	MPLM_TYPE_DURATION, /* seconds; "300ms", "0.3s", "2min" */
	MPLM_TYPE_SIZE,     /* bytes; binary: "8G", "512MiB" */
	MPLM_TYPE_RATE,     /* bytes/s; "1Gbps", "125MB/s"; "1G" refused */
};

struct mplm_setting {
	enum mplm_setting_id id;
	const char *name;     /* "downtime-limit" */
	enum mplm_value_type type;
	const char *unit;     /* of a bare number: "ms", "s", "bytes/s", ... */
	double scale;         /* stored value = bare number x scale */
	double min, max;      /* allowed stored values */
	const char *choices;  /* CHOICE: "precopy|mplm|stopcopy" */
	const char *metavar;  /* for --help: "MS", "RATE", "on|off" */
	const char *help;     /* one line */
	bool migration;       /* a field of struct mplm_params */
	bool machine;         /* a cost of the machine: may be in a profile */
	bool zero_is_none;    /* 0 means none (no cap); else at least min */
};

/* The whole table, in help order. */
const struct mplm_setting *mplm_settings(size_t *count);
const struct mplm_setting *mplm_setting_find(const char *name); /* or NULL */
const struct mplm_setting *mplm_setting_get(enum mplm_setting_id id);
/* Text with units -> the stored value (seconds, bytes, bytes/s, a count,
 * 0/1, a choice's index). 0, or -1 with one line in err that names the
 * setting and says what to write. */
int mplm_setting_parse(const struct mplm_setting *s, const char *text,
		       double *out, char *err, size_t errlen);
/* A bare number in the setting's unit (QMP's JSON numbers) -> the stored
 * value, range-checked the same way. */
int mplm_setting_from_number(const struct mplm_setting *s, double bare,
			     double *out, char *err, size_t errlen);
/* The stored value as a bare number in the setting's unit (QMP). */
double mplm_setting_to_number(const struct mplm_setting *s, double value);
/* "300 ms", "1 Gbps", "8 GiB", "on", "mplm": for help and reports. */
void mplm_setting_format(const struct mplm_setting *s, double value,
			 char *buf, size_t len);
/* One help line: "  --downtime-limit MS  max tolerable downtime ... ". */
size_t mplm_setting_help(const struct mplm_setting *s, const char *prefix,
			 const char *default_text, char *buf, size_t len);

/* A machine profile: lines `name = value` of machine settings (above;
 * the names and units of every front end), `#` comments. Each value given
 * goes into values[id] and sets given[id]. 0, or -1 with "line N: ..." in
 * err. kvmlite calibrate writes profiles; mplm-sim --profile and
 * experiment files' `profile =` read them. */
int mplm_profile_parse(const char *text, double values[MPLM_SET_COUNT],
		       bool given[MPLM_SET_COUNT], char *err, size_t errlen);

/* The fields of struct mplm_params by setting. */
double mplm_params_get(const struct mplm_params *p, enum mplm_setting_id id);
void mplm_params_put(struct mplm_params *p, enum mplm_setting_id id,
		     double value);
/* Parse and set a migration parameter by name; -1 with err as above (also
 * for a name that is not a migration parameter). */
int mplm_params_set(struct mplm_params *p, const char *name,
		    const char *text, char *err, size_t errlen);

/* ------------------------------------------------------------------ */
/* The back end. Every callback returns 0 on success and -1 on failure
 * (after which the migration fails and the source guest keeps running;
 * after the switch to post-copy the guest is lost instead). */

struct mplm_sync_record;

struct mplm_page_sent {
	uint32_t wire_bytes; /* bytes this page took on the wire */
	bool zero;           /* sent as a zero-page marker */
};

#define MPLM_DEST_UNKNOWN (-2) /* start_destination: outcome unknown */

/* What send_run did: pages sent (the set's first ones from `from`), the
 * last of them, their wire bytes and how many went as zero-page markers. */
struct mplm_run_sent {
	unsigned pages;
	uint64_t wire_bytes;
	unsigned zero;
	uint64_t last;
};

struct mplm_backend {
	void *ctx;
	/* The rate the link itself carries, bytes/s; 0 = unknown (a real
	 * network). With threshold-bandwidth = max-bandwidth the threshold
	 * uses mplm_wire_rate(link_bandwidth, max-bandwidth). */
	double link_bandwidth;
	/* Seconds on the back end's clock (virtual or monotonic real). */
	double (*now)(void *ctx);
	/* Rate limit for the wire, bytes/s; 0 = unlimited. Called at start,
	 * whenever max-bandwidth changes, and with 0 when the guest stops
	 * (QEMU lifts the limit for stop-and-copy). */
	void (*set_max_bandwidth)(void *ctx, double bytes_per_s);
	/* Start dirty logging (first call) or read and clear the dirty log:
	 * set in `dirty` every page written since the previous call. Must not
	 * clear bits already set in `dirty`. */
	int (*sync_dirty_log)(void *ctx, mplm_bitmap *dirty);
	/* Optional (may be NULL): the words of the dirty log that
	 * sync_dirty_log can ever set, [*first, *first + *count); the engine
	 * then clears, counts and merges only those at each sync (a VM far
	 * larger than what its guest writes). Without it, the whole log. */
	void (*dirty_log_words)(void *ctx, uint64_t *first, uint64_t *count);
	/* Send the current content of one page. */
	int (*send_page)(void *ctx, uint64_t page, struct mplm_page_sent *out);
	/* Optional (may be NULL): send_page for several pages in address
	 * order, with nothing the engine does in between: the pages p in
	 * [from, to) whose bit is set in `set` (the engine's bitmap words,
	 * read only), at most `max` of them, and none once now() - since >=
	 * limit (the caller's own clock test, checked before every page but
	 * the first). Exactly what that many send_page calls would do; a
	 * simulator saves the calls, and only the pages sent are reported in
	 * *out (its `last` set when any was). */
	int (*send_run)(void *ctx, const uint64_t *set, uint64_t from, uint64_t to,
			unsigned max, double since, double limit,
			struct mplm_run_sent *out);
	/* Pause the source guest for good: downtime starts. */
	int (*stop_guest)(void *ctx);
	/* Send vCPU and device state; *wire_bytes receives its size. */
	int (*send_state)(void *ctx, uint64_t *wire_bytes);
	/* Everything is sent: the destination resumes. Downtime ends.
	 * 0: the destination confirmed it runs the guest; -1: it will never
	 * run it (refused, or the stream never reached it whole), so the
	 * source may resume; MPLM_DEST_UNKNOWN: no answer that can be trusted
	 * (lost, corrupted, late): the destination may be running the guest,
	 * so the source must stay paused (status outcome-unknown) until an
	 * operator decides. */
	int (*start_destination)(void *ctx);
	/* Optional (may be NULL): the migration failed or was cancelled after
	 * stop_guest: run the source guest again. */
	int (*resume_source)(void *ctx);
	/* Optional (may be NULL): nothing is left to send for now (MPLM with
	 * extend-live and an empty dirty set): let the guest run for this many
	 * seconds (a real back end sleeps, a simulated one advances its
	 * clock). Without it the engine syncs again at once. */
	void (*wait)(void *ctx, double seconds);
	/* Optional (may be NULL): called once per engine step (every few
	 * hundred pages and at every sync), for scheduled operator events
	 * and cancellation checks. */
	void (*poll)(void *ctx);
	/* Optional (may be NULL; required with auto-converge): run the guest's
	 * vCPUs only (100 - pct) % of the time, QEMU's cpu_throttle_set; 0
	 * stops throttling. */
	void (*set_throttle)(void *ctx, unsigned pct);
	/* Optional (may be NULL): a dirty log sync was just recorded; the
	 * sets can be read with mplm_migration_sets (for viewers). */
	void (*on_sync)(void *ctx, const struct mplm_sync_record *rec);

	/* Post-copy (QEMU's postcopy-ram): all three, or none, and then the
	 * engine refuses postcopy-ram (mplm_backend_check says why). The
	 * switch: stop_guest, a last sync_dirty_log, postcopy_discard,
	 * send_state, start_destination (downtime ends; from here on there
	 * is no way back to the source), then send_page for every page
	 * still to send, asking postcopy_next_request before each one, then
	 * postcopy_done, then postcopy_next_request until none is left (the
	 * requests for pages already on their way: counted, as QEMU counts
	 * every request). */
	/* The source is paused and its log synced for the last time: the
	 * destination must drop these pages before it runs (QEMU's discard
	 * bitmap, ram_postcopy_send_discard_bitmap: every page not sent since
	 * its last write, never-sent ones included) and fetch them on first
	 * touch. -1: the source may resume. */
	int (*postcopy_discard)(void *ctx, const mplm_bitmap *discard);
	/* After the destination started: the oldest page the destination
	 * faulted on and asked for over the return path (QEMU's
	 * ram_save_queue_pages), removed from the back end's queue. 1 with
	 * *page set, 0 when none waits, -1 when the return path failed (the
	 * guest is lost). The engine sends a requested page before any other
	 * (get_queued_page), skips one already sent, and its background push
	 * goes on after the requested page, as QEMU's does. */
	int (*postcopy_next_request)(void *ctx, uint64_t *page);
	/* Every page is sent: return once the destination holds them all,
	 * with the seconds its guest waited on remote faults in *fault_wait
	 * (the back end knows them; the engine does not). -1: the destination
	 * was lost (so is the guest). */
	int (*postcopy_done)(void *ctx, double *fault_wait);
};

/* Whether this back end can run these parameters: 0, or -1 with one line
 * in err (postcopy-ram without the three post-copy hooks, auto-converge
 * without set_throttle). mplm_migration_new refuses the same. */
int mplm_backend_check(const struct mplm_params *p,
		       const struct mplm_backend *be, char *err, size_t errlen);

/* ------------------------------------------------------------------ */
/* A migration. */

typedef struct mplm_migration mplm_migration;

enum mplm_status {
	MPLM_STATUS_SETUP,
	MPLM_STATUS_ACTIVE,
	MPLM_STATUS_COMPLETED,
	MPLM_STATUS_FAILED,
	MPLM_STATUS_CANCELLED,
	MPLM_STATUS_NOT_CONVERGED, /* hit max_total_time while still live */
	MPLM_STATUS_UNKNOWN,       /* the destination's answer never came: the
	                            * source stays paused (never resumed) */
	MPLM_STATUS_POSTCOPY_ACTIVE, /* the destination runs the guest and
	                              * pages still arrive */
};
const char *mplm_status_name(enum mplm_status s); /* QEMU's words */

/* What the engine decided at a sync, or why the live stage ended. */
enum mplm_verdict {
	MPLM_VERDICT_NONE,           /* sync 0; stop-and-copy's final sync */
	MPLM_VERDICT_GO_ON,          /* the live stage goes on */
	MPLM_VERDICT_EXTENDED,       /* MPLM: goes on because of extend-live */
	MPLM_VERDICT_CONVERGED,      /* pending < threshold, or nothing pending */
	MPLM_VERDICT_MEMORY_BOUND,   /* MPLM: ND is empty */
	MPLM_VERDICT_END_LIVE,       /* MPLM paper variant: end-live */
	MPLM_VERDICT_MAX_ITERATIONS, /* pre-copy: max-iterations */
	MPLM_VERDICT_NOT_CONVERGED,  /* max_total_time reached while live */
	MPLM_VERDICT_POSTCOPY,       /* pre-copy: the switch to post-copy */
};
const char *mplm_verdict_name(enum mplm_verdict v); /* "go-on", ... */

/* What triggered a live sync. */
enum mplm_sync_cause {
	MPLM_CAUSE_SETUP,     /* sync 0 */
	MPLM_CAUSE_PENDING,   /* QEMU's pending < max_size test */
	MPLM_CAUSE_INTERVAL,  /* MPLM: intervaltime elapsed */
	MPLM_CAUSE_NOTHING,   /* the search found nothing to send */
	MPLM_CAUSE_FINAL,     /* inside the downtime */
};
const char *mplm_sync_cause_name(enum mplm_sync_cause c);

/* One record per dirty log sync (qemu-mplm's per-sync report). */
struct mplm_sync_record {
	unsigned index;         /* 0 = sync at setup */
	double time;            /* seconds since migration start */
	double interval;        /* achieved time since the previous sync */
	uint64_t dirtied;       /* pages newly reported dirty by this sync */
	uint64_t d_size;        /* |D| after the sync (pre-copy: marked pages) */
	uint64_t nd_size;       /* |ND| after the sync (pre-copy: 0) */
	uint64_t sent_d;        /* pages sent from D since the previous sync */
	uint64_t sent_nd;       /* pages sent from ND since the previous sync */
	uint64_t slots_nd;      /* batch slots that went to ND since then */
	uint64_t slots_total;   /* batch slots used since then */
	uint64_t bytes;         /* wire bytes since the previous sync */
	unsigned throttle;      /* auto-converge's CPU throttle after it, % */
	/* Auto-converge's test at this sync (QEMU's migration_bitmap_sync),
	 * kept so a viewer explains it without redoing it: did the sync close
	 * a period of over 1 s, was an earlier period's rate known, was the
	 * period high (a rate known and more dirtied than half of what was
	 * sent: the counter moves), what the period dirtied and sent (bytes),
	 * the high-dirty counter after it. */
	struct mplm_ac_test {
		bool period_closed, rate_known, high;
		uint64_t dirtied_bytes, sent_bytes;
		unsigned high_count;
	} ac;
	bool final;             /* the sync inside the downtime */
	enum mplm_sync_cause cause;
	/* The test made right after this sync: the rate it used (bytes/s),
	 * the threshold (bytes = rate x downtime-limit) and the verdict. The
	 * final sync carries why the live stage ended. */
	double bandwidth;
	double threshold;
	enum mplm_verdict verdict;
};

/* QEMU's info migrate / query-migrate fields, plus mplm-lab's own. */
struct mplm_stats {
	enum mplm_status status;
	double total_time;     /* s, start to destination resume */
	double downtime;       /* s, last pause to destination resume */
	double setup_time;     /* s, start to end of sync 0 */
	double live_time;      /* total_time - downtime (- postcopy_time) */
	uint64_t transferred;  /* RAM wire bytes (pages and their headers);
	                        * the device state is apart, as in QEMU */
	uint64_t remaining;    /* bytes still to send (marked pages x P) */
	uint64_t total;        /* guest RAM bytes */
	uint64_t duplicate;    /* zero pages sent as markers */
	uint64_t normal;       /* full pages sent */
	uint64_t normal_bytes; /* normal x page size */
	uint64_t dirty_sync_count;
	double mbps;           /* throughput, megabits/s (QEMU's "mbps"):
	                        * everything on the wire, state included */
	uint64_t pages_sent;   /* normal + duplicate */
	uint64_t state_bytes;  /* vCPU/device state on the wire */
	uint64_t downtime_pages; /* pages sent while paused */
	uint64_t metadata_bytes; /* the engine's own memory (bitmaps) */
	unsigned cpu_throttle_percentage; /* auto-converge's, now (QEMU's) */
	enum mplm_verdict verdict; /* why the live stage ended */
	/* Post-copy (zero without it). downtime is then the source's pause
	 * until the destination runs; total_time runs to the last page. */
	uint64_t postcopy_requests; /* QEMU's postcopy-requests: pages the
	                             * destination asked for */
	uint64_t postcopy_pages;    /* pages sent after the destination
	                             * started, asked for or pushed */
	double postcopy_wait;  /* s the destination's guest waited on remote
	                        * faults (postcopy_done's) */
	double postcopy_time;  /* s from the destination's start to its last
	                        * page: the degradation window */
	const char *error;     /* why, when status is FAILED */
};

mplm_migration *mplm_migration_new(uint64_t pages, uint32_t page_size,
				   const struct mplm_params *params,
				   const struct mplm_backend *backend);
void mplm_migration_free(mplm_migration *m);

/* Run the whole migration to an end state. Returns 0 if it completed (or
 * was reported not converged), -1 if it failed or was cancelled. */
int mplm_migration_run(mplm_migration *m);

/* Operator events; safe to call from another thread or from poll(). */
void mplm_migration_extend_live(mplm_migration *m); /* set-mplm-extend-live */
void mplm_migration_end_live(mplm_migration *m);    /* set-mplm-end-live */
/* The same two at s after the start (< 0: never), checked at every
 * housekeeping step; call before mplm_migration_run. Both back ends'
 * --extend-live-at / --end-live-at. */
void mplm_migration_schedule(mplm_migration *m, double extend_live_at,
			     double end_live_at);
/* migrate_cancel. After the switch to post-copy it is ignored: the guest
 * runs on the destination, and stopping the push would lose it. */
void mplm_migration_cancel(mplm_migration *m);
/* QEMU's migrate-start-postcopy: switch at the next check (before the
 * next page) while pre-copy has not converged. 0, or -1 with QEMU's
 * message in err when postcopy-ram is off. */
int mplm_migration_start_postcopy(mplm_migration *m, char *err, size_t errlen);
/* The same at s after the start (< 0: never), like
 * mplm_migration_schedule; the front ends' --start-postcopy-at. 0, or -1
 * with err as above (at >= 0 with postcopy-ram off). */
int mplm_migration_schedule_postcopy(mplm_migration *m, double at, char *err,
				     size_t errlen);
/* migrate-set-parameters while running: downtime-limit, max-bandwidth. */
void mplm_migration_set_downtime_limit(mplm_migration *m, double seconds);
void mplm_migration_set_max_bandwidth(mplm_migration *m, double bytes_per_s);

/* A consistent snapshot (callable while running, from another thread).
 * The status turns to completed once the destination has started; a back
 * end's own clean-up may still be running until mplm_migration_run
 * returns, and only then are the per-sync records safe to read. */
void mplm_migration_stats(mplm_migration *m, struct mplm_stats *out);
/* The engine's page sets, read-only, from the engine's own thread (in
 * on_sync or after run). MPLM: d = D, nd = ND. Pre-copy and stop-and-copy:
 * d = the pages still to send, nd empty. */
void mplm_migration_sets(const mplm_migration *m, const mplm_bitmap **d,
			 const mplm_bitmap **nd);
/* Per-sync records; valid until the migration is freed. Read after run. */
const struct mplm_sync_record *mplm_migration_syncs(const mplm_migration *m,
						    size_t *count);

/* ------------------------------------------------------------------ */
/* Reports. The formatters write like snprintf and return the length the
 * whole text needs. */

/* QEMU's `info migrate` block (HMP), same lines and units. */
size_t mplm_format_info_migrate(const struct mplm_stats *st, char *buf,
				size_t len);
/* One line of qemu-mplm's per-sync report. */
size_t mplm_format_sync_record(const struct mplm_sync_record *r,
			       uint64_t pages, char *buf, size_t len);
/* QEMU's query-migrate object (status, total-time, downtime, setup-time
 * in ms; ram{transferred, remaining, total, duplicate, normal,
 * normal-bytes, dirty-sync-count, mbps}) plus an "mplm" object with the
 * parameters and the per-sync records. malloc'd; NULL on ENOMEM. */
char *mplm_query_migrate_json(const struct mplm_stats *st,
			      const struct mplm_params *params,
			      const struct mplm_sync_record *syncs,
			      size_t nsyncs);

#endif
