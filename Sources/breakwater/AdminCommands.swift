import ArgumentParser
import BreakwaterConfig
import Daemon
import Foundation
import Glibc

/// What every admin verb takes: where the daemon's control socket is, and the output form.
struct ControlOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The daemon's control socket (default: control_socket from --config, else \(DaemonConfig().controlSocket)).",
                               valueName: "path"))
    var socket: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("Read control_socket from this configuration file.", valueName: "file"))
    var config: String?

    @Flag(help: "Print JSON for scripts instead of a table.")
    var json = false

    /// The socket to use: --socket, else the config's control_socket, else the default.
    func socketPath() throws -> String {
        if let socket { return socket }
        let path = config ?? ConfigLoader.defaultPath
        guard config != nil || FileManager.default.fileExists(atPath: path) else { return DaemonConfig().controlSocket }
        // why not `.daemon`: finding the socket needs no shared_state password file (nor the right to read it).
        switch ConfigLoader.load(path: path, checks: ConfigChecks(listen: ConfigChecks.daemon.listen)) {
        case .success(let c):
            guard !c.controlSocket.isEmpty else {
                throw ValidationError("\(path) turns the control socket off (control_socket is empty)")
            }
            return c.controlSocket
        case .failure(let e):
            throw ValidationError("cannot read \(path): \(e.problems.first.map { "\($0)" } ?? "unknown problem")")
        }
    }

    /// Sends `request`; on a failure prints the one-line reason and exits (69 unreachable, 1 refused).
    func ask(_ request: ControlRequest) throws -> ControlResponse {
        DaemonSignals.unblock()
        switch ControlClient.ask(request, socket: try socketPath()) {
        case .failure(let why):
            FileHandle.standardError.write(Data((why.description + "\n").utf8))
            throw ExitCode(why.status)
        case .success(let response):
            guard response.ok else {
                FileHandle.standardError.write(Data("breakwater: \(response.error ?? "the daemon refused")\n".utf8))
                throw ExitCode.failure
            }
            return response
        }
    }

    /// Prints `value` as indented JSON.
    func printJSON(_ value: some Encodable) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        if let data = try? encoder.encode(value) { print(String(decoding: data, as: UTF8.self)) }
    }
}

/// A duration option value: `30m`, `6h`, `2d`.
struct DurationValue: ExpressibleByArgument {
    let seconds: Int64
    init?(argument: String) {
        guard let s = OperationsText.parseDuration(argument) else { return nil }
        seconds = s
    }
}

extension BreakwaterCommand {
    /// `breakwater storms`.
    struct Storms: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the storms blocked now and those tripped recently.")
        @OptionGroup var control: ControlOptions
        @Option(help: ArgumentHelp("How far back tripped storms are listed (e.g. 24h, 7d).", valueName: "duration"))
        var since = DurationValue(argument: "24h")!

        func run() throws {
            let storms = try control.ask(ControlRequest(verb: "storms", seconds: since.seconds)).storms ?? []
            if control.json { return control.printJSON(storms) }
            print(AdminText.stormTable(storms))
        }
    }

    /// `breakwater thread ID`.
    struct Thread: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one thread in detail.")
        @OptionGroup var control: ControlOptions
        @Argument(help: "The thread: its 16-hex-digit key or any Message-ID in it.") var id: String

        func run() throws {
            guard let thread = try control.ask(ControlRequest(verb: "thread", id: id)).thread else { return }
            if control.json { return control.printJSON(thread) }
            print(AdminText.detail(thread))
        }
    }

    /// `breakwater release ID`.
    struct Release: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Lift a thread's block now; the daemon logs who asked and why.")
        @OptionGroup var control: ControlOptions
        @Argument(help: "The thread: its 16-hex-digit key or any Message-ID in it.") var id: String
        @Option(help: "Why, for the log.") var reason: String?

        func run() throws {
            let response = try control.ask(ControlRequest(verb: "release", id: id, reason: reason))
            if control.json { return control.printJSON(response) }
            print(response.message ?? "released")
        }
    }

    /// `breakwater freeze ID`.
    struct Freeze: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Block reply-alls in a thread by hand (default: block_duration).")
        @OptionGroup var control: ControlOptions
        @Argument(help: "The thread: its 16-hex-digit key or any Message-ID in it.") var id: String
        @Option(name: .customLong("for"), help: ArgumentHelp("How long (e.g. 30m, 6h, 2d).", valueName: "duration"))
        var duration: DurationValue?
        @Option(help: "Why, for the log.") var reason: String?

        func run() throws {
            let response = try control.ask(ControlRequest(verb: "freeze", id: id, reason: reason, seconds: duration?.seconds))
            if control.json { return control.printJSON(response) }
            print(response.message ?? "frozen")
        }
    }

    /// `breakwater stats`.
    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Ledger totals, verdicts since start and uptime.")
        @OptionGroup var control: ControlOptions

        func run() throws {
            guard let stats = try control.ask(ControlRequest(verb: "stats")).stats else { return }
            if control.json { return control.printJSON(stats) }
            print(AdminText.stats(stats))
        }
    }

    /// `breakwater reload`.
    struct Reload: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reload the configuration and tables (the same as SIGUSR1).")
        @OptionGroup var control: ControlOptions

        func run() throws {
            let response = try control.ask(ControlRequest(verb: "reload"))
            if control.json { return control.printJSON(response) }
            print(response.message ?? "reloaded")
        }
    }

    /// `breakwater report`.
    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Summarise the storms and verdicts of a period, like a storm report.")
        @OptionGroup var control: ControlOptions
        @Option(help: ArgumentHelp("The period (e.g. 24h, 7d).", valueName: "duration"))
        var since = DurationValue(argument: "24h")!

        func run() throws {
            guard let report = try control.ask(ControlRequest(verb: "report", seconds: since.seconds)).report else { return }
            if control.json { return control.printJSON(report) }
            print(AdminText.report(report))
        }
    }
}
