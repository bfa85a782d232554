#!/usr/bin/env python3
"""The arm64 agent end to end, under qemu-user, against the amd64 server on loopback.

usage: e2e.py SERVER_BIN ROOT WORK

SERVER_BIN: the amd64 hailong-server. ROOT: a trixie arm64 root with the agent at
/usr/local/bin/hailong-agent (run through binfmt's qemu-aarch64 in a chroot). WORK: a scratch
folder for the server's state and the logs.

A unit, a counter and a board are made on the server; the agent (gpio.backend: simulated) is
enrolled with the real `enroll` command; a clerk signs in; sessions open and are rated by
POST /v1/sim/press; the agent is killed with -9 in the middle and started again; at the end the
board's event log is gap-free, it holds every acknowledged press, the uplink has forwarded all of
it, and the server's report has exactly the presses, level by level. Prints PASS:/FAIL: lines
and METRIC: lines (resident memory and press latency under qemu, indicative only).
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

SERVER_BIN, ROOT, WORK = sys.argv[1:4]
failures = 0
CLERK = "Nguyễn Thị Ánh"


def ok(what):
    print("PASS: " + what, flush=True)


def bad(what):
    global failures
    failures += 1
    print("FAIL: " + what, flush=True)


def expect(cond, what, detail=""):
    if cond:
        ok(what)
    else:
        bad(what + ((": " + detail) if detail else ""))
    return cond


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, body=None, token=None, timeout=30):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
            return r.status, (json.loads(raw) if raw.strip() else {})
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def wait_http(url, seconds, proc=None):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except Exception:
            time.sleep(0.2)
    return False


def in_root(command, **kw):
    """COMMAND (sh) in the arm64 root: /proc and /dev mounted in a private mount namespace; the process
    is exec'ed down to the agent (unshare, sh, chroot, env, sh all exec), so its pid is ours."""
    script = ('mount -t proc proc "$1/proc" && mount --rbind /dev "$1/dev" && exec chroot "$1" /usr/bin/env -i '
              'PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 TZ=UTC sh -c "exec $2"')
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "in_root", ROOT, command]


def main():
    os.makedirs(WORK, exist_ok=True)
    sport, aport = free_port(), free_port()
    server = "http://127.0.0.1:%d" % sport
    agent = "http://127.0.0.1:%d" % aport

    # --- the server (amd64) -------------------------------------------------------------------
    sconf = os.path.join(WORK, "server.yaml")
    with open(sconf, "w") as f:
        f.write('listen: "127.0.0.1:%d"\nstorage: {driver: sqlite, path: %s/server.db}\nreports: {min_n: 1}\n' % (sport, WORK))
    subprocess.run([SERVER_BIN, "migrate", "--config", sconf], check=True, capture_output=True)
    out = subprocess.run([SERVER_BIN, "admin", "create", "--config", sconf, "--username", "arm64", "--password", "arm64-password-123"],
                         check=True, capture_output=True, text=True).stdout
    admin = [l[len("API token: "):] for l in out.splitlines() if l.startswith("API token: ")][0]
    slog = open(os.path.join(WORK, "server.log"), "w")
    sproc = subprocess.Popen([SERVER_BIN, "serve", "--config", sconf, "--log-level", "warning"], stdout=slog, stderr=slog)
    aproc = None
    try:
        if not expect(wait_http(server + "/healthz", 30, sproc), "the amd64 server answers /healthz"):
            return
        call(server, "POST", "/v1/units", {"code": "arm", "name": "Phường Arm64"}, admin)
        _, counter = call(server, "POST", "/v1/counters", {"unit": "arm", "name": "Quầy Pi"}, admin)
        _, board = call(server, "POST", "/v1/boards", {"unit": "arm", "counterId": counter["id"], "scale": "vn3"}, admin)
        code = board["enrollmentCode"]

        # --- the board (arm64 under qemu) ----------------------------------------------------
        os.makedirs(ROOT + "/etc/hailong", exist_ok=True)
        os.makedirs(ROOT + "/var/lib/hailong", exist_ok=True)
        with open(ROOT + "/etc/hailong/agent.yaml", "w") as f:
            f.write('counter: "Quầy Pi"\ngpio: {backend: simulated}\nstorage: {path: /var/lib/hailong/agent.db}\n'
                    'api: {listen: "127.0.0.1:%d", token_file: /etc/hailong/api-token}\nuplink: {server: "%s"}\n' % (aport, server))
        with open(ROOT + "/etc/hailong/api-token", "w") as f:
            f.write("arm64-e2e-token-0123456789abcdef\n")
        os.chmod(ROOT + "/etc/hailong/api-token", 0o600)
        token = "arm64-e2e-token-0123456789abcdef"

        check = subprocess.run(in_root("hailong-agent check --config /etc/hailong/agent.yaml"), capture_output=True, text=True)
        expect(check.returncode == 0, "hailong-agent check passes on arm64 (simulated backend)", check.stdout + check.stderr)
        enroll = subprocess.run(in_root("hailong-agent enroll --config /etc/hailong/agent.yaml --code " + code),
                                capture_output=True, text=True, timeout=120)
        if not expect(enroll.returncode == 0, "hailong-agent enroll (arm64) with the server's one-time code",
                      enroll.stdout + enroll.stderr):
            return

        alog = open(os.path.join(WORK, "agent.log"), "a")

        def start_agent():
            t = time.time()
            p = subprocess.Popen(in_root("hailong-agent run --config /etc/hailong/agent.yaml"), stdout=alog, stderr=alog)
            up = wait_http(agent + "/healthz", 90, p)
            return p, up, time.time() - t

        aproc, up, t_start = start_agent()
        if not expect(up, "the arm64 agent starts under qemu-user (%.1f s to /healthz)" % t_start):
            return
        time.sleep(2)
        rss = rss_kib(aproc.pid)

        status, _ = call(agent, "POST", "/v1/clerk", {"clerk": CLERK}, token)
        expect(status in (200, 201), "a clerk signs in", str(status))

        levels = {1: 0, 2: 0, 3: 0}
        latencies = []
        acknowledged = 0
        refused = []

        def serve(n, first):
            nonlocal acknowledged
            for i in range(first, first + n):
                level = 1 + (i * 7) % 3
                s, body = call(agent, "POST", "/v1/session", {"dossier": "000.30.25.H17-261201-%04d" % i, "clerk": CLERK}, token)
                if s != 201:
                    refused.append(("session", i, s, body))
                    continue
                t = time.time()
                s, body = call(agent, "POST", "/v1/sim/press", {"level": level, "holdMs": 1}, token)
                latencies.append((time.time() - t) * 1000)
                if s == 200 and isinstance(body, dict) and body.get("result") == "rated":
                    levels[level] += 1
                    acknowledged += 1
                else:
                    refused.append(("press", i, s, body))

        serve(20, 1)
        # kill -9 mid-work: presses acknowledged, some not yet forwarded (the uplink batches).
        _, st = call(agent, "GET", "/v1/status", None, token)
        backlog_at_kill = st.get("backlog") if isinstance(st, dict) else None
        aproc.send_signal(signal.SIGKILL)
        aproc.wait()
        ok("kill -9 of the arm64 agent after %d acknowledged presses (backlog %s at the kill)" % (acknowledged, backlog_at_kill))
        aproc, up, t_restart = start_agent()
        if not expect(up, "the agent starts again after kill -9 (%.1f s)" % t_restart):
            return
        # The clerk is still signed in (a board state, in the event log), so sessions open again.
        serve(20, 21)
        expect(not refused, "every session opened and every press was rated (%d)" % acknowledged, repr(refused[:3]))

        # Forwarded: the backlog drains.
        deadline = time.time() + 120
        backlog = None
        while time.time() < deadline:
            _, st = call(agent, "GET", "/v1/status", None, token)
            backlog = st.get("backlog") if isinstance(st, dict) else None
            if backlog == 0:
                break
            time.sleep(0.5)
        expect(backlog == 0, "the uplink forwarded everything (backlog 0)", "backlog %s" % backlog)

        _, ev = call(agent, "GET", "/v1/events?after=0&limit=1000", None, token)
        events = ev.get("events", []) if isinstance(ev, dict) else []
        seqs = [e["seq"] for e in events]
        expect(seqs == list(range(1, len(seqs) + 1)), "the board's event log is gap-free across the kill (%d events)" % len(seqs))
        ratings = [e for e in events if e.get("kind") == "rating"]
        expect(len(ratings) == acknowledged and all(e.get("binding") == "dossier" for e in ratings),
               "the board holds every acknowledged press, each bound to its dossier (%d)" % len(ratings))

        # The server holds the board's log exactly (the seq and kind of every event).
        board_id = enroll.stdout.split()[3] if len(enroll.stdout.split()) > 3 else ""
        remote = []
        while True:
            s, page = call(server, "GET", "/v1/boards/%s/events?after=%d&limit=5000" % (board_id, remote[-1]["seq"] if remote else 0), None, admin)
            page = [e["event"] for e in page.get("events", [])] if s == 200 and isinstance(page, dict) else []
            if not page:
                break
            remote += page
        expect([(e["seq"], e["kind"], e.get("level"), e.get("dossier")) for e in remote]
               == [(e["seq"], e["kind"], e.get("level"), e.get("dossier")) for e in events],
               "the server stored the board's %d events exactly, once each" % len(events),
               "server has %d events for board %r" % (len(remote), board_id))

        # The server's report equals the presses, level by level.
        day = 86400
        span = "from=%s&to=%s" % (time.strftime("%Y-%m-%d", time.gmtime(time.time() - 2 * day)),
                                  time.strftime("%Y-%m-%d", time.gmtime(time.time() + 2 * day)))
        report = None
        deadline = time.time() + 30
        while time.time() < deadline:
            _, report = call(server, "GET", "/v1/reports/satisfaction?unit=arm&by=counter&" + span, None, admin)
            rows = report.get("rows", []) if isinstance(report, dict) else []
            if rows and rows[0].get("total") == acknowledged:
                break
            time.sleep(0.5)
        rows = report.get("rows", []) if isinstance(report, dict) else []
        got = {int(k): v for k, v in (rows[0].get("levels", {}) if rows else {}).items()}
        want = {k: v for k, v in levels.items() if v}
        got = {k: v for k, v in got.items() if v}
        expect(len(rows) == 1 and rows[0].get("total") == acknowledged and got == want,
               "the server's report equals the presses: %s" % json.dumps(want, sort_keys=True), json.dumps(report)[:400])

        latencies.sort()
        print("METRIC: arm64 agent under qemu-user: resident %d KiB after start (qemu's own included)" % rss)
        print("METRIC: press latency (POST /v1/sim/press, answered after the commit) median %.1f ms, p90 %.1f ms, max %.1f ms over %d presses"
              % (latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.9)], latencies[-1], len(latencies)))
        print("METRIC: agent start to /healthz under qemu-user: %.1f s (cold), %.1f s (after kill -9)" % (t_start, t_restart))
    finally:
        if aproc is not None and aproc.poll() is None:
            aproc.send_signal(signal.SIGTERM)
            try:
                aproc.wait(15)
            except subprocess.TimeoutExpired:
                aproc.kill()
        sproc.terminate()
        try:
            sproc.wait(15)
        except subprocess.TimeoutExpired:
            sproc.kill()


def rss_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


main()
print("e2e-arm64: %s" % ("all passed" if failures == 0 else "%d failed" % failures))
sys.exit(1 if failures else 0)
