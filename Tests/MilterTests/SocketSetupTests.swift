@testable import Milter
import Glibc
import Testing

struct SocketSetupTests {
    /// A listening loopback socket of our own, as libmilter would leave after smfi_opensocket.
    private func listener() throws -> (fd: Int32, port: UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ready = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        try #require(ready && listen(fd, 4) == 0)
        return (fd, UInt16(bigEndian: address.sin_port))
    }

    private func noDelay(_ fd: Int32) -> Int32 {
        var value: Int32 = -1
        var size = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &value, &size)
        return value
    }

    @Test func tcpNoDelayIsSetOnTheListenerForOurPortOnly() throws {
        let ours = try listener(), other = try listener()
        defer { close(ours.fd); close(other.fd) }
        #expect(noDelay(ours.fd) == 0)
        #expect(SocketSetup.setNoDelayOnListener(port: ours.port) == 1)
        #expect(noDelay(ours.fd) != 0)
        #expect(noDelay(other.fd) == 0)
    }

    /// A process killed between binding and renaming leaves `.NAME.PID`; the next start removes
    /// it when that process is gone, and keeps a live process's, our own, and other files.
    @Test func staleStagingSocketsOfDeadProcessesAreRemoved() throws {
        let folder = "/tmp/milter-tests-staging-\(getpid())"
        mkdir(folder, 0o700)
        defer { system("rm -rf \(folder)") }
        func makeSocket(_ name: String) throws {
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            try #require(fd >= 0)
            defer { close(fd) }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (i, byte) in "\(folder)/\(name)".utf8.enumerated() { raw[i] = byte }
            }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            try #require(bound == 0)
        }
        // A pid that cannot be alive: above the kernel's pid_max.
        let dead = Int32(4_194_305)
        try makeSocket(".milter.sock.\(dead)")
        try makeSocket(".milter.sock.\(getpid())")
        try makeSocket(".milter.sock.1")
        try makeSocket(".other.sock.\(dead)")
        _ = creat("\(folder)/.milter.sock.\(dead + 1)", 0o600)
        let removed = SocketSetup.removeStaleStaging(for: "\(folder)/milter.sock")
        #expect(removed == ["\(folder)/.milter.sock.\(dead)"])
        for kept in [".milter.sock.\(getpid())", ".milter.sock.1", ".other.sock.\(dead)", ".milter.sock.\(dead + 1)"] {
            #expect(access("\(folder)/\(kept)", F_OK) == 0, "\(kept) was removed")
        }
    }

    @Test func aSocketFileNobodyListensOnIsNotInUse() throws {
        let path = "/tmp/milter-tests-absent-\(getpid()).sock"
        #expect(!SocketSetup.isSomeoneListening(onUnixPath: path))
    }

    @Test func clientAddressesBecomeText() {
        var v4 = sockaddr_in()
        v4.sin_family = sa_family_t(AF_INET)
        v4.sin_addr.s_addr = inet_addr("192.0.2.7")
        let v4Text = withUnsafeMutablePointer(to: &v4) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { ClientAddress.text($0) }
        }
        #expect(v4Text == "192.0.2.7")

        var v6 = sockaddr_in6()
        v6.sin6_family = sa_family_t(AF_INET6)
        inet_pton(AF_INET6, "2001:db8::1", &v6.sin6_addr)
        let v6Text = withUnsafeMutablePointer(to: &v6) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { ClientAddress.text($0) }
        }
        #expect(v6Text == "2001:db8::1")

        var local = sockaddr_un()
        local.sun_family = sa_family_t(AF_UNIX)
        let localText = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { ClientAddress.text($0) }
        }
        #expect(localText == nil)
        #expect(ClientAddress.text(nil) == nil)
    }
}
