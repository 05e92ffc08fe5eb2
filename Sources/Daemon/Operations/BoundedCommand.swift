import Glibc

/// Runs a program without a shell, with a given environment and optional standard input, and
/// kills it if it runs past its time. Used by the storm notifier and the storm mail, on their
/// own threads, so a decision never waits for either.
enum BoundedCommand {
    /// How a run ended.
    enum Ending: Equatable {
        case exited(Int32)
        case killedAfterTimeout
        case couldNotStart(String)
    }

    /// Runs `arguments[0]` (an absolute path) with `arguments`, `environment`, and `input` on its
    /// standard input (or /dev/null), for at most `timeout` seconds.
    static func run(_ arguments: [String], environment: [String], input: [UInt8]? = nil,
                    timeout: Int64) -> Ending {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var pipeEnds: [Int32] = [-1, -1]
        if input != nil {
            guard pipe(&pipeEnds) == 0 else { return .couldNotStart(String(cString: strerror(errno))) }
            // Neither end may leak into other children; the child gets the read end as fd 0.
            for fd in pipeEnds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            posix_spawn_file_actions_adddup2(&actions, pipeEnds[0], 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // why: the daemon blocks its stop signals in every thread; the command must not inherit that.
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, envp)
        if input != nil { close(pipeEnds[0]) }
        guard status == 0 else {
            if input != nil { close(pipeEnds[1]) }
            return .couldNotStart(String(cString: strerror(status)))
        }
        if let input {
            // A child that exits without reading must not kill the daemon: SIGPIPE is blocked
            // on this (short-lived, own) thread, so the write fails with EPIPE instead.
            var pipeSignal = sigset_t()
            sigemptyset(&pipeSignal)
            sigaddset(&pipeSignal, SIGPIPE)
            pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)
            var done = 0
            while done < input.count {
                let n = input.withUnsafeBytes { write(pipeEnds[1], $0.baseAddress! + done, $0.count - done) }
                if n < 0 { if errno == EINTR { continue }; break }
                done += n
            }
            close(pipeEnds[1])
        }
        // why a poll and not a blocking wait: the command's time is bounded, and a hung one must
        // not pile up behind the next storm's.
        let deadline = Int64(time(nil)) + timeout
        var code: Int32 = 0
        while true {
            let done = waitpid(pid, &code, WNOHANG)
            if done == pid { return .exited(code >> 8 & 0xFF) }
            if done < 0 && errno != EINTR { return .exited(-1) }
            if Int64(time(nil)) >= deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &code, 0)
                return .killedAfterTimeout
            }
            usleep(50_000)
        }
    }
}
