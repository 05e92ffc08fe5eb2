import Glibc

/// Root or not: a daemon started as root either gives root up (`run_as_user`) or was told it may
/// keep it (`allow_root`, `--allow-root`); otherwise it refuses to start.
enum Privileges {
    /// What to do with the identity the process was started with.
    enum Plan: Equatable, Sendable {
        /// Not root: nothing to change.
        case unprivileged
        /// Root, allowed to stay root.
        case stayRoot
        /// Root, to become this user (and its groups) before serving.
        case become(String)
        /// Root, with neither `run_as_user` nor permission to stay root.
        case refuse
    }

    /// The plan for a process whose real and effective uids are `uid` and `euid`.
    static func plan(uid: uid_t, euid: uid_t, runAsUser: String, allowRoot: Bool) -> Plan {
        guard uid == 0 || euid == 0 else { return .unprivileged }
        if !runAsUser.isEmpty { return .become(runAsUser) }
        return allowRoot ? .stayRoot : .refuse
    }

    /// The message for `.refuse`.
    static let refusal = "refusing to run as root: set run_as_user = breakwater (or another unprivileged user) "
        + "in the configuration, or allow root explicitly with allow_root = yes or --allow-root"

    /// Writes `text` to standard error as is (for the admin at a terminal when logs go to syslog).
    static func tellStandardError(_ text: String) {
        var bytes = Array(text.utf8)
        _ = write(2, &bytes, bytes.count)
    }

    /// A user and its ids: who the process became, or would become.
    struct Identity: Equatable, Sendable {
        var user: String
        var uid: uid_t
        var gid: gid_t
        /// Its groups (after a drop: the supplementary groups the process has).
        var groups: [gid_t]
    }

    /// Why `user` cannot be become, checked before anything is opened; nil when it can be.
    static func check(_ user: String) -> PrivilegeError? {
        switch account(user) {
        case .failure(let error): error
        case .success(let found): found.uid == 0 ? PrivilegeError(step: "run_as_user = \(user)", detail: "that user is root") : nil
        }
    }

    /// The passwd entry's ids for `user`, or why there is none.
    private static func account(_ user: String) -> Result<(uid: uid_t, gid: gid_t), PrivilegeError> {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        let found = getpwnam_r(user, &entry, &buffer, buffer.count, &result)
        guard found == 0, result != nil else {
            return .failure(PrivilegeError(step: "getpwnam(\(user))", detail: found == 0 ? "no such user" : String(cString: strerror(found))))
        }
        return .success((entry.pw_uid, entry.pw_gid))
    }

    /// A user's ids and every group it is in (primary included), or nil if there is no such user.
    static func lookUp(_ user: String) -> Identity? {
        guard case .success(let found) = account(user) else { return nil }
        var count: Int32 = 64
        var groups = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(user, found.gid, &groups, &count) == -1 {
            groups = [gid_t](repeating: 0, count: Int(count))
            guard getgrouplist(user, found.gid, &groups, &count) != -1 else {
                return Identity(user: user, uid: found.uid, gid: found.gid, groups: [found.gid])
            }
        }
        return Identity(user: user, uid: found.uid, gid: found.gid, groups: Array(groups.prefix(Int(count))))
    }

    /// Becomes `user`: its supplementary groups (initgroups), its primary group, then its uid,
    /// and checks that the real and effective ids are the new ones and that root cannot be
    /// taken back. Every thread of the process changes with it (glibc applies set*id to all).
    /// Returns the identity, or why it could not.
    static func become(_ user: String) -> Result<Identity, PrivilegeError> {
        let found: (uid: uid_t, gid: gid_t)
        switch account(user) {
        case .failure(let error): return .failure(error)
        case .success(let ids): found = ids
        }
        let uid = found.uid, gid = found.gid
        guard uid != 0 else { return .failure(PrivilegeError(step: "run_as_user = \(user)", detail: "that user is root")) }
        guard initgroups(user, gid) == 0 else { return .failure(.errno("initgroups(\(user), \(gid))")) }
        guard setgid(gid) == 0 else { return .failure(.errno("setgid(\(gid))")) }
        guard setuid(uid) == 0 else { return .failure(.errno("setuid(\(uid))")) }
        guard getuid() == uid, geteuid() == uid, getgid() == gid, getegid() == gid else {
            return .failure(PrivilegeError(step: "after setuid(\(uid))",
                                           detail: "ids are uid \(getuid())/\(geteuid()), gid \(getgid())/\(getegid())"))
        }
        // why: a saved set-user-ID of 0 would let the process become root again; setuid as root sets all three.
        guard setuid(0) != 0 else { return .failure(PrivilegeError(step: "setuid(0) after the drop", detail: "root could be taken back")) }
        let count = getgroups(0, nil)
        var groups = [gid_t](repeating: 0, count: Int(max(count, 0)))
        let got = groups.isEmpty ? 0 : getgroups(count, &groups)
        return .success(Identity(user: user, uid: uid, gid: gid, groups: Array(groups.prefix(Int(max(got, 0))))))
    }
}

/// Why a privilege drop failed.
struct PrivilegeError: Error, CustomStringConvertible, Sendable {
    var step: String
    var detail: String

    var description: String { "cannot drop privileges: \(step): \(detail)" }

    static func errno(_ step: String) -> PrivilegeError {
        PrivilegeError(step: step, detail: String(cString: strerror(Glibc.errno)))
    }
}
