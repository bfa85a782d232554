#!/usr/bin/env python3
"""Every route of a running hailong-server's OpenAPI document, asked every way a client may.

    route-sweep.py --url http://127.0.0.1:PORT --token hla_ADMIN [--pid PID] [--limit 5]

Reads GET /openapi.yaml (200, starts with `openapi:`), takes its `paths:` (path lines indented
two spaces, method lines four), and for every route and method sends
  (a) no token, (b) wrong tokens (malformed, unknown, another kind's, too long),
  (c) a valid token with bad input: no body, invalid JSON, wrong types, huge numbers, a 5 MiB
      body, deep nesting, bytes that are not UTF-8, bad query values, bogus path ids, the
      wrong role,
  (d) where sensible a valid request (the sweep makes its own unit, counter, clerks, boards,
      an enrolled board's ingest, a technician account), using real ids for {id} and {code}.
It checks that no answer is 5xx (but a documented 503 `busy` where passwords are hashed), that
every answer arrives within --limit seconds, that every error answer is a JSON object naming
the problem ({"error": CODE, "message": TEXT}, as the document says), that each answer has the
status expected, and at the end that the server is the same process (PID alive, same start
time) and /healthz answers ok. One line per request class; exit 1 when anything was wrong.
Python 3 standard library only.
"""

import argparse
import datetime
import http.client
import json
import os
import re
import secrets
import select
import socket
import sys
import time
import urllib.parse

# ---------------------------------------------------------------------------------------------
# HTTP


class Answer:
    def __init__(self, status, headers, body, elapsed, note=""):
        self.status = status
        self.headers = headers
        self.body = body
        self.elapsed = elapsed
        self.note = note

    def header(self, name):
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None


class NoAnswer(Exception):
    pass


def exchange(host, port, method, target, headers, body, limit):
    """One request on its own connection. The body is sent in pieces while watching the socket,
    so a server that answers before reading a large body all (413) is heard, not reset."""
    start = time.monotonic()
    try:
        sock = socket.create_connection((host, port), timeout=limit)
    except OSError as error:
        raise NoAnswer(f"cannot connect: {error}")
    try:
        lines = [f"{method} {target} HTTP/1.1".encode(), f"Host: {host}:{port}".encode(), b"Connection: close"]
        for name, value in headers:
            lines.append(name.encode() + b": " + (value if isinstance(value, bytes) else value.encode("utf-8")))
        if body is not None:
            lines.append(f"Content-Length: {len(body)}".encode())
        sock.sendall(b"\r\n".join(lines) + b"\r\n\r\n")
        note = ""
        sent = 0
        data = body or b""
        while sent < len(data):
            remaining = limit - (time.monotonic() - start)
            if remaining <= 0:
                raise NoAnswer(f"no answer within {limit} s (sent {sent} of {len(data)} body bytes)")
            readable, writable, _ = select.select([sock], [sock], [], remaining)
            if readable:
                note = f"answered after {sent} of {len(data)} body bytes"
                break
            if writable:
                try:
                    sent += sock.send(data[sent:sent + 256 * 1024])
                except (BrokenPipeError, ConnectionResetError):
                    note = f"closed after {sent} of {len(data)} body bytes"
                    break
        remaining = limit - (time.monotonic() - start)
        if remaining <= 0:
            raise NoAnswer(f"no answer within {limit} s")
        sock.settimeout(remaining)
        response = http.client.HTTPResponse(sock, method=method)
        try:
            response.begin()
            content = response.read()
        except socket.timeout:
            raise NoAnswer(f"no answer within {limit} s" + (f" ({note})" if note else ""))
        except (http.client.HTTPException, OSError) as error:
            raise NoAnswer(f"{type(error).__name__}: {error}" + (f" ({note})" if note else ""))
        return Answer(response.status, response.getheaders(), content, time.monotonic() - start, note)
    finally:
        sock.close()


# ---------------------------------------------------------------------------------------------
# The document


def parse_paths(text):
    """[(METHOD, path)] in document order, from the `paths:` mapping."""
    routes = []
    in_paths = False
    path = None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line.startswith(" "):
            in_paths = line.rstrip() == "paths:"
            continue
        if not in_paths:
            continue
        match = re.match(r"^  (/\S*):\s*$", line)
        if match:
            path = match.group(1)
            continue
        match = re.match(r"^    (get|post|put|patch|delete|head|options):", line)
        if match and path:
            routes.append((match.group(1).upper(), path))
    return routes


def public_routes(text):
    """Routes whose operation says `security: []` (no token needed)."""
    public = set()
    in_paths = False
    path = method = None
    for line in text.splitlines():
        if not line.startswith(" "):
            in_paths = line.rstrip() == "paths:"
            continue
        if not in_paths:
            continue
        match = re.match(r"^  (/\S*):\s*$", line)
        if match:
            path, method = match.group(1), None
            continue
        match = re.match(r"^    (\w+):", line)
        if match:
            method = match.group(1).upper()
            continue
        if path and method and re.match(r"^      security:\s*\[\s*\]", line):
            public.add((method, path))
    return public


# ---------------------------------------------------------------------------------------------
# The sweep

FIVE_MIB = b'{"name": "' + b"a" * (5 * 1024 * 1024) + b'"}'
DEEP = b"[" * 100_000 + b"]" * 100_000
NOT_UTF8 = b'{"code": "\xff\xfe\xc3", "name": "\xc0\xaf", "username": "\xff", "password": "\xfe\xff\xfe\xff\xfe\xff\xfe\xff"}'
# Routes that hash or check passwords: a documented 503 `busy` (bcrypt's queue full).
BUSY = {("POST", "/v1/login"), ("POST", "/v1/accounts")}
FOURXX = range(400, 500)


class Sweep:
    def __init__(self, url, token, pid, limit):
        parsed = urllib.parse.urlsplit(url)
        self.host = parsed.hostname
        self.port = parsed.port or 80
        self.admin = token
        self.pid = pid
        self.limit = limit
        self.problems = []
        self.remarks = []
        self.requests = 0
        self.checked = {}  # (METHOD, path) -> set of classes
        self.state = {}
        self.route = None
        self.dead = False

    # -- one request, checked ------------------------------------------------------------------

    def send(self, method, target, token=None, body=None, content_type="application/json", headers=()):
        all_headers = list(headers)
        if token is not None:
            all_headers.append(("Authorization", token if token.startswith(("Bearer ", "Basic ", "bearer")) else "Bearer " + token))
        if body is not None:
            if isinstance(body, str):
                body = body.encode("utf-8")
            elif not isinstance(body, bytes):
                body = json.dumps(body, ensure_ascii=False).encode("utf-8")
            all_headers.append(("Content-Type", content_type))
        elif method == "POST":
            body = b""
        self.requests += 1
        return exchange(self.host, self.port, method, target, all_headers, body, self.limit)

    def problem(self, what):
        self.problems.append(what)

    def judge(self, method, template, klass, label, answer, expect, lenient=False):
        """The checks every answer gets; returns (error code, what is wrong). With `lenient`
        (requests outside the document), a wrong error body is a remark, not a problem."""
        where = f"{method} {template} {klass} {label}"
        bad = []
        if answer.status >= 500:
            documented = answer.status == 503 and (method, template) in BUSY and (answer.json() or {}).get("error") == "busy"
            if not documented:
                bad.append(f"answered {answer.status}")
        if expect is not None:
            allowed = expect if isinstance(expect, (set, range, list, tuple)) else {expect}
            if answer.status not in allowed:
                bad.append(f"expected {describe(expect)}, got {answer.status}")
        if answer.elapsed > self.limit:
            bad.append(f"took {answer.elapsed:.1f} s")
        code = ""
        body_bad = []
        if answer.status >= 400:
            value = answer.json()
            if not isinstance(value, dict):
                body_bad.append(f"error body is not a JSON object: {answer.body[:120]!r}")
            elif not (isinstance(value.get("error"), str) and value["error"] and isinstance(value.get("message"), str) and value["message"]):
                body_bad.append(f"error body names no problem ({{error, message}}): {answer.body[:160]!r}")
            else:
                code = value["error"]
            kind = answer.header("Content-Type") or ""
            if "json" not in kind:
                body_bad.append(f"error Content-Type is {kind!r}")
        if lenient:
            for item in body_bad:
                self.remarks.append(f"{where}: {answer.status}, {item}")
        else:
            bad += body_bad
        for item in bad:
            body = answer.body[:200].decode("utf-8", "replace")
            self.problem(f"{where}: {item} (body: {body})")
        return code, bad

    def case(self, method, template, klass, label, expect, target=None, token=None, body=None, lenient=False, **kw):
        """Sends one request, checks it, prints its line; returns the Answer or None."""
        if not lenient:
            self.checked.setdefault((method, template), set()).add(klass[:3])
        if self.dead:
            return None
        target = target or template
        try:
            answer = self.send(method, target, token=token, body=body, **kw)
        except NoAnswer as error:
            self.problem(f"{method} {template} {klass} {label}: {error}")
            print(f"  !! ---  {method:<4} {template:<26} {klass} {label}: {error}")
            self.check_alive(f"{method} {target} {klass} {label}")
            return None
        code, bad = self.judge(method, template, klass, label, answer, expect, lenient)
        mark = "!!" if bad else ("--" if lenient and answer.status >= 400 and not code else "ok")
        extra = f" {code}" if code else ""
        note = f" ({answer.note})" if answer.note and bad else ""
        print(f"  {mark} {answer.status}  {method:<4} {template:<26} {klass} {label}{extra}{note}  {answer.elapsed * 1000:.0f} ms")
        return answer

    def tokens_case(self, method, template, label, tokens, expect, target=None, body=None, **kw):
        """Class (b): several wrong tokens, one line."""
        self.checked.setdefault((method, template), set()).add("(b)")
        if self.dead:
            return
        statuses = []
        worst = 0.0
        failed = False
        for name, token in tokens:
            try:
                answer = self.send(method, target or template, token=token, body=body, **kw)
            except NoAnswer as error:
                self.problem(f"{method} {template} (b) {name}: {error}")
                statuses.append("---")
                failed = True
                self.check_alive(f"{method} {template} (b) {name}")
                if self.dead:
                    break
                continue
            _, bad = self.judge(method, template, "(b)", name, answer, expect)
            failed = failed or bool(bad)
            statuses.append(str(answer.status))
            worst = max(worst, answer.elapsed)
        mark = "!!" if failed else "ok"
        print(f"  {mark} {'/'.join(sorted(set(statuses)))}  {method:<4} {template:<26} (b) {label} ×{len(tokens)}: {' '.join(statuses)}  ≤{worst * 1000:.0f} ms")

    def check_alive(self, after):
        """After a request without an answer: did the server die? (A crashing process closes
        its sockets a moment before it is gone: look for a second.)"""
        if not self.pid:
            return
        deadline = time.monotonic() + 1.0
        while pid_alive(self.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if not pid_alive(self.pid):
            self.problem(f"the server (PID {self.pid}) died after: {after}")
            print(f"  !! the server (PID {self.pid}) is gone after: {after}")
            self.dead = True

    # -- helpers --------------------------------------------------------------------------------

    def wrong_tokens(self, extra=()):
        return [
            ("garbage", "Bearer wrong"),
            ("unknown hla_", "Bearer hla_" + secrets.token_urlsafe(32)),
            ("unknown hlb_", "Bearer hlb_" + secrets.token_urlsafe(32)),
            ("Basic scheme", "Basic cm9vdDpwYXNzd29yZA=="),
            ("empty Bearer", "Bearer "),
            ("5000-byte token", "Bearer hla_" + "a" * 5000),
        ] + list(extra)

    def auth_classes(self, method, template, target=None, body=None, **kw):
        """(a) and (b) for a route that needs a token: 401, whatever the body."""
        self.case(method, template, "(a)", "no token", 401, target=target, body=body, **kw)
        others = []
        if self.state.get("board_token") and template != "/v1/ingest":
            others.append(("a board's token", self.state["board_token"]))
        if template == "/v1/ingest":
            others.append(("an admin's token", self.admin))
        self.tokens_case(method, template, "wrong tokens", self.wrong_tokens(others), 401, target=target, body=body, **kw)

    def bad_bodies(self, method, template, token, target=None, wrong_types=None, huge_number=None, expect=FOURXX):
        """(c): the bodies every JSON POST route must refuse with a 4xx naming the problem."""
        self.case(method, template, "(c)", "no body", {400, 411, 415, 422}, target=target, token=token)
        self.case(method, template, "(c)", "invalid JSON", 400, target=target, token=token, body=b'{"unit": ')
        self.case(method, template, "(c)", "a JSON array", 400, target=target, token=token, body=b"[1, 2]")
        self.case(method, template, "(c)", "a JSON string", 400, target=target, token=token, body=b'"hello"')
        self.case(method, template, "(c)", "not UTF-8", {400, 422}, target=target, token=token, body=NOT_UTF8)
        self.case(method, template, "(c)", "nested 100000 deep", {400, 413, 422}, target=target, token=token, body=DEEP)
        self.case(method, template, "(c)", "5 MiB body", 413, target=target, token=token, body=FIVE_MIB)
        self.case(method, template, "(c)", "text/plain body", expect, target=target, token=token, body=b"hello", content_type="text/plain")
        if wrong_types is not None:
            self.case(method, template, "(c)", "wrong types", 400, target=target, token=token, body=wrong_types)
        if huge_number is not None:
            for label, raw in huge_number:
                self.case(method, template, "(c)", label, {400, 422}, target=target, token=token, body=raw)

    def bad_query(self, method, template, token, expect=None):
        """(c): nonsense in every query parameter a route might read."""
        query = "?unit=%FF%FE&from=garbage&to=garbage&after=garbage&limit=garbage&by=garbage&format=garbage&x=%zz"
        self.case(method, template, "(c)", "bad query (from=garbage …)", expect, target=template + query, token=token)

    # -- the routes -----------------------------------------------------------------------------

    def run(self):
        self.start_time = process_start(self.pid) if self.pid else None
        document = self.fetch_document()
        routes = parse_paths(document) if document else []
        if document and not routes:
            self.problem("the document lists no paths")
        if routes:
            self.sweep(routes, public_routes(document))
        self.final_checks()

    def sweep(self, routes, public):
        print(f"  the document lists {len(routes)} routes on {len({p for _, p in routes})} paths; public (security: []): "
              + ", ".join(f"{m} {p}" for m, p in routes if (m, p) in public))
        self.setup()
        handlers = {
            ("GET", "/healthz"): self.healthz,
            ("GET", "/metrics"): self.metrics,
            ("GET", "/openapi.yaml"): self.openapi,
            ("POST", "/v1/login"): self.login,
            ("GET", "/v1/me"): self.me,
            ("POST", "/v1/accounts"): self.accounts,
            ("GET", "/v1/units"): self.get_scoped,
            ("POST", "/v1/units"): self.post_unit,
            ("GET", "/v1/counters"): self.get_scoped,
            ("POST", "/v1/counters"): self.post_counter,
            ("GET", "/v1/clerks"): self.get_scoped,
            ("POST", "/v1/clerks"): self.post_clerk,
            ("POST", "/v1/clerks/import"): self.clerks_import,
            ("GET", "/v1/boards"): self.get_scoped,
            ("POST", "/v1/boards"): self.post_board,
            ("POST", "/v1/boards/{id}/revoke"): self.revoke,
            ("GET", "/v1/boards/{id}/events"): self.board_events,
            ("POST", "/v1/boards/enroll"): self.enroll,
            ("POST", "/v1/ingest"): self.ingest,
            ("GET", "/v1/reports/satisfaction"): self.reports,
            ("GET", "/v1/dossiers/{code}"): self.dossier,
            ("GET", "/v1/alerts"): self.get_scoped,
        }
        for method, template in routes:
            if self.dead:
                break
            self.route = (method, template)
            handler = handlers.get((method, template))
            if handler is None:
                self.unknown_route(method, template, (method, template) in public)
            else:
                handler(method, template)
        self.outside_document()
        for method, template in routes:
            classes = self.checked.get((method, template), set())
            missing = [c for c in ("(a)", "(b)", "(c)") if c not in classes]
            if missing:
                self.problem(f"{method} {template}: classes {', '.join(missing)} not sent")
        unlisted = sorted(set(handlers) - set(routes))
        if unlisted:
            print("  note: the sweep knows routes the document does not list: " + ", ".join(f"{m} {p}" for m, p in unlisted))

    def fetch_document(self):
        try:
            answer = self.send("GET", "/openapi.yaml")
        except NoAnswer as error:
            self.problem(f"GET /openapi.yaml: {error}")
            self.check_alive("GET /openapi.yaml")
            return None
        text = answer.body.decode("utf-8", "replace")
        print(f"  {'ok' if answer.status == 200 else '!!'} {answer.status}  GET  /openapi.yaml (no token): {len(answer.body)} bytes, "
              f"{answer.header('Content-Type')}, first line {text.splitlines()[0] if text else ''!r}  {answer.elapsed * 1000:.0f} ms")
        if answer.status != 200 or not answer.body or not text.startswith("openapi:"):
            self.problem(f"GET /openapi.yaml: expected 200 and a document starting with 'openapi:', got {answer.status}, {answer.body[:80]!r}")
            return None
        return text

    def setup(self):
        """What the valid requests of later routes need, made with valid requests (class d)."""
        s = self.state
        admin = self.admin
        s["unit"] = "sweep"
        s["password"] = "sweep-password-" + secrets.token_hex(4)
        print("  setup, with valid requests:")
        a = self.case("GET", "/v1/units", "(d)", "find the root unit", 200, token=admin)
        roots = [u.get("code") for u in ((a.json() or {}).get("units") or []) if not u.get("parent")] if a and a.status == 200 else []
        s["root"] = roots[0] if roots else None
        unit = {"code": s["unit"], "name": "Phường Sweep — Nguyễn Huệ", "timeZone": "Asia/Ho_Chi_Minh"}
        if s["root"]:
            unit["parent"] = s["root"]
        a = self.case("POST", "/v1/accounts", "(d)", "create a technician", 201, token=admin,
                      body={"username": "sweep-tech", "password": s["password"], "role": "technician"})
        a = self.case("POST", "/v1/login", "(d)", "log in as the technician", 201,
                      body={"username": "sweep-tech", "password": s["password"]})
        s["tech_token"] = (a.json() or {}).get("token") if a and a.status == 201 else None
        self.case("POST", "/v1/units", "(d)", f"create unit sweep (under {s['root'] or 'no unit: the root'})", 201, token=admin, body=unit)
        a = self.case("POST", "/v1/counters", "(d)", "create a counter", 201, token=admin,
                      body={"unit": s["unit"], "name": "Quầy Sweep 1"})
        s["counter_id"] = (a.json() or {}).get("id") if a and a.status == 201 else 1
        self.case("POST", "/v1/clerks", "(d)", "add a clerk", 201, token=admin,
                  body={"code": "SW001", "name": "Trần Thị Sweep", "unit": s["unit"]})
        for name in ("board_a", "board_b"):
            a = self.case("POST", "/v1/boards", "(d)", f"create {name.replace('_', ' ')}", 201, token=admin,
                          body={"unit": s["unit"], "counterId": s["counter_id"], "scale": "vn3"})
            reply = (a.json() or {}) if a and a.status == 201 else {}
            s[name] = (reply.get("board") or {}).get("id", "no-board")
            s[name + "_code"] = reply.get("enrollmentCode", "NOCODE")
        a = self.case("POST", "/v1/boards/enroll", "(d)", "enroll board a", 200, body={"code": s["board_a_code"]})
        reply = (a.json() or {}) if a and a.status == 200 else {}
        s["board_token"] = reply.get("token", "hlb_none")
        s["dossier"] = "000.30.25.H17-240702-9001"
        a = self.case("POST", "/v1/ingest", "(d)", "board a's first batch (seq 1–3)", 200, token=s["board_token"],
                      body=self.batch(1, self.events(1)))
        if a and a.status == 200 and (a.json() or {}).get("acknowledgedSeq") != 3:
            self.problem(f"POST /v1/ingest (d): acknowledgedSeq {a.json()} after seq 1–3")

    # -- ingest bodies ---

    def events(self, first, dossier=None, level=3):
        at = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
        dossier = dossier or self.state["dossier"]
        clerk = "Trần Thị Sweep"
        return [
            {"seq": first, "kind": "clerkSignin", "at": at, "clerk": clerk, "clockSynced": True},
            {"seq": first + 1, "kind": "rating", "at": at, "level": level, "binding": "dossier", "dossier": dossier, "clerk": clerk,
             "clockSynced": True},
            {"seq": first + 2, "kind": "session", "at": at, "dossier": dossier, "clerk": clerk, "outcome": "rated", "clockSynced": True},
        ]

    def batch(self, first, events, board=None, to=None):
        day = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
        return {
            "boardId": board or self.state["board_a"], "fromSeq": first,
            "toSeq": to if to is not None else first + len(events) - 1, "events": events,
            "aggregates": [], "status": {"version": "sweep", "backlog": 0, "faults": [], "clockSynced": True, "uptimeS": 10},
        }

    # -- public routes ---

    def healthz(self, method, template):
        a = self.case(method, template, "(a)", "no token", 200)
        if a and a.status == 200 and (a.json() or {}).get("status") != "ok":
            self.problem(f"GET /healthz: body {a.body[:80]!r}, expected {{\"status\": \"ok\"}}")
        self.tokens_case(method, template, "wrong tokens (ignored)", self.wrong_tokens(), 200)
        self.bad_query(method, template, None, 200)

    def metrics(self, method, template):
        a = self.case(method, template, "(a)", "no token", 200)
        if a and a.status == 200 and b"# TYPE" not in a.body:
            self.problem("GET /metrics: not a Prometheus exposition (no # TYPE line)")
        self.tokens_case(method, template, "wrong tokens (ignored)", self.wrong_tokens(), 200)
        self.bad_query(method, template, None, 200)

    def openapi(self, method, template):
        self.case(method, template, "(a)", "no token", 200)
        self.tokens_case(method, template, "wrong tokens (ignored)", self.wrong_tokens(), 200)
        self.bad_query(method, template, None, 200)

    def login(self, method, template):
        self.case(method, template, "(a)", "no token, no body", 400)
        self.tokens_case(method, template, "wrong tokens (ignored), no body", self.wrong_tokens(), 400)
        self.bad_bodies(method, template, None, wrong_types={"username": 7, "password": ["x"]},
                        huge_number=[("password 1e999", b'{"username": "sweep-tech", "password": 1e999}')])
        self.case(method, template, "(c)", "missing password", 400, body={"username": "sweep-tech"})
        self.case(method, template, "(c)", "wrong password", 401, body={"username": "sweep-tech", "password": "not-the-password"})
        self.case(method, template, "(c)", "100 KB password", 401, body={"username": "sweep-tech", "password": "p" * 100_000})
        self.case(method, template, "(c)", "unknown username", 401, body={"username": "nobody-" + secrets.token_hex(4), "password": "whatever-123"})
        # Throttling: a username may fail 5 times in 15 min; the 6th try is 429 with Retry-After.
        user = "throttled-" + secrets.token_hex(4)
        statuses = []
        throttled = None
        for attempt in range(8):
            try:
                a = self.send(method, template, body={"username": user, "password": "guess-%d-xxxx" % attempt})
            except NoAnswer as error:
                self.problem(f"POST /v1/login (c) throttle attempt {attempt + 1}: {error}")
                self.check_alive("POST /v1/login throttle")
                break
            self.judge(method, template, "(c)", f"failed login {attempt + 1}", a, {401, 429})
            statuses.append(str(a.status))
            if a.status == 429:
                throttled = a
                break
        ok = throttled is not None and throttled.header("Retry-After") and len(statuses) == 6
        if not ok:
            self.problem(f"POST /v1/login (c): expected 401 ×5 then 429 with Retry-After, got {' '.join(statuses)}")
        print(f"  {'ok' if ok else '!!'} {statuses[-1] if statuses else '---'}  {method:<4} {template:<26} (c) failed logins for one username: "
              f"{' '.join(statuses)} (Retry-After {throttled.header('Retry-After') if throttled else '–'})")
        self.checked[(method, template)].add("(d)")  # the valid login was sent in the setup

    def enroll(self, method, template):
        s = self.state
        self.case(method, template, "(a)", "no token, no body", 400)
        self.tokens_case(method, template, "wrong tokens (ignored), no body", self.wrong_tokens(), 400)
        self.bad_bodies(method, template, None, wrong_types={"code": 12345},
                        huge_number=[("code 1e999", b'{"code": 1e999}')])
        self.case(method, template, "(c)", "a wrong code", 401, body={"code": "WRONG-CODE-0000"})
        self.case(method, template, "(c)", "an empty code", {400, 401, 422}, body={"code": ""})
        self.case(method, template, "(c)", "a 10 KB code", {400, 401, 413}, body={"code": "A" * 10_000})
        self.case(method, template, "(c)", "board a's code again (used)", 401, body={"code": s["board_a_code"]})
        self.case(method, template, "(c)", "revoked board b's code", 401, body={"code": s["board_b_code"]})
        if s.get("board_c_code"):
            self.case(method, template, "(d)", "a fresh board's code in lower case, spaced", 200, body={"code": "  " + s["board_c_code"].lower() + "  "})
        self.checked[(method, template)].add("(d)")

    # -- accounts ---

    def me(self, method, template):
        self.auth_classes(method, template)
        self.bad_query(method, template, self.admin, 200)
        a = self.case(method, template, "(d)", "the admin", 200, token=self.admin)
        if a and a.status == 200 and (a.json() or {}).get("role") != "admin":
            self.problem(f"GET /v1/me (d): expected role admin, got {a.body[:120]!r}")
        if self.state.get("tech_token"):
            self.case(method, template, "(d)", "the technician (from login)", 200, token=self.state["tech_token"])

    def accounts(self, method, template):
        admin = self.admin
        body = {"username": "someone", "password": "long-enough-password", "role": "technician"}
        self.auth_classes(method, template, body=body)
        self.bad_bodies(method, template, admin, wrong_types={"username": ["x"], "password": 5, "role": True},
                        huge_number=[("password 1e999", b'{"username": "x", "password": 1e999, "role": "admin"}')])
        if self.state.get("tech_token"):
            self.case(method, template, "(c)", "a technician (wrong role)", 403, token=self.state["tech_token"], body=body)
        self.case(method, template, "(c)", "role emperor", 400, token=admin, body={**body, "role": "emperor"})
        self.case(method, template, "(c)", "a 5-byte password", 400, token=admin, body={**body, "password": "short"})
        self.case(method, template, "(c)", "a 100-byte password", 400, token=admin, body={**body, "password": "p" * 100})
        self.case(method, template, "(c)", "a manager without a unit", 400, token=admin, body={**body, "role": "manager"})
        self.case(method, template, "(c)", "a manager of an unknown unit", {400, 404, 422}, token=admin,
                  body={**body, "username": "mgr-" + secrets.token_hex(3), "role": "manager", "unit": "no-such-unit"})
        self.case(method, template, "(c)", "an empty username", {400, 422}, token=admin, body={**body, "username": ""})
        self.case(method, template, "(c)", "a 10 KB username", {400, 413, 422}, token=admin, body={**body, "username": "u" * 10_000})
        self.case(method, template, "(c)", "a username with a newline", {400, 422}, token=admin, body={**body, "username": "a\nb"})
        self.case(method, template, "(c)", "sweep-tech again (exists)", 409, token=admin,
                  body={**body, "username": "sweep-tech"})
        self.case(method, template, "(d)", "a manager of unit sweep", 201, token=admin,
                  body={"username": "sweep-manager", "password": "manager-password-1", "role": "manager", "unit": self.state["unit"]})

    # -- organisation ---

    def get_scoped(self, method, template):
        """GET /v1/units, /v1/counters, /v1/clerks, /v1/boards, /v1/alerts (?unit=)."""
        self.auth_classes(method, template)
        self.bad_query(method, template, self.admin, {400, 404})
        self.case(method, template, "(c)", "unit=no-such-unit", 404, target=template + "?unit=no-such-unit", token=self.admin)
        self.case(method, template, "(c)", "unit of 10 KB", {400, 404, 414, 431}, target=template + "?unit=" + "u" * 10_000, token=self.admin)
        self.case(method, template, "(c)", "unit twice", {200, 400, 404}, target=template + "?unit=sweep&unit=other", token=self.admin)
        if template == "/v1/clerks" and self.state.get("tech_token"):
            self.case(method, template, "(c)", "a technician (wrong role)", 403, token=self.state["tech_token"])
        a = self.case(method, template, "(d)", "all", 200, token=self.admin)
        if a and a.status == 200 and not isinstance(a.json(), dict):
            self.problem(f"{method} {template} (d): not a JSON object: {a.body[:80]!r}")
        self.case(method, template, "(d)", "unit=sweep", 200, target=template + "?unit=sweep", token=self.admin)
        if self.state.get("tech_token") and template != "/v1/clerks":
            self.case(method, template, "(d)", "the technician", 200, token=self.state["tech_token"])

    def post_unit(self, method, template):
        admin = self.admin
        self.auth_classes(method, template, body={"code": "x", "name": "y"})
        self.bad_bodies(method, template, admin, wrong_types={"code": 1, "name": {"a": 1}})
        self.case(method, template, "(c)", "missing name", 400, token=admin, body={"code": "u1"})
        self.case(method, template, "(c)", "code with spaces and !", 422, token=admin, body={"code": "bad code!", "name": "x"})
        self.case(method, template, "(c)", "time zone Mars/Olympus", 422, token=admin, body={"code": "mars", "name": "x", "timeZone": "Mars/Olympus"})
        self.case(method, template, "(c)", "unknown parent", {404, 422}, token=admin, body={"code": "orphan", "name": "x", "parent": "no-such-unit"})
        self.case(method, template, "(c)", "a 100 KB name", {413, 422}, token=admin, body={"code": "longname", "name": "n" * 100_000})
        self.case(method, template, "(c)", "unit sweep again (exists)", 409, token=admin,
                  body={"code": "sweep", "name": "again", **({"parent": self.state["root"]} if self.state["root"] else {})})
        self.case(method, template, "(c)", "a second root unit", 422, token=admin, body={"code": "another-root", "name": "x"})
        if self.state.get("tech_token"):
            self.case(method, template, "(c)", "a technician (wrong role)", 403, token=self.state["tech_token"], body={"code": "t", "name": "t"})
        self.case(method, template, "(d)", "unit sweep-child under sweep", 201, token=admin,
                  body={"code": "sweep-child", "name": "Tổ Sweep", "parent": "sweep"})

    def post_counter(self, method, template):
        admin = self.admin
        self.auth_classes(method, template, body={"unit": "sweep", "name": "y"})
        self.bad_bodies(method, template, admin, wrong_types={"unit": 1, "name": 2})
        self.case(method, template, "(c)", "unknown unit", {404, 422}, token=admin, body={"unit": "no-such-unit", "name": "x"})
        self.case(method, template, "(c)", "an empty name", 422, token=admin, body={"unit": "sweep", "name": ""})
        self.case(method, template, "(c)", "a 100 KB name", {413, 422}, token=admin, body={"unit": "sweep", "name": "n" * 100_000})
        self.case(method, template, "(d)", "a second counter", 201, token=admin, body={"unit": "sweep", "name": "Quầy Sweep 2"})

    def post_clerk(self, method, template):
        admin = self.admin
        body = {"code": "SW002", "name": "Lê Văn Sweep", "unit": "sweep"}
        self.auth_classes(method, template, body=body)
        self.bad_bodies(method, template, admin, wrong_types={"code": 1, "name": True, "unit": None})
        self.case(method, template, "(c)", "unknown unit", {403, 404, 422}, token=admin, body={**body, "unit": "no-such-unit"})
        self.case(method, template, "(c)", "a code with a newline", 422, token=admin, body={**body, "code": "A\nB"})
        self.case(method, template, "(c)", "a 10 KB name", {413, 422}, token=admin, body={**body, "name": "n" * 10_000})
        if self.state.get("tech_token"):
            self.case(method, template, "(c)", "a technician (wrong role)", 403, token=self.state["tech_token"], body=body)
        self.case(method, template, "(d)", "clerk SW002", 201, token=admin, body=body)

    def clerks_import(self, method, template):
        admin = self.admin
        csv = "code,name,unit\nSW010,Phạm Thị Sweep,sweep\n"
        self.auth_classes(method, template, body=csv, content_type="text/csv")
        self.case(method, template, "(c)", "no body", 422, token=admin)
        self.case(method, template, "(c)", "a header only", {200, 422}, token=admin, body="code,name,unit\n", content_type="text/csv")
        self.case(method, template, "(c)", "no code column", 422, token=admin, body="name,unit\nx,sweep\n", content_type="text/csv")
        self.case(method, template, "(c)", "no unit column, no ?unit=", 422, token=admin, body="code,name\nSW011,x\n", content_type="text/csv")
        self.case(method, template, "(c)", "unknown unit", 422, token=admin, body="code,name,unit\nSW012,x,no-such-unit\n", content_type="text/csv")
        self.case(method, template, "(c)", "a row with 2 fields of 3", 422, token=admin, body="code,name,unit\nSW013,x\n", content_type="text/csv")
        self.case(method, template, "(c)", "an unclosed quote", 422, token=admin, body='code,name,unit\n"SW014,x,sweep\n', content_type="text/csv")
        self.case(method, template, "(c)", "a code twice", 422, token=admin, body="code,name,unit\nSW015,a,sweep\nSW015,b,sweep\n", content_type="text/csv")
        a = self.case(method, template, "(c)", "not UTF-8", 422, token=admin, body=b"code,name,unit\n\xff\xfe,\xc0\xaf,sweep\n", content_type="text/csv")
        if a and a.status == 200:
            # What was stored instead of an error: show it.
            try:
                listed = self.send("GET", "/v1/clerks?unit=sweep", token=admin).json() or {}
                garbled = [c for c in listed.get("clerks", []) if "\ufffd" in c.get("code", "") + c.get("name", "")]
                print(f"       stored from those bytes: {json.dumps(garbled, ensure_ascii=True)}")
            except NoAnswer:
                pass
        self.case(method, template, "(c)", "JSON instead of CSV", 422, token=admin, body=b'{"code": "x"}')
        self.case(method, template, "(c)", "5 MiB body", 413, token=admin, body=b"code,name,unit\n" + b"SW1,a,sweep\n" * 450_000, content_type="text/csv")
        self.case(method, template, "(c)", "unit=%FF query", 422, target=template + "?unit=%FF", token=admin, body="code,name\nSW016,x\n", content_type="text/csv")
        if self.state.get("tech_token"):
            self.case(method, template, "(c)", "a technician (wrong role)", 403, token=self.state["tech_token"], body=csv, content_type="text/csv")
        a = self.case(method, template, "(d)", "one clerk with a BOM", 200, token=admin, body="\ufeff" + csv, content_type="text/csv")
        if a and a.status == 200 and (a.json() or {}).get("imported") != 1:
            self.problem(f"POST /v1/clerks/import (d): expected imported 1, got {a.body[:80]!r}")
        self.case(method, template, "(d)", "?unit=sweep, no unit column", 200, target=template + "?unit=sweep", token=admin,
                  body="code,name\nSW017,Võ Sweep\n", content_type="text/csv")

    # -- boards ---

    def post_board(self, method, template):
        admin = self.admin
        s = self.state
        body = {"unit": "sweep", "counterId": s["counter_id"], "scale": "vn3"}
        self.auth_classes(method, template, body=body)
        self.bad_bodies(method, template, admin, wrong_types={"unit": "sweep", "counterId": "one"},
                        huge_number=[
                            ("counterId 1e400", b'{"unit": "sweep", "counterId": 1e400}'),
                            ("counterId 99999999999999999999", b'{"unit": "sweep", "counterId": 99999999999999999999}'),
                            ("counterId 1.5", b'{"unit": "sweep", "counterId": 1.5}'),
                        ])
        self.case(method, template, "(c)", "counterId -1", {404, 422}, token=admin, body={**body, "counterId": -1})
        self.case(method, template, "(c)", "counterId 9223372036854775807", {404, 422}, token=admin, body={**body, "counterId": 9223372036854775807})
        self.case(method, template, "(c)", "scale vn9", 400, token=admin, body={**body, "scale": "vn9"})
        self.case(method, template, "(c)", "unknown unit", {404, 422}, token=admin, body={**body, "unit": "no-such-unit"})
        self.case(method, template, "(c)", "a counter of another unit", {404, 409, 422}, token=admin, body={**body, "unit": "sweep-child"})
        if s.get("board_token"):
            self.case(method, template, "(c)", "a board's token", 401, token=s["board_token"], body=body)
        if s.get("tech_token"):
            a = self.case(method, template, "(d)", "by the technician, scale happy4", 201, token=s["tech_token"], body={**body, "scale": "happy4"})
            s["board_c_code"] = (a.json() or {}).get("enrollmentCode") if a and a.status == 201 else None

    def revoke(self, method, template):
        s = self.state
        real = "/v1/boards/" + urllib.parse.quote(s["board_b"], safe="") + "/revoke"
        self.auth_classes(method, template, target=real)
        for label, value in [("bogus id", "no-such-board"), ("1000-char id", "b" * 1000), ("id %00", "%00"),
                             ("id ..%2F..%2Fetc", "..%2F..%2Fetc"), ("id ‘Quầy 1’", urllib.parse.quote("Quầy 1"))]:
            self.case(method, template, "(c)", label, {400, 404}, target=f"/v1/boards/{value}/revoke", token=self.admin)
        self.case(method, template, "(c)", "bogus id, a body that is not JSON", {400, 404}, target="/v1/boards/x/revoke", token=self.admin,
                  body=b"{not json")
        self.case(method, template, "(d)", "board b", 200, target=real, token=self.admin)
        self.case(method, template, "(d)", "board b again", {200, 409}, target=real, token=self.admin)

    def board_events(self, method, template):
        s = self.state
        real = "/v1/boards/" + urllib.parse.quote(s["board_a"], safe="") + "/events"
        admin = self.admin
        self.auth_classes(method, template, target=real)
        self.case(method, template, "(c)", "bogus id", 404, target="/v1/boards/no-such-board/events", token=admin)
        self.case(method, template, "(c)", "1000-char id", 404, target="/v1/boards/" + "b" * 1000 + "/events", token=admin)
        for label, query, expect in [
            ("after=-1", "after=-1", 400), ("after=garbage", "after=garbage", 400),
            ("after=99999999999999999999", "after=99999999999999999999", 400), ("limit=0", "limit=0", 400),
            ("limit=10001", "limit=10001", 400), ("limit=1e3", "limit=1e3", 400), ("after=%00", "after=%00", 400),
        ]:
            self.case(method, template, "(c)", label, expect, target=real + "?" + query, token=admin)
        a = self.case(method, template, "(d)", "board a, after=0", 200, target=real + "?after=0", token=admin)
        if a and a.status == 200 and len((a.json() or {}).get("events", [])) < 3:
            self.problem(f"GET /v1/boards/{{id}}/events (d): expected board a's 3 events, got {a.body[:120]!r}")
        self.case(method, template, "(d)", "after=9223372036854775807, limit=10000", 200,
                  target=real + "?after=9223372036854775807&limit=10000", token=admin)
        if s.get("tech_token"):
            self.case(method, template, "(d)", "the technician", 200, target=real, token=s["tech_token"])

    def ingest(self, method, template):
        s = self.state
        token = s["board_token"]
        valid = self.batch(4, self.events(4, dossier="000.30.25.H17-240702-9002", level=1))
        self.auth_classes(method, template, body=valid)
        self.bad_bodies(method, template, token, wrong_types={**valid, "fromSeq": "four", "events": {}},
                        huge_number=[
                            ("fromSeq 99999999999999999999", json.dumps(valid).replace('"fromSeq": 4', '"fromSeq": 99999999999999999999').encode()),
                            ("seq 1e30", json.dumps(valid).replace('"seq": 4', '"seq": 1e30').encode()),
                            ("seq 4.5", json.dumps(valid).replace('"seq": 4', '"seq": 4.5').encode()),
                            ("uptimeS -1e400", json.dumps(valid).replace('"uptimeS": 10', '"uptimeS": -1e400').encode()),
                        ])
        self.case(method, template, "(c)", "missing status", 400, token=token, body={k: v for k, v in valid.items() if k != "status"})
        self.case(method, template, "(c)", "another board's id", 403, token=token, body={**valid, "boardId": s["board_b"]})
        self.case(method, template, "(c)", "fromSeq 0", 422, token=token, body=self.batch(0, self.events(0)))
        self.case(method, template, "(c)", "toSeq not matching the events", 422, token=token, body=self.batch(4, self.events(4), to=9))
        bad_level = self.events(4)
        bad_level[1]["level"] = 9
        a = self.case(method, template, "(c)", "level 9 on a vn3 board", 422, token=token, body=self.batch(4, bad_level))
        if a and a.status == 422 and (a.json() or {}).get("seq") != 5:
            self.problem(f"POST /v1/ingest (c) level 9: the answer should name seq 5: {a.body[:160]!r}")
        bad_at = self.events(4)
        bad_at[0]["at"] = "yesterday"
        self.case(method, template, "(c)", "at 'yesterday'", 422, token=token, body=self.batch(4, bad_at))
        bad_kind = self.events(4)
        bad_kind[2]["kind"] = "explosion"
        self.case(method, template, "(c)", "kind 'explosion'", {400, 422}, token=token, body=self.batch(4, bad_kind))
        bad_dossier = self.events(4, dossier="x" * 500)
        self.case(method, template, "(c)", "a 500-char dossier", 422, token=token, body=self.batch(4, bad_dossier))
        many = []
        for n in range(167):
            many += self.events(4 + 3 * n, dossier="000.30.25.H17-240702-%04d" % n)
        self.case(method, template, "(c)", f"{len(many)} events (over 500)", 422, token=token, body=self.batch(4, many))
        negative = {**valid, "status": {**valid["status"], "backlog": -5}}
        self.case(method, template, "(c)", "backlog -5", 422, token=token, body=negative)
        aggregates = {**valid, "aggregates": [{"day": "2026-13-45", "level": 3, "count": 1}]}
        self.case(method, template, "(c)", "aggregate day 2026-13-45", 422, token=token, body=aggregates)
        aggregates = {**valid, "aggregates": [{"day": "2026-01-01", "level": 3, "count": 10 ** 12}]}
        self.case(method, template, "(c)", "aggregate count 10^12", 422, token=token, body=aggregates)
        a = self.case(method, template, "(c)", "a gap (fromSeq 40)", 409, token=token, body=self.batch(40, self.events(40)))
        if a and a.status == 409 and (a.json() or {}).get("expectedSeq") != 4:
            self.problem(f"POST /v1/ingest (c) gap: expectedSeq should be 4: {a.body[:160]!r}")
        a = self.case(method, template, "(d)", "seq 4–6", 200, token=token, body=valid)
        self.case(method, template, "(d)", "seq 4–6 again (replay)", 200, token=token, body=valid)
        self.case(method, template, "(d)", "a heartbeat", 200, token=token, body=self.batch(7, [], to=6))
        if a and a.status == 200 and (a.json() or {}).get("acknowledgedSeq") != 6:
            self.problem(f"POST /v1/ingest (d): acknowledgedSeq should be 6: {a.body[:120]!r}")

    # -- reports ---

    def reports(self, method, template):
        admin = self.admin
        base = template + "?unit=sweep"
        self.auth_classes(method, template, target=base)
        for label, query, expect in [
            ("from=garbage", "&from=garbage", 400),
            ("to=2026-02-30", "&to=2026-02-30", 400),
            ("to=2026-13-01", "&to=2026-13-01", 400),
            ("from after to", "&from=2026-12-01&to=2026-01-01", 400),
            ("twenty years", "&from=2000-01-01&to=2020-01-01", 400),
            ("from=99999999999999999999-01-01", "&from=99999999999999999999-01-01&to=2026-01-01", 400),
            ("to=-9999999-01-01", "&from=2026-01-01&to=-9999999-01-01", 400),
            ("from=%00", "&from=%00", 400),
            ("by=nothing", "&by=nothing", 400),
            ("format=xml", "&format=xml", 400),
        ]:
            self.case(method, template, "(c)", label, expect, target=base + query, token=admin)
        self.case(method, template, "(c)", "unit=no-such-unit", 404, target=template + "?unit=no-such-unit", token=admin)
        if self.state.get("tech_token"):
            self.case(method, template, "(c)", "a technician (wrong role)", 403, target=base, token=self.state["tech_token"])
        for label, query in [("year 0001", "&from=0001-01-01&to=0001-12-31"), ("1969-12-31…1970-01-01", "&from=1969-12-31&to=1970-01-01"),
                             ("year 9999", "&from=9999-01-01&to=9999-12-31"), ("one day, by=hour", "&from=2026-01-01&to=2026-01-01&by=hour")]:
            self.case(method, template, "(c)", f"edge range {label}", {200, 400}, target=base + query, token=admin)
        for by in ("unit", "counter", "clerk", "hour", "day", "week", "month"):
            a = self.case(method, template, "(d)", f"by={by}", 200, target=f"{base}&by={by}", token=admin)
            if a and a.status == 200 and not isinstance((a.json() or {}).get("rows"), list):
                self.problem(f"GET {template} (d) by={by}: no rows array: {a.body[:120]!r}")
        a = self.case(method, template, "(d)", "by=clerk, format=csv", 200, target=base + "&by=clerk&format=csv", token=admin)
        if a and a.status == 200 and not a.body.startswith(b"\xef\xbb\xbf"):
            self.problem(f"GET {template} (d) format=csv: no UTF-8 BOM: {a.body[:40]!r}")
        a = self.case(method, template, "(d)", "no query (the admin's whole tree)", {200, 404}, token=admin)

    def dossier(self, method, template):
        s = self.state
        real = "/v1/dossiers/" + urllib.parse.quote(s["dossier"], safe="")
        admin = self.admin
        self.auth_classes(method, template, target=real)
        for label, value, expect in [
            ("not a code", urllib.parse.quote("not a code!"), 400),
            ("a 5000-char code", "9" * 5000, 400),
            ("%00", "%00", 400),
            ("%FF%FE", "%FF%FE", {400, 404}),
            ("..%2F..%2Fetc%2Fpasswd", "..%2F..%2Fetc%2Fpasswd", {400, 404}),
            ("a valid code nobody rated", "000.30.25.H17-240702-7777", 404),
        ]:
            self.case(method, template, "(c)", label, expect, target="/v1/dossiers/" + value, token=admin)
        if s.get("tech_token"):
            self.case(method, template, "(c)", "a technician (wrong role)", 403, target=real, token=s["tech_token"])
        a = self.case(method, template, "(d)", "the dossier board a rated", 200, target=real, token=admin)
        if a and a.status == 200 and ((a.json() or {}).get("outcome"), (a.json() or {}).get("level")) != ("rated", 3):
            self.problem(f"GET /v1/dossiers/{{code}} (d): expected rated, level 3: {a.body[:160]!r}")

    def unknown_route(self, method, template, public):
        """A route the sweep does not know: (a), (b), (c) with generic input; no valid request."""
        target = template.replace("{id}", "no-such-id").replace("{code}", "000.30.25.H17-240702-0000")
        target = re.sub(r"\{[^}]*\}", "x", target)
        print(f"  note: the sweep has no valid request for {method} {template}: generic classes only")
        if public:
            self.case(method, template, "(a)", "no token", None, target=target)
            self.tokens_case(method, template, "wrong tokens", self.wrong_tokens(), None, target=target)
        else:
            self.auth_classes(method, template, target=target)
        if method == "POST":
            self.bad_bodies(method, template, self.admin, target=target)
        else:
            self.bad_query(method, template, self.admin)

    def outside_document(self):
        """Not in the document: 404/405, never 5xx, in time; an error body that is not the
        document's JSON is only a remark (`--` on its line)."""
        print("  outside the document:")
        self.case("GET", "/v1/no-such-route", "(c)", "unknown path", {404}, token=self.admin, lenient=True)
        self.case("DELETE", "/v1/units", "(c)", "a method the document does not list", {404, 405}, token=self.admin, lenient=True)

    def final_checks(self):
        try:
            a = self.send("GET", "/healthz")
            healthy = a.status == 200 and (a.json() or {}).get("status") == "ok"
        except NoAnswer as error:
            healthy = False
            a = None
            self.problem(f"GET /healthz at the end: {error}")
        if not healthy and a is not None:
            self.problem(f"GET /healthz at the end: {a.status} {a.body[:80]!r}")
        if self.pid:
            same = pid_alive(self.pid) and process_start(self.pid) == self.start_time
            if not same:
                self.problem(f"the server is not the same process at the end (PID {self.pid}: "
                             f"{'alive, another start time' if pid_alive(self.pid) else 'gone'})")
            print(f"  {'ok' if same and healthy else '!!'} at the end: PID {self.pid} "
                  f"{'the same process (same start time)' if same else 'NOT the same process'}, /healthz {'ok' if healthy else 'FAILING'}")


def describe(expect):
    if isinstance(expect, range):
        return f"{expect.start}–{expect.stop - 1}"
    if isinstance(expect, (set, list, tuple)):
        return " or ".join(str(x) for x in sorted(expect))
    return str(expect)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def process_start(pid):
    """The process's start time in clock ticks since boot (field 22 of /proc/PID/stat)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the server, e.g. http://127.0.0.1:8730")
    parser.add_argument("--token", required=True, help="an admin's API token (hla_…)")
    parser.add_argument("--pid", type=int, help="the server's PID: it must be the same process at the end")
    parser.add_argument("--limit", type=float, default=5.0, help="seconds an answer may take (default 5)")
    args = parser.parse_args()
    sweep = Sweep(args.url, args.token, args.pid, args.limit)
    started = time.monotonic()
    sweep.run()
    routes = len(sweep.checked)
    print(f"route sweep: {sweep.requests} requests over {routes} routes in {time.monotonic() - started:.1f} s, "
          f"{len(sweep.problems)} problem(s), {len(sweep.remarks)} remark(s)")
    for item in sweep.problems:
        print(f"  problem: {item}")
    for item in sweep.remarks:
        print(f"  remark (outside the document, not a failure): {item}")
    sys.exit(1 if sweep.problems else 0)


if __name__ == "__main__":
    main()
