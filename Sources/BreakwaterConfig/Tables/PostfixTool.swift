import Glibc

/// Runs one of Postfix's own programs (`postconf`, `postmap`, `postalias`) and collects what it
/// prints: through `posix_spawn` (never a shell, so no map name is ever parsed as a command),
/// with a deadline and a cap on output, so a wedged tool or a runaway map cannot stall a load.
enum PostfixTool {
    /// What a finished run printed.
    struct Output: Sendable, Equatable {
        /// Standard output, whole.
        var stdout: [UInt8]
        /// The start of standard error, for problem reports.
        var stderr: String
    }

    /// Why a run gave no usable output, in words for the log.
    struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// What went wrong, naming the program.
        var description: String
    }

    /// How much of standard error is kept: enough for Postfix's one-line fatal message.
    static let maxErrorBytes = 4_096

    /// Runs `path` with `arguments`; success needs exit status 0 within `timeout` seconds and no
    /// more than `maxOutput` bytes on stdout. The child is killed (SIGKILL) on either limit.
    static func run(_ path: String, _ arguments: [String], timeout: Double, maxOutput: Int) -> Result<Output, Failure> {
        let name = basename(path)
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        guard cloexecPipe(&outPipe) else { return .failure(Failure(description: "\(name): pipe: \(describe(errno))")) }
        guard cloexecPipe(&errPipe) else {
            close(outPipe[0]); close(outPipe[1])
            return .failure(Failure(description: "\(name): pipe: \(describe(errno))"))
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        // why: dup2 clears close-on-exec on the copy only; the pipe ends themselves close at exec.
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // why: the daemon blocks SIGTERM, SIGHUP and SIGINT in every thread for libmilter, and
        // a child inherits the mask; Postfix's tools must get ordinary signal handling back.
        var defaults = sigset_t(), empty = sigset_t()
        sigemptyset(&empty)
        sigemptyset(&defaults)
        for signal in [SIGHUP, SIGTERM, SIGINT, SIGPIPE, SIGUSR1] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        // why: a fixed environment, so the daemon's own (MAIL_CONFIG, locale) cannot change
        // which configuration the tool reads or how it prints.
        let envp = ([String](arrayLiteral: "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C")).map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        close(outPipe[1]); close(errPipe[1])
        defer { close(outPipe[0]); close(errPipe[0]) }
        guard spawned == 0 else { return .failure(Failure(description: "cannot run \(path): \(describe(spawned))")) }

        let deadline = now() + timeout
        var stdout: [UInt8] = [], stderr: [UInt8] = []
        var open = [true, true]
        var problem: String?
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while open[0] || open[1] {
            let left = deadline - now()
            if left <= 0 { problem = "\(name) did not finish within \(seconds(timeout)) s"; break }
            var fds = [pollfd(fd: open[0] ? outPipe[0] : -1, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: open[1] ? errPipe[0] : -1, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, 2, Int32(min(left * 1000, 1000).rounded(.up)))
            if ready < 0 && errno != EINTR { problem = "\(name): poll: \(describe(errno))"; break }
            for i in 0..<2 where open[i] && fds[i].revents != 0 {
                let n = chunk.withUnsafeMutableBytes { Glibc.read(fds[i].fd, $0.baseAddress, $0.count) }
                if n < 0 { if errno != EINTR && errno != EAGAIN { open[i] = false }; continue }
                if n == 0 { open[i] = false; continue }
                if i == 0 {
                    stdout += chunk[0..<n]
                } else if stderr.count < maxErrorBytes {
                    stderr += chunk[0..<min(n, maxErrorBytes - stderr.count)]
                }
            }
            if stdout.count > maxOutput { problem = "\(name) printed more than \(maxOutput >> 20) MiB"; break }
        }
        let status = reap(pid, deadline: problem == nil ? deadline : now())
        let errorText = String(decoding: stderr, as: UTF8.self)
        if let problem { return .failure(Failure(description: problem)) }
        guard let status else { return .failure(Failure(description: "\(name) did not finish within \(seconds(timeout)) s")) }
        guard status == 0 else {
            let said = reason(errorText)
            return .failure(Failure(description: said.isEmpty ? "\(name) exited with status \(status)" : said))
        }
        return .success(Output(stdout: stdout, stderr: errorText))
    }

    /// Waits for the child until `deadline`, then kills it; returns its exit status, or nil when
    /// it had to be killed or died of a signal.
    private static func reap(_ pid: pid_t, deadline: Double) -> Int32? {
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if r < 0 && errno != EINTR { return nil }
            if now() >= deadline {
                kill(pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                return nil
            }
            // why: stdout and stderr are closed, so the tool is exiting; a short pause, not a spin.
            var pause = timespec(tv_sec: 0, tv_nsec: 2_000_000)
            nanosleep(&pause, nil)
        }
        return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : nil
    }

    /// A pipe whose ends close at exec, so only the child's dup2 copies reach the tool.
    private static func cloexecPipe(_ ends: inout [Int32]) -> Bool {
        guard pipe(&ends) == 0 else { return false }
        for fd in ends { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return true
    }

    /// Seconds on the monotonic clock.
    private static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// `30` or `0.3`: a deadline as the admin would write it.
    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value))" : "\(value)"
    }

    private static func describe(_ code: Int32) -> String { String(cString: strerror(code)) }

    private static func basename(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    /// The line of a tool's complaint that says why it stopped: Postfix's `fatal:` line when
    /// there is one (warnings may come first), else the last line.
    static func reason(_ text: String) -> String {
        let lines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).map(String.init)
        return lines.first { $0.contains("fatal:") } ?? lines.last ?? ""
    }
}
