import HailongDomain

/// The hour × weekday heat map of the share dissatisfied, in the unit's own hours: darker is
/// more dissatisfied (a single-hue scale, readable without telling colours apart), each cell
/// also prints its share, and a cell with fewer than `min_n` ratings is hatched and marked "*".
struct HeatMap: Sendable {
    struct Cell: Sendable {
        var x: String
        var y: String
        var fill: String
        var ink: String
        var text: String
        /// The cell's number of ratings ("n = 12"), under its share.
        var volume: String
        var small: Bool
        var title: String
    }
    struct Row: Sendable { var hour: String; var cells: [TableCell] }
    struct TableCell: Sendable { var text: String; var small: Bool; var total: Int64; var dissatisfied: Int64 }
    struct Label: Sendable { var position: String; var text: String }

    var title: String
    var desc: String
    var cells: [Cell] = []
    var columns: [Label] = []
    var rowLabels: [Label] = []
    var table: [Row] = []
    var weekdays: [String]
    var height: String
    var empty: Bool

    static let left = 56.0, top = 28.0, cellWidth = 80.0, cellHeight = 40.0

    /// ColorBrewer's sequential Oranges, light to dark.
    static let ramp = ["#fff5eb", "#fee6ce", "#fdd0a2", "#fdae6b", "#fd8d3c", "#f16913", "#d94801", "#a63603", "#7f2704"]

    /// - Parameter hours: the report's `by=hour` rows (keys `YYYY-MM-DDTHH`, local hours).
    init(hours: [ReportRow], minimumN: Int64, text: WebText, format: WebFormat) {
        var total = [[Int64]](repeating: [Int64](repeating: 0, count: 7), count: 24)
        var satisfied = total
        for row in hours {
            let parts = row.key.split(separator: "T")
            guard parts.count == 2, let day = CivilDate.parseDay(String(parts[0])), let hour = Int(parts[1]), (0..<24).contains(hour) else {
                continue
            }
            let weekday = Int(((day + 3) % 7 + 7) % 7)  // Monday 0
            total[hour][weekday] += row.total
            satisfied[hour][weekday] += row.satisfied
        }
        let busy = (0..<24).filter { hour in total[hour].contains { $0 > 0 } }
        let first = min(busy.first ?? 7, 7), last = max(busy.last ?? 17, 17)
        weekdays = text.weekdays
        empty = busy.isEmpty
        columns = weekdays.enumerated().map {
            Label(position: WebFormat.plain(Self.left + (Double($0.offset) + 0.5) * Self.cellWidth), text: $0.element)
        }
        var sum: Int64 = 0
        for (row, hour) in (first...last).enumerated() {
            let y = Self.top + Double(row) * Self.cellHeight
            rowLabels.append(Label(position: WebFormat.plain(y + Self.cellHeight / 2 + 4), text: "\(WebFormat.pad(Int64(hour))):00"))
            var tableCells: [TableCell] = []
            for weekday in 0..<7 {
                let n = total[hour][weekday]
                let bad = n - satisfied[hour][weekday]
                sum += n
                let share = n > 0 ? Double(bad) / Double(n) : nil
                let small = n > 0 && n < minimumN
                let step = share.map { min(Self.ramp.count - 1, Int(($0 * Double(Self.ramp.count - 1)).rounded())) }
                let shareText = share.map { format.percent($0) } ?? "—"
                cells.append(
                    Cell(
                        x: WebFormat.plain(Self.left + Double(weekday) * Self.cellWidth), y: WebFormat.plain(y),
                        fill: step.map { Self.ramp[$0] } ?? "#ffffff", ink: (step ?? 0) >= 5 ? "#ffffff" : "#1a1a1a",
                        text: n > 0 ? shareText + (small ? "*" : "") : "",
                        volume: n > 0 ? "n = " + format.integer(n) : "",
                        small: small,
                        title: "\(weekdays[weekday]) \(WebFormat.pad(Int64(hour))):00 — \(text["dissatisfied"]) \(shareText), n = \(format.integer(n))"
                            + (small ? " (\(text["insufficient"]))" : "")))
                tableCells.append(
                    TableCell(text: n > 0 ? "\(shareText) (n = \(format.integer(n)))" : "—", small: small, total: n, dissatisfied: bad))
            }
            table.append(Row(hour: "\(WebFormat.pad(Int64(hour))):00–\(WebFormat.pad(Int64(hour + 1))):00", cells: tableCells))
        }
        height = WebFormat.plain(Self.top + Double(last - first + 1) * Self.cellHeight + 8)
        title = text["heatmap"]
        desc = text["heatmapDesc"].replacingOccurrences(of: "{total}", with: format.integer(sum))
    }
}
