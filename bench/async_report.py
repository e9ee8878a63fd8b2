#!/usr/bin/env python3
"""bench/async.sh's table from its batches (bench/async.py's JSON lines,
with store and round added): by store, the submissions' latency (idle
node, and while the queue drains), the drain rate, the synchronous rate
at the same concurrency, and the ratios (drain / synchronous per store;
PostgreSQL / SQLite per figure). Medians over rounds.
  async_report.py RESULTS.jsonl"""
import json, statistics, sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
if not rows:
    sys.exit("bench/async_report.py: no batches")
by = {}
for r in rows:
    by.setdefault((r["store"], r["mode"]), []).append(r)


def med(store, mode, key):
    v = [r[key] for r in by.get((store, mode), []) if r.get(key) is not None]
    return statistics.median(v) if v else float("nan")


def first(mode, key):
    return next((r[key] for r in rows if r["mode"] == mode), 0)


print("submit: %d async submissions, drain and sync: %d tasks each (busybox `echo`, pooled); %d concurrent "
      "clients; %d round(s), interleaved; medians over rounds"
      % (first("submit", "n"), first("async", "n"), rows[0]["c"], max(r["round"] for r in rows)))
print()
print("| store | submit p50 ms | submit p99 ms | ecs-fcgi's own p50 / p99 ms | submit p50 / p99 ms while draining "
      "| drain tasks/s | sync tasks/s | drain / sync | failed |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
fig = {}
for store in ("sqlite", "postgresql"):
    f = [med(store, "submit", "p50_ms"), med(store, "submit", "p99_ms"), med(store, "async", "p50_ms"),
         med(store, "async", "p99_ms"), med(store, "async", "rate"), med(store, "sync", "rate"),
         med(store, "submit", "server_p50_ms"), med(store, "submit", "server_p99_ms")]
    fig[store] = f
    failed = sum(r["failed"] for r in rows if r["store"] == store)
    print("| %s | %.2f | %.2f | %.2f / %.2f | %.1f / %.1f | %.2f | %.2f | %.1f %% | %d |"
          % (store, f[0], f[1], f[6], f[7], f[2], f[3], f[4], f[5], 100.0 * f[4] / f[5], failed))
s, p = fig["sqlite"], fig["postgresql"]
print()
print("PostgreSQL / SQLite: submit p50 %.2f, submit p99 %.2f, ecs-fcgi's own p50 %.2f, drain %.2f, sync %.2f"
      % (p[0] / s[0], p[1] / s[1], p[6] / s[6], p[4] / s[4], p[5] / s[5]))
