public import HailongDomain
public import HailongGPIO
public import Logging

/// The counter at work: edges from the GPIO backend go through the `ButtonProcessor`
/// (debounce, simultaneous presses, stuck lines) into the pure `Counter`; each step's events
/// are committed to the `EventLog` first and only then are its LEDs lit and its callers
/// answered. One actor, so inputs from the buttons, the local API and the timers are applied
/// strictly one at a time.
public actor CounterPipeline {
    private let levels: [Int]
    private var processor: ButtonProcessor
    private var counter: Counter
    private let log: EventLog
    private let clock: any AgentClock
    private let panel: LEDPanel
    private let logger: Logger
    private var storageFault: String?
    private var timer: (deadline: MonotonicInstant, task: Task<Void, Never>)?
    private var pressWaiters: [Int: [CheckedContinuation<PressReport, Never>]] = [:]
    private var lastSignalAt: MonotonicInstant?

    public init(
        config: AgentConfig, backend: any GPIOBackend, log: EventLog, clock: any AgentClock, logger: Logger
    ) throws(StorageError) {
        levels = config.gpio.buttonLevels
        let softwareDebounce: Duration = backend.description.kernelDebounce ? .zero : config.gpio.debounce
        processor = ButtonProcessor(
            settings: .init(debounce: softwareDebounce, ambiguityWindow: config.gpio.debounce, stuckAfter: config.gpio.stuckAfter),
            initial: backend.initialLevels, now: clock.monotonic())
        counter = Counter(
            settings: .init(scale: config.scale, ratingWindow: config.rating.window, spamInterval: config.rating.spamInterval, unbound: config.rating.unbound),
            clerk: try log.clerkOnDuty())
        self.log = log
        self.clock = clock
        self.logger = logger
        panel = LEDPanel(backend: backend, roles: config.gpio.ledRoles.map(\.role), logger: logger)
    }

    /// Consumes edges until the backend finishes. Run it from the agent's service.
    public func consume(_ edges: AsyncStream<Edge>) async {
        for await edge in edges {
            handle(edge)
        }
    }

    /// Answers when the pipeline is free to work: the watchdog's probe. A pipeline stuck in
    /// a step never answers, so the pings stop.
    public func heartbeat() -> Bool { true }

    func handle(_ edge: Edge) {
        let signals = processor.feed(edge)
        apply(signals)
        reschedule()
    }

    /// Time passed: settle lines, expire windows, put out lights.
    public func tick() {
        let now = clock.monotonic()
        apply(processor.advance(to: now))
        run(.tick, at: now)
        reschedule()
    }

    // MARK: Commands from the local API

    /// The result of a command: the events it stored.
    public struct CommandReport: Sendable {
        public var events: [EventRecord]
        public var session: Counter.Session?
    }

    public func signIn(_ clerk: ClerkID) throws(PipelineError) -> CommandReport {
        try command(.clerkSignIn(clerk))
    }

    public func signOut() throws(PipelineError) -> CommandReport {
        try command(.clerkSignOut)
    }

    public func openSession(dossier: DossierCode, clerk: ClerkID) throws(PipelineError) -> CommandReport {
        try command(.openSession(dossier: dossier, clerk: clerk))
    }

    public func closeSession() throws(PipelineError) -> CommandReport {
        try command(.closeSession)
    }

    private func command(_ input: Counter.Input) throws(PipelineError) -> CommandReport {
        let now = clock.monotonic()
        apply(processor.advance(to: now))
        let outcome = run(input, at: now)
        reschedule()
        if let refusal = outcome.step.refusal { throw .refused(refusal) }
        if let failure = outcome.failure { throw .storage(failure) }
        return CommandReport(events: outcome.records, session: counter.session)
    }

    // MARK: Simulated presses

    /// What became of one press, once its events are committed.
    public struct PressReport: Sendable {
        public var level: Int
        public var result: Counter.PressResult?
        public var events: [EventRecord]
        public var storageError: String?
    }

    /// Registers for the next press signal involving `line`, then calls `inject`, and waits.
    /// Registration and injection happen on the actor, so the edge cannot be processed first.
    func awaitPress(line: Int, timeout: Duration, inject: @Sendable () -> Void) async -> PressReport {
        let level = levels.indices.contains(line) ? levels[line] : 0
        let timeoutTask = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.resolveWaiters(line: line, with: PressReport(level: level, result: nil, events: [], storageError: nil))
        }
        defer { timeoutTask.cancel() }
        return await withCheckedContinuation { continuation in
            pressWaiters[line, default: []].append(continuation)
            inject()
        }
    }

    private func resolveWaiters(line: Int, with report: PressReport) {
        guard let waiters = pressWaiters.removeValue(forKey: line) else { return }
        for waiter in waiters { waiter.resume(returning: report) }
    }

    public nonisolated func line(ofLevel level: Int) -> Int? { levels.firstIndex(of: level) }

    // MARK: Status

    public struct Snapshot: Sendable {
        public var clerk: ClerkID?
        public var session: Counter.Session?
        public var lastRating: EventDraft?
        public var stuckLevels: [Int]
        public var storageFault: String?
        public var leds: [LEDRole: Counter.LEDState]
        public var heldLevels: [Int]
        public var now: MonotonicInstant
    }

    public func snapshot() async -> Snapshot {
        Snapshot(
            clerk: counter.clerk, session: counter.session, lastRating: counter.lastRating,
            stuckLevels: counter.stuckLevels.sorted(by: >), storageFault: storageFault, leds: await panel.states,
            heldLevels: levels.indices.filter { processor.isHeld($0) }.map { levels[$0] }, now: clock.monotonic())
    }

    /// Puts every light out (shutdown).
    public func lightsOut() async {
        timer?.task.cancel()
        timer = nil
        await panel.allOff()
    }

    // MARK: Steps

    private func apply(_ signals: [ButtonSignal]) {
        for signal in signals {
            switch signal {
            case .press(let line, let at):
                let outcome = run(.press(level: levels[line]), at: at)
                report(lines: [line], outcome)
            case .simultaneous(let lines, let at):
                let outcome = run(.simultaneousPress(levels: lines.map { levels[$0] }), at: at)
                report(lines: lines, outcome)
            case .stuck(let line, let at):
                logger.warning("button held too long: line fault", metadata: ["level": "\(levels[line])"])
                run(.lineStuck(level: levels[line]), at: at)
            case .recovered(let line, let at):
                logger.notice("stuck button released", metadata: ["level": "\(levels[line])"])
                run(.lineReleased(level: levels[line]), at: at)
            }
        }
    }

    private func report(lines: [Int], _ outcome: StepOutcome) {
        for line in lines {
            resolveWaiters(
                line: line,
                with: PressReport(level: levels[line], result: outcome.step.press, events: outcome.records, storageError: outcome.failure?.description))
        }
    }

    private struct StepOutcome {
        var step: Counter.Step
        var records: [EventRecord]
        var failure: StorageError?
    }

    /// One step: events committed, then LEDs. If the commit fails the counter is put back as
    /// it was — nothing unstored is ever acknowledged — and the fault light comes on.
    @discardableResult
    private func run(_ input: Counter.Input, at now: MonotonicInstant) -> StepOutcome {
        let before = counter
        let step = counter.step(input, at: now)
        var records: [EventRecord] = []
        if !step.events.isEmpty {
            do {
                records = try log.append(step.events)
                if storageFault != nil {
                    storageFault = nil
                    logger.notice("storage works again")
                    refreshFaultLight()
                }
            } catch {
                counter = before
                storageFault = error.description
                logger.error("event not stored", metadata: ["error": "\(error)"])
                refreshFaultLight()
                return StepOutcome(step: step, records: [], failure: error)
            }
        }
        for change in step.leds {
            if change.led == .fault {
                refreshFaultLight()
                continue
            }
            setLight(.counter(change.led), change.state)
            if change.led == .thanks {
                // A button's own LED follows the thank-you light for the level just rated.
                if change.state == .on, let level = counter.lastRating?.level {
                    setLight(.button(level), .on)
                } else if change.state == .off {
                    for level in levels { setLight(.button(level), .off) }
                }
            }
        }
        for record in records {
            logger.debug("event stored", metadata: ["seq": "\(record.seq ?? 0)", "kind": "\(record.kind.rawValue)"])
        }
        return StepOutcome(step: step, records: records, failure: nil)
    }

    private func refreshFaultLight() {
        let on = storageFault != nil || !counter.stuckLevels.isEmpty
        setLight(.counter(.fault), on ? .on : .off)
    }

    private func setLight(_ role: LEDRole, _ state: Counter.LEDState) {
        // LED changes are queued to the panel in order; the panel's actor keeps that order.
        let panel = self.panel
        pendingLights.append((role, state))
        if lightsTask == nil {
            lightsTask = Task { [weak self] in
                while let batch = await self?.takeLights(), !batch.isEmpty {
                    for (role, state) in batch { await panel.set(role, state) }
                }
            }
        }
    }

    private var pendingLights: [(LEDRole, Counter.LEDState)] = []
    private var lightsTask: Task<Void, Never>?

    private func takeLights() -> [(LEDRole, Counter.LEDState)] {
        let batch = pendingLights
        pendingLights = []
        if batch.isEmpty { lightsTask = nil }
        return batch
    }

    private func reschedule() {
        let deadlines = [processor.nextDeadline, counter.nextDeadline].compactMap { $0 }
        guard let next = deadlines.min() else {
            timer?.task.cancel()
            timer = nil
            return
        }
        if let current = timer, current.deadline == next { return }
        timer?.task.cancel()
        let delay = next - clock.monotonic()
        let task = Task { [weak self] in
            if delay > .zero {
                do { try await Task.sleep(for: delay) } catch { return }
            }
            await self?.timerFired()
        }
        timer = (next, task)
    }

    private func timerFired() {
        timer = nil
        tick()
    }
}

/// Why a command from the local API was not carried out.
public enum PipelineError: Error, Sendable, CustomStringConvertible {
    case refused(Counter.Refusal)
    case storage(StorageError)

    public var description: String {
        switch self {
        case .refused(.noOpenSession): "no service session is open / không có phiên phục vụ nào đang mở"
        case .refused(.noClerkSignedIn): "no clerk is signed in / chưa có cán bộ nào đăng nhập"
        case .storage(let error): "\(error)"
        }
    }
}
