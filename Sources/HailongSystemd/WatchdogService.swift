public import Logging
public import ServiceLifecycle

/// Sends systemd's `WATCHDOG=1` only while the agent's event pipeline really works.
///
/// On every tick the service asks `probe` (a round trip through the pipeline) and pings when it
/// answers `true` before the next tick. A stalled pipeline leaves its probe hanging, the pings
/// stop, and systemd restarts the agent after `WatchdogSec=`. The first probe runs at start.
///
/// Ticks come every `WatchdogSec/3`: a healthy probe may take up to one tick, so two pings can be
/// up to two ticks apart, which must stay under `WatchdogSec` (half of it, as sd_watchdog_enabled(3)
/// suggests for plain timers, would leave no margin).
///
/// ```swift
/// let watchdog = WatchdogService(notifier: notifier, probe: { await pipeline.roundTrip() }, logger: logger)
/// ```
public struct WatchdogService: Service {
    /// Answers `true` once a marker went through the pipeline; may never return when it is stuck.
    public typealias Probe = @Sendable () async -> Bool

    private let notifier: SystemdNotifier
    private let ticks: AsyncStream<Void>?
    private let probe: Probe
    private let logger: Logger

    /// The watchdog systemd asked for: `WATCHDOG_USEC` from `notifier`, ticking on `clock`.
    ///
    /// When the unit has no `WatchdogSec=` (or no `NOTIFY_SOCKET`), `run()` idles until shutdown.
    public init<C: Clock>(
        notifier: SystemdNotifier,
        clock: C = ContinuousClock(),
        probe: @escaping Probe,
        logger: Logger
    ) where C.Duration == Duration {
        let ticks: AsyncStream<Void>? = notifier.watchdogTimeout.map { timeout in
            let interval = Self.tickInterval(forTimeout: timeout)
            return AsyncStream<Void>(unfolding: {
                do {
                    try await clock.sleep(for: interval)
                    return ()
                } catch {
                    return nil
                }
            })
        }
        self.init(notifier: notifier, ticks: ticks, probe: probe, logger: logger)
    }

    /// A watchdog driven by `ticks`, one element per probe interval (tests drive it by hand).
    public init(notifier: SystemdNotifier, ticks: AsyncStream<Void>?, probe: @escaping Probe, logger: Logger) {
        self.notifier = notifier
        self.ticks = ticks
        self.probe = probe
        self.logger = logger
    }

    /// How often to probe for a given `WatchdogSec=`.
    public static func tickInterval(forTimeout timeout: Duration) -> Duration {
        timeout / 3
    }

    public func run() async throws {
        guard notifier.isEnabled, let ticks else {
            logger.debug("systemd watchdog not requested; watchdog idle")
            // Returning early would end the whole service group; wait for the shutdown instead.
            try? await gracefulShutdown()
            return
        }
        let rounds = WatchdogRounds(notifier: notifier, probe: probe, logger: logger)
        logger.debug("systemd watchdog armed")
        await cancelWhenGracefulShutdown {
            await rounds.tick()
            for await _ in ticks {
                await rounds.tick()
            }
        }
        await rounds.abandonProbe()
    }
}

/// The watchdog's mutable side: the policy and the probe in flight, touched from the tick loop
/// and from the probe's task.
private actor WatchdogRounds {
    private let notifier: SystemdNotifier
    private let probe: WatchdogService.Probe
    private let logger: Logger
    private var policy = WatchdogPolicy()
    private var probeTask: Task<Void, Never>?
    private var stopped = false

    init(notifier: SystemdNotifier, probe: @escaping WatchdogService.Probe, logger: Logger) {
        self.notifier = notifier
        self.probe = probe
        self.logger = logger
    }

    func tick() {
        switch policy.tick() {
        case .startProbe(let generation):
            // Not a child task: a probe stuck in a stalled pipeline must not hold up shutdown.
            probeTask = Task { [probe] in
                let healthy = await probe()
                self.answered(generation: generation, healthy: healthy)
            }
        case .stalled(let generation, let missedTicks):
            logger.warning(
                "event pipeline has not answered the watchdog probe; withholding WATCHDOG=1",
                metadata: ["probe": "\(generation)", "missedTicks": "\(missedTicks)"]
            )
        }
    }

    /// After this, an answer from a probe still in flight sends nothing.
    func abandonProbe() {
        stopped = true
        probeTask?.cancel()
        probeTask = nil
    }

    private func answered(generation: UInt64, healthy: Bool) {
        probeTask = nil
        guard !stopped else { return }
        switch policy.answered(generation: generation, healthy: healthy) {
        case .ping:
            notifier.notify(.watchdog)
        case .unhealthy:
            logger.warning("event pipeline reported itself unhealthy; withholding WATCHDOG=1", metadata: ["probe": "\(generation)"])
        case .late(let missedTicks):
            logger.notice(
                "event pipeline answered the watchdog probe late",
                metadata: ["probe": "\(generation)", "missedTicks": "\(missedTicks)"]
            )
        case .unexpected:
            logger.debug("watchdog answer for a probe no longer tracked", metadata: ["probe": "\(generation)"])
        }
    }
}

/// Tells systemd `STOPPING=1` as soon as the service group starts shutting down (SIGTERM).
public struct StoppingNotice: Service {
    private let notifier: SystemdNotifier

    public init(notifier: SystemdNotifier) { self.notifier = notifier }

    public func run() async throws {
        try? await gracefulShutdown()
        notifier.notify(.stopping)
    }
}
