/// An IPv4 or IPv6 network in CIDR form, for client-network exemptions.
///
/// Both families live in one 128-bit space, IPv4 as IPv4-mapped IPv6 (`::ffff:a.b.c.d`), so an
/// IPv4 network matches a client that arrives either way and one comparison serves all.
public struct ClientNetwork: Sendable, Hashable, CustomStringConvertible {
    /// The network's first address (host bits cleared), in the 128-bit space.
    let base: UInt128
    /// Prefix length in the 128-bit space: an IPv4 `/24` is 120.
    let prefixLength: Int

    /// `192.0.2.0/24`, `2001:db8::/32`, a bare address (host route), `::ffff:192.0.2.1`; nil on junk
    /// or a prefix too long for the family.
    /// Host bits under the prefix (`192.0.2.7/24`) are cleared, as most MTAs' tables do.
    public init?(cidr: String) {
        let parsed: (UInt128, Int)? = withUTF8Bytes(of: cidr) { buffer in
            let text = AddressParser.trimmed(buffer)
            let slash = text.lastIndex(of: 0x2F)
            guard let address = IPAddressText.parse(text[..<(slash ?? text.endIndex)]) else { return nil }
            let familyBits = address.isIPv4 ? 32 : 128
            var prefix = familyBits
            if let slash {
                let digits = text[(slash + 1)...]
                guard (1...3).contains(digits.count), digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                    return nil
                }
                prefix = digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
                guard prefix <= familyBits else { return nil }
            }
            let length = prefix + (128 - familyBits)
            return (address.value & Self.mask(length), length)
        }
        guard let parsed else { return nil }
        (base, prefixLength) = parsed
    }

    /// True when the textual client address (as libmilter/Postfix give it; IPv6 may come as
    /// `IPv6:2001:db8::1` and IPv4-mapped `::ffff:10.0.0.1`, both must match the IPv4 net) is inside.
    /// Brackets (`[2001:db8::1]`) and a zone (`fe80::1%eth0`) are accepted too; junk is outside.
    public func contains(_ address: String) -> Bool {
        guard let value = Self.clientAddress(address) else { return false }
        return value & Self.mask(prefixLength) == base
    }

    /// True when the network is IPv4 (including one written IPv4-mapped).
    public var isIPv4: Bool { prefixLength >= 96 && base >> 32 == 0xffff }

    /// The canonical form: `192.0.2.0/24`, or RFC 5952 IPv6 such as `2001:db8::/32`.
    public var description: String {
        if isIPv4 { return IPAddressText.ipv4(UInt32(truncatingIfNeeded: base)) + "/\(prefixLength - 96)" }
        return IPAddressText.ipv6(base) + "/\(prefixLength)"
    }

    private static func mask(_ length: Int) -> UInt128 {
        length == 0 ? 0 : ~UInt128(0) << (128 - length)
    }

    /// A client address as the MTA spells it, in the 128-bit space; nil when it is not an address.
    static func clientAddress(_ text: String) -> UInt128? {
        withUTF8Bytes(of: text) { buffer in
            var t = AddressParser.trimmed(buffer)[...]
            // Postfix writes IPv6 clients as `IPv6:…` in some places (address literals, logs).
            if t.count > 5, t.prefix(5).map({ $0 | 0x20 }).elementsEqual("ipv6:".utf8) {
                t = t.dropFirst(5)
            }
            if t.first == 0x5B, t.last == 0x5D { t = t.dropFirst().dropLast() }
            if let zone = t.firstIndex(of: 0x25) { t = t[..<zone] } // a link-local scope says nothing of the net
            return IPAddressText.parse(t)?.value
        }
    }
}

/// IP address text in pure Swift (no inet_pton), so the fuzzer sees every branch.
enum IPAddressText {
    /// An IPv4 or IPv6 address; IPv4 (and only plain dotted IPv4) sets `isIPv4` and is mapped.
    static func parse<C: Collection>(_ text: C) -> (value: UInt128, isIPv4: Bool)?
    where C.Element == UInt8, C.Index == Int {
        guard !text.isEmpty, text.count <= 64 else { return nil }
        if text.contains(0x3A) { return ipv6(text).map { ($0, false) } }
        return ipv4(text).map { (UInt128(0xffff) << 32 | UInt128($0), true) }
    }

    /// Four decimal parts 0–255; a leading zero is refused (`010` is octal to inet_aton).
    static func ipv4<C: Collection>(_ text: C) -> UInt32? where C.Element == UInt8, C.Index == Int {
        var value: UInt32 = 0
        var parts = 0
        var i = text.startIndex
        while parts < 4 {
            var part: UInt32 = 0
            var digits = 0
            while i < text.endIndex, text[i] >= 0x30, text[i] <= 0x39, digits < 4 {
                if digits == 1 && part == 0 { return nil }
                part = part * 10 + UInt32(text[i] - 0x30)
                digits += 1
                i += 1
            }
            guard digits > 0, part <= 255 else { return nil }
            value = value << 8 | part
            parts += 1
            if parts < 4 {
                guard i < text.endIndex, text[i] == 0x2E else { return nil }
                i += 1
            }
        }
        return i == text.endIndex ? value : nil
    }

    /// Every RFC 4291 text form: full, `::`-compressed (once), and with a dotted IPv4 tail.
    static func ipv6<C: Collection>(_ text: C) -> UInt128? where C.Element == UInt8, C.Index == Int {
        var head: UInt128 = 0, headGroups = 0 // groups before `::`
        var tail: UInt128 = 0, tailGroups = 0 // groups after it
        var compressed = false
        var i = text.startIndex
        let end = text.endIndex
        func at(_ k: Int) -> UInt8? { k < end ? text[k] : nil }

        if at(i) == 0x3A {
            guard at(i + 1) == 0x3A else { return nil }
            compressed = true
            i += 2
            if i == end { return 0 }
        }
        while true {
            let groupStart = i
            var group: UInt128 = 0
            var digits = 0
            while let c = at(i), let v = hexValue(c), digits < 5 {
                group = group << 4 | UInt128(v)
                digits += 1
                i += 1
            }
            var groupsHere = 1
            if at(i) == 0x2E {
                // The last 32 bits written as dotted IPv4 (`::ffff:192.0.2.1`).
                guard let v4 = ipv4(text[groupStart..<end]) else { return nil }
                group = UInt128(v4)
                groupsHere = 2
                i = end
            } else if digits == 0 || digits > 4 {
                return nil
            }
            if compressed {
                tail = tail << (16 * UInt128(groupsHere)) | group
                tailGroups += groupsHere
            } else {
                head = head << (16 * UInt128(groupsHere)) | group
                headGroups += groupsHere
            }
            guard headGroups + tailGroups <= 8 else { return nil }
            if i == end { break }
            guard at(i) == 0x3A, groupsHere == 1 else { return nil }
            i += 1
            if at(i) == 0x3A {
                guard !compressed else { return nil }
                compressed = true
                i += 1
                if i == end { break }
            } else if i == end {
                return nil // a trailing single `:`
            }
        }
        let groups = headGroups + tailGroups
        guard compressed ? groups <= 7 : groups == 8 else { return nil }
        return head << (16 * UInt128(8 - headGroups)) | tail
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: nil
        }
    }

    static func ipv4(_ value: UInt32) -> String {
        "\(value >> 24).\(value >> 16 & 0xff).\(value >> 8 & 0xff).\(value & 0xff)"
    }

    /// RFC 5952: lower-case hex, no leading zeros, the longest run of two or more zero groups
    /// (the first of equals) written `::`.
    static func ipv6(_ value: UInt128) -> String {
        let groups = (0..<8).map { UInt16(truncatingIfNeeded: value >> (16 * UInt128(7 - $0))) }
        var bestStart = -1, bestLength = 1
        var k = 0
        while k < 8 {
            guard groups[k] == 0 else { k += 1; continue }
            var j = k
            while j < 8, groups[j] == 0 { j += 1 }
            if j - k > bestLength { (bestStart, bestLength) = (k, j - k) }
            k = j
        }
        let hex = { (g: ArraySlice<UInt16>) in g.map { String($0, radix: 16) }.joined(separator: ":") }
        guard bestStart >= 0 else { return hex(groups[...]) }
        return hex(groups[..<bestStart]) + "::" + hex(groups[(bestStart + bestLength)...])
    }
}
