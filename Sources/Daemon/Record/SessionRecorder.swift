import Glibc
public import Logging
public import Replay
import Synchronization

/// Appends each finished connection to a session file (`record_path`), so live traffic can be
/// replayed later, live or offline, as a regression test of the verdicts the daemon gave.
///
/// One whole session per append, under a lock: each judged message is appended (as a session
/// with its connection's details) when its verdict is given, so the file keeps the order in
/// which the daemon judged. The append is one short write; a file that cannot be written is
/// logged once and never stops mail.
public final class SessionRecorder: Sendable {
    /// The file appended to.
    public let path: String
    private let hasher: AddressHasher?
    private let logger: Logger
    /// why one lock for the file: two connections closing at once must not interleave sessions.
    private let file = Mutex(FileState())

    private struct FileState {
        var warned = false
    }

    /// A recorder for `path`; a non-empty `hashKey` replaces addresses by keyed hashes.
    public init(path: String, hashKey: String, logger: Logger) {
        self.path = path
        self.hasher = hashKey.isEmpty ? nil : AddressHasher(key: hashKey)
        self.logger = logger
    }

    /// Appends `session` (hashed if so configured) as one block of text; false if it could not.
    @discardableResult
    public func append(_ session: Session) -> Bool {
        var text = ""
        SessionWriter.write(hasher.map { Self.hashed(session, with: $0) } ?? session, to: &text, absoluteTimes: true)
        return file.withLock { state in
            let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
            guard fd >= 0 else { return failed(&state, errno) }
            defer { close(fd) }
            var st = stat()
            // why: absolute `at` times need a `start` line, written once when the file is new.
            if fstat(fd, &st) == 0, st.st_size == 0 {
                // why midnight: a message time before `start` is an error, and the clock may step
                // back a little (NTP) after the first session is written.
                let first = session.messages.compactMap(\.at).min() ?? Int64(time(nil))
                text = SessionWriter.header(start: first - first % 86_400) + text
            }
            let bytes = Array(text.utf8)
            var done = 0
            while done < bytes.count {
                let n = bytes[done...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if n < 0 {
                    if errno == EINTR { continue }
                    return failed(&state, errno)
                }
                done += n
            }
            return true
        }
    }

    /// The session with addresses hashed, expectations that name recipients included.
    static func hashed(_ session: Session, with hasher: AddressHasher) -> Session {
        var s = hasher.hashing(session)
        for i in s.messages.indices {
            s.messages[i].expectations = s.messages[i].expectations.map { e in
                switch e.kind {
                case let .recipientAdded(a): Expectation(.recipientAdded(hasher.hashAddress(a)))
                case let .recipientDeleted(a): Expectation(.recipientDeleted(hasher.hashAddress(a)))
                default: e
                }
            }
        }
        return s
    }

    private func failed(_ state: inout FileState, _ code: Int32) -> Bool {
        if !state.warned {
            state.warned = true
            logger.error(Logger.Message(stringLiteral: "cannot append to record_path \(path): \(String(cString: strerror(code))); "
                + "sessions are not recorded (mail flows on; this is logged once)"))
        }
        return false
    }
}
