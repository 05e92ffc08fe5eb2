@testable import Milter
import Testing

struct HeaderTextTests {
    @Test(arguments: [("X-Breakwater", true), ("X-A_b.c", true), ("", false), ("X Bad", false),
                      ("X:Bad", false), ("X-\u{e9}", false), ("X\r\nBcc", false)])
    func headerNamesArePrintableASCIIWithoutColonOrSpace(name: String, valid: Bool) {
        #expect(HeaderText.isValidName(name) == valid)
    }

    @Test func headerValueCannotStartANewHeaderLine() {
        #expect(HeaderText.sanitiseValue("storm\r\nBcc: all@example.org") == "storm  Bcc: all@example.org")
        #expect(HeaderText.sanitiseValue("a\tb\u{0}c\u{1B}d") == "a\tb c d")
    }

    @Test func envelopeAddressesWithControlCharactersAreRefused() throws {
        try HeaderText.refuseControlCharacters("<a@example.org>", what: "recipient")
        #expect(throws: MilterError.invalidEdit("recipient contains a control character")) {
            try HeaderText.refuseControlCharacters("<a@example.org>\r\nRCPT TO:<b@x>", what: "recipient")
        }
    }

    @Test func macroNamesGetBracesWhenLongerThanOneCharacter() {
        #expect(Macros.canonicalName("i") == "i")
        #expect(Macros.canonicalName("auth_authen") == "{auth_authen}")
        #expect(Macros.canonicalName("{rcpt_addr}") == "{rcpt_addr}")
        #expect(Macros.symbolList(["i", "auth_authen", "{mail_addr}"]) == "i {auth_authen} {mail_addr}")
    }

    @Test func editsWithoutTheirActionAreRefusedWithAnActionableMessage() {
        let editor = MessageEditor(nil, actions: [.addHeaders])
        #expect(throws: MilterError.actionNotNegotiated(.quarantine)) { try editor.quarantine(reason: "x") }
        #expect(throws: MilterError.actionNotNegotiated(.deleteRecipient)) { try editor.deleteRecipient("<a@b>") }
        #expect(throws: MilterError.actionNotNegotiated(.addRecipient)) { try editor.addRecipient("<a@b>") }
        #expect(String(describing: MilterError.actionNotNegotiated(.quarantine)).contains("MilterConfiguration.actions"))
        #expect(throws: MilterError.self) { try editor.addHeader("Bad Name", "x") }
    }
}
