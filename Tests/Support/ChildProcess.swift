public import Foundation
import Glibc
import Synchronization

/// A program the tests start with `posix_spawn` and reap with `waitpid` themselves.
///
/// Output (stdout and stderr together) goes to a file so a failing test can show it.
public final class ChildProcess: Sendable {
    /// The child's process id.
    public let pid: pid_t
    /// Where its stdout and stderr go.
    public let logPath: String

    /// How a child ended.
    public enum Ending: Equatable, CustomStringConvertible {
        case exited(Int32)
        case signalled(Int32)

        public var description: String {
            switch self {
            case let .exited(code): return "exited with status \(code)"
            case let .signalled(signal): return "killed by signal \(signal)"
            }
        }
    }

    /// A child that could not be started, or a helper that failed.
    public struct SpawnError: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// Starts `path` with `arguments`, output to `logPath`, with default handling and no
    /// blocking of the stop signals whatever the test runner does with them. The environment is
    /// `PATH=/usr/bin:/bin` and `environment` (nothing of the test runner's own).
    public init(_ path: String, _ arguments: [String], logPath: String, environment: [String: String] = [:]) throws {
        self.logPath = logPath
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t(), empty = sigset_t()
        sigemptyset(&defaults)
        sigemptyset(&empty)
        for signal in [SIGHUP, SIGTERM, SIGINT, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let variables = ["PATH": "/usr/bin:/bin"].merging(environment) { _, given in given }
        let envp = variables.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, path, &actions, &attributes, argv, envp)
        guard status == 0 else {
            throw SpawnError(description: "cannot start \(path): \(String(cString: strerror(status)))")
        }
        pid = child
    }

    /// Sends `signal` to the child.
    public func send(_ signal: Int32) {
        kill(pid, signal)
    }

    /// Waits for the child to end, killing it with SIGKILL if it is still running after
    /// `seconds`. Returns how it ended and whether the watchdog had to fire.
    public func waitForExit(within seconds: Double) -> (ending: Ending, timedOut: Bool) {
        let fired = Atomic<Bool>(false)
        let pid = self.pid
        let watchdog = DispatchWorkItem {
            fired.store(true, ordering: .sequentiallyConsistent)
            kill(pid, SIGKILL)
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: watchdog)
        // why: WNOWAIT leaves the zombie in place, so the pid cannot be reused by another
        // process while the watchdog might still fire; it is reaped after the cancel.
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
        watchdog.cancel()
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let ending: Ending = (status & 0x7F) == 0 ? .exited((status >> 8) & 0xFF) : .signalled(status & 0x7F)
        return (ending, fired.load(ordering: .sequentiallyConsistent))
    }

    /// True while the child exists and has not ended (a zombie not yet reaped has ended).
    public var isRunning: Bool { Self.isRunning(pid) }

    /// True while process `pid` exists and has not ended, by its state in /proc.
    public static func isRunning(_ pid: pid_t) -> Bool {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return false }
        return !status.contains("State:\tZ") && !status.contains("State:\tX")
    }

    /// Runs `path` with `arguments` to its end (killed after `seconds`), output to `logPath`:
    /// how it ended, whether the watchdog fired, and what it wrote.
    public static func run(_ path: String, _ arguments: [String], logPath: String, within seconds: Double = 60)
        throws -> (ending: Ending, timedOut: Bool, output: String) {
        let child = try ChildProcess(path, arguments, logPath: logPath)
        let (ending, timedOut) = child.waitForExit(within: seconds)
        return (ending, timedOut, child.output)
    }

    /// Kills and reaps the child at once (for tests that do not test shutdown).
    public func killNow() {
        send(SIGKILL)
        _ = waitForExit(within: 30)
    }

    /// Everything the child wrote so far.
    public var output: String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }
}
