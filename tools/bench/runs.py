"""tools/bench/runs.py - the benchmark matrix of tools/uslice-bench: which
runs to make (scenario x policy x time ratio x perturbation), how to make
one (tools/uslice-run with a perturbed ips and perturbed VM configs, or
tools/schedsim), and how to read its machine-readable lines into one flat
record of key=value results (docs/output.md names the lines)."""

import os
import re
import shutil
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RATIOS = {"50M": 50_000_000, "1G": 1_000_000_000}
POLICIES = ["credit", "credit-short", "directed-yield", "micro-static:1",
            "micro-static:2", "micro-static:3", "micro-dynamic"]
# A policy may carry variants, "micro-static:1+depth3+protect": the
# mechanism parameters of docs/mechanisms.md (and a shorter controller
# epoch), appended to the hypervisor command line.
VARIANTS = {"depth1": "sched_micro_queue_depth=1", "depth3": "sched_micro_queue_depth=3", "depth5": "sched_micro_queue_depth=5",
            "protect": "sched_protect_initiator=1", "batch": "sched_micro_batch=1",
            "early": "sched_micro_early_return=1", "epoch50": "sched_epoch_us=50000",
            # the defaults before stop 29: batch, protect and early return off
            "three-off": "sched_micro_batch=0 sched_protect_initiator=0 sched_micro_early_return=0",
            "borrow0": "sched_micro_borrow=0", "borrow1": "sched_micro_borrow=1",
            "borrow2": "sched_micro_borrow=2",
            "events": "sched_controller=0",
            "fast": "sched_profile_us=1000 sched_controller_step_ms=1",
            "check": "sched_check=1", "ctl": "sched_trace=ctl", "recheck": "sched_controller_recheck=1"}
# Variants that only observe (the policy decides the same; the hypervisor
# does a little more or less work): a cell with them is compared with
# credit carrying the same ones, when the matrix has it (tools/bench/report.py).
OBSERVATION_VARIANTS = {"ctl"}
# The co-runner's duration is a ceiling, this many times the measured
# workload's: run_until ends it with the measured VM, so that the two
# contend for the whole measurement (a hog with the workload's own
# duration ended first and left the measured VM a solo tail).
HOG_CEILING = 20


def policy_known(policy):
    """Is POLICY a known policy with known variants?"""
    base, *variants = policy.split("+")
    return base in POLICIES and all(v in VARIANTS for v in variants)


def policy_append(policy):
    """The hypervisor command-line words of POLICY (base + variants)."""
    base, *variants = policy.split("+")
    return " ".join(["sched=%s" % base] + [VARIANTS[v] for v in variants])

# Scenario -> (measured VM, its cfg, co-runner cfg or None). The alone
# references run under credit only.
SCENARIOS = {
    "shootdown-hog": ("shootdown", "tests/scenarios/vms/shootdown.cfg", "tests/scenarios/vms/hog.cfg"),
    "shootdown-alone": ("shootdown", "tests/scenarios/vms/shootdown.cfg", None),
    "lock-hog": ("lock", "tests/scenarios/vms/lock.cfg", "tests/scenarios/vms/hog.cfg"),
    "lock-alone": ("lock", "tests/scenarios/vms/lock.cfg", None),
    # The paper's shape (12 pCPUs, 12-vCPU VMs): not in the default matrix
    # (a 2000 ms run at 1 G is about 24 G instructions, ~10 min of wall time).
    "shootdown-hog-12": ("shootdown", "tests/scenarios/vms/shootdown-12.cfg",
                         "tests/scenarios/vms/hog-background-12.cfg"),
    "shootdown-alone-12": ("shootdown", "tests/scenarios/vms/shootdown-12.cfg", None),
    "lock-hog-12": ("lock", "tests/scenarios/vms/lock-12.cfg", "tests/scenarios/vms/hog-background-12.cfg"),
    "lock-alone-12": ("lock", "tests/scenarios/vms/lock-12.cfg", None),
    # Live Linux 6.1 (guests/linux, docs/linux.md "Workloads") beside the
    # 4-vCPU testos hog: not in the default matrix either (a Linux boot is
    # about 30 s of wall time at any ratio, and a 1 G run of 0.3 s about
    # 2 min). Their hog keeps its 600-s ceiling: the boot comes first and
    # takes many times the workload (LINUX_SCENARIOS).
    "linux-tlb-hog": ("linux", "tests/scenarios/vms/linux-tlb.cfg", "tests/scenarios/vms/hog-background.cfg"),
    "linux-tlb-alone": ("linux", "tests/scenarios/vms/linux-tlb.cfg", None),
    "linux-lock-hog": ("linux", "tests/scenarios/vms/linux-lock.cfg", "tests/scenarios/vms/hog-background.cfg"),
    "linux-lock-alone": ("linux", "tests/scenarios/vms/linux-lock.cfg", None),
    "linux-wake-hog": ("linux", "tests/scenarios/vms/linux-wake.cfg", "tests/scenarios/vms/hog-background.cfg"),
    "linux-wake-alone": ("linux", "tests/scenarios/vms/linux-wake.cfg", None),
    "linux-user-hog": ("linux", "tests/scenarios/vms/linux-user.cfg", "tests/scenarios/vms/hog-background.cfg"),
    "linux-user-alone": ("linux", "tests/scenarios/vms/linux-user.cfg", None),
}
LINUX_SCENARIOS = [s for s in SCENARIOS if s.startswith("linux-")]
DEFAULT_SCENARIOS = ["shootdown-hog", "shootdown-alone", "lock-hog", "lock-alone"]


def perturbations(runs):
    """Run k's (ips permille offset, duration permille offset): ips spread
    evenly over -20..+20 permille (+-2 %), duration over -50..+50 (+-5 %)
    in a rotated order so that the two offsets do not move together."""
    if runs == 1:
        return [(0, 0)]
    ips = [round(-20 + 40 * k / (runs - 1)) for k in range(runs)]
    shift = runs // 2
    dur = [round(off * 2.5) for off in ips[shift:] + ips[:shift]]
    return list(zip(ips, dur))


def matrix(scenarios, policies, ratios, runs, duration_ms, warmup_ms=0):
    """Every Bochs run of the matrix as a dict (no results yet); WARMUP_MS
    opens a testos workload's measured window that long after its start
    barrier (testos `warmup=`; 0: no window, every op counts)."""
    jobs = []
    for ratio in ratios:
        for scenario in scenarios:
            for policy in (policies if SCENARIOS[scenario][2] else ["credit"]):
                for k, (ips_pm, dur_pm) in enumerate(perturbations(runs)):
                    jobs.append(dict(kind="bochs", scenario=scenario, policy=policy, ratio=ratio,
                                     run=k, ips_permille=ips_pm, duration_permille=dur_pm,
                                     ips=RATIOS[ratio] * (1000 + ips_pm) // 1000,
                                     duration_ms=duration_ms * (1000 + dur_pm) // 1000,
                                     warmup_ms=warmup_ms))
    return jobs


def job_name(job):
    if job["kind"] == "sim":
        return "schedsim-seed%d" % job["seed"]
    if job["kind"] == "exits":
        return "vmexit-%s" % job["ratio"]
    return "%s-%s-%s-run%d" % (job["scenario"], job["policy"].replace(":", ""), job["ratio"], job["run"])


def write_cfg(src, dst, duration_ms, warmup_ms=0):
    """A copy of the VM cfg SRC with its workload duration set (testos
    `extra = "NAME Nms"`, Linux `uslice.seconds=S`); None keeps it. A
    testos workload gets `warmup=Nms` when WARMUP_MS > 0 (Linux guests
    have their own 0.05-s warm-up)."""
    with open(os.path.join(ROOT, src)) as f:
        text = f.read()
    if duration_ms is not None:
        window = " warmup=%dms" % warmup_ms if warmup_ms else ""
        text = re.sub(r'^extra = "(\w+) \d+ms"', r'extra = "\1 %dms%s"' % (duration_ms, window), text,
                      flags=re.M)
        text = re.sub(r'uslice\.seconds=[0-9.]+', 'uslice.seconds=%g' % (duration_ms / 1000), text)
    with open(dst, "w") as f:
        f.write(text)


def bochs_command(job, work):
    """The tools/uslice-run command line of one scenario run."""
    vm, cfg, hog = SCENARIOS[job["scenario"]]
    append = policy_append(job["policy"]) + (" run_until=%s" % vm if hog else "")
    if job["scenario"] not in LINUX_SCENARIOS:
        append += " watchdog_ms=%d" % watchdog_ms(job)
    cmd = [os.path.join(ROOT, "tools/uslice-run"), "--scenario", job["scenario"], "--append", append,
           "--ips", str(job["ips"]), "--workdir", work, "--timeout", str(timeout_s(job))]
    for name, src in ((vm, cfg), ("hog", hog)):
        if src:
            path = os.path.join(work, "%s.cfg" % name)
            ceiling = None if job["scenario"] in LINUX_SCENARIOS else HOG_CEILING
            write_cfg(src, path, job["duration_ms"] if name != "hog" else
                      (job["duration_ms"] * ceiling if ceiling else None), job.get("warmup_ms", 0))
            cmd += ["--module", "%s:%s.cfg" % (path, name)]
    return cmd


def exits_command(job, work):
    """The vmexit microbenchmark (tests/e2e/vmx-bench.sh's run) on 1 pCPU."""
    path = os.path.join(work, "bench.cfg")
    with open(path, "w") as f:
        f.write('name = "bench"\nkernel = "testos.elf"\nsymbols = "testos.map"\nmemory = 16\nextra = "bench"\n')
    testos = os.path.join(ROOT, "build/guests/testos")
    return [os.path.join(ROOT, "tools/uslice-run"), "--cpus", "1", "--ips", str(job["ips"]),
            "--timeout", "900", "--workdir", work,
            "--module", testos + "/testos.elf:testos.elf", "--module", testos + "/System.map:testos.map",
            "--module", path + ":bench.cfg"]


def watchdog_ms(job):
    """The hypervisor's watchdog for a testos run (virtual ms): four times
    the measured workload plus a second for boot, so that a run whose
    measured VM hangs ends with its report and VCPUSTUCK lines instead of
    meeting the wall-clock limit with nothing (the hog's ceiling is far
    beyond: run_until= ends it)."""
    return 4 * (job["duration_ms"] + job.get("warmup_ms", 0)) + 1000


def timeout_s(job):
    """Wall-clock limit: boot plus about 60 s per emulated 10^9 instructions per pCPU."""
    return int(400 + (job["duration_ms"] + job.get("warmup_ms", 0)) / 1000 * job["ips"] / 1e9 * 600 * 4)


def parse_line(line, record):
    """One machine-readable line into RECORD: RESULT vm=X k=v -> result.X.k,
    SCHEDVM vm=X -> schedvm.X.k, SCHED / RUN / HALT -> sched.k, run.k, halt.k
    (SCHEDMECH -> sched.k too);
    schedsim's RESULT scenario=S policy=P -> sim.S.P.k, SUMMARY scenario=S
    -> simsummary.S.k."""
    words = line.split()
    if len(words) > 1 and words[1] == "RESULT" and re.fullmatch(r"\[[\w-]+\]", words[0]):
        # A Linux guest's own line on its console: "[VM] RESULT workload=...".
        words = ["RESULT", "vm=" + words[0][1:-1]] + words[2:]
    if not words:
        return
    tag, pairs = words[0], dict(w.split("=", 1) for w in words[1:] if "=" in w)
    if tag == "RESULT" and "scenario" in pairs:
        prefix = "sim.%s.%s." % (pairs.pop("scenario"), pairs.pop("policy"))
    elif tag == "SUMMARY" and "scenario" in pairs:
        prefix = "simsummary.%s." % pairs.pop("scenario")
    elif tag in ("RESULT", "SCHEDVM") and "vm" in pairs:
        prefix = "%s.%s." % (tag.lower(), pairs.pop("vm"))
    elif tag in ("SCHED", "RUN", "HALT"):
        prefix = tag.lower() + "."
    elif tag == "SCHEDMECH":
        prefix = "sched."
    else:
        return
    for key, value in pairs.items():
        record.setdefault(prefix + key, value)


def parse_log(path, record):
    with open(path, errors="replace") as f:
        for line in f:
            parse_line(line.rstrip("\n"), record)


def environment(work, record):
    """The emulator's version and CPU model, as the run used them."""
    record["bochs_version"] = bochs_version()
    try:
        with open(os.path.join(work, "bochsrc")) as f:
            model = re.search(r"model=(\w+)", f.read())
        record["cpu_model"] = model.group(1) if model else "?"
    except OSError:
        record["cpu_model"] = "?"


_bochs_version = []


def bochs_version():
    if not _bochs_version:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "bochs"], capture_output=True, text=True)
        _bochs_version.append("bochs-" + (out.stdout.strip() or "unknown"))
    return _bochs_version[0]


def run_job(job, out_dir, keep=False):
    """Make one run; returns the job's record with its results and status."""
    name = job_name(job)
    log = os.path.join(out_dir, "logs", name + ".log")
    work = os.path.join(out_dir, "work", name)
    os.makedirs(work, exist_ok=True)
    if job["kind"] == "sim":
        cmd = [os.path.join(ROOT, "tools/schedsim"), "--scenario", "all", "--policy", "all",
               "--pcpus", "12", "--seed", str(job["seed"])]
    elif job["kind"] == "exits":
        cmd = exits_command(job, work)
    else:
        cmd = bochs_command(job, work)
    start = time.time()
    with open(log, "w") as f:
        status = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, cwd=ROOT).returncode
    record = dict(job, name=name, log=os.path.relpath(log, out_dir), status=status,
                  wall_s=round(time.time() - start, 1), command=" ".join(cmd))
    parse_log(log, record)
    if job["kind"] != "sim":
        environment(work, record)
        record["pcpus"] = record.get("run.cpus", "?")
    record["ok"] = status == 0 and check(record)
    if not keep:
        shutil.rmtree(work, ignore_errors=True)
    return record


def check(record):
    """The run produced what its tables need."""
    if record["kind"] == "sim":
        return any(k.startswith("sim.") for k in record)
    if record["kind"] == "exits":
        return "result.bench.cpuid" in record
    vm = SCENARIOS[record["scenario"]][0]
    return "result.%s.ops_per_s" % vm in record and "sched.ple_yields" in record
