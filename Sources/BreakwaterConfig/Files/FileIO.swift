import Glibc

/// Whole-file reads and path cuts with plain system calls (no Foundation); the daemon adds
/// crash-safe writes (`writeAtomically`, in Daemon).
package enum FileIO {
    /// The OS's words for `errno`.
    package static func describe(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// The file's bytes, or the reason it could not be read. Files over `limit` are refused.
    package static func read(_ path: String, limit: Int = Int.max) -> Result<[UInt8], FileError> {
        // why non-blocking: opening a FIFO blocks until something writes to it; the regular-file
        // check below then refuses it at once. Reads of a regular file never block anyway.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return .failure(FileError(errno, path)) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failure(FileError(errno, path)) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { return .failure(FileError(path, reason: "not a regular file")) }
        guard Int(info.st_size) <= limit else { return .failure(FileError(path, reason: "larger than \(limit) bytes")) }
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
            if bytes.count > limit { return .failure(FileError(path, reason: "larger than \(limit) bytes")) }
        }
        return .success(bytes)
    }

    /// True if something exists at `path`.
    package static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// The folder part of a path (`.` for a bare name).
    /// By byte, as the kernel reads paths: "/" followed by a combining mark is one Character.
    package static func directory(of path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "." }
        return slash == path.utf8.startIndex ? "/" : String(decoding: path.utf8[..<slash], as: UTF8.self)
    }

    package static func basename(of path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return path }
        return String(decoding: path.utf8[path.utf8.index(after: slash)...], as: UTF8.self)
    }
}

/// A failed file operation: the path and the OS's reason.
package struct FileError: Error, Sendable, CustomStringConvertible {
    /// `path: reason`.
    package let message: String
    /// The reason alone, without the path.
    package let reason: String
    package init(_ code: Int32, _ path: String) {
        reason = FileIO.describe(code)
        message = "\(path): \(reason)"
    }
    package init(_ path: String, reason: String) {
        self.reason = reason
        message = "\(path): \(reason)"
    }
    package var description: String { message }
}
