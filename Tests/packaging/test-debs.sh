#!/bin/sh
# The Debian packages: built by packaging/build-debs.sh, their contents, lintian without
# errors, and dpkg -i / dpkg -i of a newer version / dpkg -r / dpkg -P in a throwaway Debian
# root made with debootstrap: the database in /var/lib/hailong and the edited conffile
# survive the upgrade and the removal, and go on purge. The CLI package (hailong) installs,
# runs, and says clearly when the server is out of reach.
#
# HAILONG_DEB_BINARIES=build (default) builds the release binaries exactly as the packages
# ship them (swift build -c release --static-swift-stdlib --product NAME); =prebuilt takes
# them as they are from that build's folder (or HAILONG_DEB_BIN_DIR); =stub packages small C
# programs linked like them instead, to test the packaging alone in a minute.
# The debootstrapped root is cached in /var/tmp (see debian_root in lib.sh).
set -u
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || { fail "test-debs.sh must run as root (debootstrap, chroot)"; finish; exit 1; }
need_packages dpkg-dev lintian debootstrap binutils xz-utils ||
    { fail "the packaging tools are not installable"; finish; exit 1; }

mode=${HAILONG_DEB_BINARIES:-build}
work=$(mktemp -d /var/tmp/hailong-debs.XXXXXX)
trap 'rm -rf "$work"' EXIT
debs=$work/debs
log=$work/build.log

# --- build --------------------------------------------------------------------------------
bin_dir=
case $mode in
    stub)
        need_packages gcc libgpiod-dev libsqlite3-dev || { fail "stub toolchain not installable"; finish; exit 1; }
        bin_dir=$work/bin
        mkdir -p "$bin_dir"
        cat >"$work/stub.c" <<'C'
#include <gpiod.h>
#include <sqlite3.h>
#include <stdio.h>
int main(void) { printf("stub: libgpiod %s, sqlite %s\n", gpiod_version_string(), sqlite3_libversion()); return 0; }
C
        for product in hailong-agent hailong-server hailong; do
            gcc -O2 -fstack-protector-strong -D_FORTIFY_SOURCE=2 -Wl,-z,relro,-z,now -o "$bin_dir/$product" \
                "$work/stub.c" -lgpiod -lsqlite3
        done
        ;;
    prebuilt) bin_dir=${HAILONG_DEB_BIN_DIR:-} ;;
    build) ;;
    *) fail "HAILONG_DEB_BINARIES=$mode: expected build, prebuilt or stub"; finish; exit 1 ;;
esac
# The first call builds (mode build); the second packages the same binaries as a newer version.
first_args=${bin_dir:+--bin-dir $bin_dir}
[ "$mode" = build ] || first_args="--no-build $first_args"
# shellcheck disable=SC2086 # the args are empty or options on purpose
# gzip -1 instead of xz: the same contents, packed in seconds rather than minutes.
export DEB_COMPRESSION=gzip
if "$repo/packaging/build-debs.sh" $first_args --version 1.0.0 --out "$debs" >"$log" 2>&1 &&
    "$repo/packaging/build-debs.sh" --no-build ${bin_dir:+--bin-dir "$bin_dir"} --version 1.0.1 --out "$debs" >>"$log" 2>&1; then
    pass "build-debs.sh builds versions 1.0.0 and 1.0.1 ($mode binaries)"
else
    fail "build-debs.sh failed"
    tail -40 "$log" | sed 's/^/    /'
fi
grep 'skipping' "$log" | sed 's/^/    /'
arch=$(dpkg --print-architecture)
agent_deb=$debs/hailong-agent_1.0.0_${arch}.deb
check "hailong-agent_1.0.0_${arch}.deb exists" test -f "$agent_deb"

# --- contents -----------------------------------------------------------------------------
expected_files() { # package
    case $1 in
        hailong-agent)
            printf '%s\n' etc/hailong/agent.yaml lib/systemd/system/hailong-agent.service \
                lib/systemd/system/hailong-agent-retry.timer lib/udev/rules.d/60-hailong-gpio.rules \
                usr/bin/hailong-agent usr/share/doc/hailong-agent/README.md \
                usr/share/doc/hailong-agent/changelog.gz usr/share/doc/hailong-agent/copyright \
                usr/share/man/man1/hailong-agent.1.gz usr/share/lintian/overrides/hailong-agent
            for map in "$repo"/board/pinmaps/*.yaml; do
                echo "usr/share/hailong-agent/pinmaps/$(basename "$map")"
            done
            ;;
        hailong-server)
            printf '%s\n' etc/hailong/server.yaml lib/systemd/system/hailong-server.service \
                lib/systemd/system/hailong-server-retry.timer usr/bin/hailong-server \
                usr/share/doc/hailong-server/changelog.gz usr/share/doc/hailong-server/copyright \
                usr/share/man/man1/hailong-server.1.gz usr/share/lintian/overrides/hailong-server
            ;;
        hailong)
            printf '%s\n' usr/bin/hailong usr/share/doc/hailong/changelog.gz usr/share/doc/hailong/copyright \
                usr/share/man/man1/hailong.1.gz usr/share/lintian/overrides/hailong
            ;;
    esac
}

packages=
cli=
for package in hailong-agent hailong-server hailong; do
    deb=$debs/${package}_1.0.0_${arch}.deb
    if [ ! -f "$deb" ]; then
        skip "$package: no package built (see above)"
        continue
    fi
    if [ "$package" = hailong ]; then cli=hailong; else packages="$packages $package"; fi
    expected_files "$package" | LC_ALL=C sort >"$work/$package.expected"
    dpkg-deb --contents "$deb" | awk '$1 !~ /^d/ { sub(/^\.\//, "", $6); print $6 }' | LC_ALL=C sort >"$work/$package.listed"
    check "$package: dpkg-deb --contents lists exactly the expected files" diff -u "$work/$package.expected" "$work/$package.listed"
    check "$package: the binary is root-owned and 0755" sh -c "dpkg-deb --contents '$deb' | grep -q '^-rwxr-xr-x root/root .* ./usr/bin/$package\$'"
    depends=$(dpkg-deb --field "$deb" Depends)
    if [ "$package" = hailong ]; then
        check "hailong: no conffile, no maintainer scripts (a command, not a service)" sh -c "! dpkg-deb --ctrl-tarfile '$deb' | tar -t | grep -qE 'conffiles|postinst|prerm|postrm'"
        check "hailong: Depends ($depends) names libc6 and not adduser" sh -c "echo '$depends' | grep -q libc6 && ! echo '$depends' | grep -q adduser"
    else
        check "$package: ${package#hailong-}.yaml is a conffile" sh -c "dpkg-deb --ctrl-tarfile '$deb' | tar -xOf - ./conffiles | grep -qxF /etc/hailong/${package#hailong-}.yaml"
        check "$package: Depends ($depends) has libsqlite3-0 and adduser" sh -c "echo '$depends' | grep -q 'libsqlite3-0' && echo '$depends' | grep -q adduser"
    fi
    if [ "$package" = hailong-server ]; then
        check "hailong-server: Recommends PostgreSQL, the production store" sh -c "dpkg-deb --field '$deb' Recommends | grep -qx 'postgresql (>= 15)'"
    else
        check "$package: recommends nothing" sh -c "[ -z \"\$(dpkg-deb --field '$deb' Recommends)\" ]"
    fi
    if [ "$package" = hailong-agent ]; then
        check "hailong-agent: Depends has libgpiod2" sh -c "echo '$depends' | grep -q libgpiod2"
    fi
    echo "    $(basename "$deb"): $(du -k "$deb" | cut -f1) KiB packed with gzip -1 (xz is smaller), Installed-Size $(dpkg-deb --field "$deb" Installed-Size) KiB"

    lintian --show-overrides --no-tag-display-limit "$deb" "$debs/${package}_1.0.1_${arch}.deb" >"$work/$package.lintian" 2>&1
    if grep -q '^E:' "$work/$package.lintian"; then
        fail "$package: lintian reports errors"
    else
        pass "$package: lintian reports no errors"
    fi
    # Warnings, and the overridden tags with the reasons given in packaging/*/lintian-overrides.
    grep -E '^[EWO]:' "$work/$package.lintian" | sort -u | sed 's/^/    /'
done

# --- a throwaway Debian root ----------------------------------------------------------------
root=$work/chroot
if [ -z "$packages" ]; then
    fail "no package to install"
    finish
    exit 1
fi
check "a throwaway Debian root (debootstrap, cached in $(debian_root_cache))" debian_root "$root"
cp "$debs"/*.deb "$root/tmp/"
# in_root 'command' (lib.sh) runs a command in $root.

# Libraries a real binary needs beyond what debootstrap included.
for package in $packages $cli; do
    needs=$(dpkg-deb --field "$debs/${package}_1.0.0_${arch}.deb" Depends | tr ',' '\n' | sed 's/^ *//; s/[ (].*//' | grep -v '^$' | tr '\n' ' ')
    check "$package: its dependencies ($needs) install in the root" in_root "
        missing=; for p in $needs; do dpkg -s \$p >/dev/null 2>&1 || missing=\"\$missing \$p\"; done
        [ -z \"\$missing\" ] || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \$missing >/dev/null; }"
done

for package in $packages; do
    short=${package#hailong-}
    db=/var/lib/hailong/$short.db
    conf=/etc/hailong/$short.yaml
    check "dpkg -i ${package}_1.0.0" in_root "dpkg -i /tmp/${package}_1.0.0_${arch}.deb"
    check "$package: user hailong exists" in_root "getent passwd hailong"
    check "$package: /var/lib/hailong is hailong's, mode 0750" in_root "[ \"\$(stat -c '%U:%G %a' /var/lib/hailong)\" = 'hailong:hailong 750' ]"
    check "$package: the service is enabled" in_root "[ -L /etc/systemd/system/multi-user.target.wants/$package.service ]"
    if [ "$mode" = stub ]; then
        check "$package: the stub binary runs in the root" in_root "$package"
    else
        check "$package: the binary runs in the root ($package --help)" in_root "$package --help"
    fi
    if [ "$package" = hailong-agent ]; then
        check "hailong-agent: hailong is in group gpio" in_root "id -nG hailong | tr ' ' '\n' | grep -qx gpio"
        check "hailong-agent: the API token is root:hailong 0640" in_root "[ \"\$(stat -c '%U:%G %a' /etc/hailong/api-token)\" = 'root:hailong 640' ]"
    fi

    # The board at work: ratings in the database, the technician's settings in the config.
    in_root "printf 'ratings not yet forwarded\n' >$db && chown hailong:hailong $db && printf '# edited on site\n' >>$conf"
    token=$(in_root "cat /etc/hailong/api-token 2>/dev/null")
    check "dpkg -i ${package}_1.0.1 upgrades 1.0.0" in_root "dpkg -i /tmp/${package}_1.0.1_${arch}.deb && [ \"\$(dpkg-query -W -f='\${Version}' $package)\" = 1.0.1 ]"
    check "$package: the upgrade kept the database" in_root "grep -qx 'ratings not yet forwarded' $db && [ \"\$(stat -c %U $db)\" = hailong ]"
    check "$package: the upgrade kept the edited conffile" in_root "grep -qx '# edited on site' $conf"
    if [ "$package" = hailong-agent ]; then
        check "$package: the upgrade kept the API token" test "$(in_root "cat /etc/hailong/api-token")" = "$token"
    fi

    check "dpkg -r $package" in_root "dpkg -r $package"
    check "$package: removal kept the database and the config" in_root "[ -f $db ] && grep -qx '# edited on site' $conf && [ ! -e /usr/bin/$package ]"
    check "dpkg -P $package" in_root "dpkg -P $package"
    check "$package: purge removed the database and the config" in_root "[ ! -e $db ] && [ ! -e $conf ]"
done

# The CLI: installs, runs, and a server out of reach is a clear error, not a crash.
if [ -n "$cli" ]; then
    check "dpkg -i hailong_1.0.0" in_root "dpkg -i /tmp/hailong_1.0.0_${arch}.deb"
    if [ "$mode" = stub ]; then
        check "hailong: the stub binary runs in the root" in_root "hailong"
    else
        check "hailong: the binary runs in the root (hailong --help lists report and boards)" in_root "hailong --help | grep -q report && hailong --help | grep -q boards"
        check "hailong: an unreachable server is a clear error with exit code 1" in_root \
            "HOME=/tmp hailong units --server http://127.0.0.1:1 --token x >/tmp/out 2>&1; rc=\$?; cat /tmp/out; [ \$rc = 1 ] && grep -q 'cannot reach http://127.0.0.1:1' /tmp/out"
    fi
    check "dpkg -i hailong_1.0.1 upgrades 1.0.0" in_root "dpkg -i /tmp/hailong_1.0.1_${arch}.deb && [ \"\$(dpkg-query -W -f='\${Version}' hailong)\" = 1.0.1 ]"
    check "dpkg -P hailong leaves nothing behind" in_root "dpkg -P hailong && [ ! -e /usr/bin/hailong ] && [ ! -e /usr/share/doc/hailong ]"
else
    fail "hailong: no CLI package built"
fi

# Both on one host: purging one keeps the other's database.
case $packages in
    *hailong-agent*hailong-server*)
        in_root "dpkg -i /tmp/hailong-agent_1.0.1_${arch}.deb /tmp/hailong-server_1.0.1_${arch}.deb >/dev/null &&
            echo a >/var/lib/hailong/agent.db && echo s >/var/lib/hailong/server.db"
        check "purging the agent keeps the server's database" in_root "dpkg -P hailong-agent >/dev/null && [ -f /var/lib/hailong/server.db ] && [ ! -e /var/lib/hailong/agent.db ]"
        in_root "dpkg -P hailong-server >/dev/null"
        ;;
esac

finish
