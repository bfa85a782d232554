#!/bin/sh
# Installs the Hailong agent on a counter board without the Debian package (which is the
# preferred way: packaging/build-debs.sh). Idempotent: run it again to upgrade; the
# configuration, the API token and the database are kept.
#
#   sudo board/install.sh [--board rpi4|rpi5|opi-zero3|FILE.yaml] [--binary PATH]
#   sudo board/install.sh --uninstall [--purge]
#
# DESTDIR=/some/dir installs into that tree instead of / (for tests and image builds): the
# hailong user is then added to DESTDIR's /etc/passwd and nothing is started. PREFIX
# (default /usr/local) is where the binary and the pin maps go.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
source_root=$(dirname "$here")
DESTDIR=${DESTDIR:-}
PREFIX=${PREFIX:-/usr/local}
action=install
purge=no
board=
binary=$source_root/.build/release/hailong-agent

usage() {
    sed -n '2,12s/^# \{0,1\}//p' "$0"
}

die() {
    echo "install.sh: $*" >&2
    exit 1
}

while [ $# -gt 0 ]; do
    case $1 in
        --uninstall) action=uninstall ;;
        --purge) purge=yes ;;
        --board) [ $# -ge 2 ] || die "--board needs a name"; board=$2; shift ;;
        --board=*) board=${1#--board=} ;;
        --binary) [ $# -ge 2 ] || die "--binary needs a path"; binary=$2; shift ;;
        --binary=*) binary=${1#--binary=} ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown option '$1' (try --help)" ;;
    esac
    shift
done
[ "$purge" = no ] || [ "$action" = uninstall ] || die "--purge goes with --uninstall"

bindir=$PREFIX/bin
sharedir=$PREFIX/share/hailong-agent
unitdir=/etc/systemd/system
ruledir=/etc/udev/rules.d
confdir=/etc/hailong
statedir=/var/lib/hailong
units="hailong-agent.service hailong-agent-retry.timer"
rule=60-hailong-gpio.rules

# systemd and udev are told only on a live system, not when filling a DESTDIR tree.
live() {
    [ -z "$DESTDIR" ] && [ -d /run/systemd/system ]
}

# --- users ----------------------------------------------------------------------------------

has_group() {
    if [ -n "$DESTDIR" ]; then grep -q "^$1:" "$DESTDIR/etc/group"; else getent group "$1" >/dev/null; fi
}

has_user() {
    if [ -n "$DESTDIR" ]; then grep -q "^$1:" "$DESTDIR/etc/passwd"; else getent passwd "$1" >/dev/null; fi
}

# Numeric ids, so DESTDIR trees get the ids of their own passwd file.
uid_of() {
    if [ -n "$DESTDIR" ]; then awk -F: -v n="$1" '$1 == n { print $3 }' "$DESTDIR/etc/passwd"; else id -u "$1"; fi
}

gid_of() {
    if [ -n "$DESTDIR" ]; then awk -F: -v n="$1" '$1 == n { print $3 }' "$DESTDIR/etc/group"; else getent group "$1" | cut -d: -f3; fi
}

ensure_accounts() {
    prefix_opt=
    if [ -n "$DESTDIR" ]; then
        [ -f "$DESTDIR/etc/passwd" ] && [ -f "$DESTDIR/etc/group" ] ||
            die "DESTDIR=$DESTDIR has no etc/passwd and etc/group to add the hailong user to"
        prefix_opt="--prefix $DESTDIR"
    fi
    # shellcheck disable=SC2086 # prefix_opt is empty or two words on purpose
    has_group gpio || groupadd $prefix_opt --system gpio
    # shellcheck disable=SC2086
    has_user hailong || useradd $prefix_opt --system --user-group --groups gpio \
        --home-dir "$statedir" --no-create-home --shell /usr/sbin/nologin \
        --comment "Hailong rating agent" hailong
    if ! id_groups_of_hailong | grep -qx gpio; then
        # shellcheck disable=SC2086
        usermod $prefix_opt --append --groups gpio hailong
    fi
}

id_groups_of_hailong() {
    if [ -n "$DESTDIR" ]; then
        awk -F: '{ n = split($4, m, ","); for (i = 1; i <= n; i++) if (m[i] == "hailong") print $1 }' "$DESTDIR/etc/group"
    else
        id -nG hailong | tr ' ' '\n'
    fi
}

# --- files ----------------------------------------------------------------------------------

put() { # mode owner group source destination
    install -D -m "$1" -o "$2" -g "$3" "$4" "$DESTDIR$5"
}

pinmap_for() {
    case $1 in
        rpi4|pi4|raspberry-pi-4) echo "$here/pinmaps/raspberry-pi-4.yaml" ;;
        rpi5|pi5|raspberry-pi-5) echo "$here/pinmaps/raspberry-pi-5.yaml" ;;
        opi-zero3|orange-pi-zero-3) echo "$here/pinmaps/orange-pi-zero-3.yaml" ;;
        */*|*.yaml) echo "$1" ;;
        *) echo "$here/pinmaps/$1.yaml" ;;
    esac
}

# The example configuration with its gpio: section replaced by the pin map's.
config_for_board() { # pinmap
    awk -v map="$1" -v name="$(basename "$1" .yaml)" '
        BEGIN {
            while ((getline line < map) > 0) {
                if (line ~ /^gpio:/) { on = 1; block = "# gpio: from the pin map " name "\n" }
                if (on) block = block line "\n"
            }
            if (!on) { print "install.sh: " map " has no gpio: section" > "/dev/stderr"; exit 1 }
        }
        /^gpio:/ { printf "%s", block; skipping = 1; next }
        skipping && /^[a-z_]+:/ { skipping = 0; print "" }
        !skipping { print }
    ' "$here/agent.example.yaml"
}

install_agent() {
    [ -x "$binary" ] || die "no agent binary at $binary: build it with
    swift build -c release --static-swift-stdlib --product hailong-agent
or pass --binary PATH"
    pinmap=
    if [ -n "$board" ]; then
        pinmap=$(pinmap_for "$board")
        [ -f "$pinmap" ] || die "no pin map '$board' (have: $(cd "$here/pinmaps" && ls | sed 's/\.yaml$//' | tr '\n' ' '))"
    fi

    ensure_accounts
    uid=$(uid_of hailong)
    gid=$(gid_of hailong)

    put 0755 0 0 "$binary" "$bindir/hailong-agent"
    tmp=$(mktemp)
    trap 'rm -f "$tmp"' EXIT
    sed "s|^ExecStart=/usr/bin/hailong-agent |ExecStart=$bindir/hailong-agent |" \
        "$source_root/systemd/hailong-agent.service" >"$tmp"
    put 0644 0 0 "$tmp" "$unitdir/hailong-agent.service"
    put 0644 0 0 "$source_root/systemd/hailong-agent-retry.timer" "$unitdir/hailong-agent-retry.timer"
    put 0644 0 0 "$here/udev/$rule" "$ruledir/$rule"
    for map in "$here"/pinmaps/*.yaml; do
        put 0644 0 0 "$map" "$sharedir/pinmaps/$(basename "$map")"
    done

    install -d -m 0755 -o 0 -g 0 "$DESTDIR$confdir"
    if [ -e "$DESTDIR$confdir/agent.yaml" ]; then
        [ -z "$pinmap" ] || echo "install.sh: keeping the existing $confdir/agent.yaml (--board $board not applied)"
    elif [ -n "$pinmap" ]; then
        config_for_board "$pinmap" >"$tmp"
        put 0644 0 0 "$tmp" "$confdir/agent.yaml"
    else
        put 0644 0 0 "$here/agent.example.yaml" "$confdir/agent.yaml"
    fi
    if [ ! -e "$DESTDIR$confdir/api-token" ]; then
        (umask 077 && od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$tmp")
        put 0640 0 "$gid" "$tmp" "$confdir/api-token"
    fi
    install -d -m 0750 -o "$uid" -g "$gid" "$DESTDIR$statedir"

    if live; then
        udevadm control --reload-rules 2>/dev/null || true
        udevadm trigger --subsystem-match=gpio --action=add 2>/dev/null || true
        systemctl daemon-reload
        systemctl enable hailong-agent.service
        systemctl restart hailong-agent.service || echo "install.sh: the agent did not start: see journalctl -u hailong-agent" >&2
    fi
    echo "install.sh: installed hailong-agent into ${DESTDIR:-/} ($bindir/hailong-agent)"
}

uninstall_agent() {
    if live; then
        systemctl disable --now $units 2>/dev/null || true
    fi
    rm -f "$DESTDIR$bindir/hailong-agent"
    for unit in $units; do rm -f "$DESTDIR$unitdir/$unit"; done
    rm -f "$DESTDIR$ruledir/$rule"
    rm -rf "$DESTDIR$sharedir"
    if [ "$purge" = yes ]; then
        rm -f "$DESTDIR$confdir/agent.yaml" "$DESTDIR$confdir/api-token"
        rm -rf "$DESTDIR$statedir"/agent*
        rmdir "$DESTDIR$statedir" "$DESTDIR$confdir" 2>/dev/null || true
        echo "install.sh: removed the agent, its configuration and its database (the hailong user stays)"
    else
        echo "install.sh: removed the agent; kept $confdir and $statedir (ratings not yet forwarded live there)"
        echo "install.sh: --uninstall --purge removes them too"
    fi
    if live; then
        systemctl daemon-reload
        udevadm control --reload-rules 2>/dev/null || true
    fi
}

[ "$(id -u)" = 0 ] || die "run as root (sudo)"
case $action in
    install) install_agent ;;
    uninstall) uninstall_agent ;;
esac
