#!/usr/bin/env python3
"""strict_json.py FILE... - exit 0 when each FILE is one JSON document in
strict UTF-8: no invalid or overlong bytes, no encoded or escaped lone
surrogates, no duplicate keys, no NaN/Infinity. Otherwise say why on stderr
and exit 1. The tests run every error body they receive through it (as
t/e2e/lib.sh and t/fcgi/lib.sh do); corpus_replay.py imports strict_loads."""
import json
import sys


def _pairs(pairs):
    seen = {}
    for k, v in pairs:
        if k in seen:
            raise ValueError("duplicate key %r" % k)
        seen[k] = v
    return seen


def _constant(name):
    raise ValueError("not JSON: %s" % name)


def _no_lone_surrogates(v):
    if isinstance(v, str):
        v.encode("utf-8")  # raises on a lone surrogate from a \\u escape
    elif isinstance(v, dict):
        for k, x in v.items():
            _no_lone_surrogates(k)
            _no_lone_surrogates(x)
    elif isinstance(v, list):
        for x in v:
            _no_lone_surrogates(x)


def strict_loads(data):
    """Decode bytes strictly; raise ValueError (UnicodeError is one) if not."""
    text = data.decode("utf-8", errors="strict")
    doc = json.loads(text, object_pairs_hook=_pairs, parse_constant=_constant)
    _no_lone_surrogates(doc)
    return doc


def main(argv):
    bad = 0
    for name in argv[1:]:
        try:
            with open(name, "rb") as f:
                strict_loads(f.read())
        except (ValueError, OSError) as e:
            sys.stderr.write("%s: not strict UTF-8 JSON: %s\n" % (name, e))
            bad = 1
    return bad


if __name__ == "__main__":
    sys.exit(main(sys.argv))
