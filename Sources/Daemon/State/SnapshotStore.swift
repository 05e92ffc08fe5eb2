package import BreakwaterConfig
import Glibc
package import Logging
package import StormCore

/// The ledger's file: read at start, written atomically on a timer and at stop.
///
/// Nothing here is fatal: a damaged file is set aside and the daemon starts empty; a file that
/// cannot be written is logged and filtering goes on.
package struct SnapshotStore: Sendable {
    /// The snapshot file; empty turns snapshots off.
    package let path: String

    /// A store at `path`.
    package init(path: String) { self.path = path }

    /// True when snapshots are on.
    package var isEnabled: Bool { !path.isEmpty }

    /// The ledger kept at `path`, or an empty one (with the reason logged).
    package func restore(limits: LedgerLimits, now: Instant, logger: Logger) -> ThreadLedger {
        guard isEnabled else {
            logger.info("snapshots are off (snapshot_path is empty); starting with an empty ledger")
            return ThreadLedger(limits: limits)
        }
        for (file, pid) in staleTemporaries() {
            if unlink(file) == 0 {
                logger.notice("removed \(file), a snapshot being written when process \(pid) ended")
            }
        }
        let bytes: [UInt8]
        switch FileIO.read(path) {
        case .success(let b):
            bytes = b
        case .failure(let error):
            if !FileIO.exists(path) {
                logger.info("no snapshot at \(path) yet; starting with an empty ledger")
            } else {
                logger.error("cannot read snapshot \(error); starting with an empty ledger")
            }
            return ThreadLedger(limits: limits)
        }
        do throws(SnapshotError) {
            let ledger = try ThreadLedger.restore(from: bytes, limits: limits)
            let totals = ledger.totals(now: now)
            logger.notice("restored \(totals.threads) threads (\(totals.activeStorms) storms blocked) from \(path)")
            return ledger
        } catch {
            let aside = "\(path).corrupt-\(now.seconds)"
            if rename(path, aside) == 0 {
                logger.error("snapshot \(path) is unusable: \(error); set aside as \(aside); starting with an empty ledger")
            } else {
                logger.error(Logger.Message(stringLiteral: "snapshot \(path) is unusable: \(error); could not set it aside "
                    + "(\(FileIO.describe(errno))); starting with an empty ledger"))
            }
            return ThreadLedger(limits: limits)
        }
    }

    /// Writes the ledger now. Returns the byte count, or why it failed.
    package func save(_ ledger: ThreadLedger, now: Instant) -> Result<Int, FileError> {
        let bytes = ledger.snapshot(now: now)
        return FileIO.writeAtomically(bytes, to: path).map { bytes.count }
    }

    /// Temporary snapshots (`.NAME.tmp.PID`, see `FileIO.writeAtomically`) left in the folder by
    /// a process that no longer exists: one killed while writing. Each is as large as a snapshot.
    func staleTemporaries() -> [(file: String, pid: Int32)] {
        let folder = FileIO.directory(of: path)
        let prefix = FileIO.temporaryPrefix(of: path)
        guard let dir = opendir(folder) else { return [] }
        defer { closedir(dir) }
        var found: [(String, Int32)] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name.hasPrefix(prefix), let pid = Int32(name.dropFirst(prefix.count)), pid > 0, pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { found.append(("\(folder)/\(name)", pid)) }
        }
        return found
    }
}
