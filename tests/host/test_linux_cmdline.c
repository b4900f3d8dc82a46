/*
 * tests/host/test_linux_cmdline.c - host tests of the Linux guest's /init
 * command-line handling (guests/linux/cmdline.sh): uslice_cmdline's parsing
 * of uslice.workload/seconds/threads/warmup and uslice_run's argument
 * list, exit statuses and fallback RESULT lines, with a fake workload
 * binary (a shell function). Every row runs under the host's sh (dash)
 * and, when it is installed, busybox sh (the guest's shell); and
 * guests/linux/init still prints its first line before running anything.
 */
#include "tests/host/test.h"

#include <stdlib.h>
#include <unistd.h>

#define OUT_BYTES    2048
#define SCRIPT_BYTES 1024
#define BUSYBOX      "/bin/busybox"

/* The script each row runs: CMDLINE and FAKE_STATUS come from the environment. */
static const char script[] =
    ". guests/linux/cmdline.sh\n"
    "fake() { echo \"args:$*\"; [ \"$1\" = --list ] && { echo tlb; echo hog; return 0; };"
    " return \"$FAKE_STATUS\"; }\n"
    "uslice_cmdline \"$CMDLINE\"\n"
    "echo \"w=$USLICE_WORKLOAD s=$USLICE_SECONDS t=$USLICE_THREADS u=$USLICE_WARMUP\"\n"
    "USLICE_WORKLOAD_BIN=fake uslice_run\n"
    "echo \"rc=$?\"\n";

static const struct {
	const char *name, *cmdline, *status, *expect;
} rows[] = {
    {"no workload: today's behaviour", "console=ttyS0,115200 nokaslr", "0", "w= s= t= u=\nrc=0\n"},
    {"workload and seconds", "console=ttyS0 uslice.workload=tlb uslice.seconds=0.3 nokaslr", "0",
     "w=tlb s=0.3 t= u=\nargs:tlb --seconds 0.3\nrc=0\n"},
    {"all four keys", "uslice.warmup=0 uslice.threads=4 uslice.seconds=1 uslice.workload=hog", "0",
     "w=hog s=1 t=4 u=0\nargs:hog --seconds 1 --threads 4 --warmup 0\nrc=0\n"},
    {"the last one wins", "uslice.workload=tlb uslice.workload=hog", "0",
     "w=hog s= t= u=\nargs:hog\nrc=0\n"},
    {"no file name expansion", "uslice.workload=hog * uslice.seconds=*", "0",
     "w=hog s=* t= u=\nargs:hog --seconds *\nrc=0\n"},
    {"other keys ignored", "xuslice.workload=tlb uslice.workloads=tlb uslice=tlb", "0",
     "w= s= t= u=\nrc=0\n"},
    {"check=fail passes status 1 through", "uslice.workload=tlb", "1",
     "w=tlb s= t= u=\nargs:tlb\nrc=1\n"},
    {"unknown workload", "uslice.workload=nope", "2",
     "w=nope s= t= u=\nargs:nope\nRESULT workload=nope check=fail reason=unknown-workload\n"
     "rc=2\n"},
    {"bad arguments", "uslice.workload=hog uslice.threads=x", "2",
     "w=hog s= t=x u=\nargs:hog --threads x\nRESULT workload=hog check=fail "
     "reason=bad-arguments\nrc=2\n"},
    {"a crash", "uslice.workload=tlb", "139",
     "w=tlb s= t= u=\nargs:tlb\nRESULT workload=tlb check=fail reason=exit-status-139\n"
     "rc=139\n"},
};

static void run_rows(const char *shell, const char *script_path)
{
	char name[SCRIPT_BYTES], command[SCRIPT_BYTES], out[OUT_BYTES];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		snprintf(name, sizeof(name), "%s: %s", shell, rows[i].name);
		test_case_begin(name);
		setenv("CMDLINE", rows[i].cmdline, 1);
		setenv("FAKE_STATUS", rows[i].status, 1);
		snprintf(command, sizeof(command), "%s %s", shell, script_path);
		FILE *p = popen(command, "r");
		size_t n = p ? fread(out, 1, sizeof(out) - 1, p) : 0;
		out[n] = '\0';
		CHECK(p && pclose(p) == 0);
		CHECK_STR(out, rows[i].expect);
		test_case_end();
	}
}

/* /init prints its first line (the e2e tests' anchor) before the workload. */
static void test_init_order(void)
{
	char line[SCRIPT_BYTES];
	int seen_first = 0, ok = 0;
	FILE *f = fopen("guests/linux/init", "r");

	test_case_begin("init: the init-reached line, then cmdline.sh, uslice_run, poweroff");
	CHECK(f != NULL);
	while (f && fgets(line, sizeof(line), f)) {
		if (!strcmp(line,
		            "echo \"uslice-linux: init reached, $(nproc) cpus, $(uname -r)\"\n"))
			seen_first = 1;
		if (!strcmp(line, "uslice_run\n"))
			ok = seen_first;
		if (!strcmp(line, "poweroff -f\n"))
			ok = ok == 1 ? 2 : 0;
	}
	if (f)
		fclose(f);
	CHECK_EQ(ok, 2);
	test_case_end();
}

int main(void)
{
	char path[] = "/tmp/test_linux_cmdline.XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, script, sizeof(script) - 1) != (ssize_t)(sizeof(script) - 1)) {
		perror("test_linux_cmdline: writing the script");
		return 1;
	}
	close(fd);
	run_rows("sh", path);
	if (access(BUSYBOX, X_OK) == 0)
		run_rows(BUSYBOX " sh", path);
	else
		printf("test_linux_cmdline: %s missing, busybox rows skipped\n", BUSYBOX);
	test_init_order();
	unlink(path);
	return test_summary("test_linux_cmdline");
}
