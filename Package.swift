// swift-tools-version:6.0
import PackageDescription

// Swift 6 language mode (the tools version's default) and strict concurrency everywhere.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Breakwater",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "breakwater", targets: ["breakwater"]),
        .executable(name: "breakwater-replay", targets: ["breakwater-replay"]),
        .library(name: "StormCore", targets: ["StormCore"]),
        .library(name: "MilterWire", targets: ["MilterWire"]),
        .library(name: "Milter", targets: ["Milter"]),
        .library(name: "Replay", targets: ["Replay"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // The domain: facts in, verdict out. No I/O, no clock of its own.
        .target(name: "StormCore", swiftSettings: strict),
        // libmilter's C API, through Debian's libmilter-dev.
        .systemLibrary(name: "CMilter", pkgConfig: "milter", providers: [.apt(["libmilter-dev"])]),
        // The Swift face of libmilter (filter side). Knows nothing about storms.
        // Refuses the malformed commands libmilter would read past the end of (see its header).
        // Also: accept pauses when descriptors run out; SIGUSR1 reaches the reload thread through a pipe.
        .target(name: "CMilterGuard", linkerSettings: [.unsafeFlags(["-Xlinker", "--export-dynamic-symbol=mi_rd_cmd",
                                                                     "-Xlinker", "--export-dynamic-symbol=accept"])]),
        .target(name: "Milter", dependencies: ["CMilter", "CMilterGuard"], swiftSettings: strict),
        // hiredis's C API (Debian libhiredis-dev 0.14), the Redis/Valkey client (issue #15). No pkgConfig:
        // hiredis.pc's -D_FILE_OFFSET_BITS=64 is a flag SwiftPM refuses, with a warning on every build;
        // the shim includes <hiredis/hiredis.h> from the default include path instead.
        .systemLibrary(name: "CHiredis", providers: [.apt(["libhiredis-dev"])]),
        // Storm state shared by several MX hosts on Redis/Valkey: one hiredis connection (the
        // `shared_state` address and credentials it takes are BreakwaterConfig's).
        .target(name: "SharedState", dependencies: ["CHiredis", "StormCore", "BreakwaterConfig"], swiftSettings: strict),
        // The MTA side of the milter protocol, in pure Swift. A stranger to Milter.
        .target(name: "MilterWire", swiftSettings: strict),
        // breakwater.conf's keys, values and file:line problems; the audience table loaders (files,
        // Postfix's maps). Reads files; links neither libmilter nor logging nor metrics.
        .target(name: "BreakwaterConfig", dependencies: ["StormCore"], swiftSettings: strict),
        // Session files, live and offline replay, scenario generator.
        .target(name: "Replay", dependencies: ["MilterWire", "StormCore", "BreakwaterConfig"], exclude: ["SESSION-FORMAT.md"], swiftSettings: strict),
        // The daemon: the bridge from libmilter's callbacks to the engine (it applies verdicts, decides
        // nothing), logs, metrics, control socket, snapshot persistence, signals.
        .target(name: "Daemon", dependencies: [
            "StormCore", "BreakwaterConfig", "Milter", "CMilterGuard", "Replay", "SharedState",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ], swiftSettings: strict),
        // The `breakwater` command: wires the parts above.
        .executableTarget(name: "breakwater", dependencies: [
            "Daemon", "BreakwaterConfig", "StormCore", "Milter", "Replay", "ReplayCLI",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),
        // The replay commands (live, offline, generate), shared by `breakwater replay` and `breakwater-replay`.
        // Not the daemon: `offline --config` reads breakwater.conf through BreakwaterConfig.
        .target(name: "ReplayCLI", dependencies: [
            "Replay", "MilterWire", "StormCore", "BreakwaterConfig",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: strict),
        // The replay harness as its own command, usable against any milter. Links no libmilter,
        // Logging or Prometheus (nothing here depends on Milter or Daemon).
        .executableTarget(name: "breakwater-replay", dependencies: [
            "ReplayCLI", "Replay", "MilterWire", "StormCore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: strict),
        // A tiny filter on the Milter module: the thing MilterTests drive over a real socket.
        .executableTarget(name: "milter-fixture", dependencies: ["Milter"], swiftSettings: strict),
        // Drives Breakwater hard and prints figures: the benchmarks BENCHMARKS.md reports
        // (`swift run -c release breakwater-lab engine`) and the reliability drivers against a running
        // daemon that RELIABILITY.md reports (live flood, hostile sessions, soak). Scripts: Tools/.
        .executableTarget(name: "breakwater-lab", dependencies: ["StormCore", "MilterWire", "Replay", "SharedState", "BreakwaterConfig"],
                          path: "Tools/breakwater-lab", swiftSettings: strict),

        .testTarget(name: "StormCoreTests", dependencies: ["StormCore"], swiftSettings: strict),
        .testTarget(name: "BreakwaterConfigTests", dependencies: ["BreakwaterConfig", "StormCore"], swiftSettings: strict),
        .testTarget(name: "MilterWireTests", dependencies: ["MilterWire", "TestSupport"], swiftSettings: strict),
        // Starting real binaries from tests: child processes, scratch folders, miltertest, the daemon.
        .target(name: "TestSupport", dependencies: ["MilterWire"], path: "Tests/Support", swiftSettings: strict),
        // The shared-state library against a real redis-server the tests start themselves.
        .testTarget(name: "SharedStateTests", dependencies: ["SharedState", "StormCore", "BreakwaterConfig", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "MilterTests", dependencies: ["Milter", "CMilterGuard", "MilterWire", "TestSupport"], exclude: ["lua"],
                    swiftSettings: strict),
        .testTarget(name: "ReplayTests", dependencies: ["Replay", "MilterWire", "StormCore", "BreakwaterConfig", "TestSupport"],
                    swiftSettings: strict),
        // A private Postfix started by the tests: real SMTP and sendmail through Breakwater.
        .testTarget(name: "PostfixTests", dependencies: ["Daemon", "BreakwaterConfig", "StormCore", "MilterWire", "Replay", "TestSupport"],
                    swiftSettings: strict),
        // The real daemon, alone and several on one private Redis (SharedState: the tests' own look at its keys).
        .testTarget(name: "DaemonTests", dependencies: ["Daemon", "BreakwaterConfig", "StormCore", "MilterWire", "Replay", "SharedState", "TestSupport"], exclude: ["lua"],
                    swiftSettings: strict),
        // Fuzz-corpus replay, hostile sessions against the live daemon, kills and bad snapshots (issue #9).
        .testTarget(name: "ReliabilityTests", dependencies: ["StormCore", "BreakwaterConfig", "MilterWire", "Replay", "Daemon", "TestSupport"],
                    swiftSettings: strict),
    ]
)
