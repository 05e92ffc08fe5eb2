import Glibc

/// What is done to the listening socket between `smfi_opensocket` and `smfi_main`.
enum SocketSetup {
    /// Unix socket: mode and group (so Postfix may connect), on `unixPath` (the staging name)
    /// if given. TCP: TCP_NODELAY.
    static func prepare(_ configuration: MilterConfiguration, unixPath: String? = nil) {
        switch configuration.listen {
        case let .unix(configured):
            let path = unixPath ?? configured
            if chmod(path, mode_t(configuration.socketMode)) != 0 {
                configuration.notice("could not chmod \(path): \(String(cString: strerror(errno)))")
            }
            guard let group = configuration.socketGroup else { return }
            guard let entry = getgrnam(group) else {
                configuration.notice("group \"\(group)\" does not exist; \(path) keeps its group")
                return
            }
            if chown(path, uid_t.max, entry.pointee.gr_gid) != 0 {
                configuration.notice("could not give \(path) to group \(group): \(String(cString: strerror(errno)))")
            }
        case let .inet(_, port), let .inet6(_, port):
            if setNoDelayOnListener(port: port) == 0 {
                configuration.notice("no listening socket on port \(port) found; TCP_NODELAY not set "
                    + "(each edited message may wait ~40 ms for a delayed ACK)")
            }
        }
    }

    /// A hidden name next to `path` for the socket to be bound under before it has its mode
    /// and group (`.NAME.PID`), or nil when that would not fit in a sockaddr_un (the socket is
    /// then bound at `path` itself, as before).
    static func stagingPath(for path: String) -> String? {
        let (folder, name) = folderAndName(path)
        let staging = "\(folder.map { $0 + "/" } ?? "").\(name).\(getpid())"
        return staging.utf8.count < MemoryLayout.size(ofValue: sockaddr_un().sun_path) ? staging : nil
    }

    /// `path` cut at its last `/` (by byte, as the kernel reads it): the folder (nil for a bare
    /// name) and the name.
    private static func folderAndName(_ path: String) -> (folder: String?, name: String) {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return (nil, path) }
        return (String(decoding: path.utf8[..<slash], as: UTF8.self),
                String(decoding: path.utf8[path.utf8.index(after: slash)...], as: UTF8.self))
    }

    struct PublishError: Error {
        let reason: String
    }

    /// Removes staging sockets (`.NAME.PID` next to `path`) of processes that no longer exist:
    /// one killed between binding and renaming. Returns the files removed.
    @discardableResult
    static func removeStaleStaging(for path: String) -> [String] {
        let (parent, name) = folderAndName(path)
        let folder = parent ?? "."
        let prefix = ".\(name)."
        guard let dir = opendir(folder.isEmpty ? "/" : folder) else { return [] }
        defer { closedir(dir) }
        var removed: [String] = []
        while let entry = readdir(dir) {
            let file = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard file.hasPrefix(prefix), let pid = Int32(file.dropFirst(prefix.count)), pid > 0, pid != getpid(),
                  kill(pid, 0) != 0, errno == ESRCH else { continue }
            let full = "\(folder)/\(file)"
            var info = stat()
            guard lstat(full, &info) == 0, info.st_mode & S_IFMT == S_IFSOCK, unlink(full) == 0 else { continue }
            removed.append(full)
        }
        return removed
    }

    /// The socket at its path, as published: removed at stop if the file is still this one.
    struct Published {
        let path: String
        let device: UInt64
        let inode: UInt64

        /// Unlinks `path` if it is still the socket published (not a successor's).
        func remove() {
            var info = stat()
            guard lstat(path, &info) == 0, UInt64(info.st_dev) == device, UInt64(info.st_ino) == inode else { return }
            unlink(path)
        }
    }

    /// Renames the prepared socket at `staging` onto `path` (atomically replacing a stale file
    /// there), so clients only ever meet it with its final mode and group.
    static func publish(_ staging: String, at path: String) -> Result<Published, PublishError> {
        var info = stat()
        guard lstat(staging, &info) == 0 else { return .failure(PublishError(reason: String(cString: strerror(errno)))) }
        guard rename(staging, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(staging)
            return .failure(PublishError(reason: reason))
        }
        return .success(Published(path: path, device: UInt64(info.st_dev), inode: UInt64(info.st_ino)))
    }

    /// True if a process accepts connections on the unix socket `path`; removing the file
    /// would silently steal its address.
    static func isSomeoneListening(onUnixPath path: String) -> Bool {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        let bytes = Array(path.utf8)
        guard bytes.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return status == 0
    }

    /// libmilter never sets TCP_NODELAY and does not expose its listening descriptor, so find
    /// it among our open descriptors: a listening TCP socket bound to `port`. Accepted sockets
    /// inherit the option on Linux. Returns how many descriptors were changed.
    @discardableResult
    static func setNoDelayOnListener(port: UInt16) -> Int {
        guard let directory = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(directory) }
        var changed = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard let fd = Int32(name), isListeningTCP(fd, port: port) else { continue }
            var on: Int32 = 1
            if setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size)) == 0 {
                changed += 1
            }
        }
        return changed
    }

    private static func isListeningTCP(_ fd: Int32, port: UInt16) -> Bool {
        var listening: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) == 0, listening == 1 else { return false }
        var storage = sockaddr_storage()
        var size = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &size) }
        }
        guard named == 0 else { return false }
        let family = Int32(storage.ss_family)
        return withUnsafeBytes(of: storage) { raw -> Bool in
            switch family {
            case AF_INET: return UInt16(bigEndian: raw.load(as: sockaddr_in.self).sin_port) == port
            case AF_INET6: return UInt16(bigEndian: raw.load(as: sockaddr_in6.self).sin6_port) == port
            default: return false
            }
        }
    }
}
