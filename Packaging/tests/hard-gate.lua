-- Drives an installed breakwater with its default policy through one ordinary message and
-- one reply-all that the hard gate (10,000 by default) must refuse. Run as:
--   miltertest -D socket=inet:8894@127.0.0.1 -s hard-gate.lua
-- A Lua error() message is never printed by miltertest, so failures are echoed first.

function check(condition, message)
  if not condition then
    mt.echo("FAIL: " .. message)
    error(message)
  end
end

function open_connection()
  local conn = mt.connect(socket, 50, 0.2)
  check(conn ~= nil, "cannot connect to " .. socket)
  check(mt.conninfo(conn, "client.example.test", "192.0.2.10") == nil, "mt.conninfo failed")
  -- why: an implicit helo would drop the MAIL macros; a step the filter negotiated away errors.
  if not mt.test_option(conn, SMFIP_NOHELO) then
    check(mt.helo(conn, "client.example.test") == nil, "mt.helo failed")
  end
  return conn
end

function send(conn, queue_id, sender, recipients, headers)
  check(mt.macro(conn, SMFIC_MAIL, "i", queue_id) == nil, "mt.macro failed")
  check(mt.mailfrom(conn, sender) == nil, "mt.mailfrom failed")
  for _, rcpt in ipairs(recipients) do
    check(mt.rcptto(conn, rcpt) == nil, "mt.rcptto(" .. rcpt .. ") failed")
  end
  for _, h in ipairs(headers) do
    check(mt.header(conn, h[1], h[2]) == nil, "mt.header(" .. h[1] .. ") failed")
  end
  if not mt.test_option(conn, SMFIP_NOEOH) then
    check(mt.eoh(conn) == nil, "mt.eoh failed")
  end
  if not mt.test_option(conn, SMFIP_NOBODY) then
    check(mt.bodystring(conn, "Numbers attached.\r\n") == nil, "mt.bodystring failed")
  end
  check(mt.eom(conn) == nil, "mt.eom failed")
end

-- 1. An ordinary announcement to three people passes untouched.
local conn = open_connection()
send(conn, "BW0001", "<author@example.test>",
     { "<a@example.test>", "<b@example.test>", "<c@example.test>" },
     { { "From", "Author <author@example.test>" },
       { "Subject", "Quarterly figures" },
       { "Message-ID", "<root.packaging-test@example.test>" } })
local first = mt.getreply(conn)
check(first == SMFIR_ACCEPT or first == SMFIR_CONTINUE,
      "an ordinary message should be accepted, got reply " .. tostring(first))
mt.disconnect(conn)
mt.echo("ok: ordinary message accepted")

-- 2. A reply to 10,000 distinct mailboxes meets the hard gate and is refused with 550 5.7.1.
local everyone = {}
for i = 1, 10000 do
  everyone[i] = "<staff" .. i .. "@example.test>"
end
conn = open_connection()
send(conn, "BW0002", "<replier@example.test>", everyone,
     { { "From", "Replier <replier@example.test>" },
       { "Subject", "Re: Quarterly figures" },
       { "Message-ID", "<reply1.packaging-test@example.test>" },
       { "In-Reply-To", "<root.packaging-test@example.test>" },
       { "References", "<root.packaging-test@example.test>" } })
local second = mt.getreply(conn)
check(second == SMFIR_REPLYCODE, "the reply-all should be refused with a reply code, got " .. tostring(second))
-- miltertest matches a reply only as code, enhanced code and text together: this is the
-- default hard_gate_reply, whose {subject} is the thread's subject without "Re:".
check(mt.eom_check(conn, MT_SMTPREPLY, "550", "5.7.1",
        "Reply-all to 10000 recipients refused: \"Quarterly figures\" reaches too many people. Reply to the sender only."),
      "expected the default hard-gate reply 550 5.7.1")
mt.disconnect(conn)
mt.echo("ok: reply-all to 10000 refused by the hard gate")
