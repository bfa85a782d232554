#!/bin/sh
# What the packages install, used as a user would (issue 11 §1). The three .debs, built with
# packaging/build-debs.sh --no-build from the release binaries, are installed in a throwaway
# Debian root where nothing of this checkout or its build folder is visible. There, as the
# systemd units would run them (user hailong): server.yaml on a free loopback port,
# `hailong-server migrate`, `hailong-server admin create`, `hailong-server serve`.
#  1. The README's walk-through with the installed CLI and agent: a unit and a board
#     (`hailong units add`, `hailong boards add` → code), `hailong-agent enroll`,
#     `hailong-agent run` on simulated buttons; a clerk signs in, two sessions are rated 3 and 1
#     (the local API, from the host); `hailong report --by clerk` shows the clerk's 2 ratings
#     once the uplink forwarded them.
#  2. From the host, route-sweep.py asks every route of the server's own GET /openapi.yaml: no
#     token, wrong tokens, bad input (bad JSON, wrong types, huge numbers, 5 MiB bodies, bad
#     queries, bogus ids), valid requests; nothing may be 5xx (but a documented 503), every
#     answer comes within 5 s, every error is JSON naming the problem, and the server is the
#     same process at the end.
#     Then dashboard-sweep.py asks every route of the managers' dashboard (its own unit tree,
#     accounts and alert; signed out, forged cookies, admin / ward manager / technician, bad
#     codes, periods, bodies and CSRF tokens, next= off the server): nothing 5xx, every error an
#     HTML page, CSP and nosniff on HTML, the session cookie HttpOnly and SameSite=Strict, a
#     hostile clerk name never unescaped, the same process at the end.
#  3. The walk-through's ratings are still there; `hailong boards list`, `hailong dossier`,
#     `hailong-agent status`; the server is the same process; both stop on SIGTERM with exit
#     status 0 and leave no process behind (a trap kills what is left if the test fails).
#
# The release binaries are the ones test-debs.sh builds in the default build folder
# (swift build -c release --static-swift-stdlib --product NAME); a missing one is built here,
# under `flock /tmp/swift-build.lock` (one Swift build at a time on this machine).
# HAILONG_DEB_BIN_DIR takes them from another folder instead. The root comes from the cache
# debian_root keeps in /var/tmp.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

[ "$(id -u)" = 0 ] || { fail "test-installed.sh must run as root (debootstrap, chroot)"; finish; exit 1; }
need_packages dpkg-dev debootstrap binutils curl python3 ||
    { fail "the tools this test needs are not installable"; finish; exit 1; }

started=$(date +%s)
work=$(mktemp -d /var/tmp/hailong-installed.XXXXXX)
root=$work/root
server_pid=
agent_pid=

# The processes running in the throwaway root (all started by this test), by PID.
root_processes() {
    for proc in /proc/[0-9]*; do
        [ "$(readlink "$proc/root" 2>/dev/null)" = "$root" ] && echo "${proc#/proc/}"
    done
}

cleanup() {
    pids=$(root_processes)
    if [ -n "$pids" ]; then
        # shellcheck disable=SC2086
        kill -TERM $pids 2>/dev/null
        i=0
        while [ -n "$(root_processes)" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
        pids=$(root_processes)
        # shellcheck disable=SC2086
        [ -z "$pids" ] || kill -KILL $pids 2>/dev/null
        sleep 0.2
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# Seconds since the start, for the reader.
elapsed() { echo "$(($(date +%s) - started)) s"; }

# --- the packages, from the release binaries ---------------------------------------------
bin_dir=${HAILONG_DEB_BIN_DIR:-$repo/.build/release}
for product in hailong-server hailong-agent hailong; do
    [ -x "$bin_dir/$product" ] && continue
    if [ -n "${HAILONG_DEB_BIN_DIR:-}" ]; then
        fail "no release binary $bin_dir/$product"
        continue
    fi
    echo "    building $product (release; waits for any other Swift build on this machine)…"
    need_packages libgpiod-dev libsqlite3-dev pkg-config || fail "the build's libraries are not installable"
    if ! (cd "$repo" && flock /tmp/swift-build.lock swift build -c release --static-swift-stdlib --product "$product") \
        >"$work/swift-build.log" 2>&1; then
        fail "swift build -c release --product $product"
        tail -30 "$work/swift-build.log" | sed 's/^/    /'
    fi
done
for product in hailong-server hailong-agent hailong; do
    [ -x "$bin_dir/$product" ] && echo "    $product: $(du -k "$bin_dir/$product" | cut -f1) KiB, built $(date -u -r "$bin_dir/$product" '+%Y-%m-%d %H:%M UTC')"
done

arch=$(dpkg --print-architecture)
debs=$work/debs
if DEB_COMPRESSION=gzip "$repo/packaging/build-debs.sh" --no-build --bin-dir "$bin_dir" --version 1.0.0 --out "$debs" \
    >"$work/debs.log" 2>&1; then
    pass "build-debs.sh --no-build packages the release binaries ($(elapsed))"
else
    fail "build-debs.sh --no-build failed"
    tail -20 "$work/debs.log" | sed 's/^/    /'
fi
for package in hailong-server hailong-agent hailong; do
    [ -f "$debs/${package}_1.0.0_${arch}.deb" ] || { fail "no ${package}_1.0.0_${arch}.deb"; finish; exit 1; }
done

# --- installed in a throwaway root ---------------------------------------------------------
check "a throwaway Debian root ($(debian_root_cache))" debian_root "$root"
cp "$debs"/*.deb "$root/tmp/"
needs=$(for package in hailong-server hailong-agent hailong; do dpkg-deb --field "$debs/${package}_1.0.0_${arch}.deb" Depends; done |
    tr ',' '\n' | sed 's/^ *//; s/[ (].*//' | grep -v '^$' | sort -u | paste -sd' ' -)
check "the packages' dependencies ($needs) install in the root" in_root "
    missing=; for p in $needs; do dpkg -s \$p >/dev/null 2>&1 || missing=\"\$missing \$p\"; done
    [ -z \"\$missing\" ] || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \$missing >/dev/null; }"
check "dpkg -i hailong-server hailong-agent hailong" in_root \
    "dpkg -i /tmp/hailong-server_1.0.0_${arch}.deb /tmp/hailong-agent_1.0.0_${arch}.deb /tmp/hailong_1.0.0_${arch}.deb"
check "the checkout ($repo) and its build folder are out of sight in the root" in_root "[ ! -e '$repo' ] && [ ! -e '$bin_dir' ]"
# The bug of issue 11 §1: a SwiftPM resource bundle looked up in the build folder.
check "no installed binary refers to a resource bundle in a build folder" sh -c \
    "! grep -aqE '\\.build/[^[:cntrl:]]*\\.resources' '$root/usr/bin/hailong-server' '$root/usr/bin/hailong-agent' '$root/usr/bin/hailong'"

# bg NAME USER COMMAND...: starts COMMAND in the root as USER, in the background in a session
# of its own; it keeps running after in_root returns. /tmp/NAME.pid (in the root) has its PID,
# the same on the host (no PID namespace), /tmp/NAME.log its output, /tmp/NAME.rc its exit
# status once it ended. Prints the PID.
cat >"$root/tmp/bg" <<'SH'
#!/bin/sh
name=$1 user=$2
shift 2
rm -f "/tmp/$name.pid" "/tmp/$name.rc"
(
    setsid -w setpriv --reuid="$user" --regid="$user" --init-groups sh -c 'echo $$ >"$0" && exec "$@"' "/tmp/$name.pid" "$@"
    echo $? >"/tmp/$name.rc"
) </dev/null >"/tmp/$name.log" 2>&1 &
i=0
while [ ! -s "/tmp/$name.pid" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
cat "/tmp/$name.pid"
SH
chmod 0755 "$root/tmp/bg"

# wait_http URL NAME PID: polls URL (20 s at most) while the process is alive.
wait_http() {
    deadline=$(($(date +%s) + 20))
    until curl -sf --max-time 2 "$1" >/dev/null 2>&1; do
        if [ "$(date +%s)" -ge $deadline ] || ! kill -0 "$3" 2>/dev/null; then
            echo "$2 did not answer $1 (PID $3 $(kill -0 "$3" 2>/dev/null && echo alive || echo gone)); its log:"
            tail -20 "$root/tmp/$2.log" 2>/dev/null
            return 1
        fi
        sleep 0.1
    done
}

# stop NAME PID: SIGTERM, then its exit status (10 s at most); 0 is a clean stop.
stop() {
    kill -TERM "$2" 2>/dev/null || { echo "PID $2 was already gone"; return 1; }
    i=0
    while [ ! -s "$root/tmp/$1.rc" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    rc=$(cat "$root/tmp/$1.rc" 2>/dev/null)
    if [ "$rc" != 0 ]; then
        echo "$1 exit status after SIGTERM: ${rc:-none within 10 s}; its log:"
        tail -20 "$root/tmp/$1.log"
        return 1
    fi
    ! kill -0 "$2" 2>/dev/null
}

# Two free loopback ports: the server's and the board's local API.
set -- $(python3 -c 'import socket
a, b = socket.socket(), socket.socket()
a.bind(("127.0.0.1", 0)); b.bind(("127.0.0.1", 0))
print(a.getsockname()[1], b.getsockname()[1])')
sport=$1 aport=$2
server=http://127.0.0.1:$sport
board=http://127.0.0.1:$aport

# --- the server, as installed -----------------------------------------------------------------
cat >"$root/etc/hailong/server.yaml" <<YAML
# written by test-installed.sh
listen: "127.0.0.1:$sport"
storage: {driver: sqlite, path: /var/lib/hailong/server.db}
reports: {min_n: 1}
YAML
as_hailong="setpriv --reuid=hailong --regid=hailong --init-groups"
check "hailong-server migrate (as hailong)" in_root "$as_hailong hailong-server migrate --config /etc/hailong/server.yaml"
created=$(in_root "$as_hailong hailong-server admin create --config /etc/hailong/server.yaml --username root --password 'root-password-1234'" 2>&1)
admin=$(printf '%s\n' "$created" | sed -n 's/^API token: //p')
if [ -n "$admin" ]; then
    pass "hailong-server admin create --username root prints an API token"
else
    fail "hailong-server admin create --username root: no 'API token:' line"
    printf '%s\n' "$created" | sed 's/^/    /'
fi

server_pid=$(in_root "/tmp/bg server hailong hailong-server serve --config /etc/hailong/server.yaml --log-level notice")
if [ -n "$server_pid" ] && wait_http "$server/healthz" server "$server_pid" >"$work/wait.log" 2>&1; then
    pass "hailong-server serve (PID $server_pid, as hailong) answers $server/healthz"
else
    fail "hailong-server serve did not start"
    sed 's/^/    /' "$work/wait.log"
    finish
    exit 1
fi
check "PID $server_pid is /usr/bin/hailong-server of the root, running in the root" sh -c \
    "[ \"\$(readlink /proc/$server_pid/root)\" = '$root' ] && [ \"\$(readlink /proc/$server_pid/exe)\" = '$root/usr/bin/hailong-server' ]"
server_start=$(cut -d')' -f2- "/proc/$server_pid/stat" | awk '{ print $20 }')

# --- the README's walk-through, with the installed CLI and agent --------------------------------
hl="HOME=/root HAILONG_SERVER=$server HAILONG_TOKEN=$admin hailong"
check "hailong units add demo 'Phường Demo'" in_root "$hl units add demo 'Phường Demo'"
added=$(in_root "$hl boards add --unit demo --counter 'Quầy 1 — Demo'" 2>&1)
code=$(printf '%s\n' "$added" | sed -n 's/^ *enrollment code: \([^ ]*\).*/\1/p')
if [ -n "$code" ]; then
    pass "hailong boards add --unit demo prints an enrollment code"
else
    fail "hailong boards add --unit demo: no enrollment code"
    printf '%s\n' "$added" | sed 's/^/    /'
fi
cat >"$root/etc/hailong/agent.yaml" <<YAML
# written by test-installed.sh
counter: "Quầy 1 — Demo"
gpio: {backend: simulated}
storage: {path: /var/lib/hailong/agent.db}
api: {listen: "127.0.0.1:$aport", token_file: /etc/hailong/api-token}
uplink: {server: "$server"}
YAML
check "hailong-agent enroll --code (as hailong)" in_root "$as_hailong hailong-agent enroll --config /etc/hailong/agent.yaml --code '$code'"

agent_pid=$(in_root "/tmp/bg agent hailong hailong-agent run --config /etc/hailong/agent.yaml --log-level notice")
if [ -n "$agent_pid" ] && wait_http "$board/healthz" agent "$agent_pid" >"$work/wait.log" 2>&1; then
    pass "hailong-agent run (PID $agent_pid, as hailong, simulated buttons) answers $board/healthz"
else
    fail "hailong-agent run did not start"
    sed 's/^/    /' "$work/wait.log"
fi

# The counter PC's software and the citizens, from the host (the README's curl lines).
token=$(cat "$root/etc/hailong/api-token")
local_api() { # what METHOD PATH BODY EXPECTED-STATUS [text the answer must hold]
    answer=$(curl -s --max-time 10 -o "$work/answer" -w '%{http_code}' -X "$2" -H "Authorization: Bearer $token" \
        -H 'Content-Type: application/json' -d "$4" "$board$3")
    if [ "$answer" = "$5" ] && { [ -z "${6:-}" ] || grep -qF "$6" "$work/answer"; }; then
        pass "$1: $2 $3 → $answer"
    else
        fail "$1: $2 $3 → $answer (expected $5${6:+ and \"$6\"})"
        head -c 400 "$work/answer" | sed 's/^/    /'
        echo
    fi
}
clerk="Nguyễn Thị Ánh"
local_api "a clerk signs in" POST /v1/clerk "{\"clerk\":\"$clerk\"}" 200
local_api "a session opens for a dossier" POST /v1/session "{\"dossier\":\"000.30.25.H17-240702-0012\",\"clerk\":\"$clerk\"}" 201
local_api "the citizen presses 3 (Rất hài lòng)" POST /v1/sim/press '{"level":3}' 200 '"rating"'
local_api "the next session opens" POST /v1/session "{\"dossier\":\"000.30.25.H17-240702-0013\",\"clerk\":\"$clerk\"}" 201
local_api "the next citizen presses 1 (Không hài lòng)" POST /v1/sim/press '{"level":1}' 200 '"rating"'

# The report, once the uplink forwarded the ratings (30 s at most).
report_total() { # the table's "total" for the clerk's row, or nothing
    python3 -c '
import sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
header = next((l for l in lines if l.startswith("key")), None)
row = next((l for l in lines if sys.argv[2] in l), None)
if header and row and " total" in header:
    end = header.index(" total") + len(" total")
    print(row[:end].split()[-1])' "$1" "$clerk"
}
pressed=$(date +%s)
total=
while :; do
    in_root "$hl report --unit demo --by clerk" >"$work/report" 2>&1
    total=$(report_total "$work/report")
    [ "$total" = 2 ] || [ $(($(date +%s) - pressed)) -ge 30 ] && break
    sleep 0.2
done
if [ "$total" = 2 ]; then
    pass "hailong report --unit demo --by clerk shows $clerk with total 2 (within $(($(date +%s) - pressed + 1)) s of the press)"
else
    fail "hailong report --unit demo --by clerk: $clerk's total is '${total}', not 2, 30 s after the press"
fi
sed 's/^/    /' "$work/report"

# --- every route of the server's OpenAPI document -------------------------------------------------
if python3 "$here/route-sweep.py" --url "$server" --token "$admin" --pid "$server_pid" --limit 5 >"$work/sweep.log" 2>&1; then
    pass "route sweep: $(sed -n 's/^route sweep: //p' "$work/sweep.log")"
else
    fail "route sweep: $(sed -n 's/^route sweep: //p' "$work/sweep.log" | grep . || echo "route-sweep.py failed")"
fi
sed 's/^/    /' "$work/sweep.log"

# --- every route of the managers' dashboard (HTML: not in the OpenAPI document) -------------------
if python3 "$here/dashboard-sweep.py" --url "$server" --token "$admin" --pid "$server_pid" --limit 5 >"$work/dashboard-sweep.log" 2>&1; then
    pass "dashboard sweep: $(sed -n 's/^dashboard sweep: //p' "$work/dashboard-sweep.log")"
else
    fail "dashboard sweep: $(sed -n 's/^dashboard sweep: //p' "$work/dashboard-sweep.log" | grep . || echo "dashboard-sweep.py failed")"
fi
sed 's/^/    /' "$work/dashboard-sweep.log"

# --- after the sweep: the walk-through's state is intact, the CLI's and the agent's views -----------
in_root "$hl report --unit demo --by clerk" >"$work/report" 2>&1
check "after the sweep, hailong report still shows $clerk with total 2" test "$(report_total "$work/report")" = 2
in_root "$hl boards list" >"$work/boards" 2>&1
check "hailong boards list shows the demo board" grep -qF "Quầy 1 — Demo" "$work/boards"
sed 's/^/    /' "$work/boards"
in_root "$hl dossier 000.30.25.H17-240702-0012" >"$work/dossier" 2>&1
check "hailong dossier 000.30.25.H17-240702-0012 says: rated, level 3, by $clerk" grep -qF "rated, level 3, clerk $clerk" "$work/dossier"
sed 's/^/    /' "$work/dossier"
in_root "hailong-agent status --config /etc/hailong/agent.yaml" >"$work/status" 2>&1
status_rc=$?
check "hailong-agent status (exit $status_rc) shows the counter and its last upload" sh -c \
    "[ $status_rc = 0 ] && grep -qF 'Quầy 1 — Demo' '$work/status' && grep -q 'last upload' '$work/status'"
sed 's/^/    /' "$work/status"

# --- the same server at the end, and clean stops ---------------------------------------------------
now_start=$(cut -d')' -f2- "/proc/$server_pid/stat" 2>/dev/null | awk '{ print $20 }')
check "the server is the same process at the end (PID $server_pid, started at tick $server_start) and /healthz is ok" sh -c \
    "[ '$now_start' = '$server_start' ] && curl -sf --max-time 5 '$server/healthz' | grep -q '\"ok\"'"
if [ -n "$agent_pid" ]; then
    check "SIGTERM stops hailong-agent (PID $agent_pid) with exit status 0" stop agent "$agent_pid"
fi
check "SIGTERM stops hailong-server (PID $server_pid) with exit status 0" stop server "$server_pid"
i=0
while [ -n "$(root_processes)" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
left=$(root_processes)
if [ -z "$left" ]; then
    pass "no process is left running in the root"
else
    fail "processes left running in the root: $(for p in $left; do tr '\0' ' ' <"/proc/$p/cmdline"; echo "(PID $p)"; done)"
fi
warnings=$(grep -ahE 'critical|error|Fatal|fatal' "$root/tmp/server.log" "$root/tmp/agent.log" | head -5)
[ -z "$warnings" ] || { echo "    from the logs:"; printf '%s\n' "$warnings" | sed 's/^/      /'; }
echo "    test-installed.sh took $(elapsed)"

finish
