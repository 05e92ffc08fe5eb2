import Replay

/// Draws from Replay's SeededRandom (SplitMix64) as breakwater-lab makes them: every hostile
/// session gets its own stream from (seed, index), so a session can be rebuilt from its index alone.
extension SeededRandom {
    /// The stream of session `index` of a run seeded `seed`.
    init(seed: UInt64, index: UInt64) {
        self.init(seed: seed &* 0x9E37_79B9_7F4A_7C15 ^ (index &+ 0x632B_E59B_D9B4_E019) &* 0xBF58_476D_1CE4_E5B9)
        _ = next()
    }

    /// Uniform in 0..<bound (0 for a bound of 1 or less; the modulo bias is irrelevant here).
    mutating func below(_ bound: Int) -> Int { bound <= 1 ? 0 : Int(next() % UInt64(bound)) }
    mutating func chance(_ oneIn: Int) -> Bool { below(oneIn) == 0 }
    mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8(truncatingIfNeeded: next()) } }
}
