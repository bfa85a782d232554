# Shared helpers of the packaging tests; sourced, not run.
# Each check prints one "PASS: ..." or "FAIL: ..." line; a test script exits non-zero when
# any of its checks failed, and run.sh adds them up.

repo=$(cd "$(dirname "$0")/../.." && pwd)
failures=0
passes=0

pass() {
    passes=$((passes + 1))
    echo "PASS: $*"
}

fail() {
    failures=$((failures + 1))
    echo "FAIL: $*"
}

# check "what" command args...: PASS when the command succeeds; its output is shown on failure.
check() {
    what=$1
    shift
    if output=$("$@" 2>&1); then
        pass "$what"
    else
        fail "$what"
        printf '%s\n' "$output" | sed 's/^/    /'
    fi
}

skip() {
    echo "SKIP: $*"
}

# Debian packages a test needs, installed once (CI starts from a fresh machine).
need_packages() {
    missing=
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
            missing="$missing $package"
    done
    [ -z "$missing" ] && return 0
    echo "installing:$missing"
    if [ "$(id -u)" != 0 ]; then
        echo "not root: cannot apt-get install$missing" >&2
        return 1
    fi
    # Another apt may hold the lock for a while: wait for it rather than fail.
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q $missing >/dev/null ||
        { apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null &&
          DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q $missing >/dev/null; }
}

finish() {
    echo "$(basename "$0"): $passes passed, $failures failed"
    [ "$failures" -eq 0 ]
}

# --- a throwaway Debian root, for dpkg -i and for booting systemd ------------------------------

# The Debian mirror this machine's apt already uses.
debian_mirror() {
    { grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{ print $2 }'
      grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{ print $2 }'
    } | grep -E '/debian/?$' | head -1
}

debian_suite() {
    (. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
}

# debian_root_cache [extra packages]: the tarball a root with those packages is kept in.
debian_root_cache() {
    name=$(echo "$*" | tr ' ' '+')
    echo "${HAILONG_CHROOT_CACHE_DIR:-/var/tmp}/hailong-chroot-$(debian_suite)-$(dpkg --print-architecture)${name:+-$name}.tar.gz"
}

# debian_root DIR [extra packages]: a minbase root of this machine's Debian release with
# adduser, libgpiod2 and libsqlite3-0 (and the extra packages) in DIR, from a cached tarball
# when there is one (debootstrap takes a minute or two).
debian_root() {
    dir=$1
    shift
    cache=$(debian_root_cache "$@")
    mkdir -p "$dir"
    if [ -f "$cache" ] && tar -xzf "$cache" -C "$dir"; then
        cp /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
        return 0
    fi
    url=$(debian_mirror)
    [ -n "$url" ] || { echo "no Debian mirror in /etc/apt" >&2; return 1; }
    include=adduser,libgpiod2,libsqlite3-0
    for package in "$@"; do include=$include,$package; done
    debootstrap --variant=minbase --include="$include" "$(debian_suite)" "$dir" "$url" >"$dir.debootstrap.log" 2>&1 ||
        { tail -20 "$dir.debootstrap.log" >&2; return 1; }
    rm -f "$dir.debootstrap.log"
    cp /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
    tar -czf "$cache.$$.tmp" -C "$dir" . && mv "$cache.$$.tmp" "$cache"
}

# in_root 'shell command': runs it in the root $root (set by the caller) with a clean
# environment, /proc mounted in a private mount namespace (nothing is left mounted afterwards;
# Swift programs read their arguments from /proc/self/cmdline) and stdin from /dev/null.
# No PID namespace: a process started there has the same PID on the host.
in_root() {
    unshare --mount --propagation private sh -c 'mount -t proc proc "$1/proc" && exec chroot "$1" \
        /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 sh -c "$2"' in_root "$root" "$1" </dev/null
}
