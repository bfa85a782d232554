import Foundation
import HailongDomain
import HailongServer
import HummingbirdTesting
import Testing

/// A small data set across a 3-level tree (city → district → two wards) and two time zones:
/// ward p1 lives in Asia/Ho_Chi_Minh (+07), ward p2 in Asia/Tokyo (+09).
///
/// Board b1 (p1, +07):                         local time        level  clerk
///   1  2026-11-22T16:30Z rating               Nov 22 23:30      3      NV01
///   2  2026-11-22T17:00Z rating               Nov 23 00:00      1      NV01   ← day boundary
///   3  2026-11-23T02:00Z rating (dossier D1)  Nov 23 09:00      2      NV01
///   4  2026-11-23T02:00Z session D1 rated     Nov 23 09:00
///   5  2026-11-23T03:00Z session D2 unrated   Nov 23 10:00
/// Board b2 (p2, +09):
///   1  2026-11-22T14:59Z rating               Nov 22 23:59      3      NV02
///   2  2026-11-22T15:00Z rating               Nov 23 00:00      2      NV02   ← day boundary
///   3  2026-11-22T16:30Z rating               Nov 23 01:30      1      NV02   (Nov 22 in +07!)
///   4  2026-11-23T01:00Z rating               Nov 23 10:00      3      NV02
@Suite struct ReportTests {
    struct Fixture {
        var manager1: String
        var manager2: String
        var technician: String
    }

    private func load(_ client: some TestClientProtocol, _ h: Harness) async throws -> Fixture {
        let admin = h.adminToken
        try await client.unit("hcm", "TP. Hồ Chí Minh", parent: nil, admin: admin)
        try await client.unit("q1", "Quận 1", parent: "hcm", admin: admin)
        try await client.unit("p1", "Phường Bến Nghé", parent: "q1", admin: admin)
        try await client.unit("p2", "Phường Tokyo", parent: "q1", zone: "Asia/Tokyo", admin: admin)
        // Clerk names arrive decomposed (NFD) and with a comma; stored NFC.
        let csv = "code,name,unit\r\nNV01,\("Nguyễn Thị Ánh".decomposedStringWithCanonicalMapping),p1\r\nNV02,\"Trần Văn, Bình\",p2\r\n"
        let imported = try await client.sendRaw(.post, "/v1/clerks/import", token: admin, body: csv, contentType: "text/csv")
        #expect(imported.status == .ok, "\(imported.text)")
        let b1 = try await client.board(unit: "p1", counter: "Quầy 1", admin: admin)
        let b2 = try await client.board(unit: "p2", counter: "Quầy A", admin: admin)
        let r1 = try await client.send(
            .post, "/v1/ingest", token: b1.token,
            json: batch(
                b1,
                [
                    rating(1, "2026-11-22T16:30:00Z", level: 3, clerk: "NV01"),
                    rating(2, "2026-11-22T17:00:00Z", level: 1, clerk: "NV01"),
                    rating(3, "2026-11-23T02:00:00Z", level: 2, clerk: "NV01", dossier: "D1"),
                    session(4, "2026-11-23T02:00:00Z", .rated, dossier: "D1", clerk: "NV01"),
                    session(5, "2026-11-23T03:00:00Z", .unrated, dossier: "D2", clerk: "NV01"),
                ]))
        #expect(r1.status == .ok, "\(r1.text)")
        let r2 = try await client.send(
            .post, "/v1/ingest", token: b2.token,
            json: batch(
                b2,
                [
                    rating(1, "2026-11-22T14:59:00Z", level: 3, clerk: "NV02"),
                    rating(2, "2026-11-22T15:00:00Z", level: 2, clerk: "NV02"),
                    rating(3, "2026-11-22T16:30:00Z", level: 1, clerk: "NV02"),
                    rating(4, "2026-11-23T01:00:00Z", level: 3, clerk: "NV02"),
                ]))
        #expect(r2.status == .ok, "\(r2.text)")
        return Fixture(
            manager1: try await client.account("man1", role: "manager", unit: "p1", admin: admin),
            manager2: try await client.account("manq1", role: "manager", unit: "q1", admin: admin),
            technician: try await client.account("tech", role: "technician", unit: nil, admin: admin))
    }

    private func rows(_ client: some TestClientProtocol, _ query: String, token: String) async throws -> [String: ReportRow] {
        let reply = try await client.send(.get, "/v1/reports/satisfaction?\(query)", token: token)
        #expect(reply.status == .ok, "\(reply.text)")
        return Dictionary(uniqueKeysWithValues: try reply.decode(Report.self).rows.map { ($0.key, $0) })
    }

    @Test func byDaySplitsAtLocalMidnightInEachUnitsZone() async throws {
        let h = try await Harness(minN: 3)
        try await h.app().test(.router) { client in
            _ = try await load(client, h)
            let days = try await rows(client, "unit=hcm&from=2026-11-22&to=2026-11-23&by=day", token: h.adminToken)
            #expect(days.count == 2)
            // Nov 22: b1#1 (3), b2#1 (3)
            #expect(days["2026-11-22"]?.levels == ["3": 2])
            #expect(days["2026-11-22"]?.total == 2)
            #expect(days["2026-11-22"]?.satisfied == 2)
            #expect(days["2026-11-22"]?.insufficient == true)
            #expect(days["2026-11-22"]?.responseRate == nil)
            // Nov 23: b1#2 (1), b1#3 (2), b2#2 (2), b2#3 (1), b2#4 (3); sessions 1 rated, 1 unrated
            let d23 = try #require(days["2026-11-23"])
            #expect(d23.levels == ["1": 2, "2": 2, "3": 1])
            #expect(d23.total == 5)
            #expect(d23.satisfied == 3)
            #expect(d23.rate == 0.6)
            #expect(d23.responseRate == 0.5)
            #expect(d23.insufficient == false)
            // Only Nov 22: the 00:00 +07 rating of b1 is not in it.
            let only22 = try await rows(client, "unit=hcm&from=2026-11-22&to=2026-11-22&by=day", token: h.adminToken)
            #expect(only22["2026-11-22"]?.total == 2)
            #expect(only22.count == 1)
        }
    }

    @Test func byUnitClerkCounterMonthWeekAndHour() async throws {
        let h = try await Harness(minN: 4)
        try await h.app().test(.router) { client in
            _ = try await load(client, h)
            let units = try await rows(client, "unit=hcm&from=2026-11-01&to=2026-11-30&by=unit", token: h.adminToken)
            #expect(units.keys.sorted() == ["p1", "p2"])
            #expect(units["p1"]?.levels == ["3": 1, "2": 1, "1": 1])
            #expect(units["p1"]?.total == 3)
            #expect(units["p1"]?.insufficient == true)  // 3 < min_n 4
            #expect(units["p1"]?.label == "Phường Bến Nghé")
            #expect(units["p2"]?.total == 4)
            #expect(units["p2"]?.satisfied == 3)
            #expect(units["p2"]?.insufficient == false)
            // Wilson 3/4: 0.3006 … 0.9544
            #expect(abs((units["p2"]?.wilsonLow ?? 0) - 0.30064) < 1e-4)
            #expect(abs((units["p2"]?.wilsonHigh ?? 0) - 0.95440) < 1e-4)

            let clerks = try await rows(client, "unit=q1&from=2026-11-01&to=2026-11-30&by=clerk", token: h.adminToken)
            #expect(clerks["NV01"]?.label == "Nguyễn Thị Ánh")
            #expect(clerks["NV01"]?.total == 3)
            #expect(clerks["NV01"]?.responseRate == 0.5)
            #expect(clerks["NV02"]?.label == "Trần Văn, Bình")
            #expect(clerks["NV02"]?.satisfied == 3)

            let counters = try await rows(client, "unit=p2&from=2026-11-01&to=2026-11-30&by=counter", token: h.adminToken)
            #expect(counters.count == 1)
            #expect(counters.values.first?.label == "Phường Tokyo — Quầy A")

            let months = try await rows(client, "unit=hcm&from=2026-11-01&to=2026-12-31&by=month", token: h.adminToken)
            #expect(months["2026-11"]?.total == 7)
            let weeks = try await rows(client, "unit=hcm&from=2026-11-01&to=2026-11-30&by=week", token: h.adminToken)
            // Sun Nov 22 is in ISO week 47, Mon Nov 23 starts week 48.
            #expect(weeks["2026-W47"]?.total == 2)
            #expect(weeks["2026-W48"]?.total == 5)

            let hours = try await rows(client, "unit=p1&from=2026-11-23&to=2026-11-23&by=hour", token: h.adminToken)
            #expect(hours.keys.sorted() == ["2026-11-23T00", "2026-11-23T09", "2026-11-23T10"])
            #expect(hours["2026-11-23T00"]?.levels == ["1": 1])
            #expect(hours["2026-11-23T09"]?.responseRate == 1)
            #expect(hours["2026-11-23T10"]?.total == 0)
            #expect(hours["2026-11-23T10"]?.responseRate == 0)
            #expect(hours["2026-11-23T10"]?.rate == nil)
            let tokyoHours = try await rows(client, "unit=p2&from=2026-11-23&to=2026-11-23&by=hour", token: h.adminToken)
            #expect(tokyoHours.keys.sorted() == ["2026-11-23T00", "2026-11-23T01", "2026-11-23T10"])
        }
    }

    @Test func yearSpanningRangeUsesMonthRollupsCorrectly() async throws {
        let h = try await Harness(minN: 1)
        try await h.app().test(.router) { client in
            _ = try await load(client, h)
            // Whole months plus partial edges give the same answer as the exact days.
            let wide = try await rows(client, "unit=hcm&from=2026-01-15&to=2027-02-03&by=unit", token: h.adminToken)
            #expect(wide["p1"]?.total == 3)
            #expect(wide["p2"]?.total == 4)
            let withYear = try await rows(client, "unit=hcm&from=2025-12-15&to=2027-01-10&by=clerk", token: h.adminToken)
            #expect(withYear["NV01"]?.total == 3)
            #expect(withYear["NV02"]?.total == 4)
            let calendarYear = try await rows(client, "unit=q1&from=2026-01-01&to=2026-12-31&by=counter", token: h.adminToken)
            #expect(calendarYear.values.map(\.total).sorted() == [3, 4])
            // Most of November: read as the month minus Nov 23–30, which holds most of the data.
            let untilThe22nd = try await rows(client, "unit=hcm&from=2026-11-01&to=2026-11-22&by=unit", token: h.adminToken)
            #expect(untilThe22nd["p1"]?.levels == ["3": 1])
            #expect(untilThe22nd["p2"]?.levels == ["3": 1])
            #expect(untilThe22nd["p1"]?.responseRate == nil)
            let fromThe2nd = try await rows(client, "unit=hcm&from=2026-11-02&to=2026-11-30&by=clerk", token: h.adminToken)
            #expect(fromThe2nd["NV01"]?.total == 3)
            #expect(fromThe2nd["NV01"]?.responseRate == 0.5)
            let nothing = try await rows(client, "unit=hcm&from=2026-11-01&to=2026-11-21&by=clerk", token: h.adminToken)
            #expect(nothing.isEmpty)
            let edge = try await rows(client, "unit=hcm&from=2026-11-23&to=2027-02-03&by=clerk", token: h.adminToken)
            #expect(edge["NV01"]?.total == 2)
            #expect(edge["NV02"]?.total == 3)
        }
    }

    @Test func csvIsUTF8WithBOMQuotedAndNFC() async throws {
        let h = try await Harness(minN: 3)
        try await h.app().test(.router) { client in
            _ = try await load(client, h)
            let reply = try await client.send(.get, "/v1/reports/satisfaction?unit=hcm&from=2026-11-01&to=2026-11-30&by=clerk&format=csv", token: h.adminToken)
            #expect(reply.status == .ok)
            #expect(reply.headers[.contentType] == "text/csv; charset=utf-8")
            let bytes = reply.bytes
            #expect(Array(bytes.prefix(3)) == [0xEF, 0xBB, 0xBF])
            let text = String(decoding: bytes.dropFirst(3), as: UTF8.self)
            let lines = text.components(separatedBy: "\r\n")
            #expect(lines[0] == "key,label,level_3,level_2,level_1,total,satisfied,rate,wilson_low,wilson_high,response_rate,insufficient")
            // NFC bytes of "Nguyễn Thị Ánh": ễ is U+1EC5 (E1 BB 85), Á is U+00C1 (C3 81).
            let nfc = Array("NV01,Nguy\u{1EC5}n Th\u{1ECB} \u{00C1}nh,".utf8)
            #expect(bytes.firstRange(of: nfc) != nil)
            #expect(lines.contains { $0.hasPrefix("NV02,\"Trần Văn, Bình\",2,1,1,4,3,0.7500,") })
            #expect(lines.contains { $0.hasPrefix("NV01,Nguyễn Thị Ánh,1,1,1,3,2,0.6667,") && $0.hasSuffix(",0.5000,false") })
        }
    }

    @Test func managersReadOnlyTheirSubtree() async throws {
        let h = try await Harness(minN: 3)
        try await h.app().test(.router) { client in
            let f = try await load(client, h)
            let own = try await client.send(.get, "/v1/reports/satisfaction?unit=p1&from=2026-11-01&to=2026-11-30", token: f.manager1)
            #expect(own.status == .ok)
            let defaultUnit = try await rows(client, "from=2026-11-01&to=2026-11-30", token: f.manager1)
            #expect(defaultUnit.keys.sorted() == ["p1"])
            let other = try await client.send(.get, "/v1/reports/satisfaction?unit=p2&from=2026-11-01&to=2026-11-30", token: f.manager1)
            #expect(other.status == .forbidden)
            let parent = try await client.send(.get, "/v1/reports/satisfaction?unit=q1", token: f.manager1)
            #expect(parent.status == .forbidden)
            let district = try await client.send(.get, "/v1/reports/satisfaction?unit=p2&from=2026-11-01&to=2026-11-30", token: f.manager2)
            #expect(district.status == .ok)
            let technician = try await client.send(.get, "/v1/reports/satisfaction?unit=p1", token: f.technician)
            #expect(technician.status == .forbidden)
            let anonymous = try await client.send(.get, "/v1/reports/satisfaction?unit=p1")
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.headers[.wwwAuthenticate] == "Bearer")
            let forged = try await client.send(.get, "/v1/reports/satisfaction?unit=p1", token: "hla_0000")
            #expect(forged.status == .unauthorized)
            // Dossier D1 was served in p1: visible to p1's manager, not to the technician's role.
            #expect(try await client.send(.get, "/v1/dossiers/D1", token: f.manager1).status == .ok)
            #expect(try await client.send(.get, "/v1/boards?unit=p2", token: f.manager1).status == .forbidden)
            // Units: a manager sees their subtree.
            let units = try await client.send(.get, "/v1/units", token: f.manager2)
            #expect((units.json["units"] as? [[String: Any]])?.compactMap { $0["code"] as? String }.sorted() == ["p1", "p2", "q1"])
        }
    }

    @Test func badParametersAreExplained() async throws {
        let h = try await Harness()
        try await h.app().test(.router) { client in
            try await client.unit("hcm", "TP. Hồ Chí Minh", parent: nil, admin: h.adminToken)
            let by = try await client.send(.get, "/v1/reports/satisfaction?unit=hcm&by=year", token: h.adminToken)
            #expect(by.status == .badRequest)
            #expect((by.json["message"] as? String)?.contains("by must be one of") == true)
            let date = try await client.send(.get, "/v1/reports/satisfaction?unit=hcm&from=2026-02-30", token: h.adminToken)
            #expect(date.status == .badRequest)
            let unknown = try await client.send(.get, "/v1/reports/satisfaction?unit=nowhere", token: h.adminToken)
            #expect(unknown.status == .notFound)
        }
    }
}

@Suite struct ClerkImportTests {
    @Test func badRowsAreReportedByLineAndNothingIsImported() async throws {
        let h = try await Harness()
        try await h.app().test(.router) { client in
            try await client.unit("hcm", "TP. Hồ Chí Minh", parent: nil, admin: h.adminToken)
            let csv = "code,name,unit\nNV01,Nguyễn Văn A,hcm\nNV02,,hcm\nNV03,\"Lê, Thị\",nowhere\nNV01,Trùng,hcm\n"
            let reply = try await client.sendRaw(.post, "/v1/clerks/import", token: h.adminToken, body: csv, contentType: "text/csv")
            #expect(reply.status == .unprocessableContent)
            let problems = reply.json["problems"] as? [[String: Any]] ?? []
            #expect(problems.compactMap { $0["line"] as? Int } == [3, 4, 5])
            let list = try await client.send(.get, "/v1/clerks", token: h.adminToken)
            #expect((list.json["clerks"] as? [Any])?.isEmpty == true)
        }
    }
}

@Suite struct WilsonTests {
    @Test func knownValues() {
        // Reference values (Wilson 1927; e.g. R's prop.test without continuity correction).
        let cases: [(Int64, Int64, Double, Double)] = [
            (8, 10, 0.49016, 0.94331),
            (0, 10, 0.0, 0.27753),
            (10, 10, 0.72247, 1.0),
            (50, 100, 0.40383, 0.59617),
            (1, 1, 0.20654, 1.0),
        ]
        for (s, n, low, high) in cases {
            let interval = WilsonInterval(successes: s, total: n)
            #expect(abs(interval.low - low) < 1e-4, "\(s)/\(n) low \(interval.low)")
            #expect(abs(interval.high - high) < 1e-4, "\(s)/\(n) high \(interval.high)")
        }
        let empty = ReportRow(key: "k", label: "k", levels: [:], satisfied: 0, rated: 0, unrated: 0, minimumN: 20)
        #expect(empty.rate == nil && empty.wilsonLow == nil && empty.insufficient)
    }
}
