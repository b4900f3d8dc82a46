/*
 * tests/host/test_vuart.c - host tests of the 16550A model
 * (vmx/vuart_model.c): the register sequence of Linux's 8250 probe
 * (autoconfig: IER scratch test, loopback MSR test, FIFO detection,
 * 16650/16750/XScale checks, the THRE re-assert test of
 * serial8250_do_startup), the divisor latch, IIR priority order, the
 * receive FIFO with trigger levels and overrun, the THR-empty interrupt
 * and its edges, OUT2 gating, loopback.
 *
 * Lock order: none (single-threaded).
 */
#include "vmx/vuart_model.h"

#include "tests/host/test.h"

#define ARRAY_LENGTH(a) (sizeof(a) / sizeof((a)[0]))

static uint8_t sent[64];
static unsigned sent_count;

static void sink(void *context, uint8_t byte)
{
	(void)context;
	if (sent_count < sizeof(sent))
		sent[sent_count++] = byte;
}

static void fresh(struct vuart_model *u)
{
	sent_count = 0;
	vuart_model_init(u, sink, NULL);
}

/* One step of a register script: write, or read and compare under a mask. */
struct step {
	bool write;
	unsigned offset;
	uint8_t value, mask;
};
#define W(o, v)                                                                                    \
	{                                                                                          \
		true, o, v, 0                                                                      \
	}
#define R(o, v)                                                                                    \
	{                                                                                          \
		false, o, v, 0xff                                                                  \
	}
#define RM(o, v, m)                                                                                \
	{                                                                                          \
		false, o, v, m                                                                     \
	}

static void run_script(struct vuart_model *u, const struct step *steps, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (steps[i].write) {
			vuart_model_write(u, steps[i].offset, steps[i].value);
			continue;
		}
		uint8_t got = vuart_model_read(u, steps[i].offset) & steps[i].mask;
		if (got != steps[i].value)
			fprintf(stderr, "step %u (offset %u): 0x%x\n", i, steps[i].offset, got);
		CHECK_EQ(got, steps[i].value);
	}
}

/* drivers/tty/serial/8250/8250_port.c autoconfig() and friends. */
static void test_linux_probe(void)
{
	static const struct step steps[] = {
	    /* IER scratch test */
	    W(VUART_IER, 0),
	    RM(VUART_IER, 0, 0x0f),
	    W(VUART_IER, 0x0f),
	    RM(VUART_IER, 0x0f, 0x0f),
	    W(VUART_IER, 0),
	    /* loopback: MCR = LOOP | RTS | OUT2 -> MSR 7:4 = CTS | DCD */
	    W(VUART_MCR, VUART_MCR_LOOP | 0x0a),
	    RM(VUART_MSR, 0x90, 0xf0),
	    W(VUART_MCR, 0),
	    /* FIFO detection: IIR 7:6 = 3 is a 16550A */
	    W(VUART_IIR, VUART_FCR_ENABLE),
	    RM(VUART_IIR, 0xc0, 0xc0),
	    W(VUART_IIR, 0),
	    RM(VUART_IIR, 0x00, 0xc0),
	    /* 16650 EFR check: LCR 0xbf, offset 2 reads IIR, not 0 */
	    W(VUART_LCR, 0xbf),
	    W(VUART_IIR, VUART_FCR_ENABLE),
	    RM(VUART_IIR, 0xc1, 0xff),
	    /* 16750: FCR bit 5 under DLAB does not give 64-byte FIFO bits */
	    W(VUART_LCR, 0x80),
	    W(VUART_IIR, VUART_FCR_ENABLE | 0x20),
	    RM(VUART_IIR, 0xc0, 0xe0),
	    /* divisor latch: 115200 baud, read back */
	    W(VUART_RBR, 0x01),
	    W(VUART_IER, 0x00),
	    R(VUART_RBR, 0x01),
	    R(VUART_IER, 0x00),
	    W(VUART_LCR, 0x03),
	    R(VUART_LCR, 0x03),
	    /* XScale UUE (IER bit 6) is not kept */
	    W(VUART_IER, 0x40),
	    RM(VUART_IER, 0, 0x40),
	    W(VUART_IER, 0),
	    /* scratch */
	    W(VUART_SCR, 0xa5),
	    R(VUART_SCR, 0xa5),
	    /* LSR: THR and transmitter empty, nothing received */
	    R(VUART_LSR, VUART_LSR_THRE | VUART_LSR_TEMT),
	    /* serial8250_do_startup: THRE re-asserts after IER 0 -> THRI */
	    W(VUART_IER, VUART_IER_ETBEI),
	    R(VUART_IIR, 0xc2),
	    W(VUART_IER, 0),
	    W(VUART_IER, VUART_IER_ETBEI),
	    R(VUART_IIR, 0xc2),
	    R(VUART_IIR, 0xc1),
	    W(VUART_IER, 0),
	    R(VUART_IIR, 0xc1),
	};
	struct vuart_model u;
	fresh(&u);
	run_script(&u, steps, ARRAY_LENGTH(steps));
	CHECK_EQ(sent_count, 0);
}

static void test_iir_priority(void)
{
	static const struct {
		uint8_t ier;
		bool overrun, data, thre, modem;
		uint8_t iir;
	} rows[] = {
	    {0x0f, true, true, true, true, VUART_IIR_LINE},
	    {0x0b, true, true, true, true, VUART_IIR_RX_DATA},
	    {0x0a, true, true, true, true, VUART_IIR_THRE},
	    {0x08, true, true, true, true, VUART_IIR_MODEM},
	    {0x00, true, true, true, true, VUART_IIR_NONE},
	    {0x0f, false, true, true, true, VUART_IIR_RX_DATA},
	    {0x0f, false, false, true, true, VUART_IIR_THRE},
	    {0x0f, false, false, false, true, VUART_IIR_MODEM},
	    {0x0f, false, false, false, false, VUART_IIR_NONE},
	    {0x07, false, false, false, true, VUART_IIR_NONE},
	};
	for (unsigned i = 0; i < ARRAY_LENGTH(rows); i++) {
		struct vuart_model u;
		fresh(&u);
		if (rows[i].overrun) { /* non-FIFO: the second byte overruns */
			uint8_t two[2] = {1, 2};
			CHECK_EQ(vuart_model_receive(&u, two, 2), 1);
			if (!rows[i].data)
				vuart_model_read(&u, VUART_RBR);
		} else if (rows[i].data) {
			uint8_t one = 1;
			vuart_model_receive(&u, &one, 1);
		}
		if (rows[i].modem) {
			vuart_model_write(&u, VUART_MCR, VUART_MCR_LOOP | VUART_MCR_RTS);
			vuart_model_write(&u, VUART_MCR, 0);
		}
		vuart_model_write(&u, VUART_IER, rows[i].thre ? rows[i].ier : rows[i].ier & ~2u);
		if (!rows[i].thre)
			vuart_model_write(&u, VUART_IER, rows[i].ier & ~2u);
		uint8_t iir = vuart_model_read(&u, VUART_IIR);
		if (iir != rows[i].iir)
			fprintf(stderr, "row %u: 0x%x\n", i, iir);
		CHECK_EQ(iir, rows[i].iir);
	}
}

static void test_receive_fifo(void)
{
	static const struct {
		uint8_t fcr;
		unsigned bytes;
		uint8_t iir; /* with ERBFI */
		unsigned kept;
	} rows[] = {
	    {0x00, 1, 0x04, 1},   {0x00, 3, 0x04, 1}, /* no FIFO: one holding register */
	    {0x01, 1, 0xc4, 1},                       /* trigger 1 */
	    {0x41, 3, 0xcc, 3},                       /* trigger 4: below it, timeout */
	    {0x41, 4, 0xc4, 4},   {0x81, 7, 0xcc, 7}, /* trigger 8 */
	    {0xc1, 14, 0xc4, 14}, {0xc1, 13, 0xcc, 13}, {0xc1, 20, 0xc4, 16}, /* 4 overrun */
	};
	for (unsigned i = 0; i < ARRAY_LENGTH(rows); i++) {
		struct vuart_model u;
		fresh(&u);
		vuart_model_write(&u, VUART_IIR, rows[i].fcr);
		vuart_model_write(&u, VUART_IER, VUART_IER_ERBFI);
		uint8_t bytes[20];
		for (unsigned b = 0; b < rows[i].bytes; b++)
			bytes[b] = (uint8_t)('a' + b);
		CHECK_EQ(vuart_model_receive(&u, bytes, rows[i].bytes), rows[i].kept);
		CHECK_EQ(vuart_model_read(&u, VUART_IIR), rows[i].iir);
		uint8_t lsr = vuart_model_read(&u, VUART_LSR);
		CHECK_EQ(lsr & VUART_LSR_OE, rows[i].kept < rows[i].bytes ? VUART_LSR_OE : 0);
		CHECK_EQ(vuart_model_read(&u, VUART_LSR) & VUART_LSR_OE, 0); /* cleared */
		for (unsigned b = 0; b < rows[i].kept; b++) {
			CHECK(vuart_model_read(&u, VUART_LSR) & VUART_LSR_DR);
			CHECK_EQ(vuart_model_read(&u, VUART_RBR), 'a' + b);
		}
		CHECK(!(vuart_model_read(&u, VUART_LSR) & VUART_LSR_DR));
		CHECK_EQ(vuart_model_read(&u, VUART_IIR) & 0x0f, VUART_IIR_NONE);
	}
	struct vuart_model u; /* FCR clear-receive */
	fresh(&u);
	vuart_model_write(&u, VUART_IIR, VUART_FCR_ENABLE);
	uint8_t abc[3] = {1, 2, 3};
	vuart_model_receive(&u, abc, 3);
	vuart_model_write(&u, VUART_IIR, VUART_FCR_ENABLE | VUART_FCR_CLEAR_RX);
	CHECK(!(vuart_model_read(&u, VUART_LSR) & VUART_LSR_DR));
}

/* The THR-empty interrupt and the edges the IRQ line gets (OUT2 gates). */
static void test_thre_edges(void)
{
	struct vuart_model u;
	fresh(&u);
	vuart_model_write(&u, VUART_IER, VUART_IER_ETBEI);
	CHECK(!vuart_model_irq(&u)); /* OUT2 clear: the line is gated */
	CHECK(!vuart_model_take_edge(&u));
	vuart_model_write(&u, VUART_MCR, VUART_MCR_OUT2 | VUART_MCR_DTR | VUART_MCR_RTS);
	CHECK(vuart_model_take_edge(&u));                /* rises */
	CHECK(!vuart_model_take_edge(&u));               /* stays high: no new edge */
	CHECK_EQ(vuart_model_read(&u, VUART_IIR), 0x02); /* clears THRE */
	CHECK(!vuart_model_take_edge(&u));
	CHECK(!vuart_model_irq(&u));
	/* the handler writes bytes: each empties the THR again -> edge */
	for (unsigned i = 0; i < 3; i++) {
		vuart_model_write(&u, VUART_RBR, (uint8_t)('x' + i));
		CHECK(vuart_model_take_edge(&u));
	}
	CHECK_EQ(sent_count, 3);
	CHECK_EQ(sent[0], 'x');
	CHECK_EQ(sent[2], 'z');
	vuart_model_write(&u, VUART_IER, 0); /* stop_tx */
	CHECK(!vuart_model_irq(&u));
	CHECK(!vuart_model_take_edge(&u));
	vuart_model_write(&u, VUART_RBR, '!'); /* polled output: no interrupt */
	CHECK(!vuart_model_take_edge(&u));
	CHECK_EQ(sent_count, 4);
	/* receive raises an edge with ERBFI */
	vuart_model_write(&u, VUART_IER, VUART_IER_ERBFI);
	uint8_t k = 'k';
	vuart_model_receive(&u, &k, 1);
	CHECK(vuart_model_take_edge(&u));
	CHECK_EQ(vuart_model_read(&u, VUART_RBR), 'k');
	CHECK(!vuart_model_take_edge(&u));
	CHECK(!vuart_model_irq(&u));
}

static void test_loopback(void)
{
	struct vuart_model u;
	fresh(&u);
	vuart_model_write(&u, VUART_IIR, VUART_FCR_ENABLE);
	vuart_model_write(&u, VUART_MCR, VUART_MCR_LOOP | VUART_MCR_OUT2);
	vuart_model_write(&u, VUART_IER, VUART_IER_ERBFI | VUART_IER_ETBEI);
	vuart_model_write(&u, VUART_RBR, 'L');
	CHECK_EQ(sent_count, 0);     /* not transmitted */
	CHECK(!vuart_model_irq(&u)); /* the interrupt output is internal in loopback */
	CHECK_EQ(vuart_model_read(&u, VUART_IIR), 0xc4);
	CHECK_EQ(vuart_model_read(&u, VUART_RBR), 'L');
	/* MSR deltas: DCD rose with OUT2; read clears them */
	CHECK_EQ(vuart_model_read(&u, VUART_MSR), VUART_MSR_DCD | VUART_MSR_DCTS | VUART_MSR_DDSR);
	CHECK_EQ(vuart_model_read(&u, VUART_MSR), VUART_MSR_DCD);
	vuart_model_write(&u, VUART_MCR, VUART_MCR_LOOP | VUART_MCR_OUT1);
	vuart_model_write(&u, VUART_MCR, VUART_MCR_LOOP);
	CHECK_EQ(vuart_model_read(&u, VUART_MSR), VUART_MSR_TERI | VUART_MSR_DDCD);
	vuart_model_write(&u, VUART_MCR, 0);
	CHECK_EQ(vuart_model_read(&u, VUART_MSR) & 0xf0, VUART_MSR_IDLE);
}

int main(void)
{
	TEST_RUN(test_linux_probe);
	TEST_RUN(test_iir_priority);
	TEST_RUN(test_receive_fifo);
	TEST_RUN(test_thre_edges);
	TEST_RUN(test_loopback);
	return test_summary("test_vuart");
}
