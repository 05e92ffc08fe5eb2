import BreakwaterConfig
import Glibc

/// Hands one message to an SMTP server (the local Postfix on 127.0.0.1:25 by default): the
/// way the storm mail leaves the daemon. Postfix's sendmail cannot be used under the packaged
/// unit — its setgid postdrop needs privileges that NoNewPrivileges takes away — but a TCP
/// connection to the local smtpd needs none.
enum SMTPRelay {
    /// Why a delivery failed, in words for the log.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Sends `message` (header lines, a blank line, the body; LF line ends) from the null
    /// sender to `recipients` through `host:port`, waiting at most `timeout` seconds per step.
    static func send(_ message: String, to recipients: [String], relay: (in_addr, UInt16), heloName: String,
                     timeout: Int) -> Result<Void, Failure> {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return .failure(Failure(description: "socket: \(String(cString: strerror(errno)))")) }
        defer { close(fd) }
        SocketIO.setTimeout(fd, seconds: timeout)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = relay.1.bigEndian
        address.sin_addr = relay.0
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return .failure(Failure(description: "connect: \(String(cString: strerror(errno)))")) }

        let conversation = Conversation(fd: fd)
        do throws(Failure) {
            try conversation.expect(220, after: "greeting")
            try conversation.say("EHLO \(heloName)", expect: 250)
            // The null sender: a storm notice must never bounce back into a mail loop.
            try conversation.say("MAIL FROM:<>", expect: 250)
            for r in recipients { try conversation.say("RCPT TO:<\(r)>", expect: 250) }
            try conversation.say("DATA", expect: 354)
            try conversation.say(dotStuffed(message) + ".", expect: 250)
            _ = try? conversation.say("QUIT", expect: 221)
            return .success(())
        } catch {
            return .failure(error)
        }
    }

    /// CRLF line ends, and a leading dot doubled (RFC 5321 4.5.2) so no line ends the data early.
    static func dotStuffed(_ message: String) -> String {
        var out = ""
        for line in message.split(separator: "\n", omittingEmptySubsequences: false).dropLast(message.hasSuffix("\n") ? 1 : 0) {
            var l = line
            if l.hasSuffix("\r") { l = l.dropLast() }
            out += (l.hasPrefix(".") ? "." : "") + l + "\r\n"
        }
        return out
    }

    /// One SMTP client conversation: send a line, read the (possibly multi-line) reply.
    private struct Conversation {
        let fd: Int32

        func say(_ line: String, expect code: Int) throws(Failure) {
            guard SocketIO.writeAll(fd, Array((line.hasSuffix("\r\n") ? line : line + "\r\n").utf8)) else {
                throw Failure(description: "write failed during \(Self.verb(line))")
            }
            try expect(code, after: Self.verb(line))
        }

        func expect(_ code: Int, after step: String) throws(Failure) {
            // A reply ends with a line whose fourth character is a space ("250 ok"), not "-".
            guard let bytes = SocketIO.read(fd, limit: 64 * 1024, until: { b in
                guard b.last == 0x0A else { return false }
                // why isNewline: "\r\n" is one Character in Swift, so splitting on "\n" finds nothing.
                let lines = String(decoding: b, as: UTF8.self).split(whereSeparator: \.isNewline)
                guard let last = lines.last, last.count >= 4 else { return false }
                return last[last.index(last.startIndex, offsetBy: 3)] == " "
            }) else { throw Failure(description: "no reply after \(step) (timeout or connection closed)") }
            let text = String(decoding: bytes, as: UTF8.self)
            let last = text.split(whereSeparator: \.isNewline).last.map(String.init) ?? ""
            guard Int(last.prefix(3)) == code else {
                throw Failure(description: "\(step): \(LogText.escape(last, maxBytes: 200))")
            }
        }

        static func verb(_ line: String) -> String {
            line.hasPrefix("RCPT") || line.hasPrefix("MAIL") || line.hasPrefix("EHLO") || line.hasPrefix("DATA") || line.hasPrefix("QUIT")
                ? String(line.prefix(4)) : "end of data"
        }
    }
}
