#!/usr/bin/env bash
# make demo: start voc-processor on a private endpoint and database under
# demo/, import the bundled sample feedback with voc-collect, show the top
# themes, and stop the processor cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/bin
demo=demo
mkdir -p "$demo"
db="$demo/voc.db"
endpoint="ipc://$PWD/$demo/processor.sock"
log="$demo/processor.log"

"$bin/voc-processor" --db "$db" --listen "$endpoint" --rules rules/default.json \
  --stats-interval 0 2>"$log" &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; }
trap cleanup EXIT

# Wait (bounded) for the processor to bind its socket.
for _ in $(seq 1 100); do
  [ -S "$demo/processor.sock" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.05
done

collect() { "$bin/voc-collect" file --connect "$endpoint" --outbox "$demo/outbox.db" "$@"; }
echo "== importing examples/feedback.jsonl"
collect examples/feedback.jsonl
echo "== importing examples/tickets.csv"
collect examples/tickets.csv
echo "== importing examples/cfpb_sample.csv (public CFPB complaints)"
collect examples/cfpb_sample.csv --kind ticket --source cfpb \
  --map "uid=Complaint ID,created_at=Date received,text=Consumer complaint narrative,attr:product=Product,attr:issue=Issue"

echo
"$bin/voc" top --db "$db" --limit 8

kill -TERM "$pid"
wait "$pid" || { echo "voc-processor did not stop cleanly; see $log" >&2; exit 1; }
trap - EXIT

cat <<MSG

The database is $db (processor log: $log). Try next:
  $bin/voc trends --db $db --interval month --top 5
  $bin/voc nps --db $db --by theme
  $bin/voc top --db $db --theme billing --negative --format json
MSG
