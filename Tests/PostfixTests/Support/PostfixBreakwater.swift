import Foundation
import TestSupport

extension PrivatePostfix {
    /// Storm settings every scenario starts from: the list (200) is far above the threshold,
    /// the fourth reply-all trips the storm, and no hard gate stops the first.
    static let stormSettings = """
        reply_all_threshold = 50
        trip_replies = 3
        hard_gate = off
        """

    /// The real `breakwater` binary as this Postfix's milter, on the socket main.cf names,
    /// sizing lists from Postfix's own map (`postfix_tables = yes`), with `settings` last.
    /// Config and snapshot are in the Postfix folder, which stays when the daemon is finished.
    func startBreakwater(_ settings: String) throws -> TestDaemon {
        // why: every scenario starts from an empty ledger; a snapshot is only for restarts within one.
        try? FileManager.default.removeItem(atPath: "\(root)/ledger.snapshot")
        return try TestDaemon(settings, base: """
            socket_group = postfix
            socket_mode = 0660
            postfix_tables = yes
            postfix_config_directory = \(etc)
            log_level = debug
            \(Self.stormSettings)
            """, sizes: nil, folder: root, removesFolder: false, socketPath: milterSocket,
            logName: "breakwater-\(UUID().uuidString.prefix(6))")
    }
}
