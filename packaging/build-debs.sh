#!/bin/sh
# Builds hailong-agent_VERSION_ARCH.deb, hailong-server_VERSION_ARCH.deb and
# hailong_VERSION_ARCH.deb (the CLI for technicians and managers) with dpkg-deb (no
# debhelper): release binaries built with
#   swift build -c release --static-swift-stdlib --product NAME
# for the two services a systemd unit and its retry timer, the example configuration as a
# conffile and maintainer scripts that create the hailong user; for all three the man page and
# docs. A product that the package does not declare yet (or whose binary is missing with
# --no-build) is skipped with a message.
#
#   packaging/build-debs.sh [--version 1.2.3] [--out DIR] [--no-build] [--bin-dir DIR]
#                           [--only hailong-agent|hailong-server|hailong]
#
# VERSION (default: packaging/VERSION) and ARCH (default: this machine's; set it when
# --bin-dir holds binaries built for another architecture) may also come from the environment,
# and DEB_COMPRESSION: xz (default, the smallest .deb), gzip (fast, level 1; the tests) or zstd.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
VERSION=${VERSION:-$(cat "$here/VERSION")}
ARCH=${ARCH:-$(dpkg --print-architecture)}
out=$root/.build/debs
build=yes
bin_dir=
only=
maintainer="Hailong maintainers <maintainers@hailong.example.org>"

die() {
    echo "build-debs.sh: $*" >&2
    exit 1
}

while [ $# -gt 0 ]; do
    case $1 in
        --version) VERSION=$2; shift ;;
        --out) out=$2; shift ;;
        --no-build) build=no ;;
        --bin-dir) bin_dir=$2; shift ;;
        --only) only=$2; shift ;;
        -h|--help) sed -n '2,14s/^# \{0,1\}//p' "$0"; exit 0 ;;
        *) die "unknown option '$1' (try --help)" ;;
    esac
    shift
done
echo "$VERSION" | grep -Eq '^[0-9][A-Za-z0-9.+~]*$' || die "'$VERSION' is not a native Debian version (digits first, no '-')"
command -v dpkg-deb >/dev/null || die "dpkg-deb is missing (apt-get install dpkg)"
# Binutils that read ARCH's binaries: the host's strip and objdump know only their own.
case $ARCH in
    arm64) cross_prefix=aarch64-linux-gnu- ;;
    *) cross_prefix= ;;
esac
STRIP=${STRIP:-${cross_prefix}strip}
OBJDUMP=${OBJDUMP:-${cross_prefix}objdump}
command -v "$STRIP" >/dev/null || die "$STRIP is missing (apt-get install binutils-${cross_prefix%-})"
mkdir -p "$out"
out=$(cd "$out" && pwd)

# Where SwiftPM puts the release binaries (the default .build folder).
release_bin_dir() {
    (cd "$root" && swift build -c release --static-swift-stdlib --show-bin-path)
}

declared() { # product
    grep -Eq "\.executable\(name: *\"$1\"" "$root/Package.swift"
}

binary_for() { # product -> path or empty
    product=$1
    if [ "$build" = yes ] && [ -z "$bin_dir" ]; then
        if ! declared "$product"; then
            echo "build-debs.sh: Package.swift declares no '$product' product yet: skipping its package" >&2
            return 0
        fi
        (cd "$root" && flock /tmp/swift-build.lock swift build -c release --static-swift-stdlib --product "$product") >&2
        echo "$(release_bin_dir)/$product"
        return 0
    fi
    dir=${bin_dir:-$(release_bin_dir)}
    if [ -x "$dir/$product" ]; then
        echo "$dir/$product"
    else
        echo "build-debs.sh: no $dir/$product: skipping its package" >&2
    fi
}

# Depends: from dpkg-shlibdeps for a native binary; for a foreign one, the sonames we know.
shlib_depends() { # binary
    scratch=$(mktemp -d)
    mkdir -p "$scratch/debian"
    printf 'Source: hailong\n\nPackage: hailong\nArchitecture: any\n' >"$scratch/debian/control"
    cp "$1" "$scratch/binary"
    if deps=$(cd "$scratch" && dpkg-shlibdeps -O -e binary 2>/dev/null); then
        echo "$deps" | sed -n 's/^shlibs:Depends=//p'
    else
        # libc6 at least as new as the newest GLIBC_ symbol version the binary imports.
        glibc=$("$OBJDUMP" -T "$1" 2>/dev/null | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n 1)
        "$OBJDUMP" -p "$1" 2>/dev/null | awk '/NEEDED/ { print $2 }' | while read -r soname; do
            case $soname in
                libc.so.6|libm.so.6|libdl.so.2|libpthread.so.0|librt.so.1|libutil.so.1|ld-linux-*.so.*) echo "libc6${glibc:+ (>= $glibc)}" ;;
                libgpiod.so.2) echo libgpiod2 ;;
                libgpiod.so.3) echo libgpiod3 ;;
                libsqlite3.so.0) echo libsqlite3-0 ;;
                libstdc++.so.6) echo libstdc++6 ;;
                libgcc_s.so.1) echo libgcc-s1 ;;
                libz.so.1) echo zlib1g ;;
                *) echo "build-debs.sh: unknown soname $soname in $1" >&2 ;;
            esac
        done | sort -u | paste -sd, - | sed 's/,/, /g'
    fi
    rm -rf "$scratch"
}

depends() { # binary
    libs=$(shlib_depends "$1")
    echo "${libs:+$libs, }adduser"
}

# The build's date: the last commit's, so that two builds of one commit agree.
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)}

changelog() { # package
    date=$(date -R -d "@$epoch")
    cat <<EOF
$1 ($VERSION) stable; urgency=medium

  * Release $VERSION, built by packaging/build-debs.sh.

 -- $maintainer  $date
EOF
}

copyright() {
    year=$(date -u -d "@$epoch" +%Y)
    cat <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: hailong
Comment: Measures citizens' satisfaction at one-stop counters with rating buttons.
 The release binary links the Swift runtime and Foundation statically; their licence
 (Apache-2.0 with Runtime Library Exception) is reproduced by the Swift project.

Files: *
Copyright: $year the Hailong project's authors
License: other
 No licence has been chosen for Hailong yet; until one is, all rights are reserved
 by its authors.
EOF
}

# What every package has, under $stage: the stripped binary, its man page, changelog,
# copyright and lintian overrides. $1 = package, $2 = binary.
stage_binary() {
    package=$1
    stage=$work/$package
    rm -rf "$stage"
    install -d -m 0755 "$stage/DEBIAN" "$stage/usr/bin" "$stage/usr/share/doc/$package" "$stage/usr/share/man/man1"
    install -m 0755 "$2" "$stage/usr/bin/$package"
    "$STRIP" --strip-unneeded --remove-section=.comment "$stage/usr/bin/$package"
    gzip -9n <"$here/man/$package.1" >"$stage/usr/share/man/man1/$package.1.gz"
    changelog "$package" | gzip -9n >"$stage/usr/share/doc/$package/changelog.gz"
    copyright >"$stage/usr/share/doc/$package/copyright"
    chmod 0644 "$stage/usr/share/man/man1/$package.1.gz" "$stage/usr/share/doc/$package/changelog.gz" \
        "$stage/usr/share/doc/$package/copyright"
    install -D -m 0644 "$here/$package/lintian-overrides" "$stage/usr/share/lintian/overrides/$package"
}

# A service's package: stage_binary plus its systemd unit and retry timer, the conffile and
# the maintainer scripts. $1 = package, $2 = binary, $3 = conffile source, $4 = conffile
stage_service() {
    stage_binary "$1" "$2"
    install -d -m 0755 "$stage/lib/systemd/system" "$stage/etc/hailong"
    install -m 0644 "$root/systemd/$package.service" "$root/systemd/$package-retry.timer" "$stage/lib/systemd/system/"
    install -m 0644 "$3" "$stage$4"
    echo "$4" >"$stage/DEBIAN/conffiles"
    chmod 0644 "$stage/DEBIAN/conffiles"
    for script in postinst prerm postrm; do
        install -m 0755 "$here/$package/$script" "$stage/DEBIAN/$script"
    done
}

finish() { # package, depends, description[, recommends]
    package=$1
    stage=$work/$package
    recommends=${4:+"Recommends: $4
"}
    size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
    cat >"$stage/DEBIAN/control" <<EOF
Package: $package
Version: $VERSION
Architecture: $ARCH
Maintainer: $maintainer
Installed-Size: $size
Depends: $2
${recommends}Section: misc
Priority: optional
Description: $3
EOF
    (cd "$stage" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' | LC_ALL=C sort |
        xargs md5sum >DEBIAN/md5sums)
    chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/md5sums"
    deb=$out/${package}_${VERSION}_${ARCH}.deb
    case ${DEB_COMPRESSION:-xz} in
        xz) compression="-Zxz" ;;
        gzip) compression="-Zgzip -z1" ;;
        zstd) compression="-Zzstd" ;;
        *) die "DEB_COMPRESSION=$DEB_COMPRESSION: expected xz, gzip or zstd" ;;
    esac
    # shellcheck disable=SC2086 # two options on purpose
    dpkg-deb --root-owner-group $compression --build "$stage" "$deb" >/dev/null
    built=$((built + 1))
    echo "$deb"
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
built=0

if [ -z "$only" ] || [ "$only" = hailong-agent ]; then
    agent=$(binary_for hailong-agent)
    if [ -n "$agent" ]; then
        stage_service hailong-agent "$agent" "$root/board/agent.example.yaml" /etc/hailong/agent.yaml
        install -D -m 0644 "$root/board/udev/60-hailong-gpio.rules" "$work/hailong-agent/lib/udev/rules.d/60-hailong-gpio.rules"
        install -d -m 0755 "$work/hailong-agent/usr/share/hailong-agent/pinmaps"
        install -m 0644 "$root"/board/pinmaps/*.yaml "$work/hailong-agent/usr/share/hailong-agent/pinmaps/"
        install -m 0644 "$root/board/README.md" "$work/hailong-agent/usr/share/doc/hailong-agent/README.md"
        finish hailong-agent "$(depends "$agent")" "Hailong counter board agent (rating buttons)
 Runs on the small board at a one-stop counter: reads the citizens' rating
 buttons through libgpiod, binds each press to the dossier and clerk being
 served, stores it in SQLite before thanking the citizen, and forwards it to
 the Hailong server. Includes the systemd unit (watchdog, sandboxing), a udev
 rule giving group gpio access to /dev/gpiochip*, and pin maps for
 Raspberry Pi 4 and 5 and Orange Pi Zero 3."
    fi
fi

if [ -z "$only" ] || [ "$only" = hailong-server ]; then
    server=$(binary_for hailong-server)
    if [ -n "$server" ]; then
        stage_service hailong-server "$server" "$here/server.example.yaml" /etc/hailong/server.yaml
        finish hailong-server "$(depends "$server")" "Hailong central server (enrollment, ingest, reports)
 Receives the counter boards' ratings exactly once, keeps per-hour rollups
 in SQLite (one ward or city) or PostgreSQL (a province or a nation, as many
 replicas as needed behind a load balancer), and serves satisfaction reports
 (JSON, CSV with Vietnamese labels), the managers' dashboard, dossier
 look-ups, board health and count-mismatch alerts to managers and
 technicians. Includes a sandboxed systemd unit." "postgresql (>= 15)"
    fi
fi

if [ -z "$only" ] || [ "$only" = hailong ]; then
    cli=$(binary_for hailong)
    if [ -n "$cli" ]; then
        stage_binary hailong "$cli"
        finish hailong "$(shlib_depends "$cli")" "command line of the Hailong rating system, for technicians and managers
 Talks to the Hailong server over HTTP(S): units, counters and clerks (with
 CSV import), boards (enrollment codes, health, revocation), satisfaction
 reports as a table, CSV or JSON, dossier look-ups and alerts; and to a
 counter board's local API to open or close a service session and sign a
 clerk in or out."
    fi
fi

# Asked for one package by name: not building it is a failure, not a skip.
[ -z "$only" ] || [ "$built" -eq 1 ] || die "$only was not built"
[ "$built" -gt 0 ] || die "no package was built"
