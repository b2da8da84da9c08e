#!/usr/bin/env bash
# webhook_bench.sh: sustained webhook throughput of `voc-collect http` with
# the durable outbox on (SQLite WAL, synchronous=FULL: a 2xx only after the
# item's commit reached the disk) while the sender drains the outbox into a
# running voc-processor. Builds nothing: it runs the binaries in BENCH_BIN.
#
# It starts voc-processor and voc-collect http on files in a fresh temporary
# directory, then runs wrk twice, each time with a Lua script that makes
# every request a distinct item:
#   /v1/items                  one item object per request, bearer token
#   /v1/webhooks/delighted     a survey_response.updated delivery per request,
#                              each with its own response id and its own
#                              X-Delighted-Webhook-Signature (HMAC-SHA256,
#                              signed beforehand by python3 so wrk's threads
#                              only send)
# After each run it waits until the processor acked everything and checks
# that the store holds exactly as many items of that source as the collector
# accepted (committed to its outbox: voc_items_accepted_total in /metrics;
# a few more than wrk counted as 2xx, since wrk stops with requests in
# flight), and at least as many as wrk saw answered 2xx. It prints one
# markdown row per route: req/s (2xx answers a second), p50, p99, the
# counts, items per outbox commit (one fsync each), the CPU time each
# process spent per accepted request (collector and processor from /proc,
# wrk from its own clock), and the machine load before and after: on a
# shared machine req/s drops with other work running, while the CPU per
# request still shows where the time goes.
#
#   bench/webhook_bench.sh
#   BENCH_BIN=build-wh/bin BENCH_DURATION=10 BENCH_CONNECTIONS=32 bench/webhook_bench.sh
#
# Environment: BENCH_BIN (default build/bin), BENCH_DURATION seconds (10),
# BENCH_CONNECTIONS (32), BENCH_THREADS wrk threads (2), BENCH_PORT (18080),
# BENCH_RULES (rules/default.json; "none" for an untagged store),
# BENCH_ROUTES ("items delighted"), BENCH_HTTP_ARGS (extra voc-collect http
# options), BENCH_KEEP=1 keeps the temporary directory (its path goes to
# stderr), TMPDIR (where the outbox and the store live: keep it on a real
# disk, a tmpfs makes fsync free).
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${BENCH_BIN:-build/bin}
duration=${BENCH_DURATION:-10}
conns=${BENCH_CONNECTIONS:-32}
wthreads=${BENCH_THREADS:-2}
port=${BENCH_PORT:-18080}
rules=${BENCH_RULES:-rules/default.json}
routes=${BENCH_ROUTES:-items delighted}
token=bench-token-5f1c
secret=bench-delighted-key-7a2e

say() { echo "webhook_bench: $*" >&2; }
die() {
  say "$*"
  exit 1
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }

for b in voc-collect voc-processor; do
  [ -x "$bin/$b" ] || die "$bin/$b not found; build first (or set BENCH_BIN)"
done
for t in wrk curl sqlite3 python3; do
  command -v "$t" >/dev/null || die "needs $t"
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/webhook_bench.XXXXXX")
proc_pid=
http_pid=
cleanup() {
  [ -n "$http_pid" ] && kill -TERM "$http_pid" 2>/dev/null && wait "$http_pid" 2>/dev/null
  [ -n "$proc_pid" ] && kill -TERM "$proc_pid" 2>/dev/null && wait "$proc_pid" 2>/dev/null
  if [ "${BENCH_KEEP:-0}" = 1 ]; then say "kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT

# metric NAME: one value from /metrics (0 when absent).
metric() {
  curl -fsS "http://127.0.0.1:$port/metrics" |
    awk -v m="$1" 'index($0, m " ") == 1 { v = $NF } END { print v + 0 }'
}

# cpu_ticks PID: user + system time of a process so far, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

# wait_until DESC MS CMD...: poll CMD until it succeeds or MS pass.
wait_until() {
  local desc=$1 ms=$2 deadline
  shift 2
  deadline=$(($(now_ms) + ms))
  until "$@"; do
    [ "$(now_ms)" -lt "$deadline" ] || die "timed out waiting for $desc"
    sleep 0.05
  done
}

# ---- processes ------------------------------------------------------------

pargs=(--db "$dir/voc.db" --listen "ipc://$dir/p.sock" --stats-interval 0 --log-level warn)
[ "$rules" = none ] || pargs+=(--rules "$rules")
"$bin/voc-processor" "${pargs[@]}" 2>"$dir/processor.log" &
proc_pid=$!
wait_until "voc-processor" 60000 test -S "$dir/p.sock"

# shellcheck disable=SC2086 # BENCH_HTTP_ARGS is a list of options
"$bin/voc-collect" http --listen "127.0.0.1:$port" --connect "ipc://$dir/p.sock" \
  --outbox "$dir/outbox.db" --token "$token" --delighted-secret "$secret" \
  --log-level warn ${BENCH_HTTP_ARGS:-} 2>"$dir/http.log" &
http_pid=$!
healthy() {
  kill -0 "$http_pid" 2>/dev/null || die "voc-collect http exited: $(cat "$dir/http.log")"
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1
}
wait_until "voc-collect http" 10000 healthy

# ---- wrk scripts ----------------------------------------------------------

# Both scripts prepare every request in init (before wrk's clock starts),
# so that the load generator, which shares the machine, spends its time
# sending. They start with common.lua: thread numbers (to keep uids apart
# across wrk's threads), and done(), which prints the figures and wrk's CPU
# time after the last init (os.clock is the process's CPU time).
cat >"$dir/common.lua" <<'EOF'
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end
function done(summary, latency, requests)
  local secs, e, init_cpu = summary.duration / 1e6, summary.errors, 0
  for _, t in ipairs(threads) do init_cpu = math.max(init_cpu, t:get("init_cpu")) end
  io.write(string.format(
    "RESULT reqs=%d rps=%.0f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f " ..
    "non2xx=%d connect=%d read=%d write=%d timeout=%d wrk_cpu_s=%.3f\n",
    summary.requests, summary.requests / secs, latency:percentile(50) / 1000,
    latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect, e.read, e.write, e.timeout, os.clock() - init_cpu))
end
local n = 0
function request()
  n = n + 1
  if n > #reqs then
    -- Out of prepared requests: resend (stored once, so the store check
    -- fails and says so).
    io.stderr:write("out of prepared requests\n")
    n = 1
  end
  return reqs[n]
end
EOF

# /v1/items: ARGS token count.
cp "$dir/common.lua" "$dir/items.lua"
cat >>"$dir/items.lua" <<'EOF'
reqs = {}
local texts = {
  "Exports to CSV take forever and the page times out twice a week.",
  "Support answered quickly and fixed our billing problem, thanks!",
  "The new dashboard is confusing; I cannot find the filters anymore.",
  "Love the mobile app, but login with SSO fails every other morning.",
}
function init(args)
  local headers = { ["Authorization"] = "Bearer " .. args[1],
                    ["Content-Type"] = "application/json" }
  for i = 1, tonumber(args[2]) do
    reqs[i] = wrk.format("POST", "/v1/items", headers, string.format(
      '{"uid":"bench-items-%d-%d","kind":"nps","score":%d,"text":"%s",' ..
      '"attrs":{"plan":"pro","region":"emea"}}', tid, i, i % 11, texts[i % 4 + 1]))
  end
  init_cpu = os.clock()
end
EOF

# Delighted: ARGS file threads. Deliveries signed beforehand, one file line
# each ("SIG BODY"); thread t sends lines t, t+T, t+2T, ...
cp "$dir/common.lua" "$dir/delighted.lua"
cat >>"$dir/delighted.lua" <<'EOF'
reqs = {}
function init(args)
  local threads, i = tonumber(args[2]), 0
  for line in io.lines(args[1]) do
    if i % threads == tid then
      local sp = line:find(" ", 1, true)
      reqs[#reqs + 1] = wrk.format("POST", "/v1/webhooks/delighted", {
        ["Content-Type"] = "application/json",
        ["X-Delighted-Webhook-Signature"] = "sha256=" .. line:sub(1, sp - 1),
      }, line:sub(sp + 1))
    end
    i = i + 1
  end
  init_cpu = os.clock()
end
EOF

# Enough distinct deliveries (and items requests) for 40,000 requests/s.
sign_deliveries() {
  python3 - "$1" "$secret" "$2" <<'EOF'
import hashlib, hmac, json, sys
path, secret, count = sys.argv[1], sys.argv[2].encode(), int(sys.argv[3])
comments = [
    "Exports to CSV take forever. Support did answer in the end, thanks.",
    "Great onboarding, the checklist made setup painless.",
    "Pricing page is unclear about seats vs. users.",
    "The app crashes when I upload a photo from my phone.",
]
with open(path, "w") as f:
    for i in range(count):
        body = json.dumps({
            "event_type": "survey_response.updated",
            "event_id": "%064x" % (i + 1),
            "event_data": {
                "id": str(1000000 + i),
                "person": {"id": str(60000 + i % 5000), "email": "p%d@example.com" % i,
                           "name": "Person %d" % i, "created_at": 1767601200},
                "survey_type": "nps", "score": i % 11, "comment": comments[i % 4],
                "permalink": "https://app.delighted.com/r/bench%d" % i,
                "created_at": 1767601260, "updated_at": 1767602410,
                "person_properties": {"Delighted Source": "Email", "Plan": "pro",
                                      "Customer ID": "cus_%d" % (i % 5000)},
                "notes": [], "tags": ["bench"],
            },
        }, separators=(",", ":"))
        sig = hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()
        f.write(sig + " " + body + "\n")
EOF
}

# ---- runs -----------------------------------------------------------------

# drained ROUTE_ACCEPTED_TOTAL: the processor acked every accepted item.
drained() {
  [ "$(metric voc_outbox_depth)" = 0 ] && [ "$(metric voc_items_acked_total)" -ge "$1" ]
}

echo "| route | load before | req/s | p50 ms | p99 ms | max ms | 2xx | accepted | stored | non-2xx" \
  "| items/commit | CPU µs/req collector | processor | wrk | load after |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
status=0
for route in $routes; do
  before=$(metric voc_items_accepted_total) commits0=$(metric voc_outbox_commits_total)
  case $route in
  items)
    script=$dir/items.lua path=/v1/items source=api
    args=("$token" $((duration * 40000 / wthreads)))
    ;;
  delighted)
    script=$dir/delighted.lua path=/v1/webhooks/delighted source=delighted
    total=$((duration * 40000))
    sign_deliveries "$dir/delighted.txt" "$total"
    args=("$dir/delighted.txt" "$wthreads")
    ;;
  *) die "unknown route $route (items, delighted)" ;;
  esac
  load_before=$(uptime | sed 's/.*load average: //')
  say "$path: wrk -t$wthreads -c$conns -d${duration}s (load $load_before)"
  c0=$(cpu_ticks "$http_pid") p0=$(cpu_ticks "$proc_pid")
  wrk -t"$wthreads" -c"$conns" -d"${duration}s" --latency -s "$script" \
    "http://127.0.0.1:$port" -- "${args[@]}" >"$dir/wrk-$route.txt"
  c1=$(cpu_ticks "$http_pid")
  load_after=$(uptime | sed 's/.*load average: //')
  r=$(grep '^RESULT' "$dir/wrk-$route.txt")
  field() { echo "$r" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
  ok=$(($(field reqs) - $(field non2xx)))
  all=$(metric voc_items_accepted_total)
  accepted=$((all - before))
  commits=$(($(metric voc_outbox_commits_total) - commits0))
  per_commit=$(awk -v a="$accepted" -v c="$commits" 'BEGIN { printf "%.1f", c ? a / c : 0 }')
  wait_until "the processor to ack $all items" 300000 drained "$all"
  # The processor may still be working through the backlog after wrk
  # stopped: count its CPU until the last ack.
  p1=$(cpu_ticks "$proc_pid")
  us() { awk -v t="$1" -v n="$accepted" -v hz="$hz" 'BEGIN { printf "%.0f", n ? t / hz * 1e6 / n : 0 }'; }
  wrk_us=$(awk -v c="$(field wrk_cpu_s)" -v n="$ok" 'BEGIN { printf "%.0f", n ? c * 1e6 / n : 0 }')
  stored=$(sqlite3 "$dir/voc.db" "SELECT count(*) FROM items WHERE source = '$source'")
  rps=$(awk -v ok="$ok" -v n="$(field reqs)" -v r="$(field rps)" 'BEGIN { printf "%.0f", n ? r * ok / n : 0 }')
  echo "| $path | $load_before | $rps | $(field p50_ms) | $(field p99_ms)" \
    "| $(field max_ms) | $ok | $accepted | $stored | $(field non2xx) | $per_commit" \
    "| $(us $((c1 - c0))) | $(us $((p1 - p0))) | $wrk_us | $load_after |"
  if [ "$accepted" != "$stored" ] || [ "$stored" -lt "$ok" ]; then
    say "$path: answered 2xx to $ok, accepted $accepted items, but the store holds $stored"
    status=1
  fi
  errs=$(($(field connect) + $(field read) + $(field write) + $(field timeout)))
  [ "$errs" = 0 ] || say "$path: wrk socket errors: $(grep -i 'errors' "$dir/wrk-$route.txt")"
done
exit $status
