@testable import Daemon
import BreakwaterConfig
import Foundation
import TestSupport
import Testing

/// Paths are bytes to the kernel: "/" followed by a combining mark (U+0301) is one Swift
/// Character, but still the separator between a folder and a file name.
struct FileIOTests {
    @Test func aFileNameStartingWithACombiningMarkIsWrittenInItsOwnFolder() throws {
        func scalars(_ s: String) -> [UInt32] { s.unicodeScalars.map(\.value) }
        let folder = try TestEnvironment.temporaryFolder(prefix: "breakwater-fileio")
        defer { TestEnvironment.remove(folder) }
        let path = folder + "/\u{301}ledger"
        #expect(scalars(FileIO.directory(of: path)) == scalars(folder))
        #expect(scalars(FileIO.basename(of: path)) == scalars("\u{301}ledger"))
        let written = FileIO.writeAtomically([1, 2, 3], to: path)
        #expect((try? written.get()) != nil, "\(written)")
        #expect(FileManager.default.contents(atPath: path) == Data([1, 2, 3]))
    }
}
