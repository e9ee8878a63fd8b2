#!/usr/bin/python3
"""Validate ecs API bodies against docs/api/openapi.yaml.

    t/lib/openapi_validate.py [--spec FILE] [--content-type TYPE] METHOD PATH STATUS < body
        Validate a response body for (METHOD, PATH, STATUS). PATH may carry a
        query string and may be a full URL. An error status for a path or
        method the document does not have (404, 405) is checked against the
        Error schema. Exit 0 when it conforms, 1 with
        the reason on stderr when it does not (or when the document has no
        such response), 2 on a usage error.

    t/lib/openapi_validate.py [--spec FILE] --request METHOD PATH < body
        Validate a request body against the operation's request schema.

    t/lib/openapi_validate.py [--spec FILE] --check-examples
        Validate every request and response example in the document against
        its own schema, so the reference's examples cannot drift either.

Uses Debian's python3-jsonschema (JSON Schema draft 2020-12, the dialect
OpenAPI 3.1 uses) and python3-yaml. `contentEncoding: base64` is asserted,
not just annotated: a value must be standard padded base64.
"""

import argparse
import base64
import binascii
import json
import os
import re
import sys
import urllib.parse

import jsonschema
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SPEC = os.path.join(HERE, "..", "..", "docs", "api", "openapi.yaml")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class Invalid(Exception):
    pass


def load_spec(path):
    with open(path, encoding="utf-8") as f:
        spec = yaml.safe_load(f)
    if not str(spec.get("openapi", "")).startswith("3.1"):
        raise Invalid(f"{path}: not an OpenAPI 3.1 document")
    return spec


def pointer(spec, ref):
    """Resolve a local '#/a/b' reference inside the document."""
    if not ref.startswith("#/"):
        raise Invalid(f"only local references are supported: {ref}")
    node = spec
    for part in ref[2:].split("/"):
        part = urllib.parse.unquote(part).replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            raise Invalid(f"dangling reference {ref}")
        node = node[part]
    return node


def deref(spec, node, seen=None):
    """Follow $ref chains of path items, responses and the like."""
    seen = seen or set()
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if ref in seen:
            raise Invalid(f"reference loop at {ref}")
        seen.add(ref)
        node = pointer(spec, ref)
    return node


def b64_keyword(validator, value, instance, schema):
    if value != "base64" or not isinstance(instance, str):
        return
    if len(instance) % 4 != 0 or not re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", instance):
        yield jsonschema.ValidationError(f"{instance[:40]!r} is not standard padded base64")
        return
    try:
        base64.b64decode(instance, validate=True)
    except binascii.Error as e:
        yield jsonschema.ValidationError(f"{instance[:40]!r} is not valid base64: {e}")


Validator = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"contentEncoding": b64_keyword})


def make_validator(spec, schema):
    """A draft 2020-12 validator whose '#/...' references resolve in the whole document."""
    try:  # jsonschema >= 4.18 (referencing)
        from referencing import Registry, Resource  # noqa: F401
        from referencing.jsonschema import DRAFT202012

        uri = "urn:ecs:openapi"
        registry = Registry().with_resource(uri, Resource(contents=spec, specification=DRAFT202012))
        return Validator(schema_with_base(schema, uri), registry=registry)
    except ImportError:  # Debian 12: jsonschema 4.10
        resolver = jsonschema.RefResolver(base_uri="", referrer=spec)
        return Validator(schema, resolver=resolver)


def schema_with_base(schema, uri):
    # Local '#/components/...' references inside @schema resolve against the
    # document registered at @uri.
    return {"$id": uri + "-fragment", "allOf": [rebase(schema, uri)]}


def rebase(node, uri):
    if isinstance(node, dict):
        return {k: (uri + v if k == "$ref" and isinstance(v, str) and v.startswith("#") else rebase(v, uri))
                for k, v in node.items()}
    if isinstance(node, list):
        return [rebase(v, uri) for v in node]
    return node


def check(spec, schema, instance, what):
    v = make_validator(spec, schema)
    errors = sorted(v.iter_errors(instance), key=lambda e: list(e.absolute_path))
    if errors:
        lines = []
        for e in errors[:10]:
            where = "/".join(str(p) for p in e.absolute_path) or "(root)"
            lines.append(f"  at {where}: {e.message}")
        raise Invalid(f"{what} does not match its schema:\n" + "\n".join(lines))


def find_operation(spec, method, path):
    path = urllib.parse.urlsplit(path).path if "://" in path else path.split("?", 1)[0]
    paths = spec.get("paths", {})
    item = paths.get(path)
    if item is None:
        for template, candidate in paths.items():
            rx = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
            if re.match(rx, path):
                item = candidate
                break
    if item is None:
        raise Invalid(f"the document has no path {path}")
    item = deref(spec, item)
    op = item.get(method.lower())
    if op is None:
        raise Invalid(f"the document has no {method.upper()} {path}")
    return path, op


def response_schema(spec, method, path, status, content_type):
    path, op = find_operation(spec, method, path)
    responses = op.get("responses", {})
    status = str(status)
    resp = responses.get(status) or responses.get(status[0] + "XX") or responses.get("default")
    if resp is None:
        raise Invalid(f"{method.upper()} {path} documents no {status} response (has {', '.join(sorted(responses))})")
    resp = deref(spec, resp)
    content = resp.get("content")
    if not content:
        return None, None
    media = content_type.split(";")[0].strip() if content_type else None
    if media is None:
        media = "application/json" if "application/json" in content else next(iter(content))
    if media not in content:
        raise Invalid(f"{method.upper()} {path} {status} is documented as {', '.join(content)}, not {media}")
    return media, content[media].get("schema")


def parse_body(media, raw):
    if media and (media == "application/json" or media.endswith("+json")):
        try:
            return json.loads(raw)
        except ValueError as e:
            raise Invalid(f"the body is not JSON: {e}: {raw[:200]!r}")
    return raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw


def validate_response(spec, method, path, status, raw, content_type=None):
    try:
        media, schema = response_schema(spec, method, path, status, content_type)
    except Invalid:
        # A path or method the document does not have can only get an error
        # (404, 405...), and every error is the one error document.
        if int(status) < 400 or not undocumented(spec, method, path):
            raise
        media, schema = "application/json", {"$ref": "#/components/schemas/Error"}
    if schema is None:
        return
    body = parse_body(media, raw)
    check(spec, schema, body, f"the {status} body of {method.upper()} {path}")
    # The error document repeats the status it came with.
    if isinstance(body, dict) and "code" in body and "status" in body and body["status"] != int(status):
        raise Invalid(f"the error document says status {body['status']} but came with {status}")


def undocumented(spec, method, path):
    """True when the document has no operation for (method, path)."""
    try:
        find_operation(spec, method, path)
    except Invalid:
        return True
    return False


def validate_request(spec, method, path, raw):
    path, op = find_operation(spec, method, path)
    rb = deref(spec, op.get("requestBody", {}))
    schema = rb.get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        raise Invalid(f"{method.upper()} {path} takes no JSON body")
    check(spec, schema, parse_body("application/json", raw), f"the request body of {method.upper()} {path}")


def check_examples(spec):
    count = 0
    for path, item in spec.get("paths", {}).items():
        item = deref(spec, item)
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            rb = deref(spec, op.get("requestBody", {}))
            for media, mt in rb.get("content", {}).items():
                for name, value in examples_of(spec, mt):
                    check(spec, mt["schema"], value, f"request example {name} of {method.upper()} {path}")
                    count += 1
            for status, resp in op.get("responses", {}).items():
                resp = deref(spec, resp)
                for media, mt in resp.get("content", {}).items():
                    for name, value in examples_of(spec, mt):
                        check(spec, mt["schema"], value, f"example {name} of {method.upper()} {path} {status}")
                        if isinstance(value, dict) and "code" in value and value.get("status") != int(status):
                            raise Invalid(f"example {name} of {method.upper()} {path} {status} has status {value.get('status')}")
                        count += 1
    return count


def examples_of(spec, media_type):
    if "example" in media_type:
        yield "example", media_type["example"]
    for name, ex in media_type.get("examples", {}).items():
        ex = deref(spec, ex)
        if "value" in ex:
            yield name, ex["value"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--spec", default=os.environ.get("ECS_OPENAPI", DEFAULT_SPEC))
    ap.add_argument("--content-type", help="the response's Content-Type (default: the JSON one the document has)")
    ap.add_argument("--request", action="store_true", help="validate a request body: METHOD PATH")
    ap.add_argument("--check-examples", action="store_true", help="validate the document's own examples")
    ap.add_argument("args", nargs="*")
    a = ap.parse_args()
    try:
        spec = load_spec(a.spec)
        if a.check_examples:
            n = check_examples(spec)
            print(f"openapi: {n} examples conform to their schemas")
            return 0
        raw = sys.stdin.buffer.read()
        if a.request:
            if len(a.args) != 2:
                ap.error("--request wants METHOD PATH")
            validate_request(spec, a.args[0], a.args[1], raw)
        else:
            if len(a.args) != 3 or not a.args[2].isdigit():
                ap.error("want METHOD PATH STATUS")
            validate_response(spec, a.args[0], a.args[1], a.args[2], raw, a.content_type)
    except Invalid as e:
        print(f"openapi_validate: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
