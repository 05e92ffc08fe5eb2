import Replay

extension FuzzEntry {
    /// Session files (the replay format): hostile text gives a `SessionFileError` listing at
    /// most `maxProblems` problems, never a crash.
    static func session(_ bytes: [UInt8]) -> String? {
        do {
            let file = try SessionParser.parse(bytes, name: "fuzz.session")
            guard file.messageCount >= 0 else { return "negative message count" }
        } catch {
            guard error.problems.count <= SessionParser.maxProblems + 1 else {
                return "\(error.problems.count) problems reported, cap is \(SessionParser.maxProblems)"
            }
        }
        return nil
    }
}
