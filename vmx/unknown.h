/*
 * vmx/unknown.h - per-VM accounting of accesses nobody emulates: unknown
 * I/O ports (vmx/io.c) and MSRs (vmx/msr.c), counted per port or MSR in a
 * bounded table and reported at the end of the run.
 *
 * Any vCPU of the VM may count at any time: a slot is claimed with a
 * compare-and-swap of its tag and the counters are atomic, so no lock is
 * taken. Accesses to further ids once the table is full go to the
 * overflow counters. The report runs after every vCPU has left.
 *
 * Lock order: none (atomics); the report takes log_lock.
 */
#ifndef VMX_UNKNOWN_H
#define VMX_UNKNOWN_H

#include <stdbool.h>
#include <stdint.h>

#define VM_UNKNOWN_ENTRIES 16

struct vm_unknown_entry {
	uint64_t tag; /* VM_UNKNOWN_TAG | id, 0 = free */
	uint64_t reads, writes;
};

struct vm_unknown_table {
	struct vm_unknown_entry entries[VM_UNKNOWN_ENTRIES];
	uint64_t overflow_reads, overflow_writes; /* ids that found no slot */
};

/* Count one read or write of `id`. */
void vm_unknown_count(struct vm_unknown_table *table, uint32_t id, bool write);
/* The entry of `id`, or NULL if it was never counted (or overflowed). */
const struct vm_unknown_entry *vm_unknown_find(const struct vm_unknown_table *table, uint32_t id);
uint32_t vm_unknown_id(const struct vm_unknown_entry *entry);
/* One log_record line per id, in id order: "RECORD vm=VM KEY=0xID reads=N
 * writes=N", then "RECORD vm=VM KEY=other reads=N writes=N" if any
 * overflowed. */
void vm_unknown_report(const struct vm_unknown_table *table, const char *record,
                       const char *vm_name, const char *key);

#endif /* VMX_UNKNOWN_H */
