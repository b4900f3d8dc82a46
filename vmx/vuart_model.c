/*
 * vmx/vuart_model.c - the 16550A model (see vuart_model.h).
 *
 * Lock order: none (pure; the caller serializes).
 */
#include "vmx/vuart_model.h"

#include "kernel/string.h"

static const uint8_t vuart_triggers[4] = {1, 4, 8, 14};

static bool vuart_fifos(const struct vuart_model *u)
{
	return u->fcr & VUART_FCR_ENABLE;
}

static uint32_t vuart_rx_capacity(const struct vuart_model *u)
{
	return vuart_fifos(u) ? VUART_FIFO_SIZE : 1;
}

static uint32_t vuart_trigger(const struct vuart_model *u)
{
	return vuart_fifos(u) ? vuart_triggers[u->fcr >> VUART_FCR_TRIGGER_SHIFT] : 1;
}

/* MSR status bits 7:4 the lines give now. */
static uint8_t vuart_modem_lines(const struct vuart_model *u)
{
	if (!(u->mcr & VUART_MCR_LOOP))
		return VUART_MSR_IDLE;
	uint8_t lines = 0;
	lines |= (u->mcr & VUART_MCR_RTS) ? VUART_MSR_CTS : 0;
	lines |= (u->mcr & VUART_MCR_DTR) ? VUART_MSR_DSR : 0;
	lines |= (u->mcr & VUART_MCR_OUT1) ? VUART_MSR_RI : 0;
	lines |= (u->mcr & VUART_MCR_OUT2) ? VUART_MSR_DCD : 0;
	return lines;
}

/* Update MSR from the lines, recording the deltas. */
static void vuart_update_msr(struct vuart_model *u)
{
	uint8_t old = u->msr & ~VUART_MSR_DELTA, now = vuart_modem_lines(u);
	uint8_t changed = old ^ now, delta = u->msr & VUART_MSR_DELTA;
	delta |= (changed & VUART_MSR_CTS) ? VUART_MSR_DCTS : 0;
	delta |= (changed & VUART_MSR_DSR) ? VUART_MSR_DDSR : 0;
	delta |= ((old & VUART_MSR_RI) && !(now & VUART_MSR_RI)) ? VUART_MSR_TERI : 0;
	delta |= (changed & VUART_MSR_DCD) ? VUART_MSR_DDCD : 0;
	u->msr = (uint8_t)(now | delta);
}

void vuart_model_init(struct vuart_model *u, void (*transmit)(void *context, uint8_t byte),
                      void *context)
{
	memset(u, 0, sizeof(*u));
	u->transmit = transmit;
	u->context = context;
	u->msr = VUART_MSR_IDLE;
}

/* The IIR interrupt identification (bits 3:0), highest priority first. */
static uint8_t vuart_source(const struct vuart_model *u)
{
	if ((u->ier & VUART_IER_ELSI) && (u->lsr_errors & VUART_LSR_OE))
		return VUART_IIR_LINE;
	if ((u->ier & VUART_IER_ERBFI) && u->rx_count)
		return u->rx_count >= vuart_trigger(u) ? VUART_IIR_RX_DATA : VUART_IIR_RX_TIMEOUT;
	if ((u->ier & VUART_IER_ETBEI) && u->thre_pending)
		return VUART_IIR_THRE;
	if ((u->ier & VUART_IER_EDSSI) && (u->msr & VUART_MSR_DELTA))
		return VUART_IIR_MODEM;
	return VUART_IIR_NONE;
}

bool vuart_model_irq(const struct vuart_model *u)
{
	return vuart_source(u) != VUART_IIR_NONE && (u->mcr & VUART_MCR_OUT2) &&
	       !(u->mcr & VUART_MCR_LOOP);
}

bool vuart_model_take_edge(struct vuart_model *u)
{
	bool level = vuart_model_irq(u);
	bool edge = level && (!u->line || u->rearmed);
	u->line = level;
	u->rearmed = false;
	return edge;
}

static bool vuart_rx_push(struct vuart_model *u, uint8_t byte)
{
	if (u->rx_count >= vuart_rx_capacity(u)) {
		u->lsr_errors |= VUART_LSR_OE;
		u->overruns++;
		return false;
	}
	u->rx[(u->rx_head + u->rx_count) % VUART_FIFO_SIZE] = byte;
	u->rx_count++;
	u->received++;
	return true;
}

static uint8_t vuart_rx_pop(struct vuart_model *u)
{
	if (!u->rx_count)
		return 0;
	uint8_t byte = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % VUART_FIFO_SIZE;
	u->rx_count--;
	return byte;
}

static void vuart_rx_clear(struct vuart_model *u)
{
	u->rx_head = u->rx_count = 0;
}

size_t vuart_model_receive(struct vuart_model *u, const uint8_t *bytes, size_t n)
{
	size_t taken = 0;
	for (size_t i = 0; i < n; i++)
		taken += vuart_rx_push(u, bytes[i]);
	return taken;
}

static void vuart_thr_write(struct vuart_model *u, uint8_t byte)
{
	u->transmitted++;
	if (u->mcr & VUART_MCR_LOOP)
		vuart_rx_push(u, byte);
	else if (u->transmit)
		u->transmit(u->context, byte);
	/* The THR emptied at once: THR-empty is pending again. */
	if ((u->ier & VUART_IER_ETBEI) && u->thre_pending)
		u->rearmed = true;
	u->thre_pending = true;
}

static uint8_t vuart_iir_read(struct vuart_model *u)
{
	uint8_t source = vuart_source(u);
	if (source == VUART_IIR_THRE)
		u->thre_pending = false; /* reading IIR clears THR-empty */
	return (uint8_t)(source | (vuart_fifos(u) ? VUART_IIR_FIFOS : 0));
}

uint8_t vuart_model_read(struct vuart_model *u, unsigned offset)
{
	bool dlab = u->lcr & VUART_LCR_DLAB;
	uint8_t value;
	switch (offset) {
	case VUART_RBR:
		return dlab ? u->dll : vuart_rx_pop(u);
	case VUART_IER:
		return dlab ? u->dlm : u->ier;
	case VUART_IIR:
		return vuart_iir_read(u);
	case VUART_LCR:
		return u->lcr;
	case VUART_MCR:
		return u->mcr;
	case VUART_LSR:
		value = (uint8_t)(VUART_LSR_THRE | VUART_LSR_TEMT | u->lsr_errors |
		                  (u->rx_count ? VUART_LSR_DR : 0));
		u->lsr_errors = 0;
		return value;
	case VUART_MSR:
		value = u->msr;
		u->msr &= ~VUART_MSR_DELTA;
		return value;
	default:
		return u->scr;
	}
}

static void vuart_ier_write(struct vuart_model *u, uint8_t value)
{
	uint8_t old = u->ier;
	u->ier = value & VUART_IER_MASK;
	if (!(old & VUART_IER_ETBEI) && (u->ier & VUART_IER_ETBEI))
		u->thre_pending = true; /* the THR is empty: interrupt at once */
	else if (!(u->ier & VUART_IER_ETBEI))
		u->thre_pending = false;
}

static void vuart_fcr_write(struct vuart_model *u, uint8_t value)
{
	if ((value ^ u->fcr) & VUART_FCR_ENABLE)
		vuart_rx_clear(u); /* switching FIFO mode resets both FIFOs */
	if (value & VUART_FCR_CLEAR_RX)
		vuart_rx_clear(u);
	u->fcr = value & (VUART_FCR_ENABLE | 3u << VUART_FCR_TRIGGER_SHIFT);
	if (!(u->fcr & VUART_FCR_ENABLE))
		u->fcr = 0;
}

void vuart_model_write(struct vuart_model *u, unsigned offset, uint8_t value)
{
	bool dlab = u->lcr & VUART_LCR_DLAB;
	switch (offset) {
	case VUART_RBR:
		if (dlab)
			u->dll = value;
		else
			vuart_thr_write(u, value);
		break;
	case VUART_IER:
		if (dlab)
			u->dlm = value;
		else
			vuart_ier_write(u, value);
		break;
	case VUART_IIR:
		vuart_fcr_write(u, value);
		break;
	case VUART_LCR:
		u->lcr = value;
		break;
	case VUART_MCR:
		u->mcr = value & VUART_MCR_MASK;
		vuart_update_msr(u);
		break;
	case VUART_LSR:
	case VUART_MSR:
		break; /* factory test / read-only */
	default:
		u->scr = value;
		break;
	}
}
