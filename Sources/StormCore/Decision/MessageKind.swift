/// Signs that a message was written by a program rather than a person.
enum MessageKind {
    /// True for auto-replies: `Auto-Submitted` other than `no` (RFC 3834), `Precedence` bulk,
    /// junk or auto_reply, Outlook recall requests, and (when the policy says so)
    /// `X-Auto-Response-Suppress` naming All, OOF or AutoReply.
    static func isAutomatic(_ h: MessageHeaders, policy: StormPolicy) -> Bool {
        if let a = h.autoSubmitted {
            let v = a.trimmingSpaces.lowercased()
            // Parameters may follow after ';' (`auto-replied; owner-email=...`).
            let word = v.split(separator: ";", maxSplits: 1).first.map { String($0).trimmingSpaces } ?? ""
            if !word.isEmpty, word != "no" { return true }
        }
        if let p = h.precedence {
            switch p.trimmingSpaces.lowercased() {
            case "bulk", "junk", "auto_reply", "auto-reply": return true
            default: break
            }
        }
        if let s = h.subject, mentionsRecall(s), SubjectLine.looksLikeRecall(s) { return true }
        if policy.autoResponseSuppressMeansAuto, let x = h.autoResponseSuppress?.lowercased(),
           x.contains("all") || x.contains("oof") || x.contains("autoreply") {
            return true
        }
        return false
    }

    /// A cheap first look for the recall words in the subject's first 200 bytes (ASCII case
    /// folded), so the full prefix parse runs only on the few subjects that could be recalls.
    static func mentionsRecall(_ subject: String) -> Bool {
        var window: UInt64 = 0
        for b in subject.utf8.prefix(200) {
            let folded = (b >= 0x41 && b <= 0x5a) ? b + 0x20 : b
            window = window << 8 | UInt64(folded)
            // "ecall" (Recall) and "ckruf" (Rückruf): the last five bytes seen.
            switch window & 0xff_ffff_ffff {
            case 0x65_6361_6c6c, 0x63_6b72_7566: return true
            default: continue
            }
        }
        return false
    }
}
