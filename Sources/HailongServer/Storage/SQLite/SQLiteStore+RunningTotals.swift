import GRDB
import GRDBSQLite
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
        let kind: RunningKind = groupBy == .unit ? .unit : .series
        // Integer columns only, in the primary key's order (one seek per unit and day): the
        // total at the range's end is added, the one before its start subtracted, into each
        // series' group slot of the catalog.
        let sql = """
            SELECT series_id, day, \(Self.runningColumns) FROM running_day
            WHERE kind = ? AND unit_id IN \(Self.placeholders(unitIds.count)) AND day IN (?, ?)
            """
        return try await writer.read { db in
            guard let horizon = try Self.horizon(db) else { return [] }
            let high = min(toDay, horizon), low = min(fromDay - 1, horizon)
            guard low < high else { return [] }
            let catalog = try catalogCache.catalog(db)
            var arguments: StatementArguments = [kind.rawValue]
            arguments += StatementArguments(unitIds)
            arguments += [high, low]
            var sums = RangeSums(catalog: catalog, group: groupBy, high: high)
            let statement = try db.cachedStatement(sql: sql)
            let rows = try Row.fetchCursor(statement, arguments: arguments)
            // Every column is an integer: read straight from the statement GRDB stepped.
            let raw = statement.sqliteStatement
            while try rows.next() != nil {
                try sums.add(series: sqlite3_column_int64(raw, 0), day: sqlite3_column_int64(raw, 1), Self.counts(raw, from: 2))
            }
            return sums.counts()
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
                    SELECT series_id, day, \(Self.runningColumns) FROM running_day
                    WHERE kind = 0 AND unit_id IN \(Self.placeholders(unitIds.count)) AND \(dayFilter)
                    """)
            // Summed here, by day offset and scale (the series' own, from the catalog), not by a
            // GROUP BY that sorts the rows; integer columns only.
            let catalog = try catalogCache.catalog(db)
            var sums = PositionSums(low: low, high: high)
            let rows = try Row.fetchCursor(statement, arguments: arguments)
            let raw = statement.sqliteStatement
            while try rows.next() != nil {
                let series = try catalog.series(sqlite3_column_int64(raw, 0))
                sums.add(position: sqlite3_column_int64(raw, 1), scale: series.scale, Self.counts(raw, from: 2))
            }
            // Each requested day answers with its clamped day's totals.
            return sums.counts(at: Set(days).sorted().map { ($0, min($0, horizon)) })
        }
    }

    public func hourCounts(unitIds: [Int64], fromHour: Int64, toHour: Int64) async throws -> [PositionCount] {
        guard !unitIds.isEmpty, fromHour <= toHour else { return [] }
        return try await writer.read { db in
            // Summed in an array of the hours that can hold counts: from the first series' first
            // day to the last day filed on (a 10-year range asked of a 1-year database is a year).
            guard let horizon = try Self.horizon(db),
                let firstDay = try Int64.fetchOne(db.cachedStatement(sql: "SELECT min(first_day) FROM report_series"))
            else { return [] }
            let fromHour = max(fromHour, firstDay * 24), toHour = min(toHour, horizon * 24 + 23)
            guard fromHour <= toHour else { return [] }
            var arguments = StatementArguments(unitIds)
            arguments += [fromHour, toHour]
            let frozen = arguments
            let statement = try db.cachedStatement(
                sql: """
                    SELECT bucket, scale, \(Self.runningColumns) FROM rollup_unit_hour
                    WHERE unit_id IN \(Self.placeholders(unitIds.count)) AND bucket BETWEEN ? AND ?
                    """)
            var sums = PositionSums(low: fromHour, high: toHour)
            let rows = try Row.fetchCursor(statement, arguments: frozen)
            let raw = statement.sqliteStatement
            while try rows.next() != nil {
                sums.add(position: sqlite3_column_int64(raw, 0), scale: Self.scale(raw, 1), Self.counts(raw, from: 2))
            }
            return sums.counts()
        }
    }

    private static let countColumns = ["level1", "level2", "level3", "level4", "level5", "rated", "unrated"]

    private static func horizon(_ db: Database) throws -> Int64? {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT day FROM running_horizon WHERE id = 1"))
    }

    private static let scaleNames = Scale.allCases.map { (scale: $0, bytes: Array($0.rawValue.utf8)) }

    /// The scale in text column `index` of the statement's current row, matched by its bytes
    /// (no String per row).
    static func scale(_ statement: SQLiteStatement, _ index: Int32) -> Scale {
        let count = Int(sqlite3_column_bytes(statement, index))
        guard let text = sqlite3_column_text(statement, index) else { return .vn3 }
        let bytes = UnsafeBufferPointer(start: text, count: count)
        return scaleNames.first { $0.bytes.elementsEqual(bytes) }?.scale ?? .vn3
    }

    /// The seven count columns starting at `index` of the statement's current row.
    static func counts(_ statement: SQLiteStatement, from index: Int32) -> SIMD8<Int64> {
        SIMD8(
            sqlite3_column_int64(statement, index), sqlite3_column_int64(statement, index + 1), sqlite3_column_int64(statement, index + 2),
            sqlite3_column_int64(statement, index + 3), sqlite3_column_int64(statement, index + 4),
            sqlite3_column_int64(statement, index + 5), sqlite3_column_int64(statement, index + 6), 0)
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
    static func addToRunningTotals(_ db: Database, board: BoardInfo, days: [IngestPlan.DayCounts]) throws {
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
                SELECT kind, unit_id, ?, series_id, counter_id, clerk, scale, \(Self.runningColumns) FROM running_day
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
