import Foundation
import HailongDomain

/// What a report groups by (`by=`).
public enum ReportDimension: String, Sendable, CaseIterable {
    case unit, counter, clerk, hour, day, week, month
}

/// Builds satisfaction reports from rollups (never raw events). Dates are local calendar days:
/// `from=2026-11-01&to=2026-11-30` is November as each unit of the subtree lives it, in its own
/// time zone; days and hours are bucketed likewise.
struct SatisfactionReport: Sendable {
    let store: any HailongStore
    let zones: ZoneOffsets
    let minimumN: Int64

    private struct Tally {
        var levels: [Int: Int64] = [:]
        var satisfied: Int64 = 0
        var rated: Int64 = 0
        var unrated: Int64 = 0
    }

    /// - Parameters:
    ///   - units: the subtree (the requested unit first or anywhere; all are included).
    ///   - fromDay, toDay: inclusive local day numbers.
    func rows(units: [Unit], fromDay: Int64, toDay: Int64, by dimension: ReportDimension) async throws -> [ReportRow] {
        let unitIds = units.map(\.id)
        let unitById = Dictionary(units.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var tallies: [String: Tally] = [:]
        func fold(_ count: RollupCount, into tally: inout Tally) {
            if count.level == 0 {
                tally.rated += count.rated
                tally.unrated += count.unrated
            } else {
                tally.levels[count.level, default: 0] += count.ratings
                if count.scale.isSatisfied(count.level) { tally.satisfied += count.ratings }
            }
        }
        // In place: a tally copied out and back would copy its level dictionary on every add.
        func add(_ count: RollupCount, key: String) { fold(count, into: &tallies[key, default: Tally()]) }
        switch dimension {
        case .unit, .counter, .clerk:
            let group: RollupGroup = dimension == .unit ? .unit : dimension == .counter ? .counter : .clerk
            for segment in Self.segments(fromDay: fromDay, toDay: toDay) {
                for var count in try await store.rollupCounts(
                    unitIds: unitIds, grain: segment.grain, from: segment.from, to: segment.to, groupBy: group)
                {
                    count.ratings *= segment.sign
                    count.rated *= segment.sign
                    count.unrated *= segment.sign
                    add(count, key: dimension == .unit ? (unitById[count.unitId]?.code ?? "") : count.group)
                }
            }
        case .day, .week, .month:
            for count in try await store.rollupCounts(unitIds: unitIds, grain: .day, from: fromDay, to: toDay, groupBy: .bucket) {
                guard let day = Int64(count.group) else { continue }
                add(count, key: dimension == .day ? Self.dayKey(day) : dimension == .week ? Self.weekKey(day) : Self.monthKey(day))
            }
        case .hour:
            var bounds: [Int64: (Int64, Int64)] = [:]
            for unit in units {
                bounds[unit.id] = (
                    zones.startOfLocalDay(unit.timeZone, day: fromDay) / 3600,
                    zones.startOfLocalDay(unit.timeZone, day: toDay + 1) / 3600 - 1
                )
            }
            let low = bounds.values.map(\.0).min() ?? 0
            let high = bounds.values.map(\.1).max() ?? -1
            for count in try await store.rollupCounts(unitIds: unitIds, grain: .hour, from: low, to: high, groupBy: .bucket) {
                guard let hour = Int64(count.group), let unit = unitById[count.unitId], let (first, last) = bounds[unit.id],
                    (first...last).contains(hour)
                else { continue }
                let local = hour * 3600 + zones.offset(unit.timeZone, atSecond: hour * 3600)
                add(count, key: Self.dayKey(floorDiv(local, 86_400)) + "T" + Self.pad(floorDiv(local, 3600) - floorDiv(local, 86_400) * 24, 2))
            }
        }
        let labels = try await labels(for: dimension, keys: Array(tallies.keys), units: units)
        // Subtracted segments can leave zero counts (and rows) behind: a row or level is shown
        // only where something was counted.
        for (key, tally) in tallies where tally.levels.values.contains(0) || tally.levels.isEmpty {
            var cleaned = tally
            cleaned.levels = tally.levels.filter { $0.value != 0 }
            if cleaned.levels.isEmpty, cleaned.rated == 0, cleaned.unrated == 0 { tallies[key] = nil } else { tallies[key] = cleaned }
        }
        var rows = tallies.map { key, tally in
            ReportRow(
                key: key, label: labels[key] ?? key, levels: tally.levels, satisfied: tally.satisfied, rated: tally.rated,
                unrated: tally.unrated, minimumN: minimumN)
        }
        switch dimension {
        case .hour, .day, .week, .month:
            rows.sort { $0.key < $1.key }
        case .unit, .counter, .clerk:
            // Ranked by the interval's lower bound (a small sample cannot top the table);
            // insufficient rows are shown after, unranked, by key.
            rows.sort { a, b in
                if a.insufficient != b.insufficient { return !a.insufficient }
                if !a.insufficient, a.wilsonLow != b.wilsonLow { return (a.wilsonLow ?? 0) > (b.wilsonLow ?? 0) }
                return a.key < b.key
            }
        }
        return rows
    }

    private func labels(for dimension: ReportDimension, keys: [String], units: [Unit]) async throws -> [String: String] {
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

    /// A piece of a report's range read from one rollup table; `sign` −1 subtracts it.
    struct Segment: Equatable, CustomStringConvertible {
        var grain: RollupGrain
        var from: Int64
        var to: Int64
        var sign: Int64 = 1
        var description: String { "\(sign < 0 ? "-" : "")\(grain.rawValue) \(from)...\(to)" }
    }

    /// Splits a day range into whole local years (year rollup), whole months (month rollup) and
    /// the days around them (day rollup, or week rollup for whole weeks among those days), so a
    /// calendar year reads one bucket per series. A
    /// month mostly inside the range is read whole, minus its few outside days; likewise a year
    /// mostly inside the range (a rolling year) is read whole, minus the months and days outside
    /// it, when that reads fewer buckets.
    static func segments(fromDay: Int64, toDay: Int64) -> [Segment] {
        var pieces: [Segment] = []
        var day = fromDay
        while day <= toDay {
            let (year, _, _) = CivilDate.fromDays(day)
            let yearStart = CivilDate.toDays(year: year, month: 1, day: 1)
            let yearEnd = CivilDate.toDays(year: year, month: 12, day: 31)
            let end = min(yearEnd, toDay)
            let wholeYear = Segment(grain: .year, from: year, to: year)
            if day == yearStart, end == yearEnd {
                pieces.append(wholeYear)
            } else {
                let inside = monthsAndDays(fromDay: day, toDay: end)
                var outside: [Segment] = []
                if day > yearStart { outside += monthsAndDays(fromDay: yearStart, toDay: day - 1) }
                if end < yearEnd { outside += monthsAndDays(fromDay: end + 1, toDay: yearEnd) }
                let minusOutside = [wholeYear] + outside.map { Segment(grain: $0.grain, from: $0.from, to: $0.to, sign: -$0.sign) }
                pieces += cost(minusOutside) < cost(inside) ? minusOutside : inside
            }
            day = end + 1
        }
        // Runs of days become weeks where that reads fewer buckets (edges of a rolling range).
        var withWeeks: [Segment] = []
        for piece in merge(pieces) {
            guard piece.grain == .day else {
                withWeeks.append(piece)
                continue
            }
            let weeks = weeksAndDays(piece)
            withWeeks += buckets(weeks) < buckets([piece]) ? weeks : [piece]
        }
        return merge(withWeeks)
    }

    /// Days in order, then weeks, months, years; neighbours of the same sign read as one range.
    private static func merge(_ pieces: [Segment]) -> [Segment] {
        var merged: [Segment] = []
        for grain in [RollupGrain.day, .week, .month, .year] {
            for piece in pieces where piece.grain == grain {
                if let last = merged.last, last.grain == grain, last.sign == piece.sign, last.to + 1 == piece.from {
                    merged[merged.count - 1].to = piece.to
                } else {
                    merged.append(piece)
                }
            }
        }
        return merged
    }

    /// A run of days as the whole weeks (Monday–Sunday) inside it and the days left at its ends;
    /// a week mostly inside the run (4 days or more) is read whole, minus its outside days.
    private static func weeksAndDays(_ run: Segment) -> [Segment] {
        var pieces: [Segment] = []
        var day = run.from
        while day <= run.to {
            let week = weekNumber(ofDay: day)
            let weekStart = week * 7 - 3, weekEnd = week * 7 + 3
            let end = min(weekEnd, run.to)
            let inside = end - day + 1
            if inside >= 4 {
                pieces.append(Segment(grain: .week, from: week, to: week, sign: run.sign))
                if day > weekStart { pieces.append(Segment(grain: .day, from: weekStart, to: day - 1, sign: -run.sign)) }
                if end < weekEnd { pieces.append(Segment(grain: .day, from: end + 1, to: weekEnd, sign: -run.sign)) }
            } else {
                pieces.append(Segment(grain: .day, from: day, to: end, sign: run.sign))
            }
            day = end + 1
        }
        return pieces
    }

    /// How many rollup buckets a set of segments reads (each bucket holds about one row per series).
    private static func buckets(_ segments: [Segment]) -> Int64 { segments.reduce(0) { $0 + $1.to - $1.from + 1 } }

    /// `buckets`, counting each run of days as it will be read: as days or as weeks and days.
    private static func cost(_ segments: [Segment]) -> Int64 {
        segments.reduce(0) { total, segment in
            total + (segment.grain == .day ? min(buckets([segment]), buckets(weeksAndDays(segment))) : buckets([segment]))
        }
    }

    /// Whole months and days of a range within one year; a month mostly inside the range is read
    /// whole, minus its outside days.
    private static func monthsAndDays(fromDay: Int64, toDay: Int64) -> [Segment] {
        var segments: [Segment] = []
        var day = fromDay
        while day <= toDay {
            let (year, month, _) = CivilDate.fromDays(day)
            let monthStart = CivilDate.toDays(year: year, month: month, day: 1)
            let monthEnd = CivilDate.toDays(year: year, month: month, day: CivilDate.daysIn(month: month, year: year))
            let number = year * 12 + month - 1
            let end = min(monthEnd, toDay)
            let outside = (monthEnd - monthStart + 1) - (end - day + 1)
            if outside == 0 {
                segments.append(Segment(grain: .month, from: number, to: number))
            } else {
                var minusOutside = [Segment(grain: .month, from: number, to: number)]
                if day > monthStart { minusOutside.append(Segment(grain: .day, from: monthStart, to: day - 1, sign: -1)) }
                if end < monthEnd { minusOutside.append(Segment(grain: .day, from: end + 1, to: monthEnd, sign: -1)) }
                let inside = [Segment(grain: .day, from: day, to: end)]
                segments += cost(minusOutside) < cost(inside) ? minusOutside : inside
            }
            day = end + 1
        }
        return segments
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
