import Glibc

/// The CLI's side of the control socket: sends one request, reads the one answer.
package enum ControlClient {
    /// Why the daemon could not be asked: the line the CLI prints, and its exit status.
    package struct Unreachable: Error, CustomStringConvertible {
        /// The one-line message, starting `breakwater:`.
        package let description: String
        /// 69 (EX_UNAVAILABLE): the daemon is not there or did not answer.
        package let status: Int32 = 69
    }

    /// Asks the daemon at `socket`; the answer, or why there is none.
    package static func ask(_ request: ControlRequest, socket path: String, timeout: Int = 30) -> Result<ControlResponse, Unreachable> {
        let fd: Int32
        switch SocketIO.connectUnix(path) {
        case .failure(let f):
            return .failure(Unreachable(description: "breakwater: cannot reach the daemon at \(path): \(f.reason) (is it running?)"))
        case .success(let s): fd = s
        }
        defer { close(fd) }
        SocketIO.setTimeout(fd, seconds: timeout)
        guard SocketIO.writeAll(fd, ControlCodec.encode(request)) else {
            return .failure(Unreachable(description: "breakwater: the daemon at \(path) closed the connection"))
        }
        let newline = UInt8(ascii: "\n")
        guard let bytes = SocketIO.read(fd, limit: ControlCodec.maxResponseBytes, until: { $0.last == newline }),
              let response = ControlCodec.decode(ControlResponse.self, from: bytes.prefix { $0 != newline }) else {
            return .failure(Unreachable(description: "breakwater: no answer from the daemon at \(path) (timed out or not a Breakwater control socket)"))
        }
        return .success(response)
    }
}
