#!/usr/bin/env python3
"""tests/host/test_uslice_trace.py - tests of tools/uslice-trace.

Runs the tool on small hand-made traces (mixed with console noise, the way
a serial log looks) and checks its Chrome JSON and SVG outputs: vCPU runs
per pCPU, instant events, counters, micro-sliced pCPUs inferred from
pool_pcpu + offload events or given with --micro, markers, the time window
and the error exit on input without TRACE lines. Prints
"test_uslice_trace: N passed, N failed" like the C host tests.
"""
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import host_check  # noqa: E402
from host_check import check  # noqa: E402
TOOL = os.path.join(ROOT, "tools", "uslice-trace")
SVG = "{http://www.w3.org/2000/svg}"

# Three pCPUs in pool 0; pCPU 2 moves to pool 1 at 1000 ns; vm0.1 is
# offloaded to pCPU 2 at 2000 and returns at 2100; times in ns.
TRACE = """\
uslice: booting on 3 pCPUs
TRACE t=0 pcpu=0 ev=pool_pcpu vm=- vcpu=- a0=0 a1=0
TRACE t=0 pcpu=0 ev=pool_pcpu vm=- vcpu=- a0=1 a1=0
TRACE t=0 pcpu=0 ev=pool_pcpu vm=- vcpu=- a0=2 a1=0
TRACE t=100 pcpu=0 ev=schedule_in vm=0 vcpu=0 a0=30000000 a1=0
TRACE t=100 pcpu=1 ev=schedule_in vm=0 vcpu=1 a0=30000000 a1=1
TRACE t=100 pcpu=2 ev=schedule_in vm=1 vcpu=0 a0=30000000 a1=2
TRACE t=1000 pcpu=2 ev=schedule_out vm=1 vcpu=0 a0=900 a1=4
TRACE t=1000 pcpu=0 ev=pool_pcpu vm=- vcpu=- a0=2 a1=65535
TRACE t=1000 pcpu=0 ev=pool_pcpu vm=- vcpu=- a0=2 a1=1
TRACE t=1000 pcpu=0 ev=pool_resize vm=- vcpu=- a0=0 a1=1
some other console line TRACE without fields
TRACE t=1500 pcpu=1 ev=yield vm=0 vcpu=1 a0=1 a1=2
TRACE t=1500 pcpu=1 ev=schedule_out vm=0 vcpu=1 a0=1400 a1=2
TRACE t=1500 pcpu=1 ev=schedule_in vm=1 vcpu=0 a0=30000000 a1=1
TRACE t=2000 pcpu=1 ev=offload vm=0 vcpu=1 a0=2 a1=1
TRACE t=2000 pcpu=2 ev=schedule_in vm=0 vcpu=1 a0=100000 a1=2
TRACE t=2100 pcpu=2 ev=schedule_out vm=0 vcpu=1 a0=100 a1=3
TRACE t=2100 pcpu=2 ev=return vm=0 vcpu=1 a0=1 a1=2
TRACE t=2200 pcpu=0 ev=offload_failed vm=0 vcpu=0 a0=65535 a1=1
TRACE t=2500 pcpu=0 ev=12 vm=- vcpu=- a0=21474836483 a1=7
TRACE t=2600 pcpu=0 ev=99 vm=- vcpu=- a0=0 a1=0
TRACE t=3000 pcpu=0 ev=schedule_out vm=0 vcpu=0 a0=2900 a1=0
"""



def run(arguments, text=None, directory=None):
    """Run the tool; returns (status, stdout, stderr, json, svg root)."""
    directory = directory or tempfile.mkdtemp(prefix="uslice-trace-test-")
    input_path = os.path.join(directory, "in.trace")
    json_path = os.path.join(directory, "out.json")
    svg_path = os.path.join(directory, "out.svg")
    command = [sys.executable, TOOL]
    if text is not None:
        with open(input_path, "w", newline="") as out:
            out.write(text)
        command.append(input_path)
    command += ["--json", json_path, "--svg", svg_path] + arguments
    result = subprocess.run(command, capture_output=True, text=True)
    document = svg = None
    if result.returncode == 0:
        with open(json_path) as data:
            document = json.load(data)
        svg = ElementTree.parse(svg_path).getroot()
    return result.returncode, result.stdout, result.stderr, document, svg


def slices(document):
    return [event for event in document["traceEvents"] if event["ph"] == "X"]


def by_class(svg, tag, name):
    return [element for element in svg.iter(SVG + tag)
            if element.get("class") == name]


def test_runs_per_pcpu():
    status, _, error, document, svg = run([], TRACE)
    if not check(status == 0, "exit status %d (%s)" % (status, error)):
        return
    runs = sorted((event["tid"], event["ts"], event["dur"], event["name"])
                  for event in slices(document))
    expected = [(0, 0.1, 2.9, "vm0.0"), (1, 0.1, 1.4, "vm0.1"),
                (1, 1.5, 1.5, "vm1.0"), (2, 0.1, 0.9, "vm1.0"),
                (2, 2.0, 0.1, "vm0.1")]
    check(len(runs) == len(expected), "runs %r" % (runs,))
    for got, want in zip(runs, expected):
        check(got[0] == want[0] and got[3] == want[3] and
              abs(got[1] - want[1]) < 1e-9 and abs(got[2] - want[2]) < 1e-9,
              "run %r != %r" % (got, want))
    check(len(by_class(svg, "rect", "run")) == len(expected),
          "SVG run rectangles")


def test_events_and_counters():
    _, _, _, document, _ = run([], TRACE)
    if not check(document is not None, "no output"):
        return
    events = document["traceEvents"]
    instants = [event["name"] for event in events if event["ph"] == "i"]
    check(sorted(instants) == sorted(
        ["pool_pcpu"] * 5 + ["pool_resize", "yield", "offload", "return",
                             "offload_failed", "counters", "event99"]),
          "instants %r" % instants)
    offload = [event for event in events if event["name"] == "offload"][0]
    check(offload["tid"] == 2, "offload drawn on its target pCPU")
    profile = [event for event in events
               if event["ph"] == "C" and event["name"] == "profile"]
    check(len(profile) == 1 and profile[0]["args"] ==
          {"ipi": 5, "ple": 3, "irq": 7}, "profile counter %r" % profile)
    size = [event for event in events if event["name"] == "micro pool size"]
    check(len(size) == 1 and size[0]["args"]["pCPUs"] == 1, "pool size")
    check(document["otherData"]["records"] == 21, "record count")


def test_micro_inferred():
    _, _, _, document, svg = run([], TRACE)
    if not check(document is not None, "no output"):
        return
    names = {event["tid"]: event["args"]["name"]
             for event in document["traceEvents"]
             if event["name"] == "thread_name"}
    check(names == {0: "pCPU 0", 1: "pCPU 1", 2: "pCPU 2 (micro-sliced)"},
          "thread names %r" % names)
    check(document["otherData"]["micro_pcpus"] == [2], "micro pCPUs")
    micro_runs = [event for event in slices(document) if event["args"]["micro"]]
    check([event["name"] for event in micro_runs] == ["vm0.1"],
          "runs on micro-sliced time %r" % micro_runs)
    hatched = by_class(svg, "rect", "micro")
    check(len(hatched) == 1, "one micro-sliced interval drawn")
    labels = [text.text for text in svg.iter(SVG + "text")]
    for label in ("pCPU 0", "pCPU 1", "pCPU 2 \u00b5", "VM 0", "VM 1"):
        check(label in labels, "label %r in %r" % (label, labels))
    check(len(by_class(svg, "path", "offload")) == 1, "offload marker")
    check(len(by_class(svg, "path", "return")) == 1, "return marker")
    check(len(by_class(svg, "path", "failed")) == 1, "failed marker")
    colours = {rect.get("fill") for rect in by_class(svg, "rect", "run")}
    check(len(colours) == 2, "one colour per VM %r" % colours)


def test_micro_option():
    _, _, _, document, svg = run(["--micro", "0,1"], TRACE)
    if not check(document is not None, "no output"):
        return
    check(document["otherData"]["micro_pcpus"] == [0, 1], "--micro list")
    check(len(by_class(svg, "rect", "micro")) == 2, "two hatched rows")


def test_offload_target_without_pools():
    text = ("TRACE t=0 pcpu=0 ev=schedule_in vm=3 vcpu=0 a0=1 a1=0\n"
            "TRACE t=50 pcpu=0 ev=offload vm=3 vcpu=1 a0=5 a1=1\n"
            "TRACE t=60 pcpu=5 ev=schedule_in vm=3 vcpu=1 a0=1 a1=5\n"
            "TRACE t=90 pcpu=5 ev=schedule_out vm=3 vcpu=1 a0=1 a1=3\n")
    _, _, _, document, svg = run([], text)
    if not check(document is not None, "no output"):
        return
    check(document["otherData"]["micro_pcpus"] == [5], "target is micro")
    runs = {(event["tid"], event["name"]) for event in slices(document)}
    check(runs == {(0, "vm3.0"), (5, "vm3.1")}, "runs %r" % runs)


def test_micro_from_pool_resize():
    # micro-static:1 at boot: pCPU 3 leaves pool 0 and joins pool 1, then
    # the micro pool size goes 0 -> 1; no offload ever happens.
    text = ("TRACE t=0 pcpu=0 ev=pool_pcpu vm=- vcpu=- a0=0 a1=0\n"
            "TRACE t=0 pcpu=0 ev=pool_pcpu vm=- vcpu=- a0=3 a1=0\n"
            "TRACE t=0 pcpu=0 ev=pool_pcpu vm=- vcpu=- a0=3 a1=65535\n"
            "TRACE t=0 pcpu=0 ev=pool_pcpu vm=- vcpu=- a0=3 a1=1\n"
            "TRACE t=0 pcpu=0 ev=pool_resize vm=- vcpu=- a0=0 a1=1\n"
            "TRACE t=10 pcpu=0 ev=schedule_in vm=0 vcpu=0 a0=1 a1=0\n"
            "TRACE t=500 pcpu=0 ev=pool_pcpu vm=- vcpu=- a0=3 a1=65535\n"
            "TRACE t=500 pcpu=0 ev=pool_pcpu vm=- vcpu=- a0=3 a1=0\n"
            "TRACE t=500 pcpu=0 ev=pool_resize vm=- vcpu=- a0=1 a1=0\n"
            "TRACE t=1000 pcpu=0 ev=schedule_out vm=0 vcpu=0 a0=1 a1=0\n")
    _, _, _, document, svg = run([], text)
    if not check(document is not None, "no output"):
        return
    check(document["otherData"]["micro_pcpus"] == [3], "pCPU 3 inferred")
    hatched = by_class(svg, "rect", "micro")
    # Micro from 0 to 500 of 1000 ns: half the plot width.
    check(len(hatched) == 1, "one interval")
    if hatched:
        plot = float(svg.get("width")) - 120 - 20
        check(abs(float(hatched[0].get("width")) - plot / 2) < 0.5,
              "interval width %s of %s" % (hatched[0].get("width"), plot))


def test_console_noise_crlf_and_order():
    # Rings dumped one after the other (not in time order), CRLF endings,
    # a prefix before TRACE, the exact line of sched_trace_format().
    text = ("[serial] TRACE t=123456 pcpu=2 ev=offload vm=1 vcpu=3 a0=5 a1=2\r\n"
            "garbage\r\n"
            "TRACE t=100 pcpu=5 ev=schedule_in vm=1 vcpu=3 a0=100000 a1=5\r\n"
            "TRACE t=200000 pcpu=5 ev=schedule_out vm=1 vcpu=3 a0=1 a1=3\r\n")
    status, _, _, document, _ = run(["--units-per-us", "100"], text)
    if not check(status == 0, "exit status"):
        return
    run_events = slices(document)
    check(len(run_events) == 1 and run_events[0]["tid"] == 5 and
          abs(run_events[0]["dur"] - 1999.0) < 1e-9, "scaled run %r" % run_events)
    instant = [event for event in document["traceEvents"] if event["ph"] == "i"]
    check(len(instant) == 1 and abs(instant[0]["ts"] - 1233.56) < 1e-9 and
          instant[0]["args"] == {"vm": 1, "vcpu": 3, "a0": 5, "a1": 2},
          "instant %r" % instant)


def test_clock_from_hypervisor_summary():
    # The hypervisor stamps TSC ticks and says the rate in TRACESUMMARY:
    # 50,000 kHz = 50 ticks per microsecond, no option needed; an explicit
    # --units-per-us still wins.
    text = ("TRACE t=1000 pcpu=0 ev=schedule_in vm=0 vcpu=0 a0=0 a1=0\n"
            "TRACE t=6000 pcpu=0 ev=schedule_out vm=0 vcpu=0 a0=0 a1=0\n"
            "TRACESUMMARY records=2 dropped=0 clock=tsc tsc_khz=50000\n")
    status, _, _, document, _ = run([], text)
    if check(status == 0, "exit status"):
        run_events = slices(document)
        check(len(run_events) == 1 and abs(run_events[0]["dur"] - 100.0) < 1e-9,
              "TSC run of 5000 ticks at 50/us = 100 us: %r" % run_events)
    status, _, _, document, _ = run(["--units-per-us", "1000"], text)
    if check(status == 0, "exit status with --units-per-us"):
        run_events = slices(document)
        check(len(run_events) == 1 and abs(run_events[0]["dur"] - 5.0) < 1e-9,
              "explicit units win: %r" % run_events)


def test_window():
    _, _, _, _, svg = run(["--window", "0.0019:0.0021"], TRACE)
    if not check(svg is not None, "no output"):
        return
    runs = by_class(svg, "rect", "run")
    # In [1900, 2100] ns: vm0.0 on 0, vm1.0 on 1, vm0.1 on 2.
    check(len(runs) == 3, "runs in the window: %d" % len(runs))
    check(len(by_class(svg, "path", "offload")) == 1, "offload in window")
    check(len(by_class(svg, "path", "failed")) == 0, "failed at 2200 is out")
    status, _, error, _, _ = run(["--window", "2:1"], TRACE)
    check(status == 2 and "TO must be after FROM" in error, "bad window")


def test_no_trace_lines():
    status, _, error, _, _ = run([], "just a boot log\nnothing else\n")
    check(status == 1, "exit status %d" % status)
    check("no TRACE lines" in error, "message %r" % error)


def test_stdin_summary():
    result = subprocess.run([sys.executable, TOOL, "--summary"], input=TRACE,
                            capture_output=True, text=True)
    check(result.returncode == 0, "exit status")
    check("records 21, other lines 2" in result.stdout, result.stdout)
    check("micro-sliced [2]" in result.stdout, result.stdout)


TESTS = [test_runs_per_pcpu, test_events_and_counters, test_micro_inferred,
         test_micro_option, test_offload_target_without_pools,
         test_micro_from_pool_resize,
         test_console_noise_crlf_and_order, test_clock_from_hypervisor_summary,
         test_window, test_no_trace_lines,
         test_stdin_summary]

if __name__ == "__main__":
    host_check.run("test_uslice_trace", TESTS)
