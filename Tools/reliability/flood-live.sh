#!/usr/bin/env bash
# The Message-ID flood through the LIVE daemon's milter socket (RELIABILITY.md): starts
# `breakwater run` (--allow-root) on a unix socket in a scratch folder with max_threads = --cap,
# drives it with `breakwater-lab flood` (N fresh messages over 8 connections, a storm half
# way, RSS/VmHWM/fds/threads tracked sampled every 100,000 messages), then stops the daemon with
# SIGTERM, which must exit 0.
#
#   Tools/reliability/flood-live.sh [--smoke] [--messages N] [--cap N] [--connections C]
#                             [--snapshot-interval DURATION] [--bin-dir DIR]
#
# Full mode: 10,000,000 messages, cap 200,000, a snapshot every 30s. --smoke: 20,000 messages, cap 500.
# --bin-dir: where breakwater and breakwater-lab are (default .build/release); nothing is built:
#   swift build -c release --product breakwater && swift build -c release --product breakwater-lab
# KEEP=1 keeps the scratch folder (config, daemon log). Exits non-zero if any check failed.
set -euo pipefail
cd "$(dirname "$0")/../.."
. Tools/lib.sh

messages=10000000 cap=200000 connections=8 snapshots=30s bindir=.build/release extra=()
while (($#)); do
  case "$1" in
    --smoke) messages=20000 cap=500 extra+=(--smoke) ;;
    --messages) messages=$2; shift ;;
    --cap) cap=$2; shift ;;
    --connections) connections=$2; shift ;;
    --snapshot-interval) snapshots=$2; shift ;;
    --bin-dir) bindir=$2; shift ;;
    *) sed -n 2,14p "$0" >&2; exit 2 ;;
  esac
  shift
done
stress_setup flood-live "$bindir"

echo "everyone@flood.example 5000" >"$root/lists.sizes"
write_storm_config "$root" "$cap" "$snapshots"
start_daemon "$root"

echo "flood-live: $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg), daemon pid $daemon, $(date -u +%FT%TZ)"
status=0
"$LAB" flood --socket "unix:$root/breakwater.sock" --pid "$daemon" --control-socket "$root/control.sock" \
  --messages "$messages" --cap "$cap" --connections "$connections" --trip-replies 10 "${extra[@]}" || status=$?

stop_daemon_checked flood-live "$root" || status=1
((status == 0)) && echo "flood-live: PASS" || echo "flood-live: FAIL (status $status)"
exit "$status"
