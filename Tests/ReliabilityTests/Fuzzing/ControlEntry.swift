import Daemon

extension FuzzEntry {
    /// The control socket's wire form (`ControlCodec`), on the line a peer could send: the bytes
    /// up to the first newline, as the server and the CLI cut them. Decoded as a request and as a
    /// response, each is a value or nil, never a crash; a value encodes to exactly one line,
    /// which decodes to the same value and encodes again to the same bytes.
    static func control(_ bytes: [UInt8]) -> String? {
        let line = Array(bytes.prefix { $0 != 0x0A }.prefix(ControlCodec.maxRequestBytes))
        if let request = ControlCodec.decode(ControlRequest.self, from: line),
           let broken = controlRoundTrip(request) {
            return "request: \(broken)"
        }
        if let response = ControlCodec.decode(ControlResponse.self, from: line),
           let broken = controlRoundTrip(response) {
            return "response: \(broken)"
        }
        return nil
    }

    private static func controlRoundTrip<T: Codable & Equatable>(_ value: T) -> String? {
        let encoded = ControlCodec.encode(value)
        guard encoded.last == 0x0A, !encoded.dropLast().contains(0x0A) else { return "encodes to other than one line" }
        guard let again = ControlCodec.decode(T.self, from: encoded.dropLast()) else {
            return "encodes to a line that does not decode: \(String(decoding: encoded.prefix(200), as: UTF8.self))"
        }
        guard again == value else { return "decode(encode(x)) differs from x: \(again) vs \(value)" }
        guard ControlCodec.encode(again) == encoded else { return "encode(decode(encode(x))) is not stable" }
        return nil
    }
}
