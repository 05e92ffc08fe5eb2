@testable import Milter
import Testing

struct NegotiationTests {
    /// What Postfix offers: every action and every protocol bit.
    static let everyAction: UInt = 0x1FF
    static let everyFlag: UInt = 0x001F_FFFF

    static func negotiate(
        actions: FilterActions = [.addHeaders], steps: FilterSteps = .all, answered: FilterSteps = [],
        macros: Bool = false, offeredActions: UInt = everyAction, offeredFlags: UInt = everyFlag
    ) -> Negotiation {
        Negotiation(actions: actions, steps: steps, answeredSteps: answered, wantsMacros: macros,
                    offeredActions: offeredActions, offeredFlags: offeredFlags)
    }

    @Test func unansweredStepsAreNoReplyAndBodyIsNeverSent() {
        let agreed = Self.negotiate()
        #expect(agreed.protocolFlags.isSuperset(of: [.noReplyConnect, .noReplyHelo, .noReplyMail,
                                                     .noReplyRecipient, .noReplyHeader, .noReplyEndOfHeaders]))
        #expect(agreed.protocolFlags.isSuperset(of: [.noBody, .noData, .noUnknown]))
        #expect(agreed.noReplySteps == .all)
        #expect(agreed.protocolFlags.isDisjoint(with: [.noConnect, .noHelo, .noMail, .noRecipient, .noHeaders, .noEndOfHeaders]))
    }

    @Test func answeredStepsStillGetAReply() {
        let agreed = Self.negotiate(answered: [.recipient])
        #expect(!agreed.protocolFlags.contains(.noReplyRecipient))
        #expect(!agreed.noReplySteps.contains(.recipient))
        #expect(agreed.noReplySteps.contains(.mailFrom))
    }

    @Test func stepsNobodyHearsAreNotSent() {
        let agreed = Self.negotiate(steps: [.mailFrom, .recipient, .header])
        #expect(agreed.protocolFlags.isSuperset(of: [.noConnect, .noHelo, .noEndOfHeaders]))
        #expect(agreed.protocolFlags.isDisjoint(with: [.noMail, .noRecipient, .noHeaders]))
    }

    @Test func onlyBitsTheMTAOfferedAreRequested() {
        // An old MTA offering no no-reply bits and only the skip bits for body and helo.
        let offered = ProtocolFlags([.noBody, .noHelo]).rawValue
        let agreed = Self.negotiate(steps: [.mailFrom], offeredFlags: offered)
        #expect(agreed.protocolFlags == [.noBody, .noHelo])
        #expect(agreed.noReplySteps.isEmpty)
    }

    @Test func actionsAreThoseDeclaredAndOffered() {
        let declared: FilterActions = [.addHeaders, .quarantine, .deleteRecipients]
        #expect(Self.negotiate(actions: declared).actions == declared)
        let offered = FilterActions([.addHeaders, .addRecipients]).rawValue
        #expect(Self.negotiate(actions: declared, offeredActions: offered).actions == [.addHeaders])
    }

    @Test func macroListsNeedTheSetSymListAction() {
        #expect(Self.negotiate(macros: true).actions.contains(.setMacroList))
        #expect(Self.negotiate(macros: true).mayChooseMacros)
        #expect(!Self.negotiate(macros: false).actions.contains(.setMacroList))
        let withoutSymList = Self.everyAction & ~FilterActions.setMacroList.rawValue
        #expect(!Self.negotiate(macros: true, offeredActions: withoutSymList).mayChooseMacros)
    }

    @Test func namedConstantsMatchTheInstalledHeaders() {
        #expect(checkConstantsMatchHeaders())
    }
}
