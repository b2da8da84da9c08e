#!/usr/bin/env bash
# make bench: measure the pipeline on generated feedback and print a markdown
# table (also saved to bench/out/results.md). Run from the repository root
# after a build; binaries come from build/bin. Progress goes to stderr, the
# table to stdout.
#
#   end-to-end import  voc-gen -> voc-collect file -> voc-processor -> SQLite
#   tokenize, tag      build/bin/voc-bench-analysis, when it is built
#   voc top latency    median of several runs on a store of BENCH_TOP_COUNT items
#
# Environment:
#   BENCH_E2E_COUNT  items for the import run       (default 100000)
#   BENCH_TOP_COUNT  items in the store for voc top (default 1000000)
#   BENCH_TOP_RUNS   timed runs per voc top query   (default 5)
#   BENCH_RULES      rule set                       (default rules/default.json)
#   BENCH_BIN        where the binaries are         (default build/bin)
#
# The voc top store (bench/out/1m.db, whatever BENCH_TOP_COUNT is) is
# reused when it holds exactly BENCH_TOP_COUNT items, all tagged with this
# rule set (checked with the sqlite3 command when installed); otherwise it
# is rebuilt, which takes a while. Delete it after changing voc-gen.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${BENCH_BIN:-build/bin}
out=bench/out
e2e_count=${BENCH_E2E_COUNT:-100000}
top_count=${BENCH_TOP_COUNT:-1000000}
top_runs=${BENCH_TOP_RUNS:-5}
rules=${BENCH_RULES:-rules/default.json}
endpoint="ipc://$PWD/$out/p.sock"
top_db="$out/1m.db"

for n in "$e2e_count" "$top_count" "$top_runs"; do
  case "$n" in
    '' | *[!0-9]*) echo "bench: BENCH_* counts must be whole numbers, got '$n'" >&2; exit 2 ;;
  esac
done
if [ "$e2e_count" -lt 1 ] || [ "$top_count" -lt 1 ] || [ "$top_runs" -lt 1 ]; then
  echo "bench: BENCH_* counts must be at least 1" >&2
  exit 2
fi
for b in voc-gen voc-collect voc-processor voc; do
  [ -x "$bin/$b" ] || { echo "bench: $bin/$b not found; run 'make build' first" >&2; exit 1; }
done
[ -f "$rules" ] || { echo "bench: rule set $rules not found (set BENCH_RULES)" >&2; exit 1; }
mkdir -p "$out"

now_ms() { echo $(($(date +%s%N) / 1000000)); }
say() { echo "bench: $*" >&2; }

# The processor we started, if one is running; stopped on any exit.
proc_pid=
stop_processor() {
  [ -n "$proc_pid" ] || return 0
  kill -TERM "$proc_pid" 2>/dev/null || true
  local rc=0
  wait "$proc_pid" || rc=$?
  proc_pid=
  return "$rc"
}
trap 'stop_processor || true' EXIT

# start_processor DB LOG: start voc-processor on a fresh socket and wait
# (bounded) for it to bind.
start_processor() {
  local db=$1 log=$2 deadline
  rm -f "$out/p.sock"
  "$bin/voc-processor" --db "$db" --listen "$endpoint" --rules "$rules" \
    --stats-interval 0 --log-level warn 2>"$log" &
  proc_pid=$!
  deadline=$(($(now_ms) + 20000))
  until [ -S "$out/p.sock" ]; do
    if ! kill -0 "$proc_pid" 2>/dev/null; then
      proc_pid=
      echo "bench: voc-processor exited at start; its log ($log):" >&2
      cat "$log" >&2
      exit 1
    fi
    if [ "$(now_ms)" -gt "$deadline" ]; then
      echo "bench: voc-processor did not bind $endpoint within 20 s" >&2
      exit 1
    fi
    sleep 0.05
  done
}

# import_file FILE DB LOG: time one voc-collect run into a fresh processor
# and store; sets import_ms and import_stored. A long run prints a progress
# line every 10 s.
import_ms=0
import_stored=0
import_file() {
  local file=$1 db=$2 log=$3 t0 t1 cpid tpid rc=0 summary
  rm -f "$db" "$db-wal" "$db-shm" "$out"/outbox.db*
  start_processor "$db" "$log"
  t0=$(now_ms)
  "$bin/voc-collect" file "$file" --connect "$endpoint" --outbox "$out/outbox.db" \
    --json --progress >"$out/collect.json" 2>"$out/collect.log" &
  cpid=$!
  # The ticker ends by itself within a second of voc-collect.
  (
    n=0
    while kill -0 "$cpid" 2>/dev/null; do
      sleep 1
      n=$((n + 1))
      if [ $((n % 10)) -eq 0 ]; then
        # voc-collect redraws its progress line with \r; show the latest.
        line=$(tr '\r' '\n' <"$out/collect.log" | grep -v '^ *$' | tail -n 1 | sed 's/[[:space:]]*$//' || true)
        say "  ${n} s: ${line#voc-collect: }"
      fi
    done
  ) &
  tpid=$!
  wait "$cpid" || rc=$?
  t1=$(now_ms)
  wait "$tpid" || true
  if [ "$rc" -ne 0 ]; then
    echo "bench: voc-collect failed (exit $rc):" >&2
    tr '\r' '\n' <"$out/collect.log" | tail -n 20 >&2
    exit 1
  fi
  stop_processor || { echo "bench: voc-processor did not stop cleanly; see $log" >&2; exit 1; }
  import_ms=$((t1 - t0))
  [ "$import_ms" -gt 0 ] || import_ms=1
  summary=$(cat "$out/collect.json")
  import_stored=$(printf '%s' "$summary" | sed -n 's/.*"stored":[[:space:]]*\([0-9]*\).*/\1/p')
  : "${import_stored:=?}"
}

# median of the numbers on stdin
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

# rate COUNT MS -> items per second, rounded
rate() { awk -v n="$1" -v ms="$2" 'BEGIN { printf "%.0f", n * 1000 / ms }'; }

# Dates end today so that --since windows hold data.
start_day=$(date -u -d '365 days ago' +%F)

# ---- machine -----------------------------------------------------------------
cpus=$(nproc 2>/dev/null || echo '?')
cpu_model=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)
[ -n "$cpu_model" ] || cpu_model=$(uname -m)
ram=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo 2>/dev/null || true)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)

# ---- (a) end-to-end import ---------------------------------------------------
say "generating $e2e_count items"
e2e_file="$out/e2e.jsonl"
"$bin/voc-gen" --count "$e2e_count" --seed 1 --start "$start_day" --days 365 --out "$e2e_file"
say "importing $e2e_count items end to end"
import_file "$e2e_file" "$out/e2e.db" "$out/processor-e2e.log"
e2e_ms=$import_ms
e2e_rate=$(rate "$e2e_count" "$e2e_ms")
e2e_stored=$import_stored
say "  $e2e_rate items/s ($e2e_ms ms, $e2e_stored stored)"

# ---- (b, c) tokenize and tag ---------------------------------------------------
# voc-bench-analysis times the tokenize stage and the rule engine on one core
# (best of 3 passes), beside the same rules with every pattern run on every
# item and a pure Vectorscan scan of the same patterns (the speed-of-light
# reference). bench/baseline.py is what a team would write instead (Python re
# + sqlite3, same rules, same corpus). All of it on the generated corpus, the
# real CFPB complaints, and with a generated 1,000-theme rule set.
tok_rate=n/a
tag_rate=n/a
field() { printf '%s' "$2" | sed -n "s/.*\"$1\":[[:space:]]*\([0-9.eE+-]*\).*/\1/p"; }
fmt() { [ -n "$1" ] && awk -v x="$1" 'BEGIN { printf "%.0f", x }' || echo n/a; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.1f", a / b; else printf "n/a" }'; }
analysis_rows=()
analyse() { # LABEL RULES CORPUS
  local a
  if a=$("$bin/voc-bench-analysis" --rules "$2" --input "$3" --json); then
    local tok tag all hs
    tok=$(field tokenize_items_per_s "$a"); tag=$(field tag_items_per_s "$a")
    all=$(field tag_no_prefilter_items_per_s "$a"); hs=$(field vectorscan_items_per_s "$a")
    local py=n/a
    if command -v python3 >/dev/null 2>&1; then
      local b
      # The baseline is slow: time it on the first 10,000 items.
      head -n 10000 "$3" >"$out/baseline-input.jsonl"
      b=$(python3 bench/baseline.py --rules "$2" --input "$out/baseline-input.jsonl" --json 2>/dev/null || true)
      py=$(field tag_items_per_s "$b")
    fi
    analysis_rows+=("| $1 | $(field themes "$a") themes, $(field patterns "$a") patterns | $(fmt "$tok") | $(fmt "$tag") | $(fmt "$all") | $(fmt "$hs") | $(fmt "$py") | $(ratio "$tag" "$py")× | $(ratio "$hs" "$tag")× |")
    a_tok=$(fmt "$tok"); a_tag=$(fmt "$tag")
  else
    say "  voc-bench-analysis failed on $1"
    a_tok=n/a; a_tag=n/a
  fi
}
if [ -x "$bin/voc-bench-analysis" ]; then
  say "timing tokenize and tag on $e2e_count generated items"
  analyse "generated, $rules" "$rules" "$e2e_file"
  tag=$a_tag
  tok_rate="$a_tok items/s"; tag_rate="$a_tag items/s"
  if command -v python3 >/dev/null 2>&1; then
    python3 bench/gen_rules.py --themes 1000 >"$out/rules1000.json"
    say "timing the 1,000-theme rule set"
    analyse "generated, 1,000 themes" "$out/rules1000.json" "$e2e_file"
    tag1000=$a_tag
    cfpb_src=../shared/data/cfpb_complaint_narratives.jsonl
    if [ -f "$cfpb_src" ]; then
      python3 -c 'import json,sys
for l in open(sys.argv[1], encoding="utf-8"):
    o = json.loads(l); t = o.get("consumer_complaint_narrative") or ""
    if t.strip(): print(json.dumps({"uid": "cfpb-" + o["complaint_id"], "kind": "ticket", "text": t}))' \
        "$cfpb_src" >"$out/cfpb.jsonl"
      say "timing on the real CFPB complaints"
      analyse "CFPB complaints (real), $rules" "$rules" "$out/cfpb.jsonl"
    fi
  fi
else
  say "no $bin/voc-bench-analysis; tokenize and tag are n/a"
fi

# ---- (d) voc top on a large store ----------------------------------------------
# Reuse only a store with the right count, tagged by this very rule set
# (the store records rule sets by the SHA-256 of their bytes).
have=
if [ -f "$top_db" ] && command -v sqlite3 >/dev/null 2>&1 && command -v sha256sum >/dev/null 2>&1; then
  rules_hash=$(sha256sum "$rules" | cut -d' ' -f1)
  have=$(sqlite3 -readonly "$top_db" "SELECT count(*) FROM items WHERE NOT EXISTS
           (SELECT 1 FROM items WHERE rule_set_id IS NOT
              (SELECT id FROM rule_sets WHERE hash = '$rules_hash'))" 2>/dev/null || true)
fi
if [ "$have" = "$top_count" ]; then
  say "reusing $top_db ($have items)"
  top_build="reused"
else
  say "building $top_db with $top_count items (this takes a while)"
  top_file="$out/1m.jsonl"
  "$bin/voc-gen" --count "$top_count" --seed 2 --start "$start_day" --days 365 --out "$top_file"
  say "  generated $top_file; importing"
  import_file "$top_file" "$top_db" "$out/processor-top.log"
  rm -f "$top_file"
  top_build="built in $(awk -v ms="$import_ms" 'BEGIN { printf "%.1f", ms / 1000 }') s, $(rate "$top_count" "$import_ms") items/s"
  say "  $top_build"
fi

# time_top ARGS...: median wall time in ms of top_runs runs of voc top
time_top() {
  local t0 t1
  "$bin/voc" top --db "$top_db" "$@" >/dev/null # warm the page cache once
  for _ in $(seq 1 "$top_runs"); do
    t0=$(now_ms)
    "$bin/voc" top --db "$top_db" "$@" >/dev/null
    t1=$(now_ms)
    echo $((t1 - t0))
  done | median
}
say "timing voc top ($top_runs runs each)"
top_all=$(time_top --limit 10 --format json)
top_30d=$(time_top --limit 10 --format json --since 30d)
top_30d_ticket=$(time_top --limit 10 --format json --since 30d --kind ticket)

# ---- (e) retag the large store -------------------------------------------------
retag_row="n/a"
if [ -f "$out/rules1000.json" ]; then
  say "retagging a copy of $top_db with the 1,000-theme rule set"
  cp "$top_db" "$out/retag.db"
  t0=$(now_ms)
  "$bin/voc" retag --db "$out/retag.db" --rules "$out/rules1000.json" >/dev/null
  t1=$(now_ms)
  retag_row="$(awk -v ms=$((t1 - t0)) 'BEGIN { printf "%.1f", ms / 1000 }') s ($(rate "$top_count" $((t1 - t0))) items/s)"
  rm -f "$out/retag.db" "$out/retag.db-wal" "$out/retag.db-shm"
fi
# The common case: a small edit to the rule set (one keyword added).
retag_edit_row="n/a"
if command -v python3 >/dev/null 2>&1; then
  python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
d["themes"][0].setdefault("keywords", {})["bench-edit-keyword"] = 0.5
json.dump(d, open(sys.argv[2], "w"), indent=1)' "$rules" "$out/rules-edited.json"
  say "retagging a copy of $top_db after a one-keyword edit"
  cp "$top_db" "$out/retag.db"
  t0=$(now_ms)
  "$bin/voc" retag --db "$out/retag.db" --rules "$out/rules-edited.json" >/dev/null
  t1=$(now_ms)
  retag_edit_row="$(awk -v ms=$((t1 - t0)) 'BEGIN { printf "%.1f", ms / 1000 }') s ($(rate "$top_count" $((t1 - t0))) items/s)"
  rm -f "$out/retag.db" "$out/retag.db-wal" "$out/retag.db-shm"
fi

# ---- report ------------------------------------------------------------------
{
  echo "## voc benchmark"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $commit"
  echo "- machine: $cpus CPUs, $cpu_model${ram:+, $ram RAM}"
  echo "- rule set: $rules"
  echo
  echo "| benchmark | data | result |"
  echo "|---|---|---|"
  echo "| end-to-end import (voc-collect file → voc-processor → SQLite) | $e2e_count items | $e2e_rate items/s ($e2e_ms ms, $e2e_stored stored) |"
  echo "| tokenize | $e2e_count items | $tok_rate |"
  echo "| tag | $e2e_count items | $tag_rate |"
  echo "| voc top --limit 10 --format json | $top_count items ($top_build) | $top_all ms (median of $top_runs) |"
  echo "| voc top --limit 10 --format json --since 30d | $top_count items | $top_30d ms (median of $top_runs) |"
  echo "| voc top --limit 10 --format json --since 30d --kind ticket | $top_count items | $top_30d_ticket ms (median of $top_runs) |"
  echo "| voc retag after a one-keyword edit of the rule set | $top_count items | $retag_edit_row |"
  echo "| voc retag --rules (1,000 themes), whole store | $top_count items | $retag_row |"
  if [ "${#analysis_rows[@]}" -gt 0 ]; then
    echo
    echo "Tagging, one core, items/s (tag = Vectorscan prefilter + PCRE2 confirm + keywords + evidence):"
    echo
    echo "| corpus | rules | tokenize | tag | tag, every regex on every item | Vectorscan scan only | Python re baseline | tag vs Python | Vectorscan vs tag |"
    echo "|---|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${analysis_rows[@]}"
    [ -z "${tag1000:-}" ] || echo
    [ -z "${tag1000:-}" ] || echo "The 1,000-theme rule set costs $(ratio "$tag" "$tag1000")× the default set per item."
  fi
} | tee "$out/results.md"
