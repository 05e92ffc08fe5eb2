-- The fixture adds X-Fixture with the recipient count, sender and whether Subject was seen,
-- and negotiates "no reply" for the steps it does not answer.
dofile(luadir .. "/common.lua")

local conn = open_connection("192.0.2.7")
check(mt.test_option(conn, SMFIP_NR_RCPT), "SMFIP_NR_RCPT not negotiated")
check(mt.test_option(conn, SMFIP_NR_MAIL), "SMFIP_NR_MAIL not negotiated")
check(mt.test_option(conn, SMFIP_NR_HDR), "SMFIP_NR_HDR not negotiated")
check(mt.test_option(conn, SMFIP_NOBODY), "SMFIP_NOBODY not negotiated")
check(mt.test_option(conn, SMFIP_NOEOH), "SMFIP_NOEOH not negotiated (fixture does not hear it)")
check(not mt.test_option(conn, SMFIP_NOCONNECT), "SMFIP_NOCONNECT negotiated but the fixture hears connect")

send_message(conn, "<sender@example.test>",
  { "<a@example.test>", "<b@example.test>", "<c@example.test>" },
  { { "From", "Sender <sender@example.test>" }, { "Subject", "hello" } })
check(mt.getreply(conn) == SMFIR_CONTINUE, "expected continue at end of message")
check(mt.eom_check(conn, MT_HDRADD, "X-Fixture", "rcpts=3; from=<sender@example.test>; subject-seen=yes"),
      "X-Fixture header wrong: " .. tostring(mt.getheader(conn, "X-Fixture", 0)))
check(mt.eom_check(conn, MT_HDRADD, "X-Fixture-Seen", "client=192.0.2.7; queue=Q1; auth=alice"),
      "X-Fixture-Seen header wrong: " .. tostring(mt.getheader(conn, "X-Fixture-Seen", 0)))

-- A second message on the same connection starts afresh.
send_message(conn, "<other@example.test>", { "<d@example.test>" }, { { "From", "x" } })
check(mt.eom_check(conn, MT_HDRADD, "X-Fixture", "rcpts=1; from=<other@example.test>; subject-seen=no"),
      "second X-Fixture header wrong: " .. tostring(mt.getheader(conn, "X-Fixture", 0)))

mt.disconnect(conn)
mt.echo("ok header")
