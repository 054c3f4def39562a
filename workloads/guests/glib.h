/*
 * glib.h - the little a guest needs instead of libc: port I/O, the TSC,
 * console output. Guests run at CPL 3 with IOPL 3.
 */
#ifndef KL_GLIB_H
#define KL_GLIB_H

#include <stddef.h>
#include <stdint.h>

#include "guest_abi.h"

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline void cpu_relax(void) { __asm__ volatile("pause"); }

void con_puts(const char *s);
void con_putu(uint64_t v);
void con_puthex(uint64_t v);
__attribute__((noreturn)) void guest_exit(uint32_t code);
__attribute__((noreturn)) void guest_panic(uint32_t code, const char *why);

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);

#endif
