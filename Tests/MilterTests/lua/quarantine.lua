-- A recipient hold@example.test makes the fixture quarantine the message (and still tag it).
dofile(luadir .. "/common.lua")
local conn = open_connection()
send_message(conn, "<sender@example.test>", { "<hold@example.test>", "<b@example.test>" }, { { "Subject", "x" } })
check(mt.eom_check(conn, MT_QUARANTINE, "fixture hold"), "no quarantine with reason \"fixture hold\"")
check(mt.eom_check(conn, MT_HDRADD, "X-Fixture", "rcpts=2; from=<sender@example.test>; subject-seen=yes"),
      "X-Fixture missing on held message")
mt.disconnect(conn)
mt.echo("ok quarantine")
