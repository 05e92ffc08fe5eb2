#!/usr/bin/env bash
# CI check of the Debian package, as root on Debian 12 with the Swift toolchain on PATH:
#
#   bash Packaging/test-package.sh [OUTPUT_DIR]        (default: Packaging/build)
#
# Builds the package (Packaging/build-deb.sh), holds lintian to no errors and no warnings that
# are not overridden, installs it with apt-get, checks its files, user and conffile, starts the
# installed daemon the way the systemd unit's ExecStart does (as user breakwater, no systemd
# needed), sends it mail with miltertest (and replays a storm when a replay tool and scenario
# are there), stops it with SIGTERM, then removes and purges the package and checks nothing
# is left. Prints PASS/FAIL per check; the last line is "N passed, N failed".
#
# Environment:
#   BREAKWATER_DEB=FILE            test this .deb instead of building one (lintian still runs
#                                  on the .changes beside it when there is one)
#   BREAKWATER_REQUIRE_DAEMON=1    a daemon that does not implement its CLI yet is a failure,
#                                  not a skip
#   REPLAY_SCENARIO=FILE           default Scenarios/nhs-2016.session (with its .sizes beside it)
#   REPLAY_TOOL=FILE               a breakwater-replay binary (default: the installed
#                                  `breakwater replay`, then breakwater-replay on PATH, then a
#                                  build from this tree in .build-deb)
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$repo/Packaging/build}
unit=/lib/systemd/system/breakwater.service
conf=/etc/breakwater/breakwater.conf

passed=0
failed=0
skipped=0
pass() { passed=$((passed + 1)); echo "PASS: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
skip() {
  if [[ ${BREAKWATER_REQUIRE_DAEMON:-0} == 1 ]]; then fail "$* (skipped, but BREAKWATER_REQUIRE_DAEMON=1)"
  else skipped=$((skipped + 1)); echo "SKIP: $*"; fi
}
# check DESCRIPTION COMMAND...: one check, passing when COMMAND succeeds (its output is shown
# only on failure).
check() {
  local what=$1; shift
  local output
  if output=$("$@" 2>&1); then pass "$what"; else fail "$what"; [[ -n $output ]] && sed 's/^/    | /' <<<"$output"; fi
}
step() { printf '\n== %s\n' "$*"; }
finish() {
  echo
  ((skipped)) && echo "$skipped skipped"
  echo "$passed passed, $failed failed"
  ((failed == 0))
  exit $?
}

[[ $(id -u) -eq 0 ]] || { echo "test-package: run as root (it installs and purges the package)" >&2; exit 2; }
export DEBIAN_FRONTEND=noninteractive

# A leftover install from an earlier run would hide what this one installs.
if dpkg-query -W -f='${Status}' breakwater 2>/dev/null | grep -q -v "not-installed"; then
  step "purging an earlier breakwater install"
  apt-get purge -y -qq breakwater >/dev/null 2>&1 || dpkg --purge breakwater
fi

# ---------------------------------------------------------------------------------------------
step "build"
if [[ -n ${BREAKWATER_DEB:-} ]]; then
  deb=$(realpath "$BREAKWATER_DEB")
  check "the given package exists ($deb)" test -f "$deb"
else
  mkdir -p "$out"
  rm -f "$out"/breakwater_*.deb "$out"/breakwater-dbgsym_*.deb "$out"/breakwater_*.changes "$out"/breakwater_*.buildinfo
  build_log=$(mktemp)
  if bash "$repo/Packaging/build-deb.sh" "$out" >"$build_log" 2>&1; then
    pass "build-deb.sh built the package"
  else
    fail "build-deb.sh failed; the last lines of its output:"
    tail -40 "$build_log" | sed 's/^/    | /'
    finish
  fi
  version=$(dpkg-parsechangelog -l "$repo/Packaging/debian/changelog" -S Version)
  deb=$out/breakwater_${version}_$(dpkg --print-architecture).deb
  check "breakwater_${version}_$(dpkg --print-architecture).deb is in $out" test -f "$deb"
fi
[[ -f $deb ]] || finish
version=$(dpkg-deb -f "$deb" Version)
upstream=${version%-*}
echo "package contents:"
dpkg-deb -c "$deb" | awk '{print "    " $1, $2, $6, $7, $8}'

# ---------------------------------------------------------------------------------------------
step "lintian"
changes=${deb%.deb}.changes
target=$deb
[[ -f $changes ]] && target=$changes
lintian_out=$(lintian --display-info --show-overrides "$target" 2>&1)
lintian_rc=$?
echo "lintian $(basename "$target") (exit $lintian_rc):"
# (the N: lines repeat each override's reason; they are in debian/breakwater.lintian-overrides)
grep -v '^N:' <<<"${lintian_out:-(no tags)}" | sed 's/^/    | /'
errors=$(grep -c '^E: ' <<<"$lintian_out")
warnings=$(grep -c '^W: ' <<<"$lintian_out")
overridden=$(grep -c '^O: ' <<<"$lintian_out")
if ((errors == 0)); then pass "lintian: no errors"; else fail "lintian: $errors error(s)"; fi
if ((warnings == 0)); then pass "lintian: no warnings that are not overridden ($overridden overridden, each with its reason in debian/breakwater.lintian-overrides)"
else fail "lintian: $warnings warning(s) not overridden"; fi

# ---------------------------------------------------------------------------------------------
step "install"
install_log=$(mktemp)
if apt-get install -y "$deb" >"$install_log" 2>&1; then
  pass "apt-get install -y $(basename "$deb")"
else
  fail "apt-get install -y $(basename "$deb")"
  tail -30 "$install_log" | sed 's/^/    | /'
  finish
fi
check "dpkg says breakwater is installed" bash -c "dpkg-query -W -f='\${Status}' breakwater | grep -qx 'install ok installed'"

step "files"
check "/usr/sbin/breakwater is an executable owned by root" \
  bash -c '[[ -x /usr/sbin/breakwater && $(stat -c %U /usr/sbin/breakwater) == root ]]'
check "every shared library of /usr/sbin/breakwater resolves" bash -c '! ldd /usr/sbin/breakwater | grep -q "not found"'
# why: libmilter reads every command through the executable's mi_rd_cmd (CMilterGuard), which
# refuses malformed macro commands that crash libmilter; it must survive the release link and strip.
check "/usr/sbin/breakwater exports the guard's mi_rd_cmd to libmilter" bash -c 'nm -D /usr/sbin/breakwater | grep -q " T mi_rd_cmd$"'
# why: likewise accept, which pauses when descriptors run out (else libmilter's listener spins).
check "/usr/sbin/breakwater exports its accept wrapper to libmilter" bash -c 'nm -D /usr/sbin/breakwater | grep -q " T accept$"'
check "$conf exists" test -f "$conf"
check "$conf is a conffile" bash -c "dpkg-query -W --showformat='\${Conffiles}' breakwater | grep -q '^ $conf '"
check "the systemd unit $unit is installed" test -f "$unit"
check "the unit's ExecStart is /usr/sbin/breakwater run --config $conf" \
  grep -qx "ExecStart=/usr/sbin/breakwater run --config $conf" "$unit"
check "the unit is enabled for multi-user.target" test -L /etc/systemd/system/multi-user.target.wants/breakwater.service
check "man page breakwater(8)" test -f /usr/share/man/man8/breakwater.8.gz
check "man page breakwater.conf(5)" test -f /usr/share/man/man5/breakwater.conf.5.gz
check "man renders breakwater(8) without warnings" \
  bash -c '[[ -z $(man --warnings -l /usr/share/man/man8/breakwater.8.gz 2>&1 >/dev/null) ]]'
check "man renders breakwater.conf(5) without warnings" \
  bash -c '[[ -z $(man --warnings -l /usr/share/man/man5/breakwater.conf.5.gz 2>&1 >/dev/null) ]]'
check "README.Debian is installed" bash -c "ls /usr/share/doc/breakwater/README.Debian*"
check "copyright is installed" test -f /usr/share/doc/breakwater/copyright

step "systemd unit"
if command -v systemd-analyze >/dev/null; then
  # why: in a container without systemd as PID 1, verify still parses the unit and checks
  # every directive, the ExecStart binary and the dependencies it can resolve.
  check "systemd-analyze verify $unit" systemd-analyze verify "$unit"
else
  skip "systemd-analyze is not installed (apt-get install systemd): unit not verified"
fi

step "user and state folder"
check "system group breakwater exists" getent group breakwater
check "system user breakwater exists, in group breakwater" \
  bash -c '[[ $(id -gn breakwater) == breakwater && $(id -u breakwater) -lt 1000 ]]'
check "user breakwater has no login shell and home /var/lib/breakwater" \
  bash -c '[[ $(getent passwd breakwater | cut -d: -f6,7) == /var/lib/breakwater:/usr/sbin/nologin ]]'
if getent group postfix >/dev/null; then
  check "user breakwater is a member of group postfix" bash -c 'id -nG breakwater | tr " " "\n" | grep -qx postfix'
else
  skip "group postfix does not exist here: membership not checked"
fi
check "/var/lib/breakwater is owned by breakwater, mode 750" \
  bash -c 'owner=$(stat -c %U:%G:%a /var/lib/breakwater) && [[ $owner == breakwater:breakwater:750 ]] || { echo "got $owner"; false; }'

# ---------------------------------------------------------------------------------------------
step "daemon"
# The CLI is fixed (run / check-config / version); a placeholder binary accepts none of it.
version_text=$(/usr/sbin/breakwater version 2>&1)
bad_conf=$(mktemp /tmp/breakwater-bad.XXXXXX.conf)
printf 'reply_all_treshold = 10\n' >"$bad_conf"
/usr/sbin/breakwater check-config "$bad_conf" >/dev/null 2>&1
bad_rc=$?
daemon_ready=0
if [[ -n $version_text && $bad_rc -ne 0 ]]; then daemon_ready=1; fi

# Values the daemon uses, read from the installed config (the last setting of a key wins).
conf_value() {
  local v
  v=$(sed -n -E "s/^$1[[:space:]]*=[[:space:]]*(.*[^[:space:]])[[:space:]]*\$/\\1/Ip" "$conf" | tail -1)
  echo "${v:-$2}"
}
listen=$(conf_value listen inet:127.0.0.1:8894)
snapshot=$(conf_value snapshot_path /var/lib/breakwater/ledger.snapshot)
# host/port (TCP) or path (unix), and the libmilter spelling miltertest wants.
sock_host='' sock_port='' sock_path=''
case $listen in
  unix:*|local:*) sock_path=${listen#*:} ;;
  /*) sock_path=$listen ;;
  inet*:*@*) sock_port=${listen#*:}; sock_port=${sock_port%@*}; sock_host=${listen#*@} ;;
  inet*:\[*\]:*) sock_host=${listen#*[}; sock_host=${sock_host%]*}; sock_port=${listen##*:} ;;
  inet*:*:*) sock_host=${listen#*:}; sock_host=${sock_host%:*}; sock_port=${listen##*:} ;;
  inet*:*) sock_port=${listen#*:}; sock_host=127.0.0.1 ;;
esac
sock_host=${sock_host#[}; sock_host=${sock_host%]}
if [[ -n $sock_path ]]; then milter_spec=unix:$sock_path; else milter_spec=inet:$sock_port@$sock_host; fi
[[ $sock_host == *:* ]] && milter_spec=inet6:$sock_port@$sock_host
socket_open() {
  if [[ -n $sock_path ]]; then [[ -S $sock_path ]]
  else (exec 3<>"/dev/tcp/$sock_host/$sock_port") 2>/dev/null; fi
}

if ((daemon_ready == 0)); then
  echo "breakwater version printed '${version_text}', check-config on a bad file exited $bad_rc"
  skip "daemon not ready: skipped start/replay steps (the installed binary does not implement 'version' and 'check-config' yet)"
else
  pass "breakwater version prints '$version_text'"
  check "breakwater version names the package's upstream version $upstream" grep -q -F "$upstream" <<<"$version_text"
  check "breakwater check-config $conf exits 0" /usr/sbin/breakwater check-config "$conf"
  check "breakwater check-config exits 78 on a misspelt key" test "$bad_rc" -eq 78

  if socket_open; then fail "something already listens on $listen; cannot start the daemon there"; fi
  # As systemd would: the unit's ExecStart, its user and group (with the user's other groups),
  # no new privileges, no capabilities, UMask=0027, RuntimeDirectory=breakwater (0750).
  exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
  read -r -a exec_argv <<<"$exec_start"
  install -d -o breakwater -g breakwater -m 0750 /run/breakwater
  daemon_log=$(mktemp /tmp/breakwater-daemon.XXXXXX.log)
  echo "starting as user breakwater: $exec_start"
  # why: the pid of `setpriv … &` is the daemon's own pid (setpriv execs it), so the
  # SIGTERM below reaches breakwater itself, as systemd's would.
  saved_umask=$(umask)
  umask 0027
  setpriv --reuid=breakwater --regid=breakwater --init-groups --no-new-privs \
    --inh-caps=-all --bounding-set=-all "${exec_argv[@]}" </dev/null >"$daemon_log" 2>&1 &
  daemon_pid=$!
  umask "$saved_umask"
  up=0
  for _ in $(seq 1 100); do
    if ! kill -0 "$daemon_pid" 2>/dev/null; then break; fi
    if socket_open; then up=1; break; fi
    sleep 0.1
  done
  if ((up)); then
    pass "the daemon runs as user $(ps -o user= -p "$daemon_pid") and listens on $listen"
  else
    fail "the daemon did not open $listen within 10 s"
    sed 's/^/    | /' "$daemon_log"
  fi
  check "the daemon runs as user breakwater" bash -c "[[ \$(ps -o user= -p $daemon_pid) == breakwater ]]"

  if ((up)); then
    step "mail through the installed daemon"
    if command -v miltertest >/dev/null; then
      check "miltertest: an ordinary message is accepted and a reply-all to 10,000 is refused 550 5.7.1 (Packaging/tests/hard-gate.lua)" \
        miltertest -D "socket=$milter_spec" -s "$repo/Packaging/tests/hard-gate.lua"
    else
      skip "miltertest is not installed (apt-get install miltertest): no message sent"
    fi

    # The replay client: REPLAY_TOOL, else the installed binary's own `breakwater replay live`,
    # else breakwater-replay on PATH, else one built from this tree.
    replay=()
    # why: ArgumentParser answers --help with status 0 even for an unknown subcommand, so look
    # for the option that live replay needs.
    replay_client_ok() { "$@" --help 2>&1 | grep -q -- '--connect'; }
    if [[ -n ${REPLAY_TOOL:-} ]]; then
      replay=("$REPLAY_TOOL" live)
    elif replay_client_ok /usr/sbin/breakwater replay live; then
      replay=(/usr/sbin/breakwater replay live)
    elif command -v breakwater-replay >/dev/null && replay_client_ok breakwater-replay live; then
      replay=("$(command -v breakwater-replay)" live)
    elif (cd "$repo" && swift build -c release --product breakwater-replay --scratch-path .build-deb) >/dev/null 2>&1; then
      # why: .build-deb is the packaging scratch folder, never the developers' .build.
      replay=("$repo/.build-deb/release/breakwater-replay" live)
    fi
    scenario=${REPLAY_SCENARIO:-$repo/Scenarios/nhs-2016.session}
    sizes=${scenario%.session}.sizes
    if ((${#replay[@]})) && replay_client_ok "${replay[@]}" && [[ -f $scenario ]]; then
      step "storm replay through the installed daemon (and a reload, as ExecReload does it)"
      # The scenario's list sizes go in through the conffile and a reload, which is how an
      # admin changes tables; the conffile is put back byte for byte afterwards.
      saved_conf=$(mktemp /tmp/breakwater-conf.XXXXXX)
      cp -p "$conf" "$saved_conf"
      if [[ -f $sizes ]]; then
        install -o breakwater -g breakwater -m 0640 "$sizes" /run/breakwater/replay.sizes
        printf '\n# added by test-package.sh for the replay\nlist_size_maps = /run/breakwater/replay.sizes\n' >>"$conf"
      fi
      reload_ok=1
      while IFS= read -r line; do
        line=${line//\$MAINPID/$daemon_pid}
        read -r -a reload_argv <<<"$line"
        setpriv --reuid=breakwater --regid=breakwater --init-groups --no-new-privs \
          "${reload_argv[@]}" >/dev/null 2>&1 || { reload_ok=0; echo "    | ExecReload step failed: $line"; }
      done < <(sed -n 's/^ExecReload=//p' "$unit")
      if ((reload_ok)); then pass "reload as the unit's ExecReload does it (check-config, then SIGUSR1)"
      else fail "reload as the unit's ExecReload does it"; fi
      # why: SIGUSR1 is handled asynchronously; give the daemon a moment to reread the tables.
      sleep 1
      check "the daemon is still running after the reload" kill -0 "$daemon_pid"
      echo "replaying with: ${replay[*]} $scenario --connect $listen"
      replay_out=$("${replay[@]}" "$scenario" --connect "$listen" 2>&1)
      summary=$(tail -1 <<<"$replay_out")
      if [[ $summary =~ ^([0-9]+)\ passed,\ 0\ failed$ && ${BASH_REMATCH[1]} -gt 0 ]]; then
        pass "storm replay $(basename "$scenario"): $summary"
      else
        fail "storm replay $(basename "$scenario"): ${summary:-no summary}"
        tail -20 <<<"$replay_out" | sed 's/^/    | /'
      fi
      cp -p "$saved_conf" "$conf"
      rm -f "$saved_conf"
    else
      skip "storm replay: no replay client with 'live' (breakwater replay / breakwater-replay) or no $(basename "$scenario") (miltertest covered the verdict)"
    fi

    step "administration over the control socket"
    if /usr/sbin/breakwater stats --help 2>&1 | grep -q -- '--socket'; then
      # The socket sits in RuntimeDirectory=breakwater, owned by the daemon's user, mode 0600.
      check "breakwater stats (as root) answers over the control socket named in $conf" \
        /usr/sbin/breakwater stats --config "$conf"
    else
      skip "the installed breakwater has no admin commands (stats) yet"
    fi
  fi

  step "stop"
  if kill -0 "$daemon_pid" 2>/dev/null; then
    kill -TERM "$daemon_pid"
    stopped=0
    for _ in $(seq 1 300); do
      kill -0 "$daemon_pid" 2>/dev/null || { stopped=1; break; }
      sleep 0.1
    done
    if ((stopped)); then
      wait "$daemon_pid"
      rc=$?
      if ((rc == 0)); then pass "SIGTERM stops the daemon with exit status 0"
      else fail "SIGTERM stopped the daemon with exit status $rc"; sed 's/^/    | /' "$daemon_log"; fi
    else
      fail "the daemon was still running 30 s after SIGTERM"
      kill -KILL "$daemon_pid" 2>/dev/null; wait "$daemon_pid" 2>/dev/null
    fi
  else
    wait "$daemon_pid"
    fail "the daemon had already exited (status $?) before SIGTERM"
    sed 's/^/    | /' "$daemon_log"
  fi
  if [[ -n $snapshot ]]; then
    check "the snapshot $snapshot was written by user breakwater" \
      bash -c "[[ -f '$snapshot' && \$(stat -c %U '$snapshot') == breakwater ]] || { ls -la '$(dirname "$snapshot")'; sed 's/^/daemon: /' '$daemon_log'; false; }"
  fi
  rm -rf /run/breakwater
fi
rm -f "$bad_conf"

# ---------------------------------------------------------------------------------------------
step "remove"
check "apt-get remove -y breakwater" apt-get remove -y breakwater
check "dpkg keeps only the configuration" \
  bash -c "dpkg-query -W -f='\${Status}' breakwater | grep -qx 'deinstall ok config-files'"
check "/usr/sbin/breakwater is gone" test ! -e /usr/sbin/breakwater
check "$conf stays after remove" test -f "$conf"
check "user breakwater stays after remove" getent passwd breakwater

step "purge"
check "apt-get purge -y breakwater" apt-get purge -y breakwater
check "dpkg knows no file of breakwater" bash -c '[[ -z $(dpkg -L breakwater 2>/dev/null) ]]'
check "dpkg no longer lists breakwater" bash -c '! dpkg-query -W -f="\${Status}" breakwater 2>/dev/null | grep -q installed'
check "/etc/breakwater is gone" test ! -e /etc/breakwater
check "/var/lib/breakwater is gone" test ! -e /var/lib/breakwater
check "/run/breakwater is gone" test ! -e /run/breakwater
check "the unit file and its enable link are gone" \
  bash -c "[[ ! -e $unit && ! -e /etc/systemd/system/multi-user.target.wants/breakwater.service ]]"
check "user breakwater is gone" bash -c '! getent passwd breakwater'
check "group breakwater is gone" bash -c '! getent group breakwater'
if getent group postfix >/dev/null; then
  check "group postfix no longer lists breakwater" bash -c '! getent group postfix | cut -d: -f4 | tr , "\n" | grep -qx breakwater'
fi

finish
