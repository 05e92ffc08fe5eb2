/// Builds MTA command frames into one growing byte buffer, so a whole batch of frames can go
/// out in one write and no frame allocates on its own.
public struct CommandEncoder: Sendable {
    /// Largest body chunk per frame (`MILTER_CHUNK_SIZE`); libmilter refuses bigger frames.
    public static let maxBodyChunk = 65535

    /// The frames encoded so far, ready to write.
    public private(set) var bytes: [UInt8]

    /// An empty buffer with room for `capacity` bytes.
    public init(capacity: Int = 4096) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// True when no frame is waiting.
    public var isEmpty: Bool { bytes.isEmpty }

    /// Forgets the frames (after they were written), keeping the memory.
    public mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    /// 'O': the MTA's offer of protocol version, actions and protocol flags.
    public mutating func optionNegotiation(version: UInt32, actions: FilterActions, flags: ProtocolFlags) {
        frame(.optionNegotiation) {
            $0.uint32(version)
            $0.uint32(actions.rawValue)
            $0.uint32(flags.rawValue)
        }
    }

    /// 'D': macros for the command that follows; nothing is written when `macros` is empty.
    public mutating func macros(for command: Command, _ macros: MacroValues) {
        guard !macros.isEmpty else { return }
        frame(.macro) {
            $0.bytes.append(command.rawValue)
            for pair in macros.pairs {
                $0.cString(pair.name)
                $0.cString(pair.value)
            }
        }
    }

    /// 'C': client hostname, address family, port (big-endian) and address.
    public mutating func connect(hostname: String, address: ConnectAddress) {
        frame(.connect) {
            $0.cString(hostname)
            $0.bytes.append(address.family)
            switch address {
            case .unknown:
                break
            case let .unix(path):
                $0.uint16(0)
                $0.cString(path)
            case let .inet(host, port), let .inet6(host, port):
                $0.uint16(port)
                $0.cString(host)
            }
        }
    }

    /// 'H': the HELO/EHLO argument.
    public mutating func helo(_ hostname: String) {
        frame(.helo) { $0.cString(hostname) }
    }

    /// 'M': the sender (as given, usually in angle brackets) and its ESMTP arguments.
    public mutating func mail(_ sender: String, arguments: [String] = []) {
        frame(.mail) {
            $0.cString(sender)
            for argument in arguments { $0.cString(argument) }
        }
    }

    /// 'R': one recipient and its ESMTP arguments.
    public mutating func rcpt(_ recipient: String, arguments: [String] = []) {
        frame(.rcpt) {
            $0.cString(recipient)
            for argument in arguments { $0.cString(argument) }
        }
    }

    /// 'T': DATA.
    public mutating func data() { frame(.data) { _ in } }

    /// 'L': one header, name and value each NUL-terminated.
    public mutating func header(name: String, value: String) {
        frame(.header) {
            $0.cString(name)
            $0.cString(value)
        }
    }

    /// 'N': end of headers.
    public mutating func endOfHeaders() { frame(.endOfHeaders) { _ in } }

    /// 'B': body bytes, split into frames of at most `maxBodyChunk` bytes.
    public mutating func body(_ content: some Collection<UInt8>) {
        var rest = content[...]
        repeat {
            let chunk = rest.prefix(Self.maxBodyChunk)
            frame(.body) { $0.bytes.append(contentsOf: chunk) }
            rest = rest.dropFirst(chunk.count)
        } while !rest.isEmpty
    }

    /// 'E': end of body, i.e. end of message.
    public mutating func endOfBody() { frame(.endOfBody) { _ in } }

    /// 'A': abort the current message.
    public mutating func abort() { frame(.abort) { _ in } }

    /// 'Q': end the session.
    public mutating func quit() { frame(.quit) { _ in } }

    /// 'K': end this SMTP session, another follows on the same filter connection.
    public mutating func quitNewConnection() { frame(.quitNewConnection) { _ in } }

    /// 'U': an SMTP command the MTA did not recognise, as received.
    public mutating func unknown(_ commandLine: String) {
        frame(.unknown) { $0.cString(commandLine) }
    }

    // why: write a length placeholder, let the body append in place, then patch the length;
    // one pass, no temporary payload array.
    private mutating func frame(_ command: Command, _ fill: (inout CommandEncoder) -> Void) {
        let lengthAt = bytes.count
        bytes.append(contentsOf: [0, 0, 0, 0])
        bytes.append(command.rawValue)
        fill(&self)
        let length = UInt32(bytes.count - lengthAt - 4)
        bytes[lengthAt] = UInt8(truncatingIfNeeded: length >> 24)
        bytes[lengthAt + 1] = UInt8(truncatingIfNeeded: length >> 16)
        bytes[lengthAt + 2] = UInt8(truncatingIfNeeded: length >> 8)
        bytes[lengthAt + 3] = UInt8(truncatingIfNeeded: length)
    }

    private mutating func uint32(_ value: UInt32) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 24))
        bytes.append(UInt8(truncatingIfNeeded: value >> 16))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    private mutating func uint16(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    // why: a NUL inside a field would silently split it on the filter side; cut it there
    // instead so the frame stays well-formed.
    private mutating func cString(_ text: String) {
        let utf8 = text.utf8
        if let nul = utf8.firstIndex(of: 0) {
            bytes.append(contentsOf: utf8[..<nul])
        } else {
            bytes.append(contentsOf: utf8)
        }
        bytes.append(0)
    }
}
