/// Decides, tick by tick, whether the agent has earned a `WATCHDOG=1`.
///
/// One probe is in flight at a time. A probe started on one tick must answer before the next:
/// an answer after that is *late* and earns nothing, and no new probe starts until the stuck one
/// returns, so a stalled pipeline never piles up probes. Pure state, no clock, no I/O.
struct WatchdogPolicy: Sendable, Equatable {
    enum TickDecision: Sendable, Equatable {
        /// Start probe number `generation`.
        case startProbe(generation: UInt64)
        /// The probe started `missedTicks` ticks ago has not answered: withhold the ping.
        case stalled(generation: UInt64, missedTicks: Int)
    }

    enum AnswerDecision: Sendable, Equatable {
        /// Answered healthy within its interval: send `WATCHDOG=1`.
        case ping
        /// Answered within its interval, but the pipeline reported itself unhealthy.
        case unhealthy
        /// Answered after its interval was over, `missedTicks` ticks late.
        case late(missedTicks: Int)
        /// Not the probe in flight (cannot happen with one caller per generation).
        case unexpected
    }

    private(set) var generation: UInt64 = 0
    private var inFlight: UInt64?
    private var missedTicks = 0

    mutating func tick() -> TickDecision {
        if let inFlight {
            missedTicks += 1
            return .stalled(generation: inFlight, missedTicks: missedTicks)
        }
        generation += 1
        inFlight = generation
        missedTicks = 0
        return .startProbe(generation: generation)
    }

    mutating func answered(generation answered: UInt64, healthy: Bool) -> AnswerDecision {
        guard answered == inFlight else { return .unexpected }
        inFlight = nil
        if missedTicks > 0 { return .late(missedTicks: missedTicks) }
        return healthy ? .ping : .unhealthy
    }
}
