/// Counts of ratings per level (1–5) and of closed sessions; they add and subtract as a whole.
public struct TallyCounts: Sendable, Equatable {
    /// level1…level5, rated, unrated (lane 7 unused).
    public var lanes: SIMD8<Int64> = .zero

    public init() {}
    public init(levels: (Int64, Int64, Int64, Int64, Int64), rated: Int64, unrated: Int64) {
        lanes = SIMD8(levels.0, levels.1, levels.2, levels.3, levels.4, rated, unrated, 0)
    }

    /// Ratings of `level` (1–5); 0 outside.
    public func ratings(_ level: Int) -> Int64 { (1...5).contains(level) ? lanes[level - 1] : 0 }
    public var rated: Int64 { lanes[5] }
    public var unrated: Int64 { lanes[6] }
    public var isZero: Bool { lanes == .zero }

    /// Counts one rating of `level` (1–5; anything else is not counted).
    public mutating func rate(_ level: Int) {
        guard (1...5).contains(level) else { return }
        lanes[level - 1] &+= 1
    }

    /// Counts one closed session, rated or not.
    public mutating func close(rated: Bool) { lanes[rated ? 5 : 6] &+= 1 }

    public static func + (a: TallyCounts, b: TallyCounts) -> TallyCounts {
        var sum = a
        sum.lanes &+= b.lanes
        return sum
    }
    public static func - (a: TallyCounts, b: TallyCounts) -> TallyCounts {
        var difference = a
        difference.lanes &-= b.lanes
        return difference
    }
    public static func += (a: inout TallyCounts, b: TallyCounts) { a.lanes &+= b.lanes }
    public static func -= (a: inout TallyCounts, b: TallyCounts) { a.lanes &-= b.lanes }
}
