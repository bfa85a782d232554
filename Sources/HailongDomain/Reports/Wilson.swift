/// The Wilson score interval of a proportion: better than the normal approximation for small
/// samples and rates near 0 or 1, which is what a counter with few ratings shows.
///
/// ```swift
/// let interval = WilsonInterval(successes: 8, total: 10)   // 95 %: 0.4902 ... 0.9433
/// ```
public struct WilsonInterval: Equatable, Sendable {
    /// z for a two-sided 95 % interval.
    public static let z95 = 1.959963984540054

    public var low: Double
    public var high: Double

    /// - Parameters:
    ///   - successes: satisfied ratings.
    ///   - total: all ratings; with none the interval is the whole of [0, 1].
    ///   - z: the normal quantile (default 95 %).
    public init(successes: Int64, total: Int64, z: Double = WilsonInterval.z95) {
        guard total > 0 else {
            low = 0
            high = 1
            return
        }
        let n = Double(total)
        let p = Double(min(max(successes, 0), total)) / n
        let z2 = z * z
        let denominator = 1 + z2 / n
        let centre = (p + z2 / (2 * n)) / denominator
        let half = z / denominator * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot()
        low = max(0, centre - half)
        high = min(1, centre + half)
    }
}
