# Shared by scripts/*: idempotent installation of what Hailong needs from Debian's packages.
# Sourced, not run.

log() { printf '%s\n' "$*" >&2; }

_apt_updated=0
_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# need_packages PKG...: installs the ones missing (apt-get update only when something is).
need_packages() {
    missing=""
    for p in "$@"; do _installed "$p" || missing="$missing $p"; done
    [ -z "$missing" ] && return 0
    sudo_cmd=""
    [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
    if [ $_apt_updated = 0 ]; then
        log "apt-get update"
        $sudo_cmd apt-get update -qq >&2
        _apt_updated=1
    fi
    log "installing:$missing"
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends $missing >&2
}

# What building and running Hailong needs.
need_build_packages() {
    need_packages libgpiod-dev gpiod libsqlite3-dev sqlite3 pkg-config curl ca-certificates
}
