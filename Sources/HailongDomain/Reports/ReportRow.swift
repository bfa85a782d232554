/// One row of a satisfaction report (DESIGN §8): what a manager reads for one unit, counter,
/// clerk or period.
public struct ReportRow: Equatable, Sendable, Codable {
    /// What the row is about: a unit code, counter id, clerk code, or a period (`2026-11-23`,
    /// `2026-W48`, `2026-11`, `2026-11-23T08`).
    public var key: String
    /// The same for people (a unit's or clerk's name, NFC).
    public var label: String
    /// Ratings per level, keyed by the level as text ("3": 12).
    public var levels: [String: Int64]
    public var total: Int64
    public var satisfied: Int64
    /// satisfied / total; absent when there is no rating.
    public var rate: Double?
    public var wilsonLow: Double?
    public var wilsonHigh: Double?
    /// rated sessions / (rated + unrated sessions); absent when no session was recorded.
    public var responseRate: Double?
    /// total < `reports.min_n`: shown, never ranked.
    public var insufficient: Bool

    public init(
        key: String, label: String, levels: [String: Int64], total: Int64, satisfied: Int64, rate: Double?,
        wilsonLow: Double?, wilsonHigh: Double?, responseRate: Double?, insufficient: Bool
    ) {
        self.key = key
        self.label = label
        self.levels = levels
        self.total = total
        self.satisfied = satisfied
        self.rate = rate
        self.wilsonLow = wilsonLow
        self.wilsonHigh = wilsonHigh
        self.responseRate = responseRate
        self.insufficient = insufficient
    }

    /// Builds a row from counts.
    ///
    /// - Parameters:
    ///   - levels: ratings per level.
    ///   - satisfied: how many of them are in the scale's satisfied set.
    ///   - rated: sessions closed `rated`; `unrated`: closed `unrated`.
    ///   - minimumN: `reports.min_n`.
    public init(
        key: String, label: String, levels: [Int: Int64], satisfied: Int64, rated: Int64, unrated: Int64, minimumN: Int64
    ) {
        var byText: [String: Int64] = [:]
        for (level, count) in levels { byText[String(level)] = count }
        self.init(key: key, label: label, levelsByText: byText, satisfied: satisfied, rated: rated, unrated: unrated, minimumN: minimumN)
    }

    /// The same, with the levels keyed as text already (a report of thousands of rows builds
    /// one dictionary per row, not two).
    public init(
        key: String, label: String, levelsByText levels: [String: Int64], satisfied: Int64, rated: Int64, unrated: Int64,
        minimumN: Int64
    ) {
        let total = levels.values.reduce(0, +)
        let interval = total > 0 ? WilsonInterval(successes: satisfied, total: total) : nil
        self.init(
            key: key, label: label, levels: levels, total: total, satisfied: satisfied,
            rate: total > 0 ? Double(satisfied) / Double(total) : nil,
            wilsonLow: interval?.low, wilsonHigh: interval?.high,
            responseRate: rated + unrated > 0 ? Double(rated) / Double(rated + unrated) : nil,
            insufficient: total < minimumN)
    }

    /// A level's key in `levels` ("1"…"5").
    public static let levelKeys = ["", "1", "2", "3", "4", "5"]
}

extension ReportRow {
    private enum CodingKeys: String, CodingKey {
        case key, label, levels, total, satisfied, rate, wilsonLow, wilsonHigh, responseRate, insufficient
    }

    /// A level as an object key ("3").
    private struct LevelKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// The same JSON as the synthesized encoder, written field by field: a year's report by clerk
    /// is thousands of rows, and the synthesized path (a generic `Dictionary` for `levels`,
    /// `encodeIfPresent` through the existential box) was most of the request's time.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(key, forKey: .key)
        try container.encode(label, forKey: .label)
        var byLevel = container.nestedContainer(keyedBy: LevelKey.self, forKey: .levels)
        for (level, count) in levels { try byLevel.encode(count, forKey: LevelKey(stringValue: level)) }
        try container.encode(total, forKey: .total)
        try container.encode(satisfied, forKey: .satisfied)
        if let rate { try container.encode(rate, forKey: .rate) }
        if let wilsonLow { try container.encode(wilsonLow, forKey: .wilsonLow) }
        if let wilsonHigh { try container.encode(wilsonHigh, forKey: .wilsonHigh) }
        if let responseRate { try container.encode(responseRate, forKey: .responseRate) }
        try container.encode(insufficient, forKey: .insufficient)
    }
}

/// A report's answer: `{"rows": [...]}`.
public struct Report: Equatable, Sendable, Codable {
    public var rows: [ReportRow]
    public init(rows: [ReportRow]) { self.rows = rows }
}
