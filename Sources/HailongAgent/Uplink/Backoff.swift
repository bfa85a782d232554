/// Exponential backoff with full jitter (DESIGN §6): after the n-th failure in a row the uplink
/// waits a uniformly random time in `0...min(cap, base · 2ⁿ⁻¹)`; a success resets it.
///
/// Full jitter spreads the retries of many boards that lost the server at the same moment, so
/// they do not all come back together when it returns.
///
/// ```swift
/// var backoff = Backoff()
/// var rng = SystemRandomNumberGenerator()
/// let delay = backoff.next(using: &rng)   // 0…1 s, then 0…2 s, 0…4 s, … capped at 0…300 s
/// backoff.reset()                         // after a batch is acknowledged
/// ```
public struct Backoff: Sendable, Equatable {
    public var base: Duration
    public var cap: Duration
    /// Failures in a row since the last success.
    public private(set) var failures = 0

    public init(base: Duration = .seconds(1), cap: Duration = .seconds(300)) {
        self.base = base
        self.cap = cap
    }

    /// The upper bound of the next delay: `min(cap, base · 2^failures)`.
    public var ceiling: Duration {
        // 2^20 s is far past any cap; stop doubling there so the arithmetic cannot overflow.
        let doublings = min(failures, 20)
        let grown = base * (1 << doublings)
        return min(cap, grown)
    }

    /// The delay before the next attempt, and one more failure counted.
    public mutating func next(using rng: inout some RandomNumberGenerator) -> Duration {
        let ceiling = self.ceiling
        failures += 1
        let ceilingNs = max(0, ceiling.nanosecondsClamped)
        return .nanoseconds(Int64.random(in: 0...ceilingNs, using: &rng))
    }

    /// A success: the next failure starts again from `base`.
    public mutating func reset() { failures = 0 }
}

extension Duration {
    var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return product + attoseconds / 1_000_000_000
    }
}
