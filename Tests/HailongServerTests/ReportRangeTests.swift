import Foundation
import GRDB
import HailongDomain
@testable import HailongServer
import HailongTestSupport
import HummingbirdTesting
import Testing

/// Reports over random ranges, by every dimension, equal a GROUP BY over the raw events, bucketed
/// by each unit's own local day: two boards in +07 (Asia/Ho_Chi_Minh) and +05:30 (Asia/Kolkata),
/// two years of events sent out of order, many near local midnight, and some filed by arrival
/// (a clock not synchronised, or a time after the arrival) over several days of arrivals.
@Suite struct ReportAgainstRawEventsTests {
    private static let zones = ["Asia/Ho_Chi_Minh": Int64(7 * 3600), "Asia/Kolkata": Int64(5 * 3600 + 1800)]

    @Test func reportsMatchGroupByOverRawEventsForRandomRanges() async throws {
        let h = try await Harness(minN: 1)
        try await h.app().test(.router) { client in
            var random = SplitMix64(seed: 7)
            try await client.unit("root", "Root", parent: nil, admin: h.adminToken)
            try await client.unit("vn", "Việt Nam", parent: "root", zone: "Asia/Ho_Chi_Minh", admin: h.adminToken)
            try await client.unit("in", "India", parent: "root", zone: "Asia/Kolkata", admin: h.adminToken)
            let boards = [
                try await client.board(unit: "vn", counter: "Quầy 1", admin: h.adminToken),
                try await client.board(unit: "in", counter: "Desk 1", admin: h.adminToken),
            ]
            let start = try #require(WallTime(rfc3339: "2025-01-01T00:00:00Z")).microseconds
            let span: Int64 = 2 * 366 * 86_400 * 1_000_000
            var allEvents: [(Enrolled, [WireEvent])] = []
            for board in boards {
                var events: [WireEvent] = []
                for seq in Int64(1)...900 {
                    // Whole minutes, and many near local midnight, where the zones disagree on the day.
                    var at = start + Int64.random(in: 0..<span, using: &random) / 60_000_000 * 60_000_000
                    if seq % 3 == 0 { at = at / 86_400_000_000 * 86_400_000_000 - 19_800_000_000 + Int64.random(in: -4...2, using: &random) * 1_800_000_000 }
                    let time = WallTime(microseconds: at).rfc3339
                    let clerk = ["NV01", "NV02", "NV03"][Int.random(in: 0..<3, using: &random)]
                    if seq % 5 == 0 {
                        events.append(session(seq, time, Bool.random(using: &random) ? .rated : .unrated, dossier: "D\(seq)", clerk: clerk))
                    } else {
                        var event = rating(seq, time, level: Int.random(in: 1...3, using: &random), clerk: seq % 7 == 0 ? nil : clerk)
                        // A clock not synchronised: filed by arrival.
                        if seq % 11 == 0 { event.clockSynced = false }
                        events.append(event)
                    }
                }
                allEvents.append((board, events))
            }
            // Arrivals 7 h 23 min apart from 2026-11-23 05:00 UTC: the events filed by arrival land on
            // several local days, some near midnight in one zone and not the other.
            for chunk in stride(from: 0, to: 900, by: 100) {
                for (board, events) in allEvents {
                    let reply = try await client.send(.post, "/v1/ingest", token: board.token, json: batch(board, Array(events[chunk..<chunk + 100])))
                    #expect(reply.status == .ok, "\(reply.text)")
                }
                h.clock.advance(.seconds(7 * 3600 + 23 * 60))
            }
            var ranges: [(Int64, Int64)] = [
                (CivilDate.toDays(year: 2026, month: 1, day: 1), CivilDate.toDays(year: 2026, month: 12, day: 31)),
                (CivilDate.toDays(year: 2025, month: 12, day: 24), CivilDate.toDays(year: 2026, month: 12, day: 23)),
                // The days of the arrivals, and ranges ending there or after the last day filed.
                (CivilDate.toDays(year: 2026, month: 11, day: 23), CivilDate.toDays(year: 2026, month: 11, day: 26)),
                (CivilDate.toDays(year: 2026, month: 11, day: 24), CivilDate.toDays(year: 2027, month: 3, day: 1)),
                (CivilDate.toDays(year: 2027, month: 1, day: 1), CivilDate.toDays(year: 2027, month: 1, day: 31)),
                (CivilDate.toDays(year: 2024, month: 1, day: 1), CivilDate.toDays(year: 2024, month: 12, day: 31)),
            ]
            let firstDay = CivilDate.toDays(year: 2024, month: 12, day: 20)
            for _ in 0..<60 {
                let from = firstDay + Int64.random(in: 0..<760, using: &random)
                ranges.append((from, from + Int64.random(in: 0..<(Bool.random(using: &random) ? 45 : 400), using: &random)))
            }
            for (index, (from, to)) in ranges.enumerated() {
                // Half by clerk (the benchmark's report), the others by every other dimension.
                let by = ["clerk", "unit", "clerk", "counter", "clerk", "day", "clerk", "week", "clerk", "month", "clerk", "hour"][index % 12]
                let query = "unit=root&from=\(SatisfactionReport.dayKey(from))&to=\(SatisfactionReport.dayKey(to))&by=\(by)"
                let reply = try await client.send(.get, "/v1/reports/satisfaction?\(query)", token: h.adminToken)
                #expect(reply.status == .ok)
                let rows = Dictionary(uniqueKeysWithValues: try reply.decode(Report.self).rows.map { ($0.key, $0) })
                let expected = try await Self.groupBy(h.store, by: by, fromDay: from, toDay: to)
                if index < 4 { #expect(!expected.isEmpty, "\(query)") }
                if index == 4 { #expect(expected.isEmpty && rows.isEmpty, "\(query)") }
                #expect(Set(rows.keys) == Set(expected.keys), "\(query)")
                for (clerk, want) in expected {
                    let row = rows[clerk]
                    #expect(row?.levels == want.levels, "\(query) \(by) \(clerk)")
                    #expect(row?.total == want.levels.values.reduce(0, +), "\(query) \(by) \(clerk)")
                    let sessions = want.rated + want.unrated
                    #expect(row?.responseRate == (sessions > 0 ? Double(want.rated) / Double(sessions) : nil), "\(query) \(by) \(clerk)")
                }
            }
            // What ingest kept, batch by batch and out of order, is what a rebuild from the day
            // rollups makes.
            // (SQLite's own: the rebuild is its migration's.)
            guard let sqlite = h.store as? SQLiteStore else { return }
            func runningRows() async throws -> [String] {
                try await sqlite.writer.read { db in
                    try Row.fetchAll(
                        db,
                        sql: """
                            SELECT r.kind, r.unit_id, r.day, s.counter_id, s.clerk, s.scale, s.first_day, r.level1, r.level2, r.level3,
                                r.rated, r.unrated FROM running_day r JOIN report_series s ON s.id = r.series_id
                            ORDER BY r.kind, r.unit_id, s.counter_id, s.clerk, s.scale, r.day
                            """
                    ).map { row in (0..<12).map { "\(row[$0] as DatabaseValue)" }.joined(separator: " ") }
                }
            }
            let kept = try await runningRows()
            try await sqlite.writer.write { db in try SQLiteStore.rebuildRunningTotals(db) }
            let rebuilt = try await runningRows()
            #expect(kept.count > 1000)
            #expect(kept == rebuilt)
        }
    }

    /// Reports keep what they know of the series in memory; a series, clerk or unit made after a
    /// report was read, by this server or by another writer of the same database (the CLI's
    /// offline commands, another server), is in the next report.
    @Test func aSeriesOrClerkMadeAfterAReportIsInTheNextOne() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hailong-catalog-\(UUID().uuidString).db").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let store = try SQLiteStore(path: path)
        let clock = TestClock()
        var config = ServerConfig()
        config.path = path
        config.minN = 1
        config.bcryptCost = 4
        let admin = try await createAccount(store: store, username: "admin", password: "admin-password", role: .admin, unit: nil, bcryptCost: 4, now: clock.now()).1
        try await buildApplication(config, store: store, now: { clock.now() }).test(.router) { client in
            try await client.unit("root", "Gốc", parent: nil, admin: admin)
            let board = try await client.board(unit: "root", counter: "Quầy 1", admin: admin)
            func report() async throws -> [String: (String, Int64)] {
                let reply = try await client.send(.get, "/v1/reports/satisfaction?unit=root&from=2026-11-01&to=2026-11-30&by=clerk", token: admin)
                #expect(reply.status == .ok, "\(reply.text)")
                return Dictionary(uniqueKeysWithValues: try reply.decode(Report.self).rows.map { ($0.key, ($0.label, $0.total)) })
            }
            #expect(try await report().isEmpty)
            #expect(try await client.send(.post, "/v1/ingest", token: board.token, json: batch(board, [rating(1, "2026-11-23T02:00:00Z", level: 3, clerk: "NV01")])).status == .ok)
            #expect(try await report().mapValues(\.1) == ["NV01": 1])
            // A new clerk at the same counter: a new series, made by this server's ingest.
            #expect(try await client.send(.post, "/v1/ingest", token: board.token, json: batch(board, [rating(2, "2026-11-23T03:00:00Z", level: 1, clerk: "NV02")])).status == .ok)
            #expect(try await report().mapValues(\.1) == ["NV01": 1, "NV02": 1])
            // Another writer of the same file: a unit, a counter, a board and its first ratings.
            let other = try SQLiteStore(path: path)
            _ = try await other.createUnit(NewUnit(code: "p1", name: "Phường 1", parent: "root", timeZone: nil))
            let counter = try await other.createCounter(unit: "p1", name: "Quầy A")
            let created = try await other.createBoard(unit: "p1", counterId: counter.id, scale: .vn3, codeHash: "code", expiresAt: clock.now() + .seconds(600))
            let enrolled = try await other.enroll(codeHash: "code", tokenHash: "token", now: clock.now())
            #expect(enrolled.id == created.id)
            let sent = batch(Enrolled(id: created.id, token: "", counterId: counter.id), [rating(1, "2026-11-24T02:00:00Z", level: 2, clerk: "NV03")])
            let outcome = try await other.ingest(
                board: try #require(try await other.board(id: created.id)), batch: sent,
                events: try sent.checked(scale: .vn3, receivedAt: clock.now()), receivedAt: clock.now())
            #expect(outcome == .stored(acknowledgedSeq: 1, newEvents: 1, mismatches: 0))
            try await other.upsertClerks([Clerk(code: "NV03", name: "Trần Thị Ba", unit: "p1")])
            let after = try await report()
            #expect(after.mapValues(\.1) == ["NV01": 1, "NV02": 1, "NV03": 1])
            #expect(after["NV03"]?.0 == "Trần Thị Ba")
            let byUnit = try await client.send(.get, "/v1/reports/satisfaction?unit=root&from=2026-11-01&to=2026-11-30&by=unit", token: admin)
            #expect(Set(try byUnit.decode(Report.self).rows.map(\.key)) == ["root", "p1"])
        }
    }

    struct Counts {
        var levels: [String: Int64] = [:]
        var rated: Int64 = 0
        var unrated: Int64 = 0
    }

    /// The naive report: every raw event the store kept (read back through its raw export),
    /// filed at its own unit's local day (or hour).
    static func groupBy(_ store: any HailongStore, by: String, fromDay: Int64, toDay: Int64) async throws -> [String: Counts] {
        var counts: [String: Counts] = [:]
        let units = try await store.units().map(\.code)
        for board in try await store.boards(units: units) {
            var after: Int64 = 0
            while true {
                let page = try await store.events(board: board.id, after: after, limit: 1000)
                guard let last = page.last else { break }
                after = last.event.seq
                for stored in page where stored.event.kind == .rating || stored.event.kind == .session {
                    guard let filed = stored.filedAt.flatMap(WallTime.init(rfc3339:))?.microseconds else { continue }
                    let local = filed / 1_000_000 + (zones[board.timeZone] ?? 0)
                    let day = local / 86_400
                    guard (fromDay...toDay).contains(day) else { continue }
                    let key: String
                    switch by {
                    case "unit": key = board.unit
                    case "counter": key = String(board.counterId)
                    case "clerk": key = stored.event.clerk ?? ""
                    case "day": key = SatisfactionReport.dayKey(day)
                    case "week": key = SatisfactionReport.weekKey(day)
                    case "month": key = SatisfactionReport.monthKey(day)
                    default: key = SatisfactionReport.dayKey(day) + "T" + SatisfactionReport.pad(local % 86_400 / 3600, 2)
                    }
                    if stored.event.kind == .rating {
                        counts[key, default: Counts()].levels[String(stored.event.level ?? 0), default: 0] += 1
                    } else if stored.event.outcome == .rated {
                        counts[key, default: Counts()].rated += 1
                    } else {
                        counts[key, default: Counts()].unrated += 1
                    }
                }
            }
        }
        return counts
    }
}
