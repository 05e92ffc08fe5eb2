/// The MTA side of one milter connection: negotiates like Postfix, then drives connect, HELO
/// and any number of messages, sending only the steps the filter wants and waiting only for
/// the replies it promised.
///
/// Blocking, on the calling thread. Not Sendable: one client belongs to one thread (create
/// it on the thread that drives it); run N clients on N threads for load.
public final class MilterClient {
    /// How to talk: timeout and what to offer at negotiation.
    public struct Configuration: Sendable {
        /// Longest wait for any single reply (restarted by a "progress" frame).
        public var timeout: Duration
        /// Largest frame accepted from the filter.
        public var maxFrameLength: Int
        /// Protocol version offered.
        public var version: UInt32
        /// Actions offered (Postfix offers all).
        public var actions: FilterActions
        /// Protocol flags offered (Postfix offers all).
        public var flags: ProtocolFlags

        /// Defaults: 5 s timeout, 1 MiB frames, version 6, every action and flag.
        public init(timeout: Duration = .seconds(5),
                    maxFrameLength: Int = FrameDecoder.defaultMaxFrameLength,
                    version: UInt32 = 6, actions: FilterActions = .all, flags: ProtocolFlags = .all) {
            self.timeout = timeout
            self.maxFrameLength = maxFrameLength
            self.version = version
            self.actions = actions
            self.flags = flags
        }
    }

    /// Counters of what crossed the wire, for tests and benchmarks.
    public struct Statistics: Sendable, Equatable {
        /// Frames sent.
        public var framesSent = 0
        /// Times the client sent frames and then waited for the answer.
        public var roundTrips = 0
        /// `write` calls (frames are batched until a reply is needed).
        public var writes = 0
    }

    /// Where the session stands; each step checks it and refuses what cannot come next.
    enum State: String {
        case awaitingConnect, connected, mail, recipients, data, headers, endOfHeaders, body,
             skippingBody, decided, closed
    }

    /// The filter's negotiation answer.
    public let negotiation: Negotiation
    /// What crossed the wire so far.
    public internal(set) var statistics = Statistics()

    let configuration: Configuration
    let connection: SocketConnection
    var state = State.awaitingConnect
    var pending: CommandEncoder
    var decoder: FrameDecoder
    let wantedMacros: [MacroStage: Set<String>]
    /// A final verdict from connect or HELO: it covers every later message.
    var connectionVerdict: FilterVerdict?
    /// The message being built.
    var message = MessageProgress()

    /// Connects to `endpoint` and negotiates.
    public convenience init(connectingTo endpoint: MilterEndpoint,
                            configuration: Configuration = Configuration()) throws(ClientError) {
        let connection = try SocketConnection.open(endpoint, timeout: configuration.timeout)
        try self.init(connection: connection, configuration: configuration)
    }

    /// Connects to a socket spelled `unix:/path`, `inet:host:port` or `inet:port@host`.
    public convenience init(connectingTo spec: String,
                            configuration: Configuration = Configuration()) throws(ClientError) {
        try self.init(connectingTo: try MilterEndpoint(parsing: spec), configuration: configuration)
    }

    /// Takes over an already connected stream socket (closed with the client) and negotiates.
    public convenience init(adopting fileDescriptor: Int32,
                            configuration: Configuration = Configuration()) throws(ClientError) {
        let connection = SocketConnection(adopting: fileDescriptor, timeout: configuration.timeout)
        try self.init(connection: connection, configuration: configuration)
    }

    private init(connection: SocketConnection, configuration: Configuration) throws(ClientError) {
        // why: the exchange runs on locals because `self` is not whole until `negotiation`
        // is known.
        var pending = CommandEncoder(capacity: 16 * 1024)
        var decoder = FrameDecoder(maxFrameLength: configuration.maxFrameLength)
        var statistics = Statistics()
        pending.optionNegotiation(version: configuration.version, actions: configuration.actions,
                                  flags: configuration.flags)
        statistics.framesSent += 1
        let reply = try Self.exchange(connection, &pending, &decoder, &statistics,
                                      timeout: configuration.timeout, awaiting: "option negotiation")
        guard case let .negotiation(answer) = reply else {
            throw .unexpectedResponse(reply, awaiting: "option negotiation")
        }
        try Self.check(answer, against: configuration)
        self.connection = connection
        self.configuration = configuration
        self.pending = pending
        self.decoder = decoder
        self.statistics = statistics
        negotiation = answer
        wantedMacros = answer.macros.mapValues { Set($0.map(MacroValues.bare)) }
    }

    /// Refuses an answer that asks for what was not offered: honouring it would break the
    /// filter's assumptions (e.g. a "no reply" step the MTA would still wait on).
    private static func check(_ answer: Negotiation, against offer: Configuration) throws(ClientError) {
        guard answer.version >= 2, answer.version <= offer.version else {
            throw .negotiationRefused("version \(answer.version), offered \(offer.version)")
        }
        let extraActions = answer.actions.subtracting(offer.actions)
        guard extraActions.isEmpty else {
            throw .negotiationRefused("actions 0x\(String(extraActions.rawValue, radix: 16)) not offered")
        }
        let extraFlags = answer.flags.subtracting(offer.flags)
        guard extraFlags.isEmpty else {
            throw .negotiationRefused("protocol flags 0x\(String(extraFlags.rawValue, radix: 16)) not offered")
        }
    }

    // MARK: connection-level steps

    /// Sends connection information (unless the filter opted out). A final verdict here
    /// covers every message of the connection.
    @discardableResult
    public func connect(hostname: String, address: ConnectAddress,
                        macros: MacroValues = [:]) throws(ClientError) -> StepReply {
        try require("connect", in: [.awaitingConnect])
        state = .connected
        guard !negotiation.flags.contains(.noConnect) else { return .proceed }
        enqueueMacros(.connect, macros)
        pending.connect(hostname: hostname, address: address)
        return try connectionStep("connect", awaits: !negotiation.flags.contains(.noReplyConnect))
    }

    /// Sends HELO/EHLO (unless the filter opted out).
    @discardableResult
    public func helo(_ hostname: String, macros: MacroValues = [:]) throws(ClientError) -> StepReply {
        try require("helo", in: [.connected])
        guard !negotiation.flags.contains(.noHelo), connectionVerdict == nil else { return .proceed }
        enqueueMacros(.helo, macros)
        pending.helo(hostname)
        return try connectionStep("helo", awaits: !negotiation.flags.contains(.noReplyHelo))
    }

    /// Sends an SMTP command the MTA did not recognise; the reply does not change the state.
    @discardableResult
    public func unknown(_ commandLine: String) throws(ClientError) -> StepReply {
        try require("unknown", in: [.connected, .mail, .recipients])
        guard !negotiation.flags.contains(.noUnknown), connectionVerdict == nil else { return .proceed }
        pending.unknown(commandLine)
        statistics.framesSent += 1
        guard !negotiation.flags.contains(.noReplyUnknown) else { return .proceed }
        let reply = try awaitReply("unknown")
        if reply == .continue { return .proceed }
        guard let verdict = FilterVerdict(reply) else { throw .unexpectedResponse(reply, awaiting: "unknown") }
        return .decided(verdict)
    }

    /// Ends this SMTP session but keeps the filter connection for another ('K'); the next
    /// step is `connect`.
    public func quitNewConnection() throws(ClientError) {
        try require("quitNewConnection", in: [.connected, .awaitingConnect])
        pending.quitNewConnection()
        statistics.framesSent += 1
        connectionVerdict = nil
        state = .awaitingConnect
    }

    /// Says goodbye ('Q') and closes the socket. Errors are ignored: the session is over.
    public func quit() {
        guard state != .closed else { return }
        pending.quit()
        statistics.framesSent += 1
        try? flush()
        connection.shutdown()
        state = .closed
    }

    private func connectionStep(_ step: String, awaits: Bool) throws(ClientError) -> StepReply {
        statistics.framesSent += 1
        guard awaits else { return .proceed }
        let reply = try awaitReply(step)
        if reply == .continue { return .proceed }
        guard let verdict = FilterVerdict(reply) else { throw .unexpectedResponse(reply, awaiting: step) }
        connectionVerdict = verdict
        return .decided(verdict)
    }

    // MARK: plumbing shared with the message steps

    func require(_ step: String, in allowed: Set<State>) throws(ClientError) {
        guard allowed.contains(state) else { throw .outOfOrder(step: step, state: state.rawValue) }
    }

    /// Queues the caller's macros for a stage, narrowed to the filter's list when it sent one.
    func enqueueMacros(_ stage: MacroStage, _ values: MacroValues) {
        guard !values.isEmpty else { return }
        let chosen = wantedMacros[stage].map { values.filtered(by: $0) } ?? values
        guard !chosen.isEmpty else { return }
        pending.macros(for: stage.command, chosen)
        statistics.framesSent += 1
    }

    /// Writes the queued frames in one go.
    func flush() throws(ClientError) {
        guard !pending.isEmpty else { return }
        defer { pending.removeAll() }
        statistics.writes += 1
        do { try connection.write(pending.bytes, for: "write") } catch {
            state = .closed
            throw error
        }
    }

    /// Flushes early only when a no-reply stretch (a big body) has queued a lot.
    func flushIfLarge() throws(ClientError) {
        if pending.bytes.count >= 256 * 1024 { try flush() }
    }

    /// Flushes and waits for the next frame that is not "progress".
    func awaitReply(_ step: String) throws(ClientError) -> FilterResponse {
        do {
            return try Self.exchange(connection, &pending, &decoder, &statistics,
                                     timeout: configuration.timeout, awaiting: step)
        } catch {
            // why: after a timeout or garbage a late reply could pair with the wrong step;
            // the only safe connection is a new one.
            state = .closed
            connection.shutdown()
            throw error
        }
    }

    private static func exchange(_ connection: SocketConnection, _ pending: inout CommandEncoder,
                                 _ decoder: inout FrameDecoder, _ statistics: inout Statistics,
                                 timeout: Duration, awaiting step: String) throws(ClientError) -> FilterResponse {
        if !pending.isEmpty {
            statistics.writes += 1
            statistics.roundTrips += 1
            defer { pending.removeAll() }
            try connection.write(pending.bytes, for: step)
        }
        var deadline = ContinuousClock.now + timeout
        while true {
            let frame: Frame?
            do { frame = try decoder.nextFrame() } catch { throw .wire(error) }
            if let frame {
                let response: FilterResponse
                do { response = try FilterResponse(frame: frame) } catch { throw .wire(error) }
                // why: "progress" exists to restart the MTA's timer and carries no answer.
                if response == .progress {
                    deadline = ContinuousClock.now + timeout
                    continue
                }
                return response
            }
            try connection.read(into: &decoder, until: deadline, timeout: timeout, awaiting: step)
        }
    }

    deinit {
        // why: a client dropped without quit still tells a live filter the session ended.
        if state != .closed {
            pending.quit()
            try? connection.write(pending.bytes, for: "quit")
        }
    }
}

@available(*, unavailable, message: "a MilterClient belongs to the thread that drives it")
extension MilterClient: Sendable {}
