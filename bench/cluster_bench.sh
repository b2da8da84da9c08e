#!/usr/bin/env bash
# cluster_bench.sh: how `voc clusters` scales. For each size (default 10k,
# 100k and 1M items) it generates a seeded voc-gen corpus, imports it through
# the real processor with rules/default.json (the store is reused while it
# holds exactly that many items), forgets any saved clusters, then times
# `voc clusters` over all items without saving (the clustering alone),
# saving (plus the write of every membership), once more (a rerun: items
# keep their clusters, nothing to cluster), and over the untagged items,
# reporting wall time, CPU time and peak memory (GNU time -v) and the load
# average just before each run (the machine may be shared).
# Also times the quality check on the CFPB complaints when the file is there.
# Prints a markdown table; progress goes to stderr.
#
#   bench/cluster_bench.sh                 # 10000 100000 1000000
#   CLUSTER_BENCH_SIZES="10000 100000" bench/cluster_bench.sh
#
# Environment: CLUSTER_BENCH_SIZES, BENCH_BIN (default build/bin),
# BENCH_OUT (default bench/out), BENCH_RULES (default rules/default.json).
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${BENCH_BIN:-build/bin}
out=${BENCH_OUT:-bench/out}
rules=${BENCH_RULES:-rules/default.json}
sizes=${CLUSTER_BENCH_SIZES:-10000 100000 1000000}
cfpb=../shared/data/cfpb_complaint_narratives.jsonl

for b in voc-gen voc-collect voc-processor voc; do
  [ -x "$bin/$b" ] || { echo "cluster_bench: $bin/$b not found; build first" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "cluster_bench: needs GNU time (/usr/bin/time)" >&2; exit 1; }
mkdir -p "$out"
out_abs=$(cd "$out" && pwd)
say() { echo "cluster_bench: $*" >&2; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

proc_pid=
stop_processor() {
  [ -n "$proc_pid" ] || return 0
  kill -TERM "$proc_pid" 2>/dev/null || true
  wait "$proc_pid" || true
  proc_pid=
}
trap stop_processor EXIT

# import FILE DB: a fresh store through voc-collect and voc-processor.
import() {
  local file=$1 db=$2 sock="$out_abs/cb.sock" deadline
  rm -f "$db" "$db-wal" "$db-shm" "$out"/cb-outbox.db* "$sock"
  "$bin/voc-processor" --db "$db" --listen "ipc://$sock" --rules "$rules" \
    --stats-interval 0 --log-level warn 2>"$out/cb-processor.log" &
  proc_pid=$!
  # Loading the rule set can take a while on a loaded machine.
  deadline=$(($(now_ms) + 300000))
  until [ -S "$sock" ]; do
    kill -0 "$proc_pid" 2>/dev/null || { cat "$out/cb-processor.log" >&2; exit 1; }
    [ "$(now_ms)" -lt "$deadline" ] || { echo "cluster_bench: processor did not start" >&2; exit 1; }
    sleep 0.05
  done
  "$bin/voc-collect" file "$file" --connect "ipc://$sock" --outbox "$out/cb-outbox.db" \
    --json >"$out/cb-collect.json"
  stop_processor
}

# measure ARGS...: run voc under GNU time -v; sets wall, cpu, rss_mb and
# load (the 1-minute load average just before the run: on a shared machine
# wall time grows with it, CPU time much less).
measure() {
  load=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -v -o "$out/cb-time.txt" "$bin/voc" "$@" >"$out/cb-run.txt"
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0;
                      for (i = 1; i <= n; i++) s = s * 60 + t[i]; printf "%.2f", s }' "$out/cb-time.txt")
  cpu=$(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 }
                     END { printf "%.2f", u + s }' "$out/cb-time.txt")
  rss_mb=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$out/cb-time.txt")
}

# clusters: how many the last run found.
clusters() { sed -n 's/.*"cluster_count":\([0-9]*\).*/\1/p' "$out/cb-run.txt"; }

rows=()
for n in $sizes; do
  db="$out/clusters-$n.db"
  have=
  if [ -f "$db" ] && command -v sqlite3 >/dev/null 2>&1; then
    have=$(sqlite3 -readonly "$db" "SELECT count(*) FROM items" 2>/dev/null || true)
  fi
  if [ "$have" != "$n" ]; then
    say "generating and importing $n items"
    "$bin/voc-gen" --count "$n" --seed 3 --out "$out/clusters-$n.jsonl"
    import "$out/clusters-$n.jsonl" "$db"
    rm -f "$out/clusters-$n.jsonl"
  else
    say "reusing $db"
  fi
  # Fresh runs: forget the clusters an earlier bench saved.
  if command -v sqlite3 >/dev/null 2>&1; then
    sqlite3 "$db" "DROP TABLE IF EXISTS cluster_members; DROP TABLE IF EXISTS cluster_run_sizes;
                   DROP TABLE IF EXISTS clusters; DROP TABLE IF EXISTS cluster_runs;"
  fi
  say "voc clusters on $n items"
  measure clusters --db "$db" --no-save --format json
  rows+=("| $n | all items, --no-save | $(clusters) | $wall s | $cpu s | $rss_mb MB | $load |")
  measure clusters --db "$db" --format json
  rows+=("| $n | all items, saved | $(clusters) | $wall s | $cpu s | $rss_mb MB | $load |")
  measure clusters --db "$db" --format json
  rows+=("| $n | all items again (items keep their clusters) | $(clusters) | $wall s | $cpu s | $rss_mb MB | $load |")
  measure clusters --db "$db" --untagged --no-save --format json
  rows+=("| $n | --untagged, --no-save | $(clusters) | $wall s | $cpu s | $rss_mb MB | $load |")
done

{
  echo "## voc clusters scaling"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "- machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n 1)"
  echo
  echo "| items | run | clusters | wall | CPU (user+sys) | peak RSS | load before |"
  echo "|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  if [ -f "$cfpb" ] && [ -x "$bin/voc-cluster-eval" ]; then
    echo
    echo "Quality on the CFPB complaints (bin/voc-cluster-eval --seeds 5):"
    echo
    "$bin/voc-cluster-eval" --input "$cfpb" --seeds 5 2>/dev/null | sed -n '/^| method/,/^$/p'
  fi
} | tee "$out/clusters-results.md"
