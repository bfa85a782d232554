import HailongDomain
import Testing

/// The ingest plan (issue 15): what a batch adds where, decided before any store sees it.
@Suite("Ingest plan and count check")
struct IngestPlanTests {
    static let received = WallTime(rfc3339: "2026-11-23T12:00:00Z") ?? WallTime(microseconds: 0)

    private func event(_ seq: Int64, _ at: String, _ kind: EventKind = .rating, level: Int? = 3, clerk: String? = "NV01", outcome: SessionOutcome? = nil, synced: Bool = true)
        -> WireEvent
    {
        WireEvent(
            seq: seq, kind: kind, at: at, level: kind == .rating ? level : nil, binding: kind == .rating ? (clerk == nil ? .counter : .clerk) : nil,
            dossier: kind == .session ? "HS-\(seq)" : nil, clerk: clerk, outcome: outcome, reason: outcome == .unrated ? .expired : nil,
            clockSynced: synced)
    }

    private func plan(_ events: [WireEvent], aggregates: [DailyCount] = [], offset: Int64 = 7 * 3600) throws -> IngestPlan {
        let batch = IngestBatch(
            boardId: "b", fromSeq: events.first?.seq ?? 1, toSeq: events.last?.seq ?? 0, events: events, aggregates: aggregates,
            status: BoardStatus(version: "1.0", backlog: Int64(events.count) + 2, faults: ["stuck:2"], clockSynced: true, uptimeS: 9))
        return IngestPlan(batch: batch, events: try batch.checked(scale: .vn3, receivedAt: Self.received), receivedAt: Self.received) { _ in offset }
    }

    private func writes(_ decision: IngestPlan.Decision) throws -> IngestPlan.Writes {
        guard case .write(let writes) = decision else { throw PlanTestFailure(decision: decision) }
        return writes
    }

    @Test func aRevokedBoardStoresNothingAndAHoleIsAGap() throws {
        let p = try plan([event(4, "2026-11-23T02:00:00Z"), event(5, "2026-11-23T02:01:00Z")])
        #expect(p.decide(lastSeq: 3, revoked: true) == .revoked)
        #expect(p.decide(lastSeq: 2, revoked: false) == .gap(acknowledgedSeq: 2, expectedSeq: 3))
        #expect(try writes(p.decide(lastSeq: 3, revoked: false)).fresh.count == 2)
    }

    @Test func onlyWhatIsAfterTheLastSeqIsNew() throws {
        let p = try plan((1...5).map { event(Int64($0), "2026-11-23T02:0\($0):00Z") })
        let overlap = try writes(p.decide(lastSeq: 3, revoked: false))
        #expect(overlap.fresh.map(\.event.seq) == [4, 5])
        #expect(overlap.acknowledgedSeq == 5)
        #expect(overlap.days.first?.counts.ratings(3) == 2)
        let replay = try writes(p.decide(lastSeq: 9, revoked: false))
        #expect(replay.fresh.isEmpty && replay.days.isEmpty && replay.unitHours.isEmpty && replay.daily.isEmpty)
        #expect(replay.acknowledgedSeq == 9)
    }

    /// Local day and hour come from the unit's offset; the check counts keep the board's UTC day.
    @Test func eventsAreFiledAtTheUnitsLocalDayAndHour() throws {
        // 17:30 UTC is 00:30 the next day in +07, still the same day in UTC.
        let p = try plan([event(1, "2026-11-22T17:30:00Z", level: 1), event(2, "2026-11-22T16:59:00Z", level: 2, clerk: nil)])
        let w = try writes(p.decide(lastSeq: 0, revoked: false))
        let nov22 = CivilDate.toDays(year: 2026, month: 11, day: 22)
        #expect(w.days.map(\.day) == [nov22, nov22 + 1])
        #expect(w.days.map(\.clerk) == ["", "NV01"])
        #expect(w.unitHours.map(\.hour) == [nov22 * 24 + 23, (nov22 + 1) * 24])
        #expect(w.daily == [DailyCount(day: "2026-11-22", clerk: "", level: 2, count: 1), DailyCount(day: "2026-11-22", clerk: "NV01", level: 1, count: 1)])
        let india = try writes(try plan([event(1, "2026-11-22T18:29:00Z")], offset: 5 * 3600 + 1800).decide(lastSeq: 0, revoked: false))
        #expect(india.days.map(\.day) == [nov22])
        #expect(india.unitHours.map(\.hour) == [nov22 * 24 + 23])
    }

    @Test func anUnvouchedTimeIsFiledAtArrival() throws {
        let p = try plan([event(1, "2026-01-01T00:00:00Z", synced: false)])
        let w = try writes(p.decide(lastSeq: 0, revoked: false))
        #expect(w.fresh.first?.filedAt == Self.received)
        #expect(w.days.first?.day == CivilDate.toDays(year: 2026, month: 11, day: 23))
        // The board's own count stays on the day its clock said.
        #expect(w.daily.first?.day == "2026-01-01")
    }

    @Test func sessionsCountOutcomesAndOtherEventsCountNothing() throws {
        let p = try plan([
            event(1, "2026-11-23T02:00:00Z", .session, clerk: "NV01", outcome: .rated),
            event(2, "2026-11-23T02:00:00Z", .session, clerk: "NV01", outcome: .unrated),
            event(3, "2026-11-23T02:00:00Z", .clerkSignin, clerk: "NV01"),
            event(4, "2026-11-23T02:00:00Z", level: 3),
        ])
        let w = try writes(p.decide(lastSeq: 0, revoked: false))
        #expect(w.days.count == 1)
        let counts = try #require(w.days.first?.counts)
        #expect(counts.rated == 1 && counts.unrated == 1 && counts.ratings(3) == 1)
        #expect(w.daily == [DailyCount(day: "2026-11-23", clerk: "NV01", level: 3, count: 1)])
        #expect(w.fresh.count == 4)
    }

    @Test func statusAndTheDaysToCompare() throws {
        let aggregates = [DailyCount(day: "2026-11-23", clerk: "NV01", level: 3, count: 1), DailyCount(day: "2026-11-22", clerk: nil, level: 1, count: 4)]
        let p = try plan([event(1, "2026-11-23T02:00:00Z")], aggregates: aggregates)
        let w = try writes(p.decide(lastSeq: 0, revoked: false))
        #expect(w.status.version == "1.0" && w.status.backlog == 2 && w.status.faults == "stuck:2" && w.status.clockSynced && w.status.uptimeS == 9)
        #expect(w.daysToCompare == ["2026-11-22", "2026-11-23"])
        // A batch older than what is stored: its counts describe less than ours.
        #expect(try writes(p.decide(lastSeq: 4, revoked: false)).daysToCompare.isEmpty)
    }

    /// Random batches: every list is in key order and the counts add up to the events.
    @Test func listsAreInKeyOrderAndAddUp() throws {
        var state: UInt64 = 42
        func next(_ bound: UInt64) -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return (state >> 33) % bound
        }
        for _ in 0..<50 {
            let events = (1...Int64(1 + next(200))).map { seq in
                let at = WallTime(microseconds: 1_764_000_000_000_000 + Int64(next(10 * 86_400)) * 1_000_000).rfc3339
                return event(seq, at, level: 1 + Int(next(3)), clerk: ["NV01", "NV02", nil][Int(next(3))])
            }
            let w = try writes(try plan(events).decide(lastSeq: 0, revoked: false))
            #expect(zip(w.days, w.days.dropFirst()).allSatisfy { ($0.day, $0.clerk) < ($1.day, $1.clerk) })
            #expect(zip(w.unitHours, w.unitHours.dropFirst()).allSatisfy { $0.hour < $1.hour })
            #expect(zip(w.daily, w.daily.dropFirst()).allSatisfy { ($0.day, $0.clerk ?? "", $0.level) < ($1.day, $1.clerk ?? "", $1.level) })
            let total = w.days.reduce(TallyCounts()) { $0 + $1.counts }
            #expect(total == w.unitHours.reduce(TallyCounts()) { $0 + $1.counts })
            #expect((1...5).reduce(Int64(0)) { $0 + total.ratings($1) } == Int64(events.count))
            #expect(w.daily.reduce(Int64(0)) { $0 + $1.count } == Int64(events.count))
        }
    }

    @Test func theCountCheckNamesWhatDiffers() {
        let ours = [DailyCount(day: "2026-11-23", clerk: "NV01", level: 3, count: 2), DailyCount(day: "2026-11-23", clerk: "", level: 1, count: 1)]
        let same = [DailyCount(day: "2026-11-23", clerk: "NV01", level: 3, count: 2), DailyCount(day: "2026-11-23", clerk: nil, level: 1, count: 1)]
        #expect(CountCheck.mismatch(board: "b-1", day: "2026-11-23", boards: same, ours: ours) == nil)
        // Another day's counts are not this day's business.
        #expect(CountCheck.mismatch(board: "b-1", day: "2026-11-23", boards: same + [DailyCount(day: "2026-11-24", clerk: nil, level: 1, count: 9)], ours: ours) == nil)
        let decomposed = "Ánh".decomposedForTest
        let message = CountCheck.mismatch(
            board: "b-1", day: "2026-11-23", boards: [DailyCount(day: "2026-11-23", clerk: "NV01", level: 3, count: 3), DailyCount(day: "2026-11-23", clerk: decomposed, level: 2, count: 1)],
            ours: ours)
        #expect(
            message == "Thiết bị b-1 lệch số liệu ngày 2026-11-23 (UTC) / board b-1 counts differ on 2026-11-23 (UTC): "
                + "nhân viên/clerk \"\" mức/level 1: thiết bị/board 0, máy chủ/server 1; nhân viên/clerk \"NV01\" mức/level 3: thiết bị/board 3, máy chủ/server 2; "
                + "nhân viên/clerk \"Ánh\" mức/level 2: thiết bị/board 1, máy chủ/server 0")
    }
}

struct PlanTestFailure: Error {
    var decision: IngestPlan.Decision
}

extension String {
    /// NFD by hand for the few letters the tests use (the domain has no Foundation).
    var decomposedForTest: String {
        String(String.UnicodeScalarView(unicodeScalars.flatMap { scalar -> [Unicode.Scalar] in
            switch scalar {
            case "Á": ["A", "\u{301}"]
            default: [scalar]
            }
        }))
    }
}
