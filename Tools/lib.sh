# Shared by the benchmark scripts (milter, storm, profile): binaries, the null filter, the daemon config,
# starting and stopping filters by pid, medians. Source it; it sets BIN_* and helpers.

# Binaries: $BREAKWATER, $REPLAY, $LAB if set; else release builds in .build-perf (built if missing).
# --debug-products DIR (CI): take them from a build folder that already has them (swift build --build-tests).
find_binaries() {  # $1 = build folder or ""
  local dir=$1
  if [[ -z $dir ]]; then
    if [[ -z ${BREAKWATER:-} || -z ${REPLAY:-} || -z ${LAB:-} ]]; then
      for p in breakwater breakwater-replay breakwater-lab; do
        swift build -c release --scratch-path .build-perf --product "$p" >/dev/null
      done
      dir=$(swift build -c release --scratch-path .build-perf --show-bin-path)
    fi
  fi
  BREAKWATER=${BREAKWATER:-$dir/breakwater}
  REPLAY=${REPLAY:-$dir/breakwater-replay}
  LAB=${LAB:-$dir/breakwater-lab}
  for b in "$BREAKWATER" "$REPLAY" "$LAB"; do [[ -x $b ]] || { echo "missing binary: $b" >&2; exit 1; }; done
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

# The daemon config every benchmark starts Breakwater with: unix socket, the prefilled ledger
# snapshot and its list sizes in $root, a control socket; extra `key = value` lines from stdin.
write_daemon_config() {  # $1 = root folder, $2 = max threads
  {
    cat <<CONF
listen = unix:$1/breakwater.sock
list_size_maps = $1/lists.sizes
snapshot_path = $1/ledger.snapshot
snapshot_interval = 24h
max_threads = $2
control_socket = $1/control.sock
log_level = notice
CONF
    cat
  } >"$1/breakwater.conf"
}

# start_daemon ROOT [LOG]: checks ROOT/breakwater.conf, starts `breakwater run` on it in the
# background (stderr to LOG, default ROOT/breakwater.log) and waits for its socket; the pid is in
# $daemon.
start_daemon() {
  local log=${2:-$1/breakwater.log}
  "$BREAKWATER" check-config "$1/breakwater.conf" >/dev/null
  "$BREAKWATER" run --foreground --allow-root --config "$1/breakwater.conf" 2>"$log" &
  daemon=$!
  wait_socket "$1/breakwater.sock" "$daemon" "$log"
}

# stop_daemon_checked NAME ROOT [LOG]: SIGTERM to $daemon and wait; says how it ended and what
# it logged (LOG, default ROOT/breakwater.log) at warning or worse; fails unless it exited 0.
stop_daemon_checked() {
  local name=$1 log=${3:-$2/breakwater.log} ending=0
  kill -TERM "$daemon"
  wait "$daemon" || ending=$?
  daemon=""
  echo "$name: daemon stopped with SIGTERM: exit status $ending"
  if grep -qiE 'error|warning|critical' "$log"; then
    echo "$name: the daemon logged:"; grep -iE 'error|warning|critical' "$log" | head -5
  fi
  ((ending == 0)) || { echo "$name: FAIL: the daemon did not exit 0 on SIGTERM" >&2; return 1; }
}

# For the live reliability runs (Tools/reliability/*.sh):
# stress_setup NAME BIN_DIR: $BREAKWATER and $LAB from BIN_DIR (or stop), and a scratch folder
# $root that is removed at exit (KEEP=1 keeps it) after the daemon in $daemon, if any, is stopped.
stress_setup() {
  BREAKWATER=$2/breakwater LAB=$2/breakwater-lab
  for b in "$BREAKWATER" "$LAB"; do [[ -x $b ]] || { echo "missing binary: $b (build it first, see --help)" >&2; exit 1; }; done
  root=$(mktemp -d "/tmp/breakwater-$1.XXXXXX")
  daemon=""
  trap stress_cleanup EXIT
}
stress_cleanup() {
  [[ -n $daemon ]] && { kill "$daemon" 2>/dev/null || true; wait "$daemon" 2>/dev/null || true; }
  [[ -n ${KEEP:-} ]] && echo "kept $root" || rm -rf "$root"
}

# write_storm_config ROOT CAP SNAPSHOT_INTERVAL: the daemon config of the live runs (sizes in
# ROOT/lists.sizes): a storm trips at the 10th reply-all to 2,500 or more within 60 minutes;
# hard_gate off, so a reply-all to a big list reaches the storm rules, not a flat refusal.
write_storm_config() {
  write_daemon_config "$1" "$2" <<CONF
socket_group =
snapshot_interval = $3
reply_all_threshold = 2500
trip_replies = 10
trip_window = 60m
hard_gate = off
CONF
}
