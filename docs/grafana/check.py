#!/usr/bin/python3
"""Check a Grafana dashboard model (docs/grafana/ecs.json) the way Grafana
reads it on import: the fields its dashboard schema (schemaVersion 37, Grafana
9) requires, with their types, and what a panel needs to show anything.
Debian ships no Grafana; t/ops/test_prometheus.sh also runs every panel's
query against a live Prometheus.

    docs/grafana/check.py DASHBOARD.json
"""
import json
import sys

import jsonschema

DATASOURCE = {"type": "object", "required": ["type", "uid"],
              "properties": {"type": {"const": "prometheus"}, "uid": {"type": "string"}}}
SCHEMA = {
    "type": "object",
    "required": ["title", "uid", "schemaVersion", "panels", "templating", "time", "version"],
    "properties": {
        "title": {"type": "string", "minLength": 1},
        "uid": {"type": "string", "pattern": "^[a-zA-Z0-9_-]{1,40}$"},
        "schemaVersion": {"type": "integer", "minimum": 36},
        "version": {"type": "integer"},
        "editable": {"type": "boolean"},
        "graphTooltip": {"enum": [0, 1, 2]},
        "refresh": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "time": {"type": "object", "required": ["from", "to"]},
        "templating": {"type": "object", "required": ["list"], "properties": {"list": {
            "type": "array", "items": {"type": "object", "required": ["name", "type"], "properties": {
                "name": {"type": "string", "pattern": "^[a-zA-Z_][a-zA-Z0-9_]*$"},
                "type": {"enum": ["query", "datasource", "custom", "constant", "interval", "textbox", "adhoc"]}}}}}},
        "panels": {"type": "array", "minItems": 1, "items": {
            "type": "object",
            "required": ["id", "type", "title", "gridPos", "datasource", "targets"],
            "properties": {
                "id": {"type": "integer", "minimum": 1},
                "type": {"enum": ["timeseries", "stat", "gauge", "bargauge", "table", "heatmap"]},
                "title": {"type": "string", "minLength": 1},
                "gridPos": {"type": "object", "required": ["x", "y", "w", "h"], "properties": {
                    "x": {"type": "integer", "minimum": 0, "maximum": 23},
                    "y": {"type": "integer", "minimum": 0},
                    "w": {"type": "integer", "minimum": 1, "maximum": 24},
                    "h": {"type": "integer", "minimum": 1}}},
                "datasource": DATASOURCE,
                "targets": {"type": "array", "minItems": 1, "items": {
                    "type": "object", "required": ["refId", "expr"], "properties": {
                        "refId": {"type": "string", "minLength": 1},
                        "expr": {"type": "string", "minLength": 1},
                        "datasource": DATASOURCE}}}}}},
    },
}


def main(path):
    with open(path, encoding="utf-8") as f:
        dash = json.load(f)
    problems = [e.message + " at " + "/".join(map(str, e.absolute_path))
                for e in jsonschema.Draft7Validator(SCHEMA).iter_errors(dash)]
    if not problems:
        ids = [p["id"] for p in dash["panels"]]
        if len(ids) != len(set(ids)):
            problems.append("panel ids repeat")
        names = {v["name"] for v in dash["templating"]["list"]}
        for p in dash["panels"]:
            if p["gridPos"]["x"] + p["gridPos"]["w"] > 24:
                problems.append("panel %r is wider than the grid" % p["title"])
            refs = [t["refId"] for t in p["targets"]]
            if len(refs) != len(set(refs)):
                problems.append("panel %r: refIds repeat" % p["title"])
            for t in [p] + p["targets"]:
                uid = t.get("datasource", {}).get("uid", "")
                if uid.startswith("${") and uid[2:-1] not in names:
                    problems.append("panel %r: data source variable %s undefined" % (p["title"], uid))
    for p in problems:
        print("%s: %s" % (path, p), file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
