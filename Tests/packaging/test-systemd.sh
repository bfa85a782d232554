#!/bin/sh
# hailong-agent.service under a real systemd: a Debian root booted with systemd-nspawn, the
# package installed in it with dpkg -i (its postinst starts the service), and a stand-in
# binary that speaks the notify protocol like the agent (notify-standin.c). Checks that
# Type=notify reaches "active" with the STATUS= text, what the sandbox allows the service,
# that a stalled pipeline (no more WATCHDOG=1) gets the service killed and restarted, and that
# after the start limit is hit the retry timer brings the service back.
# Then, unless HAILONG_DEB_BINARIES=stub, the real agent (the release build, as test-debs.sh
# takes it) replaces the stand-in by a package upgrade and runs with the simulated GPIO
# backend: READY=1, STATUS= and WATCHDOG=1 from the Swift code, inside the same sandbox.
# The real server likewise, once it speaks sd_notify (until then: SKIP, with the reason).
# Timings are shortened with drop-ins (WatchdogSec=3s, ...) so the test takes a few minutes.
set -u
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || { fail "test-systemd.sh must run as root (nspawn)"; finish; exit 1; }
need_packages systemd-container debootstrap dpkg-dev binutils xz-utils gcc ||
    { fail "systemd-nspawn and the packaging tools are not installable"; finish; exit 1; }

work=$(mktemp -d /var/tmp/hailong-systemd.XXXXXX)
root=$work/root
nspawn_pid=
cleanup() {
    if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
        kill "$nspawn_pid" 2>/dev/null  # nspawn powers the container off
        for _ in $(seq 1 30); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 1; done
        kill -9 "$nspawn_pid" 2>/dev/null
    fi
    rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/bin"
check "the notify stand-in compiles" gcc -O2 -Wall -Werror -o "$work/bin/hailong-agent" "$(dirname "$0")/notify-standin.c"
check "build-debs.sh packages it" "$repo/packaging/build-debs.sh" --no-build --bin-dir "$work/bin" \
    --only hailong-agent --version 1.0.0 --out "$work/debs"
check "a Debian root with systemd (cached in $(debian_root_cache systemd systemd-sysv dbus))" \
    debian_root "$root" systemd systemd-sysv dbus
if [ "$failures" -gt 0 ]; then
    finish
    exit 1
fi
mkdir -p "$root/opt" "$root/srv/anyone"
chmod 1777 "$root/srv/anyone"
cp "$work"/debs/*.deb "$root/opt/"

# Shorter timings, so that a stall and a start limit show within seconds.
mkdir -p "$root/etc/systemd/system/hailong-agent.service.d" "$root/etc/systemd/system/hailong-agent-retry.timer.d"
printf '[Unit]\nStartLimitIntervalSec=20s\nStartLimitBurst=3\n[Service]\nWatchdogSec=3s\nRestartSec=1s\n' \
    >"$root/etc/systemd/system/hailong-agent.service.d/test-timings.conf"
printf '[Timer]\nOnActiveSec=\nOnActiveSec=22s\nAccuracySec=1s\n' \
    >"$root/etc/systemd/system/hailong-agent-retry.timer.d/test-timings.conf"

# --private-network: the container has its own loopback, so the agent's API port and the
# server's cannot clash with anything on this machine.
systemd-nspawn -D "$root" --register=no --keep-unit --private-network --boot --console=pipe >"$work/console.log" 2>&1 &
nspawn_pid=$!

# The container's systemd: the child of nspawn that is PID 1 in its own PID namespace
# ("NSpid: <our pid> 1"). nspawn first forks an outer child that sets the root up and exits
# once it has forked the container's init; taking "the first child" could catch that short-
# lived one, so the init is looked up again until it is found and alive.
container_init() {
    for pid in $(ps -o pid= --ppid "$nspawn_pid" 2>/dev/null); do
        awk '$1 == "NSpid:" && NF == 3 && $3 == 1 { found = 1 } END { exit !found }' "/proc/$pid/status" 2>/dev/null &&
            { echo "$pid"; return 0; }
    done
    return 1
}
init_pid=

inside() {
    if [ -z "$init_pid" ] || ! kill -0 "$init_pid" 2>/dev/null; then
        init_pid=$(container_init) || return 1
    fi
    nsenter --target "$init_pid" --mount --uts --ipc --net --pid -- \
        /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 sh -c "$1" </dev/null
}

# wait_for SECONDS 'shell condition run inside'
wait_for() {
    seconds=$1
    while [ "$seconds" -gt 0 ]; do
        inside "$2" >/dev/null 2>&1 && return 0
        sleep 1
        seconds=$((seconds - 1))
    done
    return 1
}

# A loaded machine (CI building beside it) can take a while to boot a container.
if ! wait_for 180 'state=$(systemctl is-system-running); [ "$state" = running ] || [ "$state" = degraded ]'; then
    fail "systemd did not boot in the container"
    echo "    nspawn (pid $nspawn_pid) $(kill -0 "$nspawn_pid" 2>/dev/null && echo running || echo "has exited"); its processes:"
    ps -o pid=,ppid=,stat=,args= --ppid "$nspawn_pid" 2>/dev/null | sed 's/^/      /'
    echo "    the container's init: ${init_pid:-not found}; systemctl is-system-running inside: $(inside 'systemctl is-system-running' 2>&1)"
    echo "    console (last 30 lines):"
    tail -30 "$work/console.log" | sed 's/^/      /'
    finish
    exit 1
fi
pass "systemd $(inside 'systemctl --version | head -1 | cut -d" " -f2') booted in the container"

check "dpkg -i hailong-agent starts the service (postinst)" inside "dpkg -i /opt/hailong-agent_1.0.0_*.deb"
if [ "$failures" -gt 0 ]; then
    finish
    exit 1
fi
if wait_for 20 '[ "$(systemctl is-active hailong-agent)" = active ]'; then
    pass "Type=notify: the service is active once it sent READY=1"
else
    fail "the service did not become active"
    inside "systemctl status --no-pager hailong-agent; journalctl -u hailong-agent --no-pager | tail -20" | sed 's/^/    /'
fi
check "systemctl status shows the service's STATUS= text" \
    inside 'systemctl show -p StatusText --value hailong-agent | grep -q "stand-in: counter Quầy 1"'
check "the service is enabled for boot" inside "systemctl is-enabled hailong-agent"

# What the sandbox lets the service do (the stand-in wrote it on start).
wait_for 10 '[ -f /var/lib/hailong/sandbox-report ]'
report=$(inside 'cat /var/lib/hailong/sandbox-report')
uid=$(inside 'id -u hailong')
expect() { # key value why
    got=$(printf '%s\n' "$report" | sed -n "s/^$1=//p")
    if [ -n "$got" ] && [ "$got" = "$2" ]; then pass "sandbox: $3 ($1=$got)"; else fail "sandbox: $3 ($1=${got:-?}, expected $2)"; fi
}
expect uid "$uid" "runs as user hailong"
expect in_gpio yes "is in group gpio"
expect write_state ok "may write its state directory"
expect write_anyone EROFS "cannot write outside its own directories, even where anyone may (ProtectSystem=strict)"
expect write_usr EROFS "cannot write /usr"
expect write_tmp ok "has a private /tmp"
expect read_root_home EACCES "cannot read /root (ProtectHome=yes)"
expect read_api_token ok "can read the API token"
expect socket_inet ok "may open internet sockets"
expect socket_netlink EAFNOSUPPORT "cannot open netlink sockets"
expect socket_packet EAFNOSUPPORT "cannot open packet sockets"
expect cap_eff 0000000000000000 "has no capabilities"
expect no_new_privs 1 "cannot gain privileges"
expect umask 0077 "creates private files"

# A stalled pipeline: no more WATCHDOG=1, so systemd kills the service and starts it again.
restarts=$(inside 'systemctl show -p NRestarts --value hailong-agent')
inside 'touch /var/lib/hailong/stall'
if wait_for 20 "[ \"\$(systemctl show -p NRestarts --value hailong-agent)\" -gt $restarts ]"; then
    pass "a stalled pipeline gets the service restarted by the watchdog"
else
    fail "no restart after the pings stopped"
fi
check "the journal names the watchdog timeout" inside 'journalctl -u hailong-agent --no-pager | grep -q "Watchdog timeout"'
check "the restarted service is active and pinging again" wait_for 20 \
    '[ "$(systemctl is-active hailong-agent)" = active ] && systemctl show -p StatusText --value hailong-agent | grep -q "counter"'

# A binary that cannot start: after the start limit the unit fails, the retry timer is
# started, and once the binary is fixed the timer brings the service back.
inside 'cp /usr/bin/hailong-agent /opt/good-binary && cp --remove-destination /bin/false /usr/bin/hailong-agent &&
    systemctl restart hailong-agent' >/dev/null 2>&1
# systemd 252 keeps Result=exit-code when an automatic restart hits the limit; the journal says it.
if wait_for 30 'systemctl is-failed hailong-agent && journalctl -u hailong-agent --no-pager | grep -q "Start request repeated too quickly"'; then
    pass "a failing start hits the start limit and the unit fails"
else
    fail "no start limit hit (Result=$(inside 'systemctl show -p Result --value hailong-agent'))"
fi
check "OnFailure= started hailong-agent-retry.timer" wait_for 10 '[ "$(systemctl is-active hailong-agent-retry.timer)" = active ]'
inside 'cp --remove-destination /opt/good-binary /usr/bin/hailong-agent'
check "the service is still down before the timer fires" inside '[ "$(systemctl is-active hailong-agent)" != active ]'
check "the retry timer starts the service again: the unit never gives up for good" wait_for 60 \
    '[ "$(systemctl is-active hailong-agent)" = active ]'

check "systemctl stop ends the service cleanly" inside 'systemctl stop hailong-agent && [ "$(systemctl show -p Result --value hailong-agent)" = success ]'

# --- the real agent --------------------------------------------------------------------------
mode=${HAILONG_DEB_BINARIES:-build}
case $mode in
    stub) skip "the real agent under systemd (HAILONG_DEB_BINARIES=stub)"; finish; exit $? ;;
    build) real_args= ;;
    prebuilt) real_args="--no-build ${HAILONG_DEB_BIN_DIR:+--bin-dir $HAILONG_DEB_BIN_DIR}" ;;
esac
# shellcheck disable=SC2086 # real_args is empty or options on purpose
if DEB_COMPRESSION=gzip "$repo/packaging/build-debs.sh" $real_args --only hailong-agent --version 1.0.1 --out "$work/real" >"$work/real.log" 2>&1; then
    pass "the real agent packaged as 1.0.1 ($mode)"
else
    fail "packaging the real agent failed"
    tail -20 "$work/real.log" | sed 's/^/    /'
    finish
    exit 1
fi
cp "$work"/real/*.deb "$root/opt/"
inside 'sed -i "s/^  backend: libgpiod/  backend: simulated/" /etc/hailong/agent.yaml && systemctl reset-failed hailong-agent'
check "dpkg -i upgrades the stand-in to the real agent" inside 'dpkg -i /opt/hailong-agent_1.0.1_*.deb'
inside 'systemctl start hailong-agent' >/dev/null 2>&1
if wait_for 60 '[ "$(systemctl is-active hailong-agent)" = active ]'; then
    pass "the real agent reaches active: it sent READY=1 (simulated GPIO)"
else
    fail "the real agent did not become active"
    inside "systemctl status --no-pager hailong-agent; journalctl -u hailong-agent --no-pager | tail -30" | sed 's/^/    /'
fi
status_text=$(inside 'systemctl show -p StatusText --value hailong-agent')
check "the real agent's STATUS= reaches systemd ($status_text)" test -n "$status_text"
restarts=$(inside 'systemctl show -p NRestarts --value hailong-agent')
# Three watchdog periods: without WATCHDOG=1 from the pipeline systemd would kill it by then.
sleep 10
check "the real agent's watchdog pings keep it alive (WatchdogSec=3s, 10 s)" inside \
    "[ \"\$(systemctl is-active hailong-agent)\" = active ] && [ \"\$(systemctl show -p NRestarts --value hailong-agent)\" = $restarts ]"
check "hailong-agent status answers as user hailong" inside 'runuser -u hailong -- hailong-agent status'
check "the real agent stops cleanly on SIGTERM" inside \
    'systemctl stop hailong-agent && [ "$(systemctl show -p Result --value hailong-agent)" = success ]'
check "the database is in the state directory" inside '[ -s /var/lib/hailong/agent.db ] && [ "$(stat -c %U /var/lib/hailong/agent.db)" = hailong ]'

# --- the real server -------------------------------------------------------------------------
# shellcheck disable=SC2086 # real_args is empty or options on purpose
if ! DEB_COMPRESSION=gzip "$repo/packaging/build-debs.sh" $real_args --only hailong-server --version 1.0.1 \
    --out "$work/server" >"$work/server.log" 2>&1; then
    skip "the real server under systemd: no hailong-server package ($(tail -1 "$work/server.log"))"
    finish
    exit $?
fi
if ! dpkg-deb --fsys-tarfile "$work"/server/hailong-server_*.deb 2>/dev/null | tar -xOf - ./usr/bin/hailong-server 2>/dev/null | grep -aqE 'NOTIFY_SOCKET|READY=1'; then
    # Type=notify would have systemd kill it after TimeoutStartSec: say so rather than fail.
    skip "the real server under systemd: hailong-server does not send READY=1 (sd_notify) yet"
    finish
    exit $?
fi
mkdir -p "$root/etc/systemd/system/hailong-server.service.d"
printf '[Service]\nWatchdogSec=3s\nRestartSec=1s\n' >"$root/etc/systemd/system/hailong-server.service.d/test-timings.conf"
cp "$work"/server/*.deb "$root/opt/"
check "dpkg -i hailong-server" inside 'systemctl daemon-reload && dpkg -i /opt/hailong-server_1.0.1_*.deb'
if wait_for 60 '[ "$(systemctl is-active hailong-server)" = active ]'; then
    pass "the real server reaches active: it sent READY=1"
else
    fail "the real server did not become active"
    inside "systemctl status --no-pager hailong-server; journalctl -u hailong-server --no-pager | tail -30" | sed 's/^/    /'
fi
restarts=$(inside 'systemctl show -p NRestarts --value hailong-server')
sleep 10
check "the real server's watchdog pings keep it alive (WatchdogSec=3s, 10 s)" inside \
    "[ \"\$(systemctl is-active hailong-server)\" = active ] && [ \"\$(systemctl show -p NRestarts --value hailong-server)\" = $restarts ]"
check "the real server stops cleanly on SIGTERM" inside \
    'systemctl stop hailong-server && [ "$(systemctl show -p Result --value hailong-server)" = success ]'

finish
