/*
 * vmx/vlapic_timer.h - the vLAPIC timer, internal to the model: the LVT
 * timer's one-shot, periodic and TSC-deadline modes on the environment's
 * clock and one-shot timer (vlapic.h: vlapic_timer_expired(),
 * vlapic_timer_deadline(), vlapic_set_timer_ratio/minimum() are the
 * public side). Only vmx/vlapic.c and vmx/vlapic_timer.c include it.
 *
 * Lock order: none (owner functions, see vlapic.h).
 */
#ifndef VMX_VLAPIC_TIMER_H
#define VMX_VLAPIC_TIMER_H

#include <stdint.h>

#include "vmx/vlapic.h"

#define VLAPIC_LVT_TIMER_INDEX      0
#define VLAPIC_LVT_TIMER_MODE_SHIFT 17
#define VLAPIC_LVT_TIMER_MODE_MASK  3u

/* The LVT timer's mode (the reserved mode 3 counts as one-shot). */
enum vlapic_timer_mode vlapic_timer_mode(const struct vlapic *vlapic);
/* Disarm: TMICT, the period and IA32_TSC_DEADLINE read 0. */
void vlapic_timer_stop(struct vlapic *vlapic);
/* TMCCT, computed from the clock. */
uint32_t vlapic_timer_current(const struct vlapic *vlapic);
/* Register writes: TMICT, the divide configuration, IA32_TSC_DEADLINE. */
void vlapic_timer_write_initial(struct vlapic *vlapic, uint32_t value);
void vlapic_timer_write_divide(struct vlapic *vlapic, uint32_t value);
void vlapic_timer_write_tsc_deadline(struct vlapic *vlapic, uint64_t value);

#endif /* VMX_VLAPIC_TIMER_H */
