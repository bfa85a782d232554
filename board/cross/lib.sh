# Shared by board/cross/*: where the cross toolchain and the arm64 roots live, and how they are
# made (idempotently; every download is cached under /var/tmp/hailong-cross). Sourced, not run.
#
#   sid-amd64/          debootstrapped Debian sid (amd64) with swiftlang 6.2.3: the host compiler
#                       (a compiler reads only standard-library modules of its own version, and
#                       the only aarch64 Swift runtime Debian has is sid's 6.2.3)
#   sid-amd64/opt/cross/swiftlang-arm64/   swiftlang:arm64 + libswiftlang:arm64, extracted (not
#                       installed: they clash with the amd64 ones): the aarch64 runtime, static and shared
#   sid-amd64/opt/cross/trixie-arm64/      the sysroot: Debian 13's arm64 libc, libgpiod 2.1,
#                       sqlite, zlib, gcc 14 runtime, extracted; the binary runs where trixie runs
#   sid-amd64/opt/cross/sdk/hailong-aarch64.artifactbundle   the Swift SDK naming them
#   trixie-arm64.tar.gz a debootstrapped trixie arm64 root (for qemu-user tests and dpkg -i)
#   build-arm64/        SwiftPM's build folder for the arm64 agent, seen as /src/.build-arm64 in
#                       the sid root. Kept here, beside the toolchain, rather than in the checkout:
#                       Debian's 6.2.3 compiler is built with assertions and compiles the
#                       dependency graph in ~20 min on 2 cores; a new clone (as CI makes) then
#                       recompiles only what changed (SwiftPM's own incremental build, the same
#                       as in a long-lived checkout), in ~2–4 min. Delete it for a cold build.
#
# Environment: HL_CROSS_CACHE (default /var/tmp/hailong-cross: outside the checkout, so a new
# clone on the same machine, as CI makes, reuses it), HL_DEBIAN_MIRROR.

CROSS_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CROSS_ROOT=$(cd "$CROSS_HERE/../.." && pwd)
CROSS_CACHE=${HL_CROSS_CACHE:-/var/tmp/hailong-cross}
SID=$CROSS_CACHE/sid-amd64
CROSS_SCRATCH=$CROSS_CACHE/build-arm64
# Paths as seen inside the sid root (the build runs chrooted there).
IN_CROSS=/opt/cross
IN_SYSROOT=$IN_CROSS/trixie-arm64
IN_SWIFT_ARM64=$IN_CROSS/swiftlang-arm64
IN_SDKS=$IN_CROSS/sdk
SDK_NAME=hailong-aarch64
TRIPLE=aarch64-unknown-linux-gnu
SWIFT_VERSION_WANTED=6.2.3
# What the sysroot holds: what hailong-agent links (libc, libm, gcc's runtime and crt files,
# libstdc++ for the Swift runtime, sqlite, libgpiod, zlib) and their headers.
SYSROOT_PACKAGES="libc6 libc6-dev linux-libc-dev libgcc-s1 libgcc-14-dev libstdc++6 libstdc++-14-dev
    libcrypt1 libcrypt-dev libsqlite3-0 libsqlite3-dev libgpiod3 libgpiod-dev zlib1g zlib1g-dev"
# Glibc and libgpiod the binary may need at most: Debian 13 / Raspberry Pi OS trixie.
TARGET_GLIBC_MAX=2.41

_t0=${_t0:-$SECONDS}
log() { printf 'cross [%4ss] %s\n' "$((SECONDS - _t0))" "$*" >&2; }
die() {
    log "error: $*"
    exit 2
}

cross_mirror() {
    if [ -n "${HL_DEBIAN_MIRROR:-}" ]; then
        echo "$HL_DEBIAN_MIRROR"
        return
    fi
    local url
    url=$({ grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{ print $2 }'
        grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{ print $2 }'
    } | grep -E '/debian/?$' | head -n 1)
    echo "${url:-http://deb.debian.org/debian}"
}

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
CROSS_APT_UPDATED=0
ensure_host_packages() {
    local missing=() p
    for p in "$@"; do installed "$p" || missing+=("$p"); done
    [ ${#missing[@]} = 0 ] && return
    log "installing ${missing[*]}"
    if ! DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >&2; then
        [ $CROSS_APT_UPDATED = 1 ] || { apt-get -o DPkg::Lock::Timeout=600 update -qq >&2; CROSS_APT_UPDATED=1; }
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >&2
    fi
}

# qemu-user for aarch64 through binfmt_misc, with the F flag (the interpreter is opened when it
# is registered, so it works inside chroots that do not have it).
ensure_binfmt() {
    ensure_host_packages qemu-user-static binfmt-support
    [ -e /proc/sys/fs/binfmt_misc/status ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc ||
        die "cannot mount binfmt_misc (a container without it cannot run arm64 binaries)"
    [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || update-binfmts --enable qemu-aarch64 >&2 ||
        die "cannot register qemu-aarch64 with binfmt_misc"
    grep -q '^flags: .*F' /proc/sys/fs/binfmt_misc/qemu-aarch64 ||
        die "qemu-aarch64 is registered without the F flag: chroots cannot find the interpreter"
}

# The security archive beside the mirror (bookworm's kernels come from bookworm-security).
cross_security_mirror() {
    local url
    url=$({ grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{ print $2 }'
        grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{ print $2 }'
    } | grep -E '/debian-security/?$' | head -n 1)
    echo "${url:-http://deb.debian.org/debian-security}"
}

# A private apt configuration (the machine's own sources stay as they are):
# cross_apt NAME SUITE ARCH -> sets APT_OPTS for apt-get/apt-cache. SUITE may be several,
# space-separated ("bookworm bookworm-security"); one ending in -security is taken from the
# security archive.
cross_apt() {
    local suite=$2 arch=$3 dir=$CROSS_CACHE/apt/$1 s sources
    sources=$(for s in $suite; do
        case $s in
            *-security) echo "deb [arch=$arch] $(cross_security_mirror) $s main" ;;
            *) echo "deb [arch=$arch] $(cross_mirror) $s main" ;;
        esac
    done)
    mkdir -p "$dir/lists/partial" "$dir/archives/partial"
    # Other sources than the lists were read from: read them anew.
    [ "$(cat "$dir/sources.list" 2>/dev/null)" = "$sources" ] || rm -f "$dir/lists/"*_Packages*
    echo "$sources" >"$dir/sources.list"
    APT_OPTS=(-o Dir::Etc::SourceList="$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
        -o Dir::State::Lists="$dir/lists" -o Dir::Cache::Archives="$dir/archives"
        -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -o APT::Sandbox::User=root
        -o APT::Architecture="$arch" -o APT::Architectures="$arch"
        -o Acquire::Check-Valid-Until=false -o Acquire::Languages=none)
    if [ -z "$(find "$dir/lists" -maxdepth 1 -name '*_Packages*' -mmin -1440 -print -quit)" ]; then
        log "apt-get update ($suite $arch, private)"
        apt-get "${APT_OPTS[@]}" update -qq >&2
    fi
}

# cross_download NAME SUITE ARCH DEST PKG...: the .debs of those packages (cached by name).
cross_download() {
    local name=$1 suite=$2 arch=$3 dest=$4
    shift 4
    cross_apt "$name" "$suite" "$arch"
    mkdir -p "$dest"
    (cd "$dest" && apt-get "${APT_OPTS[@]}" download -qq "$@") >&2
}

# A command inside the sid root, in a private mount namespace: /proc, /dev, the project at
# /src and the local Swift package mirror at its own path (the root's /etc/gitconfig sends
# github.com there, as the machine's does). Nothing stays mounted afterwards.
in_sid() {
    unshare --mount --propagation private bash -c '
        set -e
        r=$1
        mount -t proc proc "$r/proc"
        mount --rbind /dev "$r/dev"
        mkdir -p "$r/src"
        mount --bind "$2" "$r/src"
        mkdir -p "$3" "$2/.build-arm64"
        mount --bind "$3" "$r/src/.build-arm64"
        if [ -d /opt/swift-packages ]; then
            mkdir -p "$r/opt/swift-packages"
            mount --bind /opt/swift-packages "$r/opt/swift-packages"
        fi
        exec chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
            TERM=dumb bash -c "$4"' in_sid "$SID" "$CROSS_ROOT" "$CROSS_SCRATCH" "$1" </dev/null
}

# The git URL rewrites of this machine (system and global), for the sid root's /etc/gitconfig.
host_git_rewrites() {
    { git config --system --get-regexp '^url\..*\.insteadof$' 2>/dev/null || true
        git config --global --get-regexp '^url\..*\.insteadof$' 2>/dev/null || true
    } | sort -u
}

# --- the sid root with the 6.2.3 host compiler ----------------------------------------------
# swiftlang 6.2.3 (the compiler, lld, clang), libc6-dev for the host side (the manifest),
# pkgconf, git for the package mirror, binutils that read aarch64.
SID_PACKAGES="swiftlang libc6-dev pkgconf git ca-certificates binutils-aarch64-linux-gnu"
setup_sid() {
    if [ ! -s "$SID/.hl-stamp" ]; then
        ensure_host_packages debootstrap
        rm -rf "$SID"
        mkdir -p "$CROSS_CACHE/debootstrap-debs"
        log "debootstrap sid (amd64, minbase) into ${SID#"$CROSS_ROOT"/}"
        debootstrap --variant=minbase --cache-dir="$CROSS_CACHE/debootstrap-debs" sid "$SID" "$(cross_mirror)" \
            >"$CROSS_CACHE/debootstrap-sid.log" 2>&1 || { tail -n 20 "$CROSS_CACHE/debootstrap-sid.log" >&2; die "debootstrap sid failed"; }
        # The mirror's sid Release file may read as expired.
        echo 'Acquire::Check-Valid-Until "false";' >"$SID/etc/apt/apt.conf.d/99hailong-valid-until"
        # Keep the .debs (/var/tmp/hailong-cross/sid-debs): a fresh root installs them without a download.
        mkdir -p "$CROSS_CACHE/sid-debs"
        echo 'Binary::apt::APT::Keep-Downloaded-Packages "true";' >"$SID/etc/apt/apt.conf.d/99hailong-keep"
        cp /etc/resolv.conf "$SID/etc/resolv.conf" 2>/dev/null || true
        mkdir -p "$SID/var/cache/apt/archives"
        cp -n "$CROSS_CACHE/sid-debs/"*.deb "$SID/var/cache/apt/archives/" 2>/dev/null || true
        log "apt-get install $SID_PACKAGES in the sid root"
        in_sid "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            $SID_PACKAGES >/dev/null" >&2 || die "installing swiftlang in the sid root failed"
        cp -n "$SID/var/cache/apt/archives/"*.deb "$CROSS_CACHE/sid-debs/" 2>/dev/null || true
        rm -f "$SID/var/cache/apt/archives/"*.deb
        echo "$(in_sid "dpkg-query -W -f='\${Version}' swiftlang")" >"$SID/.hl-stamp"
    fi
    # A package added to the list since the root was made.
    in_sid "for p in $SID_PACKAGES; do dpkg -s \$p >/dev/null 2>&1 || exit 1; done" ||
        in_sid "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $SID_PACKAGES >/dev/null || \
            { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $SID_PACKAGES >/dev/null; }" >&2 ||
        die "installing $SID_PACKAGES in the sid root failed"
    host_git_rewrites | while read -r key value; do
        in_sid "git config --system --get-all '$key' | grep -qxF '$value' || git config --system --add '$key' '$value'"
    done
    in_sid "git config --system safe.directory '*'"
}

# --- the aarch64 Swift runtime: swiftlang:arm64 extracted ------------------------------------
setup_swift_arm64() {
    local dest=$SID$IN_SWIFT_ARM64 debs=$CROSS_CACHE/debs/swiftlang-arm64 host want
    host=$(cat "$SID/.hl-stamp")
    [ -s "$dest/.hl-stamp" ] && [ "$(cat "$dest/.hl-stamp")" = "$host" ] && return
    # The arm64 build may carry another binNMU suffix (+bN) than the amd64 one: the source
    # version must agree.
    cross_apt sid sid arm64
    want=$(apt-cache "${APT_OPTS[@]}" show swiftlang | sed -n 's/^Version: //p' | while read -r v; do
        [ "${v%+b*}" = "${host%+b*}" ] && echo "$v"; done | sort -V | tail -n 1)
    [ -n "$want" ] || die "sid has no swiftlang:arm64 of the host's version ${host%+b*}"
    log "fetching swiftlang:arm64 $want (about 500 MB, cached)"
    if [ "$(cat "$debs/.hl-version" 2>/dev/null)" != "$want" ]; then
        rm -rf "$debs"
        cross_download sid sid arm64 "$debs" "swiftlang=$want" "libswiftlang=$want"
        echo "$want" >"$debs/.hl-version"
    fi
    rm -rf "$dest" && mkdir -p "$dest"
    for d in "$debs"/*.deb; do dpkg-deb -x "$d" "$dest"; done
    [ -d "$dest/usr/libexec/swift/lib/swift_static/linux" ] || die "swiftlang:arm64 has no swift_static/linux"
    echo "$host" >"$dest/.hl-stamp"
}

# --- the trixie arm64 sysroot -----------------------------------------------------------------
setup_sysroot() {
    local dest=$SID$IN_SYSROOT debs=$CROSS_CACHE/debs/trixie-arm64 stamp
    stamp=$(echo "$SYSROOT_PACKAGES" | tr -s ' \n' ' ')
    [ "$(cat "$dest/.hl-stamp" 2>/dev/null)" = "$stamp" ] && return
    if [ "$(cat "$debs/.hl-packages" 2>/dev/null)" != "$stamp" ]; then
        log "fetching the trixie arm64 sysroot's packages"
        rm -rf "$debs"
        # shellcheck disable=SC2086
        cross_download trixie trixie arm64 "$debs" $SYSROOT_PACKAGES
        echo "$stamp" >"$debs/.hl-packages"
    fi
    log "unpacking the trixie arm64 sysroot"
    rm -rf "$dest"
    mkdir -p "$dest/usr/lib"
    ln -s usr/lib "$dest/lib"
    for d in "$debs"/*.deb; do dpkg-deb -x "$d" "$dest"; done
    # Merged /usr: the packages still ship some files under /lib.
    # Absolute symlinks (libm.so -> /lib/aarch64-linux-gnu/libm.so.6) made relative to the sysroot.
    find "$dest" -type l -lname '/*' | while read -r l; do
        t=$(readlink "$l")
        ln -sfn "$(realpath -m --relative-to="$(dirname "$l")" "$dest$t")" "$l"
    done
    # The linker scripts libc.so and libm.so name absolute paths: the sysroot prefixes them
    # (lld does, for scripts inside the sysroot).
    # The arm64 Swift runtime, where the swift-sdk.json says it is.
    ln -sfn "$IN_SWIFT_ARM64/usr/libexec/swift/lib/swift" "$dest/usr/lib/swift"
    ln -sfn "$IN_SWIFT_ARM64/usr/libexec/swift/lib/swift_static" "$dest/usr/lib/swift_static"
    echo "$stamp" >"$dest/.hl-stamp"
}

# --- the Swift SDK bundle ----------------------------------------------------------------------
setup_sdk() {
    local b=$SID$IN_SDKS/$SDK_NAME.artifactbundle
    mkdir -p "$b/$SDK_NAME"
    cat >"$b/info.json" <<JSON
{
  "schemaVersion": "1.0",
  "artifacts": {
    "$SDK_NAME": {
      "type": "swiftSDK",
      "version": "$(cat "$SID/.hl-stamp")",
      "variants": [{ "path": "$SDK_NAME", "supportedTriples": ["x86_64-unknown-linux-gnu", "x86_64-pc-linux-gnu"] }]
    }
  }
}
JSON
    cat >"$b/$SDK_NAME/swift-sdk.json" <<JSON
{
  "schemaVersion": "4.0",
  "targetTriples": {
    "$TRIPLE": {
      "sdkRootPath": "$IN_SYSROOT",
      "swiftResourcesPath": "$IN_SYSROOT/usr/lib/swift",
      "swiftStaticResourcesPath": "$IN_SYSROOT/usr/lib/swift_static",
      "toolsetPaths": ["toolset.json"]
    }
  }
}
JSON
    cat >"$b/$SDK_NAME/toolset.json" <<JSON
{
  "schemaVersion": "1.0",
  "swiftCompiler": { "extraCLIOptions": ["-use-ld=lld"] }
}
JSON
}

cross_setup() {
    mkdir -p "$CROSS_CACHE"
    setup_sid
    setup_swift_arm64
    setup_sysroot
    setup_sdk
}

# --- a trixie arm64 root, for the tests (qemu-user through binfmt) -------------------------------
# What a board has beyond minbase for the agent: its libraries, adduser for the package's
# scripts, tzdata for time_zone, ca-certificates for an https uplink.
TEST_ROOT_PACKAGES="adduser libgpiod3 libsqlite3-0 zlib1g tzdata ca-certificates"
TEST_ROOT_TARBALL=$CROSS_CACHE/trixie-arm64-root.tar.gz

# trixie_tarball: the cached root (debootstrapped the first time: minutes, the second stage
# runs under qemu). trixie_root DIR: a fresh copy of it in DIR.
trixie_tarball() {
    local tmp
    ensure_binfmt
    if [ ! -s "$TEST_ROOT_TARBALL" ] || [ "$(cat "$TEST_ROOT_TARBALL.packages" 2>/dev/null)" != "$TEST_ROOT_PACKAGES" ]; then
        ensure_host_packages debootstrap
        tmp=$CROSS_CACHE/trixie-arm64-root.tmp
        rm -rf "$tmp"
        mkdir -p "$CROSS_CACHE/debootstrap-debs-arm64"
        log "debootstrap trixie (arm64, minbase; the second stage under qemu)"
        debootstrap --arch=arm64 --variant=minbase --include="$(echo $TEST_ROOT_PACKAGES | tr ' ' ,)" \
            --cache-dir="$CROSS_CACHE/debootstrap-debs-arm64" trixie "$tmp" "$(cross_mirror)" \
            >"$CROSS_CACHE/debootstrap-trixie.log" 2>&1 ||
            { tail -n 20 "$CROSS_CACHE/debootstrap-trixie.log" >&2; die "debootstrap trixie arm64 failed"; }
        rm -rf "$tmp/var/cache/apt/archives/"*.deb "$tmp/var/lib/apt/lists/"*_Packages
        tar -czf "$TEST_ROOT_TARBALL.tmp" -C "$tmp" . && mv "$TEST_ROOT_TARBALL.tmp" "$TEST_ROOT_TARBALL"
        echo "$TEST_ROOT_PACKAGES" >"$TEST_ROOT_TARBALL.packages"
        rm -rf "$tmp"
        log "trixie arm64 root ready"
    fi
}

trixie_root() {
    local dir=$1
    trixie_tarball
    rm -rf "$dir" && mkdir -p "$dir"
    tar -xzf "$TEST_ROOT_TARBALL" -C "$dir"
    cp /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
}

# in_trixie DIR COMMAND: COMMAND (sh) in that arm64 root, /proc and /dev mounted privately.
in_trixie() {
    unshare --mount --propagation private sh -c 'mount -t proc proc "$1/proc" && mount --rbind /dev "$1/dev" &&
        exec chroot "$1" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 sh -c "$2"' \
        in_trixie "$1" "$2"
}
