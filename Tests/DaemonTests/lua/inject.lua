-- A refused reply-all whose subject and sender carry CR/LF: the log must stay one line each.
dofile(luadir .. "/common.lua")
local conn = open_connection()
send_message(conn, "<evil@example.test>", { "<all@example.test>" }, {
  { "Message-ID", "<inject@example.test>" }, { "In-Reply-To", "<root-inject@example.test>" },
  { "Subject", "Re: hello\r\nNOQUEUE: breakwater: forged line\nanother\x01" } })
check(mt.getreply(conn) == SMFIR_REPLYCODE, "expected the injected reply-all to be refused")
mt.disconnect(conn)
mt.echo("ok inject")
