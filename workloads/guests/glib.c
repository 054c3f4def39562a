/*
 * glib.c - console output and the libc functions the compiler may call.
 */
#include "glib.h"

void con_puts(const char *s)
{
	while (*s)
		outb(KL_PORT_CONSOLE, (uint8_t)*s++);
}

void con_putu(uint64_t v)
{
	char buf[24];
	int i = sizeof(buf) - 1;
	buf[i] = 0;
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	con_puts(&buf[i]);
}

void con_puthex(uint64_t v)
{
	char buf[19] = "0x";
	for (int i = 0; i < 16; i++)
		buf[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 15];
	buf[18] = 0;
	con_puts(buf);
}

void guest_exit(uint32_t code)
{
	for (;;)
		outl(KL_PORT_RESULT, code);
}

void guest_panic(uint32_t code, const char *why)
{
	con_puts("panic: ");
	con_puts(why);
	con_puts("\n");
	for (;;)
		outl(KL_PORT_PANIC, code);
}

void *memset(void *d, int c, size_t n)
{
	uint8_t *p = d;
	while (n--)
		*p++ = (uint8_t)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	uint8_t *p = d;
	const uint8_t *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}
