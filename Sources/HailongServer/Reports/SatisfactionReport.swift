import Foundation
import HailongDomain

/// What a report groups by (`by=`).
public enum ReportDimension: String, Sendable, CaseIterable {
    case unit, counter, clerk, hour, day, week, month
}

/// Builds satisfaction reports from the running totals and the units' hours (never raw events).
/// Dates are local calendar days: `from=2026-11-01&to=2026-11-30` is November as each unit of the
/// subtree lives it, in its own time zone; days and hours are bucketed likewise.
///
/// What a report reads does not depend on where its range starts and ends (issue 14): by unit,
/// counter or clerk, each series' running total at `to` minus the one at `from − 1`, summed per
/// group by the store; by day, week or month, the units' totals at the end of each bucket; by
/// hour, the units' local hours. The store sums over units, so few rows reach this code.
struct SatisfactionReport: Sendable {
    let store: any HailongStore
    let zones: ZoneOffsets
    let minimumN: Int64

    /// Counts under one key, and how many of its ratings are satisfied on their own scale.
    private struct Tally {
        var counts = TallyCounts()
        var satisfied: Int64 = 0

        mutating func add(_ counts: TallyCounts, _ scale: Scale) {
            self.counts += counts
            satisfied &+= (counts.lanes &* SatisfactionReport.satisfiedMask(scale)).wrappedSum()
        }

        mutating func subtract(_ counts: TallyCounts, _ scale: Scale) {
            self.counts -= counts
            satisfied &-= (counts.lanes &* SatisfactionReport.satisfiedMask(scale)).wrappedSum()
        }
    }

    /// 1 in the lanes of the scale's satisfied levels.
    private static func satisfiedMask(_ scale: Scale) -> SIMD8<Int64> { masks[scale] ?? .zero }

    private static let masks: [Scale: SIMD8<Int64>] = Dictionary(
        uniqueKeysWithValues: Scale.allCases.map { scale in
            var mask = SIMD8<Int64>.zero
            for level in scale.satisfiedLevels where (1...5).contains(level) { mask[level - 1] = 1 }
            return (scale, mask)
        })

    /// - Parameters:
    ///   - units: the subtree (the requested unit first or anywhere; all are included).
    ///   - fromDay, toDay: inclusive local day numbers.
    func rows(units: [Unit], fromDay: Int64, toDay: Int64, by dimension: ReportDimension) async throws -> [ReportRow] {
        let unitIds = units.map(\.id)
        let unitById = Dictionary(units.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        // The store lists a key's scales next to each other: merged into the last entry, no
        // dictionary of thousands of keys.
        var entries = Entries()
        switch dimension {
        case .unit, .counter, .clerk:
            let group: RunningGroup = dimension == .unit ? .unit : dimension == .counter ? .counter : .clerk
            for count in try await store.rangeCounts(unitIds: unitIds, fromDay: fromDay, toDay: toDay, groupBy: group) {
                let key = dimension == .unit ? (Int64(count.group).flatMap { unitById[$0]?.code } ?? count.group) : count.group
                entries.add(key, count.counts, count.scale)
            }
        case .day, .week, .month:
            // Each bucket ends at its last day inside the range; it holds the units' totals there
            // minus those at the previous bucket's end.
            var ends: [Int64] = []
            for day in fromDay...toDay {
                let last: Bool
                switch dimension {
                case .day: last = true
                case .week: last = day == weekNumber(ofDay: day) * 7 + 3
                default:
                    let (year, month, dayOfMonth) = CivilDate.fromDays(day)
                    last = dayOfMonth == CivilDate.daysIn(month: month, year: year)
                }
                if last || day == toDay { ends.append(day) }
            }
            var totals: [Int64: [Scale: TallyCounts]] = [:]
            for count in try await store.unitTotals(unitIds: unitIds, atDays: [fromDay - 1] + ends) {
                totals[count.position, default: [:]][count.scale] = count.counts
            }
            var previous = totals[fromDay - 1] ?? [:]
            for end in ends {
                let key = dimension == .day ? Self.dayKey(end) : dimension == .week ? Self.weekKey(end) : Self.monthKey(end)
                let current = totals[end] ?? [:]
                for (scale, counts) in current {
                    let added = counts - (previous[scale] ?? TallyCounts())
                    if !added.isZero { entries.add(key, added, scale) }
                }
                previous = current
            }
        case .hour:
            // Hours are kept as each unit lives them (local hour numbers): the range is the
            // same span of them for every unit.
            for count in try await store.hourCounts(unitIds: unitIds, fromHour: fromDay * 24, toHour: toDay * 24 + 23) {
                let key = Self.dayKey(floorDiv(count.position, 24)) + "T" + Self.pad(count.position - floorDiv(count.position, 24) * 24, 2)
                entries.add(key, count.counts, count.scale)
            }
        }
        let labels = try await labels(for: dimension, units: units)
        var rows: [ReportRow] = []
        rows.reserveCapacity(entries.keys.count)
        // A key whose counts cancel out (a series with nothing in the range) is no row.
        for (key, tally) in zip(entries.keys, entries.tallies) where !tally.counts.isZero { rows.append(row(key, labels[key] ?? key, tally)) }
        switch dimension {
        case .hour, .day, .week, .month:
            return rows.sorted { $0.key < $1.key }
        case .unit, .counter, .clerk:
            return Self.ranked(rows)
        }
    }

    /// Ranked by the interval's lower bound (a small sample cannot top the table); insufficient
    /// rows after, unranked, by key. Sorts small keys, then moves each row once.
    static func ranked(_ rows: [ReportRow]) -> [ReportRow] {
        let keys = rows.map { (insufficient: $0.insufficient, low: $0.wilsonLow ?? 0) }
        let order = rows.indices.sorted { a, b in
            if keys[a].insufficient != keys[b].insufficient { return !keys[a].insufficient }
            if !keys[a].insufficient, keys[a].low != keys[b].low { return keys[a].low > keys[b].low }
            return rows[a].key < rows[b].key
        }
        return order.map { rows[$0] }
    }

    /// Keys in the order first added, each with its tally; an add to the last key merges.
    private struct Entries {
        var keys: [String] = []
        var tallies: [Tally] = []

        mutating func add(_ key: String, _ counts: TallyCounts, _ scale: Scale) {
            if keys.last != key {
                keys.append(key)
                tallies.append(Tally())
            }
            tallies[tallies.count - 1].add(counts, scale)
        }
    }

    /// The subtree's total and each child of `root` with its own subtree (the dashboard's
    /// overview), from one by-unit read: the total equals the sum of the API's `by=unit` rows, a
    /// child's row the sum of the API's rows for `unit=<child>`.
    func unitBreakdown(units: [Unit], root: Unit, fromDay: Int64, toDay: Int64) async throws -> (total: ReportRow, children: [ReportRow]) {
        let byId = Dictionary(units.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let byCode = Dictionary(units.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        // Each unit's child of root: walk up (a city is a few levels deep).
        func branch(_ unit: Unit) -> String? {
            var current = unit
            for _ in 0..<64 {
                guard let parent = current.parent else { return nil }
                if parent == root.code { return current.code }
                guard let next = byCode[parent] else { return nil }
                current = next
            }
            return nil
        }
        var total = Tally()
        var children: [String: Tally] = [:]
        for count in try await store.rangeCounts(unitIds: units.map(\.id), fromDay: fromDay, toDay: toDay, groupBy: .unit) {
            total.add(count.counts, count.scale)
            if let id = Int64(count.group), let unit = byId[id], let child = branch(unit) {
                children[child, default: Tally()].add(count.counts, count.scale)
            }
        }
        let rows = units.filter { $0.parent == root.code }.map { row($0.code, $0.name, children[$0.code] ?? Tally()) }
        return (row(root.code, root.name, total), Self.ranked(rows))
    }

    private func row(_ key: String, _ label: String, _ tally: Tally) -> ReportRow {
        var levels = [String: Int64](minimumCapacity: 5)
        for level in 1...5 where tally.counts.ratings(level) != 0 { levels[ReportRow.levelKeys[level]] = tally.counts.ratings(level) }
        return ReportRow(
            key: key, label: label, levelsByText: levels, satisfied: tally.satisfied, rated: tally.counts.rated,
            unrated: tally.counts.unrated, minimumN: minimumN)
    }

    private func labels(for dimension: ReportDimension, units: [Unit]) async throws -> [String: String] {
        switch dimension {
        case .unit:
            return Dictionary(units.map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
        case .counter:
            let counters = try await store.counters(units: units.map(\.code))
            let names = Dictionary(units.map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
            return Dictionary(
                counters.map { (String($0.id), "\(names[$0.unit] ?? $0.unit) — \($0.name)") }, uniquingKeysWith: { a, _ in a })
        case .clerk:
            var labels = Dictionary(try await store.clerks(units: units.map(\.code)).map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
            labels[""] = "(không có cán bộ / no clerk)"
            return labels
        case .hour, .day, .week, .month:
            return [:]
        }
    }

    static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    static func dayKey(_ day: Int64) -> String {
        let (y, m, d) = CivilDate.fromDays(day)
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
    }

    static func monthKey(_ day: Int64) -> String {
        let (y, m, _) = CivilDate.fromDays(day)
        return "\(pad(y, 4))-\(pad(m, 2))"
    }

    /// ISO 8601 week: weeks start on Monday; week 1 holds the year's first Thursday.
    static func weekKey(_ day: Int64) -> String {
        let weekday = ((day + 3) % 7 + 7) % 7  // Monday 0 (1970-01-01 was a Thursday)
        let thursday = day - weekday + 3
        let (year, _, _) = CivilDate.fromDays(thursday)
        let week = (thursday - CivilDate.toDays(year: year, month: 1, day: 1)) / 7 + 1
        return "\(pad(year, 4))-W\(pad(week, 2))"
    }

    /// Parses `YYYY-MM-DD` into a day number.
    static func parseDay(_ text: String) -> Int64? { CivilDate.parseDay(text) }
}

/// CSV for spreadsheets: UTF-8 with a BOM (so Excel reads Vietnamese), CRLF line ends,
/// RFC 4180 quoting, and no text cell that a spreadsheet would run as a formula.
enum CSV {
    static let bom = "\u{FEFF}"

    /// A text cell. One that begins with `=`, `+`, `-`, `@`, a tab or a carriage return (a
    /// clerk named `=HYPERLINK(…)`) is prefixed with `'`, which Excel and LibreOffice read as
    /// "this is text" and do not show (OWASP's advice for CSV injection).
    static func field(_ text: String) -> String {
        var text = text
        if let first = text.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first) { text = "'" + text }
        if text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return text
    }

    static func number(_ value: Double?) -> String {
        guard let value else { return "" }
        return String(format: "%.4f", value)
    }

    static func report(_ rows: [ReportRow]) -> String {
        let levels = Set(rows.flatMap { $0.levels.keys.compactMap { Int($0) } }).sorted(by: >)
        var lines = [
            (["key", "label"] + levels.map { "level_\($0)" }
                + ["total", "satisfied", "rate", "wilson_low", "wilson_high", "response_rate", "insufficient"]).joined(separator: ",")
        ]
        for row in rows {
            var fields = [field(row.key), field(row.label)]
            fields += levels.map { String(row.levels[String($0)] ?? 0) }
            fields += [
                String(row.total), String(row.satisfied), number(row.rate), number(row.wilsonLow), number(row.wilsonHigh),
                number(row.responseRate), row.insufficient ? "true" : "false",
            ]
            lines.append(fields.joined(separator: ","))
        }
        return bom + lines.joined(separator: "\r\n") + "\r\n"
    }
}
