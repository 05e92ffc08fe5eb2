#!/usr/bin/env bash
# Builds Breakwater's libFuzzer targets with swiftc (not SwiftPM) and runs them one at a time.
#
#   Fuzz/run.sh [--runs N] [--seconds S] [--build-only] [--keep-going] [target...]
#
# With both limits a run stops at whichever comes first; with neither, 100,000 runs.
#
# Targets: msgid address clientnet subject audience snapshot roundtrip frames session config
# recorder control
# (all when none is named). The fuzz logic itself lives in Tests/ReliabilityTests/Fuzzing so
# that `swift test --filter ReliabilityTests` replays every seed and regression input through
# the very same code without a sanitizer build; this script only adds the libFuzzer entry point.
#
# Output goes to Fuzz/.out/ (git-ignored): static libraries per module, one binary per target,
# the grown corpus per target and a log per run. A crashing input is copied to
# Fuzz/regressions/<target>/ so the unit tests replay it from then on.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
out="${FUZZ_OUT:-$here/.out}"
swiftc="${SWIFTC:-swiftc}"
entries="$repo/Tests/ReliabilityTests/Fuzzing"
all_targets=(msgid address clientnet subject audience snapshot roundtrip frames session config recorder control)

mode=()
build_only=0
extra_opts=()
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) mode+=(-runs="$2"); shift 2 ;;
        --seconds) mode+=(-max_total_time="$2"); shift 2 ;;
        --build-only) build_only=1; shift ;;
        # Go on after a finding (libFuzzer fork mode): for a target with a known, unfixed bug.
        --keep-going) extra_opts+=(-fork=1 -ignore_crashes=1); shift ;;
        -h|--help) sed -n 2,18p "$0"; exit 0 ;;
        *) targets+=("$1"); shift ;;
    esac
done
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")
# Both limits may be given: the run stops at whichever comes first.
[ ${#mode[@]} -eq 0 ] && mode=(-runs=100000)

mkdir -p "$out/lib" "$out/bin" "$out/obj"
# why the same flags everywhere: coverage and ASan must instrument the code under test, not
# only the entry point, or libFuzzer sees one edge and learns nothing.
flags=(-O -sanitize=fuzzer,address -parse-as-library -I "$out/lib" -L "$out/lib")

# SwiftPM's checkouts of our package dependencies (the daemon's config needs them).
checkouts="$repo/.build-rel/checkouts"
[ -d "$checkouts" ] || checkouts="$repo/.build/checkouts"

# The C guard on libmilter's command reader and the reload signal relay (Sources/CMilterGuard),
# which Milter and Daemon import: a module map SwiftPM would generate, and a static library of
# its C files.
guard_dir="$out/cmilterguard"
build_guard() {
    mkdir -p "$guard_dir"
    printf 'module CMilterGuard {\n    header "%s"\n    export *\n}\n' \
        "$repo/Sources/CMilterGuard/include/CMilterGuard.h" > "$guard_dir/module.modulemap"
    local objects=() c
    for c in "$repo"/Sources/CMilterGuard/*.c; do
        "$(dirname "$(command -v "$swiftc")")/clang" -O2 -c "$c" \
            -I "$repo/Sources/CMilterGuard/include" -o "$out/obj/guard-$(basename "$c" .c).o"
        objects+=("$out/obj/guard-$(basename "$c" .c).o")
    done
    rm -f "$out/lib/libCMilterGuard.a"
    ar rcs "$out/lib/libCMilterGuard.a" "${objects[@]}"
}

# lib NAME DEPS... : builds module NAME from its sources into a static library (once per change).
lib() {
    local name="$1"; shift
    local srcs=()
    # Our modules in Swift 6 mode, as Package.swift builds them; dependencies as their packages do.
    # (the `strict` settings too: without InternalImportsByDefault a plain `import` is public and
    # clashes with a `package import` of the same module in another file).
    local dir="$repo/Sources/$name" tag=""
    local extra=(-swift-version 6 -package-name breakwater
                 -enable-upcoming-feature ExistentialAny -enable-upcoming-feature InternalImportsByDefault)
    case "$name" in
        Logging) dir="$checkouts/swift-log/Sources/Logging"; extra=(-swift-version 5 -package-name swift_log) ;;
        CoreMetrics|Metrics) dir="$checkouts/swift-metrics/Sources/$name"; extra=(-swift-version 5 -package-name swift_metrics) ;;
        Atomics) dir="$checkouts/swift-atomics/Sources/Atomics"
                 extra=(-swift-version 5 -package-name swift_atomics -enable-experimental-feature BuiltinModule
                        -I "$checkouts/swift-atomics/Sources/_AtomicsShims/include") ;;
        Prometheus) dir="$checkouts/swift-prometheus/Sources/Prometheus"
                    extra=(-swift-version 5 -package-name swift_prometheus -enable-upcoming-feature ExistentialAny
                           -I "$checkouts/swift-atomics/Sources/_AtomicsShims/include") ;;
        Milter) extra+=(-I "$repo/Sources/CMilter" -I "$guard_dir" -I "$checkouts/swift-atomics/Sources/_AtomicsShims/include") ;;
        # why -enable-testing: the recorder target drives the internal ConnectionRecording, as
        # the unit tests do with @testable.
        SharedState) extra+=(-I "$repo/Sources/CHiredis") ;;
        Daemon) extra+=(-I "$repo/Sources/CMilter" -I "$repo/Sources/CHiredis" -I "$guard_dir" -I "$checkouts/swift-atomics/Sources/_AtomicsShims/include" -enable-testing)
                tag=" testable" ;;
        # why -enable-testing: the recorder target reads replies with the internal ConfigValues.
        BreakwaterConfig) extra+=(-enable-testing); tag=" testable" ;;
    esac
    # why a copy: a file edited while swiftc reads it fails the build ("modified during the
    # build"); the copy is what gets hashed and compiled.
    local copy="$out/src/$name"
    rm -rf "$copy" && mkdir -p "$copy" && cp -a "$dir/." "$copy/"
    dir="$copy"
    # why an array: some dependency files have spaces in their names.
    mapfile -t srcs < <(find "$dir" -name '*.swift' | sort)
    local stamp="$out/lib/$name.stamp"
    local sum
    sum="$(cat "${srcs[@]}" | sha1sum | cut -c1-40)$tag"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ] && [ -f "$out/lib/lib$name.a" ]; then return; fi
    echo "build: module $name"
    (cd "$out/obj" && "$swiftc" "${flags[@]}" "${extra[@]}" -module-name "$name" -emit-module \
        -emit-module-path "$out/lib/$name.swiftmodule" -emit-library -static \
        -o "$out/lib/lib$name.a" "${srcs[@]}" 2>&1 | { grep -v 'Cannot export local symbol' || true; })
    echo "$sum" > "$stamp"
}

# modules TARGET: the modules a target's entry file imports, in dependency order.
modules() {
    case "$1" in
        frames) echo MilterWire ;;
        session) echo StormCore BreakwaterConfig MilterWire Replay ;;
        config|recorder|control) echo StormCore BreakwaterConfig SharedState MilterWire Replay Logging CoreMetrics Metrics Atomics Prometheus Milter Daemon ;;
        *) echo StormCore ;;
    esac
}

# entry TARGET: the file in Tests/ReliabilityTests/Fuzzing holding its logic, and its function.
entry_file() {
    case "$1" in
        msgid|address|clientnet|subject) echo ParserEntries.swift ;;
        audience) echo TableEntries.swift ;;
        snapshot|roundtrip) echo SnapshotEntries.swift ;;
        frames) echo WireEntries.swift ;;
        session) echo SessionEntry.swift ;;
        config) echo ConfigEntry.swift ;;
        recorder) echo RecorderEntry.swift ;;
        control) echo ControlEntry.swift ;;
        *) echo "unknown target $1" >&2; exit 2 ;;
    esac
}

build_target() {
    local t="$1" mods libs=() m
    mods=$(modules "$t")
    # why reversed: a static library must come before the libraries it uses on the link line.
    case "$t" in config|recorder|control) build_guard ;; esac
    for m in $mods; do lib "$m"; libs=(-l"$m" "${libs[@]}"); done
    # why: StormCore's Mutex and the modules' Glibc calls; with InternalImportsByDefault a static
    # library brings no autolink for them (StormCore's own `import Glibc` used to bring both).
    libs+=(-lswiftSynchronization -lswiftGlibc)
    case "$t" in config|recorder|control)
        # why -lFoundation...: Replay and Daemon call Foundation (JSONEncoder, String.range(of:)); with
        # InternalImportsByDefault the static libraries no longer bring the autolink along.
        libs+=(-I "$repo/Sources/CMilter" -I "$repo/Sources/CHiredis" -I "$guard_dir" -I "$checkouts/swift-atomics/Sources/_AtomicsShims/include" -lCMilterGuard -lmilter -lhiredis -ldl
               -lFoundation -lFoundationEssentials) ;;
    esac
    # The entry point: the only code here that exists for libFuzzer alone.
    cat > "$out/obj/main-$t.swift" <<EOF
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let broken = FuzzEntry.$t(bytes) { fatalError("property broken: \(broken)") }
    return 0
}
EOF
    echo "build: target $t"
    # why -package-name: the entries use `package` names (BreakwaterConfig's loader), as the tests do.
    (cd "$out/obj" && "$swiftc" "${flags[@]}" -swift-version 6 -package-name breakwater -module-name "Fuzz_$t" \
        "$entries/FuzzEntry.swift" "$entries/$(entry_file "$t")" "$out/obj/main-$t.swift" \
        "${libs[@]}" -o "$out/bin/fuzz-$t" 2>&1 | { grep -v 'Cannot export local symbol' || true; })
}

status=0
for t in "${targets[@]}"; do
    build_target "$t"
    [ $build_only = 1 ] && continue
    corpus="$out/corpus/$t"
    crashes="$out/crashes/$t"
    mkdir -p "$corpus" "$crashes" "$here/regressions/$t"
    # why: a finding of an earlier run was copied to regressions/ then; left here it would be
    # counted (and copied) again as a finding of this run.
    if [ -n "$(ls -A "$crashes")" ]; then
        mkdir -p "$out/crashes-old/$t" && mv "$crashes"/* "$out/crashes-old/$t/"
    fi
    log="$out/$t.log"
    echo "run: $t ${mode[*]} (log $log)"
    # why these options: symbolisation is very slow here; 4 KiB inputs are enough to reach every
    # state of these parsers; -rss_limit_mb catches unbounded growth as a failure.
    # why malloc_context_size=0: recording a stack for every allocation made roundtrip ~1.7x
    # slower (2,000 runs: 38-49 s with, 22-26 s without); detection is unchanged, only a
    # report's "allocated by" stack is left out (rerun the input with default ASAN_OPTIONS).
    # why SWIFT_BACKTRACE=enable=no: on a finding (fatalError) Swift's own backtracer starts
    # `swift-backtrace`, which here hung for minutes holding the log open; libFuzzer's report
    # and the saved input are all a finding needs.
    set +e
    SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=symbolize=0:detect_leaks=1:malloc_context_size=0 "$out/bin/fuzz-$t" "${mode[@]}" -max_len=4096 \
        -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 -artifact_prefix="$crashes/" ${extra_opts[@]+"${extra_opts[@]}"} \
        "$corpus" "$here/corpus/$t" > "$log" 2>&1
    rc=$?
    set -e
    # why "|| true": fork mode (--keep-going) prints no final stats, and a missing line must
    # not end the script under pipefail.
    execs=$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}' || true)
    rate=$(grep -m1 'stat::average_exec_per_sec' "$log" | awk '{print $2}' || true)
    rss=$(grep -m1 'stat::peak_rss_mb' "$log" | awk '{print $2}' || true)
    [ -z "$execs" ] && execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#' || true)
    found=$(find "$crashes" -type f | wc -l)
    echo "result: $t rc=$rc executions=${execs:-?} exec/s=${rate:-?} peak_rss_mb=${rss:-?} crash_files=$found"
    if [ "$found" -gt 0 ]; then
        # why the rename: the repository's .gitignore ignores crash-*/leak-*/timeout-*, and a
        # regression input that git ignores would never reach CI.
        for f in "$crashes"/*; do
            b=$(basename "$f")
            cp "$f" "$here/regressions/$t/found-${b#*-}"
        done
        status=1
    fi
done
exit $status
