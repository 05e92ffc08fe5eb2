-- A direct reply (to the author only) passes, untouched, whatever the thread.
dofile(luadir .. "/common.lua")
local conn = open_connection()
announce(conn, "root-direct@example.test", "Welcome")
reply_all(conn, 1, "root-direct@example.test", "Welcome", nil, { "<boss@example.test>" })
expect_pass(conn, "direct reply")
check(not mt.eom_check(conn, MT_HDRADD, "X-Breakwater"), "a direct reply got a header")
mt.disconnect(conn)
mt.echo("ok direct")
