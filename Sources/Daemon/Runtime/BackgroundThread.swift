import CMilterGuard
import Glibc
import Synchronization

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

/// A background thread that can be told to stop: its loop waits on `wakeFD` (alone, with
/// ``waitForStop(milliseconds:)``, or next to its own descriptors), and ``stop()`` writes to it
/// and joins the thread.
final class StoppableThread: Sendable {
    /// The read end of the wake pipe: readable once ``stop()`` was called.
    let wakeFD: Int32
    private let wakeWrite: Int32
    private let thread = Mutex<pthread_t?>(nil)

    init() {
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) != 0 { fds = [-1, -1] }
        for fd in fds where fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        (wakeFD, wakeWrite) = (fds[0], fds[1])
    }

    deinit {
        if wakeFD >= 0 { close(wakeFD) }
        if wakeWrite >= 0 { close(wakeWrite) }
    }

    /// Runs `body` on a new thread; false if there is no wake pipe or no thread.
    func start(_ body: @escaping @Sendable () -> Void) -> Bool {
        guard wakeFD >= 0, let t = BackgroundThread.start(body) else { return false }
        thread.withLock { $0 = t }
        return true
    }

    /// Asks the loop to end and waits until it has (its current step finishes first).
    func stop() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
        if let t = thread.withLock({ t -> pthread_t? in defer { t = nil }; return t }) { pthread_join(t, nil) }
    }

    /// Waits up to `milliseconds`; true when it is time to stop (asked to, or poll failed).
    func waitForStop(milliseconds: Int32) -> Bool {
        var fd = pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)
        let ready = poll(&fd, 1, milliseconds)
        if ready > 0 { return true }
        return ready < 0 && errno != EINTR
    }
}

/// The signals the daemon handles itself, blocked in every thread so none takes a default action.
package enum DaemonSignals {
    /// SIGHUP, SIGTERM, SIGINT (libmilter's signal thread: stop) and SIGUSR1 (reload).
    package static let handled: [Int32] = [SIGHUP, SIGTERM, SIGINT, SIGUSR1]

    /// Blocks `handled` in the calling thread and every thread it starts later. Call it as the
    /// first statement of the program, before anything can start a thread.
    package static func block() {
        var set = sigset_t()
        sigemptyset(&set)
        for s in handled { sigaddset(&set, s) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Undoes `block()` for commands that start no milter (check-config, version), so Ctrl-C works.
    package static func unblock() {
        var set = sigset_t()
        sigemptyset(&set)
        for s in handled { sigaddset(&set, s) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// Calls `reload` for each SIGUSR1, forever, on its own thread: the only thread with SIGUSR1
    /// unblocked, where a handler (CMilterGuard's reload_signal.c) turns the signal into a byte
    /// on a pipe that the thread reads. Not sigwait: Swift's crash handler took a thread waiting
    /// in sigwait for SIGUSR1 as one that can be paused with it, so every crash ran 16 reloads
    /// and took 33 s to end (see the header). Signals that came before the thread are kept
    /// pending (blocked) and handled when it unblocks them.
    static func startReloadThread(_ reload: @escaping @Sendable () -> Void) -> Bool {
        let pipe = breakwater_reload_signal_install(SIGUSR1)
        guard pipe >= 0 else { return false }
        return BackgroundThread.start {
            var set = sigset_t()
            sigemptyset(&set)
            sigaddset(&set, SIGUSR1)
            pthread_sigmask(SIG_UNBLOCK, &set, nil)
            var bytes = [UInt8](repeating: 0, count: 64)
            while true {
                // why a batch: signals that came together are one reload.
                let n = bytes.withUnsafeMutableBytes { read(pipe, $0.baseAddress, $0.count) }
                if n > 0 { reload() } else if n == 0 || errno != EINTR { return }
            }
        } != nil
    }
}
