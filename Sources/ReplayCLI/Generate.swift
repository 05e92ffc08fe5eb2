package import ArgumentParser
import Foundation
import Replay

/// `replay generate`: scenario files with expectations from the policy model.
package struct Generate: ParsableCommand {
    /// Name, help and the three generators.
    package static let configuration = CommandConfiguration(
        abstract: "Write scenario session files (and their size files).",
        subcommands: [Storm.self, Normal.self, Load.self])

    /// An empty command, filled in by ArgumentParser.
    package init() {}
}

/// Where a generated scenario goes.
struct OutputOptions: ParsableArguments {
    @Option(name: [.short, .customLong("output")], help: "Session file to write (default: standard output).")
    var output: String?

    @Option(name: .customLong("sizes-output"), help: "Size file to write (default: beside --output, ending .sizes).")
    var sizesOutput: String?

    @Option(help: "The file's time zero, such as 2016-11-14T10:00:00Z.")
    var start: String?

    func startSeconds() throws -> Int64? {
        guard let start else { return nil }
        guard let s = TimeText.timestamp(start) else { throw ValidationError("--start must look like 2016-11-14T10:00:00Z") }
        return s
    }

    func write(_ scenario: GeneratedScenario) throws {
        let sizesPath = sizesOutput ?? output.map { path in
            (path.hasSuffix(".session") ? String(path.dropLast(".session".count)) : path) + ".sizes"
        }
        do {
            if let output {
                try scenario.text.write(toFile: output, atomically: true, encoding: .utf8)
            } else {
                FileHandle.standardOutput.write(Data(scenario.text.utf8))
            }
            if let sizesPath, !scenario.sizes.isEmpty {
                try scenario.sizes.write(toFile: sizesPath, atomically: true, encoding: .utf8)
            }
        } catch {
            FileHandle.standardError.write(Data("cannot write: \(error.localizedDescription)\n".utf8))
            throw ExitCode(2)
        }
    }
}

func policyPreset(_ name: String) throws -> PolicyModel.Settings {
    guard let s = PolicyModel.Settings.named(name) else {
        throw ValidationError("--expect-policy must be one of " + PolicyModel.Settings.names.joined(separator: ", "))
    }
    return s
}

func seconds(_ text: String, _ flag: String) throws -> Int64 {
    guard let d = TimeText.duration(text) else { throw ValidationError("\(flag) \"\(text)\" is not like 4500, 75m or 1h15m") }
    return d
}

extension Generate {
    /// A reply-all storm.
    struct Storm: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A reply-all storm on one large list.")

        @Option(help: "Mailboxes the list reaches.") var audience = 840_000
        @Option(help: "The list address.") var list = "all@example.org"
        @Option(help: "People who reply to all.") var repliers = 80
        @Option(help: "Span over which replies arrive (75m, 4500).") var over = "75m"
        @Option(help: "Share of all replies sent to the author only (0 up to 1).") var directMix = 0.25
        @Option(help: "Automatic replies to the whole list.") var autoReplies = 0
        @Option(help: "Seed.") var seed: UInt64 = 1
        @Option(help: "Subject of the original message.") var subject = "Test email"
        @Option(help: "Policy the expectations are written for: default, no-gate, storm-only.") var expectPolicy = "default"
        @Flag(help: "Expect the reply-alls as one any-order pool (counts, not which one), for replays over several connections.")
        var anyOrder = false
        @OptionGroup var output: OutputOptions

        func scenario() throws -> StormScenario {
            var s = StormScenario()
            s.audience = audience
            s.list = list
            s.repliers = repliers
            s.over = try seconds(over, "--over")
            s.directMix = directMix
            s.autoReplies = autoReplies
            s.seed = seed
            s.subject = subject
            s.start = try output.startSeconds()
            s.expectPolicy = try policyPreset(expectPolicy)
            s.policyName = expectPolicy
            s.anyOrder = anyOrder
            if let problem = s.problems().first { throw ValidationError(problem) }
            return s
        }

        func validate() throws { _ = try scenario() }
        func run() throws { try output.write(try scenario().generate()) }
    }

    /// Everyday traffic.
    struct Normal: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Everyday traffic that must pass untouched.")

        @Option(help: "Messages to write (at least).") var messages = 300
        @Option(help: "Span over which threads start (8h).") var over = "8h"
        @Option(help: "Domain of every address.") var domain = "corp.example"
        @Option(help: "Seed.") var seed: UInt64 = 1
        @Option(help: "Policy the expectations are written for: default, no-gate, storm-only.") var expectPolicy = "default"
        @OptionGroup var output: OutputOptions

        func scenario() throws -> NormalScenario {
            var s = NormalScenario()
            s.messages = messages
            s.over = try seconds(over, "--over")
            s.domain = domain
            s.seed = seed
            s.start = try output.startSeconds()
            s.expectPolicy = try policyPreset(expectPolicy)
            s.policyName = expectPolicy
            if let problem = s.problems().first { throw ValidationError(problem) }
            return s
        }

        func validate() throws { _ = try scenario() }
        func run() throws { try output.write(try scenario().generate()) }
    }

    /// Uniform benchmark traffic.
    struct Load: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Uniform traffic for benchmarks (no time offsets).")

        @Option(help: "Sessions (connections).") var sessions = 100
        @Option(help: "Messages per session.") var messages = 10
        @Option(help: "Recipients per message.") var recipients = 20
        @Option(help: "Headers per message (at least 4).") var headers = 8
        @Option(help: "Expect every message to get a header of this name added.") var expectHeader: String?
        @OptionGroup var output: OutputOptions

        func scenario() throws -> LoadScenario {
            var s = LoadScenario()
            s.sessions = sessions
            s.messagesPerSession = messages
            s.recipients = recipients
            s.headers = headers
            s.expectHeader = expectHeader
            if let problem = s.problems().first { throw ValidationError(problem) }
            return s
        }

        func validate() throws { _ = try scenario() }
        func run() throws { try output.write(try scenario().generate()) }
    }
}
