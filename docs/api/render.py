#!/usr/bin/python3
"""Render docs/api/openapi.yaml into one self-contained HTML page.

    docs/api/render.py [OPENAPI.yaml [OUT.html]]

No script, style sheet, font or image is loaded from anywhere: the CSS is
inline and there is no JavaScript, so the page works offline and behind the
strictest Content-Security-Policy. The output depends only on the input (no
timestamps), so a test can check that the committed index.html is current.
Needs Debian's python3-yaml and python3-markdown.
"""

import html
import json
import os
import sys

import markdown
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")

CSS = """
:root { --fg: #1d2330; --muted: #5b6475; --line: #dde1e8; --bg2: #f5f7fa; --accent: #1f5fbf;
  --get: #1b7f3b; --post: #1f5fbf; --err: #b3261e; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  color: var(--fg); background: #fff; }
code, pre, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 13px; }
a { color: var(--accent); text-decoration: none; } a:hover { text-decoration: underline; }
nav { position: fixed; top: 0; bottom: 0; left: 0; width: 270px; overflow-y: auto; padding: 20px 16px;
  background: var(--bg2); border-right: 1px solid var(--line); font-size: 14px; }
nav h2 { font-size: 12px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 18px 0 6px; }
nav ul { list-style: none; margin: 0; padding: 0; } nav li { margin: 3px 0; }
main { margin-left: 270px; padding: 24px 48px 80px; max-width: 1100px; }
h1 { font-size: 28px; margin: 0 0 4px; } h2 { font-size: 22px; margin-top: 40px; border-bottom: 1px solid var(--line); padding-bottom: 6px; }
h3 { font-size: 18px; margin-top: 28px; } h4 { font-size: 15px; margin: 18px 0 6px; }
table { border-collapse: collapse; margin: 10px 0 16px; width: 100%; }
th, td { border: 1px solid var(--line); padding: 5px 9px; text-align: left; vertical-align: top; }
th { background: var(--bg2); font-weight: 600; }
pre { background: #0f1720; color: #e6edf3; padding: 12px 14px; border-radius: 6px; overflow-x: auto; }
p code, li code, td code { background: var(--bg2); padding: 1px 4px; border-radius: 3px; }
.op { border: 1px solid var(--line); border-radius: 8px; padding: 4px 20px 14px; margin: 22px 0; }
.verb { display: inline-block; min-width: 56px; text-align: center; color: #fff; border-radius: 4px;
  padding: 2px 8px; font-weight: 700; font-size: 13px; margin-right: 8px; }
.verb.get { background: var(--get); } .verb.post { background: var(--post); }
.status { font-weight: 700; } .s2 { color: var(--get); } .s4, .s5 { color: var(--err); }
.muted { color: var(--muted); } .req { color: var(--err); font-size: 12px; }
details { margin: 6px 0; } summary { cursor: pointer; color: var(--accent); }
.subtitle { color: var(--muted); margin-top: 0; }
@media (max-width: 900px) { nav { position: static; width: auto; } main { margin-left: 0; padding: 16px; } }
"""


def md(text):
    return markdown.markdown(text or "", extensions=["tables", "fenced_code"], output_format="html")


def esc(s):
    return html.escape(str(s), quote=True)


class Renderer:
    def __init__(self, spec):
        self.spec = spec
        self.out = []

    def w(self, s):
        self.out.append(s)

    def resolve(self, node):
        while isinstance(node, dict) and "$ref" in node:
            node = self.pointer(node["$ref"])
        return node

    def pointer(self, ref):
        node = self.spec
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def type_of(self, schema):
        """A short human type: 'string', 'array of string', a link to a named schema..."""
        if not isinstance(schema, dict):
            return ""
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[1]
            return f'<a href="#schema-{esc(name)}">{esc(name)}</a>'
        for key in ("oneOf", "anyOf"):
            if key in schema:
                return " or ".join(self.type_of(s) for s in schema[key])
        t = schema.get("type", "")
        if isinstance(t, list):
            t = " | ".join(t)
        if t == "array":
            return "array of " + (self.type_of(schema.get("items", {})) or "any")
        if t == "object" and "additionalProperties" in schema and isinstance(schema["additionalProperties"], dict) \
                and not schema.get("properties"):
            return "map of " + self.type_of(schema["additionalProperties"])
        return esc(t)

    @staticmethod
    def constraints(schema):
        c = []
        for key, label in (("enum", "one of"), ("minimum", "≥"), ("maximum", "≤"), ("minLength", "length ≥"),
                           ("maxLength", "length ≤"), ("minItems", "items ≥"), ("maxItems", "items ≤"),
                           ("pattern", "pattern"), ("contentEncoding", "encoding"), ("default", "default")):
            if key in schema:
                v = schema[key]
                if key == "enum":
                    v = ", ".join(json.dumps(x) for x in v)
                c.append(f"{label} <code>{esc(v)}</code>")
        if "items" in schema and isinstance(schema["items"], dict):
            inner = Renderer.constraints(schema["items"])
            if inner:
                c.append("each: " + "; ".join(inner))
        return c

    def properties_table(self, schema):
        schema = self.resolve(schema)
        props = schema.get("properties", {})
        if not props:
            return
        required = set(schema.get("required", []))
        self.w("<table><tr><th>property</th><th>type</th><th>description</th></tr>")
        for name, sub in props.items():
            target = self.resolve(sub)
            desc = md((sub.get("description") if isinstance(sub, dict) else "") or target.get("description", ""))
            cons = self.constraints(target)
            if isinstance(target, dict) and "oneOf" in target:
                for alt in target["oneOf"]:
                    cons += self.constraints(self.resolve(alt))
            req = ' <span class="req">required</span>' if name in required else ""
            self.w(f'<tr><td><code>{esc(name)}</code>{req}</td><td>{self.type_of(sub)}</td><td>{desc}'
                   + (f'<div class="muted">{"; ".join(cons)}</div>' if cons else "") + "</td></tr>")
        self.w("</table>")
        if schema.get("additionalProperties") is False:
            self.w('<p class="muted">No other properties.</p>')

    def schema_block(self, schema):
        if schema is None:
            return
        if "$ref" in schema:
            self.w(f"<p>Schema: {self.type_of(schema)}</p>")
        elif "oneOf" in schema:
            self.w(f"<p>Schema: {self.type_of(schema)}</p>")
        else:
            self.w(f"<p>Schema: {self.type_of(schema)}</p>")
            self.properties_table(schema)

    def example(self, title, value):
        text = value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)
        self.w(f"<details><summary>{esc(title)}</summary><pre>{esc(text)}</pre></details>")

    def examples(self, mt):
        if "example" in mt:
            self.example("Example", mt["example"])
        for name, ex in mt.get("examples", {}).items():
            ex = self.resolve(ex)
            self.example(f"Example: {ex.get('summary', name)}", ex.get("value"))

    def operations(self):
        ops = []
        seen = set()
        for path, item in self.spec.get("paths", {}).items():
            alias = None
            if "$ref" in item:
                alias = item["$ref"]
                item = self.resolve(item)
            for m in METHODS:
                if m in item:
                    ops.append((path, m, item[m], alias))
        return ops, seen

    def render(self):
        spec = self.spec
        info = spec["info"]
        ops, _ = self.operations()
        self.w("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        self.w('<meta name="viewport" content="width=device-width, initial-scale=1">')
        self.w(f"<title>{esc(info['title'])} {esc(info['version'])}</title>")
        self.w(f"<style>{CSS}</style></head><body>")
        # Navigation.
        self.w("<nav>")
        self.w(f'<strong>{esc(info["title"])}</strong><div class="muted">API version {esc(info["version"])}</div>')
        self.w('<h2>Introduction</h2><ul>')
        for line in (info.get("description") or "").splitlines():
            if line.startswith("## "):
                t = line[3:].strip()
                self.w(f'<li><a href="#{esc(slug(t))}">{esc(t)}</a></li>')
        self.w("</ul><h2>Endpoints</h2><ul>")
        for path, m, op, alias in ops:
            if alias:
                continue
            self.w(f'<li><a href="#op-{esc(op.get("operationId", m + path))}"><span class="mono">{m.upper()}</span> '
                   f'{esc(path)}</a></li>')
        self.w("</ul><h2>Schemas</h2><ul>")
        for name in spec.get("components", {}).get("schemas", {}):
            self.w(f'<li><a href="#schema-{esc(name)}">{esc(name)}</a></li>')
        self.w('</ul><h2>More</h2><ul><li><a href="#security">Security schemes</a></li>'
               '<li><a href="openapi.yaml">openapi.yaml</a></li></ul></nav><main>')
        # Introduction.
        self.w(f"<h1>{esc(info['title'])}</h1>")
        if info.get("summary"):
            self.w(f'<p class="subtitle">{esc(info["summary"])}</p>')
        servers = ", ".join(f"<code>{esc(s['url'])}</code>" for s in spec.get("servers", []))
        self.w(f'<p class="muted">OpenAPI {esc(spec["openapi"])} · API version {esc(info["version"])}'
               + (f" · servers: {servers}" if servers else "") + "</p>")
        self.w(add_ids(md(info.get("description", ""))))
        # Endpoints.
        self.w('<h2 id="endpoints">Endpoints</h2>')
        aliases = {}
        for path, m, op, alias in ops:
            if alias:
                aliases.setdefault(alias, []).append(path)
        for path, m, op, alias in ops:
            if alias:
                continue
            oid = op.get("operationId", m + path)
            self.w(f'<section class="op" id="op-{esc(oid)}"><h3><span class="verb {m}">{m.upper()}</span>'
                   f'<span class="mono">{esc(path)}</span></h3>')
            ref = "#/paths/" + path.replace("~", "~0").replace("/", "~1")
            if ref in aliases:
                self.w('<p class="muted">Also at ' + ", ".join(f"<code>{esc(p)}</code>" for p in aliases[ref]) + ".</p>")
            if op.get("summary"):
                self.w(f"<p><strong>{esc(op['summary'])}.</strong></p>")
            self.w(md(op.get("description", "")))
            sec = op.get("security", spec.get("security"))
            if sec:
                alts = [" + ".join(req.keys()) or "none" for req in sec]
                self.w(f'<p class="muted">Authentication: {esc(" or ".join(alts))}.</p>')
            params = op.get("parameters", [])
            if params:
                self.w("<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>type</th><th>description</th></tr>")
                for p in params:
                    p = self.resolve(p)
                    cons = self.constraints(p.get("schema", {}))
                    self.w(f'<tr><td><code>{esc(p["name"])}</code>'
                           + (' <span class="req">required</span>' if p.get("required") else "")
                           + f'</td><td>{esc(p["in"])}</td><td>{self.type_of(p.get("schema", {}))}</td>'
                           f'<td>{md(p.get("description", ""))}'
                           + (f'<div class="muted">{"; ".join(cons)}</div>' if cons else "") + "</td></tr>")
                self.w("</table>")
            rb = self.resolve(op.get("requestBody"))
            if rb:
                self.w("<h4>Request body</h4>")
                for media, mt in rb.get("content", {}).items():
                    self.w(f"<p>Content type <code>{esc(media)}</code>"
                           + (" (required)" if rb.get("required") else "") + ".</p>")
                    self.schema_block(mt.get("schema"))
                    self.examples(mt)
            self.w("<h4>Responses</h4>")
            for status, resp in op.get("responses", {}).items():
                resp = self.resolve(resp)
                self.w(f'<div><span class="status s{esc(status[0])}">{esc(status)}</span> '
                       f'{md(resp.get("description", "")).removeprefix("<p>").removesuffix("</p>")}')
                for hname, h in resp.get("headers", {}).items():
                    h = self.resolve(h)
                    self.w(f'<div class="muted">Header <code>{esc(hname)}</code>: '
                           f'{md(h.get("description", "")).removeprefix("<p>").removesuffix("</p>")}</div>')
                for media, mt in resp.get("content", {}).items():
                    self.w(f'<div class="muted">{esc(media)}: {self.type_of(mt.get("schema", {}))}</div>')
                    self.examples(mt)
                self.w("</div>")
            self.w("</section>")
        # Schemas.
        self.w('<h2 id="schemas">Schemas</h2>')
        for name, schema in spec.get("components", {}).get("schemas", {}).items():
            self.w(f'<section id="schema-{esc(name)}"><h3>{esc(name)}</h3>')
            self.w(f"<p>Type: {self.type_of(schema)}</p>")
            self.w(md(schema.get("description", "")))
            cons = self.constraints(schema)
            if cons:
                self.w(f'<p class="muted">{"; ".join(cons)}</p>')
            for key in ("oneOf", "anyOf"):
                if key in schema:
                    self.w("<p>One of:</p><ul>")
                    for alt in schema[key]:
                        alt_cons = self.constraints(alt)
                        self.w(f"<li>{self.type_of(alt)} {'; '.join(alt_cons)}</li>")
                    self.w("</ul>")
            self.properties_table(schema)
            if isinstance(schema.get("additionalProperties"), dict) and not schema.get("properties"):
                self.w(f"<p>Values: {self.type_of(schema['additionalProperties'])}</p>")
            self.w("</section>")
        # Security.
        self.w('<h2 id="security">Security schemes</h2><table><tr><th>name</th><th>type</th><th>description</th></tr>')
        for name, s in spec.get("components", {}).get("securitySchemes", {}).items():
            kind = s["type"] + (f" ({s['scheme']})" if "scheme" in s else "")
            self.w(f"<tr><td><code>{esc(name)}</code></td><td>{esc(kind)}</td><td>{md(s.get('description', ''))}</td></tr>")
        self.w("</table>")
        self.w('<p class="muted">Generated from <a href="openapi.yaml">openapi.yaml</a> by docs/api/render.py.</p>')
        self.w("</main></body></html>\n")
        return "\n".join(self.out)


def slug(text):
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")


def add_ids(text):
    """Give the introduction's <h2> headings ids for the navigation."""
    import re

    return re.sub(r"<h2>(.*?)</h2>", lambda m: f'<h2 id="{slug(html.unescape(m.group(1)))}">{m.group(1)}</h2>', text)


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "openapi.yaml")
    dst = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "index.html")
    with open(src, encoding="utf-8") as f:
        spec = yaml.safe_load(f)
    page = Renderer(spec).render()
    tmp = dst + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(page)
    os.replace(tmp, dst)
    return 0


if __name__ == "__main__":
    sys.exit(main())
