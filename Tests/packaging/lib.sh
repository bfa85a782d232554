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
