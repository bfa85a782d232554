#!/bin/sh
# Runs the packaging and board tests and ends with one "packaging: N passed, M failed" line;
# exits non-zero when any check failed. Needs root (apt-get, install.sh, debootstrap, chroot).
#
#   Tests/packaging/run.sh                  # all of them
#   Tests/packaging/run.sh test-units.sh    # some of them
#
# HAILONG_DEB_BINARIES=stub makes test-debs.sh package stand-in binaries instead of building
# the release ones (see test-debs.sh).
set -u
here=$(cd "$(dirname "$0")" && pwd)
tests=${*:-test-units.sh test-board-files.sh test-install.sh test-debs.sh test-installed.sh test-systemd.sh}
passed=0
failed=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

for test in $tests; do
    echo "== $test"
    sh "$here/$test" >"$out" 2>&1
    status=$?
    cat "$out"
    p=$(grep -c '^PASS:' "$out")
    f=$(grep -c '^FAIL:' "$out")
    if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAIL: $test exited with $status"
        f=1
    fi
    passed=$((passed + p))
    failed=$((failed + f))
done

echo "packaging: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
