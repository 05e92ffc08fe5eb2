public import MilterWire

extension TestDaemon {
    /// A well-behaved MilterWire client on the daemon's milter socket, past connect and HELO.
    public func client(timeout: Duration = .seconds(15)) throws -> MilterClient {
        try Self.client(listen: listen, timeout: timeout)
    }

    /// The same on the socket `listen` (Postfix spelling), for a thread that holds only the
    /// socket's name: a `TestDaemon` is not `Sendable`, its `listen` is.
    public static func client(listen: String, timeout: Duration = .seconds(15)) throws -> MilterClient {
        let client = try MilterClient(connectingTo: listen, configuration: .init(timeout: timeout))
        _ = try client.connect(hostname: "client.example.test", address: .inet(address: "192.0.2.7", port: 40000))
        _ = try client.helo("client.example.test")
        return client
    }
}
