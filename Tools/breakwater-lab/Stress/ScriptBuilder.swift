import MilterWire

/// Valid frames with what each one is owed, built with MilterWire's encoder.
struct ScriptBuilder {
    /// What the daemon answered at negotiation: which steps it wants and which it answers.
    let flags: ProtocolFlags
    private(set) var bytes: [UInt8] = []
    /// Every frame as a byte range of `bytes`.
    private(set) var frames: [Range<Int>] = []
    /// (end offset of the frame, what it is owed).
    private(set) var owed: [(end: Int, what: Owed)] = []

    init(flags: ProtocolFlags) { self.flags = flags }

    mutating func add(_ owes: Owed?, _ encode: (inout CommandEncoder) -> Void) {
        var encoder = CommandEncoder(capacity: 256)
        encode(&encoder)
        guard !encoder.isEmpty else { return }
        let start = bytes.count
        bytes.append(contentsOf: encoder.bytes)
        frames.append(start..<bytes.count)
        if let owes { owed.append((bytes.count, owes)) }
    }

    /// A frame of any code and payload, owed nothing.
    mutating func raw(_ code: UInt8, _ payload: [UInt8]) {
        let start = bytes.count
        bytes.append(contentsOf: Self.header(UInt32(payload.count + 1)))
        bytes.append(code)
        bytes.append(contentsOf: payload)
        frames.append(start..<bytes.count)
    }

    static func header(_ length: UInt32) -> [UInt8] {
        [UInt8(truncatingIfNeeded: length >> 24), UInt8(truncatingIfNeeded: length >> 16),
         UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)]
    }

    /// A step the filter wants sent; nil owed when it said it will not answer it.
    private func step(_ skip: ProtocolFlags, _ noReply: ProtocolFlags) -> (send: Bool, owes: Owed?) {
        (!flags.contains(skip), flags.contains(noReply) ? nil : .step)
    }

    mutating func negotiation() {
        add(.negotiation) { $0.optionNegotiation(version: 6, actions: .all, flags: .all) }
    }

    mutating func handshake(_ n: Int) {
        negotiation()
        let c = step(.noConnect, .noReplyConnect)
        if c.send {
            add(nil) { $0.macros(for: .connect, ["j": "mx.hostile.example", "_": "client\(n) [192.0.2.9]"]) }
            add(c.owes) { $0.connect(hostname: "client\(n).hostile.example", address: .inet(address: "192.0.2.9", port: 40000)) }
        }
        let h = step(.noHelo, .noReplyHelo)
        if h.send { add(h.owes) { $0.helo("client\(n).hostile.example") } }
    }

    /// One message: MAIL, RCPTs, DATA, headers, EOH, body, EOM, owed `verdict` at the end.
    mutating func message(sender: String, recipients: [String], headers: [(String, String)],
                          body: [UInt8], verdict: Owed, queueID: String) {
        let m = step(.noMail, .noReplyMail)
        if m.send {
            add(nil) { $0.macros(for: .mail, ["i": queueID, "{mail_addr}": sender]) }
            add(m.owes) { $0.mail(sender) }
        }
        let r = step(.noRcpt, .noReplyRcpt)
        if r.send { for recipient in recipients { add(r.owes) { $0.rcpt(recipient) } } }
        let d = step(.noData, .noReplyData)
        if d.send { add(d.owes) { $0.data() } }
        let h = step(.noHeaders, .noReplyHeader)
        if h.send { for (name, value) in headers { add(h.owes) { $0.header(name: name, value: value) } } }
        let e = step(.noEndOfHeaders, .noReplyEndOfHeaders)
        if e.send { add(e.owes) { $0.endOfHeaders() } }
        let b = step(.noBody, .noReplyBody)
        if b.send, !body.isEmpty {
            var rest = body[...]
            while !rest.isEmpty {
                let chunk = rest.prefix(CommandEncoder.maxBodyChunk)
                rest = rest.dropFirst(chunk.count)
                add(b.owes) { $0.body(chunk) }
            }
        }
        add(verdict) { $0.endOfBody() }
    }

    mutating func quit() { add(nil) { $0.quit() } }

    /// The owed answers of the frames that end at or before `offset`.
    func owed(before offset: Int) -> [Owed] { owed.filter { $0.end <= offset }.map(\.what) }
    var allOwed: [Owed] { owed.map(\.what) }
}
