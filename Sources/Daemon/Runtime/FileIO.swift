public import Glibc

/// Whole-file reads and crash-safe writes with plain system calls (no Foundation in the daemon).
public enum FileIO {
    /// The OS's words for `errno`.
    static func describe(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// The file's bytes, or the reason it could not be read. Files over `limit` are refused.
    public static func read(_ path: String, limit: Int = Int.max) -> Result<[UInt8], FileError> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(FileError(errno, path)) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failure(FileError(errno, path)) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { return .failure(FileError(message: "\(path): not a regular file")) }
        guard Int(info.st_size) <= limit else { return .failure(FileError(message: "\(path): larger than \(limit) bytes")) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(info.st_size))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(FileError(errno, path))
            }
            if n == 0 { break }
            bytes += chunk[0..<n]
            if bytes.count > limit { return .failure(FileError(message: "\(path): larger than \(limit) bytes")) }
        }
        return .success(bytes)
    }

    /// True if something exists at `path`.
    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// Replaces `path` with `bytes` so that a crash at any moment leaves either the old file or
    /// the new one, never a mix: temp file in the same folder, fsync, rename, fsync the folder.
    public static func writeAtomically(_ bytes: [UInt8], to path: String, mode: mode_t = 0o600) -> Result<Void, FileError> {
        let folder = directory(of: path)
        let temp = "\(folder)/\(temporaryPrefix(of: path))\(getpid())"
        var fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        if fd < 0, errno == ENOENT, mkdir(folder, 0o750) == 0 {
            // First run outside the package (which creates /var/lib/breakwater): make the
            // state folder, owner-only, rather than lose every snapshot to a missing folder.
            fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        }
        guard fd >= 0 else { return .failure(FileError(errno, temp)) }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                let e = FileError(errno, temp)
                close(fd); unlink(temp)
                return .failure(e)
            }
            done += n
        }
        if fsync(fd) != 0 {
            let e = FileError(errno, temp)
            close(fd); unlink(temp)
            return .failure(e)
        }
        close(fd)
        if rename(temp, path) != 0 {
            let e = FileError(errno, path)
            unlink(temp)
            return .failure(e)
        }
        // why: the rename is durable only once the folder's entry is on disk.
        let dir = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 {
            _ = fsync(dir)
            close(dir)
        }
        return .success(())
    }

    /// The name `writeAtomically` gives its temporary file for `path`, but the writer's pid that
    /// ends it: `.NAME.tmp.`.
    static func temporaryPrefix(of path: String) -> String { ".\(basename(of: path)).tmp." }

    /// The folder part of a path (`.` for a bare name).
    /// By byte, as the kernel reads paths: "/" followed by a combining mark is one Character.
    static func directory(of path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "." }
        return slash == path.utf8.startIndex ? "/" : String(decoding: path.utf8[..<slash], as: UTF8.self)
    }

    static func basename(of path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return path }
        return String(decoding: path.utf8[path.utf8.index(after: slash)...], as: UTF8.self)
    }
}

/// A failed file operation: the path and the OS's reason.
public struct FileError: Error, Sendable, CustomStringConvertible {
    /// `path: reason`.
    public let message: String
    /// The reason alone, without the path.
    public let reason: String
    init(_ code: Int32, _ path: String) {
        reason = FileIO.describe(code)
        message = "\(path): \(reason)"
    }
    init(message: String) {
        self.message = message
        reason = message
    }
    public var description: String { message }
}
