/// The audience of a whole message: the union of its recipients' expansions, and the list sizes
/// a message that arrives already expanded teaches.
enum MessageAudience {
    /// How many mailboxes `raws` (envelope recipients as the MTA gave them) reach. Plain mailboxes
    /// no table knows are counted from the raw bytes; anything else goes through the full parser.
    /// A recipient that does not parse still costs a delivery.
    static func count(_ raws: [String], directory: AudienceDirectory, learned: some ThreadStore,
                      delimiters: String) -> AudienceCount {
        let sizes = learned.learnedByHash
        if let plain = RecipientScan.plainAudience(raws, directory: directory, learned: sizes, delimiters: delimiters) {
            return AudienceCount(count: plain, isUpperBound: false)
        }
        return full(raws, directory: directory, learned: sizes)
    }

    /// The audience through the full address parser and the directory's union count.
    static func full(_ raws: [String], directory: AudienceDirectory, learned: [UInt64: Int]) -> AudienceCount {
        var recipients: [EmailAddress] = []
        recipients.reserveCapacity(raws.count)
        var unreadable = 0
        for raw in raws {
            if case .success(let e) = AddressParser.envelope(raw), let a = e.address {
                recipients.append(a)
            } else {
                unreadable += 1
            }
        }
        var audience = learned.isEmpty
            ? directory.audience(of: recipients, learned: { _ in nil })
            : directory.audience(of: recipients, learned: { learned[MessageKey($0.key).rawValue] })
        audience.count += unreadable
        return audience
    }

    /// A message that arrives already expanded (many envelope recipients) and names exactly one
    /// address in To/Cc that the tables do not know: that address is a list of at least that size.
    static func learnListSize(_ h: MessageHeaders, recipients raws: [String], directory: AudienceDirectory,
                              into store: some ThreadStore) {
        var named = AddressParser.headerAddresses(h.to ?? "", limit: 50)
        named += AddressParser.headerAddresses(h.cc ?? "", limit: 50)
        // Nothing named in To/Cc (undisclosed recipients): nothing to learn, and no need to
        // parse a large envelope a second time.
        guard !named.isEmpty else { return }
        let recipients = raws.compactMap { (try? AddressParser.envelope($0).get())?.address }
        let envelope = Set(recipients.lazy.map(\.key))
        let unknown = Set(named.lazy.filter { !envelope.contains($0.key) && !directory.isList($0) }.map(\.key))
        if unknown.count == 1, let list = unknown.first {
            store.learn(list, size: recipients.count)
        }
    }
}
