-- A recipient reject@example.test makes the fixture reject with its own text.
dofile(luadir .. "/common.lua")
local conn = open_connection()
send_message(conn, "<sender@example.test>", { "<a@example.test>", "<reject@example.test>" }, { { "Subject", "x" } })
expect_reply(conn, "550", "5.7.1", "fixture says no")
check(not mt.eom_check(conn, MT_HDRADD, "X-Fixture"), "a rejected message should not be edited")
mt.disconnect(conn)
mt.echo("ok reject")
