#!/bin/sh
# board/install.sh into a DESTDIR: exactly the expected files with the expected modes and
# numeric owners, the same again on a second run (idempotent, edits and token kept), and
# --uninstall / --uninstall --purge removing them. A stub stands in for the agent binary.
set -u
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || { fail "test-install.sh must run as root (install.sh chowns)"; finish; exit 1; }
need_packages passwd || { fail "useradd is not installable"; finish; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dest=$work/root
mkdir -p "$dest/etc"
printf 'root:x:0:0:root:/root:/bin/bash\n' >"$dest/etc/passwd"
printf 'root:x:0:\n' >"$dest/etc/group"
printf 'root:*:19000:0:99999:7:::\n' >"$dest/etc/shadow"
printf 'root:*::\n' >"$dest/etc/gshadow"
printf '#!/bin/sh\necho stub hailong-agent\n' >"$work/hailong-agent"
chmod 0755 "$work/hailong-agent"

install_sh() {
    DESTDIR=$dest "$repo/board/install.sh" "$@"
}

# "path mode uid gid" of everything install.sh may have made (the seeded account files aside).
manifest() {
    (cd "$dest" && find . \( -type f -o -path ./etc/hailong -o -path ./var/lib/hailong \) \
        ! -path './etc/passwd*' ! -path './etc/group*' ! -path './etc/shadow*' ! -path './etc/gshadow*' \
        -printf '%P %m %U %G\n' | LC_ALL=C sort)
}

check "install.sh --board rpi5 into DESTDIR" install_sh --board rpi5 --binary "$work/hailong-agent"
uid=$(awk -F: '$1 == "hailong" { print $3 }' "$dest/etc/passwd")
gid=$(awk -F: '$1 == "hailong" { print $3 }' "$dest/etc/group")
check "the hailong user and group exist (uid ${uid:-?}, gid ${gid:-?})" test -n "$uid" -a -n "$gid"
check "hailong is a member of group gpio" sh -c "grep -Eq '^gpio:x:[0-9]+:(.*,)?hailong(,.*)?\$' '$dest/etc/group'"

{
    echo "etc/hailong 755 0 0"
    echo "etc/hailong/agent.yaml 644 0 0"
    echo "etc/hailong/api-token 640 0 $gid"
    echo "etc/systemd/system/hailong-agent-retry.timer 644 0 0"
    echo "etc/systemd/system/hailong-agent.service 644 0 0"
    echo "etc/udev/rules.d/60-hailong-gpio.rules 644 0 0"
    echo "usr/local/bin/hailong-agent 755 0 0"
    for map in "$repo"/board/pinmaps/*.yaml; do
        echo "usr/local/share/hailong-agent/pinmaps/$(basename "$map") 644 0 0"
    done
    echo "var/lib/hailong 750 $uid $gid"
} | LC_ALL=C sort >"$work/expected"

manifest >"$work/first"
if diff -u "$work/expected" "$work/first" >"$work/diff"; then
    pass "exactly the expected files, modes and numeric owners"
else
    fail "installed files differ from the expected ones"
    sed 's/^/    /' "$work/diff"
fi
check "the unit runs the binary from PREFIX" grep -qxF 'ExecStart=/usr/local/bin/hailong-agent run --config /etc/hailong/agent.yaml' \
    "$dest/etc/systemd/system/hailong-agent.service"
check "agent.yaml has the Raspberry Pi 5 pin map" grep -qxF '  chip: pinctrl-rp1' "$dest/etc/hailong/agent.yaml"
check "agent.yaml keeps the example's other sections" grep -qxF 'uplink:' "$dest/etc/hailong/agent.yaml"
check "the API token is 32 random bytes in hex" grep -Eqx '[0-9a-f]{64}' "$dest/etc/hailong/api-token"

# A technician's edit, and the database, must survive a second run.
echo '# edited on site' >>"$dest/etc/hailong/agent.yaml"
echo 'ratings' >"$dest/var/lib/hailong/agent.db"
chown "$uid:$gid" "$dest/var/lib/hailong/agent.db"
token=$(cat "$dest/etc/hailong/api-token")
cp "$dest/etc/passwd" "$work/passwd-before"
check "install.sh a second time" install_sh --binary "$work/hailong-agent"
manifest | grep -v '^var/lib/hailong/agent.db ' >"$work/second"
check "the second run leaves the same files, modes and owners" diff -u "$work/first" "$work/second"
check "the second run kept the edited agent.yaml" grep -qxF '# edited on site' "$dest/etc/hailong/agent.yaml"
check "the second run kept the API token" test "$(cat "$dest/etc/hailong/api-token")" = "$token"
check "the second run kept the database" grep -qxF ratings "$dest/var/lib/hailong/agent.db"
check "the second run added no user" cmp "$work/passwd-before" "$dest/etc/passwd"

check "install.sh --uninstall" install_sh --uninstall
{
    echo "etc/hailong 755 0 0"
    echo "etc/hailong/agent.yaml 644 0 0"
    echo "etc/hailong/api-token 640 0 $gid"
    echo "var/lib/hailong 750 $uid $gid"
    echo "var/lib/hailong/agent.db 644 $uid $gid"
} >"$work/kept"
manifest >"$work/after-uninstall"
check "--uninstall removes the program, units, rule and pin maps and keeps config and database" \
    diff -u "$work/kept" "$work/after-uninstall"

check "install.sh --uninstall --purge" install_sh --uninstall --purge
manifest >"$work/after-purge"
check "--uninstall --purge leaves nothing of the agent" test ! -s "$work/after-purge"
check "--purge keeps the hailong user" grep -q '^hailong:' "$dest/etc/passwd"
check "install.sh rejects an unknown option" sh -c "! DESTDIR='$dest' '$repo/board/install.sh' --frobnicate 2>/dev/null"

finish
