#!/usr/bin/env bash
# Messages per second through a private Postfix (SMTP in, virtual maildir delivery out), WITH
# Breakwater in smtpd_milters and WITHOUT (same Postfix, milter lines emptied), alternating in
# one run, several repetitions; prints medians and the ratio (target: with >= 90% of without).
#
#   Tools/bench/postfix.sh [--smoke] [--messages N] [--connections C] [--reps R]
#
# Needs root, Postfix (apt-get install postfix) and python3. Uses $BREAKWATER if set, else builds
# the release binary with --scratch-path .build-postfix. --smoke runs it tiny, for CI: it checks
# that both modes deliver everything and prints the figures, without judging them.
set -euo pipefail
cd "$(dirname "$0")/../.."
. Tools/lib.sh

messages=500 connections=4 reps=5 smoke=0
while (($#)); do
  case "$1" in
    --smoke) smoke=1 messages=20 connections=2 reps=1 ;;
    --messages) messages=$2; shift ;;
    --connections) connections=$2; shift ;;
    --reps) reps=$2; shift ;;
    *) echo "usage: $0 [--smoke] [--messages N] [--connections C] [--reps R]" >&2; exit 2 ;;
  esac
  shift
done
[[ $(id -u) -eq 0 ]] || { echo "run as root (Postfix's own commands with -c need it)" >&2; exit 1; }
command -v postconf >/dev/null || { echo "Postfix is not installed (apt-get install postfix)" >&2; exit 1; }

if [[ -z ${BREAKWATER:-} ]]; then
  swift build -c release --scratch-path .build-postfix --product breakwater >/dev/null
  BREAKWATER="$(swift build -c release --scratch-path .build-postfix --show-bin-path)/breakwater"
fi

root=$(mktemp -d /tmp/breakwater-bench-postfix.XXXXXX)
chmod 755 "$root"
etc=$root/etc
mkdir -p "$etc" "$root"/{queue,data,log,mail,milter}
chmod 755 "$root/milter"
bw_pid=""
cleanup() {
  postfix -c "$etc" stop >/dev/null 2>&1 || true
  [[ -n $bw_pid ]] && kill "$bw_pid" 2>/dev/null && wait "$bw_pid" 2>/dev/null
  [[ -n ${KEEP:-} ]] || rm -rf "$root"
}
trap cleanup EXIT

# --- a private Postfix: own config, queue, log and mailboxes; no chroot; SMTP on a free port ---
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cp /etc/postfix/master.cf /etc/postfix/dynamicmaps.cf "$etc/"
echo "compatibility_level = 3.6" >"$etc/main.cf"
chown postfix:postfix "$root/data"
chown nobody:nogroup "$root/mail"
for i in $(seq 1 20); do echo "u$i@bench.test bench.test/u$i/"; done >"$etc/mailboxes"
echo "list@bench.test $(seq -s ', ' -f 'u%g@bench.test' 1 20)" >"$etc/virtual"
postmap -c "$etc" "hash:$etc/mailboxes" "hash:$etc/virtual"
sock=$root/milter/breakwater.sock
postconf -c "$etc" -e "queue_directory = $root/queue" "data_directory = $root/data" \
  "maillog_file = $root/log/maillog" "maillog_file_prefixes = $root/log" \
  "inet_interfaces = 127.0.0.1" "inet_protocols = ipv4" "myhostname = mx.bench.test" \
  "mydestination = localhost" "alias_maps =" "alias_database =" \
  "virtual_mailbox_domains = bench.test" "virtual_mailbox_base = $root/mail" \
  "virtual_mailbox_maps = hash:$etc/mailboxes" "virtual_alias_maps = hash:$etc/virtual" \
  "virtual_uid_maps = static:65534" "virtual_gid_maps = static:65534" \
  "default_transport = error:bench delivers only to bench.test" "relay_transport = error:bench delivers only to bench.test" \
  "milter_default_action = tempfail" "smtputf8_enable = no" "biff = no" "smtpd_milters =" "non_smtpd_milters ="
postconf -c "$etc" -F '*/*/chroot = n'
postconf -c "$etc" -M# smtp/inet
postconf -c "$etc" -M "127.0.0.1:$port/inet = 127.0.0.1:$port inet n - n - - smtpd"
postfix -c "$etc" start >/dev/null 2>&1

cat >"$root/breakwater.conf" <<EOF
listen = unix:$sock
socket_group = postfix
postfix_tables = yes
postfix_config_directory = $etc
snapshot_path =
log_level = notice
EOF
"$BREAKWATER" run --allow-root --foreground --config "$root/breakwater.conf" 2>"$root/breakwater.log" &
bw_pid=$!
wait_socket "$sock" "$bw_pid" "$root/breakwater.log"

# --- the load: N messages, 20 recipients and 8 headers each, over C connections opened in turn ---
cat >"$root/send.py" <<'EOF'
import smtplib, sys, threading, time
port, n, conns, tag = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rcpts = ["u%d@bench.test" % i for i in range(1, 21)]
failures = []
def worker(k):
    s = smtplib.SMTP("127.0.0.1", port, timeout=60)
    for i in range(k, n, conns):
        body = ("From: Sender <sender@example.test>\r\nTo: list@bench.test\r\nCc: u1@bench.test\r\n"
                "Subject: bench %s %d\r\nMessage-ID: <%s.%d@example.test>\r\n"
                "Date: Tue, 25 Nov 2025 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
                "Content-Type: text/plain\r\n\r\nHello.\r\n") % (tag, i, tag, i)
        try:
            s.sendmail("sender@example.test", rcpts, body)
        except Exception as e:
            failures.append(repr(e))
    s.quit()
start = time.time()
threads = [threading.Thread(target=worker, args=(k,)) for k in range(conns)]
for t in threads: t.start()
for t in threads: t.join()
print("%.6f %d" % (start, len(failures)))
if failures: print(failures[0], file=sys.stderr)
EOF

set_milter() {  # $1 = with | without
  local value=""; [[ $1 == with ]] && value="unix:$sock"
  postconf -c "$etc" -e "smtpd_milters = $value"
  postfix -c "$etc" reload >/dev/null 2>&1
}
count_files() { find "$root/mail/bench.test" -path '*/new/*' -type f 2>/dev/null | wc -l; }

one_run() {  # $1 = with | without, $2 = run tag; prints messages per second
  set_milter "$1"
  local before; before=$(count_files)
  local out; out=$(python3 "$root/send.py" "$port" "$messages" "$connections" "$2")
  local start=${out% *} failed=${out#* }
  ((failed == 0)) || { echo "$1: $failed messages refused" >&2; exit 1; }
  local want=$((before + messages * 20))
  for _ in $(seq 1 12000); do   # at most 10 minutes
    [[ $(count_files) -ge $want ]] && [[ -z $(postqueue -c "$etc" -j) ]] && break
    sleep 0.05
  done
  [[ $(count_files) -ge $want ]] || { echo "$1: only $(( $(count_files) - before )) of $((messages * 20)) deliveries" >&2; exit 1; }
  python3 -c "import time,sys; print('%.1f' % ($messages / (time.time() - float(sys.argv[1]))))" "$start"
}

echo "Postfix $(postconf -d -h mail_version), $(nproc) cores; $messages messages x 20 recipients, 8 headers, $connections connections, $reps repetitions"
with=() without=()
for r in $(seq 1 "$reps"); do
  # why: alternate which mode goes first, so warm-up and drift fall on both alike.
  if ((r % 2)); then order="without with"; else order="with without"; fi
  for mode in $order; do
    mps=$(one_run "$mode" "r$r$mode")
    if [[ $mode == with ]]; then with+=("$mps"); else without+=("$mps"); fi
    echo "  run $r $mode: $mps msg/s"
  done
done
m_with=$(printf '%s\n' "${with[@]}" | median)
m_without=$(printf '%s\n' "${without[@]}" | median)
ratio=$(python3 -c "print('%.1f' % (100 * $m_with / $m_without))")
echo "median without Breakwater: $m_without msg/s"
echo "median with Breakwater:    $m_with msg/s"
echo "with / without: $ratio%"
if grep -qE "milter-reject|warning: .*[Mm]ilter" "$root/log/maillog"; then
  echo "note: the maillog has milter warnings:" >&2; grep -E "milter-reject|warning: .*[Mm]ilter" "$root/log/maillog" | head -3 >&2
fi
((smoke)) && echo "smoke run: both modes delivered everything"
exit 0
