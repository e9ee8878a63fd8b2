#!/usr/bin/env python3
"""run_table.py - bench/run.sh's one table, from what its sections left in
WORK (pool.out, cbench.out, cold.jsonl, pooled.jsonl, swarm.out or
swarm.skip, mem.out, NAME.load). A section that did not run or gave nothing
readable is a row saying so.

  run_table.py WORK DATE MACHINE ROUNDS"""
import json
import os
import re
import sys

work, date, machine, rounds = sys.argv[1:5]
rows = []


def read(name):
    p = os.path.join(work, name)
    return open(p).read() if os.path.exists(p) else None


def load(name):
    t = read(name + ".load") or ""
    b = re.search(r"load_before (\S+)", t)
    a = re.search(r"load_after (\S+)", t)
    return "%s→%s" % (b.group(1) if b else "?", a.group(1) if a else "?")


def row(figure, ecs, ref, ratio, target, section):
    rows.append((figure, ecs, ref, ratio, target, load(section)))


def missing(figure, section, why="not measured in this run"):
    rows.append((figure, "-", "-", "-", "", why))


def md_rows(text):
    """{first cell: [cells]} of a markdown table."""
    out = {}
    for line in (text or "").splitlines():
        if line.startswith("|") and not line.startswith("| ---"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            out.setdefault(cells[0], cells[1:])
    return out


pool = md_rows(read("pool.out"))
bare = pool.get("bare engine sequence")
if bare and "pooled (ecs, TLS)" in pool:
    p, c, d = pool["pooled (ecs, TLS)"], pool.get("cold (ecs, TLS)"), pool.get("docker run --rm")
    row("pooled task p50, 1 client (%s rounds)" % rounds, p[0] + " ms", "bare engine sequence " + bare[0] + " ms",
        p[-1], "≤ 5 ms, ≤ 0.02", "pool")
    if c:
        row("cold task p50, 1 client, through nginx + TLS", c[0] + " ms", "bare engine sequence " + bare[0] + " ms",
            c[-1], "≤ 1.05 (the engine with the same confinement)", "pool")
    if d:
        row("`docker run --rm` p50", d[0] + " ms", "bare engine sequence " + bare[0] + " ms", d[-1], "", "pool")
    for k in ("pooled", "cold"):
        b = pool.get(k)
        if b and len(b) >= 4:
            row("burst of 8 %s at once: wall / p50" % k, "%s ms / %s ms" % (b[0], b[1]), "", "",
                "%s pooled, %s failed" % (b[3], b[4] if len(b) > 4 else "?"), "pool")
else:
    missing("pooled and cold p50 (bench/pool.sh)", "pool")

cb = read("cbench.out") or ""
m_b = re.search(r"^bare\s+p50\s+([\d.]+)", cb, re.M)
m_t = re.search(r"^task\s+p50\s+([\d.]+)", cb, re.M)
m_r = re.search(r"task - bare:.*ratio p50 ([\d.]+)", cb)
if m_b and m_t:
    row("cold ecs_task_run p50, same engine calls in process (%s interleaved)" % rounds, m_t.group(1) + " ms",
        "libecs bare create/start/wait/logs " + m_b.group(1) + " ms", m_r.group(1) if m_r else "-", "≤ 1.05",
        "cbench")
else:
    missing("cold against the engine in process (bench/cbench.sh)", "cbench")


def jsonl(name):
    t = read(name)
    return [json.loads(l) for l in t.splitlines() if l.strip()] if t else []


ceiling = jsonl("ceiling.jsonl")
if ceiling:
    ok, wall = sum(r["ok"] for r in ceiling), sum(r["wall_s"] for r in ceiling)
    ceiling = {"tasks_per_s": ok / wall if wall else 0, "p50": sorted(r["p50_ms"] for r in ceiling)[len(ceiling) // 2],
               "cpu_ms": sum(r["cpu_ms"] * r["ok"] for r in ceiling) / ok if ok else None, "rounds": len(ceiling)}
for kind, target in (("cold", "≥ 0.97 of the engine"), ("pooled", "≥ 0.97 of the refill ceiling")):
    by = {(r["target"], r["level"]): r for r in jsonl(kind + ".jsonl")}
    for lv in (8, 16):
        e, b = by.get(("ecs", lv)), by.get(("engine", lv))
        if e and b:
            row("%s throughput, %d clients (new TLS connection per task)" % (kind, lv),
                "%.2f tasks/s (p50 %s ms, %d errors, CPU %s ms/task)" % (e["tasks_per_s"], e["p50_ms"], e["errors"],
                                                                      e.get("cpu_ms", "?")),
                "engine %.2f tasks/s (p50 %s ms, CPU %s ms/task)" % (b["tasks_per_s"], b["p50_ms"], b.get("cpu_ms", "?")),
                ("%.2f" % (e["tasks_per_s"] / b["tasks_per_s"]) if b["tasks_per_s"] else "-") +
                (" (rounds %s)" % " ".join("%.2f" % x for x in e["round_ratios"]) if e.get("round_ratios") else ""),
                target if kind == "cold" else "(the engine cold: for scale)", kind)
            if kind == "pooled" and ceiling:
                # a warm container serves one task: sustained, the pool answers no faster than it refills
                row("pooled throughput, %d clients, against the refill ceiling" % lv,
                    "%.2f tasks/s, %s of %d pooled" % (e["tasks_per_s"], e.get("pooled", "?"), e["ok"]),
                    "engine churn (create, start, delete) at 2: %.2f containers/s (p50 %.0f ms, CPU %.0f ms each, "
                    "%d rounds)" % (ceiling["tasks_per_s"], ceiling["p50"], ceiling["cpu_ms"] or 0, ceiling["rounds"]),
                    "%.2f" % (e["tasks_per_s"] / ceiling["tasks_per_s"]) if ceiling["tasks_per_s"] else "-",
                    target, kind)
        else:
            missing("%s throughput, %d clients (bench/load.sh)" % (kind, lv), kind)

skip = read("swarm.skip")
if skip:
    missing("Swarm backend against its floor (bench/swarm.sh)", "swarm", skip.strip())
elif read("swarm.out"):
    rows.append(("Swarm backend against its floor (bench/swarm.sh)", "its table below", "", "", "≤ floor + 0.2 s",
                 load("swarm")))
else:
    missing("Swarm backend against its floor (bench/swarm.sh)", "swarm")

mm = re.search(r"^mem-json (.*)$", read("mem.out") or "", re.M)
if mm:
    m = json.loads(mm.group(1))
    i, a = m["idle"], m["after"]
    if i and a:
        row("ecs-fcgi idle: RSS / PSS / private (KiB)", "%d / %d / %d" % (i["rss"], i["pss"], i["uss"]),
            "after %d tasks: %d / %d / %d" % (m["tasks"], a["rss"], a["pss"], a["uss"]), "", "RSS ≤ 8192", "mem")
        f = m.get("floor")
        if f:
            # the same shared objects loaded and initialised by a program that does nothing else
            row("its libraries' floor (bench/lib_floor.c): RSS / of it libraries (KiB)",
                "%d / %d" % (f["rss"], f["libraries"]),
                "ecs-fcgi idle above it: RSS %+d" % (i["rss"] - f["rss"]),
                "%.2f" % (i["rss"] / f["rss"]), "", "mem")
        row("ecs-fcgi idle: threads / fds", "%d / %d" % (i["threads"], i["fds"]),
            "after %d tasks: %d / %d" % (m["tasks"], a["threads"], a["fds"]), "", "sized to the work", "mem")
else:
    missing("ecs-fcgi idle RSS and threads (bench/mem.sh)", "mem")

print("bench/run.sh, %s; %s; busybox `echo hello world`, network none" % (date, machine))
print()
print("| figure | ecs | reference, same run | ratio | target | load avg before→after |")
print("| --- | --- | --- | --- | --- | --- |")
for r in rows:
    print("| " + " | ".join(r) + " |")
sw = read("swarm.out")
if sw:
    print()
    print("Swarm (bench/swarm.sh):")
    print(sw.rstrip())
