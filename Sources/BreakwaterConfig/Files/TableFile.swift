package import StormCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads whole table files as bytes for `AudienceDirectory.load` (its `files` reader: the tables
/// named by path and every `:include:`); every failure is a sentence naming the path, never a trap.
package enum TableFile {
    /// Larger than any real alias table; stops `:include:/dev/zero` from eating memory forever.
    package static let maxBytes = 512 << 20

    /// The file's bytes, or what went wrong with the OS's words for it.
    package static func read(_ path: String) -> Result<[UInt8], TableReadError> {
        func failure(_ what: String) -> Result<[UInt8], TableReadError> { .failure(TableReadError(what)) }
        // Non-blocking, so an include that names a FIFO or a terminal fails instead of hanging.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        if fd < 0 { return failure("cannot open \(path): \(osError(errno))") }
        defer { close(fd) }
        // why: a FIFO without a writer reads as an empty file, which would silently empty the table.
        var info = stat()
        if fstat(fd, &info) != 0 { return failure("cannot read \(path): \(osError(errno))") }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: return failure("cannot read \(path): \(osError(EISDIR))")
        default: return failure("cannot read \(path): not a regular file (a FIFO, socket or device)")
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Self.readSome(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return failure("cannot read \(path): \(osError(errno))")
            }
            if n == 0 { return .success(bytes) }
            if bytes.count + n > maxBytes { return failure("\(path) is larger than \(maxBytes >> 20) MiB") }
            bytes.append(contentsOf: chunk[0..<n])
            // Grow the read size with the file so a 40 MB include is not read 64 KB at a time.
            if chunk.count < (4 << 20) && bytes.count >= chunk.count * 4 {
                chunk = [UInt8](repeating: 0, count: chunk.count * 4)
            }
        }
    }

    /// read(2), named apart from `read(_:)` above.
    private static func readSome(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
        #if canImport(Glibc)
        Glibc.read(fd, buffer, count)
        #elseif canImport(Musl)
        Musl.read(fd, buffer, count)
        #else
        Darwin.read(fd, buffer, count)
        #endif
    }

    private static func osError(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}
