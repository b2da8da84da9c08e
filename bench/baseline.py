#!/usr/bin/env python3
"""The baseline voc is measured against: what a team would write instead of
voc, in plain Python with the standard library. It reads the same rule file
and the same JSON Lines corpus, turns every pattern into a compiled `re`
(case-insensitive) and every keyword into a regex over word prefixes (no
stemmer in the standard library), tags each item by running every regex, and
stores items and tags with sqlite3 in one transaction.

    bench/baseline.py --rules rules/default.json --input corpus.jsonl [--json]

Prints items/s for tagging alone and for tagging plus storing.
"""
import argparse
import json
import re
import sqlite3
import sys
import tempfile
import time
import os


def load_rules(path):
    """Flatten the theme tree into (id, parent, threshold, [(regex, weight)], [exclude])."""
    with open(path, encoding="utf-8") as fp:
        doc = json.load(fp)
    themes = []

    def walk(nodes, parent):
        for t in nodes:
            pats = []
            for p in t.get("patterns", []):
                rx, w = (p, 1.0) if isinstance(p, str) else (p["regex"], p.get("weight", 1.0))
                try:
                    pats.append((re.compile(rx, re.IGNORECASE), w))
                except re.error:
                    pass  # PCRE-only syntax: the baseline simply lacks the rule
            kws = t.get("keywords", {})
            if isinstance(kws, list):
                kws = {k: 1.0 for k in kws}
            for word, w in kws.items():
                words = [re.escape(x) for x in word.split()]
                rx = r"\b" + r"\w*\W+".join(words) + r"\w*"
                pats.append((re.compile(rx, re.IGNORECASE), w))
            excl = []
            for e in t.get("exclude", []):
                try:
                    excl.append(re.compile(e, re.IGNORECASE))
                except re.error:
                    pass
            themes.append((t["id"], parent, t.get("threshold", 1.0), pats, excl))
            walk(t.get("themes", []), t["id"])

    walk(doc.get("themes", []), None)
    return themes


def tag(themes, text):
    got = {}
    vetoed = set()
    for tid, parent, threshold, pats, excl in themes:
        if parent in vetoed or any(e.search(text) for e in excl):
            vetoed.add(tid)
            continue
        score = 0.0
        evidence = []
        for rx, w in pats:
            m = rx.search(text)
            if m:
                score += w
                evidence.append((rx.pattern, m.start(), m.end()))
        if score >= threshold:
            got[tid] = (score, evidence)
    for tid, parent, _, _, _ in reversed(themes):
        if tid in got and parent and parent not in got:
            got[parent] = got[tid]
    return got


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rules", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    themes = load_rules(args.rules)
    items = []
    with open(args.input, encoding="utf-8", errors="replace") as fp:
        for line in fp:
            try:
                o = json.loads(line)
            except ValueError:
                continue
            if isinstance(o, dict) and isinstance(o.get("text"), str):
                items.append(o)

    t0 = time.perf_counter()
    results = [tag(themes, it["text"]) for it in items]
    tag_s = time.perf_counter() - t0

    with tempfile.TemporaryDirectory() as d:
        db = sqlite3.connect(os.path.join(d, "baseline.db"))
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, uid TEXT UNIQUE, text TEXT)")
        db.execute("CREATE TABLE item_themes (item_id INTEGER, theme TEXT, score REAL, evidence TEXT)")
        t0 = time.perf_counter()
        with db:
            for n, it in enumerate(items):
                got = tag(themes, it["text"])
                cur = db.execute("INSERT OR REPLACE INTO items (uid, text) VALUES (?, ?)",
                                 (it.get("uid", str(n)), it["text"]))
                for tid, (score, ev) in got.items():
                    db.execute("INSERT INTO item_themes VALUES (?, ?, ?, ?)",
                               (cur.lastrowid, tid, score, json.dumps(ev)))
        store_s = time.perf_counter() - t0
        db.close()

    tagged = sum(1 for r in results if r)
    out = {
        "items": len(items),
        "tagged": tagged,
        "patterns": sum(len(t[3]) + len(t[4]) for t in themes),
        "tag_items_per_s": round(len(items) / tag_s) if tag_s else 0,
        "tag_store_items_per_s": round(len(items) / store_s) if store_s else 0,
    }
    if args.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k:24} {v}")


if __name__ == "__main__":
    sys.exit(main())
