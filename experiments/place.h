/*
 * place.h - put a workload's pages at the top of guest-physical memory.
 *
 * Generators and traces number the program's pages from 0, and the
 * simulator maps trace page i to guest page i, so the program sits at the
 * bottom of the VM with the never-used (zero) memory above it. A Linux
 * guest hands a program started after boot the highest free frames first
 * (the buddy allocator's free lists are filled low to high at boot and
 * allocate from their heads), so the zero memory lies below. The order
 * matters to MPLM: its epoch 0 walks the non-dirty set in address order.
 *
 * `placement = top` in an experiment file makes a copy of the workload's
 * trace for a VM of the given size, with its pages moved to the top and
 * `static` bytes of non-zero, never-written memory (kernel, page cache,
 * libraries) just below them. The copy is a gzip trace in a cache
 * directory, named by a hash of what went into it, made once.
 */
#ifndef EXP_PLACE_H
#define EXP_PLACE_H

#include <stddef.h>
#include <stdint.h>

struct place_request {
	const char *spec;        /* generator spec, or */
	const char *trace_path;  /* a trace file */
	uint64_t vm_bytes;
	uint64_t static_bytes;
};

/* The cache file for the request (made if absent) in path. */
int place_trace(const struct place_request *rq, const char *cache_dir,
		char *path, size_t pathlen, char *err, size_t errlen);

#endif
