#!/usr/bin/env bash
# The soak (RELIABILITY.md): the live daemon under steady mixed traffic with a storm every
# --storm-every seconds, its RSS and fds sampled every --sample seconds; after --warmup, a
# least-squares slope of RSS per 1,000 messages and of fds must stay under their bounds.
# Starts `breakwater run` (--allow-root) in a scratch folder with max_threads = --cap (small, so
# the ledger is full before warm-up ends and memory has no legitimate reason to grow), runs
# `breakwater-lab soak`, then stops the daemon with SIGTERM, which must exit 0.
#
#   Tools/reliability/soak.sh [--smoke] [--duration S] [--rate MSG_PER_S] [--warmup S] [--sample S]
#                       [--storm-every S] [--cap N] [--snapshot-interval DURATION] [--bin-dir DIR]
#
# Default, the hour-equivalent: one hour of a busy MX at 50 msg/s (180,000 messages) delivered
# at 500 msg/s in 360 s, a storm every 30 s (every 5 minutes of the hour), cap 2,000, warm-up
# 60 s, a sample every 2 s, snapshot_interval 10s (the daemon's default). A wall-clock hour:
# --duration 3600 --rate 50 --warmup 600 --sample 10 --storm-every 300. --smoke: 15 s at 300 msg/s,
# cap 100, RSS bound 1,000 KiB per 1,000 messages (15 s is too short for a slope in bytes per
# message; the smoke run checks the machinery).
# --bin-dir: where breakwater and breakwater-lab are (default .build/release); nothing is built.
# KEEP=1 keeps the scratch folder. Exits non-zero if any check failed.
set -euo pipefail
cd "$(dirname "$0")/../.."
. Tools/lib.sh

duration=360 rate=500 warmup=60 sample=2 storm=30 cap=2000 snapshots=10s bindir=.build/release extra=()
while (($#)); do
  case "$1" in
    --smoke) duration=15 rate=300 warmup=5 sample=0.5 storm=4 cap=100 extra+=(--max-rss-slope 1000) ;;
    --duration) duration=$2; shift ;;
    --rate) rate=$2; shift ;;
    --warmup) warmup=$2; shift ;;
    --sample) sample=$2; shift ;;
    --storm-every) storm=$2; shift ;;
    --cap) cap=$2; shift ;;
    --snapshot-interval) snapshots=$2; shift ;;
    --max-rss-slope) extra+=(--max-rss-slope "$2"); shift ;;
    --bin-dir) bindir=$2; shift ;;
    *) sed -n 2,19p "$0" >&2; exit 2 ;;
  esac
  shift
done
stress_setup soak "$bindir"

{ echo "everyone@soak.example 5000"; for i in $(seq 0 9); do echo "team$i@soak.example 20"; done; } >"$root/lists.sizes"
write_storm_config "$root" "$cap" "$snapshots"
start_daemon "$root"

echo "soak: $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg), daemon pid $daemon, cap $cap, $(date -u +%FT%TZ)"
status=0
"$LAB" soak --socket "unix:$root/breakwater.sock" --pid "$daemon" --control-socket "$root/control.sock" \
  --duration "$duration" --rate "$rate" --warmup "$warmup" --sample "$sample" --storm-every "$storm" \
  --trip-replies 10 "${extra[@]}" || status=$?

stop_daemon_checked soak "$root" || status=1
((status == 0)) && echo "soak.sh: PASS" || echo "soak.sh: FAIL (status $status)"
exit "$status"
