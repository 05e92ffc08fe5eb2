import Glibc
import Replay

/// Plain POSIX threads for the senders: one blocking milter connection per thread, as an MTA's
/// smtpd processes have. Started and joined; nothing else.
enum TrafficThreads {
    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    /// Runs `body(i)` for i in 0..<count on `count` new threads and returns when all are done.
    /// False if the system refused a thread (the ones started are still joined).
    static func run(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) -> Bool {
        var threads: [pthread_t] = []
        var refused = false
        for i in 0..<count {
            let context = Unmanaged.passRetained(Body { body(i) }).toOpaque()
            var thread = pthread_t()
            let status = pthread_create(&thread, nil, { raw in
                guard let raw else { return nil }
                Unmanaged<Body>.fromOpaque(raw).takeRetainedValue().run()
                return nil
            }, context)
            if status == 0 {
                threads.append(thread)
            } else {
                Unmanaged<Body>.fromOpaque(context).release()
                refused = true
            }
        }
        for thread in threads { pthread_join(thread, nil) }
        return !refused
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

/// Each sender's traffic is reproducible from its seed.
typealias TrafficRandom = SeededRandom
