import Foundation
import StormCore
import Testing

/// Replays every fuzz seed (`Fuzz/corpus/<target>/`) and every input a fuzz run ever found
/// (`Fuzz/regressions/<target>/`) through the same entry logic the libFuzzer binaries run, in
/// process and without a sanitizer: what CI runs, so a fixed crash stays fixed.
///
/// The `known-*` regressions (the duplicate-thread-key bug, now fixed) are replayed by their own
/// test in KnownBugTests.swift rather than here.
@Suite("Fuzz corpus replay")
struct ReplayCorpusTests {
    /// Every target `Fuzz/run.sh` knows, with its entry.
    static let targets: [String: @Sendable ([UInt8]) -> String?] = [
        "msgid": FuzzEntry.msgid, "address": FuzzEntry.address, "clientnet": FuzzEntry.clientnet,
        "subject": FuzzEntry.subject, "audience": FuzzEntry.audience, "snapshot": FuzzEntry.snapshot,
        "roundtrip": FuzzEntry.roundtrip, "frames": FuzzEntry.frames, "session": FuzzEntry.session,
        "config": FuzzEntry.config, "recorder": FuzzEntry.recorder, "control": FuzzEntry.control,
    ]

    static let fuzzFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz")

    /// The files under `Fuzz/<kind>/<target>/`, sorted, without the known-bug ones.
    static func inputs(_ kind: String, _ target: String) -> [URL] {
        let folder = fuzzFolder.appendingPathComponent(kind).appendingPathComponent(target)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.sorted().filter { !$0.hasPrefix("known-") && !$0.hasPrefix(".") }
            .map { folder.appendingPathComponent($0) }
    }

    @Test("every target has seeds in the repository", arguments: targets.keys.sorted())
    func seedsExist(target: String) {
        #expect(Self.inputs("corpus", target).count >= 2, "Fuzz/corpus/\(target) needs a few realistic seeds")
    }

    @Test("seeds and regressions keep every property", arguments: targets.keys.sorted())
    func replay(target: String) throws {
        let entry = try #require(Self.targets[target])
        for file in Self.inputs("corpus", target) + Self.inputs("regressions", target) {
            let bytes = try [UInt8](Data(contentsOf: file))
            let broken = entry(bytes)
            #expect(broken == nil, "\(target) on \(file.lastPathComponent): \(broken ?? "")")
        }
    }

    /// The snapshot target appends its own CRC-32 so fuzzing reaches the record parser; if that
    /// checksum ever disagreed with the reader's, every input would stop at the checksum.
    @Test("the snapshot target's checksum is the one the reader checks")
    func checksumAgrees() throws {
        let empty = Array("BWLEDGER".utf8) + [1, 0, 0, 0] + [UInt8](repeating: 0, count: 8 + 4 + 4)
        let ledger = try ThreadLedger.restore(from: FuzzEntry.withChecksum(empty))
        #expect(ledger.threadCount == 0)
        #expect(FuzzEntry.withChecksum(Array("123456789".utf8)).suffix(4) == [0x26, 0x39, 0xF4, 0xCB],
                "CRC-32 check value is 0xCBF43926")
    }
}
