-- A reply-all past the hard gate is refused at once with the configured reply.
-- Defines: code, enhanced, text (the expected reply).
dofile(luadir .. "/common.lua")
local conn = open_connection()
announce(conn, "root-gate@example.test", "Welcome")
reply_all(conn, 1, "root-gate@example.test", "Welcome")
expect_reply(conn, code, enhanced, text, "reply-all past the gate")
mt.disconnect(conn)
mt.echo("ok hardgate")
