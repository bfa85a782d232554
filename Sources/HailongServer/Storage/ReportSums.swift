import HailongDomain

/// How a store turns running-total rows into a report's counts, the same for every store: rows
/// are added into the catalog's group slots, day offsets or hour offsets as they are read, so the
/// database only filters rows by key (no GROUP BY, no sort of thousands of clerk codes).
struct RangeSums {
    let catalog: Catalog
    let group: RunningGroup
    /// The range's end day (a row of that day is added; any other is the day before the range's
    /// start, subtracted).
    let high: Int64
    private let slots: Catalog.Slots
    private var sums: [SIMD8<Int64>]
    private var touched: [Bool]

    init(catalog: Catalog, group: RunningGroup, high: Int64) {
        self.catalog = catalog
        self.group = group
        self.high = high
        slots = catalog.slots(group)
        sums = [SIMD8<Int64>](repeating: .zero, count: slots.slots.count)
        touched = [Bool](repeating: false, count: slots.slots.count)
    }

    mutating func add(series id: Int64, day: Int64, _ counts: SIMD8<Int64>) throws {
        let slot = Int(catalog.slot(of: try catalog.series(id), group))
        guard slot >= 0 else { return }
        if day == high { sums[slot] &+= counts } else { sums[slot] &-= counts }
        touched[slot] = true
    }

    /// A group's scales next to each other (`HailongStore.rangeCounts`' promise): by group number.
    func counts() -> [GroupCount] {
        var order = slots.slots.indices.filter { touched[$0] }
        order.sort { slots.groupNumbers[$0] < slots.groupNumbers[$1] || (slots.groupNumbers[$0] == slots.groupNumbers[$1] && $0 < $1) }
        return order.map { index in
            var tally = TallyCounts()
            tally.lanes = sums[index]
            return GroupCount(group: slots.slots[index].group, scale: slots.slots[index].scale, counts: tally)
        }
    }
}

/// Counts per position (a day or an hour offset from `low`) and scale.
struct PositionSums {
    let low: Int64
    let span: Int
    private var sums: [Scale: [SIMD8<Int64>]] = [:]

    init(low: Int64, high: Int64) {
        self.low = low
        span = Int(max(0, high - low + 1))
    }

    mutating func add(position: Int64, scale: Scale, _ counts: SIMD8<Int64>) {
        let offset = Int(position - low)
        guard offset >= 0, offset < span else { return }
        sums[scale, default: [SIMD8<Int64>](repeating: .zero, count: span)][offset] &+= counts
    }

    /// The non-zero counts at each `read` position, listed as position `asked` (a requested day
    /// past the horizon reads the horizon's totals and answers as the day asked).
    func counts(at positions: [(asked: Int64, read: Int64)]) -> [PositionCount] {
        var result: [PositionCount] = []
        for (asked, read) in positions {
            let offset = Int(read - low)
            guard offset >= 0, offset < span else { continue }
            for scale in Scale.allCases {
                guard let lanes = sums[scale]?[offset], lanes != .zero else { continue }
                var counts = TallyCounts()
                counts.lanes = lanes
                result.append(PositionCount(position: asked, scale: scale, counts: counts))
            }
        }
        return result
    }

    /// Every position of the span in order.
    func counts() -> [PositionCount] { counts(at: (0..<Int64(span)).map { (low + $0, low + $0) }) }
}
