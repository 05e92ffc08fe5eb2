#!/usr/bin/env bash
# Instructions per message on the milter path, counted by callgrind (repeatable on a noisy
# machine, unlike a stopwatch): Breakwater (release; ledger prefilled with --threads, default
# 20,000, as restoring a million under valgrind takes minutes) and the C null filter in -n mode,
# each under `valgrind --tool=callgrind`, fed the same load over 16 connections by the replay
# harness; counters are zeroed after start-up and dumped after the load.
#
#   Tools/bench/milter-profile.sh [--messages N] [--threads N] [--bin-dir DIR]
#
# Prints Ir per message for each filter and the 25 costliest functions (inclusive) of
# Breakwater's profile; keeps the callgrind files in the folder it names.
set -euo pipefail
cd "$(dirname "$0")/../.."
. Tools/lib.sh
messages=4000 threads=20000 bindir=""
while (($#)); do
  case "$1" in
    --messages) messages=$2; shift ;;
    --threads) threads=$2; shift ;;
    --bin-dir) bindir=$2; shift ;;
    *) sed -n 2,12p "$0" >&2; exit 2 ;;
  esac
  shift
done
find_binaries "$bindir"
root=$(mktemp -d /tmp/breakwater-profile.XXXXXX)
# why: valgrind 3.19 gives up on the DWARF 5 debug info in the Swift binary; the symbol table is enough.
strip --strip-debug -o "$root/breakwater" "$BREAKWATER"
BREAKWATER=$root/breakwater
build_nullfilter "$root/nullfilter"
"$LAB" prefill --threads "$threads" --snapshot "$root/ledger.snapshot" --sizes "$root/lists.sizes" >/dev/null
"$LAB" loadfile --out "$root/load.session" --sessions 16 --messages $((messages / 16)) --tracked "$threads" --seed 5
write_daemon_config "$root" "$threads" </dev/null
profile() {  # $1 = name, $2 = socket, then the command
  local name=$1 sock=$2; shift 2
  valgrind --tool=callgrind --callgrind-out-file="$root/$name.%p.out" "$@" 2>"$root/$name.log" &
  local pid=$!
  wait_socket "$sock" "$pid" "$root/$name.log"
  sleep 1
  callgrind_control --zero "$pid" >/dev/null
  "$REPLAY" live --connect "unix:$sock" --concurrency 16 --timeout 60 "$root/load.session" | tail -n 1
  callgrind_control --dump="after-load" "$pid" >/dev/null
  kill "$pid"; wait "$pid" 2>/dev/null || true
  local f; f=$(ls -t "$root/$name".*.out* | grep -v '\.out$' | head -1 || true)
  [[ -n $f ]] || f=$(ls -t "$root/$name".*.out* | head -1)
  local ir; ir=$(callgrind_annotate "$f" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
  echo "$name: $(python3 -c "print(f'{$ir / $messages:,.0f}')") instructions per message ($f)"
  [[ $name == breakwater ]] && callgrind_annotate --inclusive=yes "$f" 2>/dev/null | sed -n '/file:function/,$p' | sed -n 3,40p \
    | swift demangle --simplified | sed -E 's/ \[[^]]*\]$//' | cut -c1-160
  return 0
}
profile null-nr "$root/null.sock" "$root/nullfilter" -n "unix:$root/null.sock"
profile breakwater "$root/breakwater.sock" "$BREAKWATER" run --allow-root --foreground --config "$root/breakwater.conf"
echo "profiles kept in $root"
