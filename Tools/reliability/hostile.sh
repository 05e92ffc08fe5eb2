#!/usr/bin/env bash
# Hostile sessions against the live daemon (RELIABILITY.md): starts `breakwater run` on a unix
# socket in a scratch folder, runs `breakwater-lab hostile` against it, then stops it with
# SIGTERM (it must exit 0). Exit status non-zero on any failure.
#
#   Tools/reliability/hostile.sh --bin-dir DIR [--smoke] [--sessions N] [--connections C] [--seed S]
#                          [--milter-timeout S] [--max-threads N] [--avoid-odd-macros]
#                          [-- EXTRA hostile OPTIONS...]
#
# --bin-dir: a build folder holding breakwater and breakwater-lab (e.g. the output of
#   `swift build -c release --show-bin-path`). --smoke: 20,000 sessions.
# Config: all@example.test is a list of 50 (so a reply-all to it and its author reaches 51) and
# hard_gate = 40 with a 550 reply: every well-behaved check has a verdict that needs the engine.
# milter_timeout = 2s (default here; libmilter's per-read timeout, 1 h by default): a stalled
# connection holds a libmilter worker that long. max_threads = 100000 (default here) so the
# ledger fills early (RSS still creeps up after that: glibc's per-thread malloc arenas, see
# CHANGELOG.md; --max-threads 1000 shows the flat line). log_level = warning keeps the log of
# millions of broken sessions small. KEEP=1 keeps the scratch folder.
# Macro frames with an odd number of strings are in the mix: they crashed libmilter's
# smfi_getsymval until CMilterGuard refused them (CHANGELOG.md). --avoid-odd-macros draws
# such sessions again, for a daemon built before that fix.
set -euo pipefail
cd "$(dirname "$0")/../.."

bindir="" smoke=0 sessions="" connections=16 seed=1 timeout=2 maxthreads=100000 avoid=() extra=()
while (($#)); do
  case "$1" in
    --bin-dir) bindir=$2; shift ;;
    --smoke) smoke=1 ;;
    --sessions) sessions=$2; shift ;;
    --connections) connections=$2; shift ;;
    --seed) seed=$2; shift ;;
    --milter-timeout) timeout=$2; shift ;;
    --max-threads) maxthreads=$2; shift ;;
    --avoid-odd-macros) avoid=(--avoid-odd-macros) ;;
    --) shift; extra=("$@"); break ;;
    *) sed -n 2,21p "$0" >&2; exit 2 ;;
  esac
  shift
done
[[ -n $bindir ]] || { sed -n 2,21p "$0" >&2; exit 2; }
. Tools/lib.sh
stress_setup hostile "$bindir"

echo "all@example.test 50" >"$root/sizes"
cat >"$root/breakwater.conf" <<CONF
listen = unix:$root/breakwater.sock
socket_group =
control_socket =
snapshot_path = $root/ledger.snapshot
snapshot_interval = 10s
list_size_maps = $root/sizes
reply_all_threshold = 10
trip_replies = 2
hard_gate = 40
hard_gate_reply = 550 5.7.1 Too many people
max_threads = $maxthreads
milter_timeout = ${timeout}s
log_level = warning
CONF

start_daemon "$root" "$root/daemon.log"

args=(hostile --socket "unix:$root/breakwater.sock" --pid "$daemon" --connections "$connections" --seed "$seed"
      --stall-seconds $((timeout + 8)) "${avoid[@]}")
((smoke)) && args+=(--smoke)
[[ -n $sessions ]] && args+=(--sessions "$sessions")
status=0
"$LAB" "${args[@]}" "${extra[@]}" || status=$?

# The daemon must still be there, and stop cleanly.
if ! kill -0 "$daemon" 2>/dev/null; then
  echo "hostile.sh: the daemon is gone" >&2; status=1
else
  stop_daemon_checked hostile.sh "$root" "$root/daemon.log" || status=1
fi
echo "hostile.sh: daemon log: $(wc -l <"$root/daemon.log") lines, $(du -h "$root/daemon.log" | cut -f1)"
grep -v 'snapshot written' "$root/daemon.log" | sort | uniq -c | sort -rn | head -5 || true
exit "$status"
