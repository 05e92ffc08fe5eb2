import CMilter
import Glibc

// The functions libmilter calls. They are global (not closures in main.swift) so they are
// nonisolated: libmilter calls them from its worker threads, one connection at a time, but
// not always from the same thread.

func milterNegotiate(
    _ context: OpaquePointer?, _ offeredActions: UInt, _ offeredFlags: UInt, _: UInt, _: UInt,
    _ actionsOut: UnsafeMutablePointer<UInt>?, _ flagsOut: UnsafeMutablePointer<UInt>?,
    _ reserved2: UnsafeMutablePointer<UInt>?, _ reserved3: UnsafeMutablePointer<UInt>?
) -> Int32 {
    guard let registered = registration.withLock({ $0 }) else { return CallbackStatus.allOptions.rawValue }
    let configuration = registered.configuration
    let wantsMacros = configuration.macros.values.contains { !$0.isEmpty }
    let agreed = Negotiation(
        actions: configuration.actions, steps: configuration.steps,
        answeredSteps: configuration.answeredSteps, wantsMacros: wantsMacros,
        offeredActions: offeredActions, offeredFlags: offeredFlags)
    // why: a repeated negotiation on one connection must not leak the previous session.
    if let previous = Session.detach(from: context) { previous.handler.close() }
    Session(handler: registered.makeHandler(), heardSteps: configuration.steps,
            noReplySteps: agreed.noReplySteps, actions: agreed.actions).attach(to: context)
    if agreed.mayChooseMacros {
        for (stage, names) in configuration.macros where !names.isEmpty {
            _ = Macros.symbolList(names).withCString {
                smfi_setsymlist(context, stage.rawValue, UnsafeMutablePointer(mutating: $0))
            }
        }
    }
    actionsOut?.pointee = agreed.actions.rawValue
    flagsOut?.pointee = agreed.protocolFlags.rawValue
    reserved2?.pointee = 0
    reserved3?.pointee = 0
    return CallbackStatus.proceed.rawValue
}

func milterConnect(
    _ context: OpaquePointer?, _ hostname: UnsafeMutablePointer<CChar>?, _ address: UnsafeMutablePointer<sockaddr>?
) -> Int32 {
    guard let session = Session.currentOrNew(context) else { return CallbackStatus.proceed.rawValue }
    let name = hostname.map { String(cString: $0) } ?? ""
    let text = ClientAddress.text(address)
    return session.step(.connect, context) { $0.connect(hostname: name, address: text, macros: Macros(context)) }
}

func milterHelo(_ context: OpaquePointer?, _ name: UnsafeMutablePointer<CChar>?) -> Int32 {
    guard let session = Session.currentOrNew(context) else { return CallbackStatus.proceed.rawValue }
    let helo = name.map { String(cString: $0) } ?? ""
    return session.step(.helo, context) { $0.helo(helo, macros: Macros(context)) }
}

func milterMailFrom(_ context: OpaquePointer?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guard let session = Session.currentOrNew(context) else { return CallbackStatus.proceed.rawValue }
    let args = arguments(argv)
    return session.step(.mailFrom, context) { $0.mailFrom(args: args, macros: Macros(context)) }
}

func milterRecipient(_ context: OpaquePointer?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guard let session = Session.currentOrNew(context) else { return CallbackStatus.proceed.rawValue }
    let args = arguments(argv)
    return session.step(.recipient, context) { $0.recipient(args: args, macros: Macros(context)) }
}

func milterHeader(_ context: OpaquePointer?, _ name: UnsafeMutablePointer<CChar>?, _ value: UnsafeMutablePointer<CChar>?) -> Int32 {
    guard let session = Session.currentOrNew(context) else { return CallbackStatus.proceed.rawValue }
    let field = name.map { String(cString: $0) } ?? ""
    let body = value.map { String(cString: $0) } ?? ""
    return session.step(.header, context) { $0.header(name: field, value: body) }
}

func milterEndOfHeaders(_ context: OpaquePointer?) -> Int32 {
    guard let session = Session.currentOrNew(context) else { return CallbackStatus.proceed.rawValue }
    return session.step(.endOfHeaders, context) { $0.endOfHeaders(macros: Macros(context)) }
}

func milterEndOfMessage(_ context: OpaquePointer?) -> Int32 {
    guard let session = Session.currentOrNew(context) else { return CallbackStatus.proceed.rawValue }
    let reply = session.handler.endOfMessage(
        editor: MessageEditor(context, actions: session.actions), macros: Macros(context))
    return ReplyApplier.status(for: reply, context: context, endOfMessage: true)
}

func milterAbort(_ context: OpaquePointer?) -> Int32 {
    Session.current(context)?.handler.abort()
    return CallbackStatus.proceed.rawValue
}

func milterClose(_ context: OpaquePointer?) -> Int32 {
    // why: libmilter calls close even for a connection that never negotiated (NULL priv).
    Session.detach(from: context)?.handler.close()
    return CallbackStatus.proceed.rawValue
}

/// A NULL-terminated `char *argv[]` as strings.
private func arguments(_ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> [String] {
    guard var cursor = argv else { return [] }
    var result: [String] = []
    while let item = cursor.pointee {
        result.append(String(cString: item))
        cursor += 1
    }
    return result
}

/// The client address libmilter passes to connect, as text.
enum ClientAddress {
    /// IPv4 or IPv6 text; an IPv4-mapped IPv6 address as IPv4; nil for unix or unknown.
    static func text(_ address: UnsafeMutablePointer<sockaddr>?) -> String? {
        guard let address else { return nil }
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                let raw = v4.pointee.sin_addr
                return withUnsafeBytes(of: raw) { format(family: AF_INET, $0, length: Int(INET_ADDRSTRLEN)) }
            }
        case AF_INET6:
            return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                let raw = v6.pointee.sin6_addr
                let bytes = withUnsafeBytes(of: raw) { Array($0) }
                // why: a dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d; policy
                // and logs should see the plain IPv4 address.
                if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
                    return bytes[12...].map(String.init).joined(separator: ".")
                }
                return withUnsafeBytes(of: raw) { format(family: AF_INET6, $0, length: Int(INET6_ADDRSTRLEN)) }
            }
        default:
            return nil
        }
    }

    private static func format(family: Int32, _ raw: UnsafeRawBufferPointer, length: Int) -> String? {
        var buffer = [CChar](repeating: 0, count: length)
        guard inet_ntop(family, raw.baseAddress, &buffer, socklen_t(length)) != nil else { return nil }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
