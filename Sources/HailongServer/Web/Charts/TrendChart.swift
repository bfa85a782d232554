import HailongDomain

/// The overview's trend: one point per bucket (day, week or month), the 95 % Wilson interval as
/// a band, buckets under `reports.min_n` hollow and never joined to their neighbours, and no
/// point at all where nothing was rated. Geometry only; the template draws it.
struct TrendChart: Sendable {
    struct Segment: Sendable { var band: String; var line: String }
    struct Point: Sendable { var cx: String; var cy: String; var hollow: Bool; var title: String }
    struct Tick: Sendable { var position: String; var label: String }

    var title: String
    var desc: String
    var bucketName: String
    var segments: [Segment] = []
    var points: [Point] = []
    var yTicks: [Tick] = []
    var xTicks: [Tick] = []
    var rows: [RateRowView]
    var csv: String
    var empty: Bool

    static let width = 640.0, height = 240.0
    static let left = 76.0, right = 620.0, top = 14.0, bottom = 200.0

    /// - Parameters:
    ///   - keys: every bucket of the range in order (those without ratings are gaps).
    ///   - labels: the bucket's short label for the axis and the table.
    init(
        keys: [String], labels: [String: String], rows byKey: [String: ReportRow], text: WebText, format: WebFormat,
        bucketName: String, csv: String
    ) {
        self.bucketName = bucketName
        self.csv = csv
        let step = keys.count > 1 ? (Self.right - Self.left) / Double(keys.count - 1) : 0
        func x(_ index: Int) -> Double { keys.count > 1 ? Self.left + Double(index) * step : (Self.left + Self.right) / 2 }
        func y(_ rate: Double) -> Double { Self.bottom - rate * (Self.bottom - Self.top) }
        var run: [(Double, ReportRow)] = []
        var segments: [Segment] = []
        func closeRun() {
            if !run.isEmpty {
                let highs = run.map { "\(WebFormat.plain($0.0)),\(WebFormat.plain(y($0.1.wilsonHigh ?? 0)))" }
                let lows = run.reversed().map { "\(WebFormat.plain($0.0)),\(WebFormat.plain(y($0.1.wilsonLow ?? 0)))" }
                let line = run.map { "\(WebFormat.plain($0.0)),\(WebFormat.plain(y($0.1.rate ?? 0)))" }
                segments.append(Segment(band: (highs + lows).joined(separator: " "), line: line.joined(separator: " ")))
            }
            run = []
        }
        var points: [Point] = []
        var rows: [RateRowView] = []
        for (index, key) in keys.enumerated() {
            guard let row = byKey[key] else {
                closeRun()
                continue
            }
            let label = labels[key] ?? key
            rows.append(RateRowView(row, label: label, href: nil, rank: nil, format: format, text: text))
            guard row.total > 0, let rate = row.rate else {
                closeRun()
                continue
            }
            if row.insufficient { closeRun() } else { run.append((x(index), row)) }
            points.append(
                Point(
                    cx: WebFormat.plain(x(index)), cy: WebFormat.plain(y(rate)), hollow: row.insufficient,
                    title: "\(label): \(format.percent(rate)), n = \(format.integer(row.total))"
                        + (row.insufficient ? " (\(text["insufficient"]))" : "")))
        }
        closeRun()
        self.segments = segments
        self.points = points
        self.rows = rows
        empty = points.isEmpty
        yTicks = [0.0, 0.25, 0.5, 0.75, 1.0].map { Tick(position: WebFormat.plain(y($0)), label: format.percent($0)) }
        let every = max(1, Int((Double(keys.count) / 8).rounded(.up)))
        // Every `every`-th bucket, and the last one when it does not crowd the one before.
        xTicks = keys.indices.filter { $0 % every == 0 || ($0 == keys.count - 1 && $0 % every >= (every + 1) / 2) }.map {
            Tick(position: WebFormat.plain(x($0)), label: labels[keys[$0]] ?? keys[$0])
        }
        title = text["trend"] + " (" + bucketName + ")"
        let sufficient = rows.filter { !$0.insufficient }
        desc = text["trendDesc"]
            .replacingOccurrences(of: "{buckets}", with: String(rows.count))
            .replacingOccurrences(of: "{sufficient}", with: String(sufficient.count))
    }
}
