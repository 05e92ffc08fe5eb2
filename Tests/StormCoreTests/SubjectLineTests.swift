import StormCore
import Testing

@Suite("Subject lines of replies, forwards and recalls")
struct SubjectLineTests {
    @Test("Reply and forward prefixes of many mailers and languages are all stripped")
    func stackedPrefixes() {
        #expect(SubjectLine.base("Re: RE: AW: Sv: Antw: Réf: Fwd: FW: Re[2]: Budget 2024") == "Budget 2024")
        #expect(SubjectLine.base("RE : Réunion de lundi") == "Réunion de lundi")
        #expect(SubjectLine.base("Re(3):Plan") == "Plan")
        #expect(SubjectLine.base("WG: Doorst: Tr: RV: Enc: Odp: YNT: Budget") == "Budget")
        #expect(SubjectLine.base("回复：会议纪要") == "会议纪要")
        #expect(SubjectLine.base("ΑΠ: Συνάντηση") == "Συνάντηση")
    }

    @Test("A list tag before or after the prefixes gives the same base as the original")
    func listTags() {
        let original = SubjectLine.base("[all-staff] Parking changes")
        #expect(original == "Parking changes")
        #expect(SubjectLine.base("Re: [all-staff] Parking changes") == original)
        #expect(SubjectLine.base("[all-staff] Re: RE: Parking changes") == original)
    }

    @Test("Folding, runs of blanks and control characters are cleaned")
    func whitespaceAndControls() {
        #expect(SubjectLine.base("Re: Quarterly\r\n\t results   now  ") == "Quarterly results now")
        #expect(SubjectLine.base("Re: a\u{0}b\u{7}c\u{9B}d") == "abcd")
        #expect(SubjectLine.base("\u{A0}Re:\u{2003}Lunch\u{3000}today") == "Lunch today")
    }

    @Test("Words that merely start like a prefix are part of the subject")
    func notPrefixes() {
        #expect(SubjectLine.base("Remember: lunch") == "Remember: lunch")
        #expect(SubjectLine.base("Re-org plan") == "Re-org plan")
        #expect(SubjectLine.base("Subject: hello") == "Subject: hello")
        #expect(SubjectLine.base("Re[12345]: x") == "Re[12345]: x")
    }

    @Test("The cut never splits a character and respects maxBytes")
    func cutOnCharacterBoundary() {
        #expect(SubjectLine.base("héllo world", maxBytes: 5) == "héll")
        #expect(SubjectLine.base("héllo world", maxBytes: 2) == "h")
        #expect(SubjectLine.base("ab" + "e\u{301}" + "cd", maxBytes: 4) == "ab")
        #expect(SubjectLine.base("ab" + "e\u{301}" + "cd", maxBytes: 5) == "ab" + "e\u{301}")
        #expect(SubjectLine.base("Re: 🇫🇷🇩🇪", maxBytes: 9) == "🇫🇷")
        #expect(SubjectLine.base("Re: one two", maxBytes: 4) == "one")
        #expect(SubjectLine.base("anything", maxBytes: 0) == "")
        let long = String(repeating: "ü", count: 500)
        #expect(SubjectLine.base(long).utf8.count == 200)
    }

    @Test("A reply is a subject whose first prefix is a reply prefix")
    func replies() {
        for subject in ["Re: x", "AW: x", "Sv: x", "Antw: x", "Réf: x", "re:x", "Re[3]: x", "[list] Re: x", "  RE: x", "回复：x"] {
            #expect(SubjectLine.looksLikeReply(subject), "\(subject)")
        }
        for subject in ["Fwd: Re: x", "FW: x", "Remember: x", "x", "", "[list] x", "Re x"] {
            #expect(!SubjectLine.looksLikeReply(subject), "\(subject)")
        }
    }

    @Test("Outlook recall requests, in English and German, also behind reply prefixes")
    func recalls() {
        #expect(SubjectLine.looksLikeRecall("Recall: Budget 2024"))
        #expect(SubjectLine.looksLikeRecall("Rückruf: Budget 2024"))
        #expect(SubjectLine.looksLikeRecall("RE: Recall: Budget 2024"))
        #expect(SubjectLine.looksLikeRecall("[all-staff] recall : Budget"))
        #expect(!SubjectLine.looksLikeRecall("Recall of products"))
        #expect(!SubjectLine.looksLikeRecall("Product recall: notice"))
        #expect(!SubjectLine.looksLikeRecall("Rappel : réunion demain"))
    }
}
