import Glibc

/// Plain POSIX threads for the senders and hostile workers: one blocking milter connection per
/// thread, as an MTA's smtpd processes have. Started and joined; nothing else.
enum LabThreads {
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

    static func join(_ thread: pthread_t) {
        pthread_join(thread, nil)
    }

    /// Runs `body(i)` for i in 0..<count on `count` new threads and returns when all are done.
    /// False if the system refused a thread (the ones started are still joined).
    static func run(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) -> Bool {
        let threads = (0..<count).map { i in start { body(i) } }
        threads.compactMap { $0 }.forEach(join)
        return !threads.contains(nil)
    }

    /// Sleeps until `deadline` (pacing to hold a rate; never used to wait for a condition).
    static func sleep(until deadline: ContinuousClock.Instant) {
        let left = deadline - ContinuousClock.now
        guard left > .zero else { return }
        let (seconds, attoseconds) = left.components
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0, errno == EINTR { request = remaining }
    }
}
