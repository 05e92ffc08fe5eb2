/// One problem in a session file, at its line.
public struct SessionProblem: Sendable, Equatable, CustomStringConvertible {
    /// The file name as given.
    public var file: String
    /// 1-based line; 0 when the problem concerns the whole file.
    public var line: Int
    /// What is wrong, in words a person can act on.
    public var message: String

    /// A problem at `file:line`.
    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    /// `file:line: message`.
    public var description: String { "\(file):\(line): \(message)" }
}

/// Why session files could not be used: every problem found, in file order.
public struct SessionFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The problems, at most `SessionParser.maxProblems` per file.
    public var problems: [SessionProblem]

    /// An error listing problems.
    public init(problems: [SessionProblem]) { self.problems = problems }

    /// One problem per line.
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
