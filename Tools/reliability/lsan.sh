#!/usr/bin/env bash
# The live daemon under AddressSanitizer with LeakSanitizer (RELIABILITY.md): builds
# `breakwater` and `breakwater-replay` with --sanitize=address into .build-asan, starts
# `breakwater run --foreground` on a unix socket in a scratch folder (recording sessions, with a
# control socket), drives it with `breakwater-replay live` over every Scenarios/*.session, asks
# the control socket for stats, storms and the report, replays the file the recorder wrote, then
# stops the daemon with SIGTERM. What ASan/LSan printed at exit is in the daemon's log.
#
#   Tools/reliability/lsan.sh [--no-build] [--concurrency C] [--log FILE]
#
# --no-build: use the binaries already in .build-asan. --log: where the daemon's stderr is kept
# (default /tmp/breakwater-lsan.log). KEEP=1 keeps the scratch folder. Exits 1 if the sanitizer
# reported anything, the daemon did not exit 0 on SIGTERM, or a replay could not run.
set -euo pipefail
cd "$(dirname "$0")/../.."
. Tools/lib.sh

build=1 concurrency=4 log=/tmp/breakwater-lsan.log
while (($#)); do
  case "$1" in
    --no-build) build=0 ;;
    --concurrency) concurrency=$2; shift ;;
    --log) log=$2; shift ;;
    *) sed -n 2,13p "$0" >&2; exit 2 ;;
  esac
  shift
done

scratch=.build-asan
if ((build)); then
  for p in breakwater breakwater-replay; do
    swift build --scratch-path "$scratch" --sanitize=address --product "$p" 2>&1 | grep -E 'error|warning: .*Sources/' || true
  done
fi
bindir=$(swift build --scratch-path "$scratch" --sanitize=address --show-bin-path)
BREAKWATER=$bindir/breakwater REPLAY=$bindir/breakwater-replay
for b in "$BREAKWATER" "$REPLAY"; do [[ -x $b ]] || { echo "missing binary: $b" >&2; exit 1; }; done

root=$(mktemp -d /tmp/breakwater-lsan.XXXXXX)
daemon=""
trap stress_cleanup EXIT

# why one sizes file: the scenarios' lists have different addresses, and their expectations
# are written for the default policy with those sizes known.
cat Scenarios/*.sizes >"$root/lists.sizes"
write_daemon_config "$root" 200000 <<CONF
socket_group =
record_path = $root/recorded.session
CONF

# why these options: detect_leaks runs LSan at exit; abort_on_error=0 lets a report end the
# process normally so the whole log is written; the log keeps every report.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:symbolize=1
start_daemon "$root" "$log"
echo "lsan: daemon pid $daemon (ASan build), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg), $(date -u +%FT%TZ)"

status=0
# The replay client is an ASan build too; its own leaks are not the daemon's, so off for it.
for f in Scenarios/*.session "$root/recorded.session"; do
  [[ -f $f ]] || continue
  rc=0
  out=$(ASAN_OPTIONS=detect_leaks=0 "$REPLAY" live "$f" --connect "unix:$root/breakwater.sock" --concurrency "$concurrency" 2>&1) || rc=$?
  echo "lsan: replay live $(basename "$f"): exit $rc: $(grep -E '[0-9]+ passed, [0-9]+ failed' <<<"$out" | tail -1)"
  # exit 1 is "an expectation failed" (the recorded file keeps what was answered, the scenarios
  # the default policy's answers); anything else means the replay could not run.
  ((rc <= 1)) || { echo "$out" | tail -5; status=1; }
done
for verb in stats storms report; do
  rc=0
  ASAN_OPTIONS=detect_leaks=0 "$BREAKWATER" "$verb" --socket "$root/control.sock" >"$root/$verb.out" 2>&1 || rc=$?
  echo "lsan: breakwater $verb: exit $rc, $(wc -l <"$root/$verb.out") lines"
  ((rc == 0)) || status=1
done
echo "lsan: daemon VmHWM $(awk '/VmHWM/ {print $2, $3}' "/proc/$daemon/status"), fds $(ls "/proc/$daemon/fd" | wc -l)"

stop_daemon_checked lsan "$root" "$log" || status=1
if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|SUMMARY: (AddressSanitizer|LeakSanitizer)' "$log"; then
  echo "lsan: the sanitizer reported (full log: $log):"
  grep -E 'ERROR: |SUMMARY: |^(Direct|Indirect) leak' "$log" | head -20
  status=1
else
  echo "lsan: no AddressSanitizer or LeakSanitizer report in $log ($(wc -l <"$log") lines)"
fi
((status == 0)) && echo "lsan: PASS" || echo "lsan: FAIL (status $status)"
exit "$status"
