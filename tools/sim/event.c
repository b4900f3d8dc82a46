/*
 * tools/sim/event.c - binary min-heap of simulator events (see event.h).
 *
 * Invariant: heap[i] is not later than heap[2i+1] and heap[2i+2], comparing
 * (time, sequence). The array grows by doubling; it is never shrunk.
 *
 * Lock order: none (single-threaded).
 */
#include "tools/sim/event.h"

#include <stdio.h>
#include <stdlib.h>

static int sim_event_before(const struct sim_event *a, const struct sim_event *b)
{
	if (a->time != b->time)
		return a->time < b->time;
	return a->sequence < b->sequence;
}

void sim_event_queue_init(struct sim_event_queue *queue)
{
	queue->heap = NULL;
	queue->count = 0;
	queue->capacity = 0;
	queue->next_sequence = 0;
	queue->processed = 0;
}

void sim_event_queue_free(struct sim_event_queue *queue)
{
	free(queue->heap);
	sim_event_queue_init(queue);
}

void sim_event_push(struct sim_event_queue *queue, uint64_t time, int kind, int target,
                    uint64_t generation)
{
	struct sim_event event;
	size_t index;

	if (queue->count == queue->capacity) {
		size_t capacity = queue->capacity ? queue->capacity * 2 : 1024;
		struct sim_event *heap = realloc(queue->heap, capacity * sizeof(*heap));
		if (!heap) {
			fprintf(stderr, "schedsim: out of memory (event queue)\n");
			exit(2);
		}
		queue->heap = heap;
		queue->capacity = capacity;
	}
	event.time = time;
	event.sequence = queue->next_sequence++;
	event.generation = generation;
	event.kind = kind;
	event.target = target;

	/* Sift up. */
	index = queue->count++;
	while (index > 0) {
		size_t parent = (index - 1) / 2;
		if (!sim_event_before(&event, &queue->heap[parent]))
			break;
		queue->heap[index] = queue->heap[parent];
		index = parent;
	}
	queue->heap[index] = event;
}

int sim_event_pop(struct sim_event_queue *queue, struct sim_event *event)
{
	struct sim_event last;
	size_t index = 0;

	if (queue->count == 0)
		return 0;
	*event = queue->heap[0];
	last = queue->heap[--queue->count];

	/* Sift the former last element down from the root. */
	for (;;) {
		size_t child = 2 * index + 1;
		if (child >= queue->count)
			break;
		if (child + 1 < queue->count &&
		    sim_event_before(&queue->heap[child + 1], &queue->heap[child]))
			child++;
		if (!sim_event_before(&queue->heap[child], &last))
			break;
		queue->heap[index] = queue->heap[child];
		index = child;
	}
	if (queue->count > 0)
		queue->heap[index] = last;
	queue->processed++;
	return 1;
}
