#!/usr/bin/env bash
# tests/e2e/linux-protocol.sh - the Linux x86 boot protocol end to end
# without a kernel build: guests/linux/probe.sh boots a synthetic bzImage
# (its 64-bit entry checks long mode, the zero page, the initrd and the
# command line) beside a testos VM and has a too-old bzImage refused with
# FILE:LINE. This script counts its checks for tests/e2e/run-all.
here=$(cd "$(dirname "$0")/../.." && pwd)
out=$(bash "$here/guests/linux/probe.sh" 2>&1); status=$?
printf '%s\n' "$out"
passed=$(grep -c '^ok ' <<<"$out")
failed=$(grep -c '^FAIL ' <<<"$out")
[ "$status" -eq 0 ] || [ "$failed" -gt 0 ] || failed=1
echo "e2e linux-protocol: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
