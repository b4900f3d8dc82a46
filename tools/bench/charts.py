"""tools/bench/charts.py - the SVG charts of tools/uslice-bench (matplotlib,
Debian's python3-matplotlib): per co-run scenario, the normalised
performance of both VMs against the policy (like the paper's Figures 4-6)
and the yield sources stacked per policy (like Figure 7), one panel per
time ratio. Input: report.chart_data()."""

import os

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402

matplotlib.rcParams["svg.hashsalt"] = "uslice-bench"  # the same data give the same file
LABELS = {"credit": "credit\n(0 micro)", "micro-static:1": "1 micro", "micro-static:2": "2 micro",
          "micro-static:3": "3 micro", "credit-short": "credit-\nshort", "directed-yield": "directed\nyield",
          "micro-dynamic": "micro-\ndynamic"}
SOURCES = ["ple_ipi_wait", "ple_lock_spin", "ple_halt", "ple_none", "virqs"]


def panels(count, title):
    fig, axes = plt.subplots(1, count, figsize=(5.5 * count, 4), squeeze=False)
    fig.suptitle(title)
    return fig, axes[0]


def save(fig, path):
    fig.tight_layout()
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)
    return path


def normalised(scenario, data, path):
    vm = scenario.split("-")[0]
    fig, axes = panels(len(data), "%s: ops/s relative to credit (median, bars min-max)" % scenario)
    for ax, (ratio, rows) in zip(axes, data.items()):
        xs = range(len(rows))
        for offset, index, label in ((-0.2, 1, vm + " VM"), (0.2, 2, "hog VM")):
            med = [r[index][0] for r in rows]
            err = [[m - r[index][1] for m, r in zip(med, rows)], [r[index][2] - m for m, r in zip(med, rows)]]
            ax.bar([x + offset for x in xs], med, 0.4, yerr=err, capsize=3, label=label)
        ax.axhline(1.0, color="grey", linewidth=0.8)
        ax.set_xticks(list(xs), [LABELS.get(r[0], r[0]) for r in rows], fontsize=8)
        ax.set_title("ips %s" % ratio)
        ax.set_ylabel("normalised ops/s")
        ax.legend(fontsize=8)
    return save(fig, path)


def yields(scenario, data, path):
    fig, axes = panels(len(data), "%s: yield sources per second of virtual time (median)" % scenario)
    for ax, (ratio, rows) in zip(axes, data.items()):
        xs, bottom = list(range(len(rows))), [0.0] * len(rows)
        for source in SOURCES:
            values = [r[3][source] for r in rows]
            ax.bar(xs, values, 0.6, bottom=bottom, label=source)
            bottom = [b + v for b, v in zip(bottom, values)]
        ax.set_xticks(xs, [LABELS.get(r[0], r[0]) for r in rows], fontsize=8)
        ax.set_title("ips %s" % ratio)
        ax.set_ylabel("events / s")
        ax.legend(fontsize=8)
    return save(fig, path)


def draw(scenario, fig_dir, data, section):
    """Both charts of SCENARIO in the report SECTION; returns their paths."""
    base = os.path.join(fig_dir, "bench-%s-%s" % (section, scenario))
    return [normalised(scenario, data, base + "-normalised.svg"), yields(scenario, data, base + "-yields.svg")]
