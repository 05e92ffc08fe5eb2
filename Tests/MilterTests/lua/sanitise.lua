-- Reply texts and header values that would break the protocol arrive sanitised.
dofile(luadir .. "/common.lua")
local conn = open_connection()

-- "100% sure\r\nInjected: yes": % doubled, CR and LF become spaces.
send_message(conn, "<sender@example.test>", { "<percent@example.test>" }, { { "Subject", "x" } })
expect_reply(conn, "550", "5.7.1", "100%% sure  Injected: yes")
mt.disconnect(conn)

-- A 5xx code asked for with tempfail arrives as 451 with a 4.x.x status, never as 550.
conn = open_connection()
send_message(conn, "<sender@example.test>", { "<wrongclass@example.test>" }, { { "Subject", "x" } })
check(mt.getreply(conn) == SMFIR_REPLYCODE, "expected a reply code for wrongclass")
check(not mt.eom_check(conn, MT_SMTPREPLY, "550"), "a tempfail went out with a 550 code")
expect_reply(conn, "451", "4.7.1", "wrong class")
mt.disconnect(conn)

-- A header value with CR/LF cannot add a second header.
conn = open_connection()
send_message(conn, "<sender@example.test>", { "<inject@example.test>" }, { { "Subject", "x" } })
check(mt.eom_check(conn, MT_HDRADD, "X-Fixture-Injected", "a  Bcc: victim@example.test"),
      "injected header value not flattened: " .. tostring(mt.getheader(conn, "X-Fixture-Injected", 0)))
check(not mt.eom_check(conn, MT_HDRADD, "Bcc"), "a Bcc header was injected")
mt.disconnect(conn)
mt.echo("ok sanitise")
