#!/usr/bin/env python3
"""Write the seed corpora of fuzz/corpus/ from the test data (tests/data,
examples, rules). Run from anywhere; it overwrites only seed-* files, so
the crash-* regression inputs kept beside them stay. Each seed is in the
input format its target documents at the top of fuzz/fuzz_NAME.c."""
import json
import os
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")


def data(*parts):
    with open(os.path.join(ROOT, *parts), "rb") as f:
        return f.read()


def put(target, name, content):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(content, str):
        content = content.encode()
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(content)


def feedback_lines(n):
    return data("examples", "feedback.jsonl").splitlines()[:n]


# item: single payloads.
items = feedback_lines(12) + [
    b'{"text":"score only","score":"9","kind":"nps"}',
    b'{"uid":12,"source":"web","created_at":1772619072000,"received_at":"2026-03-04 10:11:12",'
    b'"customer_id":7,"account":null,"attrs":{"plan":"pro","beta":true,"seats":25},'
    b'"subject":"Export","score":4,"scale":"rating","text":"Exports \\u00e9 fail \\ud83d\\ude00"}',
    b'{"text":"  ","score":0}',
    b'{"text":"x","created_at":"2026-03-04T10:11:12.5+02:00","themes":[],"sentiment":0.5}',
]
for i, line in enumerate(items):
    put("item", "%02d.json" % i, line)


# wire: 2-byte big-endian length before each frame.
def frames(*parts):
    out = b""
    for p in parts:
        p = p.encode() if isinstance(p, str) else p
        out += struct.pack(">H", len(p)) + p
    return out


seq = struct.pack(">Q", 42)
put("wire", "batch", frames("VOC/1", "BATCH", seq, *feedback_lines(3)))
put("wire", "ack", frames("VOC/1", "ACK", seq, json.dumps(
    {"items": 3, "inserted": 1, "updated": 0, "duplicates": 1,
     "rejected": [{"index": 2, "uid": "gen-11-3", "reason": "text: missing"},
                  {"index": 0, "uid": None, "reason": "not valid JSON"}]})))
put("wire", "nack", frames("VOC/1", "NACK", seq,
                           '{"error":"database is locked","retry_after_ms":250}'))
put("wire", "error", frames("VOC/1", "ERROR", seq, '{"error":"frame 2: bad"}'))

# cli_filter: one argument per line.
put("cli_filter", "window", "--since\n30d\n--until\n2026-03-04\n--kind\nnps\n")
put("cli_filter", "segment", "--where\nplan=enterprise\n--where\nregion=emea\n--negative\n"
    "--source=typeform\n--limit\n5\n")
put("cli_filter", "rfc3339", "--since=2026-03-04T10:11:12.5+02:00\n--until=1772619072000\n")
put("cli_filter", "relative", "--since\n6m\n--until\n24h\n--db\nvoc.db\n")

# rules: whole rule sets. Only the small ones: rules/default.json and
# rules/examples/cfpb.json exceed the target's -max_len, and compiling them
# takes a minute under ASan, too slow for a seed replayed by every test run.
put("rules", "engine.json", data("tests", "data", "rules", "engine.rules.json"))
put("rules", "pipeline.json", data("tests", "data", "pipeline.rules.json"))

# adapter_VENDOR: the signature headers, a blank line, the body.
hooks = os.path.join(ROOT, "tests", "data", "webhooks")
for f in sorted(os.listdir(hooks)):
    if not f.endswith(".json"):
        continue
    base = f[:-5]
    vendor = base.split("_")[0]
    headers = data("tests", "data", "webhooks", base + ".headers")
    put("adapter_" + vendor, base, headers.rstrip(b"\n") + b"\n\n" + data(hooks, f))

# import_FORMAT: a --map line (empty: none), then the file.
exports = ("tests", "data", "exports")
put("import_csv", "tickets.csv", b"\n" + b"\n".join(
    data("examples", "tickets.csv").split(b"\n")[:25]))
put("import_csv", "mapped.csv",
    b"text=Comment,score=Score,created_at=Date,uid=Response ID,attr:plan=Plan\n" +
    data(*exports, "delighted_responses.csv"))
put("import_jsonl", "feedback.jsonl", b"\n" + b"\n".join(feedback_lines(20)) + b"\n")
put("import_qualtrics", "nps.csv", b"\n" + data(*exports, "qualtrics_nps.csv"))
put("import_delighted_csv", "responses.csv", b"\n" + data(*exports, "delighted_responses.csv"))
put("import_delighted_csv", "mapped.csv", b"attr:country=Country\n" +
    data(*exports, "delighted_responses.csv"))
put("import_typeform_csv", "responses.csv", b"\n" + data(*exports, "typeform_responses.csv"))
put("import_zendesk_json", "tickets.json", b"\n" + data(*exports, "zendesk_tickets.json"))
put("import_zendesk_json", "api.json", b"\n" + data(*exports, "zendesk_api_tickets.json"))
put("import_zendesk_json", "mapped.json", b"attr:channel=via.channel,subject=raw_subject\n" +
    data(*exports, "zendesk_api_tickets.json"))
