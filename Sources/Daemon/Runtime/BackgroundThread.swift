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
