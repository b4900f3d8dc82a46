/*
 * guests/linux/workloads/main.c - the entry point of uslice-workload, the
 * one static binary in the Linux guest's initramfs that carries every
 * workload (like busybox): `uslice-workload NAME [--seconds S] [--threads
 * N] [--warmup S]` runs NAME and prints its RESULT line; `--list` prints
 * the names. Exit status: 0 check=pass, 1 check=fail, 2 bad arguments or
 * an unknown name, 3 the workload could not start (a pipe, its directory,
 * a thread); with 2 and 3 a message on stderr and no RESULT line.
 */
#include "workload.h"

#include <stdio.h>
#include <string.h>

struct workload {
	const char *name;
	int (*run)(const struct wl_options *options);
};

static const struct workload workloads[] = {
    {"tlb", wl_tlb},   {"lock", wl_lock}, {"wake", wl_wake},     {"hog", wl_hog},
    {"user", wl_user}, {"ping", wl_ping}, {"stream", wl_stream},
};
#define WORKLOAD_COUNT (sizeof(workloads) / sizeof(workloads[0]))

static void list_names(FILE *out, const char *separator)
{
	for (size_t i = 0; i < WORKLOAD_COUNT; i++)
		fprintf(out, "%s%s", i ? separator : "", workloads[i].name);
	fputc('\n', out);
}

int main(int argc, char **argv)
{
	struct wl_options options;
	char error[WL_ERROR_BYTES];

	if (argc < 2) {
		fprintf(stderr,
		        "usage: uslice-workload NAME [--seconds S] [--threads N] [--warmup S]\n"
		        "       uslice-workload --list\nworkloads: ");
		list_names(stderr, " ");
		return WL_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--list") == 0) {
		list_names(stdout, "\n");
		return WL_EXIT_PASS;
	}
	for (size_t i = 0; i < WORKLOAD_COUNT; i++) {
		if (strcmp(argv[1], workloads[i].name) != 0)
			continue;
		if (wl_parse_args(argc - 2, argv + 2, wl_online_cpus(), &options, error,
		                  sizeof(error)) != 0) {
			fprintf(stderr, "uslice-workload %s: %s\n", argv[1], error);
			return WL_EXIT_USAGE;
		}
		return workloads[i].run(&options);
	}
	fprintf(stderr, "uslice-workload: unknown workload \"%s\" (workloads: ", argv[1]);
	for (size_t i = 0; i < WORKLOAD_COUNT; i++)
		fprintf(stderr, "%s%s", i ? " " : "", workloads[i].name);
	fprintf(stderr, ")\n");
	return WL_EXIT_USAGE;
}
