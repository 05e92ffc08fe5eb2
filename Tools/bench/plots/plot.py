#!/usr/bin/env python3
"""Draws the figures BENCHMARKS.md links from the JSON the benchmarks write.

    pip install matplotlib
    python3 Tools/bench/plots/plot.py            # reads Tools/bench/plots/data/*.json, writes Tools/bench/plots/*.png

Inputs: data/milter.json (Tools/bench/milter.sh), data/growth.json
(breakwater-lab growth --json), data/storm.json (Tools/bench/storm.sh). A missing input
skips its figures.
"""
import json, os, statistics as st, sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

here = os.path.dirname(os.path.abspath(__file__))
data = os.path.join(here, "data")
COLORS = {"breakwater": "#1f77b4", "null-nr": "#2ca02c", "null-all": "#d62728"}
LABELS = {"breakwater": "Breakwater (1 M threads tracked)", "null-nr": "null C filter, Breakwater's negotiation (-n)",
          "null-all": "null C filter, every step answered"}


def load(name):
    path = os.path.join(data, name)
    if not os.path.exists(path):
        print("skip: no " + path)
        return None
    with open(path) as f:
        return json.load(f)


def save(fig, name):
    path = os.path.join(here, name)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print("wrote " + path)


def milter(d):
    runs = d["runs"]
    conns = sorted({r["connections"] for r in runs})
    fig, (a, b, r3) = plt.subplots(1, 3, figsize=(15, 4.6))
    reps = sorted({r["rep"] for r in runs})
    for c in conns:
        get = lambda f, rep: [x["messagesPerSecond"] for x in runs if x["filter"] == f and x["connections"] == c and x["rep"] == rep][0]
        ratios = [100 * get("breakwater", rep) / get("null-nr", rep) for rep in reps]
        r3.scatter([c] * len(ratios), ratios, color=COLORS["breakwater"], alpha=0.35, s=16)
        r3.scatter([c], [st.median(ratios)], color=COLORS["breakwater"], s=60, marker="D", zorder=3)
        r3.annotate("%.1f %%" % st.median(ratios), (c, st.median(ratios)), textcoords="offset points", xytext=(10, -3), fontsize=9)
    r3.axhline(95, color="gray", ls="--", lw=1, label="target 95 %")
    r3.set_xscale("log", base=2); r3.set_xticks(conns); r3.set_xticklabels([str(c) for c in conns]); r3.set_xlim(0.7, 24)
    r3.set_xlabel("MTA connections at once"); r3.set_ylabel("Breakwater / null-nr, % (per repetition)")
    r3.set_title("Breakwater against the physical limit"); r3.legend(fontsize=8); r3.grid(alpha=0.3)
    for f in ("breakwater", "null-nr", "null-all"):
        meds = [st.median([r["messagesPerSecond"] for r in runs if r["filter"] == f and r["connections"] == c]) for c in conns]
        a.plot(conns, meds, "o-", color=COLORS[f], label=LABELS[f], lw=2)
        for c in conns:
            pts = [r["messagesPerSecond"] for r in runs if r["filter"] == f and r["connections"] == c]
            a.scatter([c] * len(pts), pts, color=COLORS[f], alpha=0.3, s=14)
        for q, style in (("p50us", "o-"), ("p99us", "s--")):
            vals = [st.median([r[q] for r in runs if r["filter"] == f and r["connections"] == c]) for c in conns]
            b.plot(conns, vals, style, color=COLORS[f], label="%s %s" % (f, q[:3]), lw=1.6)
    a.set_xscale("log", base=2); a.set_xticks(conns); a.set_xticklabels([str(c) for c in conns])
    a.set_xlabel("MTA connections at once"); a.set_ylabel("messages / s (median; dots: runs)")
    a.set_title("Milter path throughput, 20 recipients, 8 headers"); a.legend(fontsize=8); a.set_ylim(bottom=0)
    a.grid(alpha=0.3)
    b.set_xscale("log", base=2); b.set_yscale("log"); b.set_xticks(conns); b.set_xticklabels([str(c) for c in conns])
    b.set_xlabel("MTA connections at once"); b.set_ylabel("MAIL to verdict, µs (median of runs)")
    b.set_title("Latency per message: p50 (solid), p99 (dashed)"); b.legend(fontsize=7, ncol=2); b.grid(alpha=0.3, which="both")
    fig.suptitle("%s; replay harness as MTA on the same 2 shared cores; %d repetitions" % (d.get("date", ""), max(r["rep"] for r in runs)),
                 fontsize=8, y=0.02)
    save(fig, "milter-throughput.png")


def growth(d):
    rec = d["recipients"]
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.4))
    n = [r["recipients"] for r in rec]
    a.loglog(n, [r["nsPerDecision"] / 1e3 for r in rec], "o-", lw=2, label="µs per decision")
    a.loglog(n, [rec[0]["nsPerDecision"] / 1e3 * x / n[0] for x in n], ":", color="gray", label="linear from the 1-recipient case")
    exp = load("growth-experiment.json")
    if exp is not None:
        a.loglog([r["recipients"] for r in exp["recipients"]], [r["nsPerDecision"] / 1e3 for r in exp["recipients"]], "^--",
                 color="#9467bd", lw=1.5, label="µs per decision, local experiment (fixes A+B+C)")
    a.set_xlabel("recipients per message"); a.set_ylabel("µs per decision (median)")
    a.set_title("Cost per decision against recipients per message"); a.grid(alpha=0.3, which="both")
    a2 = a.twinx()
    a2.semilogx(n, [r["nsPerRecipient"] for r in rec], "s--", color="#ff7f0e", label="ns per recipient")
    a2.set_ylabel("ns per recipient", color="#ff7f0e"); a2.set_ylim(bottom=0)
    h1, l1 = a.get_legend_handles_labels(); h2, l2 = a2.get_legend_handles_labels()
    a.legend(h1 + h2, l1 + l2, fontsize=8, loc="upper left")
    tab = [t for t in d["tables"] if t["members"] > 0]
    names = [t["case"] for t in tab]
    x = range(len(tab))
    b.bar([i - 0.2 for i in x], [t["loadSeconds"] * 1e3 for t in tab], 0.4, label="load time, ms")
    b.bar([i + 0.2 for i in x], [t["residentBytes"] / 1048576 for t in tab], 0.4, label="resident growth, MiB")
    b.set_yscale("log"); b.set_xticks(list(x)); b.set_xticklabels(names, fontsize=8, rotation=12)
    for i, t in enumerate(tab):
        b.annotate("decision x%.2f" % t["ratioToBaseline"], (i, max(t["loadSeconds"] * 1e3, t["residentBytes"] / 1048576)),
                   textcoords="offset points", xytext=(0, 4), ha="center", fontsize=7)
    b.set_title("Audience tables: load, memory, decision vs no tables"); b.legend(fontsize=8); b.grid(alpha=0.3, axis="y")
    save(fig, "growth.png")


for name, fn in (("milter.json", milter), ("growth.json", growth)):
    d = load(name)
    if d is not None:
        fn(d)
