import Foundation
import GRDB
import HailongDomain
@testable import HailongServer
import HailongTestSupport
import HummingbirdTesting
import Testing

@Suite struct SegmentCoverageTests {
    /// The days a segment stands for (a year or a month is all of its local days).
    private func days(_ segment: SatisfactionReport.Segment) -> ClosedRange<Int64> {
        switch segment.grain {
        case .day, .hour:
            return segment.from...segment.to
        case .week:
            return (segment.from * 7 - 3)...(segment.to * 7 + 3)
        case .month:
            let first = CivilDate.toDays(year: segment.from / 12, month: segment.from % 12 + 1, day: 1)
            let lastYear = segment.to / 12, lastMonth = segment.to % 12 + 1
            return first...CivilDate.toDays(year: lastYear, month: lastMonth, day: CivilDate.daysIn(month: lastMonth, year: lastYear))
        case .year:
            return CivilDate.toDays(year: segment.from, month: 1, day: 1)...CivilDate.toDays(year: segment.to, month: 12, day: 31)
        }
    }

    /// Added and subtracted, the segments of any range count each of its days once and no other day.
    @Test func signedSegmentsCoverEachDayOfTheRangeOnce() {
        var random = SplitMix64(seed: 4)
        let start = CivilDate.toDays(year: 2023, month: 1, day: 1)
        for _ in 0..<2000 {
            let from = start + Int64.random(in: 0..<(4 * 366), using: &random)
            let to = from + Int64.random(in: 0..<(Bool.random(using: &random) ? 40 : 900), using: &random)
            var net: [Int64: Int64] = [:]
            for segment in SatisfactionReport.segments(fromDay: from, toDay: to) {
                for day in days(segment) { net[day, default: 0] += segment.sign }
            }
            let wrong = net.filter { day, count in count != ((from...to).contains(day) ? 1 : 0) }.keys.sorted()
            #expect(wrong.isEmpty, "\(from)...\(to): days \(wrong.prefix(3)) miscounted by \(SatisfactionReport.segments(fromDay: from, toDay: to))")
            #expect((from...to).allSatisfy { net[$0] == 1 })
        }
    }

    @Test func rollingYearReadsTheYearMinusItsOutsideDays() {
        func day(_ y: Int64, _ m: Int64, _ d: Int64) -> Int64 { CivilDate.toDays(year: y, month: m, day: d) }
        let rolling = SatisfactionReport.segments(fromDay: day(2025, 12, 24), toDay: day(2026, 12, 23)).map(\.description)
        // Dec 24–28, 2025 (Wed–Sun) are most of their week: that week minus Dec 22–23; the other
        // edges stay days (as weeks they would read as many buckets).
        let week = (day(2025, 12, 22) + 3) / 7
        #expect(
            rolling == [
                "-day \(day(2025, 12, 22))...\(day(2025, 12, 23))", "day \(day(2025, 12, 29))...\(day(2025, 12, 31))",
                "-day \(day(2026, 12, 24))...\(day(2026, 12, 31))", "week \(week)...\(week)", "year 2026...2026",
            ])
    }

    @Test func daysFillingWholeWeeksAreReadAsWeeks() {
        func day(_ y: Int64, _ m: Int64, _ d: Int64) -> Int64 { CivilDate.toDays(year: y, month: m, day: d) }
        // 2026-03-02 is a Monday: two whole weeks and two days, 4 buckets instead of 16.
        let plan = SatisfactionReport.segments(fromDay: day(2026, 3, 2), toDay: day(2026, 3, 17))
        let first = (day(2026, 3, 2) + 3) / 7
        #expect(plan.map(\.description) == ["day \(day(2026, 3, 16))...\(day(2026, 3, 17))", "week \(first)...\(first + 1)"])
    }
}

/// Reports (by clerk, unit, counter) over random ranges equal a GROUP BY over the raw events,
/// bucketed by each unit's own local day: two boards in +07 (Asia/Ho_Chi_Minh) and +05:30
/// (Asia/Kolkata), two years of events.
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
                        events.append(rating(seq, time, level: Int.random(in: 1...3, using: &random), clerk: seq % 7 == 0 ? nil : clerk))
                    }
                }
                for chunk in stride(from: 0, to: events.count, by: 500) {
                    let reply = try await client.send(
                        .post, "/v1/ingest", token: board.token, json: batch(board, Array(events[chunk..<min(chunk + 500, events.count)])))
                    #expect(reply.status == .ok, "\(reply.text)")
                }
            }
            var ranges: [(Int64, Int64)] = [
                (CivilDate.toDays(year: 2026, month: 1, day: 1), CivilDate.toDays(year: 2026, month: 12, day: 31)),
                (CivilDate.toDays(year: 2025, month: 12, day: 24), CivilDate.toDays(year: 2026, month: 12, day: 23)),
            ]
            let firstDay = CivilDate.toDays(year: 2024, month: 12, day: 20)
            for _ in 0..<40 {
                let from = firstDay + Int64.random(in: 0..<760, using: &random)
                ranges.append((from, from + Int64.random(in: 0..<(Bool.random(using: &random) ? 45 : 400), using: &random)))
            }
            for (index, (from, to)) in ranges.enumerated() {
                // Mostly by clerk (the benchmark's report); every fifth by unit, and by counter.
                let by = index % 5 == 3 ? "unit" : index % 5 == 4 ? "counter" : "clerk"
                let query = "unit=root&from=\(SatisfactionReport.dayKey(from))&to=\(SatisfactionReport.dayKey(to))&by=\(by)"
                let reply = try await client.send(.get, "/v1/reports/satisfaction?\(query)", token: h.adminToken)
                #expect(reply.status == .ok)
                let rows = Dictionary(uniqueKeysWithValues: try reply.decode(Report.self).rows.map { ($0.key, $0) })
                let expected = try await Self.groupBy(h.store, by: by, fromDay: from, toDay: to)
                if index < 2 { #expect(!expected.isEmpty) }
                #expect(Set(rows.keys) == Set(expected.keys), "\(query)")
                for (clerk, want) in expected {
                    let row = rows[clerk]
                    #expect(row?.levels == want.levels, "\(query) \(by) \(clerk)")
                    #expect(row?.total == want.levels.values.reduce(0, +), "\(query) \(by) \(clerk)")
                    let sessions = want.rated + want.unrated
                    #expect(row?.responseRate == (sessions > 0 ? Double(want.rated) / Double(sessions) : nil), "\(query) \(by) \(clerk)")
                }
            }
        }
    }

    private struct Counts {
        var levels: [String: Int64] = [:]
        var rated: Int64 = 0
        var unrated: Int64 = 0
    }

    /// The naive report: every raw event, filed at its own unit's local day.
    private static func groupBy(_ store: SQLiteStore, by: String, fromDay: Int64, toDay: Int64) async throws -> [String: Counts] {
        let offset = "CASE u.time_zone " + zones.map { "WHEN '\($0.key)' THEN \($0.value) " }.joined() + "END"
        let key = by == "unit" ? "u.code" : by == "counter" ? "CAST(b.counter_id AS TEXT)" : "coalesce(e.clerk, '')"
        return try await store.writer.read { db in
            var counts: [String: Counts] = [:]
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT \(key), e.kind, e.level, e.outcome, count(*)
                    FROM events e JOIN boards b ON b.id = e.board_id JOIN units u ON u.id = b.unit_id
                    WHERE e.kind IN ('rating', 'session') AND (e.filed_us / 1000000 + \(offset)) / 86400 BETWEEN ? AND ?
                    GROUP BY 1, 2, 3, 4
                    """, arguments: [fromDay, toDay])
            for row in rows {
                let clerk: String = row[0]
                let count: Int64 = row[4]
                if (row[1] as String) == "rating" {
                    counts[clerk, default: Counts()].levels[String(row[2] as Int), default: 0] += count
                } else if (row[3] as String) == "rated" {
                    counts[clerk, default: Counts()].rated += count
                } else {
                    counts[clerk, default: Counts()].unrated += count
                }
            }
            return counts
        }
    }
}
