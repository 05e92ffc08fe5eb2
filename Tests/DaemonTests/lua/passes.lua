-- `count` reply-alls into thread <root> all pass (no rule stops them).
dofile(luadir .. "/common.lua")
local conn = open_connection()
announce(conn, root, "Welcome")
for n = 1, tonumber(count) do
  reply_all(conn, n, root, "Welcome")
  expect_pass(conn, "reply-all " .. n)
end
mt.disconnect(conn)
mt.echo("ok passes")
