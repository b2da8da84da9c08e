#!/usr/bin/env bash
# make bench: measure the pipeline on generated feedback and print a markdown
# table (also saved to bench/out/results.md). Run from the repository root
# after a build; binaries come from build/bin. Progress goes to stderr, the
# table to stdout.
#
#   end-to-end import  voc-gen -> voc-collect file -> voc-processor -> SQLite
#   tokenize, tag      build/bin/voc-bench-analysis, when it is built
#   query latency      voc top, trends, nps, search, export and report on a
#                      store of BENCH_TOP_COUNT items: median wall time of
#                      several runs (whole processes), beside the same
#                      questions answered by bench/baseline.py query (Python
#                      and SQL over the same database, no rollups)
#
# Environment:
#   BENCH_E2E_COUNT  items for the import run                 (default 100000)
#   BENCH_TOP_COUNT  items in the store for the queries       (default 1000000)
#   BENCH_TOP_RUNS   timed runs per fast query                (default 5)
#   BENCH_SLOW_RUNS  timed runs of export, report, baselines  (default 3)
#   BENCH_RULES      rule set                                 (default rules/default.json)
#   BENCH_BIN        where the binaries are                   (default build/bin)
#
# The query store (bench/out/1m.db, whatever BENCH_TOP_COUNT is) is reused
# when it holds exactly BENCH_TOP_COUNT items, all tagged with this rule set
# (checked with the sqlite3 command when installed), after migrating it to
# this build's schema; otherwise it is rebuilt, which takes a while. Delete
# it after changing voc-gen.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${BENCH_BIN:-build/bin}
out=bench/out
e2e_count=${BENCH_E2E_COUNT:-100000}
top_count=${BENCH_TOP_COUNT:-1000000}
top_runs=${BENCH_TOP_RUNS:-5}
slow_runs=${BENCH_SLOW_RUNS:-3}
rules=${BENCH_RULES:-rules/default.json}
endpoint="ipc://$PWD/$out/p.sock"
top_db="$out/1m.db"

for n in "$e2e_count" "$top_count" "$top_runs" "$slow_runs"; do
  case "$n" in
    '' | *[!0-9]*) echo "bench: BENCH_* counts must be whole numbers, got '$n'" >&2; exit 2 ;;
  esac
done
if [ "$e2e_count" -lt 1 ] || [ "$top_count" -lt 1 ] || [ "$top_runs" -lt 1 ] ||
  [ "$slow_runs" -lt 1 ]; then
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

# start_processor DB LOG [MS]: start voc-processor on a fresh socket and wait
# (bounded, 20 s unless MS) for it to bind; it opens (and migrates) the
# store first.
start_processor() {
  local db=$1 log=$2 wait_ms=${3:-20000} deadline
  rm -f "$out/p.sock"
  "$bin/voc-processor" --db "$db" --listen "$endpoint" --rules "$rules" \
    --stats-interval 0 --log-level warn 2>"$log" &
  proc_pid=$!
  deadline=$(($(now_ms) + wait_ms))
  until [ -S "$out/p.sock" ]; do
    if ! kill -0 "$proc_pid" 2>/dev/null; then
      proc_pid=
      echo "bench: voc-processor exited at start; its log ($log):" >&2
      cat "$log" >&2
      exit 1
    fi
    if [ "$(now_ms)" -gt "$deadline" ]; then
      echo "bench: voc-processor did not bind $endpoint within $((wait_ms / 1000)) s" >&2
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

# A reused store may predate this build's schema: the processor migrates
# it when it opens it (the read-only voc refuses an old schema).
if ! "$bin/voc" stats --db "$top_db" >/dev/null 2>"$out/stats.err"; then
  if grep -q "migrate" "$out/stats.err"; then
    say "migrating $top_db to this build's schema"
    t0=$(now_ms)
    start_processor "$top_db" "$out/processor-migrate.log" 600000
    stop_processor || { echo "bench: voc-processor did not stop cleanly; see $out/processor-migrate.log" >&2; exit 1; }
    say "  migrated in $(($(now_ms) - t0)) ms"
  else
    cat "$out/stats.err" >&2
    exit 1
  fi
fi

# run_us CMD...: wall time of one run in microseconds, output discarded.
# bash's EPOCHREALTIME reads the clock without starting a process.
run_us() {
  local a b
  if [ -n "${EPOCHREALTIME:-}" ]; then
    a=${EPOCHREALTIME/[.,]/}
    "$@" >/dev/null
    b=${EPOCHREALTIME/[.,]/}
    echo $((b - a))
  else
    a=$(date +%s%N)
    "$@" >/dev/null
    b=$(date +%s%N)
    echo $(((b - a) / 1000))
  fi
}

# time_ms RUNS CMD...: median wall time in ms (one decimal) of RUNS runs,
# after one untimed run that warms the page cache.
time_ms() {
  local runs=$1
  shift
  "$@" >/dev/null
  for _ in $(seq 1 "$runs"); do run_us "$@"; done | median |
    awk '{ printf "%.1f", $1 / 1000 }'
}

# time_cold_ms RUNS CMD...: the same without the warm-up run (the slow
# baselines; voc's runs have warmed the page cache already).
time_cold_ms() {
  local runs=$1
  shift
  for _ in $(seq 1 "$runs"); do run_us "$@"; done | median |
    awk '{ printf "%.1f", $1 / 1000 }'
}

voc_q() { "$bin/voc" "$1" --db "$top_db" "${@:2}"; }
py_q() { python3 bench/baseline.py query "$1" --db "$top_db" "${@:2}"; }
have_py=
command -v python3 >/dev/null 2>&1 && have_py=1

# The full-text index is caught up by the first voc search after an import:
# time that once, apart from the queries.
search_index_row="already indexed"
if [ "$(sqlite3 -readonly "$top_db" "SELECT count(*) FROM items WHERE id > (SELECT upto FROM fts_state)" 2>/dev/null || echo 1)" != 0 ]; then
  say "indexing $top_db for full-text search (the first voc search does it)"
  t0=$(now_ms)
  voc_q search "some query" >/dev/null
  search_index_row="$(awk -v ms=$(($(now_ms) - t0)) 'BEGIN { printf "%.1f", ms / 1000 }') s, once"
fi

say "timing voc queries ($top_runs runs each, $slow_runs for export and report)"
top_all=$(time_ms "$top_runs" voc_q top --limit 10 --format json)
top_30d=$(time_ms "$top_runs" voc_q top --limit 10 --format json --since 30d)
top_30d_ticket=$(time_ms "$top_runs" voc_q top --limit 10 --format json --since 30d --kind ticket)
trends_1y=$(time_ms "$top_runs" voc_q trends --interval week --since 1y --top 0 --format csv)
nps_theme=$(time_ms "$top_runs" voc_q nps --by theme --format csv)
search_q=$(time_ms "$top_runs" voc_q search "some query" --format json)
search_refund=$(time_ms "$top_runs" voc_q search "refund" --format json)
export_csv=$(time_ms "$slow_runs" voc_q export --format csv)
report_90d=$(time_ms "$slow_runs" voc_q report --since 90d --out -)
report_where=$(time_ms "$slow_runs" voc_q report --since 90d --where plan=team --out -)
export_rss="n/a"
if [ -x /usr/bin/time ]; then
  /usr/bin/time -f "%M" -o "$out/export.rss" "$bin/voc" export --db "$top_db" --format csv >/dev/null
  export_rss="$(awk '{ printf "%.0f MiB", $1 / 1024 }' "$out/export.rss") max RSS"
fi

py_top=n/a py_trends=n/a py_nps=n/a py_search=n/a py_export=n/a py_report=n/a
if [ -n "$have_py" ]; then
  say "timing the same questions in bench/baseline.py query ($slow_runs runs each)"
  py_top=$(time_cold_ms "$slow_runs" py_q top --since 30d)
  py_trends=$(time_cold_ms "$slow_runs" py_q trends --since 1y)
  py_nps=$(time_cold_ms "$slow_runs" py_q nps)
  py_search=$(time_cold_ms "$slow_runs" py_q search --text "some query")
  py_export=$(time_cold_ms "$slow_runs" py_q export)
  py_report=$(time_cold_ms "$slow_runs" py_q report --since 90d)
fi

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
  echo "| voc retag after a one-keyword edit of the rule set | $top_count items | $retag_edit_row |"
  echo "| voc retag --rules (1,000 themes), whole store | $top_count items | $retag_row |"
  echo
  echo "Queries on $top_count items ($top_build); wall time of the whole process, median of $top_runs runs ($slow_runs for export, report and the Python baseline); full-text index: $search_index_row."
  echo
  echo "| query | voc | target | Python baseline (bench/baseline.py query) |"
  echo "|---|---|---|---|"
  echo "| \`voc top --since 30d\` | $top_30d ms | < 20 ms | $py_top ms |"
  echo "| \`voc top\` (all time) | $top_all ms | | |"
  echo "| \`voc top --since 30d --kind ticket\` | $top_30d_ticket ms | | |"
  echo "| \`voc trends --interval week --since 1y\` (all themes) | $trends_1y ms | < 50 ms | $py_trends ms |"
  echo "| \`voc nps --by theme\` | $nps_theme ms | < 100 ms | $py_nps ms |"
  echo "| \`voc search \"some query\"\` | $search_q ms | < 50 ms | $py_search ms |"
  echo "| \`voc search refund\` (~3% of items match) | $search_refund ms | | |"
  echo "| \`voc export --format csv\` (all items) | $export_csv ms, $export_rss | < 5 s, flat memory | $py_export ms |"
  echo "| \`voc report --since 90d\` | $report_90d ms | | $py_report ms |"
  echo "| \`voc report --since 90d --where plan=team\` | $report_where ms | | |"
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
