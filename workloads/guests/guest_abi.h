/*
 * guest_abi.h - what kvmlite and its guest programs agree on: the guest
 * physical memory map, the I/O ports, the parameter page the VMM fills in
 * before boot and the status page the guest reports into.
 *
 * Shared by freestanding guest code and by the host (kvmlite, tests), so
 * it uses nothing but fixed-width integers. Every field is a u64 in
 * little-endian order, so the layout is the same for both compilers.
 */
#ifndef KL_GUEST_ABI_H
#define KL_GUEST_ABI_H

#include <stdint.h>

/* Guest physical memory map (identity-mapped, so also the virtual one). */
#define KL_GDT_GPA        0x1000ull   /* GDT */
#define KL_TSS_GPA        0x5000ull   /* TSS with a full I/O bitmap */
#define KL_PARAMS_GPA     0x3000ull   /* struct kl_params, one page */
#define KL_STATUS_GPA     0x4000ull   /* struct kl_status[KL_MAX_VCPUS] */
#define KL_PML4_GPA       0x10000ull  /* then the PDPT, then one PD per GiB */
#define KL_PDPT_GPA       0x11000ull
#define KL_PD_GPA         0x12000ull
#define KL_MAX_GIB        64ull       /* PDs fit below KL_STACKS_GPA */
#define KL_STACKS_GPA     0x100000ull /* vCPU i's stack top: +(i+1)*size */
#define KL_STACK_SIZE     0x8000ull
#define KL_IMAGE_GPA      0x200000ull /* the flat binary is linked here */
#define KL_IMAGE_MAX      0x200000ull
#define KL_DATA_GPA       0x400000ull /* workload memory: to the end of RAM */
#define KL_MAX_VCPUS      32

/* Ports. The guest runs at CPL 3 with IOPL 3, so in/out reach the VMM. */
#define KL_PORT_CONSOLE   0xe9   /* out8: one character of console output */
#define KL_PORT_PROGRESS  0x500  /* out32: page writes since last report */
#define KL_PORT_RESULT    0x501  /* out32: exit code; this vCPU is done */
#define KL_PORT_SLEEP     0x502  /* out32: sleep this many microseconds */
#define KL_PORT_BARRIER   0x503  /* in32: wait for the VMM; returns a value */
#define KL_PORT_PANIC     0x504  /* out32: the guest found itself broken */

#define KL_PARAMS_MAGIC   0x31504c4d4c4b4cull /* "KLMLP1" */
#define KL_PARAMS_VERSION 1

enum kl_pattern {
	KL_PAT_IDLE = 0,      /* sleep until the duration is over */
	KL_PAT_SEQUENTIAL,    /* sweep the working set page by page */
	KL_PAT_UNIFORM,       /* random order, each page once per pass */
	KL_PAT_HOTSPOT,       /* `skew` of the writes to the `hot` part */
	KL_PAT_STENCIL,       /* `arrays` arrays, each computed from the last */
	KL_PAT_LIST,          /* write the pages in list[] between barriers */
	KL_PAT_COUNT
};

#define KL_LIST_MAX 400

/* Filled in by the VMM at KL_PARAMS_GPA before the first vCPU runs. */
struct kl_params {
	uint64_t magic;
	uint64_t version;
	uint64_t tsc_khz;        /* the guest's TSC frequency */
	uint64_t nvcpus;
	uint64_t mem_bytes;
	uint64_t data_gpa;       /* start of the working set */
	uint64_t pattern;        /* enum kl_pattern */
	uint64_t rate;           /* page writes/s over all vCPUs; 0 = flat out */
	uint64_t wss_pages;      /* working set over all vCPUs, 4 KiB pages */
	uint64_t duration_ms;    /* stop after this long (0: no time limit) */
	uint64_t iterations;     /* per vCPU: stop after this many page writes
	                          * (0: no count limit); both 0 = forever */
	uint64_t seed;
	uint64_t hot_permille;   /* hotspot: hot share of the working set */
	uint64_t skew_permille;  /* hotspot: share of writes to the hot part */
	uint64_t arrays;         /* stencil: number of arrays */
	uint64_t progress_every; /* page writes between progress reports */
	uint64_t list_count;     /* KL_PAT_LIST: pages (GPA / 4096) to write */
	uint64_t list[KL_LIST_MAX];
};

/* One per vCPU at KL_STATUS_GPA + 128 * vcpu; written by the guest. */
struct kl_status {
	uint64_t writes;     /* page writes done */
	uint64_t checksum;   /* running checksum over old and new values */
	uint64_t vecsum;     /* the part of it kept in SSE registers */
	uint64_t memhash;    /* hash of this vCPU's working set at the end */
	uint64_t tsc_start;
	uint64_t tsc_end;
	uint64_t tsc_dropped; /* time pacing gave up catching up (pauses) */
	uint64_t done;        /* 1 once the result is final */
	uint64_t pad[8];
};

#define KL_STATUS_STRIDE 128

#endif
