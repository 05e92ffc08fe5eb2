import Glibc

/// Reads session files (see SESSION-FORMAT.md). Every problem is collected with its
/// `file:line`; nothing in the input can make it trap, and the work is linear in its size.
public enum SessionParser {
    /// Problems reported per file before the parser stops looking.
    public static let maxProblems = 100

    /// Parses a file's bytes; `name` is what messages call the file.
    public static func parse(_ bytes: [UInt8], name: String) throws(SessionFileError) -> SessionFile {
        var reader = SessionReader(name: name)
        var lineNumber = 0
        var start = 0
        while start < bytes.count, reader.problems.count < maxProblems {
            let end = bytes[start...].firstIndex(of: 10) ?? bytes.count
            lineNumber += 1
            var lineEnd = end
            if lineEnd > start, bytes[lineEnd - 1] == 13 { lineEnd -= 1 }  // CRLF files read the same
            if lineEnd - start > SessionText.maxLineBytes {
                reader.problem(lineNumber, "line is longer than \(SessionText.maxLineBytes) bytes")
            } else if let text = String(validating: bytes[start..<lineEnd], as: UTF8.self) {
                reader.read(text, line: lineNumber)
            } else {
                reader.problem(lineNumber, "line is not valid UTF-8")
            }
            start = end + 1
        }
        if reader.problems.count >= maxProblems {
            reader.problems = Array(reader.problems.prefix(maxProblems))
            reader.problems.append(SessionProblem(file: name, line: lineNumber, message: "too many problems; stopped here"))
        } else {
            reader.finish(line: lineNumber)
        }
        guard reader.problems.isEmpty else { throw SessionFileError(problems: reader.problems) }
        return reader.file
    }

    /// Parses text in memory.
    public static func parse(_ text: String, name: String) throws(SessionFileError) -> SessionFile {
        try parse(Array(text.utf8), name: name)
    }

    /// Reads and parses a file; a file that cannot be read is one problem at line 0.
    public static func load(path: String) throws(SessionFileError) -> SessionFile {
        switch FileBytes.read(path) {
        case let .success(bytes): return try parse(bytes, name: path)
        case let .failure(error): throw SessionFileError(problems: [SessionProblem(file: path, line: 0, message: error.message)])
        }
    }

    /// Loads several files, collecting the problems of all of them.
    public static func load(paths: [String]) throws(SessionFileError) -> [SessionFile] {
        var files: [SessionFile] = []
        var problems: [SessionProblem] = []
        for path in paths {
            do { files.append(try load(path: path)) } catch { problems += error.problems }
        }
        guard problems.isEmpty else { throw SessionFileError(problems: problems) }
        return files
    }
}

/// Whole-file reads that fail with a sentence, never a trap.
enum FileBytes {
    static func read(_ path: String) -> Result<[UInt8], SessionTextError> {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return .failure(SessionTextError("cannot open: \(String(cString: strerror(errno)))")) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            return .failure(SessionTextError("not a regular file"))
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(info.st_size))
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(SessionTextError("cannot read: \(String(cString: strerror(errno)))"))
            }
            if n == 0 { return .success(bytes) }
            bytes.append(contentsOf: chunk[0..<n])
        }
    }
}
