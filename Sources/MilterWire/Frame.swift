/// One milter frame: a code byte and its payload (the 4-byte length is implied).
public struct Frame: Sendable, Equatable {
    /// The command or response byte.
    public var code: UInt8
    /// Everything after the code byte.
    public var payload: [UInt8]

    /// A frame with the given code and payload.
    public init(code: UInt8, payload: [UInt8] = []) {
        self.code = code
        self.payload = payload
    }
}
