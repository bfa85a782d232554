#!/usr/bin/env python3
"""Every route of a running hailong-server's managers' dashboard, asked every way a browser may.

    dashboard-sweep.py --url http://127.0.0.1:PORT --token hla_ADMIN [--pid PID] [--limit 5]

The dashboard's routes are HTML and not in GET /openapi.yaml, so route-sweep.py does not reach
them; this sweep lists them itself (DESIGN §11, WebController.register). Through the API it
makes its own unit tree (a city, two wards), accounts with known passwords (an admin, a ward
manager, a technician), a clerk named `<script>alert(1)</script> Nguyễn Văn "A"`, a board per
ward enrolled and a few ratings ingested, and a countMismatch alert per ward (aggregates that
disagree with the events). It signs in through the form (GET /login: an `hl_login` cookie and
a hidden `csrf` field; POST /login: 303 and `hl_session`; the pages carry the session's CSRF
token in their forms) and for every route sends
  (a) no cookie: a GET goes to /login?next=…, a POST is 403 (POST /logout, with no session to
      end, may go to /login instead); the form and the static files are served;
  (b) forged session cookies (garbage, unknown, tampered, an API token, oversized, not UTF-8):
      the same as (a);
  (c) the admin, the ward manager and the technician: the ward manager is refused another
      ward's pages (403) and sees none of its names, the technician only /boards and its CSV;
  (d) bad input: bogus unit codes (percent-encoded junk, 5 KB, %FF), bad period/from/to,
      `by=` junk, `lang=` junk, POST bodies of 5 MiB, not UTF-8, not form-encoded, JSON, nested
      20000 deep, missing or wrong CSRF tokens (403, and the alert stays unacknowledged, as
      GET /v1/alerts says), `next=` pointing off the server;
and a few requests outside the routes (404/405; a body that is not the dashboard's page is a
remark there, not a failure). On a server with no unit yet (the sweep run first after an
install) the admin's /boards, /alerts and their CSVs are asked before the set-up.
Every answer: not 5xx, within --limit seconds; a redirect stays on the server (Location starts
with `/`, not `//`); an error is an HTML page with `<html lang=` (no stack trace); HTML carries
Content-Security-Policy and X-Content-Type-Options: nosniff; `hl_session` and `hl_login`
cookies are HttpOnly and SameSite=Strict; `<script>alert(1)` is in no HTML body. At the end
the server is the same process (PID alive, same start time) and /healthz answers ok. One line
per request class; exit 1 when anything was wrong. Python 3 standard library only; the HTTP
exchange and the process checks are route-sweep.py's, imported from beside this file.
"""

import argparse
import datetime
import html
import importlib.util
import json
import os
import re
import secrets
import sys
import time
import urllib.parse


def _route_sweep():
    """route-sweep.py (its name has a dash: loaded from its path, its main() not run)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "route-sweep.py")
    spec = importlib.util.spec_from_file_location("route_sweep", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_rs = _route_sweep()
exchange, NoAnswer, describe = _rs.exchange, _rs.NoAnswer, _rs.describe
pid_alive, process_start = _rs.pid_alive, _rs.process_start

HOSTILE = '<script>alert(1)</script> Nguyễn Văn "A"'
RAW_SCRIPT = b"<script>alert(1)"
# What an error page must never show: the insides of the server.
LEAKS = [b"Fatal error", b"DecodingError", b"StoreError", b"SQLite error", b"/Sources/", b"Swift/", b"Backtrace", b"    at "]
FIVE_MIB = b"csrf=x&comment=" + b"a" * (5 * 1024 * 1024)
NOT_UTF8 = b"csrf=\xff\xfe&comment=\xc0\xaf&username=\xff&password=\xfe\xff"
NESTED = b"csrf" + b"[a]" * 20000 + b"=1"
FORM = "application/x-www-form-urlencoded"

# The dashboard's routes (WebController.register), in the order they are swept.
ROUTES = [
    ("GET", "/login"), ("POST", "/login"), ("GET", "/"),
    ("GET", "/units/{code}"), ("GET", "/units/{code}/live"), ("GET", "/units/{code}/clerks"),
    ("GET", "/units/{code}/counters"), ("GET", "/units/{code}/heatmap"), ("GET", "/units/{code}/report.csv"),
    ("GET", "/units/{code}/children.csv"),
    ("GET", "/boards"), ("GET", "/boards.csv"), ("GET", "/alerts"), ("GET", "/alerts.csv"), ("POST", "/alerts/{id}/ack"),
    ("GET", "/dossiers"), ("GET", "/dossiers.csv"),
    ("GET", "/static/app.css"), ("GET", "/static/live.js"), ("GET", "/static/icon.svg"), ("GET", "/favicon.ico"),
    ("POST", "/logout"),
]


def q(value):
    return urllib.parse.quote(value, safe="")


# Query strings of a period that no page may take (400), and odd ones a page may take.
BAD_RANGES = [
    ("period=forever", "period=forever"), ("period=<script>", "period=" + q("<script>alert(1)</script>")),
    ("period=%FF", "period=%FF"), ("from=garbage", "from=garbage"), ("to=2026-02-30", "to=2026-02-30"),
    ("to=2026-13-01", "to=2026-13-01"), ("from after to", "from=2026-12-01&to=2026-01-01"),
    ("eleven years", "from=2000-01-01&to=2010-12-31"), ("from=99999999999999999999-01-01", "from=99999999999999999999-01-01"),
    ("to=-9999999-01-01", "to=-9999999-01-01"), ("from=%00", "from=%00"), ("from=%FF%FE", "from=%FF%FE"),
    ("from=2026-1-1", "from=2026-1-1"), ("from of 5 KB", "from=" + "9" * 5000),
]
EDGE_RANGES = [
    ("period=today", "period=today"), ("period=year", "period=year"), ("period=quarter", "period=quarter"),
    ("period=", "period="), ("year 0001", "from=0001-01-01&to=0001-12-31"), ("1969-12-31…1970-01-01", "from=1969-12-31&to=1970-01-01"),
    ("year 9999", "from=9999-01-01&to=9999-12-31"), ("ten years", "from=2016-01-01&to=2025-12-31"),
    ("to only", "to=2026-01-31"), ("from only", "from=2026-01-01"), ("period and from/to", "period=7d&from=2026-01-01&to=2026-01-02"),
    ("period twice", "period=7d&period=year"),
]
ASSETS = {"/static/app.css": "text/css", "/static/live.js": "javascript", "/static/icon.svg": "image/svg+xml"}


class Visitor:
    """An account signed in through the form: its session cookie, the session's CSRF token, and
    the strings it must never be shown (another ward's names)."""

    def __init__(self, name, username, password, role):
        self.name, self.username, self.password, self.role = name, username, password, role
        self.session = None
        self.csrf = None
        self.forbidden = []

    def cookie(self):
        return f"hl_session={self.session}" if self.session else None


class DashboardSweep:
    def __init__(self, url, token, pid, limit):
        parsed = urllib.parse.urlsplit(url)
        self.host = parsed.hostname
        self.port = parsed.port or 80
        self.admin_token = token
        self.pid = pid
        self.limit = limit
        self.problems = []
        self.remarks = []
        self.requests = 0
        self.checked = {}  # (METHOD, template) -> set of classes
        self.visitors = {}
        self.s = {}
        self.dead = False
        self.start_time = None
        self.tag = secrets.token_hex(3)
        self.links = {}  # (visitor name, target) -> (METHOD, template, visitor, the page it was on)

    # -- one request ------------------------------------------------------------------------

    def send(self, method, target, visitor=None, cookie=None, body=None, content_type=FORM, headers=(), token=None):
        all_headers = list(headers)
        jar = cookie if cookie is not None else (visitor.cookie() if visitor else None)
        if jar:
            all_headers.append(("Cookie", jar))
        if token is not None:
            all_headers.append(("Authorization", "Bearer " + token))
        if body is not None:
            if isinstance(body, dict):
                body = urllib.parse.urlencode(body).encode()
            elif isinstance(body, str):
                body = body.encode("utf-8")
            all_headers.append(("Content-Type", content_type))
        elif method == "POST":
            body = b""
        self.requests += 1
        return exchange(self.host, self.port, method, target, all_headers, body, self.limit)

    def api(self, method, path, body=None, token=None):
        """The JSON API with the admin's token (set-up and checks); None without an answer."""
        data = json.dumps(body, ensure_ascii=False).encode("utf-8") if body is not None else None
        try:
            return self.send(method, path, body=data, content_type="application/json", token=token or self.admin_token)
        except NoAnswer as error:
            self.problem(f"{method} {path} (the API, set-up or check): {error}")
            self.check_alive(f"{method} {path}")
            return None

    def problem(self, what):
        self.problems.append(what)

    # -- the checks every answer gets --------------------------------------------------------

    def judge(self, method, template, klass, item, answer, visitor):
        where = f"{method} {template} {klass} {item['name']}"
        bad, soft = [], []
        expect = item.get("expect")
        status = answer.status
        kind = (answer.header("Content-Type") or "").lower()
        if status >= 500:
            bad.append(f"answered {status}")
        if expect is not None:
            allowed = expect if isinstance(expect, (set, range, list, tuple)) else {expect}
            if status not in allowed and status < 500:
                bad.append(f"expected {describe(expect)}, got {status}")
        if answer.elapsed > self.limit:
            bad.append(f"took {answer.elapsed:.1f} s")
        if status in (301, 302, 303, 307, 308):
            location = answer.header("Location") or ""
            if not location.startswith("/") or location.startswith("//") or "\\" in location or re.search(r"[\x00-\x20]", location):
                bad.append(f"redirect leaves the server or is not a path: Location {location!r}")
            wanted = item.get("location")
            if wanted is not None:
                ok = wanted(location) if callable(wanted) else location.startswith(wanted)
                if not ok:
                    bad.append(f"Location {location!r}, expected {'a different one' if callable(wanted) else repr(wanted) + '…'}")
        for key, value in answer.headers:
            if key.lower() != "set-cookie":
                continue
            name = value.split("=", 1)[0].strip()
            if name in ("hl_session", "hl_login"):
                attributes = [part.strip().lower() for part in value.split(";")[1:]]
                if "httponly" not in attributes or "samesite=strict" not in attributes:
                    bad.append(f"cookie {name} without HttpOnly and SameSite=Strict: {value[:40]}…; {'; '.join(attributes)}")
        body = answer.body
        is_html = "text/html" in kind
        if is_html:
            if not answer.header("Content-Security-Policy"):
                bad.append("HTML without Content-Security-Policy")
            if (answer.header("X-Content-Type-Options") or "").lower() != "nosniff":
                bad.append("HTML without X-Content-Type-Options: nosniff")
            if b"<html lang=" not in body:
                bad.append(f"HTML without <html lang=: {body[:80]!r}")
        if is_html or "svg" in kind:
            if RAW_SCRIPT in body:
                at = body.find(RAW_SCRIPT)
                bad.append(f"`<script>alert(1)` unescaped in the body: …{body[max(0, at - 60):at + 40]!r}")
        if status >= 400:
            page = []
            if not is_html:
                page.append(f"error is not an HTML page: {kind!r}, {body[:80]!r}")
            elif b"<html lang=" not in body:
                page.append("error page without <html lang=")
            for leak in LEAKS:
                if leak in body:
                    page.append(f"error page shows the server's insides ({leak.decode()!r}): {body[:160]!r}")
            (soft if item.get("lenient") else bad).extend(page)
        if item.get("type") and status == 200 and item["type"] not in kind:
            bad.append(f"Content-Type {kind!r}, expected {item['type']!r}")
        text = body.decode("utf-8", "replace")
        for needle in item.get("contains", ()):
            if status < 400 and needle not in text:
                bad.append(f"the answer lacks {needle!r}")
        for needle in list(item.get("absent", ())) + (visitor.forbidden if visitor else []):
            if needle in text:
                bad.append(f"the answer shows {needle!r}, which this visitor must not see")
        check = item.get("check")
        if check and not bad:
            verdict = check(answer)
            if verdict:
                bad.append(verdict)
        for entry in bad:
            self.problem(f"{where}: {entry} (body: {body[:160].decode('utf-8', 'replace')!r})")
        return bad, [f"{status}, {entry}" for entry in soft]

    def group(self, method, template, klass, label, items, lenient=False):
        """Sends each item (name, target, expect and options), checks it, prints one line."""
        self.checked.setdefault((method, template), set()).add(klass)
        answers, statuses = [], []
        worst = 0.0
        failed = False
        soft_seen = []
        for item in items:
            if self.dead:
                answers.append(None)
                continue
            if lenient:
                item = {**item, "lenient": True}
            visitor = item.get("visitor")
            try:
                answer = self.send(method, item.get("target", template), visitor=visitor, cookie=item.get("cookie"),
                                   body=item.get("body"), content_type=item.get("content_type", FORM),
                                   headers=item.get("headers", ()), token=item.get("token"))
            except NoAnswer as error:
                self.problem(f"{method} {template} {klass} {item['name']}: {error}")
                statuses.append("---")
                answers.append(None)
                failed = True
                self.check_alive(f"{method} {item.get('target', template)} {klass} {item['name']}")
                continue
            bad, soft = self.judge(method, template, klass, item, answer, visitor)
            failed = failed or bool(bad)
            soft_seen += [entry for entry in soft if entry not in soft_seen]
            statuses.append(str(answer.status))
            worst = max(worst, answer.elapsed)
            answers.append(answer)
            if visitor is not None and answer.status == 200 and "text/html" in (answer.header("Content-Type") or ""):
                self.collect_links(visitor, item.get("target", template), answer.body)
        for entry in soft_seen:
            self.remarks.append(f"{method} {template} {klass} {label}: {entry}")
        mark = "!!" if failed else ("--" if soft_seen else "ok")
        shown = "/".join(sorted(set(statuses))) or "---"
        if len(items) == 1:
            detail = f"{label}" if label == items[0]["name"] else f"{label}: {items[0]['name']}"
            print(f"  {mark} {shown:<7} {method:<4} {template:<27} {klass} {detail}  {worst * 1000:.0f} ms")
        else:
            print(f"  {mark} {shown:<7} {method:<4} {template:<27} {klass} {label} ×{len(items)}: {' '.join(statuses)}  ≤{worst * 1000:.0f} ms")
        return answers

    def case(self, method, template, klass, name, expect, **options):
        return self.group(method, template, klass, name, [{"name": name, "expect": expect, **options}])[0]

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

    # -- links on the pages ------------------------------------------------------------------------

    @staticmethod
    def template_of(path):
        """The route a path on this server is, or the path itself when none is."""
        path = urllib.parse.urlsplit(path).path
        match = re.fullmatch(r"/units/[^/]+(/live|/clerks|/counters|/heatmap|/report\.csv|/children\.csv)?", path)
        if match:
            return "/units/{code}" + (match.group(1) or "")
        if re.fullmatch(r"/alerts/[^/]+/ack", path):
            return "/alerts/{id}/ack"
        return path

    def collect_links(self, visitor, page, body):
        """The GET links (href, src, and forms with method get) an HTML page shows its visitor.
        What the browser would fetch from elsewhere (a stylesheet, script, image, frame) is a
        problem: the dashboard is used on LANs that are offline; a plain link elsewhere is a
        remark."""
        text = body.decode("utf-8", "replace")
        found = []
        for tag in re.finditer(r"<([a-zA-Z]+)\b([^>]*)>", text):
            name, attributes = tag.group(1).lower(), tag.group(2)
            for attribute in re.finditer(r'\b(href|src|action)="([^"]*)"', attributes):
                if attribute.group(1) == "action" and 'method="post"' in attributes.lower():
                    continue
                found.append((name, html.unescape(attribute.group(2))))
        for name, target in found:
            if target.startswith("#") or target == "":
                continue
            if not target.startswith("/") or target.startswith("//"):
                if target.startswith("http://www.w3.org/"):
                    continue  # an SVG or XML namespace, not a place
                what = f"a page ({page}, {visitor.name}) points off the server: <{name}> {target!r}"
                (self.remarks.append if name in ("a", "form") else self.problem)(what)
                continue
            key = (visitor.name, target.split("#", 1)[0])
            if key not in self.links:
                self.links[key] = ("GET", self.template_of(target), visitor, page)

    def crawl(self):
        """Every link a page showed its visitor opens for that visitor: not 5xx, not refused
        (a page must not offer what its reader may not open); a linked route the sweep does not
        know gets the generic classes and a note."""
        print("  the links on the pages, followed:")
        known = {template for _, template in ROUTES}
        by_route = {}
        for (_, target), (method, template, visitor, page) in sorted(self.links.items(), key=lambda kv: kv[0]):
            by_route.setdefault(template, {}).setdefault(visitor.name, []).append((target, visitor, page))
        for template, per_visitor in by_route.items():
            # Up to 6 links of each route for each visitor.
            links = [link for name in sorted(per_visitor) for link in per_visitor[name][:6]]
            if self.dead:
                return
            note = "" if template in known else " (a route the sweep does not know)"
            items = [{"name": f"{visitor.name}: {target[:70]}", "target": target, "visitor": visitor, "expect": {200, 303, 304},
                      "type": None} for target, visitor, _ in links]
            self.group("GET", template, "(c)", f"linked from the pages{note}", items)
            if template not in known:
                target, visitor, page = links[0]
                # Not known: maybe public, maybe the API's (JSON errors). Nothing 5xx, in time; a
                # body that is not the dashboard's page is a remark.
                print(f"  note: {page} links to {template}, which the sweep does not know: generic classes only")
                self.group("GET", template, "(a)", "signed out", [{"name": "signed out", "target": target}], lenient=True)
                self.group("GET", template, "(b)", "forged session cookies", [{**item, "target": target} for item in self.forged()], lenient=True)
                self.group("GET", template, "(d)", "query junk", [
                    {"name": "query junk", "visitor": visitor, "target": template + "?code=%FF%FE&unit=%00&from=garbage&by=junk&lang=xx&x=%zz"}],
                    lenient=True)

    # -- helpers ---------------------------------------------------------------------------------

    @staticmethod
    def hidden(body, name):
        match = re.search(rb'<input type="hidden" name="' + name.encode() + rb'" value="([^"]*)"', body)
        return match.group(1).decode("utf-8", "replace") if match else None

    @staticmethod
    def cookie_value(answer, name):
        for key, value in answer.headers:
            if key.lower() == "set-cookie" and value.startswith(name + "="):
                return value.split(";", 1)[0].split("=", 1)[1]
        return None

    def login_form(self, target="/login"):
        """GET /login: (the hl_login cookie, the form's csrf) or (None, None); not printed."""
        try:
            answer = self.send("GET", target)
        except NoAnswer as error:
            self.problem(f"GET {target} (for a sign-in): {error}")
            self.check_alive(f"GET {target}")
            return None, None
        return self.cookie_value(answer, "hl_login"), self.hidden(answer.body, "csrf")

    def login_item(self, name, username, password, expect, next_path=None, form_cookie=True, csrf=True, **options):
        """A POST /login item with a fresh form (its GET is sent now, not on the line)."""
        cookie, token = self.login_form()
        body = {"username": username, "password": password}
        if csrf:
            body["csrf"] = token or ""
        if next_path is not None:
            body["next"] = next_path
        return {"name": name, "expect": expect, "body": body, "cookie": f"hl_login={cookie}" if form_cookie and cookie else "", **options}

    def sign_in(self, visitor, home, page=True):
        """Signs `visitor` in through the form; its session and (from `home`, when `page`) the
        session's CSRF token, or a problem."""
        item = self.login_item(f"sign in as {visitor.name} ({visitor.username})", visitor.username, visitor.password, 303,
                               next_path=home, location=home)
        answer = self.group("POST", "/login", "(c)", item["name"], [item])[0]
        if answer is None or answer.status != 303:
            return
        visitor.session = self.cookie_value(answer, "hl_session")
        if not visitor.session:
            self.problem(f"POST /login (c) {visitor.name}: 303 without an hl_session cookie")
            return
        cookie = next((v for k, v in answer.headers if k.lower() == "set-cookie" and v.startswith("hl_session=")), "")
        if "path=/" not in [p.strip().lower() for p in cookie.split(";")[1:]]:
            self.problem(f"POST /login (c) {visitor.name}: hl_session is not Path=/: {cookie[:20]}…")
        if not page:
            return
        try:
            page = self.send("GET", home, visitor=visitor)
        except NoAnswer as error:
            self.problem(f"GET {home} after signing in as {visitor.name}: {error}")
            self.check_alive(f"GET {home}")
            return
        visitor.csrf = self.hidden(page.body, "csrf")
        if page.status != 200 or not visitor.csrf:
            self.problem(f"GET {home} after signing in as {visitor.name}: {page.status}, CSRF token {'found' if visitor.csrf else 'missing'}")

    def alerts_state(self):
        """{alert id: the alert} from GET /v1/alerts (the admin's token)."""
        a = self.api("GET", "/v1/alerts")
        if a is None or a.status != 200:
            self.problem(f"GET /v1/alerts: {a.status if a else 'no answer'}")
            return {}
        return {x.get("id"): x for x in ((a.json() or {}).get("alerts") or [])}

    def unit(self, code, suffix="", query=""):
        return f"/units/{q(code)}{suffix}" + (f"?{query}" if query else "")

    def forged(self):
        """(b): session cookies that must not sign anyone in (name, Cookie header or headers)."""
        real = (self.visitors.get("ward") or Visitor("", "", "", "")).session or "hls_" + "0" * 64
        flipped = real[:-1] + ("0" if real[-1] != "0" else "1")
        login_cookie, _ = self.s.get("login_cookie", (None, None))
        return [
            {"name": "garbage", "cookie": "hl_session=garbage"},
            {"name": "empty", "cookie": "hl_session="},
            {"name": "unknown hls_ id", "cookie": "hl_session=hls_" + secrets.token_hex(32)},
            {"name": "a real id, last character changed", "cookie": "hl_session=" + flipped},
            {"name": "a real id with a suffix", "cookie": "hl_session=" + real + "0"},
            {"name": "the admin's API token", "cookie": "hl_session=" + self.admin_token},
            {"name": "the login form's cookie", "cookie": "hl_session=" + (login_cookie or "x")},
            {"name": "8 KB", "cookie": "hl_session=hls_" + "a" * 8192},
            {"name": "60 KB", "cookie": "hl_session=hls_" + "f" * 60000},
            {"name": "not UTF-8", "cookie": b"hl_session=hls_\xff\xfe" + b"a" * 62},
            {"name": "300 cookies", "cookie": "; ".join(f"c{i}=v{i}" for i in range(300))},
            {"name": "a quoted value", "cookie": f'hl_session="{real}"'},
            {"name": "the admin's API token as Bearer, no cookie", "headers": [("Authorization", "Bearer " + self.admin_token)]},
        ]

    def signed_out(self, method, template, target, body=None):
        """(a) and (b) for a route that needs a session."""
        if method == "GET":
            expect, location = 303, "/login?next="
            check = lambda a: self.next_of(a, target)
        else:
            expect, location, check = 403, None, None
        self.case(method, template, "(a)", "signed out", expect, target=target, location=location, check=check, body=body)
        items = [{**item, "expect": expect, "location": location, "target": target, "body": body} for item in self.forged()]
        self.group(method, template, "(b)", "forged session cookies", items)

    @staticmethod
    def next_of(answer, target):
        query = urllib.parse.urlsplit(answer.header("Location") or "").query
        back = urllib.parse.parse_qs(query).get("next", [""])[0]
        if urllib.parse.unquote(back) != urllib.parse.unquote(target):
            return f"next={back!r}, expected the page asked for ({target!r})"
        return None

    # -- the run ---------------------------------------------------------------------------------

    def run(self):
        self.start_time = process_start(self.pid) if self.pid else None
        self.setup()
        if self.dead:
            return self.final_checks()
        handlers = {
            ("GET", "/login"): self.get_login,
            ("POST", "/login"): self.post_login,
            ("GET", "/"): self.home,
            ("GET", "/units/{code}"): self.unit_page,
            ("GET", "/units/{code}/live"): self.live,
            ("GET", "/units/{code}/clerks"): self.unit_page,
            ("GET", "/units/{code}/counters"): self.unit_page,
            ("GET", "/units/{code}/heatmap"): self.unit_page,
            ("GET", "/units/{code}/report.csv"): self.report_csv,
            ("GET", "/units/{code}/children.csv"): self.unit_page,
            ("GET", "/boards"): self.boards,
            ("GET", "/boards.csv"): self.boards,
            ("GET", "/alerts"): self.alerts,
            ("GET", "/alerts.csv"): self.alerts,
            ("POST", "/alerts/{id}/ack"): self.acknowledge,
            ("GET", "/dossiers"): self.dossiers,
            ("GET", "/dossiers.csv"): self.dossier_csv,
            ("GET", "/static/app.css"): self.asset,
            ("GET", "/static/live.js"): self.asset,
            ("GET", "/static/icon.svg"): self.asset,
            ("GET", "/favicon.ico"): self.favicon,
            ("POST", "/logout"): self.logout,
        }
        for method, template in ROUTES:
            if self.dead:
                break
            if (method, template) == ("POST", "/logout"):
                # While the accounts are still signed in; the logout ends that.
                self.crawl()
                if not self.dead:
                    self.outside()
            print(f"  {method} {template}:")
            handlers[(method, template)](method, template)
        for method, template in ROUTES:
            wanted = ("(a)", "(b)", "(c)") + (() if template in ASSETS or template == "/favicon.ico" else ("(d)",))
            missing = [c for c in wanted if c not in self.checked.get((method, template), set())]
            if missing and not self.dead:
                self.problem(f"{method} {template}: classes {', '.join(missing)} not sent")
        self.final_checks()

    # -- set-up, through the API -------------------------------------------------------------------

    def setup_step(self, label, method, path, body, expect):
        a = self.api(method, path, body)
        ok = a is not None and a.status == expect
        if not ok:
            self.problem(f"set-up: {label}: {method} {path} → {a.status if a else 'no answer'}, expected {expect}: {a.body[:200] if a else b''!r}")
        print(f"  {'ok' if ok else '!!'} {a.status if a else '---':<7} {method:<4} {path:<27} (set-up) {label}  {a.elapsed * 1000 if a else 0:.0f} ms")
        return (a.json() or {}) if ok else {}

    def setup(self):
        s, t = self.s, self.tag
        print("  set-up, through the API:")
        units = self.setup_step("the units there are", "GET", "/v1/units", None, 200).get("units") or []
        roots = [u.get("code") for u in units if not u.get("parent")]
        s["root"] = roots[0] if roots else None
        s["city"], s["w1"], s["w2"] = f"dsw-{t}", f"dsw-{t}.p1", f"dsw-{t}.p2"
        s["secret"] = f"Phường Hai Kín {t}"          # ward 2's name: never shown to ward 1's manager
        s["secret_clerk"] = f"Lê Thị Kín {t}"        # ward 2's clerk
        admin = Visitor("admin", f"dsw-admin-{t}", "admin-password-" + secrets.token_hex(6), "admin")
        ward = Visitor("ward manager", f"dsw-ward-{t}", "ward-password-" + secrets.token_hex(6), "manager")
        tech = Visitor("technician", f"dsw-tech-{t}", "tech-password-" + secrets.token_hex(6), "technician")
        ward.forbidden = [s["secret"], s["secret_clerk"]]
        self.visitors = {"admin": admin, "ward": ward, "tech": tech}
        self.setup_step(f"an admin account {admin.username}", "POST", "/v1/accounts",
                        {"username": admin.username, "password": admin.password, "role": "admin"}, 201)
        if not units:
            # A server just installed: nothing made yet. The first thing its admin does is sign in.
            self.s["login_cookie"] = self.login_form()
            self.sign_in(admin, "/boards", page=False)
            if admin.session:
                for path in ("/boards", "/boards.csv", "/alerts", "/alerts.csv"):
                    self.case("GET", path, "(d)", "an empty server (no unit yet), the admin", 200, visitor=admin)
            admin.session = admin.csrf = None
        city = {"code": s["city"], "name": f"Thành phố Sweep {t}", "timeZone": "Asia/Ho_Chi_Minh"}
        if s["root"]:
            city["parent"] = s["root"]
        self.setup_step(f"the city {s['city']}" + (f" under {s['root']}" if s["root"] else " (the root)"), "POST", "/v1/units", city, 201)
        self.setup_step(f"ward 1 {s['w1']}", "POST", "/v1/units", {"code": s["w1"], "name": f"Phường Một {t}", "parent": s["city"]}, 201)
        self.setup_step(f"ward 2 {s['w2']}", "POST", "/v1/units", {"code": s["w2"], "name": s["secret"], "parent": s["city"]}, 201)
        self.setup_step(f"a ward manager of {s['w1']}", "POST", "/v1/accounts",
                        {"username": ward.username, "password": ward.password, "role": "manager", "unit": s["w1"]}, 201)
        self.setup_step(f"a technician of {s['city']}", "POST", "/v1/accounts",
                        {"username": tech.username, "password": tech.password, "role": "technician", "unit": s["city"]}, 201)
        for code, name, unit in (("X1", HOSTILE, s["w1"]), ("A1", "Nguyễn Thị Ánh", s["w1"]), ("S2", s["secret_clerk"], s["w2"])):
            self.setup_step(f"clerk {code} {name!r} in {unit}", "POST", "/v1/clerks", {"code": code, "name": name, "unit": unit}, 201)
        for ward_key, counter in (("w1", "Quầy 1"), ("w2", f"Quầy Kín {t}")):
            reply = self.setup_step(f"counter {counter!r} in {s[ward_key]}", "POST", "/v1/counters", {"unit": s[ward_key], "name": counter}, 201)
            reply = self.setup_step(f"a board in {s[ward_key]}", "POST", "/v1/boards",
                                    {"unit": s[ward_key], "counterId": reply.get("id", 0), "scale": "vn3"}, 201)
            board = (reply.get("board") or {}).get("id", "no-board")
            reply = self.setup_step(f"enroll that board", "POST", "/v1/boards/enroll", {"code": reply.get("enrollmentCode", "NOCODE")}, 200)
            s[ward_key + "_board"] = (board, reply.get("token", "hlb_none"))
            if ward_key == "w2":
                ward.forbidden.append(counter)
        now = datetime.datetime.now(datetime.timezone.utc)
        at = (now - datetime.timedelta(seconds=90)).strftime("%Y-%m-%dT%H:%M:%SZ")
        day = now.strftime("%Y-%m-%d")
        s["d1"], s["d2"] = f"DSW-{t}-1", f"DSW-{t}-9"
        ratings = [("X1", 3, s["d1"]), ("X1", 3, f"DSW-{t}-2"), ("X1", 1, f"DSW-{t}-3"), ("A1", 2, f"DSW-{t}-4"), ("A1", 3, f"DSW-{t}-5")]
        self.ingest("w1", at, ratings, day)
        self.ingest("w2", at, [("S2", 1, s["d2"]), ("S2", 3, f"DSW-{t}-10")], day)
        alerts = self.alerts_state()
        for ward_key in ("w1", "w2"):
            board = s[ward_key + "_board"][0]
            mine = [x for x in alerts.values() if x.get("board") == board and x.get("kind") == "countMismatch"]
            s[ward_key + "_alert"] = mine[0]["id"] if mine else 999999
            ok = bool(mine) and not mine[0].get("acknowledgedBy")
            if not ok:
                self.problem(f"set-up: no open countMismatch alert for {ward_key}'s board {board}: {list(alerts.values())[:3]}")
            print(f"  {'ok' if ok else '!!'} {'200':<7} GET  /v1/alerts                  (set-up) {ward_key}'s countMismatch alert: "
                  f"{mine[0]['id'] if mine else 'none'}, open")
        s["login_cookie"] = self.login_form()

    def ingest(self, ward_key, at, ratings, day):
        board, token = self.s[ward_key + "_board"]
        events = []
        for clerk, level, dossier in ratings:
            seq = len(events) + 1
            events.append({"seq": seq, "kind": "rating", "at": at, "level": level, "binding": "dossier", "dossier": dossier,
                           "clerk": clerk, "clockSynced": True})
            events.append({"seq": seq + 1, "kind": "session", "at": at, "dossier": dossier, "clerk": clerk, "outcome": "rated",
                           "clockSynced": True})
        status = {"version": "dashboard-sweep", "backlog": 0, "faults": [], "clockSynced": True, "uptimeS": 60}
        batch = {"boardId": board, "fromSeq": 1, "toSeq": len(events), "events": events, "aggregates": [], "status": status}
        a = self.api("POST", "/v1/ingest", batch, token=token)
        ok = a is not None and a.status == 200
        # Aggregates that disagree with the events: a countMismatch alert (the clerk as the board
        # names it: the hostile text, which the alerts page then shows in its message).
        wrong = [{"day": day, "clerk": HOSTILE, "level": 3, "count": 9}]
        seq = len(events) + 1
        more = {"boardId": board, "fromSeq": seq, "toSeq": seq, "aggregates": wrong, "status": status,
                "events": [{"seq": seq, "kind": "rating", "at": at, "level": 3, "binding": "counter", "clockSynced": True}]}
        b = self.api("POST", "/v1/ingest", more, token=token)
        ok = ok and b is not None and b.status == 200
        if not ok:
            self.problem(f"set-up: ingest for {ward_key}: {a.status if a else '---'} {b.status if b else '---'} "
                         f"{(a.body if a else b'')[:160]!r} {(b.body if b else b'')[:160]!r}")
        print(f"  {'ok' if ok else '!!'} {(b.status if b else '---'):<7} POST /v1/ingest                  (set-up) {ward_key}: "
              f"{len(ratings)} ratings, then aggregates that disagree")

    # -- the routes --------------------------------------------------------------------------------

    def get_login(self, method, template):
        s = self.s
        a = self.case(method, template, "(a)", "the form", 200, contains=['name="csrf"', 'name="username"', 'name="password"'],
                      check=lambda a: None if self.cookie_value(a, "hl_login") else "no hl_login cookie")
        if a is not None and a.status == 200 and self.cookie_value(a, "hl_login") != self.hidden(a.body, "csrf"):
            self.problem("GET /login (a): the hl_login cookie and the form's csrf differ")
        self.group(method, template, "(b)", "forged session cookies (the form all the same)",
                   [{**item, "expect": 200} for item in self.forged()])
        self.group(method, template, "(c)", "signed in (the form again)", [
            {"name": v.name, "expect": {200, 303}, "visitor": v} for v in self.visitors.values()])

        def next_is(expected):
            return lambda a: None if self.hidden(a.body, "next") == expected else f"hidden next {self.hidden(a.body, 'next')!r}, expected {expected!r}"

        self.group(method, template, "(d)", "next= that leaves the server → next \"/\"", [
            {"name": label, "target": "/login?next=" + q(value), "expect": 200, "check": next_is("/")}
            for label, value in [("//evil.example", "//evil.example"), ("https://evil.example", "https://evil.example"),
                                 ("/\\evil.example", "/\\evil.example"), ("javascript:alert(1)", "javascript:alert(1)"),
                                 ("/\\t/evil", "/\t/evil.example"), ("5 KB", "/" + "a" * 5000), ("empty", "")]])
        self.group(method, template, "(d)", "next= on the server, odd", [
            {"name": "/units/x?period=7d", "target": "/login?next=" + q("/units/x?period=7d"), "expect": 200, "check": next_is("/units/x?period=7d")},
            {"name": "a hostile next", "target": "/login?next=" + q('/"><script>alert(1)</script>'), "expect": 200},
            {"name": "next=%FF", "target": "/login?next=%FF", "expect": {200, 400}},
            {"name": "next twice", "target": "/login?next=/a&next=//evil.example", "expect": {200, 400},
             "check": lambda a: None if (self.hidden(a.body, "next") or "/").startswith("/") and not (self.hidden(a.body, "next") or "/").startswith("//") else "hidden next leaves the server"},
        ])
        self.group(method, template, "(d)", "lang= and query junk", [
            {"name": "lang=en", "target": "/login?lang=en", "expect": 200, "contains": ['<html lang="en">'],
             "check": lambda a: None if self.cookie_value(a, "hl_lang") == "en" else "lang=en not remembered (no hl_lang=en cookie)"},
            {"name": "lang=xx", "target": "/login?lang=xx", "expect": 200, "contains": ['<html lang="vi">']},
            {"name": "lang=%FF%FE", "target": "/login?lang=%FF%FE", "expect": {200, 400}},
            {"name": "lang=<script>", "target": "/login?lang=" + q("<script>alert(1)</script>"), "expect": 200, "contains": ['<html lang="vi">']},
            {"name": "lang of 5 KB", "target": "/login?lang=" + "e" * 5000, "expect": 200},
            {"name": "cookie hl_lang=junk", "target": "/login", "cookie": "hl_lang=%FF<script>", "expect": 200, "contains": ['<html lang="vi">']},
            {"name": "expired=1", "target": "/login?expired=1", "expect": 200},
            {"name": "x=%zz&&&==", "target": "/login?x=%zz&&&==", "expect": {200, 400}},
        ])

    def post_login(self, method, template):
        v = self.visitors
        admin = v["admin"]
        # (a) no session, and no CSRF token: refused, whatever the password.
        cookie, token = self.login_form()
        self.group(method, template, "(a)", "no CSRF token", [
            {"name": "right password, no csrf, no form cookie", "expect": 403, "body": {"username": admin.username, "password": admin.password},
             "check": lambda a: "a session cookie was set" if self.cookie_value(a, "hl_session") else None},
            {"name": "right password, no csrf, the form's cookie", "expect": 403, "cookie": f"hl_login={cookie}",
             "body": {"username": admin.username, "password": admin.password},
             "check": lambda a: "a session cookie was set" if self.cookie_value(a, "hl_session") else None},
            {"name": "no body", "expect": 403},
        ])
        self.group(method, template, "(b)", "forged session cookies, no CSRF token",
                   [{**item, "expect": 403, "body": {"username": admin.username, "password": admin.password}} for item in self.forged()])
        # (c) the three accounts sign in (pages of later routes use these sessions).
        s = self.s
        self.sign_in(admin, "/units/" + q(s["city"]))
        self.sign_in(v["ward"], "/units/" + q(s["w1"]))
        self.sign_in(v["tech"], "/boards")
        stays = lambda a: None if (a.header("Location") or "") == "/" else f"Location {a.header('Location')!r}, expected '/'"
        self.group(method, template, "(d)", "next= that leaves the server: signed in, Location \"/\"", [
            self.login_item(f"next={label}", admin.username, admin.password, 303, next_path=value, check=stays)
            for label, value in [("//evil.example", "//evil.example"), ("https://evil.example", "https://evil.example"),
                                 ("/\\evil.example", "/\\evil.example"), ("/\\r\\nSet-Cookie", "/\r\nSet-Cookie: x=1")]])
        # Failed logins, after every sign-in the sweep needs: the server allows 30 per client
        # address in 15 min (and route-sweep.py, run before, spends 8); this spends 9.
        self.group(method, template, "(c)", "refused sign-ins: a readable page, the username escaped", [
            self.login_item("wrong password", admin.username, "not-the-password", 401, contains=['<html lang="vi">']),
            self.login_item("an unknown, hostile username", HOSTILE, "whatever-123", 401),
            self.login_item("a 100-byte password (over bcrypt's 72)", admin.username, "p" * 100, 401),
        ])
        user = "throttled-" + self.tag
        items = [self.login_item(f"failed login {n + 1}", user, f"guess-{n}-xxxx", 401) for n in range(5)]
        items.append(self.login_item("the 6th", user, "guess-6-xxxx", 429,
                                     check=lambda a: None if a.header("Retry-After") else "429 without Retry-After"))
        self.group(method, template, "(c)", "failed logins for one username: 401 ×5, then 429", items)
        # (d) bad input.
        cookie, token = self.login_form()
        other_cookie, other_token = self.login_form()
        good = {"username": admin.username, "password": admin.password}
        self.group(method, template, "(d)", "wrong CSRF tokens → 403, no session", [
            {"name": "csrf of another form", "expect": 403, "cookie": f"hl_login={cookie}", "body": {**good, "csrf": other_token}},
            {"name": "csrf without its cookie", "expect": 403, "body": {**good, "csrf": token}},
            {"name": "cookie, empty csrf", "expect": 403, "cookie": f"hl_login={cookie}", "body": {**good, "csrf": ""}},
            {"name": "the session's csrf", "expect": 403, "cookie": f"hl_login={cookie}", "body": {**good, "csrf": admin.csrf or "x"}},
            {"name": "csrf in the query, not the form", "expect": 403, "target": f"/login?csrf={token}", "cookie": f"hl_login={cookie}", "body": good},
            {"name": "csrf of 5 KB", "expect": 403, "cookie": f"hl_login={cookie}", "body": {**good, "csrf": "a" * 5000}},
        ])
        self.group(method, template, "(d)", "bodies that are not a form", [
            {"name": "5 MiB", "expect": 413, "cookie": f"hl_login={cookie}", "body": FIVE_MIB},
            {"name": "not UTF-8", "expect": {400, 403}, "cookie": f"hl_login={cookie}", "body": NOT_UTF8},
            {"name": "JSON", "expect": {400, 403, 415}, "cookie": f"hl_login={cookie}", "content_type": "application/json",
             "body": json.dumps({**good, "csrf": token})},
            {"name": "text/plain", "expect": {400, 403, 415}, "cookie": f"hl_login={cookie}", "content_type": "text/plain", "body": "hello world"},
            {"name": "nested 20000 deep", "expect": {400, 403, 413}, "cookie": f"hl_login={cookie}", "body": NESTED},
            {"name": "%zz escapes", "expect": {400, 403}, "cookie": f"hl_login={cookie}", "body": "username=%zz&password=%&csrf=%%%"},
            {"name": "fields twice", "expect": {400, 403}, "cookie": f"hl_login={cookie}",
             "body": urllib.parse.urlencode([("username", admin.username), ("username", "x"), ("password", admin.password), ("csrf", token), ("csrf", token)])},
            {"name": "a 60 KB username", "expect": {401, 413}, "cookie": f"hl_login={cookie}",
             "body": {"username": "u" * 60000, "password": "x-password-1", "csrf": token}},
        ])

    def home(self, method, template):
        s, v = self.s, self.visitors
        self.signed_out(method, template, "/")
        self.group(method, template, "(c)", "each account's home", [
            {"name": "admin → /units/…", "visitor": v["admin"], "expect": 303, "location": "/units/"},
            {"name": f"ward manager → /units/{s['w1']}", "visitor": v["ward"], "expect": 303, "location": lambda l: l == self.unit(s["w1"])},
            {"name": "technician → /boards", "visitor": v["tech"], "expect": 303, "location": lambda l: l == "/boards"},
        ])
        self.group(method, template, "(d)", "query junk", [
            {"name": "lang=xx", "target": "/?lang=xx", "visitor": v["ward"], "expect": 303},
            {"name": "x=%FF&next=//evil.example", "target": "/?x=%FF&next=//evil.example", "visitor": v["ward"], "expect": 303},
        ])

    def unit_kind(self, template):
        if template.endswith(".csv"):
            return "text/csv"
        if template.endswith("/live"):
            return "json"
        return "text/html"

    def unit_page(self, method, template, extra=()):
        s, v = self.s, self.visitors
        suffix = template[len("/units/{code}"):]
        kind = self.unit_kind(template)
        html = kind == "text/html"
        self.signed_out(method, template, self.unit(s["w1"], suffix))
        items = [{"name": f"admin, {s[k]}", "visitor": v["admin"], "target": self.unit(s[k], suffix), "expect": 200, "type": kind}
                 for k in ("city", "w1", "w2")]
        if html:
            items.append({"name": "admin, lang=en", "visitor": v["admin"], "target": self.unit(s["w1"], suffix, "lang=en"), "expect": 200,
                          "contains": ['<html lang="en">']})
        if template == "/units/{code}/clerks":
            items.append({"name": f"admin, {s['w1']}: the hostile clerk, escaped", "visitor": v["admin"], "target": self.unit(s["w1"], suffix),
                          "expect": 200, "contains": ["&lt;script&gt;alert(1)&lt;/script&gt; Nguyễn Văn"]})
        self.group(method, template, "(c)", "the admin", items)
        self.group(method, template, "(c)", "the ward manager", [
            {"name": f"own ward {s['w1']}", "visitor": v["ward"], "target": self.unit(s["w1"], suffix), "expect": 200, "type": kind},
            {"name": f"the other ward {s['w2']}", "visitor": v["ward"], "target": self.unit(s["w2"], suffix), "expect": 403},
            {"name": f"the city above {s['city']}", "visitor": v["ward"], "target": self.unit(s["city"], suffix), "expect": 403},
        ] + ([{"name": f"root {s['root']}", "visitor": v["ward"], "target": self.unit(s["root"], suffix), "expect": 403}] if s["root"] else []))
        self.group(method, template, "(c)", "the technician (boards only)", [
            {"name": f"{s[k]}", "visitor": v["tech"], "target": self.unit(s[k], suffix), "expect": 403} for k in ("city", "w1")])
        self.bogus_codes(method, template, suffix)
        self.bad_ranges(method, template, suffix, html)
        for line in extra:
            line()

    def bogus_codes(self, method, template, suffix):
        v = self.visitors
        codes = [
            ("no-such-unit", "no-such-unit", 404), ("%FF", "%FF", {400, 404}), ("%FF%FE%C0%AF", "%FF%FE%C0%AF", {400, 404}),
            ("%00", "%00", {400, 404}), ("5 KB", "u" * 5000, {400, 404, 414}), ("..%2F..%2Fetc%2Fpasswd", "..%2F..%2Fetc%2Fpasswd", {400, 404}),
            ("%2525FF (double-encoded)", "%2525FF", {400, 404}), ("<script> percent-encoded", q("<script>alert(1)</script>"), {400, 404}),
            ("a code with spaces, ‘Phường 1’", q("Phường 1"), {400, 404}), ("%", "%", {400, 404}),
            ("U+FFFF", q("\uffff"), {400, 404}), ("decomposed Vietnamese", q("Phu\u031bo\u031b\u0300ng"), {400, 404}),
        ]
        self.group(method, template, "(d)", "bogus unit codes, the admin", [
            {"name": label, "visitor": v["admin"], "target": f"/units/{raw}{suffix}", "expect": expect} for label, raw, expect in codes])
        self.group(method, template, "(d)", "bogus unit codes, the ward manager", [
            {"name": label, "visitor": v["ward"], "target": f"/units/{raw}{suffix}", "expect": {400, 403, 404}} for label, raw, _ in codes[:6]])

    def bad_ranges(self, method, template, suffix, html):
        s, v = self.s, self.visitors
        w1 = s["w1"]
        self.group(method, template, "(d)", "bad period/from/to → 400", [
            {"name": label, "visitor": v["admin"], "target": self.unit(w1, suffix, query), "expect": 400} for label, query in BAD_RANGES])
        self.group(method, template, "(d)", "edge ranges → 200 (or 400)", [
            {"name": label, "visitor": v["admin"], "target": self.unit(w1, suffix, query), "expect": {200, 400}} for label, query in EDGE_RANGES])
        if html:
            self.group(method, template, "(d)", "lang= junk → Vietnamese", [
                {"name": label, "visitor": v["ward"], "target": self.unit(w1, suffix, query), "expect": 200, "contains": ['<html lang="vi">']}
                for label, query in [("lang=xx", "lang=xx"), ("lang=%FF", "lang=%FF"), ("lang=<script>", "lang=" + q("<script>alert(1)</script>")),
                                     ("lang of 5 KB", "lang=" + "v" * 5000), ("lang twice", "lang=xx&lang=yy"),
                                     ("a hostile query key", q('"><script>alert(1)</script>') + "=1&period=7d")]])
        if suffix in ("/clerks", "/counters"):
            self.group(method, template, "(d)", "page= (a ranking is paged)", [
                {"name": label, "visitor": v["ward"], "target": self.unit(w1, suffix, query), "expect": expect}
                for label, query, expect in [("page=1", "page=1", 200), ("page past the last → the last", "page=99999", 200),
                                             ("page=0", "page=0", 400), ("page=-1", "page=-1", 400), ("page=abc", "page=abc", 400),
                                             ("page=1.5", "page=1.5", 400), ("page of 5 KB", "page=" + "9" * 5000, {400, 414, 431}),
                                             ("page=%FF", "page=%FF", 400), ("page=<script>", "page=" + q("<script>alert(1)</script>"), 400)]])
        self.group(method, template, "(d)", "a long query", [
            {"name": label, "visitor": v["ward"], "target": self.unit(w1, suffix, query), "expect": {200, 400, 414, 431}}
            for label, query in [("8000 parameters", "&".join(f"p{i}=1" for i in range(8000))),
                                 ("from= 4000 times", "&".join("from=2026-01-01" for _ in range(4000)))]])

    def live(self, method, template):
        def etag_line():
            s, v = self.s, self.visitors
            target = self.unit(s["w1"], "/live")
            first = self.send("GET", target, visitor=v["ward"])
            tag = first.header("ETag") or '"none"'
            self.group(method, template, "(c)", "If-None-Match", [
                {"name": "the ETag just given → 304", "visitor": v["ward"], "target": target, "expect": 304, "headers": [("If-None-Match", tag)]},
                {"name": "a junk ETag → 200", "visitor": v["ward"], "target": target, "expect": 200, "headers": [("If-None-Match", '"junk"')]},
                {"name": "an 8 KB ETag → 200", "visitor": v["ward"], "target": target, "expect": 200, "headers": [("If-None-Match", "x" * 8192)]},
            ])
        self.unit_page(method, template, extra=[etag_line])

    def report_csv(self, method, template):
        def by_lines():
            s, v = self.s, self.visitors
            w1 = s["w1"]
            self.group(method, template, "(d)", "by= junk → 400", [
                {"name": label, "visitor": v["admin"], "target": self.unit(w1, "/report.csv", query), "expect": 400}
                for label, query in [("by=nothing", "by=nothing"), ("by=", "by="), ("by=%FF", "by=%FF"), ("by=CLERK", "by=CLERK"),
                                     ("by=<script>", "by=" + q("<script>alert(1)</script>")), ("by of 5 KB", "by=" + "c" * 5000)]])
            today = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=7))).strftime("%Y-%m-%d")
            week = (datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=7))) - datetime.timedelta(days=6)).strftime("%Y-%m-%d")
            answers = self.group(method, template, "(c)", "every by=, the ward manager", [
                {"name": f"by={by}", "visitor": v["ward"], "target": self.unit(w1, "/report.csv", f"by={by}&from={week}&to={today}"),
                 "expect": 200, "type": "text/csv"} for by in ("unit", "counter", "clerk", "hour", "day", "week", "month")])
            clerk_csv = answers[2]
            if clerk_csv is not None and clerk_csv.status == 200:
                quoted = '"' + HOSTILE.replace('"', '""') + '"'
                if quoted not in clerk_csv.body.decode("utf-8", "replace"):
                    self.problem(f"GET {template} by=clerk: the hostile clerk is not in the CSV as one quoted field {quoted!r}")
                api = self.api("GET", f"/v1/reports/satisfaction?unit={q(w1)}&by=clerk&from={week}&to={today}&format=csv")
                same = api is not None and api.status == 200 and api.body == clerk_csv.body
                if not same:
                    self.problem(f"GET {template} by=clerk: not byte for byte GET /v1/reports/satisfaction?format=csv "
                                 f"({len(clerk_csv.body)} vs {len(api.body) if api else '---'} bytes)")
                print(f"  {'ok' if same else '!!'} {'200':<7} GET  {template:<27} (c) by=clerk: the hostile clerk quoted; "
                      f"byte for byte the API's CSV ({len(clerk_csv.body)} bytes)")
        self.unit_page(method, template, extra=[by_lines])

    def scoped_page(self, method, template, tech_allowed):
        """/boards, /boards.csv, /alerts, /alerts.csv: ?unit= or the account's own."""
        s, v = self.s, self.visitors
        kind = "text/csv" if template.endswith(".csv") else "text/html"
        self.signed_out(method, template, template)
        self.group(method, template, "(c)", "the admin", [
            {"name": "no ?unit", "visitor": v["admin"], "target": template, "expect": 200, "type": kind},
            {"name": f"?unit={s['w2']}", "visitor": v["admin"], "target": f"{template}?unit={q(s['w2'])}", "expect": 200, "type": kind,
             "contains": [s["w2_board"][0]]},
        ])
        self.group(method, template, "(c)", "the ward manager", [
            {"name": "no ?unit (own ward)", "visitor": v["ward"], "target": template, "expect": 200, "type": kind, "contains": [s["w1_board"][0]],
             "absent": [s["w2_board"][0]]},
            {"name": f"?unit={s['w1']}", "visitor": v["ward"], "target": f"{template}?unit={q(s['w1'])}", "expect": 200},
            {"name": f"?unit={s['w2']} (the other ward)", "visitor": v["ward"], "target": f"{template}?unit={q(s['w2'])}", "expect": 403},
            {"name": f"?unit={s['city']} (the city above)", "visitor": v["ward"], "target": f"{template}?unit={q(s['city'])}", "expect": 403},
        ])
        self.group(method, template, "(c)", "the technician", [
            {"name": "no ?unit", "visitor": v["tech"], "target": template, "expect": 200 if tech_allowed else 403},
            {"name": f"?unit={s['w1']}", "visitor": v["tech"], "target": f"{template}?unit={q(s['w1'])}", "expect": 200 if tech_allowed else 403},
        ])
        self.group(method, template, "(d)", "bad ?unit=, the admin", [
            {"name": label, "visitor": v["admin"], "target": f"{template}?unit={raw}", "expect": expect}
            for label, raw, expect in [("no-such-unit", "no-such-unit", 404), ("%FF", "%FF", {400, 404}), ("%00", "%00", {400, 404}),
                                       ("5 KB", "u" * 5000, {400, 404, 414}), ("<script>", q("<script>alert(1)</script>"), {400, 404}),
                                       ("empty", "", 200), ("twice", f"{q(s['w1'])}&unit={q(s['w2'])}", {200, 400, 403})]]
            + [{"name": "lang=xx, done=junk, x=%zz", "visitor": v["admin"], "target": f"{template}?lang=xx&done=%FF&x=%zz", "expect": {200, 400}}])
        # The page has the period picker (the CSV may ignore a period).
        base = f"{template}?unit={q(s['w1'])}&"
        self.group(method, template, "(d)", "bad period/from/to → 400" if kind == "text/html" else "bad period/from/to", [
            {"name": label, "visitor": v["ward"], "target": base + query, "expect": 400 if kind == "text/html" else {200, 400}}
            for label, query in BAD_RANGES])
        self.group(method, template, "(d)", "edge ranges → 200 (or 400)", [
            {"name": label, "visitor": v["ward"], "target": base + query, "expect": {200, 400}} for label, query in EDGE_RANGES])

    def boards(self, method, template):
        self.scoped_page(method, template, tech_allowed=True)

    def alerts(self, method, template):
        if template == "/alerts":
            s, v = self.s, self.visitors
            self.scoped_page(method, template, tech_allowed=False)
            self.case(method, template, "(c)", "the admin: the alert's hostile message, escaped", 200, visitor=v["admin"],
                      target=f"/alerts?unit={q(s['w1'])}", contains=["&lt;script&gt;alert(1)&lt;/script&gt;",
                                                                      f'action="/alerts/{s["w1_alert"]}/ack"'])
        else:
            self.scoped_page(method, template, tech_allowed=False)

    def acknowledge(self, method, template):
        s, v = self.s, self.visitors
        ward, admin, tech = v["ward"], v["admin"], v["tech"]
        a1, a2 = s["w1_alert"], s["w2_alert"]
        target = f"/alerts/{a1}/ack"
        with_csrf = {"csrf": ward.csrf or "x", "comment": "forged", "unit": s["w1"]}
        self.signed_out(method, template, target, body=with_csrf)
        self.group(method, template, "(c)", "wrong accounts, each with its own CSRF token", [
            {"name": "the technician", "visitor": tech, "target": target, "expect": 403, "body": {"csrf": tech.csrf or "x", "comment": "tech"}},
            {"name": f"the ward manager, ward 2's alert {a2}", "visitor": ward, "target": f"/alerts/{a2}/ack", "expect": {303, 403, 404},
             "body": {"csrf": ward.csrf or "x", "comment": "outside my ward"},
             "check": lambda a: None if a.status != 303 or "done=0" in (a.header("Location") or "") else f"Location {a.header('Location')!r}: done?"},
        ])
        login_cookie, login_token = self.login_form()
        good = ward.csrf or "x"
        self.group(method, template, "(d)", "missing or wrong CSRF token → 403", [
            {"name": "no csrf", "visitor": ward, "target": target, "expect": 403, "body": {"comment": "no csrf"}},
            {"name": "empty csrf", "visitor": ward, "target": target, "expect": 403, "body": {"csrf": "", "comment": "x"}},
            {"name": "a wrong csrf", "visitor": ward, "target": target, "expect": 403, "body": {"csrf": secrets.token_hex(32), "comment": "x"}},
            {"name": "the admin's session's csrf", "visitor": ward, "target": target, "expect": 403, "body": {"csrf": admin.csrf or "y", "comment": "x"}},
            {"name": "the login form's token", "visitor": ward, "target": target, "expect": 403, "body": {"csrf": login_token or "z", "comment": "x"},
             "cookie": f"{ward.cookie()}; hl_login={login_cookie}"},
            {"name": "csrf in the query, not the form", "visitor": ward, "target": f"{target}?csrf={good}", "expect": 403, "body": {"comment": "x"}},
            {"name": "csrf with one character changed", "visitor": ward, "target": target, "expect": 403,
             "body": {"csrf": good[:-1] + ("0" if good[-1:] != "0" else "1"), "comment": "x"}},
            {"name": "csrf in upper case", "visitor": ward, "target": target, "expect": 403, "body": {"csrf": good.upper() if good.upper() != good else good + "X", "comment": "x"}},
        ])
        self.group(method, template, "(d)", "bodies that are not a form", [
            {"name": "5 MiB", "visitor": ward, "target": target, "expect": 413, "body": FIVE_MIB},
            {"name": "not UTF-8", "visitor": ward, "target": target, "expect": {400, 403}, "body": NOT_UTF8},
            {"name": "JSON with the right csrf", "visitor": ward, "target": target, "expect": {400, 403, 415}, "content_type": "application/json",
             "body": json.dumps({"csrf": good, "comment": "json"})},
            {"name": "text/plain", "visitor": ward, "target": target, "expect": {400, 403, 415}, "content_type": "text/plain", "body": "hello"},
            {"name": "nested 20000 deep", "visitor": ward, "target": target, "expect": {400, 403, 413}, "body": NESTED},
            {"name": "%zz escapes", "visitor": ward, "target": target, "expect": {400, 403}, "body": "csrf=%zz&comment=%"},
            {"name": "csrf twice (wrong, right)", "visitor": ward, "target": target, "expect": {400, 403},
             "body": urllib.parse.urlencode([("csrf", "wrong"), ("csrf", good)])},
            {"name": "a 501-character comment, right csrf", "visitor": ward, "target": target, "expect": 400, "body": {"csrf": good, "comment": "c" * 501}},
        ])
        self.group(method, template, "(d)", "bogus alert ids, right csrf", [
            {"name": label, "visitor": ward, "target": f"/alerts/{raw}/ack", "expect": expect, "body": {"csrf": good, "comment": "bogus"}}
            for label, raw, expect in [("abc", "abc", 404), ("99999999999999999999", "99999999999999999999", 404), ("-1", "-1", {303, 404}),
                                       ("0", "0", {303, 404}), ("%FF", "%FF", 404), ("5 KB", "9" * 5000, {404, 414}), ("1.5", "1.5", 404)]])
        # Nothing of that changed anything.
        state = self.alerts_state()
        unchanged = all(not (state.get(x) or {}).get("acknowledgedBy") for x in (a1, a2)) and a1 in state and a2 in state
        if not unchanged:
            self.problem(f"after the refused acknowledgements the alerts changed: {[state.get(a1), state.get(a2)]}")
        print(f"  {'ok' if unchanged else '!!'} {'200':<7} GET  /v1/alerts                  (d) after them: alerts {a1} and {a2} still unacknowledged")
        # The real thing, with the hostile text as the comment; the second time changes nothing.
        self.group(method, template, "(c)", f"the ward manager acknowledges alert {a1}", [
            {"name": "right csrf, a hostile comment", "visitor": ward, "target": target, "expect": 303, "body": {"csrf": good, "comment": HOSTILE, "unit": s["w1"]},
             "location": lambda l: l.startswith("/alerts?") and "done=1" in l},
            {"name": "again (the first stands)", "visitor": ward, "target": target, "expect": 303, "body": {"csrf": good, "comment": "again"},
             "location": lambda l: l.startswith("/alerts?") and "done=0" in l},
        ])
        state = self.alerts_state()
        got = state.get(a1) or {}
        ok = got.get("acknowledgedBy") == ward.username and got.get("comment") == HOSTILE and not (state.get(a2) or {}).get("acknowledgedBy")
        if not ok:
            self.problem(f"after acknowledging: alert {a1} is {got}, expected acknowledged by {ward.username} with the comment")
        print(f"  {'ok' if ok else '!!'} {'200':<7} GET  /v1/alerts                  (c) alert {a1} acknowledged by {ward.username}, "
              f"comment kept; {a2} still open")
        self.case("GET", "/alerts", "(c)", "the ward manager: the hostile comment, escaped", 200, visitor=ward,
                  contains=["&lt;script&gt;alert(1)&lt;/script&gt;"])

    def dossiers(self, method, template):
        s, v = self.s, self.visitors
        self.signed_out(method, template, f"/dossiers?code={s['d1']}")
        self.group(method, template, "(c)", "a dossier of ward 1", [
            {"name": "the admin", "visitor": v["admin"], "target": f"/dossiers?code={s['d1']}", "expect": 200, "contains": [s["d1"]]},
            {"name": "the ward manager", "visitor": v["ward"], "target": f"/dossiers?code={s['d1']}", "expect": 200, "contains": [s["d1"]]},
            {"name": "the ward manager, no code (the form)", "visitor": v["ward"], "target": "/dossiers", "expect": 200},
            {"name": "the technician", "visitor": v["tech"], "target": f"/dossiers?code={s['d1']}", "expect": 403},
        ])
        self.group(method, template, "(c)", "a dossier of ward 2", [
            {"name": "the admin", "visitor": v["admin"], "target": f"/dossiers?code={s['d2']}", "expect": 200, "contains": [s["secret"]]},
            {"name": "the ward manager (not found for them)", "visitor": v["ward"], "target": f"/dossiers?code={s['d2']}", "expect": {200, 403, 404}},
            {"name": f"the ward manager, ?unit={s['w2']}", "visitor": v["ward"], "target": f"/dossiers?code={s['d2']}&unit={q(s['w2'])}", "expect": 403},
        ])
        self.group(method, template, "(d)", "bogus codes", [
            {"name": label, "visitor": v["admin"], "target": f"/dossiers?code={raw}", "expect": expect}
            for label, raw, expect in [("not a code!", q("not a code!"), 400), ("5000 characters", "9" * 5000, 400), ("%00", "%00", 400),
                                       ("%FF%FE", "%FF%FE", {200, 400}), ("<script>", q("<script>alert(1)</script>"), {200, 400}),
                                       ("spaces only", "%20%20", 200),
                                       ("a valid code nobody rated", "000.30.25.H17-240702-7777", 200), ("code twice", f"{s['d1']}&code=x", {200, 400}),
                                       ("%zz", "%zz", {200, 400}), ("lang=xx", f"{s['d1']}&lang=xx", 200)]])

    def dossier_csv(self, method, template):
        s, v = self.s, self.visitors
        self.signed_out(method, template, f"/dossiers.csv?code={s['d1']}")
        self.group(method, template, "(c)", "a dossier of ward 1, then of ward 2", [
            {"name": "the admin", "visitor": v["admin"], "target": f"/dossiers.csv?code={s['d1']}", "expect": 200, "type": "text/csv",
             "contains": [s["d1"]]},
            {"name": "the ward manager", "visitor": v["ward"], "target": f"/dossiers.csv?code={s['d1']}", "expect": 200, "type": "text/csv"},
            {"name": "the technician", "visitor": v["tech"], "target": f"/dossiers.csv?code={s['d1']}", "expect": 403},
            {"name": "the admin, ward 2's", "visitor": v["admin"], "target": f"/dossiers.csv?code={s['d2']}", "expect": 200},
            {"name": "the ward manager, ward 2's (not theirs)", "visitor": v["ward"], "target": f"/dossiers.csv?code={s['d2']}", "expect": {403, 404}},
        ])
        self.group(method, template, "(d)", "bogus codes", [
            {"name": label, "visitor": v["admin"], "target": "/dossiers.csv" + query, "expect": expect}
            for label, query, expect in [("no code", "", 400), ("empty code", "?code=", 400), ("not a code!", "?code=" + q("not a code!"), 400),
                                         ("5000 characters", "?code=" + "9" * 5000, 400), ("%00", "?code=%00", 400),
                                         ("%FF%FE", "?code=%FF%FE", {400, 404}), ("<script>", "?code=" + q("<script>alert(1)</script>"), {400, 404}),
                                         ("a valid code nobody rated", "?code=000.30.25.H17-240702-7777", 404)]])

    def asset(self, method, template):
        v = self.visitors
        kind = ASSETS[template]
        self.case(method, template, "(a)", "signed out", 200, type=kind)
        self.group(method, template, "(b)", "forged session cookies (served all the same)", [{**item, "expect": 200, "type": kind} for item in self.forged()])
        self.group(method, template, "(c)", "signed in", [{"name": x.name, "visitor": x, "expect": 200, "type": kind} for x in v.values()])
        self.case(method, template, "(d)", "query junk", 200, target=template + "?v=%FF&x=%zz", type=kind)

    def favicon(self, method, template):
        to_icon = "/static/icon.svg"
        self.case(method, template, "(a)", "signed out → /static/icon.svg", 303, location=to_icon)
        self.group(method, template, "(b)", "forged session cookies", [{**item, "expect": 303, "location": to_icon} for item in self.forged()])
        self.group(method, template, "(c)", "signed in", [{"name": x.name, "visitor": x, "expect": 303, "location": to_icon} for x in self.visitors.values()])

    def logout(self, method, template):
        s, v = self.s, self.visitors
        ward = v["ward"]
        # Signed out, a logout has nothing to end: the form (303 /login) or a refusal (403).
        to_login = lambda l: l == "/login"
        self.case(method, template, "(a)", "signed out", {303, 403}, location=to_login)
        self.group(method, template, "(b)", "forged session cookies, someone's CSRF token",
                   [{**item, "expect": {303, 403}, "location": to_login, "body": {"csrf": ward.csrf or "x"}} for item in self.forged()])
        good = ward.csrf or "x"
        self.group(method, template, "(d)", "missing or wrong CSRF token → 403, still signed in", [
            {"name": "no csrf", "visitor": ward, "expect": 403},
            {"name": "a wrong csrf", "visitor": ward, "expect": 403, "body": {"csrf": secrets.token_hex(32)}},
            {"name": "the admin's csrf", "visitor": ward, "expect": 403, "body": {"csrf": v["admin"].csrf or "y"}},
            {"name": "5 MiB", "visitor": ward, "expect": 413, "body": FIVE_MIB},
            {"name": "not UTF-8", "visitor": ward, "expect": {400, 403}, "body": NOT_UTF8},
            {"name": "JSON with the right csrf", "visitor": ward, "expect": {400, 403, 415}, "content_type": "application/json",
             "body": json.dumps({"csrf": good})},
            {"name": "nested 20000 deep", "visitor": ward, "expect": {400, 403, 413}, "body": NESTED},
        ])
        self.case("GET", "/units/{code}", "(d)", "after those: the ward manager is still signed in", 200, visitor=ward, target=self.unit(s["w1"]))
        cleared = lambda a: None if self.cookie_value(a, "hl_session") == "" else "the session cookie is not cleared"
        old = {name: (x.cookie(), x.csrf) for name, x in v.items()}
        self.group(method, template, "(c)", "each account signs out", [
            {"name": x.name, "visitor": x, "expect": 303, "location": to_login, "body": {"csrf": x.csrf or "x"}, "check": cleared} for x in v.values()])
        self.group("GET", "/units/{code}", "(c)", "the old session cookies after logout → /login", [
            {"name": x.name, "cookie": old[name][0] or "", "target": self.unit(s["w1"]), "expect": 303, "location": "/login?next="}
            for name, x in v.items()])
        self.group("POST", "/alerts/{id}/ack", "(c)", "an old session cookie and its CSRF token after logout → 403", [
            {"name": "the admin", "cookie": old["admin"][0] or "", "target": f"/alerts/{s['w2_alert']}/ack", "expect": 403,
             "body": {"csrf": old["admin"][1] or "x", "comment": "after logout"}}])
        for x in v.values():
            x.session = None

    def outside(self):
        """Near the routes but not one of them: 404/405, never 5xx, in time."""
        print("  outside the routes:")
        v = self.visitors
        for method, target, expect in [("GET", "/logout", {404, 405}), ("GET", "/alerts/1/ack", {404, 405}), ("PUT", "/boards", {404, 405}),
                                       ("DELETE", "/login", {404, 405}), ("GET", "/units", {303, 404}), ("GET", f"/units/{q(self.s['w1'])}/nope", {404}),
                                       ("GET", "/static/nope.css", {404}), ("GET", "/static/..%2F..%2Fetc%2Fpasswd", {404}),
                                       ("POST", "/", {404, 405})]:
            self.group(method, target, "(d)", "not a route", [
                {"name": "signed out", "target": target, "expect": expect},
                {"name": "the admin", "target": target, "visitor": v["admin"], "expect": expect}], lenient=True)
        # A header larger than the HTTP layer takes: its refusal, not the dashboard's page.
        self.group("GET", "/boards", "(d)", "a 100 KB Cookie header (the HTTP layer's refusal)", [
            {"name": "100 KB", "cookie": "hl_session=hls_" + "a" * 100_000, "expect": {303, 400, 431}}], lenient=True)

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
        same = True
        if self.pid:
            same = pid_alive(self.pid) and process_start(self.pid) == self.start_time
            if not same:
                self.problem(f"the server is not the same process at the end (PID {self.pid}: "
                             f"{'alive, another start time' if pid_alive(self.pid) else 'gone'})")
        print(f"  {'ok' if same and healthy else '!!'} at the end: "
              + (f"PID {self.pid} {'the same process (same start time)' if same else 'NOT the same process'}, " if self.pid else "")
              + f"/healthz {'ok' if healthy else 'FAILING'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the server, e.g. http://127.0.0.1:8730")
    parser.add_argument("--token", required=True, help="an admin's API token (hla_…), for the set-up through the API")
    parser.add_argument("--pid", type=int, help="the server's PID: it must be the same process at the end")
    parser.add_argument("--limit", type=float, default=5.0, help="seconds an answer may take (default 5)")
    args = parser.parse_args()
    sweep = DashboardSweep(args.url, args.token, args.pid, args.limit)
    started = time.monotonic()
    sweep.run()
    print(f"dashboard sweep: {sweep.requests} requests over {len(ROUTES)} routes in {time.monotonic() - started:.1f} s, "
          f"{len(sweep.problems)} problem(s), {len(sweep.remarks)} remark(s)")
    for item in sweep.problems:
        print(f"  problem: {item}")
    for item in sweep.remarks:
        print(f"  remark (not a failure): {item}")
    sys.exit(1 if sweep.problems else 0)


if __name__ == "__main__":
    main()
