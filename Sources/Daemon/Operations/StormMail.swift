import BreakwaterConfig
import Glibc
import Logging
import StormCore

/// Sends one summary mail when a storm trips — to the configured addresses (`notify_mail`)
/// and, when `notify_author` is on, to the thread's original author — by SMTP to the local
/// Postfix (`notify_relay`, 127.0.0.1:25 by default), or through a `sendmail` program when
/// `sendmail_path` is set. Once per storm, never per stopped reply.
///
/// The mail carries no In-Reply-To or References, so it is not itself a reply into the storm,
/// and `Auto-Submitted: auto-generated` (RFC 3834) so auto-responders leave it alone.
final class StormMail: Sendable {
    /// A sendmail program to pipe the mail into; empty: SMTP to `relay`.
    let sendmail: String
    /// The SMTP server the mail is handed to (address, port), when `sendmail` is empty.
    private let relayAddress: UInt32
    private let relayPort: UInt16
    let relayText: String
    let recipients: [String]
    let toAuthor: Bool
    let timeout: Int64
    private let ledger: ThreadLedger
    private let logger: Logger

    init?(sendmail: String, relay: String, recipients: [String], toAuthor: Bool, timeout: Int64,
          ledger: ThreadLedger, logger: Logger) {
        guard !recipients.isEmpty || toAuthor else { return nil }
        let parsed = IPv4HostPort.parse(relay)
        guard !sendmail.isEmpty || parsed != nil else { return nil }
        self.sendmail = sendmail
        self.relayAddress = parsed?.0.s_addr ?? 0
        self.relayPort = parsed?.1 ?? 0
        self.relayText = relay
        self.recipients = recipients
        self.toAuthor = toAuthor
        self.timeout = timeout
        self.ledger = ledger
        self.logger = logger
    }

    /// Who gets the mail for this storm: the configured addresses, plus the author if asked and
    /// if the author is a plain mailbox (it comes from mail, so it is checked, not trusted).
    func addressees(author: String) -> [String] {
        var out = recipients
        if toAuthor, let a = AddressParser.mailbox(author), !a.domain.isEmpty, !out.contains(a.key) {
            out.append(a.key)
        }
        return out
    }

    /// The message text for one storm (headers, blank line, body), CRLF-free lines joined by LF
    /// as sendmail expects on its standard input.
    func message(for event: StormEvent, to: [String]) -> String {
        let s = ledger.thread(event.thread.description, now: event.at)
        func clean(_ v: String) -> String { ReplyTemplate.clean(v, maxBytes: 200) }
        let subject = clean(s?.subject ?? event.subject)
        let until = event.blockedUntil.map { OperationsText.time($0.seconds) } ?? "-"
        return """
            To: \(to.joined(separator: ", "))
            Subject: Reply-all storm stopped: \(subject.isEmpty ? "(no subject)" : subject)
            Auto-Submitted: auto-generated
            Precedence: bulk
            MIME-Version: 1.0
            Content-Type: text/plain; charset=utf-8

            Breakwater stopped a reply-all storm.

              thread:            \(event.thread)
              subject:           \(subject)
              original author:   \(clean(s?.author ?? "-"))
              root Message-ID:   \(clean(s?.rootID ?? "-"))
              audience:          \(s?.audience ?? event.threadAudience)
              reply-alls passed: \(s?.repliesPassed ?? event.repliesInWindow)
              tripped at:        \(OperationsText.time(event.at.seconds))
              blocked until:     \(until)

            Replies to the author alone still go through. Reply-alls to the whole audience are
            refused until the block ends. An administrator can lift it with
            "breakwater release \(event.thread)".

            """
    }

    /// Sends the mail for `event` on a thread of its own and returns at once.
    func send(_ event: StormEvent) {
        let author = ledger.thread(event.thread.description, now: event.at)?.author ?? ""
        let to = addressees(author: author)
        guard !to.isEmpty else { return }
        let text = message(for: event, to: to)
        let started = BackgroundThread.start({ [self] in deliver(text, to: to, thread: event.thread) })
        if started == nil { logger.error("cannot start a thread; storm \(event.thread) summary mail not sent") }
    }

    /// Where the mail goes, for the start-up log line.
    var route: String { sendmail.isEmpty ? "SMTP \(relayText)" : sendmail }

    private func deliver(_ text: String, to: [String], thread: MessageKey) {
        let list = to.joined(separator: ",")
        guard !sendmail.isEmpty else {
            var host = [CChar](repeating: 0, count: 256)
            gethostname(&host, host.count - 1)
            let name = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            switch SMTPRelay.send(text, to: to, relay: (in_addr(s_addr: relayAddress), relayPort),
                                  heloName: name.isEmpty ? "localhost" : name, timeout: Int(timeout)) {
            case .success: logger.info("storm \(thread): summary mail sent to \(list) through \(relayText)")
            case .failure(let f): logger.warning("storm \(thread): summary mail to \(list) through \(relayText) failed: \(f)")
            }
            return
        }
        // `--` so that no address, even a hostile-looking one, is read as an option.
        switch BoundedCommand.run([sendmail, "-i", "--"] + to, environment: ["PATH=/usr/sbin:/usr/bin:/bin"],
                                  input: Array(text.utf8), timeout: timeout) {
        case .exited(0):
            logger.info("storm \(thread): summary mail sent to \(list) through \(sendmail)")
        case .exited(let code):
            logger.warning("storm \(thread): \(sendmail) ended with status \(code); summary mail may be lost")
        case .killedAfterTimeout:
            logger.warning("storm \(thread): \(sendmail) ran past \(timeout)s and was killed")
        case .couldNotStart(let why):
            logger.error("storm \(thread): cannot start \(sendmail): \(why)")
        }
    }
}
