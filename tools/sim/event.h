/*
 * tools/sim/event.h - the simulator's event queue: a binary min-heap of
 * timed events.
 *
 * Events are ordered by (time, sequence): the sequence number is assigned at
 * insertion, so events at the same simulated nanosecond run in the order they
 * were scheduled and every run is deterministic. Cancelling is lazy: an event
 * carries a generation number that the handler compares with its target's
 * current generation and ignores stale events.
 *
 * Lock order: none (the simulator is single-threaded).
 */
#ifndef SIM_EVENT_H
#define SIM_EVENT_H

#include <stddef.h>
#include <stdint.h>

enum sim_event_kind {
	SIM_EVENT_GUEST_STEP = 1, /* a running vCPU's segment ends          */
	SIM_EVENT_PCPU_TIMER,     /* the scheduler's timer on one pCPU       */
	SIM_EVENT_PCPU_KICK,      /* reschedule request for one pCPU         */
	SIM_EVENT_DEVICE_PACKET,  /* an I/O flow's next packet arrives       */
	SIM_EVENT_VCPU_ONLINE,    /* a vCPU is started (VM boot, AP SIPI)    */
	SIM_EVENT_GUEST_WAKEUP,   /* a sleeping guest thread is woken        */
	SIM_EVENT_STOP,           /* end of the simulated run                */
};

struct sim_event {
	uint64_t time;       /* simulated ns                              */
	uint64_t sequence;   /* insertion order, breaks ties in time       */
	uint64_t generation; /* compared with the target's, stale if not  */
	int kind;            /* enum sim_event_kind                       */
	int target;          /* vCPU id, pCPU number or flow number        */
};

struct sim_event_queue {
	struct sim_event *heap;
	size_t count;
	size_t capacity;
	uint64_t next_sequence;
	uint64_t processed; /* events popped, for the statistics line */
};

void sim_event_queue_init(struct sim_event_queue *queue);
void sim_event_queue_free(struct sim_event_queue *queue);
void sim_event_push(struct sim_event_queue *queue, uint64_t time, int kind, int target,
                    uint64_t generation);
/* Pop the earliest event into *event; returns 0 when the queue is empty. */
int sim_event_pop(struct sim_event_queue *queue, struct sim_event *event);

#endif /* SIM_EVENT_H */
