/// Checks of values whose grammar belongs to a module this one may not import: `listen` is read
/// by Milter's parser (libmilter's socket spellings). The daemon passes its checks, so a value it
/// could not use is a `file:line` problem as before; a reader that never listens (offline replay)
/// passes `.none` and the value is kept as written.
package struct ConfigChecks: Sendable {
    /// `listen`: nil when the value is good, else the problem (the loader adds the key and line).
    package var listen: @Sendable (String) -> String?

    /// Checks made of the given parts.
    package init(listen: @escaping @Sendable (String) -> String?) { self.listen = listen }

    /// No checks beyond the loader's own.
    package static let none = ConfigChecks(listen: { _ in nil })
}
