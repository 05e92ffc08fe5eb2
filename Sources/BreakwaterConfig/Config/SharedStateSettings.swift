/// The `shared_state*` keys of breakwater.conf (issue #15): where several MX hosts keep one view of
/// their storms, and how this host behaves when it cannot reach it. `DaemonConfig.sharedState` is
/// nil while `shared_state` is empty: each host then judges on its own ledger.
package struct SharedStateSettings: Sendable, Equatable {
    /// `shared_state`: the Redis/Valkey server.
    package var address: SharedStateAddress
    /// `shared_state_password_file`: the file holding the password (or `user password`); empty
    /// when the server wants none. The file is read by `readCredentials(path:)`, never kept here.
    package var passwordFile: String
    /// `shared_state_prefix`: what every key Breakwater writes starts with.
    package var prefix: String
    /// `shared_state_timeout`: the longest one wait for the server may take, in milliseconds.
    package var timeoutMilliseconds: Int64
    /// `shared_state_failure`: what happens while the server cannot answer.
    package var failure: SharedStateFailure

    /// `shared_state_prefix` when the file names none.
    package static let defaultPrefix = "breakwater:"
    /// `shared_state_timeout` when the file names none: short, because a message waits for it.
    package static let defaultTimeoutMilliseconds: Int64 = 50
    /// The timeouts `shared_state_timeout` accepts, in milliseconds.
    package static let timeoutRange: ClosedRange<Int64> = 1...10_000
    /// The longest prefix, in bytes.
    package static let maxPrefixBytes = 64
    /// The largest password file read (a password is a line).
    package static let maxPasswordFileBytes = 4096

    /// Settings for `address`, the other keys at their defaults unless given.
    package init(address: SharedStateAddress, passwordFile: String = "", prefix: String = defaultPrefix,
                 timeoutMilliseconds: Int64 = defaultTimeoutMilliseconds, failure: SharedStateFailure = .local) {
        self.address = address
        self.passwordFile = passwordFile
        self.prefix = prefix
        self.timeoutMilliseconds = timeoutMilliseconds
        self.failure = failure
    }

    /// `timeoutMilliseconds` as a `Duration`.
    package var timeout: Duration { .milliseconds(timeoutMilliseconds) }

    /// `50ms`, `2s`: the timeout as the admin would write it.
    package var timeoutText: String { Self.timeoutText(timeoutMilliseconds) }

    static func timeoutText(_ milliseconds: Int64) -> String {
        milliseconds % 1000 == 0 ? "\(milliseconds / 1000)s" : "\(milliseconds)ms"
    }

    /// The credentials in the password file at `path`: its first non-empty line, blanks around it
    /// removed, is the password alone (`requirepass`), or a user and its password separated by
    /// blanks (a Redis 6 ACL user). Neither the error nor anything else here shows the password.
    package static func readCredentials(path: String) -> Result<RedisCredentials, SharedStatePasswordError> {
        guard !path.isEmpty else { return .failure(SharedStatePasswordError(path: path, reason: "no file is named")) }
        let bytes: [UInt8]
        switch FileIO.read(path, limit: maxPasswordFileBytes) {
        case .failure(let error): return .failure(SharedStatePasswordError(path: path, reason: error.reason))
        case .success(let read): bytes = read
        }
        // why not decode with replacement: a changed byte would be a different password.
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return .failure(SharedStatePasswordError(path: path, reason: "it is not UTF-8 text"))
        }
        let isBlank: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\u{0B}" || $0 == "\u{0C}" }
        let line = text.unicodeScalars.split(separator: "\n").first { !$0.allSatisfy(isBlank) }
        guard let line else { return .failure(SharedStatePasswordError(path: path, reason: "it is empty")) }
        let words = line.split(whereSeparator: isBlank).map { String(Substring($0)) }
        switch words.count {
        case 1: return .success(RedisCredentials(password: words[0]))
        case 2: return .success(RedisCredentials(user: words[0], password: words[1]))
        default:
            return .failure(SharedStatePasswordError(path: path, reason: "its first line holds \(words.count) words "
                + "(write the password alone, or a user and its password, on one line)"))
        }
    }
}

/// `shared_state_failure`: what a message that needs the shared state gets while the server
/// cannot answer (down, unreachable, slower than `shared_state_timeout`).
package enum SharedStateFailure: String, Sendable, Equatable, CaseIterable {
    /// Judge it at once on this host's own ledger; storms blocked meanwhile are written back later.
    case local
    /// Answer 451 4.3.0 so the sending server retries later.
    case tempfail

    /// How check-config says it: `local ledger`, `tempfail`.
    package var summary: String {
        switch self {
        case .local: "local ledger"
        case .tempfail: "tempfail"
        }
    }
}

/// A password file that cannot be used, and why, in words an admin can act on. Holds the path and
/// the reason only: never anything read from the file.
package struct SharedStatePasswordError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file.
    package let path: String
    /// What is wrong with it.
    package let reason: String

    /// `cannot use the password file PATH: REASON`.
    package var description: String {
        "cannot use the password file \(LogText.quoted(path, maxBytes: 200)): \(reason)"
    }
}

/// A password for Redis's `AUTH`: alone (`requirepass`), or with a user name (Redis 6 ACL).
package struct RedisCredentials: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The ACL user; nil for the `requirepass` password alone.
    package let user: String?
    /// The password.
    package let password: String

    /// A password alone, or a user and password when `user` is given.
    package init(user: String? = nil, password: String) {
        self.user = user
        self.password = password
    }

    /// Never shows the password (this value may end up in a log line).
    package var description: String {
        user.map { "user \($0) with a password" } ?? "a password"
    }

    /// The same as `description`: `debugPrint` and `String(reflecting:)` hide the password too.
    package var debugDescription: String { description }

    /// `dump` shows the user and that a password is set, not the password.
    package var customMirror: Mirror {
        Mirror(self, children: ["user": user as Any, "password": "(hidden)"], displayStyle: .struct)
    }
}
