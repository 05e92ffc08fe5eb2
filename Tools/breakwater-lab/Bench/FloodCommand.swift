import Glibc

/// `breakwater-lab ledger-flood [--ids N] [--cap N] [--smoke]`: prints what `Flood.run` saw and exits
/// non-zero when the cap was exceeded or the storm did not trip and stay blocked.
enum FloodCommand {
    static func run(ids: Int, cap: Int) {
        print("flood: \(fmt(Double(ids))) fresh ids (half announcements, half reply-alls to unseen threads), cap \(fmt(Double(cap))) threads, storm injected at id \(fmt(Double(ids / 2)))")
        let r = Flood.run(ids: ids, cap: cap, checkEvery: 100_000) { done, threads in
            if done % 1_000_000 == 0 { print("  \(fmt(Double(done))) ids: \(fmt(Double(threads))) threads, VmRSS \(fmt(Double(Flood.statusKiB("VmRSS:") ?? 0))) KiB") }
        }
        print("checks: \(r.checks) (every 100,000 ids and at the end), max threads seen \(fmt(Double(r.maxThreads))), over the cap \(r.overCap) times")
        print("end: \(fmt(Double(r.finalThreads))) threads, \(fmt(Double(r.indexedMessages))) ids indexed, \(fmt(Double(r.evictions))) evictions")
        print("storm: \(r.passedBeforeTrip) reply-alls passed, stopped at reply-all \(r.trippedAtReply.map(String.init) ?? "never"); next reply-all after the flood blocked: \(r.blockedAfterFlood)")
        print("announcements not taken as announcements: \(r.unexpectedVerdicts)")
        print("memory: VmRSS \(fmt(Double(r.residentKiB) / 1024, 1)) MiB at the end, VmHWM \(fmt(Double(r.peakResidentKiB) / 1024, 1)) MiB peak")
        print("time: \(fmt(r.seconds, 1)) s, \(fmt(Double(ids) / r.seconds)) ids/s")
        let ok = r.overCap == 0 && r.maxThreads <= cap && r.trippedAtReply == Flood.tripReplies + 1 && r.blockedAfterFlood && r.unexpectedVerdicts == 0
        print(ok ? "flood: OK" : "flood: FAILED")
        if !ok { exit(1) }
    }
}
