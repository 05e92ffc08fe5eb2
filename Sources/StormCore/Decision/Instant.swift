/// A point in time, in whole seconds since 1970-01-01T00:00:00Z.
///
/// The engine has no clock of its own: the caller passes `now`, which is what lets tests and the
/// offline replay run a week of traffic with a virtual clock. Seconds are fine enough for
/// windows measured in minutes and blocks measured in hours.
public struct Instant: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var seconds: Int64

    public init(seconds: Int64) { self.seconds = seconds }

    public static func < (a: Instant, b: Instant) -> Bool { a.seconds < b.seconds }
    public static func + (a: Instant, s: Int64) -> Instant { Instant(seconds: a.seconds + s) }
    public static func - (a: Instant, s: Int64) -> Instant { Instant(seconds: a.seconds - s) }

    /// UTC in ISO 8601, minute precision (`2016-11-14T10:20Z`): what reply texts and logs show.
    public var description: String { iso8601(withSeconds: false) }

    /// UTC in ISO 8601: `2016-11-14T10:20:05Z`, or `2016-11-14T10:20Z` without seconds.
    public func iso8601(withSeconds: Bool) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secs = seconds - days * 86_400
        // Civil date from days since the epoch (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let minute = "\(y)-\(two(m))-\(two(d))T\(two(secs / 3600)):\(two(secs % 3600 / 60))"
        return withSeconds ? minute + ":\(two(secs % 60))Z" : minute + "Z"
    }
}
