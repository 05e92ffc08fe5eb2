import BreakwaterConfig
import Glibc
import Logging
import StormCore

/// The control socket: a unix socket, owner-only by default, where `breakwater storms`,
/// `release`, `freeze` and the other admin verbs ask the running daemon. One JSON line in, one
/// JSON line out, one request per connection, served by one thread of its own.
final class ControlServer: Sendable {
    let path: String
    private let loop: SocketLoop
    private let service: FilterService
    private let reload: @Sendable () -> Void

    /// Binds `path` (a stale socket file there is replaced) with file mode `mode`.
    init(path: String, mode: UInt32, service: FilterService, reload: @escaping @Sendable () -> Void) throws(SocketIO.Failure) {
        guard var address = SocketIO.unixAddress(path) else {
            throw SocketIO.Failure(step: "control socket \(path)", reason: "path too long for a unix socket")
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .errno("socket") }
        // why: a socket left by a killed daemon would make bind fail; only a socket is removed.
        var info = stat()
        if lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFSOCK { unlink(path) }
        // why: the mode is set through the umask at bind, so the file is never briefly wider open.
        let oldMask = umask(mode_t(~mode & 0o777))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0 }
        }
        umask(oldMask)
        guard bound, listen(fd, 16) == 0 else {
            let failure = SocketIO.Failure.errno("control socket \(path)")
            close(fd)
            throw failure
        }
        chmod(path, mode_t(mode))
        self.path = path
        loop = SocketLoop(listening: fd)
        self.service = service
        self.reload = reload
    }

    func start() -> Bool { loop.start { [self] in serve($0) } }

    /// Stops serving and removes the socket file.
    func stop() {
        loop.stop()
        unlink(path)
    }

    private func serve(_ fd: Int32) {
        let uid = Self.peerUID(fd)
        let newline = UInt8(ascii: "\n")
        guard let bytes = SocketIO.read(fd, limit: ControlCodec.maxRequestBytes, until: { $0.contains(newline) }) else {
            SocketIO.writeAll(fd, ControlCodec.encode(ControlResponse.failure("request too long, unreadable or too slow")))
            return
        }
        let line = bytes.prefix { $0 != newline }
        guard let request = ControlCodec.decode(ControlRequest.self, from: line) else {
            SocketIO.writeAll(fd, ControlCodec.encode(ControlResponse.failure("not a request (expected one line of JSON)")))
            return
        }
        SocketIO.writeAll(fd, ControlCodec.encode(answer(request, uid: uid)))
    }

    /// The uid of the process at the other end (SO_PEERCRED), for the log; nil if unknown.
    static func peerUID(_ fd: Int32) -> uid_t? {
        // why three words: Glibc hides `struct ucred` behind _GNU_SOURCE; it is pid, uid, gid.
        var cred: (pid_t, uid_t, gid_t) = (0, 0, 0)
        var length = socklen_t(MemoryLayout<(pid_t, uid_t, gid_t)>.size)
        return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) == 0 ? cred.1 : nil
    }

    /// Carries out one request against the engine's thread store: this host's ledger, or the
    /// view shared with the other hosts.
    func answer(_ request: ControlRequest, uid: uid_t?) -> ControlResponse {
        let ledger = service.engine.store
        let now = service.clock()
        let who = "uid=\(uid.map { String($0) } ?? "unknown")"
        let why = request.reason.map { " reason=\(LogText.quoted($0, maxBytes: 200))" } ?? ""
        switch request.verb {
        case "storms":
            let since = now - max(0, request.seconds ?? 86_400)
            return ControlResponse(ok: true, storms: ledger.storms(now: now, since: since).map(ThreadView.init))
        case "thread":
            guard let id = request.id, let s = ledger.thread(id, now: now) else { return unknown(request.id) }
            return ControlResponse(ok: true, thread: ThreadView(s))
        case "release":
            guard let id = request.id else { return unknown(nil) }
            guard let event = ledger.release(id, now: now) else {
                if ledger.thread(id, now: now) == nil { return unknown(id) }
                return .failure("thread \(LogText.quoted(id, maxBytes: 200)) is not blocked")
            }
            service.logger.notice("\(DecisionLog.line(for: event)) by=\(who)\(why)")
            return ControlResponse(ok: true, message: "released thread \(event.thread) (\(LogText.quoted(event.subject, maxBytes: 120)))")
        case "freeze":
            guard let id = request.id, !id.allSatisfy(\.isWhitespace) else { return unknown(nil) }
            let seconds = request.seconds ?? service.engine.policy.blockDuration
            guard seconds > 0 else { return .failure("a freeze needs a positive duration") }
            let event = ledger.freeze(id, until: now + seconds, now: now)
            service.logger.notice("\(DecisionLog.line(for: event)) by=\(who)\(why)")
            return ControlResponse(ok: true, message: "froze thread \(event.thread) until \(OperationsText.time(now.seconds + seconds))")
        case "stats":
            return ControlResponse(ok: true, stats: stats(now: now))
        case "reload":
            service.logger.notice("control socket: reload requested by \(who)")
            reload()
            return ControlResponse(ok: true, message: "reloaded; problems, if any, are in the daemon's log")
        case "report":
            let since = now - max(0, request.seconds ?? 86_400)
            let storms = ledger.storms(now: now, since: since).map(ThreadView.init)
            return ControlResponse(ok: true, report: ReportView(since: since.seconds, now: now.seconds, storms: storms,
                                                                verdicts: service.operations.verdicts))
        default:
            return .failure("unknown verb \(LogText.quoted(request.verb, maxBytes: 40))")
        }
    }

    private func unknown(_ id: String?) -> ControlResponse {
        guard let id else { return .failure("a thread id is needed (16 hex digits or a Message-ID)") }
        return .failure("no thread \(LogText.quoted(id, maxBytes: 200)) is known")
    }

    private func stats(now: Instant) -> StatsView {
        let t = service.engine.ledger.totals(now: now)
        let c = service.operations
        return StatsView(version: BreakwaterVersion.string, startedAt: c.startedAt.seconds,
                         uptimeSeconds: now.seconds - c.startedAt.seconds, messages: c.messages,
                         stormsTripped: c.stormsTripped, verdicts: c.verdicts, threads: t.threads,
                         indexedMessages: t.indexedMessages, learnedSizes: t.learnedSizes,
                         activeStorms: t.activeStorms, deliveriesPrevented: t.deliveriesPrevented, evictions: t.evictions,
                         sharedState: service.sharedState.map { "\($0.settings.address)" },
                         sharedStateUp: service.sharedState?.isUp)
    }
}
