/// Reads the fields of one response payload in order, turning every short or unterminated
/// field into a typed error instead of an out-of-bounds trap.
struct PayloadReader {
    let code: ResponseCode
    let bytes: [UInt8]
    private(set) var index = 0

    init(_ code: ResponseCode, _ bytes: [UInt8]) {
        self.code = code
        self.bytes = bytes
    }

    var isAtEnd: Bool { index == bytes.count }

    mutating func uint32(_ field: String) throws(WireError) -> UInt32 {
        guard bytes.count - index >= 4 else { throw .truncatedPayload(code, field: field) }
        let value = UInt32(bytes[index]) << 24 | UInt32(bytes[index + 1]) << 16
            | UInt32(bytes[index + 2]) << 8 | UInt32(bytes[index + 3])
        index += 4
        return value
    }

    mutating func string(_ field: String) throws(WireError) -> String {
        guard index < bytes.count else { throw .truncatedPayload(code, field: field) }
        guard let nul = bytes[index...].firstIndex(of: 0) else {
            throw .missingTerminator(code, field: field)
        }
        let text = String(decoding: bytes[index..<nul], as: UTF8.self)
        index = nul + 1
        return text
    }

    /// A string if any bytes remain, nil at the end (for optional trailing fields).
    mutating func optionalString(_ field: String) throws(WireError) -> String? {
        isAtEnd ? nil : try string(field)
    }

    func expectEnd() throws(WireError) {
        guard isAtEnd else { throw .unexpectedPayload(code, extraBytes: bytes.count - index) }
    }
}
