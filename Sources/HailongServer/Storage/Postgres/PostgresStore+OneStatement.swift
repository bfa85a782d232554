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
            let query: PostgresQuery = """
                SELECT * FROM hailong_ingest3(\(board.id), \(expected), \(horizon), \(board.unitId), \(board.counterId), \(Self.stripe(board)),
                    \(board.scale.rawValue),
                    \(plan.receivedAt.microseconds), \(writes.acknowledgedSeq), \(status.version), \(status.backlog), \(status.faults),
                    \(status.clockSynced), \(status.uptimeS),
                    \(writes.days.map(\.day)), \(writes.days.map(\.clerk)), \(Self.flat(writes.days.map(\.counts))),
                    \(writes.unitHours.map(\.hour)), \(Self.flat(writes.unitHours.map(\.counts))),
                    \(running.map(\.kind)), \(running.map(\.day)), \(running.map(\.series)), \(Self.flat(running.map(\.counts))),
                    \(writes.daily.map(\.day)), \(dailyClerks), \(writes.daily.map { Int32($0.level) }), \(writes.daily.map(\.count)),
                    \(writes.daysToCompare),
                    \(e.seq), \(e.kind), \(e.at), \(e.filedUnlessOwn), \(e.flags), \(e.level), \(e.binding), \(e.dossier), \(e.clerk),
                    \(e.outcome), \(e.reasonUnlessNone), \(e.monotonic), \(e.boot))
                """
            let rows = try await client.query(query, logger: logger)
                .decode((String, Int64?, Bool?, [String]?, [String]?, [Int64]?, [Int64]?).self)
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
