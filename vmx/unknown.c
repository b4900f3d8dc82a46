/*
 * vmx/unknown.c - per-VM tables of unknown ports and MSRs (see unknown.h).
 *
 * Lock order: none; log_record takes log_lock.
 */
#include "vmx/unknown.h"

#include <stddef.h>

#include "kernel/log.h"

#define VM_UNKNOWN_TAG (1ull << 32)

uint32_t vm_unknown_id(const struct vm_unknown_entry *entry)
{
	return (uint32_t)entry->tag;
}

void vm_unknown_count(struct vm_unknown_table *table, uint32_t id, bool write)
{
	uint64_t tag = VM_UNKNOWN_TAG | id;
	for (unsigned i = 0; i < VM_UNKNOWN_ENTRIES; i++) {
		struct vm_unknown_entry *entry = &table->entries[i];
		uint64_t seen = __atomic_load_n(&entry->tag, __ATOMIC_ACQUIRE);
		if (!seen && __atomic_compare_exchange_n(&entry->tag, &seen, tag, false,
		                                         __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			seen = tag;
		if (seen == tag) {
			__atomic_add_fetch(write ? &entry->writes : &entry->reads, 1,
			                   __ATOMIC_RELAXED);
			return;
		}
	}
	__atomic_add_fetch(write ? &table->overflow_writes : &table->overflow_reads, 1,
	                   __ATOMIC_RELAXED);
}

const struct vm_unknown_entry *vm_unknown_find(const struct vm_unknown_table *table, uint32_t id)
{
	for (unsigned i = 0; i < VM_UNKNOWN_ENTRIES; i++)
		if (__atomic_load_n(&table->entries[i].tag, __ATOMIC_ACQUIRE) ==
		    (VM_UNKNOWN_TAG | id))
			return &table->entries[i];
	return NULL;
}

void vm_unknown_report(const struct vm_unknown_table *table, const char *record,
                       const char *vm_name, const char *key)
{
	/* Used slots in id order (slots fill in first-seen order, which
	 * vCPUs racing each other make nondeterministic). */
	const struct vm_unknown_entry *sorted[VM_UNKNOWN_ENTRIES];
	unsigned count = 0;
	for (unsigned i = 0; i < VM_UNKNOWN_ENTRIES; i++) {
		const struct vm_unknown_entry *entry = &table->entries[i];
		if (!entry->tag)
			continue;
		unsigned at = count++;
		for (; at > 0 && vm_unknown_id(sorted[at - 1]) > vm_unknown_id(entry); at--)
			sorted[at] = sorted[at - 1];
		sorted[at] = entry;
	}
	for (unsigned i = 0; i < count; i++)
		log_record("%s vm=%s %s=0x%x reads=%llu writes=%llu", record, vm_name, key,
		           vm_unknown_id(sorted[i]), (unsigned long long)sorted[i]->reads,
		           (unsigned long long)sorted[i]->writes);
	if (table->overflow_reads || table->overflow_writes)
		log_record("%s vm=%s %s=other reads=%llu writes=%llu", record, vm_name, key,
		           (unsigned long long)table->overflow_reads,
		           (unsigned long long)table->overflow_writes);
}
