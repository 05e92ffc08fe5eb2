import ArgumentParser
import BreakwaterConfig
import Daemon
import Glibc
import ReplayCLI

/// `breakwater`: the milter daemon and its admin verbs.
struct BreakwaterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "breakwater",
        abstract: "A milter for Postfix that stops reply-all storms.",
        discussion: """
            Breakwater sits beside Postfix as a milter. For each message it works out how many \
            mailboxes the recipients reach once lists are expanded, follows replies into threads, \
            and stops the reply-alls that would flood everyone (reject, defer, hold, trim to the \
            author, or only tag). Direct replies always pass.

            Quick start:
              breakwater check-config /etc/breakwater/breakwater.conf
              breakwater run --foreground
              postconf -e 'smtpd_milters = inet:127.0.0.1:8894' \\
                          'non_smtpd_milters = inet:127.0.0.1:8894' \\
                          'milter_default_action = tempfail'
              postfix reload
            """,
        version: BreakwaterVersion.string,
        subcommands: [Run.self, CheckConfig.self, Replay.self, Version.self,
                      Storms.self, Thread.self, Release.self, Freeze.self, Stats.self, Reload.self, Report.self])

    /// Parses and runs. why a main of our own: under `replay` a usage error exits 2, as the
    /// replay commands promise (and `breakwater-replay` does); elsewhere ArgumentParser decides.
    static func main() {
        let isReplay = CommandLine.arguments.dropFirst().first == "replay"
        // why: main.swift blocks the stop signals for libmilter; a replay starts no milter and
        // wants Ctrl-C (ReplayCLI knows nothing of the daemon's signals).
        if isReplay { DaemonSignals.unblock() }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if isReplay { ReplayCommands.exit(for: error, under: self) }
            exit(withError: error)
        }
    }
}

extension BreakwaterCommand {
    /// `breakwater run`.
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the milter daemon (what systemd starts).",
            discussion: """
                Listens where the configuration's `listen` says (default inet:127.0.0.1:8894) and \
                filters every message Postfix hands it. Point Postfix at the same address:

                  smtpd_milters = inet:127.0.0.1:8894
                  non_smtpd_milters = inet:127.0.0.1:8894
                  milter_default_action = tempfail

                Breakwater does not fork: run it under systemd (Type=simple) or in a terminal. \
                Without --foreground it logs to syslog, facility mail, next to Postfix's own lines.

                Signals:
                  SIGTERM, SIGINT, SIGHUP  stop (within ~5 s), writing the ledger snapshot first
                  SIGUSR1                  reload the configuration and tables; a bad new \
                configuration is logged and the old one kept. A changed `listen` needs a restart.

                Exit status: 0 after a clean stop, 78 when the configuration is unusable, 69 when \
                the socket cannot be opened, 77 when started as root without run_as_user or \
                allow_root (or --allow-root), or when dropping to run_as_user fails.
                """)

        @Option(name: .shortAndLong, help: ArgumentHelp(
            "The configuration file. A missing default file means built-in defaults; a missing named file is an error.",
            valueName: "file"))
        var config: String?

        @Flag(help: "Log to standard error, one line per entry, instead of syslog.")
        var foreground = false

        @Flag(help: "Started as root without run_as_user: run as root anyway instead of refusing (exit 77).")
        var allowRoot = false

        func run() throws {
            let status = DaemonRuntime.run(DaemonRuntime.Options(
                configPath: config ?? ConfigLoader.defaultPath, explicit: config != nil, foreground: foreground,
                allowRoot: allowRoot))
            if status != .ok { throw ExitCode(status.rawValue) }
        }
    }

    /// `breakwater check-config`.
    struct CheckConfig: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check-config",
            abstract: "Check a configuration file without starting anything.",
            discussion: """
                Prints every problem as FILE:LINE: MESSAGE (all of them, not just the first), then \
                exits 78. When the file is good, prints FILE: OK and what it means: where the \
                daemon will listen, where the ledger snapshot goes, and what the audience tables \
                hold (table lines that cannot be read are shown as warnings; they do not stop the \
                daemon). Run it before `systemctl reload breakwater` or `kill -USR1`.

                With --connect and shared_state set, it also connects to that Redis/Valkey server \
                as the daemon would (password file, database, timeout) and prints whether it is \
                reachable; it exits 69 when it is not. Without --connect no network is used.
                """)

        @Argument(help: ArgumentHelp("The configuration file to check.", valueName: "file"))
        var file: String = ConfigLoader.defaultPath

        @Flag(help: "Also connect to the shared_state server (exit 69 when it cannot be reached).")
        var connect = false

        func run() throws {
            DaemonSignals.unblock()
            let report = ConfigCheck.run(path: file, connect: connect)
            for line in report.lines { print(line) }
            if !report.ok { throw ExitCode(report.status.rawValue) }
        }
    }

    /// `breakwater replay`: the replay harness, the same commands as `breakwater-replay`.
    struct Replay: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replay session files against a running milter or through the storm engine, or write scenarios.",
            discussion: """
                The same commands as the standalone `breakwater-replay`. `replay offline --config FILE` \
                judges the files with the policy and audience tables of a breakwater.conf, read exactly \
                as `breakwater run` reads it; policy options given beside it override it.

                """ + ReplayCommands.exitStatusText,
            subcommands: ReplayCommands.subcommands)
    }

    /// `breakwater version`.
    struct Version: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the version.")

        func run() {
            DaemonSignals.unblock()
            print("breakwater \(BreakwaterVersion.string)")
        }
    }
}
