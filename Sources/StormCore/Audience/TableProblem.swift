#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A problem in one line of a table; the rest of the table still loads.
public struct TableProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// The table file (or the name given to text in memory) the problem is in.
    public var file: String
    /// 1-based line number; 0 when the problem concerns the whole file (it could not be read).
    public var line: Int
    /// What is wrong, in words an admin can act on.
    public var message: String

    /// Makes a problem report for `file:line`.
    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    /// `file:line: message`, the shape compilers and Postfix use, so editors can jump to it.
    public var description: String { "\(file):\(line): \(message)" }
}

/// Reads whole table files as bytes; every failure becomes a `TableProblem`, never a trap.
enum TableFile {
    /// Larger than any real alias table; stops `:include:/dev/zero` from eating memory forever.
    static let maxBytes = 512 << 20

    /// The file's bytes, or a problem naming the file and the OS error. `reportAs` is where the
    /// problem is filed (an `:include:` failure belongs to the line that names the file).
    static func contents(of path: String, reportAs file: String, line: Int) -> Result<[UInt8], TableProblem> {
        func failure(_ what: String) -> Result<[UInt8], TableProblem> {
            .failure(TableProblem(file: file, line: line, message: what))
        }
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
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
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

    private static func osError(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}
