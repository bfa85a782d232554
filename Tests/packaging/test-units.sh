#!/bin/sh
# The systemd units: `systemd-analyze verify` clean, `systemd-analyze security --offline=true`
# exposure <= 2.0, and the settings the design asks for. The units are checked on their own:
# stub executables stand in for the binaries, which need not be built.
set -u
. "$(dirname "$0")/lib.sh"

need_packages systemd || { fail "systemd-analyze is not installable"; finish; exit 1; }

units=$repo/systemd
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

# A root holding systemd's own units (verify resolves sysinit.target & co. in it), stub
# binaries where ExecStart= points, and ours in /etc/systemd/system.
mkdir -p "$root/lib/systemd" "$root/usr/bin" "$root/etc/systemd/system"
if [ -d /usr/lib/systemd/system ]; then
    cp -a /usr/lib/systemd/system "$root/lib/systemd/"
else
    cp -a /lib/systemd/system "$root/lib/systemd/"
fi
for binary in hailong-agent hailong-server; do
    printf '#!/bin/sh\nexit 0\n' >"$root/usr/bin/$binary"
    chmod 0755 "$root/usr/bin/$binary"
done
cp "$units"/*.service "$units"/*.timer "$root/etc/systemd/system/"

for unit in hailong-agent.service hailong-agent-retry.timer hailong-server.service hailong-server-retry.timer; do
    # --man=no: the man pages ship in the packages, not on the machine running the test.
    output=$(systemd-analyze verify --man=no --root="$root" "$root/etc/systemd/system/$unit" 2>&1)
    status=$?
    if [ $status -eq 0 ] && [ -z "$output" ]; then
        pass "systemd-analyze verify $unit is clean"
    else
        fail "systemd-analyze verify $unit (exit $status)"
        printf '%s\n' "$output" | sed 's/^/    /'
    fi
done

for service in hailong-agent hailong-server; do
    report=$(systemd-analyze security --offline=true --no-pager "$units/$service.service" 2>&1)
    score=$(printf '%s\n' "$report" | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
    if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'; then
        pass "$service.service exposure $score <= 2.0"
    else
        fail "$service.service exposure '${score:-?}' is not <= 2.0"
        printf '%s\n' "$report" | grep '✗' | sed 's/^/    /'
    fi
done

# has FILE 'Key=value': the exact line is in the unit.
has() {
    grep -qxF "$2" "$units/$1"
}

for service in hailong-agent hailong-server; do
    file=$service.service
    for line in Type=notify Restart=always User=hailong Group=hailong StateDirectory=hailong \
        ConfigurationDirectory=hailong ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
        NoNewPrivileges=yes CapabilityBoundingSet= SystemCallFilter=@system-service \
        "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6" "OnFailure=$service-retry.timer" \
        "ExecStart=/usr/bin/$service $( [ $service = hailong-agent ] && echo run || echo serve ) --config /etc/hailong/${service#hailong-}.yaml"; do
        check "$file has $line" has "$file" "$line"
    done
    check "$file sets LimitNOFILE= (the connection cap fits under it)" grep -Eq '^LimitNOFILE=[1-9][0-9]{3,}$' "$units/$file"
    check "$file has WatchdogSec=" grep -Eq '^WatchdogSec=[1-9]' "$units/$file"
    # A start limit, and a timer that starts the unit again once it was hit.
    check "$file has a start limit" grep -Eq '^StartLimitBurst=[1-9]' "$units/$file"
    check "$service-retry.timer restarts $file later" sh -c "grep -qxF 'Unit=$file' '$units/$service-retry.timer' &&
        grep -qxF 'RemainAfterElapse=no' '$units/$service-retry.timer' && grep -Eq '^OnActiveSec=' '$units/$service-retry.timer'"
done

check "the agent is in group gpio" has hailong-agent.service SupplementaryGroups=gpio
check "the agent's device ACL is closed" has hailong-agent.service DevicePolicy=closed
check "the agent may open only the GPIO chips" sh -c "
    [ \"\$(grep -c '^DeviceAllow=' '$units/hailong-agent.service')\" = 1 ] &&
    grep -qxF 'DeviceAllow=char-gpiochip rw' '$units/hailong-agent.service'"
check "the server sees no devices" has hailong-server.service PrivateDevices=yes

finish
