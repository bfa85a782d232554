import HailongDomain

/// A funnel plot of the clerks' (or counters') rates against their number of ratings, with the
/// 95 % and 99.8 % limits around the unit's own rate (`FunnelLimits`). Points are shaped by
/// where they lie — a circle inside the 95 % limits, a square between, a diamond beyond 99.8 % —
/// so the reading does not rest on colour. Rows under `min_n` are not drawn.
struct FunnelPlot: Sendable {
    struct Point: Sendable {
        var x: String
        var y: String
        var shape: String  // circle | square | diamond
        /// The square's or diamond's outline; nil for a circle.
        var path: String?
        var title: String
    }
    struct Tick: Sendable { var position: String; var label: String }

    var title: String
    var desc: String
    var target: String
    var targetY: String
    var inner: String  // polyline of the 95 % limits (upper then lower, as two lines)
    var innerLow: String
    var outer: String
    var outerLow: String
    var points: [Point] = []
    /// With more than `titledPoints` to draw, the points inside the 95 % limits (most of them)
    /// are one path with no titles, one mark per pixel: a ministry's 40,000 clerks would
    /// otherwise be megabytes of SVG. The points outside keep their titles.
    var crowd: String?
    var xTicks: [Tick] = []
    var yTicks: [Tick] = []
    var empty: Bool

    static let left = 64.0, right = 620.0, top = 14.0, bottom = 256.0
    static let titledPoints = 500

    init(rows: [ReportRow], labels: [String: String], target rate: Double, text: WebText, format: WebFormat) {
        let drawn = rows.filter { !$0.insufficient && $0.total > 0 }
        empty = drawn.isEmpty
        let limits = FunnelLimits(target: rate)
        let maxN = Double(max(drawn.map(\.total).max() ?? 1, 10)) * 1.05
        let minN = 1.0
        // The y axis shows from a little under the lowest thing drawn to 100 %.
        // (The limits are drawn from n = 1, clamped at the axis; its range follows the smallest
        // n actually plotted, so a few wide limits do not squash the points.)
        let smallest = drawn.map(\.total).min() ?? 1
        let lowest = min(drawn.compactMap(\.rate).min() ?? rate, limits.limits(n: smallest, z: FunnelLimits.z998).low)
        let yMin = max(0, (lowest * 10).rounded(.down) / 10 - 0.05)
        func x(_ n: Double) -> Double { Self.left + n / maxN * (Self.right - Self.left) }
        func y(_ r: Double) -> Double { Self.bottom - (r - yMin) / (1 - yMin) * (Self.bottom - Self.top) }
        func curve(_ z: Double, high: Bool) -> String {
            (0...48).map { step -> String in
                let n = minN + (maxN - minN) * Double(step) / 48
                let bound = limits.limits(n: Int64(n.rounded()), z: z)
                return "\(WebFormat.plain(x(n))),\(WebFormat.plain(y(max(yMin, high ? bound.high : bound.low))))"
            }.joined(separator: " ")
        }
        inner = curve(FunnelLimits.z95, high: true)
        innerLow = curve(FunnelLimits.z95, high: false)
        outer = curve(FunnelLimits.z998, high: true)
        outerLow = curve(FunnelLimits.z998, high: false)
        target = format.percent(rate)
        targetY = WebFormat.plain(y(rate))
        var outside = 0
        let crowded = drawn.count > Self.titledPoints
        var crowdMarks: [String] = []
        var crowdPixels = Set<SIMD2<Int32>>()
        for row in drawn {
            guard let r = row.rate else { continue }
            let px = x(Double(row.total)), py = y(r)
            let position = limits.position(rate: r, n: row.total)
            let shape: String
            let path: String?
            switch position {
            case .within:
                if crowded {
                    if crowdPixels.insert(SIMD2(Int32(px.rounded()), Int32(py.rounded()))).inserted {
                        crowdMarks.append("M\(WebFormat.plain(px - 4)),\(WebFormat.plain(py))a4,4 0 1,0 8,0a4,4 0 1,0 -8,0")
                    }
                    continue
                }
                shape = "circle"
                path = nil
            case .above95, .below95:
                shape = "square"
                path = "M\(WebFormat.plain(px - 4)),\(WebFormat.plain(py - 4))h8v8h-8z"
            case .above998, .below998:
                shape = "diamond"
                outside += 1
                path = "M\(WebFormat.plain(px)),\(WebFormat.plain(py - 6))l6,6l-6,6l-6,-6z"
            }
            points.append(
                Point(
                    x: WebFormat.plain(px), y: WebFormat.plain(py), shape: shape, path: path,
                    title: "\(labels[row.key] ?? row.label): \(format.percent(r)), n = \(format.integer(row.total)) — \(text.position(position))"))
        }
        crowd = crowdMarks.isEmpty ? nil : crowdMarks.joined()
        // Round ticks: a step of 1, 2 or 5 × 10^k giving at most six of them.
        var step = 1.0
        var next = 0
        while maxN / step > 6 {
            step *= [2.0, 2.5, 2.0][next % 3]  // 1, 2, 5, 10, 20, 50, …
            next += 1
        }
        xTicks = stride(from: 0.0, through: maxN, by: step).map { n in
            Tick(position: WebFormat.plain(x(n)), label: format.integer(Int64(n)))
        }
        yTicks = stride(from: 1.0, through: yMin - 0.0001, by: -max(0.05, ((1 - yMin) / 4 * 20).rounded(.up) / 20)).map {
            Tick(position: WebFormat.plain(y($0)), label: format.percent($0))
        }
        title = text["funnel"]
        desc = text["funnelDesc"]
            .replacingOccurrences(of: "{target}", with: format.percent(rate))
            .replacingOccurrences(of: "{count}", with: String(drawn.count))
            .replacingOccurrences(of: "{outside}", with: String(outside))
    }
}
