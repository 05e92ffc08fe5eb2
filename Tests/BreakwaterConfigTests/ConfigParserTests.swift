@testable import BreakwaterConfig
import StormCore
import Testing

struct ConfigParserTests {
    private func parse(_ text: String) -> Result<DaemonConfig, ConfigErrors> {
        // `listen` as the daemon reads it is DaemonTests' DaemonConfigTests.
        ConfigLoader.parse(text, file: "t.conf", checks: .none)
    }

    private func config(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> DaemonConfig {
        switch parse(text) {
        case .success(let c): return c
        case .failure(let e):
            Issue.record("unexpected problems: \(e)", sourceLocation: sourceLocation)
            throw e
        }
    }

    private func problems(_ text: String) -> [String] {
        if case .failure(let e) = parse(text) { return e.problems.map(\.description) }
        return []
    }

    @Test func anEmptyFileMeansTheDefaults() throws {
        let c = try config("")
        #expect(c == DaemonConfig())
        #expect(c.policy == StormPolicy())
        #expect(c.socketGroup == "postfix")
        #expect(c.snapshotInterval == 10)
    }

    @Test func valuesDurationsListsAndContinuations() throws {
        let c = try config("""
            # a comment
            listen = inet:8894@127.0.0.1
            reply_all_threshold = 2_000

            trip_window = 30m
            block_duration = 2d
            quiet_release = 90
            delivery_budget = off
            hard_gate = 5000
            extend_block_while_active = yes
            exempt_senders = <Boss@Example.org>, @vip.example.org
               other@example.org
            exempt_client_networks = 192.0.2.0/24 2001:db8::/32
            virtual_alias_maps = hash:/etc/postfix/virtual, /etc/postfix/lists
            snapshot_interval = off
            log_level = notice
            fail_action = tempfail
            storm_action = defer
            storm_reply = 451 4.7.2 Later: {subject}
            first_send_reply = Held for a look
            """)
        #expect(c.policy.replyAllThreshold == 2_000)
        #expect(c.policy.window == 1_800)
        #expect(c.policy.blockDuration == 172_800)
        #expect(c.policy.quietRelease == 90)
        #expect(c.policy.deliveryBudget == nil)
        #expect(c.policy.hardGate == 5_000)
        #expect(c.policy.extendBlockWhileActive)
        #expect(c.policy.exemptions.senders == ["boss@example.org", "other@example.org"])
        #expect(c.policy.exemptions.senderDomains == ["vip.example.org"])
        #expect(c.policy.exemptions.clientNetworks.map(\.description) == ["192.0.2.0/24", "2001:db8::/32"])
        #expect(c.virtualAliasMaps == ["/etc/postfix/virtual", "/etc/postfix/lists"])
        #expect(c.snapshotInterval == nil)
        #expect(c.logLevel == .notice)
        #expect(c.failAction == .tempfail)
        let storm = c.policy.action(for: .storm)
        #expect(storm.action == .defer && storm.code == 451 && storm.enhancedCode == "4.7.2" && storm.text == "Later: {subject}")
        let first = c.policy.action(for: .firstSend)
        #expect(first.action == .hold && first.code == nil && first.text == "Held for a look")
    }

    @Test func unixListenAndSocketSettings() throws {
        let c = try config("listen = unix:/run/breakwater/sock\nsocket_mode = 0600\nsocket_group =\n")
        #expect(c.socketMode == 0o600)
        #expect(c.socketGroup == nil)
    }

    @Test func everyProblemCarriesItsLine() {
        let p = problems("""
            reply_all_threshold = -3
            trip_replies = 0
            no equals sign here
              continued
            hard_gate = 10k
            exempt_senders = nobody
            header_name = X Bad
            budget_reply = 250 fine
            hard_gate_reply = 550 4.7.1 mismatched
            """)
        #expect(p.count == 8, "\(p)")
        #expect(p.contains("t.conf:1: reply_all_threshold: \"-3\" is not a whole number"))
        #expect(p.contains("t.conf:2: trip_replies: 0 is out of range (1 to any)"))
        #expect(p.contains { $0.hasPrefix("t.conf:3: expected \"key = value\"") })
        #expect(p.contains { $0.hasPrefix("t.conf:5: hard_gate: \"10k\" is not a whole number or off") })
        #expect(p.contains { $0.hasPrefix("t.conf:6: exempt_senders: \"nobody\" is not an address") })
        #expect(p.contains { $0.hasPrefix("t.conf:7: header_name:") })
        #expect(p.contains { $0.hasPrefix("t.conf:8: budget_reply: \"250\" is not an SMTP code") })
        #expect(p.contains { $0.hasPrefix("t.conf:9: hard_gate_reply: enhanced status 4.7.1 does not match") })
    }

    @Test func aReplyCodeMustSuitItsActionWhicheverComesFirst() {
        let p = problems("storm_reply = 450 4.7.1 later\nstorm_action = reject\n")
        #expect(p == ["t.conf:1: storm_reply: code 450 does not suit storm_action = reject (reject needs a 5xx code, e.g. 550 5.7.1)"])
        #expect(problems("storm_reply = 450 4.7.1 later\nstorm_action = defer\n").isEmpty)
        #expect(problems("budget_action = defer\nbudget_reply = 550 nope\n").count == 1)
    }

    @Test func didYouMean() {
        #expect(ConfigLoader.closestKey(to: "trehshold") == "reply_all_threshold")
        #expect(ConfigLoader.closestKey(to: "snapshot_intervall") == "snapshot_interval")
        #expect(ConfigLoader.closestKey(to: "storm_acton") == "storm_action")
        #expect(ConfigLoader.closestKey(to: "completely_unrelated_words") == nil)
    }

    @Test func durations() throws {
        #expect(try ConfigValues.duration("30s").get() == 30)
        #expect(try ConfigValues.duration("60m").get() == 3_600)
        #expect(try ConfigValues.duration("6h").get() == 21_600)
        #expect(try ConfigValues.duration("7d").get() == 604_800)
        #expect(try ConfigValues.duration("45").get() == 45)
        for bad in ["", "0", "1y", "-5", "5 m", "h", "99999999999999999999d"] {
            #expect((try? ConfigValues.duration(bad).get()) == nil, "\(bad)")
        }
    }

    @Test func crlfFilesAndTabsWork() throws {
        let c = try config("trip_replies = 4\r\nexempt_sasl_users = a,\r\n\tb\r\n")
        #expect(c.policy.tripReplies == 4)
        #expect(c.policy.exemptions.saslUsers == ["a", "b"])
    }

    /// A combining mark (U+0301) after `#`, `=`, a blank or a comma is one Character with it, but
    /// main.cf syntax is ASCII bytes: the mark belongs to the text after the syntax character.
    @Test func configLinesAreLexedByScalarNotByCharacter() throws {
        func scalars(_ s: some StringProtocol) -> [UInt32] { s.unicodeScalars.map(\.value) }
        func sasl(_ text: String) -> Set<[UInt32]>? {
            guard case .success(let c) = parse(text) else { return nil }
            return Set(c.policy.exemptions.saslUsers.map(scalars))
        }
        // A comment line whose `#` carries a mark is still a comment.
        #expect((try? parse("#\u{301} trip_replies = 9\ntrip_replies = 4\n").get())?.policy.tripReplies == 4)
        // `=` followed by a mark still separates key and value.
        #expect(sasl("exempt_sasl_users =\u{301}x\n") == [scalars("\u{301}x")])
        // A blank followed by a mark still starts a continuation line, and still separates items.
        #expect(sasl("exempt_sasl_users = a\n \u{301}b\n") == [scalars("a"), scalars("\u{301}b")])
        #expect(sasl("exempt_sasl_users = a,\u{301}b\n") == [scalars("a"), scalars("\u{301}b")])
        // Leading blanks go, the mark after them stays.
        #expect(scalars(" \t \u{301}x \u{301}".trimmingBlanks) == scalars("\u{301}x \u{301}"))
        // A reply's code is a word even when a mark follows the blank after it.
        let reply = try ConfigValues.reply("550 \u{301}text").get()
        #expect(reply.code == 550)
        #expect(reply.text.map(scalars) == scalars("\u{301}text"))
    }

    @Test func everyPolicyKnobHasAKey() {
        let keys = Set(ConfigLoader.keys)
        for k in ["reply_all_threshold", "trip_replies", "trip_window", "delivery_budget", "hard_gate", "block_duration",
                  "extend_block_while_active", "quiet_release", "first_send_guard", "approved_senders",
                  "stop_auto_replies", "auto_reply_min_audience", "auto_response_suppress_means_auto",
                  "learn_from_envelope", "exempt_senders", "exempt_sasl_users", "exempt_client_networks",
                  "exempt_threads", "header_name", "add_seen_header", "recipient_delimiter", "local_domains",
                  "hard_gate_action", "auto_reply_reply", "first_send_action", "budget_reply"] {
            #expect(keys.contains(k), "\(k)")
        }
    }
}
