/*
 * vmx/ept.h - extended page tables: one EPT per VM.
 *
 * ept_build() maps guest-physical [0, size) to host-physical
 * [host_base, host_base + size), read/write/execute, write-back, with
 * 2 MiB pages wherever both addresses are 2 MiB aligned and 4 KiB pages
 * elsewhere. Nothing else is mapped: the hypervisor's memory and other
 * VMs' memory are never reachable from the guest; an access outside the
 * map is an EPT violation.
 *
 * Lock order: none (built before the VM runs, read-only afterwards).
 */
#ifndef VMX_EPT_H
#define VMX_EPT_H

#include <stddef.h>
#include <stdint.h>

struct ept_statistics {
	uint64_t pages_2m, pages_4k, tables;
};

/* Returns the EPT pointer (EPTP) or 0 with a reason in `error`. *root gets
 * the PML4 physical address. */
uint64_t ept_build(uint64_t host_base, uint64_t size, uint64_t *root,
                   struct ept_statistics *statistics, char *error, size_t error_size);
/* Free every table of the EPT rooted at `root` (0: nothing), not the
 * guest memory it maps. */
void ept_destroy(uint64_t root);

#endif /* VMX_EPT_H */
