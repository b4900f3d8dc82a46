# tests/e2e/lib.sh - helpers for end-to-end tests that boot uslice.
#
# e2e_boot NAME ARGS...   run tools/uslice-run ARGS, keep its output in
#                         $E2E_OUT/NAME.out and its exit status in $status
# expect_line NAME REGEX  the output has a line matching REGEX (grep -E)
# expect_value NAME TAG KEY VALUE   the first "TAG ..." line has KEY=VALUE
# expect_status NAME WANT the runner exited with WANT
# Each expect_* records one check; e2e_summary prints "e2e: N passed, N failed".
# Machine-readable lines are the contract: see docs/output.md.

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
E2E_OUT=${E2E_OUT:-$here/build/e2e}
mkdir -p "$E2E_OUT"
e2e_passed=0
e2e_failed=0
status=0

e2e_boot() {
	local name=$1; shift
	"$here/tools/uslice-run" --workdir "$E2E_OUT/$name.work" "$@" > "$E2E_OUT/$name.out" 2>&1
	status=$?
}

e2e_pass() { e2e_passed=$((e2e_passed + 1)); echo "ok   $1"; }
e2e_fail() {
	e2e_failed=$((e2e_failed + 1)); echo "FAIL $1"
	[ -f "$E2E_OUT/$2.out" ] && sed 's/^/     | /' "$E2E_OUT/$2.out" | tail -n 25
}

expect_line() {
	if grep -aqE "$2" "$E2E_OUT/$1.out"; then e2e_pass "$1: has /$2/"; else e2e_fail "$1: no line matches /$2/" "$1"; fi
}

expect_no_line() {
	if grep -aqE "$2" "$E2E_OUT/$1.out"; then e2e_fail "$1: unexpected line /$2/" "$1"; else e2e_pass "$1: no /$2/"; fi
}

# The value of KEY in the first line starting with "TAG ".
line_value() {
	grep -a "^$2 " "$E2E_OUT/$1.out" | head -n1 | tr ' ' '\n' | sed -n "s/^$3=//p" | head -n1
}

expect_value() {
	local got; got=$(line_value "$1" "$2" "$3")
	if [ "$got" = "$4" ]; then e2e_pass "$1: $2 $3=$4"; else e2e_fail "$1: $2 $3=${got:-<missing>}, expected $4" "$1"; fi
}

expect_status() {
	if [ "$status" = "$2" ]; then e2e_pass "$1: runner exit $2"; else e2e_fail "$1: runner exit $status, expected $2" "$1"; fi
}

e2e_summary() {
	echo "e2e $(basename "$0"): $e2e_passed passed, $e2e_failed failed"
	[ "$e2e_failed" -eq 0 ]
}
