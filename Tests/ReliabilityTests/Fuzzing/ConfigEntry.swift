import BreakwaterConfig
import Daemon

extension FuzzEntry {
    /// The daemon's config parser (`ConfigLoader.parse`, with the daemon's checks): every problem points at a line of the
    /// text (or 0 for whole-policy problems), never a crash.
    static func config(_ bytes: [UInt8]) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        let lines = text.utf8.count(where: { $0 == 0x0A }) + 1
        switch ConfigLoader.parse(text, file: "fuzz.conf", checks: .daemon) {
        case .success: return nil
        case .failure(let errors):
            for p in errors.problems where p.line < 0 || p.line > lines {
                return "problem at line \(p.line) of \(lines): \(p.message)"
            }
            return nil
        }
    }
}
