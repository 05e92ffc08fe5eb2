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
        .library(name: "StormCore", targets: ["StormCore"]),
        .library(name: "MilterWire", targets: ["MilterWire"]),
        .library(name: "Milter", targets: ["Milter"]),
    ],
    targets: [
        // The domain: facts in, verdict out. No I/O, no clock of its own.
        .target(name: "StormCore", swiftSettings: strict),
        // libmilter's C API, through Debian's libmilter-dev.
        .systemLibrary(name: "CMilter", pkgConfig: "milter", providers: [.apt(["libmilter-dev"])]),
        // The Swift face of libmilter (filter side). Knows nothing about storms.
        .target(name: "Milter", dependencies: ["CMilter"], swiftSettings: strict),
        // The MTA side of the milter protocol, in pure Swift. A stranger to Milter.
        .target(name: "MilterWire", swiftSettings: strict),
        // A tiny filter on the Milter module: the thing MilterTests drive over a real socket.
        .executableTarget(name: "milter-fixture", dependencies: ["Milter"], swiftSettings: strict),

        // Benchmarks that BENCHMARKS.md reports: `swift run -c release breakwater-bench engine`.
        .executableTarget(name: "breakwater-bench", dependencies: ["StormCore"], path: "Benchmarks/breakwater-bench",
                          swiftSettings: strict),

        .testTarget(name: "StormCoreTests", dependencies: ["StormCore"], swiftSettings: strict),
        .testTarget(name: "MilterWireTests", dependencies: ["MilterWire"], swiftSettings: strict),
        .testTarget(name: "MilterTests", dependencies: ["Milter", "MilterWire"], exclude: ["lua"], swiftSettings: strict),
    ]
)
