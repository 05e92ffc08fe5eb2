/// SplitMix64 (Steele, Lea, Flood 2014): a tiny seeded generator, so every "random" input in
/// these tests is the same on every run and a failure can be replayed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Bytes that are mostly not UTF-8, decoded the way a header with 8-bit junk arrives.
    mutating func junkString(maxBytes: Int) -> String {
        let count = Int.random(in: 0...maxBytes, using: &self)
        return String(decoding: (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) }, as: UTF8.self)
    }

    /// Text built from pieces a parser treats specially, so the random walk reaches every branch.
    mutating func piecesString(_ pieces: [String], maxPieces: Int) -> String {
        (0..<Int.random(in: 0...maxPieces, using: &self)).map { _ in pieces.randomElement(using: &self)! }.joined()
    }
}
