import Foundation
public import HailongDomain
import PostgresNIO

/// The one-round-trip ingest (issue 15): in the steady state — the board's last seq as this
/// replica last saw it, every series known, nothing past the horizon — the plan's rows go to
/// `hailong_ingest3()` in one statement (its own transaction), every row as binary arrays and
/// the answer as columns (migrations pg3, pg4). The function takes the same locks as the full path,
/// checks that the board's last seq and the horizon are what the plan was made for, and writes
/// the rows; when they are not (another replica moved them), it writes nothing and the full
/// path runs.
extension PostgresStore {
    /// A running-total row the one-statement path adds to: its series' kind, day and id, and the
    /// series' running counts on that day from this batch.
    struct RunningRow { var kind: Int64, day: Int64, series: Int64, counts: TallyCounts }

    /// The rows a batch adds to the running totals of known series, up to `horizon`; nil when a
    /// series is not known here from its first day (the full path makes or moves it).
    func knownRunningRows(board: BoardInfo, days: [IngestPlan.DayCounts], horizon: Int64) -> [RunningRow]? {
        let byKey = Self.seriesDays(board: board, days: days)
        let known = knownSeries.withLock { $0 }
        var rows: [RunningRow] = []
        for key in byKey.keys.sorted() {
            guard let byDay = byKey[key], let first = byDay.keys.min(), let series = known[key], series.firstDay <= first, first <= horizon else { return nil }
            var running = TallyCounts()
            for day in first...horizon {
                if let counts = byDay[day] { running += counts }
                rows.append(RunningRow(kind: key.kind, day: day, series: series.id, counts: running))
            }
        }
        return rows
    }

    /// Counts seven to a row, in one array (`c[i * 7 - 6] … c[i * 7]` for row i, from 1, in SQL).
    static func flat(_ counts: [TallyCounts]) -> [Int64] {
        var lanes: [Int64] = []
        lanes.reserveCapacity(counts.count * 7)
        for row in counts { for lane in 0..<7 { lanes.append(row.lanes[lane]) } }
        return lanes
    }

    /// `hailong_ingest3(…)` as a named prepared statement: parsed and planned once per
    /// connection, not once per batch (every board's every batch in the steady state).
    struct IngestCall: PostgresPreparedStatement {
        static let parameters = 41
        static let name = "hailong_ingest3"
        static let sql = "SELECT * FROM hailong_ingest3(" + (1...parameters).map { "$\($0)" }.joined(separator: ", ") + ")"
        typealias Row = (String, Int64?, Bool?, [String]?, [String]?, [Int64]?, [Int64]?)
        var bindings: PostgresBindings
        func makeBindings() -> PostgresBindings { bindings }
        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    /// The one-statement ingest, or nil when the full path must decide.
    func fastIngest(board: BoardInfo, batch: IngestBatch, plan: IngestPlan) async throws -> IngestOutcome? {
        let expected = lastSeqSeen.withLock { $0[board.id] } ?? board.lastSeq
        guard case .write(let writes) = plan.decide(lastSeq: expected, revoked: false) else { return nil }
        let horizon = horizonSeen.withLock { $0 }
        guard horizon > .min, writes.days.allSatisfy({ $0.day <= horizon }),
            let running = knownRunningRows(board: board, days: writes.days, horizon: horizon)
        else { return nil }
        let status = writes.status
        let e = EventColumns(writes.fresh)
        let dailyClerks = writes.daily.map { $0.clerk ?? "" }
        let reply: (outcome: String, lastSeq: Int64?, alerts: Bool?, ours: [DailyCount])
        do {
            var b = PostgresBindings(capacity: IngestCall.parameters)
            b.append(board.id)
            b.append(expected)
            b.append(horizon)
            b.append(board.unitId)
            b.append(board.counterId)
            b.append(Self.stripe(board))
            b.append(board.scale.rawValue)
            b.append(plan.receivedAt.microseconds)
            b.append(writes.acknowledgedSeq)
            b.append(status.version)
            b.append(status.backlog)
            b.append(status.faults)
            b.append(status.clockSynced)
            b.append(status.uptimeS)
            b.append(writes.days.map(\.day))
            b.append(writes.days.map(\.clerk))
            b.append(Self.flat(writes.days.map(\.counts)))
            b.append(writes.unitHours.map(\.hour))
            b.append(Self.flat(writes.unitHours.map(\.counts)))
            b.append(running.map(\.kind))
            b.append(running.map(\.day))
            b.append(running.map(\.series))
            b.append(Self.flat(running.map(\.counts)))
            b.append(writes.daily.map(\.day))
            b.append(dailyClerks)
            b.append(writes.daily.map { Int32($0.level) })
            b.append(writes.daily.map(\.count))
            b.append(writes.daysToCompare)
            b.append(e.seq)
            b.append(e.kind)
            b.append(e.at)
            b.append(e.filedUnlessOwn)
            b.append(e.flags)
            b.append(e.level)
            b.append(e.binding)
            b.append(e.dossier)
            b.append(e.clerk)
            b.append(e.outcome)
            b.append(e.reasonUnlessNone)
            b.append(e.monotonic)
            b.append(e.boot)
            let rows = try await client.execute(IngestCall(bindings: b), logger: logger)
            guard let row = try await rows.first(where: { _ in true }) else { return nil }
            let (days, clerks, levels, counts) = (row.3 ?? [], row.4 ?? [], row.5 ?? [], row.6 ?? [])
            let ours = days.indices.compactMap { i -> DailyCount? in
                guard i < clerks.count, i < levels.count, i < counts.count else { return nil }
                return DailyCount(day: days[i], clerk: clerks[i], level: Int(levels[i]), count: counts[i])
            }
            reply = (row.0, row.1, row.2, ours)
        } catch {
            // Out of step (a series or a horizon another replica moved), a deadlock: the full path.
            if Self.sqlState(error) == "23505" { throw Self.mapped(error) }
            logger.debug("one-statement ingest fell back", metadata: ["error": "\(String(reflecting: error))"])
            oneStatementCounts.withLock { $0.fellBack += 1 }
            return nil
        }
        switch reply.outcome {
        case "revoked": return .revoked
        case "stored": break
        default:
            if let last = reply.lastSeq { lastSeqSeen.withLock { $0[board.id] = last } }
            oneStatementCounts.withLock { $0.fellBack += 1 }
            return nil
        }
        lastSeqSeen.withLock { $0[board.id] = writes.acknowledgedSeq }
        oneStatementCounts.withLock { $0.stored += 1 }
        var mismatches = 0
        if !writes.daysToCompare.isEmpty {
            let ours = Dictionary(grouping: reply.ours, by: \.day)
            var messages: [(String, String)] = []
            for day in writes.daysToCompare {
                if let message = CountCheck.mismatch(board: board.id, day: day, boards: batch.aggregates, ours: ours[day] ?? []) { messages.append((day, message)) }
            }
            mismatches = messages.count
            // Alerts only when there is one to raise or one to resolve (rare): a second statement.
            if !messages.isEmpty || reply.alerts == true {
                try await transaction { [self, messages] db in
                    for (day, message) in messages {
                        try await db.query(
                            """
                            INSERT INTO alerts(kind, board_id, unit_id, subject, message, at_us)
                            VALUES ('countMismatch', \(board.id), \(board.unitId), \(day), \(message), \(plan.receivedAt.microseconds))
                            ON CONFLICT (kind, board_id, subject) DO UPDATE SET message = excluded.message, at_us = excluded.at_us
                            """, logger: logger)
                    }
                    let agreed = writes.daysToCompare.filter { day in !messages.contains { $0.0 == day } }
                    if !agreed.isEmpty {
                        try await db.query(
                            "DELETE FROM alerts WHERE kind = 'countMismatch' AND board_id = \(board.id) AND subject = ANY(\(agreed))", logger: logger)
                    }
                }
            }
        }
        return .stored(acknowledgedSeq: writes.acknowledgedSeq, newEvents: writes.fresh.count, mismatches: mismatches)
    }
}
