/// Bounds on what the ledger remembers, so that no stream of mail can grow it without end.
public struct LedgerLimits: Sendable, Equatable {
    /// Most threads remembered; the least recently used goes first (blocked ones last).
    public var maxThreads: Int = 1_000_000
    /// Most Message-IDs indexed per thread besides its root (replies to later replies are still
    /// found through their References, whose first id is the root).
    public var maxMessagesPerThread: Int = 64
    /// A thread unused for this many seconds is forgotten (never while it is blocked).
    public var threadTTL: Int64 = 7 * 86_400
    /// Most learned list sizes remembered.
    public var maxLearnedSizes: Int = 100_000

    public init(maxThreads: Int = 1_000_000, maxMessagesPerThread: Int = 64,
                threadTTL: Int64 = 7 * 86_400, maxLearnedSizes: Int = 100_000) {
        self.maxThreads = max(1, maxThreads)
        self.maxMessagesPerThread = max(0, maxMessagesPerThread)
        self.threadTTL = max(1, threadTTL)
        self.maxLearnedSizes = max(0, maxLearnedSizes)
    }
}
