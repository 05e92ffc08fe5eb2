-- A storm in thread <root>: trip_replies reply-alls pass, the next is stopped as `mode` says.
-- Defines: root, trips (the configured trip_replies), mode = reject | defer | hold | tag |
-- trim | exempt | trip, and per mode: code, enhanced, text (reject, defer), text (hold),
-- header (tag).
dofile(luadir .. "/common.lua")
local conn = open_connection()
local subject = "Welcome"
announce(conn, root, subject)
for n = 1, tonumber(trips) do
  reply_all(conn, n, root, subject)
  expect_pass(conn, "reply-all " .. n .. " (within the limit)")
end
local next = tonumber(trips) + 1

if mode == "reject" or mode == "trip" then
  reply_all(conn, next, root, subject)
  expect_reply(conn, code, enhanced, text, "reply-all " .. next)
elseif mode == "defer" then
  reply_all(conn, next, root, subject)
  expect_reply(conn, code, enhanced, text, "reply-all " .. next)
elseif mode == "hold" then
  reply_all(conn, next, root, subject)
  expect_pass(conn, "held reply-all " .. next)
  check(mt.eom_check(conn, MT_QUARANTINE, text), "no quarantine with reason \"" .. text .. "\"")
elseif mode == "tag" then
  reply_all(conn, next, root, subject)
  expect_pass(conn, "tagged reply-all " .. next)
  check(mt.eom_check(conn, MT_HDRADD, "X-Breakwater", header),
        "X-Breakwater wrong: " .. tostring(mt.getheader(conn, "X-Breakwater", 0)))
  check(not mt.eom_check(conn, MT_QUARANTINE), "a tagged message was held")
elseif mode == "trim" then
  reply_all(conn, next, root, subject, nil, { "<all@example.test>", "carol@example.test", "<boss@example.test>" })
  expect_pass(conn, "trimmed reply-all " .. next)
  check(mt.eom_check(conn, MT_RCPTDELETE, "<all@example.test>"), "<all@example.test> not deleted as sent")
  check(mt.eom_check(conn, MT_RCPTDELETE, "carol@example.test"), "carol@example.test not deleted as sent")
  -- The author is already a recipient: the entry stays (Postfix's delrcpt would remove it for
  -- good if deleted and added back), and nothing is added.
  check(not mt.eom_check(conn, MT_RCPTDELETE, "<boss@example.test>"), "the author <boss@example.test> was deleted")
  check(not mt.eom_check(conn, MT_RCPTADD, "<boss@example.test>"), "the author <boss@example.test> was added again")
elseif mode == "exempt" then
  reply_all(conn, next, root, subject, "<ceo@example.test>")
  expect_pass(conn, "exempt sender during the storm")
  reply_all(conn, next + 1, root, subject)
  expect_reply(conn, code, enhanced, text, "non-exempt reply-all " .. (next + 1))
else
  check(false, "unknown mode " .. tostring(mode))
end
mt.disconnect(conn)
mt.echo("ok storm")
