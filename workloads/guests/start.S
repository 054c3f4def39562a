/*
 * start.S - guest entry. kvmlite starts every vCPU here in 64-bit mode
 * with RDI = vCPU number, RSI = the parameter page, RSP = its stack top.
 */
	.section .text.start, "ax"
	.globl _start
_start:
	call	kmain
	/* kmain does not return; if it does, say so and stop here. */
1:	mov	$0x504, %dx
	mov	$0xdead, %eax
	out	%eax, %dx
	jmp	1b

	.section .note.GNU-stack, "", @progbits
