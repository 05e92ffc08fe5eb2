import Glibc
import MilterWire

/// How one hostile session ended, from our side of the socket.
enum SessionOutcome: Int, CaseIterable, Sendable {
    /// Every answer a correct filter owed for the valid part arrived (at least one was owed).
    case answered
    /// The daemon closed the connection (or refused our bytes) before every owed answer came.
    case dropped
    /// Nothing was owed and the daemon closed after our end closed: no way to tell more.
    case quiet
    /// We closed at once, by design (`vanished`).
    case vanished
    /// Held (stall/idle) until our limit, the daemon keeping the connection open all along.
    case held
    /// Our own timeout: the daemon neither answered nor closed for `--io-timeout` seconds
    /// after our end was closed (for anything but a held connection: a hang).
    case timeout
    /// connect() failed.
    case connectFailed

    var name: String {
        switch self {
        case .answered: "answered"
        case .dropped: "dropped"
        case .quiet: "quiet"
        case .vanished: "vanished"
        case .held: "held"
        case .timeout: "timeout"
        case .connectFailed: "connect-failed"
        }
    }
}

/// What one session saw.
struct SessionResult: Sendable {
    var outcome: SessionOutcome
    /// Answers (negotiation, continue, skip, verdicts) received, in order.
    var answers = 0
    /// Frames the daemon sent that did not decode (a daemon bug if ever seen).
    var badReplies = 0
    /// Answers that contradict what was owed (a wrong verdict, or an answer of the wrong kind).
    var wrong: [String] = []
    /// Seconds from the last byte sent until the daemon closed (held sessions).
    var heldSeconds: Double = 0
    /// errno of a failed connect.
    var connectErrno: Int32 = 0
}

/// Runs one `SessionPlan` over a non-blocking unix socket; every wait is bounded by poll().
struct HostileSession {
    let socketPath: String
    /// No byte moved for this long (after our end closed): our timeout.
    let ioTimeout: Double

    func run(_ plan: SessionPlan) -> SessionResult {
        let fd = Self.connect(socketPath, timeout: ioTimeout)
        guard fd >= 0 else { return SessionResult(outcome: .connectFailed, connectErrno: -fd) }
        defer { close(fd) }
        var decoder = FrameDecoder(maxFrameLength: 1 << 24)
        var result = SessionResult(outcome: .timeout)
        var sent = 0
        // why two flags: a refused write (EPIPE) can leave answers unread in our buffer, so reading
        // goes on until end of stream; only then is the connection over.
        var writeRefused = false
        var endOfStream = false
        var lastProgress = monotonicSeconds()
        var doneWritingAt = 0.0
        var buffer = [UInt8](repeating: 0, count: 65536)

        func take(_ frame: Frame) {
            guard let response = try? FilterResponse(frame: frame) else {
                result.badReplies += 1
                return
            }
            switch response {
            case .progress, .addRecipient, .addRecipientWithArguments, .deleteRecipient, .changeSender,
                 .addHeader, .insertHeader, .changeHeader, .replaceBody, .quarantine, .setMacroList:
                return
            default:
                break
            }
            let i = result.answers
            result.answers += 1
            guard i < plan.owed.count else { return }
            if let problem = Self.mismatch(plan.owed[i], response) {
                result.wrong.append("answer \(i + 1): \(problem)")
            }
        }

        loop: while true {
            let writing = sent < plan.bytes.count && !writeRefused && !endOfStream
            if !writing && doneWritingAt == 0 {
                doneWritingAt = monotonicSeconds()
                switch plan.ending {
                case .vanish where !writeRefused && !endOfStream:
                    return SessionResult(outcome: .vanished, answers: result.answers, badReplies: result.badReplies,
                                         wrong: result.wrong)
                case .vanish:
                    break
                case .finish:
                    if !writeRefused && !endOfStream {
                        shutdown(fd, Int32(SHUT_WR))
                    }
                case .hold:
                    break
                }
            }
            if endOfStream { break }
            let limit: Double
            if case let .hold(seconds) = plan.ending, !writing {
                limit = doneWritingAt + seconds
            } else {
                limit = lastProgress + ioTimeout
            }
            let left = limit - monotonicSeconds()
            if left <= 0 { break }
            var p = pollfd(fd: fd, events: Int16(POLLIN) | (writing ? Int16(POLLOUT) : 0), revents: 0)
            let ready = poll(&p, 1, Int32(min(left, 1) * 1000) + 1)
            if ready < 0 {
                if errno == EINTR { continue }
                break
            }
            if ready == 0 { continue }
            if p.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                if n > 0 {
                    lastProgress = monotonicSeconds()
                    buffer.withUnsafeBytes { decoder.append(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                    do {
                        while let frame = try decoder.nextFrame() { take(frame) }
                    } catch {
                        result.badReplies += 1
                        endOfStream = true  // the stream from the daemon is garbage; stop reading it
                        break loop
                    }
                } else if n == 0 || (errno != EAGAIN && errno != EINTR) {
                    endOfStream = true
                    continue
                }
            }
            if writing, p.revents & Int16(POLLOUT) != 0 {
                let chunk = min(plan.bytes.count - sent, plan.pieceLimit ?? 1 << 20)
                let n = plan.bytes.withUnsafeBytes {
                    send(fd, $0.baseAddress! + sent, chunk, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
                }
                if n > 0 {
                    sent += n
                    lastProgress = monotonicSeconds()
                } else if n < 0, errno != EAGAIN, errno != EINTR {
                    writeRefused = true  // EPIPE, ECONNRESET: the daemon is gone from this connection
                    lastProgress = monotonicSeconds()
                }
            }
        }

        if case .hold = plan.ending, doneWritingAt > 0 {
            result.heldSeconds = monotonicSeconds() - doneWritingAt
        }
        let closedByDaemon = endOfStream || writeRefused
        if case .hold = plan.ending {
            result.outcome = closedByDaemon ? .dropped : .held
        } else if closedByDaemon {
            if plan.owed.isEmpty {
                result.outcome = sent == plan.bytes.count && !writeRefused ? .quiet : .dropped
            } else {
                result.outcome = result.answers >= plan.owed.count ? .answered : .dropped
            }
        } else {
            result.outcome = .timeout
        }
        return result
    }

    /// nil when `response` is what `owed` allows.
    static func mismatch(_ owed: Owed, _ response: FilterResponse) -> String? {
        switch (owed, response) {
        case (.negotiation, .negotiation): return nil
        case (.negotiation, _): return "negotiation answered with \(response)"
        case (_, .negotiation): return "a negotiation answer where \(owed) was owed"
        case (.step, _), (.anyVerdict, _): return nil
        case (.accept, .accept), (.accept, .continue): return nil
        case (.refuse, .reject): return nil
        case let (.refuse, .replyCode(reply)) where (500..<600).contains(reply.code): return nil
        default: return "\(owed) owed, got \(response)"
        }
    }

    /// A non-blocking connected unix socket, or -errno. A full listen backlog (EAGAIN) is retried
    /// for up to `timeout` seconds.
    static func connect(_ path: String, timeout: Double) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return -ENAMETOOLONG }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let deadline = monotonicSeconds() + timeout
        var pause: UInt32 = 100
        while true {
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { return -errno }
            let ok = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
                }
            }
            if ok { return fd }
            let error = errno
            close(fd)
            // why a short pause and again: EAGAIN on a unix socket is a full backlog, not a refusal.
            guard error == EAGAIN || error == EINTR, monotonicSeconds() < deadline else { return -error }
            usleep(pause)
            pause = min(pause * 2, 50_000)
        }
    }
}
