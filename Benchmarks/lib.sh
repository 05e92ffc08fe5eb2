# Shared by Benchmarks/milter/run.sh and Benchmarks/storm/run.sh: binaries, the null filter,
# starting and stopping filters by pid, medians. Source it; it sets BIN_* and helpers.

# Binaries: $BREAKWATER, $REPLAY, $BENCH if set; else release builds in .build-perf (built if missing).
# --debug-products DIR (CI): take them from a build folder that already has them (swift build --build-tests).
find_binaries() {  # $1 = build folder or ""
  local dir=$1
  if [[ -z $dir ]]; then
    if [[ -z ${BREAKWATER:-} || -z ${REPLAY:-} || -z ${BENCH:-} ]]; then
      for p in breakwater breakwater-replay breakwater-bench; do
        swift build -c release --scratch-path .build-perf --product "$p" >/dev/null
      done
      dir=$(swift build -c release --scratch-path .build-perf --show-bin-path)
    fi
  fi
  BREAKWATER=${BREAKWATER:-$dir/breakwater}
  REPLAY=${REPLAY:-$dir/breakwater-replay}
  BENCH=${BENCH:-$dir/breakwater-bench}
  for b in "$BREAKWATER" "$REPLAY" "$BENCH"; do [[ -x $b ]] || { echo "missing binary: $b" >&2; exit 1; }; done
}

# The C null filter from Tests/Fixtures (needs libmilter-dev).
build_nullfilter() {  # $1 = output path
  local compiler=${CC:-cc}
  command -v "$compiler" >/dev/null || compiler=clang   # the Swift toolchain brings clang
  "$compiler" -O2 -o "$1" Tests/Fixtures/nullfilter/nullfilter.c -lmilter -lpthread
}

wait_socket() {  # $1 = socket path, $2 = pid, $3 = log
  for _ in $(seq 1 1200); do
    [[ -S $1 ]] && return 0
    kill -0 "$2" 2>/dev/null || break
    sleep 0.05
  done
  echo "filter did not start ($1):" >&2; cat "$3" >&2; exit 1
}

stop_pid() {  # $1 = pid; TERM, then wait (libmilter returns within ~5 s)
  [[ -n $1 ]] || return 0
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

median() { sort -n | awk '{a[NR]=$1} END {if (NR == 0) print 0; else print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
