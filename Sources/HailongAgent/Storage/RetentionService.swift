import HailongDomain
public import Logging
public import ServiceLifecycle

/// Retention (DESIGN §4): once an hour, forwarded events older than `storage.retain_days` are
/// deleted; unforwarded events are never touched. Only while the wall clock is synchronized:
/// a board that believes it is 2038 must not prune what it would still keep.
public struct RetentionService: Service {
    let log: EventLog
    let clock: any AgentClock
    let retainDays: Int
    let logger: Logger
    let interval: Duration

    public init(log: EventLog, clock: any AgentClock, retainDays: Int, logger: Logger, interval: Duration = .seconds(3600)) {
        self.log = log
        self.clock = clock
        self.retainDays = retainDays
        self.logger = logger
        self.interval = interval
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                self.pruneOnce()
                do { try await Task.sleep(for: self.interval) } catch { return }
            }
        }
    }

    /// Returns how many events were pruned.
    @discardableResult
    public func pruneOnce() -> Int {
        guard clock.isSynchronized() else { return 0 }
        let cutoff = clock.wall() + .seconds(-Int64(retainDays) * 86_400)
        do {
            let pruned = try log.prune(forwardedBefore: cutoff)
            if pruned > 0 { logger.info("forwarded events pruned", metadata: ["events": "\(pruned)", "before": "\(cutoff.rfc3339)"]) }
            return pruned
        } catch {
            logger.warning("retention pruning failed", metadata: ["error": "\(error)"])
            return 0
        }
    }
}
