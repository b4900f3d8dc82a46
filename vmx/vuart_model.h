/*
 * vmx/vuart_model.h - a 16550A UART as pure logic (the registers of the
 * National PC16550D data sheet): RBR/THR, IER, IIR/FCR, LCR (DLAB selects
 * DLL/DLM), MCR (loopback), LSR, MSR, SCR, 16-byte receive FIFO.
 *
 * - Transmit is instant: a THR write hands the byte to `transmit` (or, in
 *   loopback, to the receive FIFO), and the THR and the transmitter are
 *   empty again at once (LSR THRE and TEMT always read 1). The THR-empty
 *   interrupt is set when ETBEI goes from 0 to 1 (the THR is always
 *   empty) and again by every THR write (the THR emptied); it is cleared
 *   by reading IIR while it is the reported source, by a THR write
 *   (then set again), and by clearing ETBEI.
 * - Receive: vuart_model_receive() puts bytes into the FIFO (16 deep with
 *   FIFOs enabled, 1 without); a byte that does not fit is lost and sets
 *   the overrun error (LSR OE, cleared by reading LSR). Data below the
 *   trigger level reports the character timeout at once (no 4-character
 *   delay: the model has no time).
 * - IIR priority (PC16550D Table IV): line status (OE with ELSI), receive
 *   data at the trigger level, character timeout, THR empty, modem status
 *   (a delta bit with EDSSI). Bits 7:6 are 11 with FIFOs enabled.
 * - MSR: outside loopback DCD, DSR and CTS are asserted, RI is not; in
 *   loopback they follow OUT2, DTR, RTS and OUT1; the delta bits record
 *   the changes until MSR is read.
 * - The interrupt output (INTRPT gated by MCR OUT2, as on a PC, and off in
 *   loopback) is a level; the ISA IRQ it drives is edge-triggered, so the
 *   caller raises an edge when vuart_model_take_edge() says the output rose
 *   (or re-rose: a THR write while THR-empty was pending).
 *
 * Pure: no locking of its own (vmx/vuart.c holds the UART's lock).
 * Host-tested by tests/host/test_vuart.c.
 */
#ifndef VMX_VUART_MODEL_H
#define VMX_VUART_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VUART_PORTS     8u
#define VUART_FIFO_SIZE 16u

/* Register offsets from the base port. */
#define VUART_RBR 0u /* read; THR write; DLL with DLAB */
#define VUART_IER 1u /* DLM with DLAB */
#define VUART_IIR 2u /* read; FCR write */
#define VUART_LCR 3u
#define VUART_MCR 4u
#define VUART_LSR 5u
#define VUART_MSR 6u
#define VUART_SCR 7u

#define VUART_IER_ERBFI 0x01u /* receive data available */
#define VUART_IER_ETBEI 0x02u /* THR empty */
#define VUART_IER_ELSI  0x04u /* receiver line status */
#define VUART_IER_EDSSI 0x08u /* modem status */
#define VUART_IER_MASK  0x0fu

#define VUART_IIR_NONE       0x01u
#define VUART_IIR_MODEM      0x00u
#define VUART_IIR_THRE       0x02u
#define VUART_IIR_RX_DATA    0x04u
#define VUART_IIR_LINE       0x06u
#define VUART_IIR_RX_TIMEOUT 0x0cu
#define VUART_IIR_FIFOS      0xc0u

#define VUART_FCR_ENABLE        0x01u
#define VUART_FCR_CLEAR_RX      0x02u
#define VUART_FCR_CLEAR_TX      0x04u
#define VUART_FCR_TRIGGER_SHIFT 6

#define VUART_LCR_DLAB 0x80u

#define VUART_MCR_DTR  0x01u
#define VUART_MCR_RTS  0x02u
#define VUART_MCR_OUT1 0x04u
#define VUART_MCR_OUT2 0x08u
#define VUART_MCR_LOOP 0x10u
#define VUART_MCR_MASK 0x1fu

#define VUART_LSR_DR   0x01u
#define VUART_LSR_OE   0x02u
#define VUART_LSR_THRE 0x20u
#define VUART_LSR_TEMT 0x40u

#define VUART_MSR_DCTS  0x01u
#define VUART_MSR_DDSR  0x02u
#define VUART_MSR_TERI  0x04u
#define VUART_MSR_DDCD  0x08u
#define VUART_MSR_CTS   0x10u
#define VUART_MSR_DSR   0x20u
#define VUART_MSR_RI    0x40u
#define VUART_MSR_DCD   0x80u
#define VUART_MSR_IDLE  (VUART_MSR_DCD | VUART_MSR_DSR | VUART_MSR_CTS)
#define VUART_MSR_DELTA 0x0fu

struct vuart_model {
	uint8_t ier, lcr, mcr, scr, dll, dlm;
	uint8_t fcr;        /* enable and trigger bits as written */
	uint8_t lsr_errors; /* OE until LSR is read */
	uint8_t msr;        /* status bits 7:4, delta bits 3:0 */
	bool thre_pending;  /* the THR-empty interrupt */
	bool line;          /* the interrupt output after the last access */
	bool rearmed;       /* THR-empty set again while pending: an edge */
	uint8_t rx[VUART_FIFO_SIZE];
	uint32_t rx_head, rx_count;
	void (*transmit)(void *context, uint8_t byte);
	void *context;
	uint64_t transmitted, received, overruns;
};

void vuart_model_init(struct vuart_model *u, void (*transmit)(void *context, uint8_t byte),
                      void *context);
/* A byte access to register `offset` (0-7). */
uint8_t vuart_model_read(struct vuart_model *u, unsigned offset);
void vuart_model_write(struct vuart_model *u, unsigned offset, uint8_t value);
/* Bytes from the hypervisor side; returns how many fit (the rest overran). */
size_t vuart_model_receive(struct vuart_model *u, const uint8_t *bytes, size_t n);
/* The interrupt output now. */
bool vuart_model_irq(const struct vuart_model *u);
/* After an access: true if the output rose since the last call (the
 * caller raises the edge). */
bool vuart_model_take_edge(struct vuart_model *u);

#endif /* VMX_VUART_MODEL_H */
