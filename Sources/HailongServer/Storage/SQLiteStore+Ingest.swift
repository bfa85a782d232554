import GRDB
public import HailongDomain

extension SQLiteStore {
    private struct RollupKey: Hashable {
        var bucket: Int64
        var clerk: String
    }

    private struct FineKey: Hashable {
        var hour: Int64
        var day: Int64
        var clerk: String
    }

    /// An event with where it is filed: its time (or the arrival time), local hour, local day.
    private struct Prepared {
        var event: CheckedEvent
        var filed: WallTime
        var hour: Int64
        var day: Int64
        var utcDay: String
    }

    /// What a batch adds to one rollup row: ratings per level (1...5), session outcomes.
    private struct RollupDelta {
        var levels: (Int64, Int64, Int64, Int64, Int64) = (0, 0, 0, 0, 0)
        var rated: Int64 = 0
        var unrated: Int64 = 0

        mutating func rate(_ level: Int) {
            switch level {
            case 1: levels.0 += 1
            case 2: levels.1 += 1
            case 3: levels.2 += 1
            case 4: levels.3 += 1
            default: levels.4 += 1
            }
        }

        var counts: TallyCounts { TallyCounts(levels: levels, rated: rated, unrated: unrated) }

        mutating func add(_ delta: RollupDelta) {
            levels.0 += delta.levels.0
            levels.1 += delta.levels.1
            levels.2 += delta.levels.2
            levels.3 += delta.levels.3
            levels.4 += delta.levels.4
            rated += delta.rated
            unrated += delta.unrated
        }
    }

    /// An upsert's SET clause: the new row's counts added to the stored ones.
    private static let addCounts = ["level1", "level2", "level3", "level4", "level5", "rated", "unrated"]
        .map { "\($0) = \($0) + excluded.\($0)" }.joined(separator: ", ")

    /// One transaction: refuse a gap, skip what is stored already, insert the new events, add
    /// them to the day rollup, the unit's local hours, the running totals and the per-day check counts, record the status
    /// snapshot, then compare the board's cumulative counts with ours (mismatch → alert).
    public func ingest(board: BoardInfo, batch: IngestBatch, events: [CheckedEvent], receivedAt: WallTime) async throws -> IngestOutcome {
        let zone = board.timeZone
        // Time-zone work is done before the write transaction, for every event, so the writer is
        // held only for SQL.
        // A batch spans few hours and days: offsets and day names are computed once each.
        var offsets: [Int64: Int64] = [:]
        var utcDays: [Int64: String] = [:]
        let prepared = events.map { event -> Prepared in
            let filed = event.byArrival ? receivedAt : event.at
            let second = floorDiv(filed.microseconds, 1_000_000)
            let hour = floorDiv(second, 3600)
            let offset: Int64
            if let known = offsets[hour] {
                offset = known
            } else {
                offset = zones.offset(zone, atSecond: hour * 3600)
                offsets[hour] = offset
            }
            let day = floorDiv(second + offset, 86_400)
            let localHour = floorDiv(second + offset, 3600)
            let utcDayNumber = floorDiv(event.at.microseconds, 86_400_000_000)
            let utcDay: String
            if let known = utcDays[utcDayNumber] {
                utcDay = known
            } else {
                utcDay = DailyCount.day(of: event.at)
                utcDays[utcDayNumber] = utcDay
            }
            return Prepared(event: event, filed: filed, hour: localHour, day: day, utcDay: utcDay)
        }
        return try await writer.write { db in
            // Revocation is decided here, in the writing transaction: the caller may hold the
            // board from a cache filled before a revocation.
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT last_seq, revoked FROM boards WHERE id = ?"), arguments: [board.id]) else {
                throw StoreError.notFound("board \(board.id)")
            }
            if row[1] as Bool { return .revoked }
            let lastSeq: Int64 = row[0]
            if batch.fromSeq > lastSeq + 1 {
                return .gap(acknowledgedSeq: lastSeq, expectedSeq: lastSeq + 1)
            }
            let fresh = prepared.filter { $0.event.seq > lastSeq }
            let newLast = max(lastSeq, batch.toSeq)
            if !fresh.isEmpty {
                try Self.store(db, board: board, fresh: fresh, receivedAt: receivedAt)
                // Group by (local hour, local day) first — one dictionary step per event — then
                // fold the few groups into days and hours.
                var fine: [FineKey: RollupDelta] = [:]
                var daily: [DailyCount: Int64] = [:]
                for item in fresh {
                    let event = item.event
                    let clerk = event.clerk?.value ?? ""
                    switch event.kind {
                    case .rating:
                        // The batch was checked: a rating's level is one of its scale's (1...5).
                        guard let level = event.level, (1...5).contains(level) else { continue }
                        fine[FineKey(hour: item.hour, day: item.day, clerk: clerk), default: RollupDelta()].rate(level)
                        daily[DailyCount(day: item.utcDay, clerk: clerk, level: level, count: 0), default: 0] += 1
                    case .session:
                        let key = FineKey(hour: item.hour, day: item.day, clerk: clerk)
                        if event.outcome == .rated { fine[key, default: RollupDelta()].rated += 1 } else { fine[key, default: RollupDelta()].unrated += 1 }
                    default:
                        continue
                    }
                }
                // The day rollup (per counter × clerk × local day), the unit's hours (the hour
                // dimension), and the running totals every other report reads.
                var days: [RollupKey: RollupDelta] = [:]
                var unitHours: [Int64: RollupDelta] = [:]
                for (key, delta) in fine {
                    days[RollupKey(bucket: key.day, clerk: key.clerk), default: RollupDelta()].add(delta)
                    unitHours[key.hour, default: RollupDelta()].add(delta)
                }
                let dayStatement = try db.cachedStatement(
                    sql: """
                        INSERT INTO rollup_day(bucket, unit_id, counter_id, clerk, scale, level1, level2, level3, level4, level5, rated, unrated)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT(bucket, counter_id, clerk, scale) DO UPDATE SET \(Self.addCounts)
                        """)
                for (key, delta) in days {
                    try dayStatement.execute(arguments: [
                        key.bucket, board.unitId, board.counterId, key.clerk, board.scale.rawValue,
                        delta.levels.0, delta.levels.1, delta.levels.2, delta.levels.3, delta.levels.4, delta.rated, delta.unrated,
                    ])
                }
                let hourStatement = try db.cachedStatement(
                    sql: """
                        INSERT INTO rollup_unit_hour(unit_id, bucket, scale, level1, level2, level3, level4, level5, rated, unrated)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT(unit_id, bucket, scale) DO UPDATE SET \(Self.addCounts)
                        """)
                for (hour, delta) in unitHours {
                    try hourStatement.execute(arguments: [
                        board.unitId, hour, board.scale.rawValue,
                        delta.levels.0, delta.levels.1, delta.levels.2, delta.levels.3, delta.levels.4, delta.rated, delta.unrated,
                    ])
                }
                try Self.addToRunningTotals(db, board: board, days: days.map { key, delta in (key.bucket, key.clerk, delta.counts) })
                let dailyStatement = try db.cachedStatement(
                    sql: """
                        INSERT INTO board_daily(board_id, day, clerk, level, count) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT(board_id, day, clerk, level) DO UPDATE SET count = count + excluded.count
                        """)
                for (key, count) in daily {
                    try dailyStatement.execute(arguments: [board.id, key.day, key.clerk ?? "", key.level, count])
                }
            }
            try db.cachedStatement(
                sql: """
                    UPDATE boards SET last_seq = ?, last_seen_us = ?, version = ?, backlog = ?, faults = ?,
                        clock_synced = ?, uptime_s = ? WHERE id = ?
                    """
            ).execute(
                arguments: [
                    // The board counts this batch in its backlog; once stored it is no longer behind.
                    newLast, receivedAt.microseconds, Text.nfc(batch.status.version), max(0, batch.status.backlog - Int64(batch.events.count)),
                    batch.status.faults.map(Text.nfc).joined(separator: "\n"), batch.status.clockSynced, batch.status.uptimeS,
                    board.id,
                ])
            // The board's counts describe its log up to toSeq: comparable only when ours do too.
            var mismatches = 0
            if batch.toSeq == newLast, !batch.aggregates.isEmpty {
                mismatches = try Self.compare(db, board: board, aggregates: batch.aggregates, now: receivedAt)
            }
            return .stored(acknowledgedSeq: newLast, newEvents: fresh.count, mismatches: mismatches)
        }
    }

    private static func store(_ db: Database, board: BoardInfo, fresh: [Prepared], receivedAt: WallTime) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO events(board_id, seq, kind, at_us, filed_us, by_arrival, level, binding, dossier, clerk,
                    outcome, reason, monotonic_ns, boot_id, clock_synced, received_us)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        for item in fresh {
            let event = item.event, filed = item.filed
            try statement.execute(arguments: [
                board.id, event.seq, event.kind.rawValue, event.at.microseconds, filed.microseconds, event.byArrival,
                event.level, event.binding?.rawValue, event.dossier?.value, event.clerk?.value, event.outcome?.rawValue,
                event.reason?.rawValue, event.monotonicNs, event.bootId, event.clockSynced, receivedAt.microseconds,
            ])
        }
    }

    /// Compares the board's cumulative counts with the server's for the days the board listed;
    /// each disagreeing day raises (or refreshes) one `countMismatch` alert. Returns how many.
    private static func compare(_ db: Database, board: BoardInfo, aggregates: [DailyCount], now: WallTime) throws -> Int {
        var theirs: [String: [String: Int64]] = [:]
        for count in aggregates {
            theirs[count.day, default: [:]]["\(Text.nfc(count.clerk ?? ""))\u{1F}\(count.level)", default: 0] += count.count
        }
        var mismatches = 0
        for (day, boardCounts) in theirs.sorted(by: { $0.key < $1.key }) {
            var ours: [String: Int64] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT clerk, level, count FROM board_daily WHERE board_id = ? AND day = ?", arguments: [board.id, day])
            {
                let clerk: String = row[0]
                let level: Int = row[1]
                ours["\(clerk)\u{1F}\(level)"] = row[2]
            }
            let keys = Set(ours.keys).union(boardCounts.keys)
            let differing = keys.filter { (ours[$0] ?? 0) != (boardCounts[$0] ?? 0) }
            guard !differing.isEmpty else {
                // The counts agree (again): an alert raised for this day is resolved.
                try db.execute(
                    sql: "DELETE FROM alerts WHERE kind = 'countMismatch' AND board_id = ? AND subject = ?", arguments: [board.id, day])
                continue
            }
            mismatches += 1
            let detail = differing.sorted().prefix(10).map { key -> String in
                let parts = key.split(separator: "\u{1F}", omittingEmptySubsequences: false)
                let clerk = parts.first.map(String.init) ?? ""
                let level = parts.last.map(String.init) ?? ""
                return "clerk \"\(clerk)\" level \(level): board \(boardCounts[key] ?? 0), server \(ours[key] ?? 0)"
            }.joined(separator: "; ")
            try db.execute(
                sql: """
                    INSERT INTO alerts(kind, board_id, unit_id, subject, message, at_us) VALUES ('countMismatch', ?, ?, ?, ?, ?)
                    ON CONFLICT(kind, board_id, subject) DO UPDATE SET message = excluded.message, at_us = excluded.at_us
                    """,
                arguments: [board.id, board.unitId, day, "board \(board.id), \(day) (UTC): \(detail)", now.microseconds])
        }
        return mismatches
    }
}
