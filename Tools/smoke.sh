#!/usr/bin/env bash
# Every benchmark at tiny sizes, as CI runs them: nothing is timed or judged, they only must run
# and every expectation must hold. Reuses the binaries in BIN_DIR (CI: its debug build, made by
# `swift build --build-tests`), so nothing is built here. Needs root for nothing; needs cc and
# libmilter-dev for the C null filter; redis-server for the shared-state ones. Takes ~30 s.
#
#   Tools/smoke.sh BIN_DIR          e.g. Tools/smoke.sh "$(swift build --show-bin-path)"
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:?usage: Tools/smoke.sh BIN_DIR}
"$bin/breakwater-lab" engine --smoke
"$bin/breakwater-lab" growth --smoke
Tools/bench/milter.sh --smoke --bin-dir "$bin"
Tools/bench/storm.sh --smoke --bin-dir "$bin"
"$bin/breakwater-lab" shared --smoke
Tools/bench/shared-state.sh --smoke --bin-dir "$bin"
