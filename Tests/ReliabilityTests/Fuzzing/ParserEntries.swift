import StormCore

extension FuzzEntry {
    /// Message-ID lists: `ids` and `keys` must agree id for id (one scanner serves both), the
    /// `limit` must keep the first id and the last `limit - 1`, and `first`/`firstKey` must be
    /// the head of the full list.
    static func msgid(_ bytes: [UInt8]) -> String? {
        var input = FuzzInput(bytes)
        let limit = Int(input.byte() % 70)
        let value = String(decoding: input.rest(), as: UTF8.self)
        let all = MessageIDParser.ids(in: value, limit: Int.max)
        let allKeys = MessageIDParser.keys(in: value, limit: Int.max)
        guard allKeys == all.map(MessageKey.init) else { return "keys disagree with ids: \(all)" }
        guard MessageIDParser.first(in: value) == all.first else { return "first(in:) is not ids.first" }
        guard MessageIDParser.firstKey(in: value) == allKeys.first else { return "firstKey is not keys.first" }
        if let long = all.first(where: { $0.utf8.count > MessageIDParser.maxIDBytes }) {
            return "id of \(long.utf8.count) bytes exceeds maxIDBytes"
        }
        let kept = MessageIDParser.ids(in: value, limit: limit)
        let keptKeys = MessageIDParser.keys(in: value, limit: limit)
        let expected: [String]
        if limit == 0 {
            expected = []
        } else if all.count <= limit {
            expected = all
        } else {
            expected = [all[0]] + all.suffix(limit - 1)
        }
        guard kept == expected else { return "limit \(limit) kept \(kept.count) ids, not the first and last" }
        guard keptKeys == expected.map(MessageKey.init) else { return "limited keys disagree with limited ids" }
        return nil
    }

    /// Envelope and header addresses: junk yields failures or fewer addresses, never a crash;
    /// a header never yields more than `limit` addresses; an accepted envelope path is not
    /// longer than `maxAddressBytes`.
    static func address(_ bytes: [UInt8]) -> String? {
        var input = FuzzInput(bytes)
        let limit = Int(input.byte() % 40)
        let text = String(decoding: input.rest(), as: UTF8.self)
        if case .success(let envelope) = AddressParser.envelope(text), let address = envelope.address,
           address.key.utf8.count > AddressParser.maxAddressBytes + 1 {
            return "envelope accepted a \(address.key.utf8.count)-byte address"
        }
        _ = AddressParser.mailbox(text)
        let found = AddressParser.headerAddresses(text, limit: limit)
        guard found.count <= limit else { return "headerAddresses returned \(found.count) > limit \(limit)" }
        return nil
    }

    /// CIDR networks: a parsed network's canonical text parses back to the same network, and the
    /// network contains its own first address. Client-address matching never crashes on junk.
    static func clientnet(_ bytes: [UInt8]) -> String? {
        var input = FuzzInput(bytes)
        let parts = input.parts()
        let cidr = parts.first ?? ""
        let client = parts.count > 1 ? parts[1] : cidr
        guard let network = ClientNetwork(cidr: cidr) else { return nil }
        _ = network.contains(client)
        let canonical = network.description
        guard let again = ClientNetwork(cidr: canonical) else { return "canonical form \(canonical) does not parse" }
        guard again == network else { return "\(cidr) → \(canonical) → \(again): not the same network" }
        let base = String(canonical[..<(canonical.lastIndex(of: "/") ?? canonical.endIndex)])
        guard network.contains(base) else { return "\(canonical) does not contain its own base \(base)" }
        return nil
    }

    /// Subject lines: the base is within `maxBytes` and keeps no control character; the reply
    /// and recall tests never crash on junk.
    static func subject(_ bytes: [UInt8]) -> String? {
        var input = FuzzInput(bytes)
        let maxBytes = Int(input.byte())
        let subject = String(decoding: input.rest(), as: UTF8.self)
        let base = SubjectLine.base(subject, maxBytes: maxBytes)
        guard base.utf8.count <= maxBytes else { return "base of \(base.utf8.count) bytes > maxBytes \(maxBytes)" }
        if let c = base.unicodeScalars.first(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return "base keeps control character U+\(String(c.value, radix: 16))"
        }
        _ = SubjectLine.looksLikeReply(subject)
        _ = SubjectLine.looksLikeRecall(subject)
        return nil
    }
}
