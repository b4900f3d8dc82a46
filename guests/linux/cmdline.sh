# guests/linux/cmdline.sh - the part of the guest's /init that reads the
# kernel command line and runs the workload it names (docs/linux.md
# "Workloads"). Sourced by /init (installed as /lib/uslice/cmdline.sh) and
# by the host test tests/host/test_linux_cmdline.c; defines functions only.
# POSIX sh: runs under busybox ash in the guest and dash on the host.

# uslice_cmdline TEXT: USLICE_WORKLOAD, USLICE_SECONDS, USLICE_THREADS and
# USLICE_WARMUP from the words uslice.workload=NAME, uslice.seconds=S,
# uslice.threads=N and uslice.warmup=S of TEXT (the last one wins; empty
# when absent). Values are checked by the workload binary, not here.
uslice_cmdline() {
	USLICE_WORKLOAD='' USLICE_SECONDS='' USLICE_THREADS='' USLICE_WARMUP=''
	set -f # a word like * is not a file name pattern here
	for uslice_word in $1; do
		case "$uslice_word" in
		uslice.workload=*) USLICE_WORKLOAD=${uslice_word#*=} ;;
		uslice.seconds=*) USLICE_SECONDS=${uslice_word#*=} ;;
		uslice.threads=*) USLICE_THREADS=${uslice_word#*=} ;;
		uslice.warmup=*) USLICE_WARMUP=${uslice_word#*=} ;;
		esac
	done
	set +f
}

# uslice_run: nothing when no workload is named; otherwise run it
# ($USLICE_WORKLOAD_BIN, default /bin/uslice-workload), which prints its
# RESULT line and exits 0 (check=pass) or 1 (check=fail). Any other status
# means no RESULT line was printed: print one with check=fail and the
# reason (unknown-workload, bad-arguments for status 2, exit-status-N).
uslice_run() {
	[ -n "$USLICE_WORKLOAD" ] || return 0
	uslice_bin=${USLICE_WORKLOAD_BIN:-/bin/uslice-workload}
	set -f
	"$uslice_bin" "$USLICE_WORKLOAD" ${USLICE_SECONDS:+--seconds "$USLICE_SECONDS"} \
		${USLICE_THREADS:+--threads "$USLICE_THREADS"} \
		${USLICE_WARMUP:+--warmup "$USLICE_WARMUP"}
	uslice_status=$?
	set +f
	case "$uslice_status" in 0 | 1) return "$uslice_status" ;; esac
	uslice_reason=unknown-workload
	for uslice_known in $("$uslice_bin" --list); do
		[ "$uslice_known" = "$USLICE_WORKLOAD" ] && uslice_reason=bad-arguments
	done
	[ "$uslice_status" -eq 2 ] || uslice_reason=exit-status-$uslice_status
	echo "RESULT workload=$USLICE_WORKLOAD check=fail reason=$uslice_reason"
	return "$uslice_status"
}
