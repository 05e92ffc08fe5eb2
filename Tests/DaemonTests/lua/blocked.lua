-- The thread <root> is blocked (by an earlier run): the first reply-all is refused at once.
-- Defines: root, code, enhanced, text.
dofile(luadir .. "/common.lua")
local conn = open_connection()
reply_all(conn, 99, root, "Welcome")
expect_reply(conn, code, enhanced, text, "reply-all into a blocked thread")
mt.disconnect(conn)
mt.echo("ok blocked")
