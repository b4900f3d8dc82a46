"""tests/host/host_check.py - the harness of the Python host tests: check()
records a failure under the running test's name, run() calls a table of
test functions and prints "NAME: N passed, N failed" like the C host tests
(tools/run-host-tests reads that line), exiting 1 on any failure."""
import sys

_state = {"current": "", "failures": 0}


def check(condition, what):
    """CONDITION true, or one failure of the running test described by WHAT."""
    if not condition:
        print("FAIL %s: %s" % (_state["current"], what), file=sys.stderr)
        _state["failures"] += 1
        return False
    return True


def run(name, tests):
    """Every function of TESTS in order; a test passes when no check failed."""
    passed = failed = 0
    for test in tests:
        _state["current"] = test.__name__
        before = _state["failures"]
        test()
        if _state["failures"] == before:
            passed += 1
        else:
            failed += 1
    print("%s: %d passed, %d failed" % (name, passed, failed))
    sys.exit(1 if failed else 0)
