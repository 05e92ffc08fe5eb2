/// Checks of values whose grammar belongs to a module this one may not import, or that read
/// something beyond the file. `listen` is read by Milter's parser (libmilter's socket spellings);
/// `shared_state_password_file` is a secret file only the daemon (and check-config) should open.
/// The daemon passes its checks, so a value it could not use is a `file:line` problem as before; a
/// reader that never listens nor connects (offline replay) passes `.none` and the value is kept as written.
package struct ConfigChecks: Sendable {
    /// `listen`: nil when the value is good, else the problem (the loader adds the key and line).
    package var listen: @Sendable (String) -> String?
    /// `shared_state_password_file`, when `shared_state` is set: nil when the file can be used,
    /// else the problem (which never holds the file's content).
    package var sharedStatePasswordFile: @Sendable (String) -> String?

    /// Checks made of the given parts.
    package init(listen: @escaping @Sendable (String) -> String?,
                 sharedStatePasswordFile: @escaping @Sendable (String) -> String? = { _ in nil }) {
        self.listen = listen
        self.sharedStatePasswordFile = sharedStatePasswordFile
    }

    /// No checks beyond the loader's own.
    package static let none = ConfigChecks(listen: { _ in nil })

    /// Reads the password file as the daemon will (`SharedStateSettings.readCredentials`).
    package static let readsPasswordFile: @Sendable (String) -> String? = { path in
        if case .failure(let error) = SharedStateSettings.readCredentials(path: path) { return error.description }
        return nil
    }
}
