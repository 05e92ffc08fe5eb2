-- A recipient defer@example.test makes the fixture answer 451 4.7.1.
dofile(luadir .. "/common.lua")
local conn = open_connection()
send_message(conn, "<sender@example.test>", { "<defer@example.test>" }, { { "Subject", "x" } })
expect_reply(conn, "451", "4.7.1", "fixture says later")
mt.disconnect(conn)
mt.echo("ok tempfail")
