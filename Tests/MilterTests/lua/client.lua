-- The connect step's client address reaches the handler as text: IPv6 as written, an
-- IPv4-mapped IPv6 address as plain IPv4, and an unknown family as nothing.
dofile(luadir .. "/common.lua")
local cases = {
  { "2001:db8::7", "client=2001:db8::7" },
  { "::ffff:192.0.2.9", "client=192.0.2.9" },
  { "unspec", "client=none" },
}
for _, case in ipairs(cases) do
  local conn = open_connection(case[1])
  send_message(conn, "<sender@example.test>", { "<a@example.test>" }, {})
  local seen = mt.getheader(conn, "X-Fixture-Seen", 0)
  check(seen ~= nil and string.sub(seen, 1, #case[2] + 1) == case[2] .. ";",
        case[1] .. " arrived as " .. tostring(seen))
  mt.disconnect(conn)
end
mt.echo("ok client")
