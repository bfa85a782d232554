import HailongDomain

/// One row of a rate table (units, clerks, counters, trend buckets): the API's row as the page
/// shows it, with the interval as a bar on a 0–100 % scale.
struct RateRowView: Sendable {
    var key: String
    var label: String
    var href: String?
    /// 1, 2, … for ranked rows; nil for rows under `min_n` (shown, never ranked).
    var rank: String?
    var total: Int64
    var totalText: String
    var satisfied: Int64
    var rateValue: String
    var rateText: String
    var lowText: String
    var highText: String
    var responseText: String
    var insufficient: Bool
    var barLow: String
    var barWidth: String
    var barRate: String
    var hasRate: Bool
    /// Where the row lies on the funnel plot, in words (ranking pages only).
    var position: String?

    init(_ row: ReportRow, label: String, href: String?, rank: Int?, format: WebFormat, text: WebText, position: String? = nil) {
        key = row.key
        self.label = label
        self.href = href
        self.rank = rank.map(String.init)
        total = row.total
        totalText = format.integer(row.total)
        satisfied = row.satisfied
        rateValue = row.rate.map(WebFormat.plain) ?? ""
        rateText = format.percent(row.rate)
        lowText = format.percent(row.wilsonLow)
        highText = format.percent(row.wilsonHigh)
        responseText = format.percent(row.responseRate)
        insufficient = row.insufficient
        hasRate = row.rate != nil
        barLow = WebFormat.plain((row.wilsonLow ?? 0) * 100)
        barWidth = WebFormat.plain(max(0.5, ((row.wilsonHigh ?? 0) - (row.wilsonLow ?? 0)) * 100))
        barRate = WebFormat.plain((row.rate ?? 0) * 100)
        self.position = position
    }
}
