"""procmem.py - where a process's memory is (standard library only), for
bench/mem.py and bench/soak.py.

sample(pid) reads /proc/PID/status, smaps and fd/ and returns a dict of KiB
figures: rss (VmRSS), pss, uss (private pages: what the process alone
costs), anon and file (RssAnon, RssFile), and the RSS by kind: `heap`
(the main arena) plus `arenas` (glibc's per-thread malloc arenas: 64 MiB
aligned mappings followed by their reserve), `stacks` (thread stacks: an
anonymous mapping right above its guard page), `anon_other`, `libraries`
(shared objects) and `program` (the executable); and the counts `threads`
and `fds`. None when the process is gone."""
import os
import re

MAP_RE = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$")
ARENA_ALIGN = 64 << 20


def _maps(pid):
    """[(start, end, perms, name, {field: kib})] from smaps."""
    out = []
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            m = MAP_RE.match(line)
            if m:
                out.append((int(m.group(1), 16), int(m.group(2), 16), m.group(3), m.group(4).strip(), {}))
            elif out and ":" in line:
                k, _, v = line.partition(":")
                v = v.split()
                if v and v[0].isdigit():
                    out[-1][4][k] = int(v[0])
    return out


def kind(maps, i, exe):
    start, end, perms, name, _ = maps[i]
    if name == "[heap]":
        return "heap"
    if name == "":
        prev = maps[i - 1] if i > 0 else None
        nxt = maps[i + 1] if i + 1 < len(maps) else None
        if start % ARENA_ALIGN == 0 and nxt is not None and nxt[0] == end and nxt[2] == "---p":
            return "arenas"
        if prev is not None and prev[1] == start and prev[2] == "---p" and prev[3] == "":
            return "stacks"
        return "anon_other"
    if name == exe:
        return "program"
    if ".so" in os.path.basename(name):
        return "libraries"
    return "anon_other" if name.startswith("[") else "files_other"


def sample(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            st = {l.split(":")[0]: l.split()[1] for l in f if ":" in l and len(l.split()) > 1}
        exe = os.readlink("/proc/%d/exe" % pid)
        maps = _maps(pid)
        fds = len(os.listdir("/proc/%d/fd" % pid))
    except (OSError, ValueError):
        return None
    r = {"rss": int(st["VmRSS"]), "anon": int(st["RssAnon"]), "file": int(st["RssFile"]),
         "threads": int(st["Threads"]), "fds": fds, "pss": 0, "uss": 0}
    for k in ("heap", "arenas", "stacks", "anon_other", "libraries", "program", "files_other"):
        r[k] = 0
    for i, m in enumerate(maps):
        f = m[4]
        r["pss"] += f.get("Pss", 0)
        r["uss"] += f.get("Private_Clean", 0) + f.get("Private_Dirty", 0)
        r[kind(maps, i, exe)] += f.get("Rss", 0)
    return r
