/// One thing wrong with a configuration file, at the line that says it.
///
/// Printed as `file:line: message`, the shape compilers and Postfix use, so an editor can
/// jump to it; `line` 0 means the file as a whole (it could not be read, or a rule spans keys).
package struct ConfigProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// The configuration file.
    package var file: String
    /// 1-based line number, or 0 for the whole file.
    package var line: Int
    /// What is wrong and what would be right.
    package var message: String

    /// A problem at `file:line`.
    package init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    /// `file:line: message`, or `file: message` for the whole file.
    package var description: String {
        line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)"
    }
}

/// Every problem found in one configuration file: all are collected, not just the first.
package struct ConfigErrors: Error, Sendable, Equatable, CustomStringConvertible {
    /// The problems, in line order.
    package var problems: [ConfigProblem]

    /// The problems as one text, one per line.
    package var description: String { problems.map(\.description).joined(separator: "\n") }
}
