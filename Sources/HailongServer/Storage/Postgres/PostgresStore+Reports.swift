public import HailongDomain
import Logging
import PostgresNIO

/// Reports on PostgreSQL read the same running totals as on SQLite (`SQLiteStore+RunningTotals`):
/// two rows per series for any range, filtered by primary key, summed in `RangeSums` /
/// `PositionSums`, all in one read-only snapshot with the catalog.
extension PostgresStore {
    static let countColumns = "level1, level2, level3, level4, level5, rated, unrated"

    public func rangeCounts(unitIds: [Int64], fromDay: Int64, toDay: Int64, groupBy: RunningGroup) async throws -> [GroupCount] {
        guard !unitIds.isEmpty, fromDay <= toDay else { return [] }
        let kind: RunningKind = groupBy == .unit ? .unit : .series
        return try await snapshot { [self] db, catalog in
            guard let horizon = try await Self.horizon(db, logger: logger) else { return [] }
            let high = min(toDay, horizon), low = min(fromDay - 1, horizon)
            guard low < high else { return [] }
            var sums = RangeSums(catalog: catalog, group: groupBy, high: high)
            let rows = try await db.query(
                """
                SELECT series_id, day, \(unescaped: Self.countColumns) FROM running_day
                WHERE kind = \(kind.rawValue) AND unit_id = ANY(\(unitIds)) AND day IN (\(high), \(low))
                """, logger: logger)
            for try await (series, day, l1, l2, l3, l4, l5, rated, unrated) in rows.decode((Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64).self) {
                try sums.add(series: series, day: day, SIMD8(l1, l2, l3, l4, l5, rated, unrated, 0))
            }
            return sums.counts()
        }
    }

    public func unitTotals(unitIds: [Int64], atDays days: [Int64]) async throws -> [PositionCount] {
        guard !unitIds.isEmpty, !days.isEmpty else { return [] }
        return try await snapshot { [self] db, catalog in
            guard let horizon = try await Self.horizon(db, logger: logger) else { return [] }
            let effective = Array(Set(days.map { min($0, horizon) })).sorted()
            guard let low = effective.first, let high = effective.last else { return [] }
            var sums = PositionSums(low: low, high: high)
            let rows = try await db.query(
                """
                SELECT series_id, day, \(unescaped: Self.countColumns) FROM running_day
                WHERE kind = 0 AND unit_id = ANY(\(unitIds)) AND day = ANY(\(effective))
                """, logger: logger)
            for try await (series, day, l1, l2, l3, l4, l5, rated, unrated) in rows.decode((Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64).self) {
                sums.add(position: day, scale: try catalog.series(series).scale, SIMD8(l1, l2, l3, l4, l5, rated, unrated, 0))
            }
            return sums.counts(at: Set(days).sorted().map { ($0, min($0, horizon)) })
        }
    }

    public func hourCounts(unitIds: [Int64], fromHour: Int64, toHour: Int64) async throws -> [PositionCount] {
        guard !unitIds.isEmpty, fromHour <= toHour else { return [] }
        return try await snapshot { [self] db, _ in
            guard let horizon = try await Self.horizon(db, logger: logger),
                let firstDay = try await db.query("SELECT min(first_day) FROM report_series", logger: logger).decode(Int64?.self)
                    .first(where: { _ in true }) ?? nil
            else { return [] }
            // The hours that can hold counts, as on SQLite (a 10-year range of a 1-year database is a year).
            let fromHour = max(fromHour, firstDay * 24), toHour = min(toHour, horizon * 24 + 23)
            guard fromHour <= toHour else { return [] }
            var sums = PositionSums(low: fromHour, high: toHour)
            let rows = try await db.query(
                """
                SELECT bucket, scale, \(unescaped: Self.countColumns) FROM rollup_unit_hour
                WHERE unit_id = ANY(\(unitIds)) AND bucket BETWEEN \(fromHour) AND \(toHour)
                """, logger: logger)
            for try await (hour, scale, l1, l2, l3, l4, l5, rated, unrated) in rows.decode((Int64, String, Int64, Int64, Int64, Int64, Int64, Int64, Int64).self) {
                sums.add(position: hour, scale: Scale(rawValue: scale) ?? .vn3, SIMD8(l1, l2, l3, l4, l5, rated, unrated, 0))
            }
            return sums.counts()
        }
    }

    static func horizon(_ db: PostgresConnection, logger: Logger) async throws -> Int64? {
        try await db.query("SELECT day FROM running_horizon WHERE id = 1", logger: logger).decode(Int64?.self).first(where: { _ in true }) ?? nil
    }
}
