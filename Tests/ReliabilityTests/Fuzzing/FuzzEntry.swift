/// The fuzz targets' logic, shared by the libFuzzer binaries (`Fuzz/run.sh` compiles this folder's
/// files with swiftc) and by `ReplayCorpusTests`, which feeds every seed and regression input
/// through the same functions in-process.
///
/// Each target is a static function `(bytes) -> String?`: nil when every property held, else a
/// sentence saying which one broke. A crash or hang inside the code under test is, of course,
/// also a finding.
enum FuzzEntry {}

/// Reads a fuzz input piece by piece: control bytes, then the rest split into texts, so that
/// one byte string can drive several parameters without a fragile fixed layout.
struct FuzzInput {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// True when everything was consumed.
    var isEmpty: Bool { offset >= bytes.count }

    /// The next byte, or 0 once the input is used up (a short input still drives every path).
    mutating func byte() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// The rest of the input, consumed.
    mutating func rest() -> [UInt8] {
        defer { offset = bytes.count }
        return offset < bytes.count ? Array(bytes[offset...]) : []
    }

    /// The rest cut at every NUL byte: several texts from one input (NUL never matters to the
    /// text parsers, which see what a mail header or file line can carry).
    mutating func parts() -> [String] {
        rest().split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    }
}
