#!/usr/bin/env python3
"""tests/host/test_bench_runs.py - tests of tools/bench/runs.py, the run
set-up of tools/uslice-bench: the VM configurations one run writes (the
workload duration, testos's warmup= window, the Linux guests' seconds),
the perturbed matrix and its wall-clock limits, how a log line becomes
a record's keys, the credit cell a policy's figures are relative to and the combined
figure (tools/bench/report.py). Table-driven; prints
"test_bench_runs: N passed, N failed" like the C host tests.
"""
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import host_check  # noqa: E402
from host_check import check  # noqa: E402
sys.path.insert(0, os.path.join(ROOT, "tools", "bench"))
import report  # noqa: E402
import runs  # noqa: E402



def written(src, duration_ms, warmup_ms):
    with tempfile.TemporaryDirectory() as work:
        path = os.path.join(work, "vm.cfg")
        runs.write_cfg(src, path, duration_ms, warmup_ms)
        with open(path) as f:
            return f.read()


# (cfg, duration ms, warm-up ms, a line the copy holds, a text it must not hold)
CFG_ROWS = [
    ("tests/scenarios/vms/lock.cfg", 500, 50, 'extra = "lock 500ms warmup=50ms"', "2000ms"),
    ("tests/scenarios/vms/lock.cfg", 200, 0, 'extra = "lock 200ms"', "warmup="),
    ("tests/scenarios/vms/hog.cfg", 10000, 50, 'extra = "hog 10000ms warmup=50ms"', "2000ms"),
    ("tests/scenarios/vms/lock.cfg", None, 50, 'extra = "lock 2000ms"', "warmup="),
    ("tests/scenarios/vms/linux-tlb.cfg", 300, 50, "uslice.seconds=0.3", "warmup="),
]


def test_write_cfg():
    for src, duration_ms, warmup_ms, want, unwanted in CFG_ROWS:
        text = written(src, duration_ms, warmup_ms)
        row = "%s %s/%s" % (src, duration_ms, warmup_ms)
        check(want in text.splitlines() or want in text, "%s: no %r in\n%s" % (row, want, text))
        check(unwanted not in text, "%s: %r left in\n%s" % (row, unwanted, text))


def test_matrix_carries_warmup():
    jobs = runs.matrix(["lock-hog", "lock-alone"], ["credit", "micro-dynamic"], ["50M", "1G"], 5, 500, 50)
    # lock-alone has no co-runner: credit only.
    check(len(jobs) == 2 * (2 + 1) * 5, "%d jobs" % len(jobs))
    check(all(j["warmup_ms"] == 50 for j in jobs), "warm-up on every job")
    durations = sorted({j["duration_ms"] for j in jobs})
    check(durations[0] >= 475 and durations[-1] <= 525, "durations %s within +-5 %%" % durations)
    ips = sorted({j["ips"] for j in jobs if j["ratio"] == "1G"})
    check(ips[0] == 980_000_000 and ips[-1] == 1_020_000_000, "1G ips %s within +-2 %%" % ips)


def test_timeout_covers_warmup():
    base = dict(duration_ms=500, ips=1_000_000_000)
    check(runs.timeout_s(dict(base, warmup_ms=500)) > runs.timeout_s(base), "the warm-up adds time")
    check(runs.timeout_s(dict(base, warmup_ms=0)) == runs.timeout_s(base), "no warm-up, no time")


# (scenario, duration ms, warm-up ms, the watchdog word the command holds or None)
WATCHDOG_ROWS = [
    ("shootdown-hog", 500, 50, "watchdog_ms=3200"),
    ("lock-alone", 200, 0, "watchdog_ms=1800"),
    ("linux-tlb-hog", 300, 0, None),
]


def test_watchdog_in_command():
    for scenario, duration_ms, warmup_ms, word in WATCHDOG_ROWS:
        job = dict(kind="bochs", scenario=scenario, policy="credit", ratio="1G", run=0,
                   ips=1_000_000_000, duration_ms=duration_ms, warmup_ms=warmup_ms)
        with tempfile.TemporaryDirectory() as work:
            command = runs.bochs_command(job, work)
        append = command[command.index("--append") + 1].split()
        if word:
            check(word in append, "%s: %s in %s" % (scenario, word, append))
        else:
            check(not any(w.startswith("watchdog_ms=") for w in append),
                  "%s keeps the default watchdog: %s" % (scenario, append))


def test_perturbations():
    rows = runs.perturbations(5)
    check(len(rows) == 5 and len(set(rows)) == 5, "five distinct runs %s" % rows)
    check(all(-20 <= a <= 20 and -50 <= b <= 50 for a, b in rows), "offsets in range %s" % rows)
    check(runs.perturbations(1) == [(0, 0)], "one run is unperturbed")


# (log line, keys it must give, keys it must not give)
PARSE_ROWS = [
    ("SCHED policy=micro-dynamic run_ms=550 offloads=7 pool_resizes=3 micro_pcpus=1",
     {"sched.policy": "micro-dynamic", "sched.offloads": "7", "sched.micro_pcpus": "1"}, []),
    ("SCHEDMECH notify_kicks=5 micro_borrows=2 micro_mean_milli=1929 micro_held_us=0:74025,2:1818722",
     {"sched.micro_borrows": "2", "sched.micro_mean_milli": "1929",
      "sched.micro_held_us": "0:74025,2:1818722"}, []),
    ("RESULT vm=lock workload=lock ops_per_s=1014603 mean=218",
     {"result.lock.ops_per_s": "1014603", "result.lock.mean": "218"}, []),
    ("[lock] RESULT workload=lock ops_per_s=12", {"result.lock.ops_per_s": "12"}, []),
    ("SCHEDVM vm=hog run_us=10", {"schedvm.hog.run_us": "10"}, []),
    ("SCHEDPCPU pcpu=0 busy_us=5", {}, ["sched.busy_us", "sched.pcpu"]),
    ("TRACE t=1 pcpu=0 ev=pool_resize vm=- vcpu=- a0=0 a1=1", {}, ["sched.ev"]),
]


def test_parse_line():
    for line, want, absent in PARSE_ROWS:
        record = {}
        runs.parse_line(line, record)
        for key, value in want.items():
            check(record.get(key) == value, "%r: %s=%r, got %r" % (line[:30], key, value, record.get(key)))
        for key in absent:
            check(key not in record, "%r: no %s" % (line[:30], key))


# (cells the matrix has, policy, the credit cell it is compared with)
CREDIT_ROWS = [
    (["credit", "micro-dynamic"], "micro-dynamic", "credit"),
    (["credit", "micro-dynamic+epoch50"], "micro-dynamic+epoch50", "credit"),
    (["credit", "credit+ctl", "micro-dynamic+ctl"], "micro-dynamic+ctl", "credit+ctl"),
    (["credit", "credit+ctl", "micro-dynamic+fast+ctl"], "micro-dynamic+fast+ctl", "credit+ctl"),
    (["credit", "micro-dynamic+ctl"], "micro-dynamic+ctl", "credit"),
    (["credit+ctl", "micro-dynamic"], "micro-dynamic", None),
]


def test_credit_of():
    for cells, policy, want in CREDIT_ROWS:
        g = {("1G", "lock-hog", c): [c] for c in cells}
        got = report.credit_of(g, "1G", "lock-hog", policy)
        check(got == ([want] if want else []), "%s among %s: %s, got %s" % (policy, cells, want, got))


def run_record(lock, hog, ok=True):
    return {"ok": ok, "result.lock.ops_per_s": str(lock), "result.hog.ops_per_s": str(hog)}


# (the cell's runs, credit's runs, each run's combined figure)
COMBINED_ROWS = [
    ([run_record(100, 10)], [run_record(100, 10)], [1.0]),
    ([run_record(50, 20), run_record(200, 5)], [run_record(100, 10)], [1.25, 1.25]),
    ([run_record(100, 10), run_record(1, 1, ok=False)],
     [run_record(90, 9), run_record(100, 10), run_record(110, 11)], [1.0, None]),
    ([run_record(100, 10)], [], [None]),
]


def test_combined():
    for rs, base, want in COMBINED_ROWS:
        got = report.combined(rs, base, "lock")
        check(got == want, "combined %s over %s: %s, got %s" % (rs, base, want, got))


TESTS = [test_write_cfg, test_matrix_carries_warmup, test_timeout_covers_warmup,
         test_watchdog_in_command, test_perturbations, test_parse_line, test_credit_of,
         test_combined]

if __name__ == "__main__":
    host_check.run("test_bench_runs", TESTS)
