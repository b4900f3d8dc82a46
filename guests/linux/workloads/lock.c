/*
 * guests/linux/workloads/lock.c - the `lock` workload (gmake/exim/
 * memclone-like): threads of one process hammer the kernel's shared locks
 * with a fixed cycle of operations - create a file (open O_CREAT|O_EXCL,
 * write, close), rename it, unlink it, all in one directory (the dentry,
 * inode and directory locks); map, touch and unmap anonymous memory (the
 * mm's mmap lock); fork a child that exits at once and wait for it (page
 * table copy, the tasklist lock). Each operation's latency is recorded,
 * with per-kind counts (file = create + rename + unlink operations, to
 * keep the RESULT line within a console line). check=pass when every call succeeded, each file's
 * contents read back, each child exited with the status it was given and
 * the directory is empty at the end.
 */
#define _GNU_SOURCE
#include "workload.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define LOCK_DIR_BYTES  64
#define LOCK_NAME_BYTES (LOCK_DIR_BYTES + 48)
#define LOCK_MAP_BYTES  (4u * 4096u)
#define LOCK_CHILD_MASK 0x7fu /* exit statuses 0..127 */
#define LOCK_DIR_MODE   0700
#define LOCK_FILE_MODE  0600

enum lock_kind { LOCK_CREATE, LOCK_RENAME, LOCK_UNLINK, LOCK_MMAP, LOCK_FORK, LOCK_KINDS };

struct lock_thread {
	struct wl_histogram latency;
	const struct wl_options *options;
	const char *dir;
	uint64_t counts[LOCK_KINDS];
	uint64_t failures;
};

static int lock_create(const char *path, uint64_t stamp)
{
	int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, LOCK_FILE_MODE);
	if (fd < 0)
		return -1;
	int ok = write(fd, &stamp, sizeof(stamp)) == (ssize_t)sizeof(stamp);
	return close(fd) == 0 && ok ? 0 : -1;
}

static int lock_read_back(const char *path, uint64_t stamp)
{
	uint64_t seen = 0;
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	int ok = read(fd, &seen, sizeof(seen)) == (ssize_t)sizeof(seen) && seen == stamp;
	return close(fd) == 0 && ok ? 0 : -1;
}

static int lock_mmap(uint64_t stamp)
{
	volatile uint64_t *map =
	    mmap(NULL, LOCK_MAP_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return -1;
	map[0] = stamp;
	map[LOCK_MAP_BYTES / sizeof(uint64_t) - 1] = ~stamp;
	int ok = map[0] == stamp && map[LOCK_MAP_BYTES / sizeof(uint64_t) - 1] == ~stamp;
	return munmap((void *)map, LOCK_MAP_BYTES) == 0 && ok ? 0 : -1;
}

static int lock_fork(unsigned code)
{
	int status;
	pid_t pid = fork();
	if (pid == 0)
		_exit((int)code);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) && (unsigned)WEXITSTATUS(status) == code ? 0 : -1;
}

/* One operation of KIND; 0 when it did what it should. */
static int lock_operation(struct lock_thread *t, enum lock_kind kind, unsigned index,
                          uint64_t iteration)
{
	char made[LOCK_NAME_BYTES], moved[LOCK_NAME_BYTES];
	uint64_t stamp = ((uint64_t)index << 40) ^ iteration;

	snprintf(made, sizeof(made), "%s/t%u.%llu", t->dir, index, (unsigned long long)iteration);
	snprintf(moved, sizeof(moved), "%s/r%u.%llu", t->dir, index, (unsigned long long)iteration);
	switch (kind) {
	case LOCK_CREATE:
		return lock_create(made, stamp);
	case LOCK_RENAME:
		return rename(made, moved) == 0 ? lock_read_back(moved, stamp) : -1;
	case LOCK_UNLINK:
		return unlink(moved) == 0 && access(moved, F_OK) != 0 ? 0 : -1;
	case LOCK_MMAP:
		return lock_mmap(stamp);
	default:
		return lock_fork((index + (unsigned)iteration) & LOCK_CHILD_MASK);
	}
}

static void lock_body(void *arg, unsigned index)
{
	struct lock_thread *t = arg;
	struct wl_window window;

	wl_window_open(&window, t->options);
	/* A cycle is never cut short: no file is left behind. */
	for (uint64_t iteration = 0; wl_now_ns() < window.end; iteration++) {
		for (enum lock_kind kind = 0; kind < LOCK_KINDS; kind++) {
			uint64_t begin = wl_now_ns();
			int rc = lock_operation(t, kind, index, iteration);
			uint64_t done = wl_now_ns();
			t->failures += rc != 0;
			if (wl_window_counts(&window, begin)) {
				wl_hist_record(&t->latency, done - begin);
				t->counts[kind]++;
			}
		}
	}
}

/* Entries of DIR other than . and ..; -1 if it cannot be read. */
static long lock_leftovers(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *entry;
	long n = 0;

	if (!d)
		return -1;
	while ((entry = readdir(d)))
		n += strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0;
	closedir(d);
	return n;
}

int wl_lock(const struct wl_options *options)
{
	static struct lock_thread threads[WL_MAX_THREADS];
	struct wl_histogram all;
	uint64_t counts[LOCK_KINDS] = {0}, failures = 0;
	char dir[LOCK_DIR_BYTES], extra[WL_EXTRA_BYTES];

	snprintf(dir, sizeof(dir), "/tmp/uslice-lock.%ld", (long)getpid());
	if (mkdir(dir, LOCK_DIR_MODE) != 0) {
		perror("uslice-workload lock: mkdir");
		return WL_EXIT_SETUP;
	}
	wl_hist_init(&all);
	for (unsigned i = 0; i < options->threads; i++) {
		memset(&threads[i], 0, sizeof(threads[i]));
		wl_hist_init(&threads[i].latency);
		threads[i].options = options;
		threads[i].dir = dir;
	}
	int status = wl_run_threads(options->threads, lock_body, threads, sizeof(threads[0]));
	for (unsigned i = 0; i < options->threads; i++) {
		wl_hist_merge(&all, &threads[i].latency);
		failures += threads[i].failures;
		for (unsigned k = 0; k < LOCK_KINDS; k++)
			counts[k] += threads[i].counts[k];
	}
	long leftovers = lock_leftovers(dir);
	int removed = rmdir(dir) == 0;
	snprintf(
	    extra, sizeof(extra), "file=%llu mmap=%llu fork=%llu",
	    (unsigned long long)(counts[LOCK_CREATE] + counts[LOCK_RENAME] + counts[LOCK_UNLINK]),
	    (unsigned long long)counts[LOCK_MMAP], (unsigned long long)counts[LOCK_FORK]);
	wl_report_problem("lock", "failed operations", failures);
	wl_report_problem("lock", "files left in the directory",
	                  leftovers > 0 ? (uint64_t)leftovers : 0);
	wl_report_problem("lock", "directories that could not be read or removed",
	                  (uint64_t)(leftovers < 0) + !removed);
	struct wl_result result = {"lock",
	                           options->threads,
	                           options->seconds_ns,
	                           all.count,
	                           &all,
	                           extra,
	                           status == 0 && failures == 0 && leftovers == 0 && removed &&
	                               all.count > 0};
	return wl_print_result(&result);
}
