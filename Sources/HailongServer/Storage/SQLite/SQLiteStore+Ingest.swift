import GRDB
public import HailongDomain

extension SQLiteStore {
    /// An upsert's SET clause: the new row's counts added to the stored ones.
    private static let addCounts = ["level1", "level2", "level3", "level4", "level5", "rated", "unrated"]
        .map { "\($0) = \($0) + excluded.\($0)" }.joined(separator: ", ")

    /// Applies the batch's `IngestPlan` in one transaction: the plan decides what is new, where
    /// it counts and what to compare; this writes it (events, day rollup, the unit's local hours,
    /// the running totals, the per-day check counts, the status snapshot, alerts).
    public func ingest(board: BoardInfo, batch: IngestBatch, events: [CheckedEvent], receivedAt: WallTime) async throws -> IngestOutcome {
        // Time-zone work is done before the write transaction, so the writer is held only for SQL.
        let zones = self.zones
        let plan = IngestPlan(batch: batch, events: events, receivedAt: receivedAt) { zones.offset(board.timeZone, atSecond: $0) }
        return try await write { db in
            // Revocation is decided here, in the writing transaction: the caller may hold the
            // board from a cache filled before a revocation.
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT last_seq, revoked FROM boards WHERE id = ?"), arguments: [board.id]) else {
                throw StoreError.notFound("board \(board.id)")
            }
            let writes: IngestPlan.Writes
            switch plan.decide(lastSeq: row[0], revoked: row[1]) {
            case .revoked: return .revoked
            case .gap(let acknowledged, let expected): return .gap(acknowledgedSeq: acknowledged, expectedSeq: expected)
            case .write(let decided): writes = decided
            }
            if !writes.fresh.isEmpty { try Self.apply(db, board: board, writes, receivedAt: receivedAt) }
            let status = writes.status
            try db.cachedStatement(
                sql: """
                    UPDATE boards SET last_seq = ?, last_seen_us = ?, version = ?, backlog = ?, faults = ?,
                        clock_synced = ?, uptime_s = ? WHERE id = ?
                    """
            ).execute(arguments: [
                writes.acknowledgedSeq, receivedAt.microseconds, status.version, status.backlog, status.faults, status.clockSynced,
                status.uptimeS, board.id,
            ])
            let mismatches = try Self.compare(db, board: board, days: writes.daysToCompare, aggregates: batch.aggregates, now: receivedAt)
            return .stored(acknowledgedSeq: writes.acknowledgedSeq, newEvents: writes.fresh.count, mismatches: mismatches)
        }
    }

    private static func apply(_ db: Database, board: BoardInfo, _ writes: IngestPlan.Writes, receivedAt: WallTime) throws {
        let insert = try db.cachedStatement(
            sql: """
                INSERT INTO events(board_id, seq, kind, at_us, filed_us, by_arrival, level, binding, dossier, clerk,
                    outcome, reason, monotonic_ns, boot_id, clock_synced, received_us)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        for item in writes.fresh {
            let event = item.event
            try insert.execute(arguments: [
                board.id, event.seq, event.kind.rawValue, event.at.microseconds, item.filedAt.microseconds, event.byArrival,
                event.level, event.binding?.rawValue, event.dossier?.value, event.clerk?.value, event.outcome?.rawValue,
                event.reason?.rawValue, event.monotonicNs, event.bootId, event.clockSynced, receivedAt.microseconds,
            ])
        }
        let day = try db.cachedStatement(
            sql: """
                INSERT INTO rollup_day(bucket, unit_id, counter_id, clerk, scale, level1, level2, level3, level4, level5, rated, unrated)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(bucket, counter_id, clerk, scale) DO UPDATE SET \(Self.addCounts)
                """)
        for item in writes.days {
            let lanes = item.counts.lanes
            try day.execute(arguments: [
                item.day, board.unitId, board.counterId, item.clerk, board.scale.rawValue,
                lanes[0], lanes[1], lanes[2], lanes[3], lanes[4], lanes[5], lanes[6],
            ])
        }
        let hour = try db.cachedStatement(
            sql: """
                INSERT INTO rollup_unit_hour(unit_id, bucket, scale, level1, level2, level3, level4, level5, rated, unrated)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(unit_id, bucket, scale) DO UPDATE SET \(Self.addCounts)
                """)
        for item in writes.unitHours {
            let lanes = item.counts.lanes
            try hour.execute(arguments: [
                board.unitId, item.hour, board.scale.rawValue, lanes[0], lanes[1], lanes[2], lanes[3], lanes[4], lanes[5], lanes[6],
            ])
        }
        try Self.addToRunningTotals(db, board: board, days: writes.days)
        let daily = try db.cachedStatement(
            sql: """
                INSERT INTO board_daily(board_id, day, clerk, level, count) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(board_id, day, clerk, level) DO UPDATE SET count = count + excluded.count
                """)
        for count in writes.daily {
            try daily.execute(arguments: [board.id, count.day, count.clerk ?? "", count.level, count.count])
        }
    }

    /// Each listed day the board's counts disagree with ours raises (or refreshes) one
    /// `countMismatch` alert; a day they agree on again resolves it. Returns how many disagree.
    private static func compare(_ db: Database, board: BoardInfo, days: [String], aggregates: [DailyCount], now: WallTime) throws -> Int {
        var mismatches = 0
        let ours = try db.cachedStatement(sql: "SELECT clerk, level, count FROM board_daily WHERE board_id = ? AND day = ?")
        for day in days {
            let stored = try Row.fetchAll(ours, arguments: [board.id, day]).map {
                DailyCount(day: day, clerk: $0[0], level: $0[1], count: $0[2])
            }
            guard let message = CountCheck.mismatch(board: board.id, day: day, boards: aggregates, ours: stored) else {
                try db.execute(
                    sql: "DELETE FROM alerts WHERE kind = 'countMismatch' AND board_id = ? AND subject = ?", arguments: [board.id, day])
                continue
            }
            mismatches += 1
            try db.execute(
                sql: """
                    INSERT INTO alerts(kind, board_id, unit_id, subject, message, at_us) VALUES ('countMismatch', ?, ?, ?, ?, ?)
                    ON CONFLICT(kind, board_id, subject) DO UPDATE SET message = excluded.message, at_us = excluded.at_us
                    """,
                arguments: [board.id, board.unitId, day, message, now.microseconds])
        }
        return mismatches
    }
}
