import Glibc

/// A plain POSIX thread for the daemon's own loops (snapshot timer, reload signal).
///
/// Not Dispatch or a Task: these threads block in `poll` and `sigwait`, and a POSIX thread
/// started after main blocked the signals inherits that mask, which libmilter relies on.
enum BackgroundThread {
    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    /// Starts `body` on a new thread; nil if the system refused one.
    static func start(_ body: @escaping @Sendable () -> Void) -> pthread_t? {
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            Unmanaged<Body>.fromOpaque(raw).takeRetainedValue().run()
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            return nil
        }
        return thread
    }
}

/// The signals the daemon handles itself, blocked in every thread so none takes a default action.
public enum DaemonSignals {
    /// SIGHUP, SIGTERM, SIGINT (libmilter's signal thread: stop) and SIGUSR1 (reload).
    public static let handled: [Int32] = [SIGHUP, SIGTERM, SIGINT, SIGUSR1]

    /// Blocks `handled` in the calling thread and every thread it starts later. Call it as the
    /// first statement of the program, before anything can start a thread.
    public static func block() {
        var set = sigset_t()
        sigemptyset(&set)
        for s in handled { sigaddset(&set, s) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Undoes `block()` for commands that start no milter (check-config, version), so Ctrl-C works.
    public static func unblock() {
        var set = sigset_t()
        sigemptyset(&set)
        for s in handled { sigaddset(&set, s) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// Waits for SIGUSR1 (blocked everywhere) and calls `reload` for each, forever, on its own thread.
    static func startReloadThread(_ reload: @escaping @Sendable () -> Void) -> Bool {
        BackgroundThread.start {
            var set = sigset_t()
            sigemptyset(&set)
            sigaddset(&set, SIGUSR1)
            while true {
                var received: Int32 = 0
                guard sigwait(&set, &received) == 0 else { continue }
                if received == SIGUSR1 { reload() }
            }
        } != nil
    }
}
