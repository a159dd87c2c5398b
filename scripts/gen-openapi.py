#!/usr/bin/env python3
"""Generate internal/contract/openapi.json from the Ledger Enterprise OpenAPI spec.

The output is the spec as a machine reads it: paths, operations, parameters,
request bodies, responses, schemas and security schemes, with every piece of
prose removed (description, summary, example, examples, externalDocs, the
top-level tags and the logo). Response descriptions, which OpenAPI requires,
become "". Nothing is added to the API; the few changes that validation
needs are listed in the output's "x-reportgate" block and in docs/contract.md:

- the vendor key "staking" on 13 operations becomes "x-staking" (OpenAPI only
  allows extensions that start with "x-");
- the oneOfs in ONEOF_TO_ANYOF become anyOf: their alternatives overlap, so a
  correct answer can match two of them and a strict validator then rejects
  it. internal/contract's tests prove each listed one overlaps and that no
  other oneOf does.

Usage: scripts/gen-openapi.py [SPEC] [OUT]
  SPEC defaults to ../shared/reference/ledger-vault-openapi.yml
  OUT  defaults to internal/contract/openapi.json
"""
import hashlib
import json
import sys

import yaml

# Keys that carry prose, dropped wherever they are keywords (not names).
PROSE = {"description", "summary", "example", "examples", "externalDocs", "x-logo", "title"}

# Objects whose keys are names chosen by the spec's authors (a property named
# "description" is data, not prose): their keys are kept, their values walked.
NAME_MAPS = {"properties", "paths", "schemas", "securitySchemes", "responses",
             "content", "headers", "encoding"}

# Values that are data and are copied as they are.
VERBATIM = {"enum", "default", "required"}

# Each oneOf whose alternatives overlap, by JSON pointer, with a value that
# matches two alternatives (the reason it cannot be a oneOf).
ONEOF_TO_ANYOF = {
    "#/components/schemas/User/properties/status":
        'the two enums share ACTIVE, PENDING_APPROVAL and REVOKED: "ACTIVE" matches both',
    "#/components/schemas/Digests/properties/digests_data":
        "both alternatives are arrays: an empty list matches both",
    "#/components/schemas/Account/properties/coin_fields":
        "TezosFields, EthereumAndEvmFields and PolygonFields require nothing and are open: {} matches all three",
    "#/components/schemas/AccountRuleSet/properties/rules/items":
        "every rule schema's type enum lists all five types and TRANSACTION_FILTER entries require nothing: "
        "a rule with an empty data list matches all five",
    "#/components/schemas/CardanoStakeBlockchainState/properties/drep_delegation":
        'an enum of two strings beside any string: "drep_always_abstain" matches both',
    "#/components/schemas/PolkadotFields1/properties/tx_parameters":
        "open objects whose required properties are subsets of each other's: "
        "a Bond value matches SetController, SetPayee and Common (which requires nothing)",
    "#/components/schemas/SolanaFields/properties/tx_parameters":
        "CreateSPLTokenAccount and SendSPLToken have the same one property: {\"token_mint\": …} matches both",
    "#/components/schemas/Transaction/properties/coin_fields":
        "DefaultFields accepts any object with a string type: every other alternative's values match it too",
    "#/components/schemas/Transaction/properties/metadata":
        "SolanaTxMetadata and CardanoTxMetadata require nothing and are open: {} matches both",
    "#/paths/~1accounts~1{account_id}~1balances/get/responses/200/content/application~1json/schema":
        "AccountBalances is open and BitcoinBalances has all its properties: a Bitcoin balance matches both",
    "#/paths/~1transactions~1estimate-fees/post/responses/200/content/application~1json/schema":
        "the fee estimations are open objects requiring at most coin_fields and max_fees: "
        "one estimation matches several",
}


def strip(node, parent_key=""):
    """Return node without prose; parent_key is the key node is the value of."""
    if isinstance(node, list):
        return [strip(v, parent_key) for v in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        if parent_key in NAME_MAPS:
            out[k] = strip(v, "")
        elif k in VERBATIM:
            out[k] = v
        elif k not in PROSE:
            out[k] = strip(v, k)
    return out


def pointer_get(doc, pointer):
    node = doc
    for part in pointer.lstrip("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def main():
    spec_path = sys.argv[1] if len(sys.argv) > 1 else "../shared/reference/ledger-vault-openapi.yml"
    out_path = sys.argv[2] if len(sys.argv) > 2 else "internal/contract/openapi.json"
    raw = open(spec_path, "rb").read()
    src = yaml.safe_load(raw)
    doc = {k: strip(src[k], k) for k in ("openapi", "security", "paths", "components")}
    doc["info"] = {"title": src["info"]["title"], "version": src["info"]["version"]}
    changes = []
    for item in doc["paths"].values():
        for op in item.values():
            for resp in op.get("responses", {}).values():
                resp["description"] = ""
            if "staking" in op:
                op["x-staking"] = op.pop("staking")
    changes.append({"change": "staking to x-staking", "count": sum(
        "x-staking" in op for item in doc["paths"].values() for op in item.values())})
    for pointer, reason in sorted(ONEOF_TO_ANYOF.items()):
        schema = pointer_get(doc, pointer)
        if "oneOf" not in schema:
            sys.exit(f"{pointer}: no oneOf there (the spec changed?)")
        schema["anyOf"] = schema.pop("oneOf")
        changes.append({"change": "oneOf to anyOf", "pointer": pointer, "reason": reason})
    doc["x-reportgate"] = {
        "generator": "scripts/gen-openapi.py",
        "source": "ledger-vault-openapi.yml",
        "spec_version": src["info"]["version"],
        "spec_sha256": hashlib.sha256(raw).hexdigest(),
        "removed": sorted(PROSE),
        "changes": changes,
    }
    with open(out_path, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True, ensure_ascii=False)
        f.write("\n")
    print(f"{out_path}: {len(doc['paths'])} paths, {len(doc['components']['schemas'])} schemas, "
          f"{len(ONEOF_TO_ANYOF)} oneOf rewritten")


if __name__ == "__main__":
    main()
