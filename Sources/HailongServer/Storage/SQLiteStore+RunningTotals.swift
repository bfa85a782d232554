import GRDB
import HailongDomain

/// The running totals behind every report (issue 14; the kinds are described at `RunningKind`).
///
/// `running_day` holds, for every series and every day from the series' first to the horizon
/// (the last day anything was filed on, `running_horizon`), the counts up to and including that
/// day. Ingest keeps it in its own transaction: a batch's counts are added to the rows from their
/// day to the horizon (one row for today's events; a few more for a late batch), and the first
/// batch of a new day copies every series' row forward. A report reads the rows at its range's two
/// ends, whatever the range.
extension SQLiteStore {
    static let runningColumns = "level1, level2, level3, level4, level5, rated, unrated"

    public func rangeCounts(unitIds: [Int64], fromDay: Int64, toDay: Int64, groupBy: RunningGroup) async throws -> [GroupCount] {
        guard !unitIds.isEmpty, fromDay <= toDay else { return [] }
        let (kind, group): (RunningKind, String) =
            switch groupBy {
            case .unit: (.unit, "CAST(unit_id AS TEXT)")
            case .counter: (.series, "CAST(counter_id AS TEXT)")
            case .clerk: (.series, "clerk")
            }
        // The total at the range's end minus the one before its start, row by row, summed per group.
        let difference = Self.countColumns.map { "sum(CASE WHEN day = ?1 THEN \($0) ELSE -\($0) END)" }.joined(separator: ", ")
        let sql = """
            SELECT \(group), scale, \(difference) FROM running_day
            WHERE kind = ?3 AND day IN (?1, ?2) AND unit_id IN \(Self.placeholders(unitIds.count))
            GROUP BY 1, 2
            """
        return try await writer.read { db in
            guard let horizon = try Self.horizon(db) else { return [] }
            let high = min(toDay, horizon), low = min(fromDay - 1, horizon)
            guard low < high else { return [] }
            var arguments: StatementArguments = [high, low, kind.rawValue]
            arguments += StatementArguments(unitIds)
            var counts: [GroupCount] = []
            let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: arguments)
            while let row = try rows.next() {
                counts.append(GroupCount(group: row[0], scale: Scale(rawValue: row[1]) ?? .vn3, counts: Self.counts(row, from: 2)))
            }
            return counts
        }
    }

    public func unitTotals(unitIds: [Int64], atDays days: [Int64]) async throws -> [PositionCount] {
        guard !unitIds.isEmpty, !days.isEmpty else { return [] }
        return try await writer.read { db in
            guard let horizon = try Self.horizon(db) else { return [] }
            let effective = Set(days.map { min($0, horizon) })
            guard let low = effective.min(), let high = effective.max() else { return [] }
            // Few days far apart: each one looked up. Many (a day dimension): the span read in order.
            let dense = Int64(effective.count) * 4 >= high - low + 1
            let dayFilter = dense ? "day BETWEEN ? AND ?" : "day IN \(Self.placeholders(effective.count))"
            var arguments = StatementArguments(unitIds)
            if dense { arguments += [low, high] } else { arguments += StatementArguments(Array(effective)) }
            let statement = try db.cachedStatement(
                sql: """
                    SELECT day, scale, \(Self.countColumns.map { "sum(\($0))" }.joined(separator: ", ")) FROM running_day
                    WHERE kind = 0 AND unit_id IN \(Self.placeholders(unitIds.count)) AND \(dayFilter)
                    GROUP BY day, scale
                    """)
            var byDay: [Int64: [PositionCount]] = [:]
            let rows = try Row.fetchCursor(statement, arguments: arguments)
            while let row = try rows.next() {
                let day: Int64 = row[0]
                guard effective.contains(day) else { continue }
                byDay[day, default: []].append(PositionCount(position: day, scale: Scale(rawValue: row[1]) ?? .vn3, counts: Self.counts(row, from: 2)))
            }
            // Each requested day answers with its clamped day's totals.
            return Set(days).sorted().flatMap { day in
                (byDay[min(day, horizon)] ?? []).map { PositionCount(position: day, scale: $0.scale, counts: $0.counts) }
            }
        }
    }

    public func hourCounts(unitIds: [Int64], fromHour: Int64, toHour: Int64) async throws -> [PositionCount] {
        guard !unitIds.isEmpty, fromHour <= toHour else { return [] }
        var arguments = StatementArguments(unitIds)
        arguments += [fromHour, toHour]
        let frozen = arguments
        return try await writer.read { db in
            let statement = try db.cachedStatement(
                sql: """
                    SELECT bucket, scale, \(Self.countColumns.map { "sum(\($0))" }.joined(separator: ", ")) FROM rollup_unit_hour
                    WHERE unit_id IN \(Self.placeholders(unitIds.count)) AND bucket BETWEEN ? AND ?
                    GROUP BY bucket, scale
                    """)
            var counts: [PositionCount] = []
            let rows = try Row.fetchCursor(statement, arguments: frozen)
            while let row = try rows.next() {
                counts.append(PositionCount(position: row[0], scale: Scale(rawValue: row[1]) ?? .vn3, counts: Self.counts(row, from: 2)))
            }
            return counts
        }
    }

    private static let countColumns = ["level1", "level2", "level3", "level4", "level5", "rated", "unrated"]

    private static func horizon(_ db: Database) throws -> Int64? {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT day FROM running_horizon WHERE id = 1"))
    }

    /// The seven count columns starting at `index`.
    static func counts(_ row: Row, from index: Int) -> TallyCounts {
        var counts = TallyCounts()
        for lane in 0..<7 { counts.lanes[lane] = row[index + lane] }
        return counts
    }

    // MARK: Upkeep, in the ingest transaction

    /// A series of one board's unit: its own total (counter 0, clerk "") or a counter × clerk.
    struct SeriesKey: Hashable {
        var kind: RunningKind
        var counterId: Int64
        var clerk: String
    }

    /// Adds a batch's counts (by local day, clerk) of one board to the running totals of its
    /// counter × clerk series and of its unit. Each series is walked once, from the batch's first
    /// day for it to the horizon: one row for a batch of today's events, a few for a late one.
    static func addToRunningTotals(_ db: Database, board: BoardInfo, days: [(day: Int64, clerk: String, counts: TallyCounts)]) throws {
        guard let lastDay = days.map(\.day).max() else { return }
        let horizon: Int64
        if let known = try Self.horizon(db) {
            horizon = max(known, lastDay)
            if lastDay > known { try extendRunningTotals(db, from: known, to: lastDay) }
        } else {
            horizon = lastDay
            try db.cachedStatement(sql: "INSERT INTO running_horizon(id, day) VALUES (1, ?)").execute(arguments: [lastDay])
        }
        var series: [SeriesKey: [Int64: TallyCounts]] = [:]
        for item in days where !item.counts.isZero {
            series[SeriesKey(kind: .series, counterId: board.counterId, clerk: item.clerk), default: [:]][item.day, default: TallyCounts()] += item.counts
            series[SeriesKey(kind: .unit, counterId: 0, clerk: ""), default: [:]][item.day, default: TallyCounts()] += item.counts
        }
        let update = try db.cachedStatement(
            sql: """
                UPDATE running_day SET level1 = level1 + ?, level2 = level2 + ?, level3 = level3 + ?, level4 = level4 + ?,
                    level5 = level5 + ?, rated = rated + ?, unrated = unrated + ?
                WHERE kind = ? AND unit_id = ? AND day = ? AND series_id = ?
                """)
        for (key, byDay) in series {
            guard let first = byDay.keys.min() else { continue }
            let id = try seriesId(db, board: board, key: key, day: first, horizon: horizon)
            var added = TallyCounts()
            for day in first...horizon {
                if let counts = byDay[day] { added += counts }
                let lanes = added.lanes
                try update.execute(arguments: [
                    lanes[0], lanes[1], lanes[2], lanes[3], lanes[4], lanes[5], lanes[6], key.kind.rawValue, board.unitId, day, id,
                ])
            }
        }
    }

    /// The series, made (with zero rows from `day` to the horizon) if it is new, and given zero
    /// rows back to `day` if that is before its first.
    private static func seriesId(_ db: Database, board: BoardInfo, key series: SeriesKey, day: Int64, horizon: Int64) throws -> Int64 {
        let key: StatementArguments = [board.unitId, series.counterId, series.clerk, board.scale.rawValue]
        let zeroRows = try db.cachedStatement(
            sql: """
                INSERT INTO running_day(kind, unit_id, day, series_id, counter_id, clerk, scale, \(runningColumns))
                VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 0, 0, 0, 0)
                """)
        func addZeroRows(_ id: Int64, _ days: ClosedRange<Int64>) throws {
            for day in days {
                try zeroRows.execute(arguments: [
                    series.kind.rawValue, board.unitId, day, id, series.counterId, series.clerk, board.scale.rawValue,
                ])
            }
        }
        if let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT id, first_day FROM report_series WHERE unit_id = ? AND counter_id = ? AND clerk = ? AND scale = ?"),
            arguments: key)
        {
            let id: Int64 = row[0], first: Int64 = row[1]
            if day < first {
                try addZeroRows(id, day...(first - 1))
                try db.cachedStatement(sql: "UPDATE report_series SET first_day = ? WHERE id = ?").execute(arguments: [day, id])
            }
            return id
        }
        try db.cachedStatement(
            sql: "INSERT INTO report_series(kind, unit_id, counter_id, clerk, scale, first_day) VALUES (?, ?, ?, ?, ?, ?)"
        ).execute(arguments: StatementArguments([series.kind.rawValue]) + key + StatementArguments([day]))
        let id = db.lastInsertedRowID
        try addZeroRows(id, day...horizon)
        return id
    }

    /// Copies every series' row at `from` to each day after it up to `to`, and moves the horizon.
    static func extendRunningTotals(_ db: Database, from: Int64, to: Int64) throws {
        guard to > from else { return }
        let copy = try db.cachedStatement(
            sql: """
                INSERT INTO running_day(kind, unit_id, day, series_id, counter_id, clerk, scale, \(runningColumns))
                SELECT kind, unit_id, ?, series_id, counter_id, clerk, scale, \(runningColumns) FROM running_day
                WHERE kind IN (0, 1) AND unit_id IN (SELECT DISTINCT unit_id FROM report_series) AND day = ?
                """)
        for day in (from + 1)...to { try copy.execute(arguments: [day, from]) }
        try db.cachedStatement(sql: "UPDATE running_horizon SET day = ? WHERE id = 1").execute(arguments: [to])
    }

    /// Builds the running totals anew from the day rollups, for rollups written outside ingest (the
    /// benchmark's generated year). Ingest and the v7 migration keep them otherwise.
    public func rebuildRunningTotals() async throws {
        try await writer.write { db in try Self.rebuildRunningTotals(db) }
    }

    /// Builds the running totals anew from the day rollups (the v7 migration; the benchmark, which
    /// writes rollups directly).
    static func rebuildRunningTotals(_ db: Database) throws {
        let columns = runningColumns
        let sums = ["level1", "level2", "level3", "level4", "level5", "rated", "unrated"]
        try db.execute(
            sql: """
                DELETE FROM running_day;
                DELETE FROM report_series;
                DELETE FROM running_horizon;
                INSERT INTO running_horizon(id, day) SELECT 1, max(bucket) FROM rollup_day HAVING count(*) > 0;
                INSERT INTO report_series(kind, unit_id, counter_id, clerk, scale, first_day)
                    SELECT 1, unit_id, counter_id, clerk, scale, min(bucket) FROM rollup_day GROUP BY unit_id, counter_id, clerk, scale;
                INSERT INTO report_series(kind, unit_id, counter_id, clerk, scale, first_day)
                    SELECT 0, unit_id, 0, '', scale, min(bucket) FROM rollup_day GROUP BY unit_id, scale;
                INSERT INTO running_day(kind, unit_id, day, series_id, counter_id, clerk, scale, \(columns))
                    WITH RECURSIVE days(d) AS (
                        SELECT min(first_day) FROM report_series
                        UNION ALL SELECT d + 1 FROM days WHERE d < (SELECT day FROM running_horizon WHERE id = 1))
                    SELECT 1, s.unit_id, days.d, s.id, s.counter_id, s.clerk, s.scale,
                        \(sums.map { "sum(coalesce(r.\($0), 0)) OVER running" }.joined(separator: ", "))
                    FROM report_series s JOIN days ON days.d >= s.first_day
                    LEFT JOIN rollup_day r ON r.bucket = days.d AND r.counter_id = s.counter_id AND r.clerk = s.clerk AND r.scale = s.scale
                    WHERE s.kind = 1
                    WINDOW running AS (PARTITION BY s.id ORDER BY days.d);
                INSERT INTO running_day(kind, unit_id, day, series_id, counter_id, clerk, scale, \(columns))
                    SELECT 0, r.unit_id, r.day, u.id, 0, '', r.scale, \(sums.map { "sum(r.\($0))" }.joined(separator: ", "))
                    FROM running_day r JOIN report_series u ON u.kind = 0 AND u.unit_id = r.unit_id AND u.scale = r.scale
                    WHERE r.kind = 1 GROUP BY r.unit_id, r.day, r.scale;
                """)
    }
}
