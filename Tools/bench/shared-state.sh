#!/usr/bin/env bash
# The milter path with shared_state (issue #15): the daemon three times in one run, alternating,
# order rotating each repetition, each restoring the same ledger snapshot of 1,000,000 threads:
#   memory       no shared_state: today's in-memory ledger;
#   redis-tcp    shared_state = redis://127.0.0.1:PORT (TCP loopback), prefix tcp:;
#   redis-unix   shared_state = unix:ROOT/redis.sock, prefix unix:;
# both on one private redis-server this script starts (no disk, no systemd), which holds the
# prefilled threads the load's reply-alls can reach (each prefix its own copy, so neither daemon
# sees the other's reply-alls as retries). Two loads, at 1 and 16 connections:
#   ordinary     ordinary mail only (20 recipients, 8 headers): never reaches the server. MTA:
#                miltload (C, ../shared/tools/miltload.c, or --miltload PATH) when found, else
#                the replay harness;
#   mix          milter.sh's load: 90 % ordinary, 8 % direct replies, 2 % reply-alls (counted,
#                passing) into prefilled threads. MTA: the replay harness.
# Per run: msg/s, MAIL-to-verdict p50/p99, CPU µs a message of the MTA (bash's time: with its
# start and, for the replay harness, reading the session file, so an upper bound), the daemon
# and the server (/proc), and script runs (EVALSHA) a message. Prints medians, the cores each
# side kept busy, and the ratio shared / memory (target >= 90 %); writes every run to FILE.json (default
# Tools/bench/plots/data/shared-state.json; the smoke run writes none).
#
#   Tools/bench/shared-state.sh [--smoke] [--reps R] [--messages M] [--threads N] [--out FILE.json]
#                               [--bin-dir DIR] [--miltload PATH.c|none] [--redis-server PATH]
#
# --smoke: tiny (2,000 threads, 48 messages, 1 repetition, replay harness only); judges only that
# every message got its verdict and both shared daemons used the server.
set -euo pipefail
cd "$(dirname "$0")/../.."
. Tools/lib.sh

reps=5 messages=4000 threads=1000000 smoke=0 out=Tools/bench/plots/data/shared-state.json bindir=""
miltload_src=../shared/tools/miltload.c redis_server=${REDIS_SERVER:-/usr/bin/redis-server}
while (($#)); do
  case "$1" in
    --smoke) smoke=1 reps=1 messages=48 threads=2000 out="" miltload_src=none ;;
    --reps) reps=$2; shift ;;
    --messages) messages=$2; shift ;;
    --threads) threads=$2; shift ;;
    --out) out=$2; shift ;;
    --bin-dir) bindir=$2; shift ;;
    --miltload) miltload_src=$2; shift ;;
    --redis-server) redis_server=$2; shift ;;
    *) sed -n 2,27p "$0" >&2; exit 2 ;;
  esac
  shift
done
find_binaries "$bindir"
[[ -x $redis_server ]] || { echo "no redis-server at $redis_server (apt-get install redis-server)" >&2; exit 1; }

root=$(mktemp -d /tmp/breakwater-bench-shared.XXXXXX)
pids=()
cleanup() {  # why: TERM every daemon first; libmilter takes up to 5 s each to return
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [[ -n ${KEEP:-} ]] || rm -rf "$root"
}
trap cleanup EXIT

mta=replay
if [[ $miltload_src != none && -f $miltload_src ]]; then
  "${CC:-cc}" -O2 -pthread -o "$root/miltload" "$miltload_src" && mta=miltload
fi

# The server: loopback port and unix socket, nothing on disk.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$redis_server" --bind 127.0.0.1 --port "$port" --unixsocket "$root/redis.sock" --unixsocketperm 700 --save '' \
  --appendonly no --daemonize no --supervised no --dir "$root" --logfile "$root/redis.log" & redis_pid=$!; pids+=($redis_pid)
for _ in $(seq 1 200); do [[ $(redis-cli -p "$port" ping 2>/dev/null) == PONG ]] && break; sleep 0.05; done
[[ $(redis-cli -p "$port" ping 2>/dev/null) == PONG ]] || { echo "redis-server did not start:" >&2; cat "$root/redis.log" >&2; exit 1; }

"$LAB" prefill --threads "$threads" --snapshot "$root/ledger.snapshot" --sizes "$root/lists.sizes"
"$LAB" shared-prefill --redis "redis://127.0.0.1:$port" --prefix tcp: --threads "$threads" --reachable
"$LAB" shared-prefill --redis "unix:$root/redis.sock" --prefix unix: --threads "$threads" --reachable
filters=(memory redis-tcp redis-unix)
declare -A dpid extra=([memory]="" [redis-tcp]="shared_state = redis://127.0.0.1:$port
shared_state_prefix = tcp:" [redis-unix]="shared_state = unix:$root/redis.sock
shared_state_prefix = unix:")
for f in "${filters[@]}"; do
  mkdir "$root/$f"
  cp "$root/ledger.snapshot" "$root/lists.sizes" "$root/$f/"
  write_daemon_config "$root/$f" "$threads" <<<"${extra[$f]}"
  start_daemon "$root/$f"
  dpid[$f]=$daemon; pids+=($daemon)
done
echo "redis: $(redis-cli -p "$port" info memory | grep -m1 '^used_memory_human' | tr -d '\r'), $(redis-cli -p "$port" dbsize) keys"

loadfile() {  # $1 = seed, $2 = connections, $3 = ordinary|mix -> path
  local f=$root/load-$1-$2-$3.session
  [[ -f $f ]] || "$LAB" loadfile --out "$f" --sessions "$2" --messages $((messages / $2)) --tracked "$threads" --seed "$1" \
    $([[ $3 == ordinary ]] && echo --ordinary-only)
  echo "$f"
}
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # CPU ticks, user + system
evalsha() { redis-cli -p "$port" info commandstats | sed -n 's/^cmdstat_evalsha:calls=\([0-9]*\),.*/\1/p' | tr -d '\r' | grep . || echo 0; }

# play FILTER CONNECTIONS LOAD SEED -> "msg/s p50 p99 passed failed mta_cpu_s": through miltload
# (ordinary mail, when built) or the replay harness.
play() {
  local sock=$root/$1/breakwater.sock t=$root/time.txt j
  if [[ $3 == ordinary && $mta == miltload ]]; then
    local ramp=""; (($2 > 1)) && ramp=-R
    { TIMEFORMAT='%3U %3S'; time "$root/miltload" -s "unix:$sock" -c "$2" -n $((messages / $2)) -r 20 -H 8 $ramp >"$root/out.txt" 2>/dev/null || true; } 2>"$t"
    python3 -c 'import sys; d=dict(x.split("=",1) for x in open(sys.argv[1]).read().split())
print(d["sessions_per_s"], d["p50_us"], d["p99_us"], d["accepted"], int(d["messages"]) - int(d["accepted"]) + int(d["errors"]))' "$root/out.txt"
  else
    { TIMEFORMAT='%3U %3S'; time "$REPLAY" live --connect "unix:$sock" --concurrency "$2" --json "$(loadfile "$4" "$2" "$3")" >"$root/out.txt" 2>"$root/err.txt" || true; } 2>"$t"
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); l=d["latencyNanoseconds"]
print("%.1f %.1f %.1f %d %d" % (d["messagesPerSecond"], l["p50"]/1e3, l["p99"]/1e3, d["passed"], d["failed"] + len(d["errors"])))' "$root/out.txt"
  fi | tr '\n' ' '
  tail -1 "$t" | awk '{print $1 + $2}'
}

# Warm-up: libmilter's pool grows only when no worker is idle: one untimed 16-connection run each.
for f in "${filters[@]}"; do play "$f" 16 mix 999 >/dev/null; done

echo "shared state on the milter path: $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg); $messages messages a run, $threads threads tracked; ordinary mail through $mta, the mix through the replay harness; $reps repetitions"
hz=$(getconf CLK_TCK)
rows=() fail=0
for r in $(seq 1 "$reps"); do
  for load in ordinary mix; do
    for c in 1 16; do
      case $((r % 3)) in 0) order="memory redis-tcp redis-unix" ;; 1) order="redis-tcp redis-unix memory" ;; *) order="redis-unix memory redis-tcp" ;; esac
      for f in $order; do
        d0=$(ticks "${dpid[$f]}") r0=$(ticks "$redis_pid") e0=$(evalsha)
        read -r mps p50 p99 passed failed mta_s <<<"$(play "$f" "$c" "$load" "$r")"
        d1=$(ticks "${dpid[$f]}") r1=$(ticks "$redis_pid") e1=$(evalsha)
        read -r cpu_mta cpu_d cpu_r spm <<<"$(python3 -c "n=$messages; print('%.1f %.1f %.1f %.3f' % ($mta_s*1e6/n, ($d1-$d0)*1e6/$hz/n, ($r1-$r0)*1e6/$hz/n, ($e1-$e0)/n))")"
        printf '  run %d %-8s %2d conn %-10s %9s msg/s  p50 %7s us  p99 %8s us  cpu us/msg: mta %6s daemon %6s redis %5s  scripts/msg %s  %s passed, %s failed\n' \
          "$r" "$load" "$c" "$f" "$mps" "$p50" "$p99" "$cpu_mta" "$cpu_d" "$cpu_r" "$spm" "$passed" "$failed"
        ((failed == 0 && passed == messages / c * c)) || { fail=1; head -c 2000 "$root/out.txt" >&2; echo >&2; }
        rows+=("{\"rep\": $r, \"load\": \"$load\", \"connections\": $c, \"filter\": \"$f\", \"messagesPerSecond\": $mps, \"p50us\": $p50, \"p99us\": $p99, \"cpuMta\": $cpu_mta, \"cpuDaemon\": $cpu_d, \"cpuRedis\": $cpu_r, \"scriptsPerMessage\": $spm, \"passed\": $passed, \"failed\": $failed}")
      done
    done
  done
done

json="{\"machine\": \"$(nproc) cores, $(uname -r)\", \"date\": \"$(date -u +%FT%TZ)\", \"messages\": $messages, \"threads\": $threads, \"mta\": \"$mta\", \"runs\": [$(IFS=,; echo "${rows[*]}")]}"
python3 - "$json" <<'PY'
import json, statistics as st, sys
d = json.loads(sys.argv[1])
runs = d["runs"]
def sel(l, c, f): return [x for x in runs if x["load"] == l and x["connections"] == c and x["filter"] == f]
def med(l, c, f, k): return st.median([x[k] for x in sel(l, c, f)])
print("medians over %d repetitions (cpu: µs of CPU a message):" % max(x["rep"] for x in runs))
print("  %-9s %-5s %-11s %10s %9s %9s %8s %8s %8s %8s" % ("load", "conn", "filter", "msg/s", "p50 us", "p99 us", "cpu mta", "daemon", "redis", "scripts"))
for l in ("ordinary", "mix"):
    for c in (1, 16):
        for f in ("memory", "redis-tcp", "redis-unix"):
            print("  %-9s %-5d %-11s %10.1f %9.1f %9.1f %8.1f %8.1f %8.1f %8.3f" % (l, c, f, *(med(l, c, f, k) for k in
                  ("messagesPerSecond", "p50us", "p99us", "cpuMta", "cpuDaemon", "cpuRedis", "scriptsPerMessage"))))
# why cores: with both cores busy, the side that holds most of them is the limit.
print("cores busy while a run lasts (CPU a message x msg/s), medians: mta / daemon / redis")
for l in ("ordinary", "mix"):
    for c in (1, 16):
        print("  %-9s %2d conn: " % (l, c) + ", ".join("%s %s" % (f, " / ".join("%.2f" % st.median([x[k] * x["messagesPerSecond"] / 1e6 for x in sel(l, c, f)])
              for k in ("cpuMta", "cpuDaemon", "cpuRedis"))) for f in ("memory", "redis-tcp", "redis-unix")))
print("shared / memory, msg/s (target >= 90 %): median of the per-repetition ratios (ratio of the medians)")
for l in ("ordinary", "mix"):
    for c in (1, 16):
        out = []
        for f in ("redis-tcp", "redis-unix"):
            # why paired: on a noisy machine the runs of one repetition share its conditions.
            paired = st.median([a["messagesPerSecond"] / b["messagesPerSecond"] for a in sel(l, c, f) for b in sel(l, c, "memory") if a["rep"] == b["rep"]])
            out.append("%s %.1f %% (%.1f %%)" % (f, 100 * paired, 100 * med(l, c, f, "messagesPerSecond") / med(l, c, "memory", "messagesPerSecond")))
        print("  %-9s %2d conn: %s" % (l, c, ", ".join(out)))
PY
[[ -n $out ]] && echo "$json" >"$out" && echo "runs written to $out"
for f in redis-tcp redis-unix; do
  s=$("$BREAKWATER" stats --socket "$root/$f/control.sock" --json)
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if d.get("sharedStateUp") else 1)' "$s" \
    || { fail=1; echo "$f: the shared state is not up: $s" >&2; }
  if grep -qi 'unavailable' "$root/$f/breakwater.log"; then fail=1; echo "$f: the server was away during the run:" >&2; grep -i unavailable "$root/$f/breakwater.log" | head -3 >&2; fi
done
((fail == 0)) || { echo "some expectations failed, connections broke, or the shared state was away (see above)" >&2; exit 1; }
((smoke)) && echo "smoke run: every message got its expected verdict from all three daemons, both shared ones on the server"
exit 0
