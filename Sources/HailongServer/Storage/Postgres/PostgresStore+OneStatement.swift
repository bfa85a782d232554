import Foundation
public import HailongDomain
import PostgresNIO

/// The one-round-trip ingest (issue 15): in the steady state — the board's last seq as this
/// replica last saw it, every series known, nothing past the horizon — the plan's rows go to
/// `hailong_ingest()` in one statement (its own transaction). The function takes the same locks
/// as the full path, checks that the board's last seq and the horizon are what the plan was made
/// for, and writes the rows; when they are not (another replica moved them), it writes nothing
/// and the full path runs.
extension PostgresStore {
    struct FastPlan: Encodable {
        struct Day: Encodable { var bucket: Int64, clerk: String, c: [Int64] }
        struct Hour: Encodable { var bucket: Int64, c: [Int64] }
        struct Running: Encodable { var kind: Int64, day: Int64, series: Int64, c: [Int64] }
        struct Daily: Encodable { var day: String, clerk: String, level: Int, count: Int64 }
        var unit: Int64, counter: Int64, scale: String, received: Int64, horizon: Int64
        var days: [Day], hours: [Hour], running: [Running], daily: [Daily]
        var lastSeq: Int64, version: String, backlog: Int64, faults: String, clockSynced: Bool, uptimeS: Int64
        var compare: [String]
    }

    struct FastReply: Decodable {
        var outcome: String
        var lastSeq: Int64?
        var ours: [[String]]?
        var alerts: Bool?
    }

    /// The rows a batch adds to the running totals of known series, up to `horizon`; nil when a
    /// series is not known here from its first day (the full path makes or moves it).
    func knownRunningRows(board: BoardInfo, days: [IngestPlan.DayCounts], horizon: Int64) -> [FastPlan.Running]? {
        let byKey = Self.seriesDays(board: board, days: days)
        let known = knownSeries.withLock { $0 }
        var rows: [FastPlan.Running] = []
        for key in byKey.keys.sorted() {
            guard let byDay = byKey[key], let first = byDay.keys.min(), let series = known[key], series.firstDay <= first, first <= horizon else { return nil }
            var running = TallyCounts()
            for day in first...horizon {
                if let counts = byDay[day] { running += counts }
                rows.append(FastPlan.Running(kind: key.kind, day: day, series: series.id, c: (0..<7).map { running.lanes[$0] }))
            }
        }
        return rows
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
        let fast = FastPlan(
            unit: board.unitId, counter: board.counterId, scale: board.scale.rawValue, received: plan.receivedAt.microseconds, horizon: horizon,
            days: writes.days.map { day in FastPlan.Day(bucket: day.day, clerk: day.clerk, c: (0..<7).map { day.counts.lanes[$0] }) },
            hours: writes.unitHours.map { hour in FastPlan.Hour(bucket: hour.hour, c: (0..<7).map { hour.counts.lanes[$0] }) },
            running: running,
            daily: writes.daily.map { FastPlan.Daily(day: $0.day, clerk: $0.clerk ?? "", level: $0.level, count: $0.count) },
            lastSeq: writes.acknowledgedSeq, version: status.version, backlog: status.backlog, faults: status.faults,
            clockSynced: status.clockSynced, uptimeS: status.uptimeS, compare: writes.daysToCompare)
        let json = String(decoding: try JSONEncoder().encode(fast), as: UTF8.self)
        let e = EventColumns(writes.fresh)
        let replyText: String
        do {
            guard
                let text = try await client.query(
                    """
                    SELECT hailong_ingest(\(board.id), \(expected), \(json)::jsonb, \(e.seq), \(e.kind), \(e.at), \(e.filed), \(e.byArrival),
                        \(e.level), \(e.binding), \(e.dossier), \(e.clerk), \(e.outcome), \(e.reason), \(e.monotonic), \(e.monotonicSet), \(e.boot),
                        \(e.synced))::text
                    """, logger: logger
                ).decode(String.self).first(where: { _ in true })
            else { return nil }
            replyText = text
        } catch {
            // Out of step (a series or a horizon another replica moved), a deadlock: the full path.
            if Self.sqlState(error) == "23505" { throw Self.mapped(error) }
            logger.debug("one-statement ingest fell back", metadata: ["error": "\(String(reflecting: error))"])
            oneStatementCounts.withLock { $0.fellBack += 1 }
            return nil
        }
        let reply = try JSONDecoder().decode(FastReply.self, from: Data(replyText.utf8))
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
            var ours: [String: [DailyCount]] = [:]
            for row in reply.ours ?? [] where row.count == 4 {
                ours[row[0], default: []].append(DailyCount(day: row[0], clerk: row[1], level: Int(row[2]) ?? 0, count: Int64(row[3]) ?? 0))
            }
            var messages: [(String, String)] = []
            for day in writes.daysToCompare {
                if let message = CountCheck.mismatch(board: board.id, day: day, boards: batch.aggregates, ours: ours[day] ?? []) { messages.append((day, message)) }
            }
            mismatches = messages.count
            // Alerts only when there is one to raise or one to resolve (rare): a second statement.
            if !messages.isEmpty || reply.alerts == true {
                try await transaction { db in
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
