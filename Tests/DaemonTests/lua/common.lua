-- Shared helpers for the breakwater scripts. Run as:
--   miltertest -D socket=SPEC -D luadir=DIR [-D name=value ...] -s DIR/script.lua
-- A Lua error() message is never printed by miltertest, so failures are echoed first.
--
-- The mail world of these scripts: all@example.test is a list of 50 (a list_size_maps entry),
-- boss@example.test announces something to it, userN@example.test reply to all.

function check(condition, message)
  if not condition then
    mt.echo("FAIL: " .. message)
    error(message)
  end
end

function open_connection(client_ip)
  local conn = mt.connect(socket, 200, 0.05)
  check(conn ~= nil, "mt.connect(" .. socket .. ") failed")
  check(mt.conninfo(conn, "client.example.test", client_ip or "192.0.2.7") == nil, "mt.conninfo failed")
  if not mt.test_option(conn, SMFIP_NOHELO) then
    check(mt.helo(conn, "client.example.test") == nil, "mt.helo failed")
  end
  return conn
end

queue_number = 0

-- One whole message up to and including end of message; headers is a list of {name, value}.
function send_message(conn, sender, recipients, headers)
  queue_number = queue_number + 1
  check(mt.macro(conn, SMFIC_MAIL, "i", "QID" .. queue_number) == nil, "mt.macro failed")
  check(mt.mailfrom(conn, sender) == nil, "mt.mailfrom(" .. sender .. ") failed")
  for _, rcpt in ipairs(recipients) do
    check(mt.rcptto(conn, rcpt) == nil, "mt.rcptto(" .. rcpt .. ") failed")
  end
  for _, h in ipairs(headers or {}) do
    check(mt.header(conn, h[1], h[2]) == nil, "mt.header(" .. h[1] .. ") failed")
  end
  if not mt.test_option(conn, SMFIP_NOEOH) then
    check(mt.eoh(conn) == nil, "mt.eoh failed")
  end
  check(mt.eom(conn) == nil, "mt.eom failed")
end

-- boss@example.test writes to the whole list: the root of thread <root>.
function announce(conn, root, subject)
  send_message(conn, "<boss@example.test>", { "<all@example.test>" }, {
    { "From", "Boss <boss@example.test>" }, { "To", "all@example.test" },
    { "Message-ID", "<" .. root .. ">" }, { "Subject", subject } })
  expect_pass(conn, "announcement " .. root)
end

-- userN replies to all (the list, and the author in Cc as mail clients do).
function reply_all(conn, n, root, subject, sender, recipients)
  send_message(conn, sender or ("<user" .. n .. "@example.test>"),
    recipients or { "<all@example.test>", "<boss@example.test>" }, {
    { "From", "User " .. n .. " <user" .. n .. "@example.test>" }, { "To", "all@example.test" },
    { "Cc", "boss@example.test" },
    { "Message-ID", "<reply" .. n .. "." .. root .. ">" }, { "In-Reply-To", "<" .. root .. ">" },
    { "References", "<" .. root .. ">" }, { "Subject", "Re: " .. subject } })
end

-- The message passed: continue or accept, not refused.
function expect_pass(conn, what)
  local r = mt.getreply(conn)
  check(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT, what .. ": expected a pass, got reply " .. tostring(r))
end

-- The SMTP reply the filter asked for, checked as code, enhanced status and text.
function expect_reply(conn, code, enhanced, text, what)
  check(mt.getreply(conn) == SMFIR_REPLYCODE, (what or "message") .. ": expected a reply code")
  check(mt.eom_check(conn, MT_SMTPREPLY, code, enhanced, text),
        (what or "message") .. ": expected reply " .. code .. " " .. enhanced .. " " .. text)
end
