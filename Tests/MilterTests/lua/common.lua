-- Shared helpers for the milter-fixture scripts. Run as:
--   miltertest -D socket=SPEC -D luadir=DIR -s DIR/script.lua
-- A Lua error() message is never printed by miltertest, so failures are echoed first.

function check(condition, message)
  if not condition then
    mt.echo("FAIL: " .. message)
    error(message)
  end
end

-- Connects (retrying while the filter starts) and sends the connection step.
function open_connection(client_ip)
  local conn = mt.connect(socket, 100, 0.05)
  check(conn ~= nil, "mt.connect(" .. socket .. ") failed")
  check(mt.conninfo(conn, "client.example.test", client_ip or "192.0.2.7") == nil, "mt.conninfo failed")
  -- why: an implicit helo would discard the MAIL macros set next; but miltertest raises an
  -- error for a step the filter negotiated away, so only send what it asked for.
  if not mt.test_option(conn, SMFIP_NOHELO) then
    check(mt.helo(conn, "client.example.test") == nil, "mt.helo failed")
  end
  return conn
end

-- Sends one message up to (not including) end of message.
function send_message(conn, sender, recipients, headers)
  check(mt.macro(conn, SMFIC_MAIL, "i", "Q1", "{auth_authen}", "alice") == nil, "mt.macro failed")
  check(mt.mailfrom(conn, sender) == nil, "mt.mailfrom failed")
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

-- The SMTP reply the filter asked for, checked as code, enhanced status and text.
function expect_reply(conn, code, enhanced, text)
  check(mt.getreply(conn) == SMFIR_REPLYCODE, "expected a reply code at end of message")
  check(mt.eom_check(conn, MT_SMTPREPLY, code, enhanced, text),
        "expected reply " .. code .. " " .. enhanced .. " " .. text)
end
