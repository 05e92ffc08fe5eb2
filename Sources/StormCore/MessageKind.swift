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
        if let s = h.subject, SubjectLine.looksLikeRecall(s) { return true }
        if policy.autoResponseSuppressMeansAuto, let x = h.autoResponseSuppress?.lowercased(),
           x.contains("all") || x.contains("oof") || x.contains("autoreply") {
            return true
        }
        return false
    }
}
