#!/usr/bin/env bash
# A storm at scale through the live daemon: the NHS morning (one message to a list of 840,000,
# then reply-alls) played by the replay harness over 16 connections as fast as it can send,
# against Breakwater (release, unix socket, ledger prefilled with 1,000,000 tracked threads),
# hard gate and delivery budget off so the storm rule decides (trip at the 10th reply-all).
# Two storms, one after the other, each on its own list and thread: 80 repliers, then 5,000.
# The original goes first on its own connection; then every reply at once.
#
#   Tools/bench/storm.sh [--smoke] [--repliers "80 5000"] [--threads N] [--out FILE.json] [--bin-dir DIR]
#
# Reports per storm: reply-alls that got past the trip point (target 0; from the daemon's thread
# record: passed beyond 10), reply-alls stopped, deliveries prevented (control socket), the
# harness's decision latency while the storm runs (p50/p99), and its expectations (the storm-only
# policy model, written with --any-order: with 16 connections the order of arrival is not the
# file's, so the reply-alls are judged by count, exactly 10 passed and every later one stopped,
# whichever they are; direct replies each delivered). Fails unless every expectation held, the
# storm tripped, nothing got past the trip point and no connection broke.
set -euo pipefail
cd "$(dirname "$0")/../.."
. Tools/lib.sh

repliers="80 5000" threads=1000000 smoke=0 out=Tools/bench/plots/data/storm.json bindir=""
while (($#)); do
  case "$1" in
    --smoke) smoke=1 repliers="40" threads=2000 out="" ;;
    --repliers) repliers=$2; shift ;;
    --threads) threads=$2; shift ;;
    --out) out=$2; shift ;;
    --bin-dir) bindir=$2; shift ;;
    *) sed -n 2,17p "$0" >&2; exit 2 ;;
  esac
  shift
done
find_binaries "$bindir"

root=$(mktemp -d /tmp/breakwater-bench-storm.XXXXXX)
pid=""
cleanup() { stop_pid "$pid"; [[ -n ${KEEP:-} ]] || rm -rf "$root"; }
trap cleanup EXIT

"$LAB" prefill --threads "$threads" --snapshot "$root/ledger.snapshot" --sizes "$root/lists.sizes"
for n in $repliers; do
  "$REPLAY" generate storm --audience 840000 --list "all@nhs$n.example" --repliers "$n" --expect-policy storm-only --any-order \
    --subject "Test email $n" -o "$root/storm$n.session" >/dev/null
  cat "$root/storm$n.sizes" >>"$root/lists.sizes"
  # Split: the original (the first session) alone, then every reply.
  awk -v o="$root/orig$n.session" -v r="$root/replies$n.session" '
    /^session/ { s++ }
    s == 0 { print > o; print > r; next }
    s == 1 { print > o; next }
    { print > r }' "$root/storm$n.session"
done
write_daemon_config "$root" "$threads" <<CONF
hard_gate = off
delivery_budget = off
trip_replies = 10
CONF
"$BREAKWATER" run --allow-root --foreground --config "$root/breakwater.conf" 2>"$root/breakwater.log" &
pid=$!
wait_socket "$root/breakwater.sock" "$pid" "$root/breakwater.log"

echo "storm at scale: $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg); audience 840,000; $threads threads tracked; 16 connections"
rows=()
status=0
for n in $repliers; do
  "$REPLAY" live --connect "unix:$root/breakwater.sock" "$root/orig$n.session" >/dev/null
  j=$("$REPLAY" live --connect "unix:$root/breakwater.sock" --concurrency 16 --json "$root/replies$n.session" || true)
  t=$("$BREAKWATER" thread "<storm-root@nhs$n.example>" --socket "$root/control.sock" --json)
  s=$("$BREAKWATER" stats --socket "$root/control.sock" --json)
  row=$(python3 - "$n" "$j" "$t" "$s" <<'PY'
import json, sys
n, j, t, s = int(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3]), json.loads(sys.argv[4])
l = j["latencyNanoseconds"]
past = max(0, t["repliesPassed"] - 10)
print(json.dumps({"repliers": n, "messages": j["messages"], "messagesPerSecond": round(j["messagesPerSecond"], 1),
                  "p50us": round(l["p50"] / 1e3, 1), "p99us": round(l["p99"] / 1e3, 1), "maxus": round(l["max"] / 1e3, 1),
                  "replyAllsPassed": t["repliesPassed"], "replyAllsStopped": t["repliesStopped"], "pastTripPoint": past,
                  "threadDeliveriesPrevented": t["deliveriesPrevented"], "daemonDeliveriesPrevented": s["deliveriesPrevented"],
                  "tripped": t.get("trippedAt") is not None, "passed": j["passed"], "failed": j["failed"],
                  "errors": len(j["errors"]), "failures": j["failures"][:6]}))
PY
)
  rows+=("$row")
  python3 - "$row" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
print("  %d repliers (%d replies incl. direct): %.0f msg/s, latency p50 %.0f us, p99 %.0f us, max %.0f us" % (
      r["repliers"], r["messages"], r["messagesPerSecond"], r["p50us"], r["p99us"], r["maxus"]))
print("    reply-alls passed %d, stopped %d -> past the trip point: %d (target 0); tripped: %s" % (
      r["replyAllsPassed"], r["replyAllsStopped"], r["pastTripPoint"], r["tripped"]))
print("    deliveries prevented: %d in this thread (daemon total so far %d)" % (r["threadDeliveriesPrevented"], r["daemonDeliveriesPrevented"]))
print("    harness: %d passed, %d failed, %d connection errors" % (r["passed"], r["failed"], r["errors"]))
for f in r["failures"]: print("      " + f)
PY
  python3 -c 'import json,sys; r=json.loads(sys.argv[1]); sys.exit(0 if r["pastTripPoint"] == 0 and r["errors"] == 0 and r["tripped"] and r["failed"] == 0 else 1)' "$row" || status=1
done
[[ -n $out ]] && echo "{\"date\": \"$(date -u +%FT%TZ)\", \"threads\": $threads, \"storms\": [$(IFS=,; echo "${rows[*]}")]}" >"$out" && echo "written to $out"
((status == 0)) || { echo "a storm leaked past its trip point, did not trip, failed an expectation, or connections broke" >&2; exit 1; }
((smoke)) && echo "smoke run: the storm tripped at 10, nothing got past it, and every expectation held"
exit 0
