/// The dashboard's period picker: a named period ending today, or a range of days the manager
/// types. Days are local day numbers (days since 1970-01-01 in the unit's calendar).
///
/// ```swift
/// ReportPeriod.named(.last7Days).days(today: d)   // d − 6 ... d
/// ```
public enum ReportPeriod: Equatable, Sendable {
    public enum Name: String, Sendable, CaseIterable {
        case today
        case last7Days = "7d"
        case last30Days = "30d"
        case month, quarter, year
    }

    case named(Name)
    /// Inclusive.
    case range(from: Int64, to: Int64)

    /// What the pages and the API use when nothing is asked for: the last 30 days.
    public static let standard = ReportPeriod.named(.last30Days)

    /// The longest range a report answers (the API's own limit).
    public static let maximumDays: Int64 = 3700

    /// The inclusive days of the period, for a unit whose local day is `today`.
    public func days(today: Int64) -> (from: Int64, to: Int64) {
        switch self {
        case .range(let from, let to): return (from, to)
        case .named(let name):
            let (year, month, _) = CivilDate.fromDays(today)
            switch name {
            case .today: return (today, today)
            case .last7Days: return (today - 6, today)
            case .last30Days: return (today - 29, today)
            case .month: return (CivilDate.toDays(year: year, month: month, day: 1), today)
            case .quarter: return (CivilDate.toDays(year: year, month: (month - 1) / 3 * 3 + 1, day: 1), today)
            case .year: return (CivilDate.toDays(year: year, month: 1, day: 1), today)
            }
        }
    }

    public enum Problem: Error, Equatable, Sendable {
        case unknownName(String)
        case notADate(field: String, text: String)
        case reversed
        case tooLong
    }

    /// Reads `period=` or `from=`/`to=` (YYYY-MM-DD; a missing `to` is today, a missing `from`
    /// 29 days before `to`). Both given: the dates win, as a typed range is the more specific.
    public static func parse(period: String?, from: String?, to: String?, today: Int64) throws(Problem) -> ReportPeriod {
        let from = from.flatMap { $0.isEmpty ? nil : $0 }
        let to = to.flatMap { $0.isEmpty ? nil : $0 }
        if from != nil || to != nil {
            var toDay = today
            if let to {
                guard let day = CivilDate.parseDay(to) else { throw .notADate(field: "to", text: to) }
                toDay = day
            }
            var fromDay = toDay - 29
            if let from {
                guard let day = CivilDate.parseDay(from) else { throw .notADate(field: "from", text: from) }
                fromDay = day
            }
            guard fromDay <= toDay else { throw .reversed }
            guard toDay - fromDay <= maximumDays else { throw .tooLong }
            return .range(from: fromDay, to: toDay)
        }
        guard let period, !period.isEmpty else { return standard }
        guard let name = Name(rawValue: period) else { throw .unknownName(period) }
        return .named(name)
    }
}
