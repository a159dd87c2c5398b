#!/usr/bin/env python3
"""Generate internal/spec/routes.json from the Ledger Enterprise OpenAPI spec.

The output keeps only what the gateway and the simulator need to know about each
operation: method, path template, parameters (name, place, type, array-ness,
enum, bounds, format) and the schema named by the 200 response. No prose is
copied from the spec.

Usage: scripts/gen-routes.py [SPEC] [OUT]
  SPEC defaults to ../shared/reference/ledger-vault-openapi.yml
  OUT  defaults to internal/spec/routes.json
"""
import hashlib
import json
import sys

import yaml

METHODS = ("get", "put", "post", "delete", "patch")


def ref_name(schema):
    if not isinstance(schema, dict):
        return ""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        inner = ref_name(schema.get("items", {}))
        return inner + "[]" if inner else "array"
    return schema.get("type", "")


def param(p):
    s = p.get("schema", {})
    out = {"name": p["name"], "in": p["in"]}
    if s.get("type") == "array":
        out["array"] = True
        s = s.get("items", {})
    out["type"] = s.get("type", "string")
    if p.get("required"):
        out["required"] = True
    enum = [v for v in s.get("enum", []) if v is not None]
    if enum:
        out["enum"] = enum
    for k in ("minimum", "maximum", "format"):
        if k in s:
            out[k] = s[k]
    return out


def main():
    spec_path = sys.argv[1] if len(sys.argv) > 1 else "../shared/reference/ledger-vault-openapi.yml"
    out_path = sys.argv[2] if len(sys.argv) > 2 else "internal/spec/routes.json"
    raw = open(spec_path, "rb").read()
    doc = yaml.safe_load(raw)
    routes = []
    for path, item in doc["paths"].items():
        shared = item.get("parameters", [])
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            params = [param(p) for p in shared + op.get("parameters", [])]
            params.sort(key=lambda p: (p["in"] != "path", p["name"]))
            ok = op.get("responses", {}).get("200", {})
            schema = ok.get("content", {}).get("application/json", {}).get("schema", {})
            route = {"method": method.upper(), "path": path, "params": params,
                     "response": ref_name(schema)}
            if "staking" in op:
                route["staking"] = op["staking"]
            if op.get("tags"):
                route["tag"] = op["tags"][0]
            routes.append(route)
    routes.sort(key=lambda r: (r["path"], r["method"]))
    out = {
        "source": "ledger-vault-openapi.yml",
        "spec_version": doc["info"]["version"],
        "spec_sha256": hashlib.sha256(raw).hexdigest(),
        "routes": routes,
    }
    with open(out_path, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"{out_path}: {len(routes)} operations")


if __name__ == "__main__":
    main()
