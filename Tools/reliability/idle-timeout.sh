#!/usr/bin/env bash
# A message whose DATA takes a long time (CHANGELOG.md, 2026-11-26: milter_timeout): Postfix sends a message's
# headers to the milter only after the whole message has arrived, so the milter connection is
# silent while the client sends DATA. libmilter's worker pool closes a connection idle longer
# than milter_timeout, at a check it runs every 600 s. This plays an MTA (python3, the milter
# protocol by hand): negotiate, CONNECT, HELO, MAIL, RCPT, DATA, then silence for --silence
# seconds, then the headers and end of message; PASS if the end of message gets a verdict.
#
#   Tools/reliability/idle-timeout.sh [--silence S] [--milter-timeout DURATION] [--bin-dir DIR]
#
# Default: 640 s of silence (past libmilter's first check) with the daemon's default
# milter_timeout. --milter-timeout 30s shows the old default dropping the message. --bin-dir:
# where breakwater is (default .build/release); nothing is built. KEEP=1 keeps the scratch folder.
set -euo pipefail
cd "$(dirname "$0")/../.."
. Tools/lib.sh

silence=640 timeout="" bindir=.build/release
while (($#)); do
  case "$1" in
    --silence) silence=$2; shift ;;
    --milter-timeout) timeout=$2; shift ;;
    --bin-dir) bindir=$2; shift ;;
    *) sed -n 2,13p "$0" >&2; exit 2 ;;
  esac
  shift
done
BREAKWATER=$bindir/breakwater
[[ -x $BREAKWATER ]] || { echo "missing binary: $BREAKWATER (build it first)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "needs python3" >&2; exit 1; }
root=$(mktemp -d /tmp/breakwater-idle.XXXXXX)
daemon=""
trap stress_cleanup EXIT

echo "everyone@idle.example 5000" >"$root/lists.sizes"
write_daemon_config "$root" 1000 <<CONF
socket_group =
${timeout:+milter_timeout = $timeout}
CONF
start_daemon "$root"
echo "idle-timeout: daemon $daemon, milter_timeout ${timeout:-default}, silence ${silence} s, $(date -u +%FT%TZ)"

status=0
python3 - "$root/breakwater.sock" "$silence" <<'PY' || status=$?
import select, socket, struct, sys, time
path, silence = sys.argv[1], float(sys.argv[2])
s = socket.socket(socket.AF_UNIX)
s.connect(path)

def send(code, payload=b""):
    frame = code + payload
    s.sendall(struct.pack(">I", len(frame)) + frame)

def replies(wait):
    """Reply codes that arrive within `wait` s (then 0.2 s between frames); 'EOF' if closed."""
    codes, buffer = [], b""
    while True:
        ready, _, _ = select.select([s], [], [], wait)
        if not ready:
            return codes
        data = s.recv(65536)
        if not data:
            return codes + ["EOF"]
        buffer += data
        while len(buffer) >= 4 and len(buffer) >= 4 + struct.unpack(">I", buffer[:4])[0]:
            n = struct.unpack(">I", buffer[:4])[0]
            codes.append(chr(buffer[4]))
            buffer = buffer[4 + n:]
        wait = 0.2

start = time.time()
send(b"O", struct.pack(">III", 6, 0x1FF, 0))
steps = [("negotiation", replies(5))]
for name, code, payload in [
        ("connect", b"C", b"client.idle.example\0" + b"4" + struct.pack(">H", 25) + b"192.0.2.1\0"),
        ("helo", b"H", b"client.idle.example\0"),
        ("mail", b"M", b"<sender@idle.example>\0"),
        ("rcpt", b"R", b"<everyone@idle.example>\0"),
        ("data", b"T", b"")]:
    send(code, payload)
    steps.append((name, replies(1)))
print("idle-timeout: " + ", ".join(f"{n} {r}" for n, r in steps), flush=True)
ready, _, _ = select.select([s], [], [], silence)
if ready and s.recv(1) == b"":
    print(f"idle-timeout: FAIL: the daemon closed the connection after {time.time() - start:.1f} s of silence "
          "(the MTA would apply milter_default_action to this message)")
    sys.exit(1)
try:
    send(b"L", b"Message-ID\0<idle1@idle.example>\0")
    send(b"L", b"Subject\0a big attachment\0")
    send(b"N")
    send(b"E")
    codes = replies(10)
except OSError as e:
    print(f"idle-timeout: FAIL: {e} after {time.time() - start:.1f} s")
    sys.exit(1)
verdicts = [c for c in codes if c in "acrtdy"]
if not verdicts or "EOF" in codes:
    print(f"idle-timeout: FAIL: no verdict for the end of message after {time.time() - start:.1f} s: {codes}")
    sys.exit(1)
print(f"idle-timeout: end of message after {time.time() - start:.1f} s got {codes}")
PY

stop_daemon_checked idle-timeout "$root" || status=1
((status == 0)) && echo "idle-timeout.sh: PASS" || echo "idle-timeout.sh: FAIL"
exit "$status"
