import CMilter
import Glibc
import Synchronization

/// The daemon's handler factory and settings, published once by ``MilterRunner/run(_:makeHandler:)``
/// for the C callbacks, which cannot capture anything.
struct Registration: Sendable {
    let configuration: MilterConfiguration
    let makeHandler: @Sendable () -> any MilterHandler
}

/// Set once before `smfi_main`, read by every new connection.
let registration = Mutex<Registration?>(nil)

/// One MTA connection: the daemon's handler plus what was agreed with the MTA.
///
/// A class because its identity is the point: libmilter holds it as the connection's private
/// pointer (`smfi_setpriv`) from negotiation to close.
final class Session {
    let handler: any MilterHandler
    /// Steps the handler hears.
    let heardSteps: FilterSteps
    /// Steps whose callbacks must answer SMFIS_NOREPLY.
    let noReplySteps: FilterSteps
    /// Actions the MTA granted.
    let actions: FilterActions

    init(handler: any MilterHandler, heardSteps: FilterSteps, noReplySteps: FilterSteps, actions: FilterActions) {
        self.handler = handler
        self.heardSteps = heardSteps
        self.noReplySteps = noReplySteps
        self.actions = actions
    }

    /// Hands a retained reference to libmilter; balanced by ``detach(from:)`` in close.
    func attach(to context: OpaquePointer?) {
        smfi_setpriv(context, Unmanaged.passRetained(self).toOpaque())
    }

    /// The session stored on `context`, if any (not retained: libmilter still owns it).
    static func current(_ context: OpaquePointer?) -> Session? {
        guard let raw = smfi_getpriv(context) else { return nil }
        return Unmanaged<Session>.fromOpaque(raw).takeUnretainedValue()
    }

    /// The session for `context`, created with defaults if negotiation did not make one.
    /// Nil only if the daemon never registered (cannot happen once `smfi_main` runs).
    static func currentOrNew(_ context: OpaquePointer?) -> Session? {
        if let session = current(context) { return session }
        guard let registered = registration.withLock({ $0 }) else { return nil }
        // why: an MTA that skipped option negotiation expects a reply to every step.
        let session = Session(
            handler: registered.makeHandler(), heardSteps: registered.configuration.steps,
            noReplySteps: [], actions: registered.configuration.actions)
        session.attach(to: context)
        return session
    }

    /// Takes the session off `context` and releases libmilter's reference.
    static func detach(from context: OpaquePointer?) -> Session? {
        guard let raw = smfi_getpriv(context) else { return nil }
        smfi_setpriv(context, nil)
        return Unmanaged<Session>.fromOpaque(raw).takeRetainedValue()
    }

    /// Runs one pre-message step: asks the handler if it listens, then answers as negotiated.
    func step(_ step: FilterSteps, _ context: OpaquePointer?, _ ask: (any MilterHandler) -> Reply) -> Int32 {
        let reply = heardSteps.contains(step) ? ask(handler) : .continue
        if noReplySteps.contains(step) { return CallbackStatus.noReply.rawValue }
        return ReplyApplier.status(for: reply, context: context, endOfMessage: false)
    }
}

/// Turns a ``Reply`` into an SMFIS_* status, setting the SMTP reply text on the way.
enum ReplyApplier {
    static func status(for reply: Reply, context: OpaquePointer?, endOfMessage: Bool) -> Int32 {
        switch reply {
        case .accept:
            return (endOfMessage ? CallbackStatus.accept : .proceed).rawValue
        case .continue:
            return CallbackStatus.proceed.rawValue
        case .discard:
            return CallbackStatus.discard.rawValue
        case let .reject(code, enhanced, text):
            if let text = ReplyText(permanent: true, code: code, enhanced: enhanced, text: text) {
                set(text, on: context)
            }
            return CallbackStatus.reject.rawValue
        case let .tempfail(code, enhanced, text):
            if let text = ReplyText(permanent: false, code: code, enhanced: enhanced, text: text) {
                set(text, on: context)
            }
            return CallbackStatus.tempfail.rawValue
        }
    }

    /// One line through `smfi_setreply`, several through the shim's `smfi_setmlreply`.
    /// A failure leaves the MTA's default text, which still carries the right class.
    private static func set(_ text: ReplyText, on context: OpaquePointer?) {
        let code = text.code, enhanced = text.enhanced
        if text.lines.count == 1 {
            _ = code.withCString { c in
                withOptionalCString(enhanced) { x in
                    text.lines[0].withCString { t in
                        smfi_setreply(context, UnsafeMutablePointer(mutating: c), x.map { UnsafeMutablePointer(mutating: $0) },
                                      UnsafeMutablePointer(mutating: t))
                    }
                }
            }
            return
        }
        // why: the lines must stay alive for the call; strdup gives stable pointers to free after.
        let lines = (0..<ReplyText.maximumLines).map { $0 < text.lines.count ? strdup(text.lines[$0]) : nil }
        defer { lines.forEach { free($0) } }
        _ = code.withCString { c in
            withOptionalCString(enhanced) { x in
                breakwater_setmlreply8(context, c, x, lines[0], lines[1], lines[2], lines[3],
                                       lines[4], lines[5], lines[6], lines[7])
            }
        }
    }

    private static func withOptionalCString<R>(_ string: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
        guard let string else { return body(nil) }
        return string.withCString { body($0) }
    }
}
