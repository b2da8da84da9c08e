#!/usr/bin/env python3
"""The baseline voc is measured against: what a team would write instead of
voc, in plain Python with the standard library. It reads the same rule file
and the same JSON Lines corpus, turns every pattern into a compiled `re`
(case-insensitive) and every keyword into a regex over word prefixes (no
stemmer in the standard library), tags each item by running every regex, and
stores items and tags with sqlite3 in one transaction.

    bench/baseline.py --rules rules/default.json --input corpus.jsonl [--json]

Prints items/s for tagging alone and for tagging plus storing.

    bench/baseline.py query top|trends|nps|search|export|report --db voc.db
                      [--since 30d] [--text "some query"]

answers voc's query commands the straightforward way over the same voc
database (the items and item_themes tables and their indexes, the FTS5 index;
no rollups): GROUP BY over the rows, a join for NPS, the csv module for the
export. It prints the answer (JSON, or CSV for the export) so scripts/bench.sh
can time it beside the same voc command.
"""
import argparse
import csv
import datetime
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


def since_epoch(spec, now):
    """30d, 12w, 6m, 1y (calendar months and years, as voc) before now."""
    if not spec:
        return None
    n, unit = int(spec[:-1]), spec[-1]
    if unit == "d":
        return now - n * 86400
    if unit == "w":
        return now - n * 7 * 86400
    t = datetime.datetime.fromtimestamp(now, datetime.timezone.utc)
    months = n if unit == "m" else 12 * n
    y, m = divmod(t.month - 1 - months, 12)
    day = min(t.day, 28)
    return int(t.replace(year=t.year + y, month=m + 1, day=day).timestamp())


def q_top(db, since, now, limit=10):
    total = db.execute("SELECT count(*) FROM items WHERE created_at >= ?", (since,)).fetchone()[0]
    prev = dict(db.execute(
        "SELECT theme, count(*) FROM item_themes WHERE created_at >= ? AND created_at < ?"
        " GROUP BY theme", (since - (now - since), since)))
    rows = []
    for theme, n, sent, scored, prom, detr in db.execute(
            "SELECT theme, count(*), avg(sentiment), count(nps_score), sum(nps_score >= 9),"
            " sum(nps_score <= 6) FROM item_themes WHERE created_at >= ? GROUP BY theme"
            " ORDER BY 2 DESC, 1 LIMIT ?", (since, limit)).fetchall():
        quote = db.execute(
            "SELECT i.uid, i.text FROM item_themes t JOIN items i ON i.id = t.item_id"
            " WHERE t.theme = ? AND t.created_at >= ? ORDER BY t.score DESC, t.created_at DESC"
            " LIMIT 1", (theme, since)).fetchone()
        rows.append({"theme": theme, "items": n, "share": n / total if total else 0,
                     "prev_items": prev.get(theme, 0), "sentiment": sent,
                     "nps": 100 * (prom - detr) / scored if scored else None,
                     "quote_uid": quote[0], "quote": quote[1]})
    return rows


def q_trends(db, since):
    # ISO weeks: 1970-01-01 was a Thursday, so day + 3 counts from a Monday.
    week = "((created_at / 86400 + 3) / 7)"
    totals = dict(db.execute(
        f"SELECT {week} AS w, count(*) FROM items WHERE created_at >= ? GROUP BY w", (since,)))
    cells = {}
    for w, theme, n in db.execute(
            f"SELECT {week} AS w, theme, count(*) FROM item_themes WHERE created_at >= ?"
            " GROUP BY w, theme", (since,)):
        cells.setdefault(w, {})[theme] = n
    return [{"week_start": (w * 7 - 3) * 86400, "items": totals.get(w, 0),
             "themes": cells.get(w, {})} for w in sorted(set(totals) | set(cells))]


def q_nps(db, since=None):
    cond, args = ("AND i.created_at >= ?", (since,)) if since else ("", ())
    cols = "count(*), sum(i.score >= 9), sum(i.score BETWEEN 7 AND 8), sum(i.score <= 6)"
    overall = db.execute(f"SELECT {cols} FROM items i WHERE i.scale = 'nps' {cond}", args).fetchone()
    groups = db.execute(
        f"SELECT t.theme, {cols} FROM item_themes t JOIN items i ON i.id = t.item_id"
        f" WHERE i.scale = 'nps' {cond} GROUP BY t.theme ORDER BY 2 DESC, 1", args).fetchall()
    return {"overall": overall, "groups": groups}


def q_search(db, text, limit=20):
    return db.execute(
        "SELECT i.uid, i.created_at, i.kind, i.source, bm25(items_fts),"
        " snippet(items_fts, 0, '[', ']', '…', 16) FROM items_fts"
        " JOIN items i ON i.id = items_fts.rowid WHERE items_fts MATCH ?"
        " ORDER BY bm25(items_fts) LIMIT ?", (text, limit)).fetchall()


def q_export(db, out):
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["uid", "created_at", "kind", "source", "customer_id", "account", "score", "scale",
                "sentiment", "themes", "theme_scores", "attrs", "subject", "text"])
    cur = db.execute(
        "SELECT i.uid, strftime('%Y-%m-%dT%H:%M:%SZ', i.created_at, 'unixepoch'), i.kind,"
        " i.source, i.customer_id, i.account, i.score, i.scale, i.sentiment,"
        " (SELECT group_concat(theme, ';') FROM (SELECT theme FROM item_themes"
        "   WHERE item_id = i.id ORDER BY theme)),"
        " (SELECT group_concat(score, ';') FROM (SELECT score FROM item_themes"
        "   WHERE item_id = i.id ORDER BY theme)),"
        " i.attrs, i.subject, i.text FROM items i ORDER BY i.created_at, i.id")
    for row in cur:
        row = list(row)
        if row[8] is not None:
            row[8] = f"{row[8]:.3f}"
        w.writerow(row)


def q_report(db, since, now, top=8):
    items, sent = db.execute(
        "SELECT count(*), avg(sentiment) FROM items WHERE created_at >= ?", (since,)).fetchone()
    tagged = db.execute("SELECT count(DISTINCT item_id) FROM item_themes WHERE created_at >= ?",
                        (since,)).fetchone()[0]
    themes = q_top(db, since, now, top)
    names = [r["theme"] for r in themes]
    weekly = [w for w in q_trends(db, since)]
    for w in weekly:
        w["themes"] = {k: v for k, v in w["themes"].items() if k in names}
    negative = {}
    for name in names:
        negative[name] = db.execute(
            "SELECT i.uid FROM item_themes t JOIN items i ON i.id = t.item_id WHERE t.theme = ?"
            " AND t.created_at >= ? AND (t.sentiment < -0.05 OR t.nps_score <= 6)"
            " ORDER BY t.score DESC, t.created_at DESC LIMIT 3", (name, since)).fetchall()
    return {"items": items, "tagged": tagged, "sentiment": sent, "nps": q_nps(db, since),
            "themes": themes, "weekly": weekly, "quotes": negative}


def query_main(argv):
    ap = argparse.ArgumentParser(prog="baseline.py query",
                                 description="voc's query commands, the straightforward way")
    ap.add_argument("what", choices=["top", "trends", "nps", "search", "export", "report"])
    ap.add_argument("--db", required=True)
    ap.add_argument("--since", help="30d, 12w, 6m, 1y")
    ap.add_argument("--text", default="some query", help="the search query")
    args = ap.parse_args(argv)
    db = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
    now = int(time.time())
    since = since_epoch(args.since, now)
    if args.what == "export":
        q_export(db, sys.stdout)
        return 0
    answer = {
        "top": lambda: q_top(db, since or 0, now),
        "trends": lambda: q_trends(db, since or 0),
        "nps": lambda: q_nps(db, since),
        "search": lambda: q_search(db, args.text),
        "report": lambda: q_report(db, since or now - 90 * 86400, now),
    }[args.what]()
    print(json.dumps(answer, default=str))
    return 0


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "query":
        return query_main(sys.argv[2:])
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
