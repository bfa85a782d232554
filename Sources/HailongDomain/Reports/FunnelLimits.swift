/// Control limits of a funnel plot (Spiegelhalter, "Funnel plots for comparing institutional
/// performance", Statistics in Medicine 2005): around a target rate `p0`, the band a unit with
/// `n` ratings falls in by chance alone, p0 ± z·√(p0(1 − p0)/n). A clerk outside the 99.8 %
/// limits stands out; one inside the 95 % limits is indistinguishable from the unit's own rate,
/// whatever a league table says. (The normal approximation; clamped to [0, 1].)
public struct FunnelLimits: Equatable, Sendable {
    /// z of the two-sided 95 % and 99.8 % limits.
    public static let z95 = 1.959963984540054
    public static let z998 = 3.090232306167813

    public var target: Double

    public init(target: Double) { self.target = min(max(target, 0), 1) }

    /// The limits at `n` ratings for `z`.
    public func limits(n: Int64, z: Double) -> (low: Double, high: Double) {
        guard n > 0 else { return (0, 1) }
        let half = z * (target * (1 - target) / Double(n)).squareRoot()
        return (max(0, target - half), min(1, target + half))
    }

    /// Where a rate at `n` lies.
    public enum Position: String, Sendable, Equatable {
        case below998, below95, within, above95, above998
    }

    public func position(rate: Double, n: Int64) -> Position {
        let wide = limits(n: n, z: Self.z998)
        let narrow = limits(n: n, z: Self.z95)
        if rate < wide.low { return .below998 }
        if rate > wide.high { return .above998 }
        if rate < narrow.low { return .below95 }
        if rate > narrow.high { return .above95 }
        return .within
    }
}
