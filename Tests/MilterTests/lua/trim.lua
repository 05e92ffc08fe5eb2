-- A recipient trim@example.test makes the fixture delete every recipient (as sent) and add the author.
dofile(luadir .. "/common.lua")
local conn = open_connection()
send_message(conn, "<sender@example.test>",
  { "<all@example.test>", "<trim@example.test>", "plain@example.test" }, { { "Subject", "x" } })
check(mt.eom_check(conn, MT_RCPTDELETE, "<all@example.test>"), "<all@example.test> not deleted")
check(mt.eom_check(conn, MT_RCPTDELETE, "<trim@example.test>"), "<trim@example.test> not deleted")
check(mt.eom_check(conn, MT_RCPTDELETE, "plain@example.test"), "plain@example.test not deleted as sent")
check(mt.eom_check(conn, MT_RCPTADD, "<author@example.test>"), "<author@example.test> not added")
mt.disconnect(conn)
mt.echo("ok trim")
