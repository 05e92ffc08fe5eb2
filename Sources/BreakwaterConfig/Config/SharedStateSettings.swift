/// A password for Redis's `AUTH`: alone (`requirepass`), or with a user name (Redis 6 ACL).
package struct RedisCredentials: Sendable, Hashable, CustomStringConvertible {
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
}
