#!/usr/bin/env python3
"""cfpb_labeled.py: turn CFPB complaint narratives into labeled JSON Lines
for `voc rules eval` (the consumer-finance example, rules/examples/cfpb.json).

    python3 scripts/cfpb_labeled.py [INPUT.jsonl] [--out DIR]

INPUT defaults to ../shared/data/cfpb_complaint_narratives.jsonl relative to
the repository root (found from this script's own location); DIR defaults to
bench/out/cfpb/ in the repository (gitignored).

Each complaint's `product` becomes one top-level theme id (CFPB's renamed
product categories merged: "Credit card" and "Credit card or prepaid card"
are both credit_card unless the sub-product is a prepaid or gift card, and
so on), and ten frequent `issue` values become sub-themes
(credit_reporting.incorrect_info, debt_collection.not_owed, ...). Complaints
whose product is not in the map are skipped and counted.

The split is deterministic: SHA-256 of the complaint id, 70% dev and 30%
held-out. Complaints whose narratives are identical (the source holds a few
copy-pasted letters under different ids) share the smallest of their ids
for hashing, so a copy never lands on both sides.

Written to DIR:
    dev.jsonl, heldout.jsonl                     products and issues
    dev.products.jsonl, heldout.products.jsonl   products only
one {"complaint_id": ..., "text": ..., "themes": [...]} per line, the text
being the narrative as published (redaction tokens such as XXXX,
XX/XX/XXXX and {$00.00} left in). Counts per label are printed.

Python 3 standard library only.
"""

import argparse
import collections
import hashlib
import json
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_INPUT = os.path.normpath(os.path.join(REPO, "..", "shared", "data",
                                              "cfpb_complaint_narratives.jsonl"))
DEFAULT_OUT = os.path.join(REPO, "bench", "out", "cfpb")

DEV_PERCENT = 70
SALT = "voc-cfpb-split-v1:"

# CFPB product names, current (2017-) and legacy, to theme ids.
PRODUCTS = {
    "Credit reporting, credit repair services, or other personal consumer reports":
        "credit_reporting",
    "Credit reporting": "credit_reporting",
    "Credit repair": "credit_reporting",
    "Debt collection": "debt_collection",
    "Mortgage": "mortgage",
    "Credit card or prepaid card": "credit_card",  # prepaid sub-products: see below
    "Credit card": "credit_card",
    "Prepaid card": "prepaid_card",
    "Checking or savings account": "checking_savings",
    "Bank account or service": "checking_savings",
    "Student loan": "student_loan",
    "Vehicle loan or lease": "vehicle_loan",
    "Consumer Loan": "personal_loan",  # vehicle sub-products: see below
    "Payday loan, title loan, or personal loan": "personal_loan",
    "Payday loan": "personal_loan",
    "Money transfer, virtual currency, or money service": "money_transfer",
    "Money transfers": "money_transfer",
    "Virtual currency": "money_transfer",
}

# Sub-products that move a complaint to another product theme.
SUB_PRODUCTS = {
    ("Credit card or prepaid card", "General-purpose prepaid card"): "prepaid_card",
    ("Credit card or prepaid card", "Gift card"): "prepaid_card",
    ("Credit card or prepaid card", "Government benefit card"): "prepaid_card",
    ("Credit card or prepaid card", "Payroll card"): "prepaid_card",
    ("Credit card or prepaid card", "Student prepaid card"): "prepaid_card",
    ("Consumer Loan", "Vehicle loan"): "vehicle_loan",
    ("Consumer Loan", "Vehicle lease"): "vehicle_loan",
}

# (product theme, issue) to sub-theme id: the ten most frequent issues of the
# narrative rows, with their pre-2017 names where CFPB renamed them.
ISSUES = {
    ("credit_reporting", "Incorrect information on your report"):
        "credit_reporting.incorrect_info",
    ("credit_reporting", "Incorrect information on credit report"):
        "credit_reporting.incorrect_info",
    ("credit_reporting",
     "Problem with a credit reporting company's investigation into an existing problem"):
        "credit_reporting.investigation",
    ("credit_reporting", "Credit reporting company's investigation"):
        "credit_reporting.investigation",
    ("credit_reporting", "Improper use of your report"): "credit_reporting.improper_use",
    ("credit_reporting", "Improper use of my credit report"): "credit_reporting.improper_use",
    ("debt_collection", "Attempts to collect debt not owed"): "debt_collection.not_owed",
    ("debt_collection", "Cont'd attempts collect debt not owed"): "debt_collection.not_owed",
    ("debt_collection", "Written notification about debt"):
        "debt_collection.written_notification",
    ("debt_collection", "Disclosure verification of debt"):
        "debt_collection.written_notification",
    ("debt_collection", "Took or threatened to take negative or legal action"):
        "debt_collection.legal_action",
    ("debt_collection", "Taking/threatening an illegal action"):
        "debt_collection.legal_action",
    ("debt_collection", "Communication tactics"): "debt_collection.communication",
    ("mortgage", "Trouble during payment process"): "mortgage.payment_process",
    ("mortgage", "Loan servicing, payments, escrow account"): "mortgage.payment_process",
    ("mortgage", "Struggling to pay mortgage"): "mortgage.struggling",
    ("mortgage", "Loan modification,collection,foreclosure"): "mortgage.struggling",
    ("checking_savings", "Managing an account"): "checking_savings.managing",
}


def product_theme(row):
    prod = (row.get("product") or "").strip()
    sub = (row.get("sub_product") or "").strip()
    return SUB_PRODUCTS.get((prod, sub)) or PRODUCTS.get(prod)


def bucket(complaint_id):
    """0..99 from the SHA-256 of the id: stable across runs and machines."""
    h = hashlib.sha256((SALT + complaint_id).encode("utf-8")).hexdigest()
    return int(h[:8], 16) % 100


def id_key(cid):
    return (0, int(cid), cid) if cid.isdigit() else (1, 0, cid)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input", nargs="?", default=DEFAULT_INPUT,
                    help="CFPB narratives as JSON Lines (default: %(default)s)")
    ap.add_argument("--out", default=DEFAULT_OUT, help="output directory (default: %(default)s)")
    args = ap.parse_args(argv)

    rows, skipped = [], collections.Counter()
    with open(args.input, encoding="utf-8") as fp:
        for n, line in enumerate(fp, 1):
            line = line.strip()
            if not line:
                continue
            row = json.loads(line)
            text = row.get("consumer_complaint_narrative") or ""
            if not text.strip():
                skipped["no narrative"] += 1
                continue
            prod = product_theme(row)
            if not prod:
                skipped["product %r" % row.get("product")] += 1
                continue
            cid = str(row.get("complaint_id") or "line%d" % n)
            themes = [prod]
            sub = ISSUES.get((prod, (row.get("issue") or "").strip()))
            if sub:
                themes.append(sub)
            rows.append({"complaint_id": cid, "text": text, "themes": themes})

    # Identical narratives share one split: hash the smallest id of the group.
    group = {}
    for r in rows:
        key = " ".join(r["text"].lower().split())
        if key not in group or id_key(r["complaint_id"]) < id_key(group[key]):
            group[key] = r["complaint_id"]
    rows.sort(key=lambda r: id_key(r["complaint_id"]))

    os.makedirs(args.out, exist_ok=True)
    splits = {"dev": [], "heldout": []}
    for r in rows:
        gid = group[" ".join(r["text"].lower().split())]
        splits["dev" if bucket(gid) < DEV_PERCENT else "heldout"].append(r)

    counts = {s: collections.Counter() for s in splits}
    for name, items in splits.items():
        full = os.path.join(args.out, name + ".jsonl")
        prod = os.path.join(args.out, name + ".products.jsonl")
        with open(full, "w", encoding="utf-8") as f1, open(prod, "w", encoding="utf-8") as f2:
            for r in items:
                f1.write(json.dumps(r, ensure_ascii=False) + "\n")
                f2.write(json.dumps(dict(r, themes=r["themes"][:1]), ensure_ascii=False) + "\n")
                counts[name].update(r["themes"])

    out = os.path.relpath(args.out)
    print("%d complaints: %d dev, %d held-out -> %s/{dev,heldout}{,.products}.jsonl"
          % (len(rows), len(splits["dev"]), len(splits["heldout"]), out))
    for why, n in sorted(skipped.items()):
        print("skipped %d: %s" % (n, why))
    labels = sorted(set(counts["dev"]) | set(counts["heldout"]))
    print("\n%-40s %6s %8s %6s" % ("LABEL", "DEV", "HELDOUT", "ALL"))
    for lab in labels:
        d, h = counts["dev"][lab], counts["heldout"][lab]
        print("%-40s %6d %8d %6d" % (lab, d, h, d + h))
    print("%-40s %6d %8d %6d" % ("(complaints)", len(splits["dev"]), len(splits["heldout"]),
                                 len(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
