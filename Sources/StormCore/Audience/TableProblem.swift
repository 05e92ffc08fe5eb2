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

/// Why a table file could not be read, in words an admin can act on (naming the path). The
/// loader files it at the line that named the file: line 0 of a table, or an `:include:` line.
public struct TableReadError: Error, Sendable, Equatable {
    /// What went wrong, e.g. `cannot open /etc/aliases: No such file or directory`.
    public var message: String

    /// A read failure described by `message`.
    public init(_ message: String) { self.message = message }
}

/// Turns a table path into its bytes. StormCore does no I/O: whoever loads tables says how a
/// path is read (BreakwaterConfig's `TableFile.read` reads the disk; a test may serve memory).
public typealias TableReader = (_ path: String) -> Result<[UInt8], TableReadError>
