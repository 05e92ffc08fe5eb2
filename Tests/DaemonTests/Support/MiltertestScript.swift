import MilterWire
import Replay

/// Turns a session file into a Lua script for Debian's `miltertest`, so an MTA side nobody
/// here wrote plays the same messages as the replay harness. The script prints one line per
/// message, `verdict FILE:LINE CLASS`, where CLASS is `accept`, `refused` (a reply code),
/// `reject`, `tempfail` or `discard`, and `ok NAME` at the end.
enum MiltertestScript {
    struct Unsupported: Error, CustomStringConvertible {
        var description: String
    }

    /// The Lua text; `name` is what the script echoes as `ok NAME`. Macros for stages
    /// miltertest cannot send (data, end of headers, end of message) make it throw.
    static func lua(for file: SessionFile, name: String) throws -> String {
        var out = """
            -- generated from \(file.name) by DaemonTests (MiltertestScript)
            local function check(ok, what)
              if not ok then mt.echo("FAIL: " .. what); error(what) end
            end
            local function class_of(r)
              if r == SMFIR_CONTINUE or r == SMFIR_ACCEPT then return "accept" end
              if r == SMFIR_REPLYCODE then return "refused" end
              if r == SMFIR_REJECT then return "reject" end
              if r == SMFIR_TEMPFAIL then return "tempfail" end
              if r == SMFIR_DISCARD then return "discard" end
              return "other:" .. tostring(r)
            end

            """
        for session in file.sessions {
            out += "do\n"
            out += "  local conn = mt.connect(socket, 200, 0.05)\n"
            out += "  check(conn ~= nil, \"mt.connect failed\")\n"
            try macros(session.macros[.connect], stage: .connect, into: &out)
            out += "  check(mt.conninfo(conn, \(quoted(session.connect.hostname)), \(quoted(address(session.connect)))) == nil, \"conninfo\")\n"
            // why always a HELO of our own: an implicit one would drop the MAIL macros sent before it.
            try macros(session.macros[.helo], stage: .helo, into: &out)
            out += "  if not mt.test_option(conn, SMFIP_NOHELO) then\n"
            out += "    check(mt.helo(conn, \(quoted(session.helo ?? session.connect.hostname))) == nil, \"helo\")\n"
            out += "  end\n"
            for message in session.messages {
                guard message.ending == .endOfMessage, !message.recipients.isEmpty else {
                    throw Unsupported(description: "\(message.source): only whole messages with recipients can be converted")
                }
                for stage in message.macros.keys where ![.mail, .rcpt].contains(stage) {
                    throw Unsupported(description: "\(message.source): miltertest cannot send \(stage) macros")
                }
                try macros(message.macros[.mail], stage: .mail, into: &out)
                out += "  check(mt.mailfrom(conn, \(arguments(message.sender))) == nil, \"mailfrom\")\n"
                for rcpt in message.recipients {
                    try macros(message.macros[.rcpt], stage: .rcpt, into: &out)
                    out += "  check(mt.rcptto(conn, \(arguments(rcpt))) == nil, \"rcptto\")\n"
                }
                for h in message.headers {
                    out += "  check(mt.header(conn, \(quoted(h.name)), \(quoted(h.value))) == nil, \"header\")\n"
                }
                out += "  if not mt.test_option(conn, SMFIP_NOEOH) then check(mt.eoh(conn) == nil, \"eoh\") end\n"
                out += "  check(mt.eom(conn) == nil, \"eom\")\n"
                out += "  mt.echo(\"verdict \(file.name):\(message.source.line) \" .. class_of(mt.getreply(conn)))\n"
            }
            out += "  mt.disconnect(conn)\nend\n"
        }
        out += "mt.echo(\"ok \(name)\")\n"
        return out
    }

    /// The class the harness's outcome falls in, in the script's words.
    static func verdictClass(_ summary: String) -> String {
        let words = summary.split(separator: " ")
        guard let first = words.first else { return "" }
        if first == "accept" { return "accept" }
        if first == "reject" || first == "tempfail", words.count > 1, Int(words[1]) != nil { return "refused" }
        return String(first)
    }

    /// `verdict FILE:LINE CLASS` lines of a run's output, by `FILE:LINE`.
    static func verdicts(in output: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in output.split(separator: "\n") where line.hasPrefix("verdict ") {
            let parts = line.split(separator: " ")
            if parts.count == 3 { out[String(parts[1])] = String(parts[2]) }
        }
        return out
    }

    private static func macros(_ values: MacroValues?, stage: MacroStage, into out: inout String) throws {
        guard let values, !values.isEmpty else { return }
        let constant: String = switch stage {
        case .connect: "SMFIC_CONNECT"
        case .helo: "SMFIC_HELO"
        case .mail: "SMFIC_MAIL"
        case .rcpt: "SMFIC_RCPT"
        default: throw Unsupported(description: "miltertest cannot send \(stage) macros")
        }
        let pairs = values.pairs.flatMap { [quoted($0.name), quoted($0.value)] }.joined(separator: ", ")
        out += "  check(mt.macro(conn, \(constant), \(pairs)) == nil, \"macro\")\n"
    }

    private static func address(_ c: ConnectInfo) -> String {
        c.clientAddress ?? "127.0.0.1"
    }

    private static func arguments(_ a: EnvelopeAddress) -> String {
        ([a.address] + a.arguments).map(quoted).joined(separator: ", ")
    }

    /// A Lua string literal for any text: quotes, backslashes and control bytes escaped.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += "\\\""
            case UInt8(ascii: "\\"): out += "\\\\"
            case 0x20...0x7E: out += String(UnicodeScalar(byte))
            default: out += "\\" + String(byte)   // why decimal: Lua's \ddd escape, any byte
            }
        }
        return out + "\""
    }
}
