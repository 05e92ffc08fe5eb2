import Foundation
import TestSupport

extension TestDaemon {
    /// The Lua scripts kept in DaemonTests/lua, for Debian's miltertest.
    static let luaFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("lua").path

    /// Runs a Lua script from lua/ against the daemon.
    func script(_ name: String, _ defines: [String: String] = [:], logName: String? = nil) throws -> (passed: Bool, output: String) {
        try Miltertest.run(name, luaFolder: Self.luaFolder, socket: miltertestSocket, in: folder,
                           defines: defines, logName: logName)
    }
}
