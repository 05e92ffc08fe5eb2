import StormCore

/// Reads `breakwater.conf` into a `DaemonConfig`, collecting every problem with its line.
package enum ConfigLoader {
    /// Where `breakwater run` and `check-config` look when no file is named.
    package static let defaultPath = "/etc/breakwater/breakwater.conf"

    /// The largest configuration file read (far beyond any real one).
    package static let maxFileBytes = 16 << 20

    /// Reads and parses the file at `path`. An unreadable file is one problem at line 0.
    package static func load(path: String, checks: ConfigChecks) -> Result<DaemonConfig, ConfigErrors> {
        switch FileIO.read(path, limit: maxFileBytes) {
        case .failure(let why):
            return .failure(ConfigErrors(problems: [ConfigProblem(file: path, line: 0, message: "cannot read the configuration: \(why.reason)")]))
        case .success(let bytes):
            return parse(String(decoding: bytes, as: UTF8.self), file: path, checks: checks)
        }
    }

    /// Parses configuration text; `file` names it in problems.
    package static func parse(_ text: String, file: String, checks: ConfigChecks) -> Result<DaemonConfig, ConfigErrors> {
        let (lines, syntax) = ConfigLines.split(text, file: file)
        var problems = syntax
        var config = DaemonConfig()
        var replies: [Rule: (spec: ConfigValues.ReplySpec, line: ConfigLine)] = [:]
        var shared = SharedStateDraft()
        // why a cap: each suggestion compares the key with every known key; a file that is not a
        // config at all (20,000 junk lines) must not keep check-config busy for minutes.
        var suggestionsLeft = 20
        for line in lines {
            func problem(_ message: String) {
                problems.append(ConfigProblem(file: file, line: line.line, message: message))
            }
            if let (rule, isReply) = ruleKey(line.key) {
                if isReply {
                    switch ConfigValues.reply(line.value) {
                    case .success(let spec): replies[rule] = (spec, line)
                    case .failure(let e): problem("\(line.key): \(e.message)")
                    }
                } else {
                    switch ConfigValues.action(line.value) {
                    case .success(let a):
                        var ra = config.policy.action(for: rule)
                        ra.action = a
                        config.policy.actions[rule] = ra
                    case .failure(let e): problem("\(line.key): \(e.message)")
                    }
                }
                continue
            }
            let key = line.key.lowercased()
            if let setter = sharedStateSettings[key] {
                if let message = setter(&shared, line.value) { problem("\(line.key): \(message)") }
                if key == "shared_state_password_file" { shared.passwordFileLine = line }
                continue
            }
            guard let setter = settings[key] else {
                var message = "unknown key \(LogText.quoted(line.key, maxBytes: 60))"
                if suggestionsLeft > 0, let near = closestKey(to: line.key) { message += " (did you mean \"\(near)\"?)" }
                suggestionsLeft -= 1
                problem(message)
                continue
            }
            if let message = setter(&config, line.value) ?? (key == "listen" ? checks.listen(line.value) : nil) {
                problem("\(line.key): \(message)")
            }
        }

        // A reply code must suit its rule's action, wherever each was written.
        for (rule, entry) in replies {
            var ra = config.policy.action(for: rule)
            let actionKey = keyPrefix(rule) + "_action"
            if let code = entry.spec.code {
                let wanted: ClosedRange<Int>? = ra.action == .reject ? 500...599 : ra.action == .defer ? 400...499 : nil
                if let wanted, !wanted.contains(code) {
                    problems.append(ConfigProblem(file: file, line: entry.line.line, message:
                        "\(entry.line.key): code \(code) does not suit \(actionKey) = \(ra.action.rawValue) "
                        + "(\(ra.action == .reject ? "reject needs a 5xx code, e.g. 550 5.7.1" : "defer needs a 4xx code, e.g. 450 4.7.1"))"))
                    continue
                }
            }
            ra.code = entry.spec.code
            ra.enhancedCode = entry.spec.enhanced
            if let text = entry.spec.text { ra.text = text }
            config.policy.actions[rule] = ra
        }

        // why after the loop: the keys may come in any order, and only `shared_state` turns the
        // others on (set while it is empty, they are read and ignored).
        config.sharedState = shared.settings
        if let settings = config.sharedState, let line = shared.passwordFileLine, !settings.passwordFile.isEmpty,
           let message = checks.sharedStatePasswordFile(settings.passwordFile) {
            problems.append(ConfigProblem(file: file, line: line.line, message: "\(line.key): \(message)"))
        }

        // why: the value parsers already refuse what these would catch at a line, so whatever
        // is left concerns the policy as a whole.
        problems += config.policy.problems().map { ConfigProblem(file: file, line: 0, message: $0) }
        guard problems.isEmpty else {
            return .failure(ConfigErrors(problems: problems.sorted { $0.line < $1.line }))
        }
        return .success(config)
    }

    /// Every key the file may contain, sorted.
    package static let keys: [String] =
        (Array(settings.keys) + Array(sharedStateSettings.keys) + Rule.allCases.flatMap { [keyPrefix($0) + "_action", keyPrefix($0) + "_reply"] }).sorted()

    /// `hard_gate` for `.hardGate`: how a rule is spelled in keys.
    static func keyPrefix(_ rule: Rule) -> String {
        rule.rawValue.replacingOccurrences(of: "-", with: "_")
    }

    /// The rule a `R_action` / `R_reply` key is about, and whether it is the reply.
    private static func ruleKey(_ key: String) -> (Rule, Bool)? {
        let k = key.lowercased()
        for rule in Rule.allCases {
            let p = keyPrefix(rule)
            if k == p + "_action" { return (rule, false) }
            if k == p + "_reply" { return (rule, true) }
        }
        return nil
    }

    /// The known key nearest to a misspelt one, if it is near enough to be a typo.
    static func closestKey(to key: String) -> String? {
        let k = key.lowercased()
        var best: (key: String, distance: Int)?
        for candidate in keys {
            let limit = Swift.min(max(2, candidate.count / 3), (best?.distance ?? Int.max) - 1)
            if let d = editDistance(k, candidate, limit: limit) { best = (candidate, d) }
        }
        if let best { return best.key }
        // why: a bare word ("trehshold") is most likely the last part of a key ("reply_all_threshold").
        for candidate in keys {
            guard let tail = candidate.split(separator: "_").last, tail.count >= 5 else { continue }
            if let d = editDistance(k, String(tail), limit: Swift.min(2, (best?.distance ?? Int.max) - 1)) { best = (candidate, d) }
        }
        return best?.key
    }

    /// Levenshtein distance (bounded inputs: keys are short; longer text is cut first), or nil
    /// as soon as it must exceed `limit`: the lengths alone differ by more, or a whole row of
    /// the table is over it (a row's minimum never falls in later rows). Junk keys in a large
    /// wrong file are thus dismissed after a row or two instead of a full table each.
    static func editDistance(_ a: String, _ b: String, limit: Int = Int.max) -> Int? {
        let x = Array(a.utf8.prefix(64)), y = Array(b.utf8.prefix(64))
        guard limit >= 0, abs(x.count - y.count) <= limit else { return nil }
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var previous = Array(0...y.count)
        var current = previous
        for i in 1...x.count {
            current[0] = i
            var rowMinimum = i
            for j in 1...y.count {
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1,
                                       previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
                rowMinimum = Swift.min(rowMinimum, current[j])
            }
            if rowMinimum > limit { return nil }
            swap(&previous, &current)
        }
        return previous[y.count] <= limit ? previous[y.count] : nil
    }

    typealias Setter = @Sendable (inout DaemonConfig, String) -> String?

    /// Applies a parse result, or returns its error text.
    private static func set<T>(_ parsed: ConfigValues.Parsed<T>, _ apply: (T) -> Void) -> String? {
        switch parsed {
        case .success(let v): apply(v); return nil
        case .failure(let e): return e.message
        }
    }

    /// Every plain key and how it is read.
    static let settings: [String: Setter] = [
        // Kept as written; whoever listens checks it (`ConfigChecks.listen`).
        "listen": { c, v in c.listen = v; return nil },
        "socket_mode": { c, v in set(ConfigValues.fileMode(v)) { c.socketMode = $0 } },
        "socket_group": { c, v in c.socketGroup = v.isEmpty ? nil : v; return nil },
        "milter_timeout": { c, v in set(ConfigValues.duration(v)) { c.milterTimeout = $0 } },
        "run_as_user": { c, v in c.runAsUser = v; return nil },
        "allow_root": { c, v in set(ConfigValues.boolean(v)) { c.allowRoot = $0 } },

        "virtual_alias_maps": { c, v in c.virtualAliasMaps = tablePaths(v); return nil },
        "alias_maps": { c, v in c.aliasMaps = tablePaths(v); return nil },
        "list_size_maps": { c, v in c.listSizeMaps = tablePaths(v); return nil },
        "recipient_delimiter": { c, v in c.policy.recipientDelimiter = v; return nil },
        "local_domains": { c, v in c.localDomains = ConfigValues.list(v).map { $0.lowercased() }; return nil },
        "postfix_tables": { c, v in set(ConfigValues.boolean(v)) { c.postfixTables.enabled = $0 } },
        "postfix_config_directory": { c, v in set(ConfigValues.path(v, emptyMeansOff: false)) { c.postfixTables.configDirectory = $0 } },

        "reply_all_threshold": { c, v in set(ConfigValues.integer(v)) { c.policy.replyAllThreshold = $0 } },
        "trip_replies": { c, v in set(ConfigValues.integer(v)) { c.policy.tripReplies = $0 } },
        "trip_window": { c, v in set(ConfigValues.duration(v)) { c.policy.window = $0 } },
        "delivery_budget": { c, v in set(ConfigValues.optionalInteger(v)) { c.policy.deliveryBudget = $0 } },
        "hard_gate": { c, v in set(ConfigValues.optionalInteger(v)) { c.policy.hardGate = $0 } },
        "block_duration": { c, v in set(ConfigValues.duration(v)) { c.policy.blockDuration = $0 } },
        "extend_block_while_active": { c, v in set(ConfigValues.boolean(v)) { c.policy.extendBlockWhileActive = $0 } },
        "quiet_release": { c, v in set(ConfigValues.optionalDuration(v)) { c.policy.quietRelease = $0 } },
        "first_send_guard": { c, v in set(ConfigValues.optionalInteger(v)) { c.policy.firstSendGuard = $0 } },
        "approved_senders": { c, v in
            c.policy.approvedSenders = Set(ConfigValues.list(v).map { unbracket($0).lowercased() }); return nil
        },
        "stop_auto_replies": { c, v in set(ConfigValues.boolean(v)) { c.policy.stopAutoReplies = $0 } },
        "auto_reply_min_audience": { c, v in set(ConfigValues.integer(v)) { c.policy.autoReplyMinAudience = $0 } },
        "auto_response_suppress_means_auto": { c, v in
            set(ConfigValues.boolean(v)) { c.policy.autoResponseSuppressMeansAuto = $0 }
        },
        "learn_from_envelope": { c, v in set(ConfigValues.optionalInteger(v, in: 2...Int.max)) { c.policy.learnFromEnvelope = $0 } },

        "exempt_senders": { c, v in
            var senders = Set<String>(), domains = Set<String>(), bad: [String] = []
            for item in ConfigValues.list(v).map(unbracket) {
                if item.hasPrefix("@"), item.count > 1, !item.dropFirst().contains("@") {
                    domains.insert(String(item.dropFirst()).lowercased())
                } else if let at = item.lastIndex(of: "@"), at != item.startIndex, item.index(after: at) != item.endIndex {
                    senders.insert(item.lowercased())
                } else {
                    bad.append(item)
                }
            }
            c.policy.exemptions.senders = senders
            c.policy.exemptions.senderDomains = domains
            return bad.isEmpty ? nil : bad.map { LogText.quoted($0, maxBytes: 80) }.joined(separator: ", ")
                + " is not an address (write user@domain, or @domain for a whole domain)"
        },
        "exempt_sasl_users": { c, v in c.policy.exemptions.saslUsers = Set(ConfigValues.list(v)); return nil },
        "exempt_client_networks": { c, v in
            var networks: [ClientNetwork] = [], bad: [String] = []
            for item in ConfigValues.list(v) {
                if let n = ClientNetwork(cidr: item) { networks.append(n) } else { bad.append(item) }
            }
            c.policy.exemptions.clientNetworks = networks
            return bad.isEmpty ? nil : bad.map { LogText.quoted($0, maxBytes: 80) }.joined(separator: ", ")
                + " is not a network (write 192.0.2.0/24, 2001:db8::/32 or a single address)"
        },
        "exempt_threads": { c, v in c.policy.exemptions.threads = Set(ConfigValues.list(v)); return nil },

        "header_name": { c, v in
            guard !v.isEmpty, v.utf8.allSatisfy({ $0 >= 33 && $0 <= 126 && $0 != UInt8(ascii: ":") }) else {
                return "\(LogText.quoted(v, maxBytes: 80)) is not a header name (printable ASCII, no spaces or colon)"
            }
            c.policy.headerName = v
            return nil
        },
        "add_seen_header": { c, v in set(ConfigValues.boolean(v)) { c.policy.addSeenHeader = $0 } },

        "snapshot_path": { c, v in set(ConfigValues.path(v)) { c.snapshotPath = $0 } },
        "record_path": { c, v in set(ConfigValues.path(v)) { c.recordPath = $0 } },
        "record_hash_key": { c, v in c.recordHashKey = v; return nil },
        "snapshot_interval": { c, v in set(ConfigValues.optionalDuration(v)) { c.snapshotInterval = $0 } },
        "max_threads": { c, v in set(ConfigValues.integer(v)) { c.maxThreads = $0 } },
        "thread_ttl": { c, v in set(ConfigValues.duration(v)) { c.threadTTL = $0 } },

        "control_socket": { c, v in set(ConfigValues.path(v)) { c.controlSocket = $0 } },
        "control_socket_mode": { c, v in set(ConfigValues.fileMode(v)) { c.controlSocketMode = $0 } },
        "metrics_listen": { c, v in
            guard v.isEmpty || IPv4HostPort.parse(v) != nil else {
                return "\(LogText.quoted(v, maxBytes: 120)) is not an IPv4 host:port (write 127.0.0.1:9894)"
            }
            c.metricsListen = v
            return nil
        },
        "notify_command": { c, v in
            guard v.isEmpty || v.hasPrefix("/") else { return "\(LogText.quoted(v, maxBytes: 120)) does not start with an absolute path" }
            c.notifyCommand = v
            return nil
        },
        "notify_timeout": { c, v in set(ConfigValues.duration(v)) { c.notifyTimeout = $0 } },
        "notify_mail": { c, v in
            var addresses: [String] = []
            for item in ConfigValues.list(v).map(unbracket) {
                guard let a = AddressParser.mailbox(item), !a.domain.isEmpty else {
                    return "\(LogText.quoted(item, maxBytes: 120)) is not a mail address (write postmaster@example.org)"
                }
                addresses.append(a.key)
            }
            c.notifyMail = addresses
            return nil
        },
        "notify_author": { c, v in set(ConfigValues.boolean(v)) { c.notifyAuthor = $0 } },
        "notify_relay": { c, v in
            guard IPv4HostPort.parse(v) != nil else {
                return "\(LogText.quoted(v, maxBytes: 120)) is not an IPv4 host:port (write 127.0.0.1:25)"
            }
            c.notifyRelay = v
            return nil
        },
        "sendmail_path": { c, v in set(ConfigValues.path(v)) { c.sendmailPath = $0 } },

        "fail_action": { c, v in set(ConfigValues.choice(v, FailAction.allCases.map { ($0.rawValue, $0) })) { c.failAction = $0 } },
        "log_level": { c, v in
            set(ConfigValues.choice(v, LogLevel.allCases.map { ($0.rawValue, $0) })) { c.logLevel = $0 }
        },
    ]

    /// The `shared_state*` keys as read so far.
    struct SharedStateDraft {
        var address: SharedStateAddress?
        var passwordFile = ""
        /// The `shared_state_password_file` line that counts (the last), for a problem with the file.
        var passwordFileLine: ConfigLine?
        var prefix = SharedStateSettings.defaultPrefix
        var timeoutMilliseconds = SharedStateSettings.defaultTimeoutMilliseconds
        var failure = SharedStateFailure.local

        /// The settings, or nil when `shared_state` is empty.
        var settings: SharedStateSettings? {
            address.map { SharedStateSettings(address: $0, passwordFile: passwordFile, prefix: prefix,
                                              timeoutMilliseconds: timeoutMilliseconds, failure: failure) }
        }
    }

    typealias SharedStateSetter = @Sendable (inout SharedStateDraft, String) -> String?

    /// The `shared_state*` keys and how each is read (all restart-only in the daemon).
    static let sharedStateSettings: [String: SharedStateSetter] = [
        "shared_state": { d, v in
            guard !v.isEmpty else { d.address = nil; return nil }
            do throws(SharedStateAddressError) { d.address = try SharedStateAddress(parsing: v); return nil } catch {
                d.address = nil
                return error.detail
            }
        },
        "shared_state_password_file": { d, v in set(ConfigValues.path(v)) { d.passwordFile = $0 } },
        "shared_state_prefix": { d, v in
            // why no braces: `{…}` is Redis's hash tag, which the thread keys use on purpose.
            guard (1...SharedStateSettings.maxPrefixBytes).contains(v.utf8.count),
                  v.utf8.allSatisfy({ $0 >= 33 && $0 <= 126 && $0 != UInt8(ascii: "{") && $0 != UInt8(ascii: "}") }) else {
                return "\(LogText.quoted(v, maxBytes: 80)) is not a key prefix (1 to \(SharedStateSettings.maxPrefixBytes) "
                    + "bytes of printable ASCII, no spaces, no { or }; e.g. breakwater:)"
            }
            d.prefix = v
            return nil
        },
        "shared_state_timeout": { d, v in
            set(ConfigValues.milliseconds(v, in: SharedStateSettings.timeoutRange)) { d.timeoutMilliseconds = $0 }
        },
        "shared_state_failure": { d, v in
            set(ConfigValues.choice(v, SharedStateFailure.allCases.map { ($0.rawValue, $0) })) { d.failure = $0 }
        },
    ]

    /// Table files; a Postfix type prefix (`hash:/etc/postfix/virtual`) names the source text
    /// file the admin edits, which is what Breakwater reads.
    private static func tablePaths(_ v: String) -> [String] {
        ConfigValues.list(v).map { item in
            for type in ["hash:", "btree:", "lmdb:", "cdb:", "dbm:", "texthash:"] where item.lowercased().hasPrefix(type) {
                return String(item.dropFirst(type.count))
            }
            return item
        }
    }

    private static func unbracket(_ s: String) -> String {
        s.hasPrefix("<") && s.hasSuffix(">") && s.count >= 2 ? String(s.dropFirst().dropLast()) : s
    }
}
