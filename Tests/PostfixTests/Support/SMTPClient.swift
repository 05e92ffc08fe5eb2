import Foundation
import Glibc
import TestSupport

/// A message as a test writes it: envelope and the headers that matter to Breakwater.
struct TestMail {
    var sender: String
    var recipients: [String]
    var headers: [(String, String)]
    var body = "Hello.\n"

    /// The Message-ID header's value (with angle brackets), how delivered copies are found.
    var messageID: String { headers.first { $0.0.lowercased() == "message-id" }?.1 ?? "" }

    /// Headers, blank line and body; `lineEnding` is CRLF for SMTP, LF for sendmail.
    func text(lineEnding: String) -> String {
        let lines = headers.map { "\($0.0): \($0.1)" } + [""] + body.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        return lines.joined(separator: lineEnding)
    }
}

/// One SMTP reply: the code and its text lines joined.
struct SMTPReply: CustomStringConvertible {
    var code: Int
    var text: String
    var description: String { "\(code) \(text)" }
    /// The queue id from Postfix's `250 2.0.0 Ok: queued as ID`.
    var queueID: String? {
        text.range(of: "queued as ").map { String(text[$0.upperBound...]).trimmingCharacters(in: .whitespaces) }
    }
}

/// A minimal SMTP client on a blocking socket: enough to send test mail and read the exact reply
/// Postfix gives at each step (a milter's verdict arrives as the reply to the final dot).
final class SMTPClient {
    private let fd: Int32
    private var buffer: [UInt8] = []

    /// Connects to 127.0.0.1:`port`, reads the greeting and says EHLO.
    init(port: UInt16, timeoutSeconds: Int = 60) throws {
        guard let fd = try? LocalSocket.connect(loopbackPort: port, receiveTimeout: timeoutSeconds) else {
            throw SMTPError("cannot connect to 127.0.0.1:\(port)")
        }
        self.fd = fd
        let greeting = try reply()
        guard greeting.code == 220 else { close(fd); throw SMTPError("greeting: \(greeting)") }
        let hello = try command("EHLO client.corp.test")
        guard hello.code == 250 else { close(fd); throw SMTPError("EHLO: \(hello)") }
    }

    deinit { close(fd) }

    /// Points inside a transaction where a test may act (kill the milter, say).
    enum Step { case afterMail, afterRecipients, beforeFinalDot }

    /// Sends one message; returns the first refusal (MAIL, RCPT or DATA) or the reply to the
    /// final dot. After a refusal the transaction is reset, so the connection can go on.
    /// `step` is called at each point of `Step` the transaction reaches.
    func send(_ mail: TestMail, at step: (Step) -> Void = { _ in }) throws -> SMTPReply {
        let from = try command("MAIL FROM:<\(mail.sender)>")
        guard from.code == 250 else { _ = try command("RSET"); return from }
        step(.afterMail)
        for recipient in mail.recipients {
            let rcpt = try command("RCPT TO:<\(recipient)>")
            guard rcpt.code == 250 else { _ = try command("RSET"); return rcpt }
        }
        step(.afterRecipients)
        let data = try command("DATA")
        guard data.code == 354 else { _ = try command("RSET"); return data }
        // why: dot-stuffing, so a body line starting with "." cannot end the message early.
        let stuffed = mail.text(lineEnding: "\r\n").split(separator: "\r\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(".") ? "." + $0 : String($0) }.joined(separator: "\r\n")
        try write(stuffed + "\r\n")
        step(.beforeFinalDot)
        return try command(".")
    }

    /// Says QUIT and reads the goodbye.
    func quit() {
        _ = try? command("QUIT")
    }

    private func command(_ line: String) throws -> SMTPReply {
        try write(line + "\r\n")
        return try reply()
    }

    private func write(_ text: String) throws {
        let bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            // why MSG_NOSIGNAL: a peer that went away must be an error here, not SIGPIPE for the tests.
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + done, $0.count - done, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw SMTPError("write failed: \(String(cString: strerror(errno)))") }
            done += n
        }
    }

    /// Reads one reply: lines `NNN-text` up to the last `NNN text`.
    private func reply() throws -> SMTPReply {
        var texts: [String] = []
        while true {
            let line = try readLine()
            guard line.count >= 3, let code = Int(line.prefix(3)) else { throw SMTPError("not an SMTP reply: \(line)") }
            texts.append(String(line.dropFirst(4)))
            if line.count == 3 || line[line.index(line.startIndex, offsetBy: 3)] == " " {
                return SMTPReply(code: code, text: texts.joined(separator: " "))
            }
        }
    }

    private func readLine() throws -> String {
        while true {
            if let lf = buffer.firstIndex(of: 10) {
                let line = buffer[..<lf].filter { $0 != 13 }
                buffer.removeSubrange(...lf)
                return String(decoding: line, as: UTF8.self)
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw SMTPError(n == 0 ? "connection closed" : "read failed (timeout?)") }
            buffer += chunk[0..<n]
        }
    }
}

/// An SMTP conversation that went wrong in a way no scenario expects.
struct SMTPError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
