#!/usr/bin/env bash
# tests/e2e/console-interactive.sh - the interactive console as a person
# uses it (docs/console.md): `tools/uslice-run --interactive` runs in a
# tmux pane (a private tmux server), the test types with `tmux send-keys`
# and reads the screen with `tmux capture-pane`: the prompt appears,
# `xl list` prints Xen's table (Name, ID, Mem, VCPUs, State, Time(s)) with
# the running VM, `xl cpupool-list` Xen's pool table, a bad command an
# XL error line, `xl console` attaches to the VM's UART and Ctrl-] leaves
# it, and `xl destroy` ends the run. Every wait polls the
# screen with a timeout; nothing sleeps for a fixed time.
source "$(dirname "$0")/smp-lib.sh"
command -v tmux >/dev/null || { echo "console-interactive: FAIL tmux missing (tools/install-deps)"; exit 1; }
vmx_build
smp_config long 1 "hog 600000ms"
socket="uslice-e2e-$$"
tmux_() { tmux -L "$socket" "$@"; }
cleanup() { tmux_ kill-server 2>/dev/null; }
trap cleanup EXIT
cat > "$VMX_WORK/session.sh" <<SESSION
#!/usr/bin/env bash
"$here/tools/uslice-run" --interactive --cpus 2 --timeout 180 --workdir "$VMX_WORK/run" \\
	--module "$here/build/guests/testos/testos.elf:testos.elf" \\
	--module "$here/build/guests/testos/System.map:testos.map" \\
	--module "$VMX_WORK/long.cfg:long.cfg" --cmdline "sched_trace=0"
echo "RUNNER-EXIT=\$?"
sleep 600
SESSION
chmod +x "$VMX_WORK/session.sh"
screen_() { tmux_ capture-pane -p -t e2e -S -400 2>/dev/null; }
# wait_for REGEX SECONDS WHAT: poll the screen until a line matches.
wait_for() {
	local deadline=$(( $(date +%s) + $2 ))
	while [ "$(date +%s)" -lt "$deadline" ]; do
		if screen_ | grep -qE -- "$1"; then check_pass "$3"; return 0; fi
		sleep 0.3
	done
	check_fail "$3 (no /$1/ on the screen within $2 s)"
	screen_ | tail -n 20 | sed 's/^/     | /'
	return 1
}
start=$(date +%s)
tmux_ new-session -d -s e2e -x 150 -y 50 "$VMX_WORK/session.sh"
if wait_for '^uslice>' 90 "the console prompt appears"; then
	tmux_ send-keys -t e2e 'xl list' Enter
	wait_for '^Name +ID +Mem VCPUs[[:space:]]+State[[:space:]]+Time\(s\)$' 60 "xl list prints Xen's header"
	wait_for '^long +0 +32 +1 +[r-]b?-+ +[0-9]+\.[0-9]$' 30 "xl list shows the running VM"
	tmux_ send-keys -t e2e 'xl cpupool-list' Enter
	wait_for '^Pool-0 +2 +credit +y +1$' 60 "xl cpupool-list prints Pool-0 with 2 pCPUs and 1 VM"
	tmux_ send-keys -t e2e 'xl frobnicate' Enter
	wait_for '^XL error command="xl frobnicate" reason="unknown subcommand frobnicate' 60 "a bad command is an error line"
	tmux_ send-keys -t e2e 'xl console long' Enter
	wait_for '^XL console vm=long escape=ctrl-\] bytes=[1-9]' 60 "xl console attaches to the VM's UART"
	tmux_ send-keys -t e2e C-] Enter
	wait_for '^XL console vm=long detached=yes$' 60 "Ctrl-] leaves the VM's console"
	tmux_ send-keys -t e2e 'xl destroy long' Enter
	wait_for '^VMSTOP name=long cause="xl destroy"' 60 "xl destroy stops the VM"
	wait_for '^RUNNER-EXIT=0$' 90 "the run ends cleanly"
fi
grep -q '^HALT reason=done' "$VMX_WORK/run/serial.log" && check_pass "the serial log was kept" || check_fail "the serial log was kept"
echo "BENCH console-interactive wall_s=$(( $(date +%s) - start ))"
vmx_finish
