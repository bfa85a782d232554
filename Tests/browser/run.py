#!/usr/bin/env python3
"""The managers' dashboard in a real browser (issue 13): Debian's Chromium, headless, driven
by Selenium through Debian's chromium-driver, against the real hailong-server binary.

    Tests/browser/run.py [BIN_DIR]      # default .build/debug

Starts `hailong-server serve` on a free loopback port (SQLite in a temporary folder), sets up a
city with two wards through the API (a ward manager for hcm.p1, clerks in both wards, one of
them named `<script>alert(1)</script> Nguyễn Văn "A"`, enrolled boards, a few hundred ratings
over the last weeks at the real time), then logs in through the login form as the ward manager
and opens every page with a couple of periods. On each page: the numbers shown equal
`GET /v1/reports/satisfaction` for the same unit, range and grouping; no request leaves the
server's origin; the console has no errors; no dialog opened; `<html lang>`; the other ward's
names appear nowhere; no horizontal scroll at 1366×768 and 390×844; a full-page screenshot at
both sizes. Then the other ward and the city are refused, `?lang=en` is remembered, a rating
ingested while the overview is open shows up without a reload, and logout ends the session.

Every wait is bounded and the whole run is under a watchdog (HAILONG_BROWSER_SECONDS, default
160). Screenshots go to /tmp/hailong-browser-shots/<time>/ (HAILONG_BROWSER_SHOTS to change),
printed at the end with "browser: N passed, M failed". The data is random from a seed it
prints; replay with HAILONG_BROWSER_SEED=<seed>.
"""
import os
import sys

# Debian's python3-selenium belongs to Debian's python3; a python3 earlier on PATH (pyenv, a
# venv) does not see it.
try:
    import selenium  # noqa: F401
except ImportError:
    if os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3") \
            and not os.environ.get("HAILONG_BROWSER_REEXEC"):
        os.environ["HAILONG_BROWSER_REEXEC"] = "1"
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    print("FAIL: python3-selenium is not installed (apt-get install python3-selenium chromium chromium-driver)")
    sys.exit(1)

import csv
import datetime as dt
import http.cookiejar
import io
import json
import math
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
import zoneinfo

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "debug"))
DEADLINE_S = float(os.environ.get("HAILONG_BROWSER_SECONDS", "160"))
SEED = int(os.environ.get("HAILONG_BROWSER_SEED", str(random.randrange(1 << 30))))
SHOTS = os.environ.get("HAILONG_BROWSER_SHOTS") or os.path.join(
    "/tmp/hailong-browser-shots", dt.datetime.now().strftime("%Y%m%d-%H%M%S"))
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ZONE = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
MIN_N = 5
SIZES = [(1366, 768), (390, 844)]

nfc = lambda s: unicodedata.normalize("NFC", s)  # noqa: E731
HOSTILE = nfc('<script>alert(1)</script> Nguyễn Văn "A"')
# Ward hcm.p2's names: any of them in what the hcm.p1 manager can open is a leak.
# (setup adds its dossier codes and board id.)
SECRETS = [nfc("Trần Bí Mật P2"), nfc("Hoàng Kín Đáo P2"), nfc("Quầy Bí Mật P2"), "NVP2-BIMAT", "NVP2-KIN"]
MANAGER, MANAGER_PASSWORD = "quanly.p1", "quanly-p1-mat-khau"

passed = failed = 0
failures = []
started = time.monotonic()


def check(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"PASS: {what}")
    else:
        failed += 1
        failures.append(what)
        print(f"FAIL: {what}" + (f" — {detail}" if detail else ""))
    sys.stdout.flush()
    return ok


def note(text):
    print(f"    {text}")
    sys.stdout.flush()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def http(method, url, body=None, token=None, cookies=None, timeout=10.0, follow=True, headers=None):
    """(status, headers, bytes); status 0 and the error's text when there is no answer."""
    data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
    req = urllib.request.Request(url, data=data, method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if data is not None and isinstance(body, (dict, list)):
        req.add_header("Content-Type", "application/json")
    if cookies:
        req.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()))
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    opener = urllib.request.build_opener() if follow else urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()
    except Exception as e:  # no answer: timeout, reset, refused
        return 0, {}, repr(e).encode()


def wait_until(predicate, seconds, step=0.1):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except Exception:
            pass
        time.sleep(step)
    try:
        return bool(predicate())
    except Exception:
        return False


def submit_and_wait(driver, button, seconds=10):
    """Clicks a form's submit button and waits for the document that answers it. The old page
    says readyState "complete" until the navigation begins, so wait for its root element to go
    stale (the document replaced) before waiting for the new one to load."""
    old = driver.find_element(By.TAG_NAME, "html")
    button.click()

    def replaced():
        try:
            old.tag_name
            return False
        except StaleElementReferenceException:
            return True
    wait_until(replaced, seconds)
    wait_until(lambda: driver.execute_script("return document.readyState") == "complete", seconds)


# --- numbers -------------------------------------------------------------------------------

def wilson(satisfied, total, z=1.959963984540054):
    if total == 0:
        return None, None
    p = satisfied / total
    d = 1 + z * z / total
    c = p + z * z / (2 * total)
    r = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total))
    return (c - r) / d, (c + r) / d


def vi_int(n):
    return f"{n:,}".replace(",", ".")


def parse_vi(text):
    """A Vietnamese-formatted number ("1.234", "87,5 %", "0,87") → (float, decimals, percent), or None."""
    t = text.replace("\u00a0", " ").replace("\u202f", " ").strip()
    percent = t.endswith("%")
    t = t.rstrip("%").strip()
    if not re.fullmatch(r"[−-]?\d{1,3}(\.\d{3})*(,\d+)?", t):
        return None
    decimals = len(t.split(",")[1]) if "," in t else 0
    return float(t.replace("−", "-").replace(".", "").replace(",", ".")), decimals, percent


def local_today():
    return dt.datetime.now(ZONE).date()


def period_range(period, today=None):
    today = today or local_today()
    if period == "today":
        return today, today
    if period == "7d":
        return today - dt.timedelta(days=6), today
    if period == "30d":
        return today - dt.timedelta(days=29), today
    if period == "month":
        return today.replace(day=1), today
    if period == "quarter":
        return today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1), today
    if period == "year":
        return today.replace(month=1, day=1), today
    raise ValueError(period)


# --- the data set --------------------------------------------------------------------------

def rfc3339(t):
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Board:
    def __init__(self, unit, counter, info):
        self.unit, self.counter = unit, counter
        self.id, self.token = info["boardId"], info["token"]
        self.events = []

    def add(self, **event):
        event["seq"] = len(self.events) + 1
        event["clockSynced"] = True
        self.events.append(event)
        return event


def setup(base, admin, rng):
    """Units, clerks, counters, boards, the ward manager and a few hundred ratings: what the pages show."""
    def post(path, body, token=admin, expect=(200, 201)):
        status, _, text = http("POST", base + path, body, token=token)
        if status not in expect:
            raise RuntimeError(f"POST {path}: {status} {text[:300]!r}")
        return json.loads(text or b"{}")

    post("/v1/units", {"code": "hcm", "name": nfc("TP. Hồ Chí Minh"), "timeZone": "Asia/Ho_Chi_Minh"})
    post("/v1/units", {"code": "hcm.p1", "name": nfc("Phường Bến Nghé"), "parent": "hcm"})
    post("/v1/units", {"code": "hcm.p2", "name": nfc("Phường Đa Kao"), "parent": "hcm"})
    # code, name, unit, P(level 3, 2, 1), ratings a day (mean)
    clerks = [
        ("NV101", nfc("Nguyễn Thị Ánh"), "hcm.p1", (0.86, 0.10), 3.0),
        ("NV102", HOSTILE, "hcm.p1", (0.55, 0.25), 2.5),
        ("NV103", nfc("Lê Văn Bình"), "hcm.p1", (0.70, 0.20), 0.0),   # 3 ratings in all: under min_n
        ("NV104", nfc("Phạm Thị Dung"), "hcm.p1", (0.72, 0.18), 1.2),
        ("NVP2-BIMAT", nfc("Trần Bí Mật P2"), "hcm.p2", (0.40, 0.30), 3.0),
        ("NVP2-KIN", nfc("Hoàng Kín Đáo P2"), "hcm.p2", (0.95, 0.04), 1.0),
    ]
    for code, name, unit, _, _ in clerks:
        post("/v1/clerks", {"code": code, "name": name, "unit": unit})
    post("/v1/accounts", {"username": MANAGER, "password": MANAGER_PASSWORD, "role": "manager", "unit": "hcm.p1"})

    def board(unit, counter):
        c = post("/v1/counters", {"unit": unit, "name": counter})
        code = post("/v1/boards", {"unit": unit, "counterId": c["id"], "scale": "vn3"})["enrollmentCode"]
        return Board(unit, counter, post("/v1/boards/enroll", {"code": code}, token=None))

    b1 = board("hcm.p1", nfc("Quầy 1"))
    b2 = board("hcm.p1", nfc("Quầy 2"))
    b3 = board("hcm.p2", nfc("Quầy Bí Mật P2"))
    silent = board("hcm.p1", nfc("Quầy 3 (dự phòng)"))  # enrolled, never heard from

    now = dt.datetime.now(dt.timezone.utc)
    today = local_today()
    placement = {"NV101": b1, "NV102": b1, "NV103": b2, "NV104": b2, "NVP2-BIMAT": b3, "NVP2-KIN": b3}
    planned = []  # (time, board, clerk, level)
    for back in range(45, -1, -1):
        day = today - dt.timedelta(days=back)
        opens = dt.datetime.combine(day, dt.time(7, 30), ZONE)
        closes = dt.datetime.combine(day, dt.time(17, 30), ZONE)
        if back == 0:
            closes = min(closes, now - dt.timedelta(minutes=2))
            if closes <= opens:
                opens = dt.datetime.combine(day, dt.time(0, 0), ZONE)
        if closes <= opens or (day.weekday() == 6 and back > 0):  # closed on Sundays
            continue
        span = (closes - opens).total_seconds()
        for code, _, _, (p3, p2), per_day in clerks:
            count = sum(1 for _ in range(8) if rng.random() < per_day / 8)
            if back == 0:
                count = max(count, 2 if per_day else 0)
            for _ in range(count):
                r = rng.random()
                level = 3 if r < p3 else 2 if r < p3 + p2 else 1
                planned.append((opens + dt.timedelta(seconds=rng.uniform(0, span)), placement[code], code, level))
    for back in (2, 5, 12):  # NV103: three ratings, under min_n in every period
        planned.append((dt.datetime.combine(today - dt.timedelta(days=back), dt.time(10, 15), ZONE), b2, "NV103", 3 if back != 5 else 1))
    for back in (1, 3):  # counter-bound ratings (no clerk signed in)
        planned.append((dt.datetime.combine(today - dt.timedelta(days=back), dt.time(9, 5), ZONE), b2, None, 2))
    planned.sort(key=lambda p: p[0])

    dossiers = {}
    serial = 0
    for at, b, code, level in planned:
        serial += 1
        when = rfc3339(at)
        prefix = "HSP2-" if b is b3 else "000.30.25.H29-"
        if code and rng.random() < 0.5:  # a dossier session: opened, rated, and its outcome
            dossier = f"{prefix}{at.astimezone(ZONE):%y%m%d}-{serial:04d}"
            b.add(kind="rating", at=when, level=level, binding="dossier", dossier=dossier, clerk=code)
            b.add(kind="session", at=when, dossier=dossier, clerk=code, outcome="rated")
            dossiers.setdefault(b.unit, []).append((dossier, at, code, level))
            if rng.random() < 0.25:  # and a citizen who walked away without pressing
                later = rfc3339(at + dt.timedelta(minutes=3))
                b.add(kind="session", at=later, dossier=f"{prefix}{serial:04d}-U", clerk=code, outcome="unrated", reason="expired")
        else:
            b.add(kind="rating", at=when, level=level, binding="clerk" if code else "counter", **({"clerk": code} if code else {}))

    for b in (b1, b2, b3):
        for i in range(0, len(b.events), 400):
            chunk = b.events[i:i + 400]
            body = {"boardId": b.id, "fromSeq": chunk[0]["seq"], "toSeq": chunk[-1]["seq"], "events": chunk, "aggregates": [],
                    "status": {"version": "0.1.0", "backlog": 0, "faults": [], "clockSynced": True, "uptimeS": 3600}}
            post("/v1/ingest", body, token=b.token)
    # A fault on one p1 board, and a count mismatch on each ward (an open alert each).
    for b, faults in ((b2, ["stuck:1"]), (b3, [])):
        last = len(b.events)
        post("/v1/ingest", {"boardId": b.id, "fromSeq": last + 1, "toSeq": last, "events": [],
                            "aggregates": [{"day": now.strftime("%Y-%m-%d"), "clerk": b.events[-1].get("clerk", "NV104"), "level": 3, "count": 9999}],
                            "status": {"version": "0.1.0", "backlog": 0, "faults": faults, "clockSynced": b is not b2, "uptimeS": 7200}},
             token=b.token)
    SECRETS.append(b3.id)
    SECRETS.extend(sorted({e["dossier"] for e in b3.events if e.get("dossier")}))
    ratings = sum(1 for b in (b1, b2, b3) for e in b.events if e["kind"] == "rating")
    note(f"set up: {ratings} ratings on 3 boards over 46 days (seed {SEED}), a silent 4th board")
    return {"boards": {"b1": b1, "b2": b2, "b3": b3, "silent": silent}, "dossiers": dossiers}


# --- the browser ---------------------------------------------------------------------------

def start_browser(work):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for a in ["--headless=new", "--no-sandbox", "--lang=vi", "--disable-dev-shm-usage", "--disable-gpu",
              "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--force-device-scale-factor=1",
              f"--user-data-dir={work}/chromium", "--window-size=1366,768"]:
        options.add_argument(a)
    options.add_experimental_option("prefs", {"intl.accept_languages": "vi-VN,vi"})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    options.set_capability("unhandledPromptBehavior", "ignore")  # a dialog stays open, so it can be seen
    env = dict(os.environ, LANGUAGE="vi", LANG="vi_VN.UTF-8")
    service = Service(CHROMEDRIVER, env=env, log_path=os.path.join(work, "chromedriver.log"),
                      popen_kw={"start_new_session": True})
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(20)
    driver.set_script_timeout(10)
    return driver, service


class Page:
    """What one navigation did: the document's status, every request, the console."""

    def __init__(self, driver, origin):
        self.driver, self.origin = driver, origin
        self.requests, self.documents, self.console = [], [], []

    def drain(self):
        for entry in self.driver.get_log("performance"):
            try:
                message = json.loads(entry["message"])["message"]
            except (KeyError, ValueError):
                continue
            params = message.get("params", {})
            if message.get("method") == "Network.requestWillBeSent":
                self.requests.append((params.get("type", ""), params["request"]["url"]))
            elif message.get("method") == "Network.responseReceived" and params.get("type") == "Document":
                self.documents.append((params["response"]["url"], params["response"]["status"]))
        self.console += [e for e in self.driver.get_log("browser")]
        return self


class Dashboard:
    def __init__(self, driver, base, token, fixture):
        self.d, self.base, self.token, self.fixture = driver, base, token, fixture
        self.reports = {}
        self.links = set()
        self.csv_links = set()
        self.shot = 0

    # The API, as the same manager sees it.
    def report(self, by, frm, to, unit="hcm.p1"):
        key = (by, frm, to, unit)
        if key not in self.reports:
            q = urllib.parse.urlencode({"unit": unit, "from": frm, "to": to, "by": by})
            status, _, body = http("GET", f"{self.base}/v1/reports/satisfaction?{q}", token=self.token)
            if status != 200:
                raise RuntimeError(f"report {q}: {status} {body[:200]!r}")
            self.reports[key] = json.loads(body)["rows"]
        return self.reports[key]

    def js(self, script, *args):
        return self.d.execute_script(script, *args)

    def open(self, path, what, expect_status=200, lang="vi", chrome=True, typed=None):
        """Navigates and runs the checks every page gets; returns the Page. `typed`: a code the
        manager typed, which the page may echo."""
        page = Page(self.d, self.origin).drain()
        page.requests, page.documents, page.console = [], [], []
        self.d.get(self.base + path)
        wait_until(lambda: self.js("return document.readyState") == "complete", 10)
        time.sleep(0.15)  # the page's own start-up script
        page.drain()
        status = page.documents[-1][1] if page.documents else None
        expected = expect_status if isinstance(expect_status, tuple) else (expect_status,)
        check(status in expected, f"{what}: the document answers {' or '.join(map(str, expected))}", f"got {status} ({page.documents[-3:]})")
        foreign = [u for _, u in page.requests if not (u.startswith(self.origin + "/") or u.startswith("data:") or u == self.origin)]
        check(not foreign, f"{what}: every request stays on {self.origin}", f"{foreign[:5]}")
        others = [u for t, u in page.requests
                  if t not in ("Document",) and u.startswith(self.origin)
                  and not urllib.parse.urlsplit(u).path.startswith("/static/")
                  and not re.match(r"^/units/[^/]+/live$", urllib.parse.urlsplit(u).path)]
        check(not others, f"{what}: sub-resources come only from /static/ (and the overview's /live)", f"{others[:5]}")
        # A refusal's own status is logged by Chromium as a failed load: that one is the point.
        own = f"status of {status} "
        severe = [e["message"][:200] for e in page.console if e.get("level") == "SEVERE"
                  and not (status != 200 and e.get("source") == "network" and own in e["message"] and path.split("?")[0] in e["message"])]
        check(not severe, f"{what}: no console errors", f"{severe[:5]}")
        try:
            text = self.d.switch_to.alert.text
            check(False, f"{what}: no dialog opened", f"an alert says {text!r}")
            self.d.switch_to.alert.dismiss()
        except NoAlertPresentException:
            check(True, f"{what}: no dialog opened")
        html_lang = self.js("return document.documentElement.lang")
        check(html_lang == lang, f"{what}: <html lang=\"{lang}\">", f"got {html_lang!r}")
        source = nfc(self.d.page_source)
        self.save_source(what, source)
        leaked = [s for s in SECRETS if s in source and s != typed]
        check(not leaked, f"{what}: nothing of ward hcm.p2 in the page", f"found {leaked}")
        scripts = self.js("return [...document.scripts].filter(s => (s.textContent || '').includes('alert(1)')).length")
        check(scripts == 0, f"{what}: the hostile clerk name made no <script> element", f"{scripts} scripts")
        for a in self.js("return [...document.querySelectorAll('a[href]')].map(a => a.href)"):
            if a.startswith(self.origin):
                (self.csv_links if "csv" in a.lower() else self.links).add(a.split("#")[0])
        for a in self.js("return [...document.querySelectorAll('a.csv')].map(a => a.href)"):
            self.csv_links.add(a)
        if status == 200 and chrome:
            self.chrome(what, lang)
        return page

    def chrome(self, what, lang):
        """The parts of every page: period picker, from/to, logout, viewport meta, Vietnamese numbers."""
        picker = self.js("""return {
            links: [...document.querySelectorAll('a[href*="period="]')].map(a => new URL(a.href).searchParams.get('period')),
            inputs: [...document.querySelectorAll('[name=period]')].map(e => e.value || [...(e.options || [])].map(o => o.value).join(',')),
            from: !!document.querySelector('input[name=from]'), to: !!document.querySelector('input[name=to]'),
            logout: !!document.querySelector('form[method=post][action="/logout"], form[method=POST][action="/logout"]'),
            viewport: (document.querySelector('meta[name=viewport]') || {}).content || ''}""")
        offered = set(picker["links"]) | set(",".join(picker["inputs"]).split(","))
        missing = {"today", "7d", "30d", "month", "quarter", "year"} - offered
        # The dossier look-up has no period: a dossier is found whenever it was served.
        if urllib.parse.urlsplit(self.d.current_url).path != "/dossiers":
            check(not missing and picker["from"] and picker["to"], f"{what}: the period picker offers every period and from/to",
                  f"missing {sorted(missing)}, from {picker['from']}, to {picker['to']}")
        check(picker["logout"], f"{what}: a logout form (POST /logout)")
        check("width=device-width" in picker["viewport"], f"{what}: <meta name=viewport content=width=device-width…>", picker["viewport"])
        if urllib.parse.urlsplit(self.d.current_url).path.startswith("/units/"):
            check(bool(self.d.find_elements(By.CSS_SELECTOR, "nav ol, nav.crumbs, nav.breadcrumbs, .breadcrumbs")), f"{what}: breadcrumbs")
        if lang == "vi":
            self.numbers_vi(what)

    def numbers_vi(self, what):
        """Every <data value=…> reads as its value, the Vietnamese way ("1.234", "87,5 %")."""
        if True:
            bad = []
            for value, text in self.js("return [...document.querySelectorAll('data[value]')].map(e => [e.value, e.textContent])"):
                text = text.strip()
                if text in ("", "—", "–", "-"):
                    continue
                parsed = parse_vi(text)
                try:
                    raw = float(value)
                except ValueError:
                    bad.append((value, text))
                    continue
                if parsed is None:
                    bad.append((value, text))
                    continue
                number, decimals, percent = parsed
                shown = number / 100 if percent else number
                tolerance = (0.5 * 10 ** -decimals) / (100 if percent else 1) + 1e-9
                if abs(shown - raw) > tolerance:
                    bad.append((value, text))
            check(not bad, f"{what}: every number is written the Vietnamese way and equals its value", f"{bad[:5]}")

    @property
    def origin(self):
        return self.base

    def range_shown(self):
        e = self.d.find_elements(By.ID, "range")
        if not e:
            return None
        return e[0].get_attribute("data-from"), e[0].get_attribute("data-to"), e[0].text

    def check_range(self, what, period, explicit=None):
        shown = self.range_shown()
        frm, to = explicit or tuple(d.isoformat() for d in period_range(period))
        ok = check(shown is not None and shown[:2] == (frm, to), f"{what}: #range is {frm} … {to}", f"shown {shown}")
        if ok and self.js("return document.documentElement.lang") == "vi":
            want = [dt.date.fromisoformat(x).strftime("%d/%m/%Y") for x in (frm, to)]
            check(all(w in shown[2] for w in want), f"{what}: the range is written dd/mm/yyyy", f"{shown[2]!r}, want {want}")
        return (frm, to) if ok else (shown[0], shown[1]) if shown else (frm, to)

    def rows(self, table_id):
        return self.js("""return [...document.querySelectorAll('#' + arguments[0] + ' tr[data-key]')].map(tr => ({
            key: tr.dataset.key, total: tr.dataset.total, satisfied: tr.dataset.satisfied, text: tr.textContent,
            cls: tr.className, greyed: getComputedStyle(tr).opacity}))""", table_id)

    def compare_rows(self, what, shown, api, exclude=()):
        want = {r["key"]: r for r in api if r["key"] not in exclude}
        got = {r["key"]: r for r in shown}
        check(set(got) == set(want), f"{what}: the rows are the API's ({len(want)})",
              f"only on the page {sorted(set(got) - set(want))[:5]}, only in the API {sorted(set(want) - set(got))[:5]}")
        wrong = [(k, g["total"], g["satisfied"], want[k]["total"], want[k]["satisfied"]) for k, g in got.items()
                 if k in want and (str(want[k]["total"]) != g["total"] or str(want[k]["satisfied"]) != g["satisfied"])]
        check(not wrong, f"{what}: every row's total and satisfied equal the API's", f"(key, page n, page s, API n, API s) {wrong[:5]}")
        texts = [(k, g["text"][:80]) for k, g in got.items() if k in want and vi_int(want[k]["total"]) not in g["text"]]
        if self.js("return document.documentElement.lang") == "vi":
            check(not texts, f"{what}: every row shows its n, written the Vietnamese way", f"{texts[:3]}")

    # --- the pages ----------------------------------------------------------------------

    def overview(self, what, frm, to):
        api = self.report("unit", frm, to)
        total = sum(r["total"] for r in api)
        satisfied = sum(r["satisfied"] for r in api)
        own = [r for r in api if r["key"] == "hcm.p1"]
        low, high = (own[0]["wilsonLow"], own[0]["wilsonHigh"]) if len(api) == 1 and own else wilson(satisfied, total)
        values = self.js("""const v = id => { const e = document.getElementById(id); return e ? e.getAttribute('value') : null; };
            return ['headline-rate', 'headline-n', 'headline-wilson-low', 'headline-wilson-high', 'headline-response'].map(v)""")
        rate, n, wl, wh, response = values
        check(n == str(total), f"{what}: headline n {n} = the API's {total}")
        if total == 0:  # e.g. "today" just after midnight: nothing more to compare
            return total
        close = lambda a, b: a is not None and b is not None and abs(float(a) - b) <= 0.00005 + 1e-9  # noqa: E731
        check(close(rate, satisfied / total if total else None), f"{what}: headline rate {rate} = the API's {satisfied}/{total}")
        check(close(wl, low) and close(wh, high), f"{what}: 95 % Wilson interval [{wl}, {wh}] = the API's [{low:.4f}, {high:.4f}]")
        if len(api) == 1 and api[0].get("responseRate") is not None:
            check(close(response, api[0]["responseRate"]), f"{what}: response rate {response} = the API's {api[0]['responseRate']:.4f}")
        children = self.rows("children")
        if children:
            self.compare_rows(f"{what} child units", children, api, exclude=("hcm.p1",))
        trend = self.rows("trend-data")
        check(bool(trend), f"{what}: the trend has its data as a table (#trend-data)")
        if trend:
            keys = {r["key"] for r in trend}
            match = next((by for by in ("day", "week", "month") if keys <= {r["key"] for r in self.report(by, frm, to)} | {""}), None)
            check(match is not None, f"{what}: the trend's rows are API rows (by=day|week|month)", f"keys {sorted(keys)[:4]}")
            if match:
                api_rows = [r for r in self.report(match, frm, to) if r["key"] in keys]
                shown = [r for r in trend if r["key"] in {a["key"] for a in api_rows}]
                self.compare_rows(f"{what} trend by {match}", shown, api_rows)
                check(sum(int(r["total"] or 0) for r in trend) == total, f"{what}: the trend's totals add up to the headline n")
        check(bool(self.d.find_elements(By.CSS_SELECTOR, "svg title, svg desc")), f"{what}: the chart SVG has a <title>/<desc>")
        return total

    def ranking(self, what, by, frm, to):
        api = self.report(by, frm, to)
        shown = self.rows("ranking")
        self.compare_rows(what, shown, api)
        by_key = {r["key"]: r for r in api}
        ranked = [by_key[r["key"]]["wilsonLow"] for r in shown if r["key"] in by_key and not by_key[r["key"]]["insufficient"]]
        check(ranked == sorted(ranked, reverse=True), f"{what}: rows with n ≥ {MIN_N} are ranked by the Wilson lower bound",
              f"{[round(x, 3) for x in ranked]}")
        positions = [i for i, r in enumerate(shown) if r["key"] in by_key and by_key[r["key"]]["insufficient"]]
        sufficient = [i for i, r in enumerate(shown) if r["key"] in by_key and not by_key[r["key"]]["insufficient"]]
        if positions:
            check(not sufficient or min(positions) > max(sufficient), f"{what}: rows under min_n come after the ranked ones")
            if self.js("return document.documentElement.lang") == "vi":
                unmarked = [shown[i]["key"] for i in positions if "chưa đủ dữ liệu" not in nfc(shown[i]["text"]).lower()]
                check(not unmarked, f"{what}: rows under min_n say \"chưa đủ dữ liệu\"", f"{unmarked}")
        funnel = self.d.find_elements(By.CSS_SELECTOR, "svg#funnel")
        check(bool(funnel), f"{what}: a funnel plot (svg#funnel)")
        if funnel:
            points = self.js("""return [...document.querySelectorAll('svg#funnel title')].map(t => t.parentElement)
                .filter(e => e.tagName.toLowerCase() !== 'svg').map(e => { const b = e.getBBox();
                  return [e.querySelector('title').textContent, b.width > 0 && b.height > 0, e.tagName + ' ' + (e.getAttribute('d') ?? '')]; })""")
            enough = sum(1 for r in api if not r["insufficient"])
            drawn = [p for p in points if p[1]]
            check(len(drawn) == enough, f"{what}: the funnel plot draws a point for each of the {enough} rows with n ≥ {MIN_N}",
                  f"{len(drawn)} drawn; not drawn: {[(t[:50], shape[:30]) for t, ok, shape in points if not ok][:4]}")
            check(bool(self.d.find_elements(By.CSS_SELECTOR, "svg#funnel title, svg#funnel desc")), f"{what}: the funnel plot has <title>/<desc>")
        if by == "clerk":
            body = nfc(self.js("return document.body.innerText"))
            check(HOSTILE in body, f"{what}: the clerk {HOSTILE} is shown as text")
            svg = nfc(self.js("const s = document.querySelector('svg#funnel'); return s ? s.textContent : ''"))
            check(HOSTILE in svg or not svg, f"{what}: … and as text in the funnel plot (its labels or titles)", svg[:120])

    def heatmap(self, what, frm, to):
        check(bool(self.d.find_elements(By.CSS_SELECTOR, "svg#heatmap")), f"{what}: the heat map (svg#heatmap)")
        table = self.d.find_elements(By.ID, "heatmap-data")
        check(bool(table), f"{what}: its data as a table (#heatmap-data)")
        rows = self.rows("heatmap-data")
        total = sum(r["total"] for r in self.report("unit", frm, to))
        counted = [r for r in rows if r["total"] not in (None, "")]
        if counted:
            check(sum(int(r["total"]) for r in counted) == total, f"{what}: the heat map's counts add up to the unit's n ({total})",
                  f"{sum(int(r['total']) for r in counted)}")
            hours = {r["key"]: r for r in self.report("hour", frm, to)}
            if {r["key"] for r in counted} <= set(hours):
                self.compare_rows(f"{what} (by=hour)", counted, list(hours.values()))

    def boards(self, what, admin):
        status, _, body = http("GET", f"{self.base}/v1/boards?unit=hcm.p1", token=admin)
        want = {b["id"] for b in json.loads(body)["boards"]} if status == 200 else set()
        got = {r["key"] for r in self.rows("boards")}
        check(got == want, f"{what}: the boards are hcm.p1's {len(want)}", f"page {sorted(got)}, API {sorted(want)}")
        secret = self.fixture["boards"]["b3"].id
        check(secret not in self.d.page_source, f"{what}: ward hcm.p2's board id is not there")
        silent = self.fixture["boards"]["silent"].id
        row = self.js("const r = document.querySelector('#boards tr[data-key=\"' + arguments[0] + '\"]'); return r ? r.innerText : null", silent)
        check(row is not None, f"{what}: the never-seen board is listed", f"{row!r}")

    def alerts(self, what):
        check(bool(self.d.find_elements(By.ID, "alerts")), f"{what}: the alerts table (#alerts)")
        status, _, body = http("GET", f"{self.base}/v1/alerts?unit=hcm.p1", token=self.token)
        want = {str(a["id"]) for a in json.loads(body).get("alerts", [])} if status == 200 else set()
        rows = self.rows("alerts")
        if rows:
            got = {r["key"] for r in rows}
            check(got == want, f"{what}: the open alerts are the API's {len(want)} for hcm.p1", f"page {sorted(got)}, API {sorted(want)}")
        else:
            text = self.js("const t = document.getElementById('alerts'); return t ? t.innerText : ''")
            check(len(want) == 0, f"{what}: the API's {len(want)} alerts are listed as rows (tr data-key=ID)", text[:200])

    def dossier(self, what, code, clerk):
        section = self.d.find_elements(By.CSS_SELECTOR, "section#dossier")
        check(bool(section), f"{what}: a section#dossier")
        status, _, body = http("GET", f"{self.base}/v1/dossiers/{urllib.parse.quote(code, safe='')}", token=self.token)
        if section and status == 200:
            info = json.loads(body)
            text = nfc(section[0].text)
            check(code in text, f"{what}: it names the dossier {code}", text[:200])
            check(nfc(clerk) in text or info.get("clerk", "") in text, f"{what}: and its clerk", text[:200])
            lang_vi = self.js("return document.documentElement.lang") == "vi"
            if lang_vi:
                words = {"rated": "đã đánh giá", "unrated": "không đánh giá"}
                check(words.get(info.get("outcome"), "?") in text.lower() or info.get("outcome") in text,
                      f"{what}: the outcome ({info.get('outcome')}, level {info.get('level')})", text[:200])

    # --- sizes and screenshots ----------------------------------------------------------

    def sizes(self, what, name):
        for w, h in SIZES:
            self.d.set_window_size(w, h)
            wait_until(lambda: self.js("return window.innerWidth") == w, 3, 0.05)
            time.sleep(0.1)
            m = self.js("""const d = document.documentElement, w = window.innerWidth;
                const wide = [...document.body.querySelectorAll('*')].filter(e => e.getBoundingClientRect().right > w + 1)
                  .filter(e => !e.closest('[data-scroll], .scroll, .table-scroll') || e.matches('[data-scroll], .scroll, .table-scroll'))
                  .slice(0, 6).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && e.className.baseVal === undefined ? '.' + String(e.className).split(' ').join('.') : '') + ' ' + Math.round(e.getBoundingClientRect().right));
                return {scroll: d.scrollWidth, inner: w, height: d.scrollHeight, wide: wide,
                        small: [...document.querySelectorAll('body *')].filter(e => !e.closest('svg') && e.getClientRects().length && [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()) && parseFloat(getComputedStyle(e).fontSize) < 11)
                  .map(e => e.tagName.toLowerCase() + ' ' + e.textContent.trim().slice(0, 16) + ' ' + getComputedStyle(e).fontSize)}""")
            check(m["scroll"] <= m["inner"] + 1, f"{what} at {w}×{h}: no horizontal scroll (scrollWidth {m['scroll']} ≤ {m['inner']})",
                  f"wider than the window: {m['wide']}")
            check(not m["small"], f"{what} at {w}×{h}: no text smaller than 11 px (outside the charts)", f"{len(m['small'])}, e.g. {m['small'][:3]}")
            svg = self.js("""const texts = [...document.querySelectorAll('svg text')].filter(t => t.getBBox().width > 0);
                const size = t => parseFloat(getComputedStyle(t).fontSize) * (t.getScreenCTM() ? t.getScreenCTM().a : 1);
                const small = texts.filter(t => size(t) < 8).map(t => [t.closest('svg').id, t.textContent.slice(0, 12), +size(t).toFixed(1)]);
                const boxes = texts.map(t => [t, t.getBoundingClientRect()]);
                const overlaps = [];
                for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
                  const [a, ra] = boxes[i], [b, rb] = boxes[j];
                  const x = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left), y = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
                  if (x > 1 && y > 1) overlaps.push([a.closest('svg').id, a.textContent.slice(0, 12), b.textContent.slice(0, 12)]);
                }
                return {count: texts.length, small: small, overlaps: overlaps};""")
            if svg["count"]:
                check(not svg["small"], f"{what} at {w}×{h}: the charts' labels are at least 8 px on screen",
                      f"{len(svg['small'])} of {svg['count']} smaller, e.g. {svg['small'][:3]}")
                check(not svg["overlaps"], f"{what} at {w}×{h}: no two chart labels overlap", f"{svg['overlaps'][:3]}")
            self.screenshot(f"{name}-{w}x{h}", m)
        self.d.set_window_size(*SIZES[0])

    def screenshot(self, name, m):
        self.shot += 1
        path = os.path.join(SHOTS, f"{self.shot:02d}-{name}.png")
        try:
            metrics = self.d.execute_cdp_cmd("Page.getLayoutMetrics", {})
            size = metrics.get("cssContentSize") or metrics["contentSize"]
            width = max(m["inner"], math.ceil(size["width"]))
            height = min(max(m["height"], math.ceil(size["height"])), 12000)
            shot = self.d.execute_cdp_cmd("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True, "fromSurface": True,
                "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}})
            import base64
            with open(path, "wb") as f:
                f.write(base64.b64decode(shot["data"]))
        except WebDriverException as e:
            self.d.save_screenshot(path)
            note(f"full-page screenshot failed ({e.msg[:80]}); saved the viewport")

    def save_source(self, what, source):
        name = re.sub(r"[^A-Za-z0-9.-]+", "-", what).strip("-")
        with open(os.path.join(SHOTS, "html", f"{name}.html"), "w") as f:
            f.write(source)

    def cookies(self):
        return {c["name"]: c["value"] for c in self.d.get_cookies()}


# --- the run -------------------------------------------------------------------------------

def run(work, processes):
    server_bin = os.path.join(BIN, "hailong-server")
    port = free_port()
    conf = os.path.join(work, "server.yaml")
    with open(conf, "w") as f:
        f.write(f'listen: "127.0.0.1:{port}"\nstorage: {{driver: sqlite, path: {work}/server.db}}\nreports: {{min_n: {MIN_N}}}\n')
    migrated = subprocess.run([server_bin, "migrate", "--config", conf], capture_output=True, text=True, timeout=60)
    check(migrated.returncode == 0, "hailong-server migrate", migrated.stderr[-300:])
    created = subprocess.run([server_bin, "admin", "create", "--config", conf, "--username", "admin", "--password", "admin-password-1"],
                             capture_output=True, text=True, timeout=60)
    admin = next((l.split(": ", 1)[1].strip() for l in created.stdout.splitlines() if l.startswith("API token: ")), None)
    if not check(admin is not None and admin.startswith("hla_"), "hailong-server admin create prints an API token", created.stderr[-300:]):
        return
    log_path = os.path.join(work, "server.log")
    server = subprocess.Popen([server_bin, "serve", "--config", conf], stdout=subprocess.DEVNULL, stderr=open(log_path, "w"))
    processes.append(server)
    base = f"http://127.0.0.1:{port}"
    if not check(wait_until(lambda: http("GET", base + "/healthz", timeout=1)[0] == 200, 20), f"the server answers /healthz on {base}"):
        return
    fixture = setup(base, admin, random.Random(SEED))
    status, _, body = http("POST", base + "/v1/login", {"username": MANAGER, "password": MANAGER_PASSWORD})
    token = json.loads(body).get("token") if status in (200, 201) else None
    if not check(token is not None, "the ward manager logs in through the API", f"{status} {body[:200]!r}"):
        return
    status, _, _ = http("GET", f"{base}/v1/reports/satisfaction?unit=hcm.p2", token=token)
    check(status == 403, f"the API refuses ward hcm.p2's report to the hcm.p1 manager ({status})")
    setup_s = time.monotonic() - started

    driver, service = start_browser(work)
    processes.append(service.process)
    note(f"{driver.capabilities.get('browserName')} {driver.capabilities.get('browserVersion')} headless, "
         f"server and data ready in {setup_s:.1f} s")
    try:
        browse(Dashboard(driver, base, token, fixture), admin, fixture)
    finally:
        try:
            driver.quit()
        except Exception:
            pass
    server.terminate()
    check(server.wait(timeout=30) == 0, "the server stops cleanly on SIGTERM")
    if failed:
        with open(log_path, errors="replace") as f:
            tail = f.read()[-2000:]
        note("server log (tail):\n" + tail)


def browse(web, admin, fixture):
    d, base = web.d, web.base
    os.makedirs(os.path.join(SHOTS, "html"), exist_ok=True)

    # Logged out: every page sends the browser to the login form.
    d.get(base + "/units/hcm.p1")
    check(urllib.parse.urlsplit(d.current_url).path == "/login", "logged out, /units/hcm.p1 leads to /login", d.current_url)
    web.open("/login", "login page", chrome=False)
    form = d.find_elements(By.CSS_SELECTOR, 'form[method=post][action="/login"]')
    if not check(bool(form), 'the login page has <form method="post" action="/login">'):
        return
    check(bool(d.find_elements(By.CSS_SELECTOR, 'form[action="/login"] input[type=hidden][name=csrf]')), "the login form carries a hidden csrf field")
    web.sizes("login page", "login")

    def login(password):
        d.find_element(By.NAME, "username").clear()
        d.find_element(By.NAME, "username").send_keys(MANAGER)
        d.find_element(By.NAME, "password").send_keys(password)
        submit_and_wait(d, d.find_element(By.CSS_SELECTOR, 'form[action="/login"] button[type=submit]'))

    login("wrong-password")
    wait_until(lambda: urllib.parse.urlsplit(d.current_url).path == "/login", 5)
    check(urllib.parse.urlsplit(d.current_url).path == "/login" and "hl_session" not in web.cookies(),
          "a wrong password stays on the login form without a session", d.current_url)
    d.get_log("browser")  # the 401 of the wrong login is the point, not a console error
    login(MANAGER_PASSWORD)
    ok = wait_until(lambda: urllib.parse.urlsplit(d.current_url).path == "/units/hcm.p1", 10)
    if not check(ok, "the login form leads the ward manager to /units/hcm.p1", d.current_url):
        return
    session = next((c for c in d.get_cookies() if c["name"] == "hl_session"), None)
    check(session is not None and session.get("httpOnly") and session.get("sameSite") == "Strict",
          "the session cookie hl_session is HttpOnly and SameSite=Strict", f"{session}")

    p1 = fixture["dossiers"].get("hcm.p1", [])
    recent = [x for x in p1 if x[1].astimezone(ZONE).date() >= local_today() - dt.timedelta(days=6)] or p1
    dossier, _, dossier_clerk, _ = recent[-1]
    clerk_names = {"NV101": "Nguyễn Thị Ánh", "NV102": HOSTILE, "NV103": "Lê Văn Bình", "NV104": "Phạm Thị Dung"}

    pages = [
        ("overview", "/units/hcm.p1", lambda w, f, t: web.overview(w, f, t)),
        ("clerks", "/units/hcm.p1/clerks", lambda w, f, t: web.ranking(w, "clerk", f, t)),
        ("counters", "/units/hcm.p1/counters", lambda w, f, t: web.ranking(w, "counter", f, t)),
        ("heatmap", "/units/hcm.p1/heatmap", lambda w, f, t: web.heatmap(w, f, t)),
        ("boards", "/boards", lambda w, f, t: web.boards(w, admin)),
        ("alerts", "/alerts", lambda w, f, t: web.alerts(w)),
        ("dossier", f"/dossiers?code={urllib.parse.quote(dossier)}", lambda w, f, t: web.dossier(w, dossier, clerk_names[dossier_clerk])),
    ]
    for period in ("30d", "7d"):
        for name, path, page_check in pages:
            url = path + ("&" if "?" in path else "?") + f"period={period}"
            what = f"{name} ({period})"
            web.open(url, what)
            has_range = web.range_shown() is not None
            if name in ("overview", "clerks", "counters", "heatmap") or has_range:
                frm, to = web.check_range(what, period)
            else:
                frm, to = (x.isoformat() for x in period_range(period))
            page_check(what, frm, to)
            web.sizes(what, f"{name}-{period}")

    # The other periods and an explicit range, on the overview and the clerks.
    for period in ("today", "month", "quarter", "year"):
        what = f"overview ({period})"
        web.open(f"/units/hcm.p1?period={period}", what)
        frm, to = web.check_range(what, period)
        web.overview(what, frm, to)
    today = local_today()
    frm, to = (today - dt.timedelta(days=13)).isoformat(), (today - dt.timedelta(days=3)).isoformat()
    what = f"clerks ({frm} … {to})"
    web.open(f"/units/hcm.p1/clerks?from={frm}&to={to}", what)
    web.check_range(what, None, explicit=(frm, to))
    web.ranking(what, "clerk", frm, to)
    what = "overview (no period: 30 days)"
    web.open("/units/hcm.p1", what)
    web.check_range(what, "30d")

    # Another ward's dossier: not found for this manager, and none of it shown.
    p2 = fixture["dossiers"].get("hcm.p2", [])
    if p2:
        typed = p2[-1][0]
        page = web.open(f"/dossiers?code={urllib.parse.quote(typed)}", "dossier of ward hcm.p2", expect_status=(200, 404), typed=typed)
        shown = nfc(web.js("return document.body.innerText")).lower()
        check((page.documents or [("", 0)])[-1][1] == 404 or "không tìm thấy" in shown,
              "… it is not found (404, or \"không tìm thấy\") for the hcm.p1 manager", shown[:300])

    # Outside the manager's subtree: refused, with nothing of it shown.
    for path in ("/units/hcm.p2", "/units/hcm", "/units/hcm.p2/clerks", "/units/hcm.p2/heatmap", "/units/hcm/counters"):
        web.open(path + "?period=30d", f"{path} for the hcm.p1 manager", expect_status=403)
        if path == "/units/hcm.p2":
            web.sizes(f"{path} refused", "refused-units-hcm.p2")

    # The CSV links: the session's, UTF-8 with a BOM, nothing of the other ward.
    cookies = web.cookies()
    csv_checked = 0
    for link in sorted(web.csv_links)[:20]:
        status, headers, body = http("GET", link, cookies=cookies)
        path = urllib.parse.urlsplit(link)
        label = path.path + ("?" + path.query if path.query else "")
        ok = check(status == 200 and body.startswith(b"\xef\xbb\xbf"), f"CSV {label}: 200, UTF-8 with a BOM",
                   f"{status} {body[:40]!r}")
        text = nfc(body.decode("utf-8-sig", errors="replace"))
        check(not [s for s in SECRETS if s in text], f"CSV {label}: nothing of ward hcm.p2")
        if ok and ("/clerks" in path.path or "by=clerk" in path.query):
            check(HOSTILE.replace('"', '""') in text, f"CSV {label}: the hostile clerk name, quoted the CSV way")
        q = urllib.parse.parse_qs(path.query)
        if ok and {"by", "from", "to"} <= set(q):
            api = urllib.parse.urlencode({"unit": q.get("unit", ["hcm.p1"])[0], "from": q["from"][0], "to": q["to"][0],
                                          "by": q["by"][0], "format": "csv"})
            status, _, same = http("GET", f"{base}/v1/reports/satisfaction?{api}", token=web.token)
            check(same == body, f"CSV {label}: the same bytes as the API's CSV")
        csv_checked += 1
    check(csv_checked >= 3, f"the pages offer \"Tải CSV\" links ({csv_checked} checked)")

    # Every link the manager was shown: answers, and shows nothing of the other ward.
    refused, leaks, broken = [], [], []
    for link in sorted(web.links)[:150]:
        if urllib.parse.urlsplit(link).path in ("/logout",):
            continue
        status, _, body = http("GET", link, cookies=cookies)
        text = nfc(body.decode("utf-8", errors="replace"))
        if status == 403:
            refused.append(link)
        elif status >= 500 or status == 0 or status == 404:
            broken.append((status, link))
        if any(s in text and s not in urllib.parse.unquote(link) for s in SECRETS):
            leaks.append(link)
    check(not leaks, f"none of the {len(web.links)} links shown to the manager shows ward hcm.p2", f"{leaks[:5]}")
    check(not broken, "every link shown to the manager answers", f"{broken[:5]}")
    check(not refused, "no link shown to the manager leads to a refusal (403)", f"{refused[:5]}")

    interact(web)

    # English, remembered.
    web.open("/units/hcm.p1/clerks?period=30d&lang=en", "clerks (?lang=en)", lang="en")
    web.open("/units/hcm.p1/counters?period=30d", "counters after ?lang=en", lang="en")
    body = d.execute_script("return document.body.innerText")
    check("chưa đủ dữ liệu" not in nfc(body).lower() and "Tải CSV" not in body, "the English page is in English", body[:160])
    web.sizes("counters (en)", "counters-en")
    web.open("/units/hcm.p1?lang=vi", "overview (?lang=vi)", lang="vi")

    live(web, fixture)

    # Logout: the form ends the session; the old cookie no longer opens anything.
    old = web.cookies()
    buttons = d.find_elements(By.CSS_SELECTOR, 'form[action="/logout"] button, form[action="/logout"] [type=submit]')
    if check(bool(buttons), "the logout form has a button"):
        buttons[0].click()
        wait_until(lambda: urllib.parse.urlsplit(d.current_url).path == "/login", 10)
        check(urllib.parse.urlsplit(d.current_url).path == "/login", "logout leads to /login", d.current_url)
        status, headers, _ = http("GET", base + "/units/hcm.p1", cookies=old, follow=False)
        check(status in (302, 303) and urllib.parse.urlsplit(headers.get("Location", "")).path == "/login",
              "the old session cookie is refused after logout", f"{status} {headers.get('Location')}")


def interact(web):
    """What a manager does with the mouse and keyboard: the period picker, the from/to form, the
    dossier form, and acknowledging an alert (a POST form with its CSRF token; a forged one is refused)."""
    d, base = web.d, web.base
    path = lambda: urllib.parse.urlsplit(d.current_url).path  # noqa: E731

    web.open("/units/hcm.p1/clerks?period=30d", "clerks, before using the picker")
    links = d.find_elements(By.CSS_SELECTOR, 'a[href*="period=7d"]')
    if check(bool(links), "the clerks page has a \"7 days\" link"):
        links[0].click()
        wait_until(lambda: "period=7d" in d.current_url and d.execute_script("return document.readyState") == "complete", 10)
        check(path() == "/units/hcm.p1/clerks", "the period picker keeps the page (clerks)", d.current_url)
        frm, to = web.check_range("clerks after clicking \"7 days\"", "7d")
        web.ranking("clerks after clicking \"7 days\"", "clerk", frm, to)
    today = local_today()
    frm, to = (today - dt.timedelta(days=20)).isoformat(), (today - dt.timedelta(days=10)).isoformat()
    inputs = d.find_elements(By.CSS_SELECTOR, "input[name=from]")
    if check(bool(inputs), "the clerks page has a from/to form"):
        # Typing into a date input depends on the browser's locale; set the values as a picker would.
        d.execute_script("""const f = document.querySelector('input[name=from]'), t = document.querySelector('input[name=to]');
            f.value = arguments[0]; t.value = arguments[1];
            const form = f.form; const button = form.querySelector('button[type=submit], input[type=submit], button:not([type])');
            button ? button.click() : form.submit();""", frm, to)
        wait_until(lambda: (web.range_shown() or ("",))[0] == frm, 10)
        check(path() == "/units/hcm.p1/clerks", "the from/to form keeps the page (clerks)", d.current_url)
        shown = web.check_range(f"clerks after the from/to form ({frm} … {to})", None, explicit=(frm, to))
        web.ranking("clerks after the from/to form", "clerk", *shown)

    # The dossier form: typed, submitted.
    web.open("/dossiers", "dossier look-up, empty")
    field = d.find_elements(By.CSS_SELECTOR, "input[name=code]")
    p1 = web.fixture["dossiers"]["hcm.p1"]
    code = p1[len(p1) // 2][0]
    if check(bool(field), "the dossier page has a code field (input name=code)"):
        field[0].clear()
        field[0].send_keys(code + "\n")
        wait_until(lambda: "code=" in d.current_url and d.execute_script("return document.readyState") == "complete", 10)
        section = d.find_elements(By.CSS_SELECTOR, "section#dossier")
        check(bool(section) and code in section[0].text, f"typing {code} into the dossier form shows it", d.current_url)

    # Acknowledging an alert: a forged CSRF token is refused and changes nothing; the real form works.
    def open_alert():
        status, _, body = http("GET", f"{base}/v1/alerts?unit=hcm.p1", token=web.token)
        alerts = json.loads(body).get("alerts", []) if status == 200 else []
        return next((a for a in alerts if not a.get("acknowledgedBy")), None), alerts
    alert, _ = open_alert()
    if not check(alert is not None, "ward hcm.p1 has an open alert to acknowledge"):
        return
    form_css = f'form[method=post][action="/alerts/{alert["id"]}/ack"]'
    web.open("/alerts", "alerts, before acknowledging")
    forms = d.find_elements(By.CSS_SELECTOR, form_css)
    if not check(bool(forms), f"the alert {alert['id']} has an acknowledge form ({form_css})"):
        return
    d.execute_script(f"document.querySelector('{form_css} input[name=csrf]').value = 'forged-token'")
    submit_and_wait(d, d.find_element(By.CSS_SELECTOR, f"{form_css} button, {form_css} [type=submit]"))
    page = Page(d, base).drain()
    status = page.documents[-1][1] if page.documents else None
    check(status == 403, f"acknowledging with a forged CSRF token is refused: {status}")
    check(open_alert()[0] is not None and open_alert()[0]["id"] == alert["id"], "… and the alert is still open")
    web.open("/alerts", "alerts, acknowledging")
    comment = nfc("Đã kiểm tra quầy 2, đồng hồ lệch")
    fields = d.find_elements(By.CSS_SELECTOR, f"{form_css} textarea, {form_css} input[type=text], {form_css} input:not([type])")
    if fields:
        fields[0].send_keys(comment)
    submit_and_wait(d, d.find_element(By.CSS_SELECTOR, f"{form_css} button, {form_css} [type=submit]"))
    page = Page(d, base).drain()
    check(page.documents and page.documents[-1][1] == 200 and path() == "/alerts",
          "acknowledging through the form comes back to /alerts", f"{page.documents[-2:]} {d.current_url}")
    _, alerts = open_alert()
    after = next((a for a in alerts if a["id"] == alert["id"]), None)
    check(after is not None and after.get("acknowledgedBy") == MANAGER and (not fields or nfc(after.get("comment") or "") == comment),
          f"the API shows the alert acknowledged by {MANAGER}, with the comment", f"{after}")
    body = nfc(d.execute_script("const t = document.getElementById('alerts'); return t ? t.innerText : ''"))
    check(MANAGER in body, f"the alerts page shows who acknowledged it ({MANAGER})", body[:200])
    web.sizes("alerts after acknowledging", "alerts-acknowledged")


def live(web, fixture):
    """A rating ingested while the overview is open shows in the headline without a reload."""
    d = web.d
    web.open("/units/hcm.p1?period=today", "overview (today, live)")
    web.js("window.__hailongNoReload = 'still here'")
    before = d.find_element(By.ID, "headline-n").get_attribute("value")
    before_text = d.find_element(By.ID, "headline-n").text
    b1 = fixture["boards"]["b1"]
    event = b1.add(kind="rating", at=rfc3339(dt.datetime.now(dt.timezone.utc)), level=1, binding="clerk", clerk="NV101")
    status, _, body = http("POST", web.base + "/v1/ingest", {
        "boardId": b1.id, "fromSeq": event["seq"], "toSeq": event["seq"], "events": [event], "aggregates": [],
        "status": {"version": "0.1.0", "backlog": 0, "faults": [], "clockSynced": True, "uptimeS": 3700}}, token=b1.token)
    check(status == 200, "one more rating ingested while the overview is open", f"{status} {body[:200]!r}")
    t0 = time.monotonic()
    want = str(int(before or 0) + 1)
    arrived = wait_until(lambda: d.find_element(By.ID, "headline-n").get_attribute("value") == want, 20, 0.25)
    seconds = time.monotonic() - t0
    check(arrived, f"the headline n goes from {before} to {want} within {seconds:.1f} s (≤ 20 s)",
          f"still {d.find_element(By.ID, 'headline-n').get_attribute('value')}")
    check(web.js("return window.__hailongNoReload") == "still here", "… without a reload")
    if arrived:
        frm, to = (x.isoformat() for x in period_range("today"))
        web.reports.clear()
        rows = web.report("unit", frm, to)
        total, satisfied = sum(r["total"] for r in rows), sum(r["satisfied"] for r in rows)
        text = d.find_element(By.ID, "headline-n").text.strip()
        check(text == vi_int(total) and text != before_text, f"the headline n's text reads {text!r} (the API: {vi_int(total)}, before {before_text!r})")
        web.numbers_vi("the overview after the live update")
        rate = d.find_element(By.ID, "headline-rate").get_attribute("value")
        check(rate is not None and abs(float(rate) - satisfied / total) <= 0.00005 + 1e-9,
              f"the headline rate follows: {rate} = the API's {satisfied}/{total}")
    time.sleep(6)
    page = Page(d, web.base).drain()
    polls = [u for _, u in page.requests if "/live" in u]
    elapsed = time.monotonic() - t0
    check(len(polls) <= elapsed / 4.5 + 1, f"the overview polls /live no more often than every 5 s ({len(polls)} in {elapsed:.0f} s)")
    severe = [e["message"][:200] for e in page.console if e.get("level") == "SEVERE"]
    check(not severe, "no console errors while it polls", f"{severe[:3]}")


def main():
    for path in (CHROMIUM, CHROMEDRIVER, os.path.join(BIN, "hailong-server")):
        if not os.path.exists(path):
            print(f"FAIL: {path} is missing")
            return 1
    work = tempfile.mkdtemp(prefix="hailong-browser-")
    processes = []

    def stop_all():
        for p in processes:
            try:
                if p.poll() is None:
                    if p.args and "chromedriver" in str(p.args[0]):
                        os.killpg(p.pid, signal.SIGKILL)  # chromedriver and the browser it started
                    else:
                        p.kill()
                    p.wait(timeout=10)
            except Exception:
                pass

    def watchdog():
        print(f"FAIL: the browser test did not finish within {DEADLINE_S:.0f} s (HAILONG_BROWSER_SECONDS); stopped")
        print(f"browser: {passed} passed, {failed + 1} failed; screenshots in {SHOTS}; work folder {work}")
        sys.stdout.flush()
        stop_all()
        os._exit(1)

    timer = threading.Timer(DEADLINE_S, watchdog)
    timer.daemon = True
    timer.start()
    try:
        run(work, processes)
    except Exception as e:  # a crash of the test itself is a failure, with its trace
        import traceback
        traceback.print_exc()
        check(False, f"the browser test ran to its end ({type(e).__name__}: {str(e)[:300]})")
    finally:
        timer.cancel()
        stop_all()
    if failed == 0:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"    work folder kept: {work}")
    print(f"screenshots: {SHOTS}")
    print(f"browser: {passed} passed, {failed} failed in {time.monotonic() - started:.0f} s")
    if failures:
        print("failed:\n  " + "\n  ".join(dict.fromkeys(failures)))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
