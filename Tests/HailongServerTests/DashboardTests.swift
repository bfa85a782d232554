import Crypto
import Foundation
import HTTPTypes
import HailongDomain
import HailongServer
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The managers' dashboard over HTTP (issue 13): every page for every role, scoping, CSRF,
/// sessions in the store, throttling, escaping, and the numbers equal to the API's.
@Suite struct DashboardTests {
    static let hostile = "<script>alert(1)</script> Nguyễn Văn \"A\""
    static let secret = "Trần Bí Mật P2"

    /// A city with two wards; ratings in both (ward 2's clerk has a name only ward 2 may see),
    /// a mismatch alert in ward 1, accounts for each role.
    struct City {
        var admin: String
        var wardBoard: Enrolled
    }

    static func city(_ client: some TestClientProtocol, _ h: Harness) async throws -> City {
        let admin = h.adminToken
        try await client.unit("hcm", "Thành phố Hồ Chí Minh", parent: nil, zone: "Asia/Ho_Chi_Minh", admin: admin)
        try await client.unit("hcm.p1", "Phường Bến Nghé", parent: "hcm", admin: admin)
        try await client.unit("hcm.p2", "Phường Sài Gòn", parent: "hcm", admin: admin)
        for (code, name, unit) in [("x1", hostile, "hcm.p1"), ("a1", "Nguyễn Thị Ánh", "hcm.p1"), ("s2", secret, "hcm.p2")] {
            let reply = try await client.send(.post, "/v1/clerks", token: admin, json: ClerkBody(code: code, name: name, unit: unit))
            guard reply.status == .created else { throw TestFailure("clerk: \(reply.text)") }
        }
        let b1 = try await client.board(unit: "hcm.p1", counter: "Quầy 1", admin: admin)
        let b2 = try await client.board(unit: "hcm.p2", counter: "Quầy 7", admin: admin)
        // Ward 1: x1 rates 3,3,3,1 on the 22nd and 23rd; a1 2,3; ward 2: s2 1,1,3.
        var events: [WireEvent] = []
        var seq: Int64 = 0
        for (clerk, level, at) in [
            ("x1", 3, "2026-11-22T02:00:00Z"), ("x1", 3, "2026-11-22T03:00:00Z"), ("x1", 3, "2026-11-23T01:00:00Z"), ("x1", 1, "2026-11-23T02:00:00Z"),
            ("a1", 2, "2026-11-23T03:00:00Z"), ("a1", 3, "2026-11-23T04:00:00Z"),
        ] {
            seq += 1
            events.append(rating(seq, at, level: level, clerk: clerk, dossier: "D-\(seq)"))
        }
        seq += 1
        events.append(session(seq, "2026-11-23T04:10:00Z", .unrated, dossier: "D-U", clerk: "a1"))
        let good = try await client.send(.post, "/v1/ingest", token: b1.token, json: batch(b1, events))
        guard good.status == .ok else { throw TestFailure("ingest: \(good.text)") }
        // A count the board disagrees with: a countMismatch alert in ward 1.
        seq += 1
        let wrong = [DailyCount(day: "2026-11-23", clerk: "a1", level: 3, count: 9)]
        _ = try await client.send(
            .post, "/v1/ingest", token: b1.token, json: batch(b1, [rating(seq, "2026-11-23T04:20:00Z", level: 3, clerk: "a1")], aggregates: wrong))
        let other = [("s2", 1, "2026-11-23T01:00:00Z"), ("s2", 1, "2026-11-23T02:00:00Z"), ("s2", 3, "2026-11-23T03:00:00Z")].enumerated().map {
            rating(Int64($0.offset + 1), $0.element.2, level: $0.element.1, clerk: $0.element.0, dossier: "P2-\($0.offset)")
        }
        _ = try await client.send(.post, "/v1/ingest", token: b2.token, json: batch(b2, other))
        for (name, role, unit) in [("city", "manager", "hcm"), ("ward", "manager", "hcm.p1"), ("tech", "technician", "hcm")] {
            _ = try await client.account(name, role: role, unit: unit, admin: admin)
        }
        return City(admin: admin, wardBoard: b1)
    }

    static let unitPages = ["", "/clerks", "/counters", "/heatmap"]
    static func pages(_ unit: String) -> [String] {
        unitPages.map { "/units/\(unit)\($0)" } + ["/boards", "/alerts", "/dossiers?code=D-1", "/dossiers.csv?code=D-1", "/units/\(unit)/report.csv?by=clerk", "/units/\(unit)/children.csv", "/boards.csv", "/alerts.csv"]
    }

    @Test func signedOutEveryPageGoesToTheLoginForm() async throws {
        let h = try await Harness()
        try await h.app().test(.router) { client in
            _ = try await Self.city(client, h)
            for path in Self.pages("hcm") + ["/", "/units/hcm/live"] {
                let reply = try await client.web(.get, path)
                #expect(reply.status == .seeOther, "\(path)")
                #expect(reply.headers[.location]?.hasPrefix("/login?next=") == true, "\(path)")
            }
            let form = try await client.web(.get, "/login")
            #expect(form.status == .ok)
            #expect(form.text.contains("<html lang=\"vi\">"))
            #expect(form.text.contains("name=\"csrf\""))
        }
    }

    @Test func aServerWithNoUnitYetAnswersEveryPage() async throws {
        let h = try await Harness()
        try await h.app().test(.router) { client in
            let admin = try await client.signIn("admin", "admin-password")
            #expect(try await client.web(.get, "/", admin).headers[.location] == "/boards")
            for path in ["/boards", "/boards.csv", "/alerts", "/alerts.csv", "/dossiers?code=D-1"] {
                let reply = try await client.web(.get, path, admin)
                #expect(reply.status == .ok, "\(path): \(reply.status)")
            }
            for path in ["/v1/boards", "/v1/alerts", "/v1/clerks", "/v1/counters", "/v1/units"] {
                let reply = try await client.send(.get, path, token: h.adminToken)
                #expect(reply.status == .ok, "\(path): \(reply.status) \(reply.text)")
            }
        }
    }

    @Test func everyRoleSeesItsPagesAndNothingElse() async throws {
        let h = try await Harness()
        try await h.app().test(.router) { client in
            _ = try await Self.city(client, h)
            let admin = try await client.signIn("admin", "admin-password")
            let city = try await client.signIn("city", "password-city")
            let ward = try await client.signIn("ward", "password-ward")
            let tech = try await client.signIn("tech", "password-tech")
            // Home: the account's own unit; technicians to the boards.
            #expect(try await client.web(.get, "/", admin).headers[.location] == "/units/hcm")
            #expect(try await client.web(.get, "/", city).headers[.location] == "/units/hcm")
            #expect(try await client.web(.get, "/", ward).headers[.location] == "/units/hcm.p1")
            #expect(try await client.web(.get, "/", tech).headers[.location] == "/boards")
            for session in [admin, city] {
                for path in Self.pages("hcm") + Self.pages("hcm.p2") {
                    let reply = try await client.web(.get, path, session)
                    #expect(reply.status == .ok, "\(path): \(reply.status)")
                }
            }
            for path in Self.pages("hcm.p1") {
                let reply = try await client.web(.get, path, ward)
                #expect(reply.status == .ok, "\(path)")
                #expect(!reply.text.contains(Self.secret), "ward 2's clerk on \(path)")
                #expect(!reply.text.contains("Phường Sài Gòn"), "ward 2 named on \(path)")
            }
            for path in Self.pages("hcm.p2") + Self.pages("hcm") where path.hasPrefix("/units/") {
                let reply = try await client.web(.get, path, ward)
                #expect(reply.status == .forbidden, "\(path): \(reply.status)")
                #expect(reply.headers[.contentType]?.hasPrefix("text/html") == true)
                #expect(!reply.text.contains(Self.secret))
            }
            // Asking for the other ward's boards or alerts by query is refused like the API.
            #expect(try await client.web(.get, "/boards?unit=hcm.p2", ward).status == .forbidden)
            #expect(try await client.web(.get, "/alerts?unit=hcm", ward).status == .forbidden)
            // A dossier of ward 2 does not exist for the ward 1 manager.
            let hidden = try await client.web(.get, "/dossiers?code=P2-0", ward)
            #expect(hidden.status == .ok)
            #expect(!hidden.text.contains("id=\"dossier\""))
            // Technicians: boards only.
            #expect(try await client.web(.get, "/boards", tech).status == .ok)
            for path in ["/units/hcm", "/units/hcm/clerks", "/alerts", "/dossiers?code=D-1", "/units/hcm/report.csv?by=unit"] {
                #expect(try await client.web(.get, path, tech).status == .forbidden, "\(path)")
            }
        }
    }

    @Test func theNumbersAreTheAPIs() async throws {
        let h = try await Harness()
        try await h.app().test(.router) { client in
            let city = try await Self.city(client, h)
            let ward = try await client.signIn("city", "password-city")
            for period in ["period=7d", "period=30d", "from=2026-11-23&to=2026-11-23", "period=today"] {
                let api = try await client.report(unit: "hcm", by: "unit", period, admin: city.admin)
                let overview = try await client.web(.get, "/units/hcm?\(period)", ward)
                #expect(overview.status == .ok)
                #expect(overview.dataValue("headline-n") == String(api.map(\.total).reduce(0, +)), "\(period)")
                let satisfied = api.map(\.satisfied).reduce(0, +), total = api.map(\.total).reduce(0, +)
                if total > 0 {
                    let rate = Double(overview.dataValue("headline-rate") ?? "") ?? -1
                    #expect(abs(rate - Double(satisfied) / Double(total)) < 0.0001)
                }
                // Each child row equals the API's report on that child.
                for child in ["hcm.p1", "hcm.p2"] {
                    let rows = try await client.report(unit: child, by: "unit", period, admin: city.admin)
                    let row = overview.row(key: child)
                    #expect(row?.total == rows.map(\.total).reduce(0, +), "\(child) \(period)")
                    #expect(row?.satisfied == rows.map(\.satisfied).reduce(0, +), "\(child) \(period)")
                }
                for (page, by) in [("clerks", "clerk"), ("counters", "counter")] {
                    let rows = try await client.report(unit: "hcm", by: by, period, admin: city.admin)
                    let html = try await client.web(.get, "/units/hcm/\(page)?\(period)", ward)
                    #expect(html.rows() == rows.map { .init(key: $0.key, total: $0.total, satisfied: $0.satisfied) }, "\(page) \(period)")
                    let csv = try await client.web(.get, "/units/hcm/report.csv?by=\(by)&\(period)", ward)
                    let apiCSV = try await client.send(.get, "/v1/reports/satisfaction?unit=hcm&by=\(by)&format=csv&\(period)", token: city.admin)
                    #expect(csv.text == apiCSV.text)
                    #expect(csv.bytes.starts(with: [0xEF, 0xBB, 0xBF]))
                }
            }
            // The heat map's cells are the API's hours folded onto the week.
            for period in ["period=7d", "from=2026-11-22&to=2026-11-23"] {
                let hours = try await client.report(unit: "hcm", by: "hour", period, admin: city.admin)
                var expected: [String: (Int64, Int64)] = [:]
                for row in hours {
                    let parts = row.key.split(separator: "T")
                    let day = try #require(CivilDate.parseDay(String(parts[0])))
                    let cell = "\(((day + 3) % 7 + 7) % 7)-\(parts[1])"
                    expected[cell, default: (0, 0)].0 += row.total
                    expected[cell, default: (0, 0)].1 += row.total - row.satisfied
                }
                let page = try await client.web(.get, "/units/hcm/heatmap?\(period)", ward)
                var shown: [String: (Int64, Int64)] = [:]
                let table = try #require(page.text.components(separatedBy: "<table id=\"heatmap-data\"").dropFirst().first)
                for line in table.components(separatedBy: "<tr><th scope=\"row\">").dropFirst() {
                    let hour = String(line.prefix(2))
                    for (weekday, cell) in line.components(separatedBy: "<td data-total=\"").dropFirst().enumerated() {
                        let total = Int64(cell.prefix { $0 != "\"" }) ?? -1
                        let bad = Int64(cell.components(separatedBy: "data-dissatisfied=\"")[1].prefix { $0 != "\"" }) ?? -1
                        if total > 0 { shown["\(weekday)-\(hour)"] = (total, bad) }
                    }
                }
                #expect(shown.mapValues { "\($0.0)/\($0.1)" } == expected.mapValues { "\($0.0)/\($0.1)" }, "\(period)")
                #expect(!shown.isEmpty)
            }
            // Ward 1 on the 23rd: x1 3,1 and a1 2,3,3 (the mismatch batch's rating): 3 of 5… by the API.
            let trend = try await client.web(.get, "/units/hcm.p1?from=2026-11-20&to=2026-11-23", ward)
            let days = try await client.report(unit: "hcm.p1", by: "day", "from=2026-11-20&to=2026-11-23", admin: city.admin)
            #expect(trend.rows(table: "trend-data") == days.map { .init(key: $0.key, total: $0.total, satisfied: $0.satisfied) })
        }
    }

    @Test func theAPITakesThePickersPeriods() async throws {
        let h = try await Harness()
        try await h.app().test(.router) { client in
            let city = try await Self.city(client, h)
            // The clock is 2026-11-23 12:00 in Hồ Chí Minh City.
            for (period, range) in [
                ("today", "from=2026-11-23&to=2026-11-23"), ("7d", "from=2026-11-17&to=2026-11-23"), ("30d", "from=2026-10-25&to=2026-11-23"),
                ("month", "from=2026-11-01&to=2026-11-23"), ("quarter", "from=2026-10-01&to=2026-11-23"), ("year", "from=2026-01-01&to=2026-11-23"),
            ] {
                for by in ["clerk", "day"] {
                    let named = try await client.send(.get, "/v1/reports/satisfaction?unit=hcm&by=\(by)&period=\(period)", token: city.admin)
                    let dated = try await client.send(.get, "/v1/reports/satisfaction?unit=hcm&by=\(by)&\(range)", token: city.admin)
                    #expect(named.status == .ok)
                    #expect(named.text == dated.text, "\(period) \(by)")
                }
            }
            let today = try await client.report(unit: "hcm", by: "day", "period=today", admin: city.admin)
            #expect(today.map(\.key) == ["2026-11-23"])
            let bad = try await client.send(.get, "/v1/reports/satisfaction?unit=hcm&period=fortnight", token: city.admin)
            #expect(bad.status == .badRequest)
            #expect((bad.json["message"] as? String)?.contains("period must be one of") == true)
        }
    }

    @Test func formsWithoutTheirTokenChangeNothing() async throws {
        let h = try await Harness()
        try await h.app().test(.router) { client in
            let city = try await Self.city(client, h)
            let ward = try await client.signIn("ward", "password-ward")
            let alertId = try #require(try await client.alerts(admin: city.admin).first?["id"] as? Int)
            for csrf in [nil, "0000", String(repeating: "a", count: 64)] {
                let ack = try await client.web(.post, "/alerts/\(alertId)/ack", ward, form: ["csrf": csrf, "comment": "x"])
                #expect(ack.status == .forbidden)
                #expect(try await client.alerts(admin: city.admin).first?["acknowledgedBy"] == nil)
                let out = try await client.web(.post, "/logout", ward, form: ["csrf": csrf])
                #expect(out.status == .forbidden)
                #expect(try await client.web(.get, "/units/hcm.p1", ward).status == .ok)
            }
            // A login form posted without the token its GET handed out.
            let login = try await client.web(.post, "/login", WebSession(cookies: [:], csrf: ""), form: ["username": "ward", "password": "password-ward"])
            #expect(login.status == .forbidden)
            #expect(login.headers[.setCookie]?.contains("hl_session") != true)
            // With the token: acknowledged, who and when recorded; a second time changes nothing.
            let ack = try await client.web(.post, "/alerts/\(alertId)/ack", ward, form: ["csrf": ward.csrf, "comment": "đã gọi kỹ thuật"])
            #expect(ack.status == .seeOther)
            let alert = try #require(try await client.alerts(admin: city.admin).first)
            #expect(alert["acknowledgedBy"] as? String == "ward")
            #expect(alert["acknowledgedAt"] as? String == "2026-11-23T05:00:00Z")
            #expect(alert["comment"] as? String == "đã gọi kỹ thuật")
            let page = try await client.web(.get, "/alerts", ward)
            #expect(page.text.contains("đã gọi kỹ thuật"))
            let again = try await client.web(.post, "/alerts/\(alertId)/ack", try await client.signIn("city", "password-city"), form: ["comment": "y"])
            #expect(again.status == .forbidden)
        }
    }

    @Test func sessionsExpireAndLogoutEndsThem() async throws {
        let h = try await Harness()
        try await h.app().test(.router) { client in
            _ = try await Self.city(client, h)
            let ward = try await client.signIn("ward", "password-ward")
            h.clock.advance(.seconds(7 * 3600))
            #expect(try await client.web(.get, "/units/hcm.p1", ward).status == .ok)  // used: idle time starts again
            h.clock.advance(.seconds(7 * 3600 + 3500))
            #expect(try await client.web(.get, "/units/hcm.p1", ward).status == .ok)
            h.clock.advance(.seconds(8 * 3600 + 1))
            let expired = try await client.web(.get, "/units/hcm.p1", ward)
            #expect(expired.status == .seeOther)
            #expect(expired.headers[.location]?.contains("expired=1") == true)
            #expect(try await h.store.webSession(idHash: ward.idHash) == nil)
            let again = try await client.signIn("ward", "password-ward")
            let out = try await client.web(.post, "/logout", again, form: ["csrf": again.csrf])
            #expect(out.status == .seeOther)
            #expect(out.headers[.setCookie]?.contains("Max-Age=0") == true)
            #expect(try await client.web(.get, "/units/hcm.p1", again).status == .seeOther)
            #expect(try await h.store.webSession(idHash: again.idHash) == nil)
        }
    }

    @Test func failedLoginsAreThrottledAndACookieIsNoAPIToken() async throws {
        let h = try await Harness()
        try await h.app().test(.router) { client in
            let city = try await Self.city(client, h)
            for _ in 0..<5 {
                let form = try await client.loginForm()
                let wrong = try await client.web(.post, "/login", form, form: ["csrf": form.csrf, "username": "ward", "password": "nope-nope"])
                #expect(wrong.status == .unauthorized)
                #expect(wrong.text.contains("Sai tên đăng nhập hoặc mật khẩu"))
            }
            let form = try await client.loginForm()
            let throttled = try await client.web(.post, "/login", form, form: ["csrf": form.csrf, "username": "ward", "password": "password-ward"])
            #expect(throttled.status == .tooManyRequests)
            #expect(Int(throttled.headers[.retryAfter] ?? "") ?? 0 > 0)
            // A session cookie authorises no API call, least of all ingest.
            let admin = try await client.signIn("admin", "admin-password")
            let ingest = try await client.execute(
                uri: "/v1/ingest", method: .post, headers: [.cookie: admin.cookieHeader, .contentType: "application/json"],
                body: ByteBuffer(bytes: try JSONEncoder().encode(batch(city.wardBoard, [rating(99, "2026-11-23T04:50:00Z", level: 3)])))
            ) { Reply(status: $0.status, headers: $0.headers, body: $0.body) }
            #expect(ingest.status == .unauthorized)
            let report = try await client.execute(uri: "/v1/reports/satisfaction?unit=hcm", method: .get, headers: [.cookie: admin.cookieHeader]) {
                Reply(status: $0.status, headers: $0.headers, body: $0.body)
            }
            #expect(report.status == .unauthorized)
        }
    }

    /// A unit with hundreds of clerks shows them a hundred to a page, ranked over all of them;
    /// following "next" visits every clerk once; a page number that is not one is a 400 page.
    @Test func aUnitWithHundredsOfClerksIsPaged() async throws {
        let h = try await Harness()
        try await h.app().test(.router) { client in
            let admin = h.adminToken
            try await client.unit("hcm", "Thành phố Hồ Chí Minh", parent: nil, zone: "Asia/Ho_Chi_Minh", admin: admin)
            let board = try await client.board(unit: "hcm", counter: "Quầy 1", admin: admin)
            let events = (1...250).map { i in
                rating(Int64(i), "2026-11-23T0\(i % 8):\(String(format: "%02d", i % 60)):00Z", level: 1 + i % 3, clerk: String(format: "K%03d", i))
            }
            let stored = try await client.send(.post, "/v1/ingest", token: board.token, json: batch(board, events))
            #expect(stored.status == .ok, "\(stored.text)")
            _ = try await client.account("city", role: "manager", unit: "hcm", admin: admin)
            let city = try await client.signIn("city", "password-city")

            var keys: [String] = []
            var texts: [String] = []
            var next: String? = "/units/hcm/clerks"
            while let path = next, texts.count < 10 {
                let page = try await client.web(.get, path, city)
                #expect(page.status == .ok, "\(path): \(page.status)")
                keys += page.rows(table: "ranking").map(\.key)
                if let range = page.text.range(of: "<nav class=\"pager\""), let end = page.text[range.upperBound...].range(of: "</nav>") {
                    texts.append(String(page.text[range.lowerBound..<end.upperBound]))
                }
                next = page.text.range(of: "rel=\"next\" href=\"").map { start in
                    String(page.text[start.upperBound...].prefix { $0 != "\"" }).replacingOccurrences(of: "&amp;", with: "&")
                }
            }
            #expect(texts.count == 3, "\(texts)")
            #expect(texts.first?.contains("Trang 1/3 · dòng 1–100 trong 250") == true, "\(texts)")
            #expect(texts.last?.contains("Trang 3/3 · dòng 201–250 trong 250") == true && texts.last?.contains("rel=\"next\"") == false)
            #expect(keys.count == 250 && Set(keys).count == 250, "\(keys.count) rows, \(Set(keys).count) distinct")
            #expect(Set(keys) == Set((1...250).map { String(format: "K%03d", $0) }))

            // Past the last page: the last; not a page number: a 400 page saying so.
            let past = try await client.web(.get, "/units/hcm/clerks?page=7", city)
            #expect(past.status == .ok && past.rows(table: "ranking").count == 50)
            for bad in ["abc", "0", "-2"] {
                let page = try await client.web(.get, "/units/hcm/clerks?page=\(bad)", city)
                #expect(page.status == .badRequest && page.text.contains("số trang phải là số nguyên ≥ 1"), "page=\(bad): \(page.status)")
            }
            // Fewer than a page: no pager.
            let counters = try await client.web(.get, "/units/hcm/counters", city)
            #expect(counters.status == .ok && !counters.text.contains("class=\"pager\""))
        }
    }

    @Test func hostileNamesAreTextInHTMLSVGAndCSV() async throws {
        let h = try await Harness()
        try await h.app().test(.router) { client in
            _ = try await Self.city(client, h)
            let ward = try await client.signIn("ward", "password-ward")
            let escaped = "&lt;script&gt;alert(1)&lt;/script&gt; Nguyễn Văn &quot;A&quot;"
            let clerks = try await client.web(.get, "/units/hcm.p1/clerks", ward)
            #expect(!clerks.text.contains("<script>alert(1)"))
            #expect(clerks.text.contains("<th scope=\"row\">\(escaped)</th>"))
            // The funnel plot's point titles (SVG) carry the name escaped too.
            let svg = try #require(clerks.text.range(of: "<svg id=\"funnel\"").map { String(clerks.text[$0.lowerBound...]) })
            #expect(svg.contains("<title>\(escaped):"))
            // One mark per ranked row (a circle, square or diamond), none for unranked ones.
            let ranked = clerks.rows().count - clerks.text.components(separatedBy: "<tr data-key=").dropFirst().filter { $0.contains("class=\"insufficient\"") }.count
            let marks = svg.components(separatedBy: "</svg>")[0].components(separatedBy: "class=\"point ").count - 1
            #expect(ranked > 0 && marks == ranked, "\(marks) marks for \(ranked) ranked rows")
            #expect(!svg.components(separatedBy: "</svg>")[0].contains("d=\"\""))
            let dossier = try await client.web(.get, "/dossiers?code=D-1", ward)
            #expect(dossier.text.contains("x1"))
            #expect(!dossier.text.contains("<script>alert(1)"))
            let csv = try await client.web(.get, "/units/hcm.p1/report.csv?by=clerk", ward)
            #expect(csv.text.contains("\"<script>alert(1)</script> Nguyễn Văn \"\"A\"\"\""))
            #expect(clerks.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true)
        }
    }

    @Test func languageVietnameseFirstEnglishRemembered() async throws {
        let h = try await Harness()
        try await h.app().test(.router) { client in
            _ = try await Self.city(client, h)
            var ward = try await client.signIn("ward", "password-ward")
            let vi = try await client.web(.get, "/units/hcm.p1?from=2026-11-22&to=2026-11-23", ward)
            #expect(vi.text.contains("<html lang=\"vi\">"))
            #expect(vi.text.contains("Tỉ lệ hài lòng"))
            #expect(vi.text.contains("22/11/2026 – 23/11/2026"))
            #expect(vi.text.contains("%</data>"))
            let en = try await client.web(.get, "/units/hcm.p1?lang=en", ward)
            #expect(en.text.contains("<html lang=\"en\">"))
            #expect(en.text.contains("Satisfaction rate"))
            let cookie = try #require(en.headers[.setCookie]?.split(separator: ";").first.map(String.init))
            let pair = cookie.split(separator: "=", maxSplits: 1).map(String.init)
            ward.cookies[pair[0]] = pair[1]
            let still = try await client.web(.get, "/units/hcm.p1/clerks", ward)
            #expect(still.text.contains("<html lang=\"en\">"))
        }
    }

    @Test func cookiesAreSecureBehindATrustedHTTPSProxyOnly() async throws {
        var proxied = try await Harness()
        proxied.config.trustedProxies = ["local"]  // router tests have no peer address
        let h = proxied
        try await h.app().test(.router) { client in
            _ = try await Self.city(client, h)
            for (proto, secure) in [("https", true), ("http", false)] {
                let form = try await client.loginForm()
                var headers: HTTPFields = [.cookie: form.cookieHeader, .contentType: "application/x-www-form-urlencoded"]
                headers[HTTPField.Name("X-Forwarded-Proto")!] = proto
                let reply = try await client.execute(
                    uri: "/login", method: .post, headers: headers,
                    body: ByteBuffer(string: "username=ward&password=password-ward&csrf=\(form.csrf)")
                ) { Reply(status: $0.status, headers: $0.headers, body: $0.body) }
                #expect(reply.status == .seeOther)
                let session = reply.headers[values: .setCookie].first { $0.hasPrefix("hl_session=") } ?? ""
                #expect(session.contains("HttpOnly") && session.contains("SameSite=Strict") && session.contains("Path=/"))
                #expect(session.contains("Secure") == secure, "\(proto): \(session)")
            }
        }
    }

    @Test func theOverviewFollowsNewRatings() async throws {
        let h = try await Harness()
        try await h.app().test(.router) { client in
            let city = try await Self.city(client, h)
            let ward = try await client.signIn("ward", "password-ward")
            let first = try await client.web(.get, "/units/hcm.p1/live", ward)
            let before = try #require(first.json["total"] as? Int)
            let tag = try #require(first.headers[.eTag])
            var headers: HTTPFields = [.cookie: ward.cookieHeader, .ifNoneMatch: tag]
            let unchanged = try await client.execute(uri: "/units/hcm.p1/live", method: .get, headers: headers) { $0.status }
            #expect(unchanged == .notModified)
            _ = try await client.send(
                .post, "/v1/ingest", token: city.wardBoard.token,
                json: batch(city.wardBoard, [rating(9, "2026-11-23T04:55:00Z", level: 3, clerk: "a1")]))
            headers[.ifNoneMatch] = tag
            let after = try await client.execute(uri: "/units/hcm.p1/live", method: .get, headers: headers) {
                Reply(status: $0.status, headers: $0.headers, body: $0.body)
            }
            #expect(after.status == .ok)
            #expect(after.json["total"] as? Int == before + 1)
        }
    }
}

// MARK: - A browser's part: cookies, forms, reading the pages' data attributes

struct WebSession {
    var cookies: [String: String]
    var csrf: String
    var cookieHeader: String { cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
    var idHash: String {
        // The store keeps the SHA-256 of the cookie; the test recomputes it the same way.
        sha256Hex(cookies["hl_session"] ?? "")
    }
}

struct PageRow: Equatable, CustomStringConvertible {
    var key: String
    var total: Int64
    var satisfied: Int64
    var description: String { "\(key): \(satisfied)/\(total)" }
}

extension Reply {
    /// `<data id="ID" value="…">`'s value.
    func dataValue(_ id: String) -> String? {
        guard let range = text.range(of: "id=\"\(id)\" value=\"") else { return nil }
        return String(text[range.upperBound...].prefix { $0 != "\"" })
    }

    /// The `data-key/data-total/data-satisfied` rows of a table (the first table by default).
    func rows(table: String? = nil) -> [PageRow] {
        var body = Substring(text)
        if let table, let start = text.range(of: "<table id=\"\(table)\"") { body = text[start.lowerBound...] }
        if let end = body.range(of: "</table>") { body = body[..<end.lowerBound] }
        var rows: [PageRow] = []
        var rest = body
        while let start = rest.range(of: "<tr data-key=\"") {
            rest = rest[start.upperBound...]
            let key = String(rest.prefix { $0 != "\"" })
            func attribute(_ name: String) -> Int64 {
                guard let r = rest.range(of: "\(name)=\"") else { return -1 }
                return Int64(rest[r.upperBound...].prefix { $0 != "\"" }) ?? -1
            }
            rows.append(PageRow(key: key.replacingOccurrences(of: "&quot;", with: "\""), total: attribute("data-total"), satisfied: attribute("data-satisfied")))
        }
        return rows
    }

    func row(key: String) -> PageRow? { rows(table: "children").first { $0.key == key } }
}

extension TestClientProtocol {
    func web(_ method: HTTPRequest.Method, _ uri: String, _ session: WebSession? = nil, form: [String: String?]? = nil) async throws -> Reply {
        var headers: HTTPFields = [:]
        if let session, !session.cookies.isEmpty { headers[.cookie] = session.cookieHeader }
        var body: ByteBuffer?
        if let form {
            headers[.contentType] = "application/x-www-form-urlencoded"
            let encoded = form.compactMap { key, value in
                value.map { "\(key)=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
            }
            body = ByteBuffer(string: encoded.joined(separator: "&"))
        }
        return try await execute(uri: uri, method: method, headers: headers, body: body) { Reply(status: $0.status, headers: $0.headers, body: $0.body) }
    }

    /// `GET /login`: its cookie and form token.
    func loginForm() async throws -> WebSession {
        let reply = try await web(.get, "/login")
        var cookies: [String: String] = [:]
        for header in reply.headers[values: .setCookie] {
            let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1).map(String.init)
            if pair.count == 2 { cookies[pair[0]] = pair[1] }
        }
        guard let range = reply.text.range(of: "name=\"csrf\" value=\"") else { throw TestFailure("no csrf field") }
        return WebSession(cookies: cookies, csrf: String(reply.text[range.upperBound...].prefix { $0 != "\"" }))
    }

    /// Signs in through the form, as a browser does; the session's CSRF token from a page.
    func signIn(_ username: String, _ password: String) async throws -> WebSession {
        let form = try await loginForm()
        let reply = try await web(.post, "/login", form, form: ["csrf": form.csrf, "username": username, "password": password])
        guard reply.status == .seeOther else { throw TestFailure("sign-in \(username): \(reply.status) \(reply.text)") }
        var session = WebSession(cookies: [:], csrf: "")
        for header in reply.headers[values: .setCookie] {
            let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1).map(String.init)
            if pair.count == 2, pair[0] == "hl_session" { session.cookies["hl_session"] = pair[1] }
        }
        let page = try await web(.get, "/boards", session)
        guard let range = page.text.range(of: "name=\"csrf\" value=\"") else { throw TestFailure("no csrf on a page: \(page.status)") }
        session.csrf = String(page.text[range.upperBound...].prefix { $0 != "\"" })
        return session
    }

    func report(unit: String, by: String, _ query: String, admin: String) async throws -> [ReportRow] {
        let reply = try await send(.get, "/v1/reports/satisfaction?unit=\(unit)&by=\(by)&\(query)", token: admin)
        return try reply.decode(ReportBodyRows.self).rows
    }

    func alerts(admin: String) async throws -> [[String: Any]] {
        try await send(.get, "/v1/alerts", token: admin).json["alerts"] as? [[String: Any]] ?? []
    }
}

func sha256Hex(_ text: String) -> String {
    SHA256.hash(data: Array(text.utf8)).map { String(format: "%02x", $0) }.joined()
}

struct ClerkBody: Encodable { var code: String; var name: String; var unit: String }
struct ReportBodyRows: Decodable { var rows: [ReportRow] }
