public import HailongDomain
public import Logging
public import ServiceLifecycle

/// The board → server forwarder (DESIGN §6), a `Service` beside the pipeline and the API.
///
/// One loop, one batch in flight:
/// 1. re-time events of this boot once the clock is synchronized (DESIGN §5);
/// 2. read the oldest unforwarded events (≤ 500, consecutive) and, when the batch reaches the
///    end of the log, the board's cumulative per-day counts for its days;
/// 3. send them with a status snapshot; mark forwarded exactly what the server acknowledged;
/// 4. nothing left: sleep until the event log rings (a commit) or a heartbeat is due;
///    failure: sleep a full-jitter exponential backoff (cap 5 min), reset on success.
///
/// Exactly-once in effect: the server stores each seq once and answers the highest seq it
/// holds, so a batch resent after a crash between "server stored" and "board marked" changes
/// nothing there, and the board never marks what the server did not acknowledge.
public struct Uplink: Service {
    public struct Settings: Sendable {
        public var boardId: String
        public var detail: AgentConfig.Uplink.Detail
        public var batchSize: Int
        /// An idle board still reports its status this often.
        public var heartbeat: Duration
        public var backoff: Backoff

        public init(
            boardId: String, detail: AgentConfig.Uplink.Detail = .events, batchSize: Int = IngestBatch.maximumEvents,
            heartbeat: Duration = .seconds(300), backoff: Backoff = Backoff()
        ) {
            self.boardId = boardId
            self.detail = detail
            self.batchSize = min(max(1, batchSize), IngestBatch.maximumEvents)
            self.heartbeat = heartbeat
            self.backoff = backoff
        }
    }

    let settings: Settings
    let log: EventLog
    let clock: any AgentClock
    let transport: any UplinkTransport
    let state: UplinkState
    let logger: Logger
    let faults: @Sendable () async -> [String]
    let sleep: @Sendable (Duration) async throws -> Void
    let random: any RandomNumberGenerator & Sendable
    let startedAt: MonotonicInstant

    /// - Parameters:
    ///   - faults: the board's active faults for the status snapshot.
    ///   - sleep: how the loop waits (backoff, heartbeat); tests pass a recording one.
    ///   - random: the jitter's source; tests pass a seeded one.
    public init(
        settings: Settings, log: EventLog, clock: any AgentClock, transport: any UplinkTransport, state: UplinkState,
        logger: Logger, faults: @escaping @Sendable () async -> [String] = { [] },
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        random: any RandomNumberGenerator & Sendable = SystemRandomNumberGenerator()
    ) {
        self.settings = settings
        self.log = log
        self.clock = clock
        self.transport = transport
        self.state = state
        self.logger = logger
        self.faults = faults
        self.sleep = sleep
        self.random = random
        startedAt = clock.monotonic()
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            await self.forward()
        }
    }

    /// The loop; returns when the task is cancelled.
    public func forward() async {
        var backoff = settings.backoff
        var rng = random
        var heartbeatDue = true  // say hello at start: the server sees the board's status at once
        var repairPending = true
        var countedDays: Set<String> = []
        while !Task.isCancelled {
            // Events stamped while the clock was unsynchronized are re-timed once it is (again).
            if !clock.isSynchronized() {
                repairPending = true
            } else if repairPending {
                repairPending = !repairTime()
            }
            switch await attempt(heartbeat: heartbeatDue, countedDays: &countedDays) {
            case .sent(let more):
                backoff.reset()
                heartbeatDue = false
                if more { continue }
                heartbeatDue = !(await waitForCommit())
            case .idle:
                heartbeatDue = !(await waitForCommit())
            case .failed:
                let delay = backoff.next(using: &rng)
                logger.debug("uplink backing off", metadata: ["delay_ms": "\(delay.nanosecondsClamped / 1_000_000)", "failures": "\(backoff.failures)"])
                do { try await sleep(delay) } catch { return }
                heartbeatDue = true
            }
        }
    }

    enum Attempt { case sent(more: Bool), idle, failed }

    /// Re-times this boot's unsynchronized events once the clock is synchronized.
    /// Returns true when nothing is left to repair (for now).
    private func repairTime() -> Bool {
        guard clock.isSynchronized() else { return false }
        do {
            let repaired = try log.retime(wall: clock.wall(), monotonic: clock.monotonic(), bootID: clock.bootID)
            if repaired > 0 { logger.info("events re-timed from the monotonic clock", metadata: ["events": "\(repaired)"]) }
            return true
        } catch {
            logger.warning("time repair failed", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// One batch (or one heartbeat when `heartbeat` and nothing is pending).
    ///
    /// `countedDays` collects the days of ratings sent in batches that could not carry counts
    /// (the log went on past them); the batch that reaches the end of the log carries the counts
    /// of all of them, so a long drain is checked day by day at its end.
    func attempt(heartbeat: Bool, countedDays: inout Set<String>) async -> Attempt {
        let pending: EventLog.PendingBatch
        do {
            pending = try log.pendingBatch(limit: settings.batchSize, alsoDays: countedDays)
        } catch {
            state.failed("\(error)")
            logger.error("uplink cannot read the event log", metadata: ["error": "\(error)"])
            return .failed
        }
        if pending.events.isEmpty, !heartbeat { return .idle }
        let fromSeq = pending.events.first?.seq ?? (pending.lastSeq + 1)
        let toSeq = pending.events.last?.seq ?? pending.lastSeq
        let privacy = settings.detail == .aggregates
        let events = pending.events.map { record -> WireEvent in
            var wire = record.wire
            if privacy { wire.dossier = nil }  // privacy mode: dossier codes never leave the board
            return wire
        }
        let batch = IngestBatch(
            boardId: settings.boardId, fromSeq: fromSeq, toSeq: toSeq, events: events, aggregates: pending.aggregates,
            status: BoardStatus(
                version: HailongVersion.current, backlog: pending.backlog, faults: Array((await faults()).prefix(64).map { String($0.prefix(64)) }),
                clockSynced: clock.isSynchronized(), uptimeS: Int64((clock.monotonic() - startedAt).seconds)))
        let answer: IngestAnswer
        do {
            answer = try await transport.send(batch)
        } catch {
            if Task.isCancelled { return .failed }
            state.failed("server unreachable: \(error)")
            logger.debug("uplink send failed", metadata: ["error": "\(error)", "fromSeq": "\(fromSeq)"])
            return .failed
        }
        switch answer {
        case .acknowledged(let acknowledged) where acknowledged > pending.lastSeq:
            // The server holds more events of this board than its log ever had: the log was
            // replaced (a new card) under an old enrollment. Its seqs would be taken for
            // duplicates and dropped; nothing is marked, and the technician is told.
            let reason = "the server already holds events up to seq \(acknowledged) but this board's log ends at \(pending.lastSeq): the event log was replaced; enroll again with --force"
            state.failed(reason)
            logger.error("uplink: server is ahead of the board", metadata: ["acknowledged": "\(acknowledged)", "lastSeq": "\(pending.lastSeq)"])
            return .failed
        case .acknowledged(let acknowledged):
            do {
                try log.markForwarded(through: acknowledged, at: clock.wall())
            } catch {
                state.failed("\(error)")
                logger.error("cannot mark events forwarded", metadata: ["error": "\(error)"])
                return .failed
            }
            if pending.aggregates.isEmpty {
                countedDays.formUnion(pending.events.filter { $0.kind == .rating }.map { DailyCount.day(of: WallTime(microseconds: $0.wallUs)) })
            } else if acknowledged >= toSeq {
                countedDays = []
            }
            state.succeeded(acknowledged: acknowledged, events: events.count, at: clock.wall())
            logger.debug("batch acknowledged", metadata: ["fromSeq": "\(fromSeq)", "toSeq": "\(toSeq)", "acknowledged": "\(acknowledged)"])
            return .sent(more: !events.isEmpty && pending.backlog > Int64(events.count))
        case .gap(let acknowledged):
            // The server holds less than we marked (restored from a backup?): send again from there.
            logger.warning("server's log ends before this batch; resending", metadata: ["acknowledged": "\(acknowledged)", "fromSeq": "\(fromSeq)"])
            do {
                try log.unforward(after: acknowledged)
            } catch {
                logger.error("cannot unmark events", metadata: ["error": "\(error)"])
            }
            state.failed("server expects seq \(acknowledged + 1)")
            return .failed
        case .refused(let status, let message) where status >= 500:
            // The server or its database is away for now (a 503 while PostgreSQL restarts, a 502
            // from nginx): nothing is wrong with the batch, which goes again after the backoff.
            state.failed("the server is unavailable (\(status)); resending later: \(message)")
            logger.warning("server unavailable; resending later", metadata: ["status": "\(status)", "message": "\(message)", "fromSeq": "\(fromSeq)"])
            return .failed
        case .refused(let status, let message):
            let reason = status == 401 || status == 403
                ? "the server refused the board's token (\(status)): revoked or re-enrolled? run hailong-agent enroll --force"
                : "the server refused the batch (\(status)): \(message)"
            state.failed(reason)
            logger.error("uplink refused", metadata: ["status": "\(status)", "message": "\(message)", "fromSeq": "\(fromSeq)"])
            return .failed
        }
    }

    /// Sleeps until the event log commits (true) or the heartbeat is due (false).
    private func waitForCommit() async -> Bool {
        let commits = log.commits
        let sleep = self.sleep
        let heartbeat = settings.heartbeat
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await commits.wait()
                return true
            }
            group.addTask {
                do { try await sleep(heartbeat) } catch { return true }
                return false
            }
            let first = await group.next() ?? true
            group.cancelAll()
            return first
        }
    }
}
