#!/usr/bin/env bash
# board/cross/test-debs-arm64.sh BINARY OUT_DIR
#
# hailong-agent_VERSION_arm64.deb from packaging/build-debs.sh (the arm64 BINARY, ARCH=arm64):
# its contents and fields, lintian without errors (the amd64 package's overrides), and in a
# trixie arm64 root under qemu-user: dpkg -i, the binary runs (--help, check), dpkg -i of a
# newer version keeps the database, the edited conffile and the API token, dpkg -r keeps the
# data, dpkg -P removes it. Leaves hailong-agent_<packaging/VERSION>_arm64.deb (xz) in OUT_DIR.
# Prints PASS:/FAIL: lines; exits 1 on a failure.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
bin=$1
out=$2
failures=0
pass() { echo "PASS: $*"; }
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}
check() {
    local what=$1 output
    shift
    if output=$("$@" 2>&1); then pass "$what"; else
        fail "$what"
        printf '%s\n' "$output" | tail -n 15 | sed 's/^/    /'
    fi
}

work=$(mktemp -d /var/tmp/hailong-debs-arm64.XXXXXX)
trap 'rm -rf "$work"' EXIT
bin_dir=$work/bin
mkdir -p "$bin_dir" "$out"
cp "$bin" "$bin_dir/hailong-agent"
export ARCH=arm64

# The shipped package (xz) at packaging/VERSION, then two test versions packed fast.
check "build-debs.sh --bin-dir … --only hailong-agent (ARCH=arm64) builds the release package" \
    "$CROSS_ROOT/packaging/build-debs.sh" --no-build --bin-dir "$bin_dir" --only hailong-agent --out "$out"
deb=$out/hailong-agent_$(cat "$CROSS_ROOT/packaging/VERSION")_arm64.deb
check "$(basename "$deb") exists" test -f "$deb"
export DEB_COMPRESSION=gzip
for v in 1.0.0 1.0.1; do
    "$CROSS_ROOT/packaging/build-debs.sh" --no-build --bin-dir "$bin_dir" --only hailong-agent --version $v --out "$work/debs" \
        >>"$work/build.log" 2>&1 || { fail "build-debs.sh --version $v"; tail -n 20 "$work/build.log"; }
done
d0=$work/debs/hailong-agent_1.0.0_arm64.deb
d1=$work/debs/hailong-agent_1.0.1_arm64.deb

check "Architecture: arm64" test "$(dpkg-deb --field "$deb" Architecture)" = arm64
depends=$(dpkg-deb --field "$deb" Depends)
echo "INFO: Depends: $depends"
check "Depends names libgpiod3 (libgpiod 2.x), libsqlite3-0, libc6 >= the glibc it needs, adduser" \
    sh -c "echo '$depends' | grep -q 'libgpiod3' && echo '$depends' | grep -q libsqlite3-0 && echo '$depends' | grep -q 'libc6 (>= 2\.' && echo '$depends' | grep -q adduser"
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/bin/hailong-agent >"$work/shipped"
check "the shipped binary is the stripped aarch64 agent" sh -c "aarch64-linux-gnu-readelf -h '$work/shipped' | grep -q AArch64 && ! aarch64-linux-gnu-readelf -S '$work/shipped' | grep -q '\.symtab'"
echo "INFO: $(basename "$deb"): $(du -k "$deb" | cut -f1) KiB (xz), Installed-Size $(dpkg-deb --field "$deb" Installed-Size) KiB, /usr/bin/hailong-agent $(du -k "$work/shipped" | cut -f1) KiB stripped"

lintian --show-overrides --no-tag-display-limit "$deb" >"$work/lintian" 2>&1
if grep -q '^E:' "$work/lintian"; then fail "lintian reports errors"; else pass "lintian reports no errors ($(basename "$deb"))"; fi
grep -E '^[EWO]:' "$work/lintian" | sort -u | sed 's/^/    /'

# --- in a trixie arm64 root, under qemu-user ------------------------------------------------
root=$work/root
check "a trixie arm64 root (cached in ${TEST_ROOT_TARBALL#"$CROSS_ROOT"/})" trixie_root "$root"
cp "$d0" "$d1" "$root/tmp/"
r() { in_trixie "$root" "$1" </dev/null; }
db=/var/lib/hailong/agent.db
conf=/etc/hailong/agent.yaml
check "dpkg -i hailong-agent_1.0.0_arm64 (under qemu-user)" r "dpkg -i /tmp/hailong-agent_1.0.0_arm64.deb"
check "user hailong exists, in group gpio" r "getent passwd hailong && id -nG hailong | tr ' ' '\n' | grep -qx gpio"
check "/var/lib/hailong is hailong's, mode 0750" r "[ \"\$(stat -c '%U:%G %a' /var/lib/hailong)\" = 'hailong:hailong 750' ]"
check "the service is enabled" r "[ -L /etc/systemd/system/multi-user.target.wants/hailong-agent.service ]"
check "the API token is root:hailong 0640" r "[ \"\$(stat -c '%U:%G %a' /etc/hailong/api-token)\" = 'root:hailong 640' ]"
check "hailong-agent --help runs on arm64" r "hailong-agent --help | grep -q check"
check "hailong-agent check: a board without the chip is a clear error, exit 1" r \
    "hailong-agent check >/tmp/out 2>&1; rc=\$?; cat /tmp/out; [ \$rc = 1 ] && grep -qi 'gpiochip0' /tmp/out"
check "hailong-agent check passes with the simulated backend" r \
    "printf 'gpio: {backend: simulated}\nstorage: {path: /tmp/check.db}\n' >/tmp/sim.yaml && hailong-agent check --config /tmp/sim.yaml"
r "printf 'ratings not yet forwarded\n' >$db && chown hailong:hailong $db && printf '# edited on site\n' >>$conf"
token=$(r "cat /etc/hailong/api-token")
check "dpkg -i hailong-agent_1.0.1 upgrades 1.0.0" r "dpkg -i /tmp/hailong-agent_1.0.1_arm64.deb && [ \"\$(dpkg-query -W -f='\${Version}' hailong-agent)\" = 1.0.1 ]"
check "the upgrade kept the database, the edited conffile and the API token" \
    r "grep -qx 'ratings not yet forwarded' $db && grep -qx '# edited on site' $conf && [ \"\$(cat /etc/hailong/api-token)\" = '$token' ]"
check "dpkg -r hailong-agent keeps the database and the config" r "dpkg -r hailong-agent && [ -f $db ] && grep -qx '# edited on site' $conf && [ ! -e /usr/bin/hailong-agent ]"
check "dpkg -P hailong-agent removes them" r "dpkg -P hailong-agent && [ ! -e $db ] && [ ! -e $conf ]"

echo "test-debs-arm64: $failures failed"
[ $failures = 0 ]
