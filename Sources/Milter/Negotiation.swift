/// What this filter asks of one MTA connection, given what the MTA offered.
///
/// Pure, so the rules (only offered bits, no body, no reply where nobody listens) are
/// unit-tested without a socket.
struct Negotiation: Equatable {
    /// `SMFIF_*` bits requested: declared actions the MTA offered.
    let actions: FilterActions
    /// `SMFIP_*` bits requested.
    let protocolFlags: ProtocolFlags
    /// Steps whose callbacks must return SMFIS_NOREPLY on this connection.
    let noReplySteps: FilterSteps
    /// Whether `smfi_setsymlist` may be called (declared, offered, and wanted).
    let mayChooseMacros: Bool

    /// One step's three bits: "do not send", "do not wait for a reply", and its name.
    private static let stepFlags: [(step: FilterSteps, skip: ProtocolFlags, noReply: ProtocolFlags)] = [
        (.connect, .noConnect, .noReplyConnect),
        (.helo, .noHelo, .noReplyHelo),
        (.mailFrom, .noMail, .noReplyMail),
        (.recipient, .noRecipient, .noReplyRecipient),
        (.header, .noHeaders, .noReplyHeader),
        (.endOfHeaders, .noEndOfHeaders, .noReplyEndOfHeaders),
    ]

    init(
        actions declared: FilterActions, steps: FilterSteps, answeredSteps: FilterSteps,
        wantsMacros: Bool, offeredActions: UInt, offeredFlags: UInt
    ) {
        let offered = ProtocolFlags(rawValue: offeredFlags)
        var wanted = declared
        if wantsMacros { wanted.insert(.setMacroList) }
        // why: libmilter drops the connection if we ask for an action the MTA did not offer;
        // asking only for the offered ones lets a missing action fail loudly at the edit instead.
        actions = wanted.intersection(FilterActions(rawValue: offeredActions))
        mayChooseMacros = wantsMacros && actions.contains(.setMacroList)

        // why: no body/DATA/unknown callbacks exist here, so the MTA need never send them.
        var flags = ProtocolFlags([.noBody, .noData, .noUnknown]).intersection(offered)
        var noReply: FilterSteps = []
        let answered = answeredSteps.intersection(steps)
        for entry in Negotiation.stepFlags {
            if !steps.contains(entry.step) && offered.contains(entry.skip) {
                flags.insert(entry.skip)
            }
            // why: a step nobody answers costs a round trip per command unless it is no-reply.
            if !answered.contains(entry.step) && offered.contains(entry.noReply) {
                flags.insert(entry.noReply)
                noReply.insert(entry.step)
            }
        }
        protocolFlags = flags
        noReplySteps = noReply
    }
}
