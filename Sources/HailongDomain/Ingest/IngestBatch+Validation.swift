/// Why a batch was refused before anything was stored (HTTP 400/422 on the server).
public struct BatchProblem: Error, Equatable, Sendable, CustomStringConvertible {
    /// The offending event's seq, when one event is at fault.
    public var seq: Int64?
    public var message: String

    public init(seq: Int64? = nil, _ message: String) {
        self.seq = seq
        self.message = message
    }

    public var description: String { seq.map { "event seq \($0): \(message)" } ?? message }
}

/// An event of a batch once checked: parsed time, validated codes, NFC strings.
public struct CheckedEvent: Equatable, Sendable {
    public var seq: Int64
    public var kind: EventKind
    public var at: WallTime
    public var level: Int?
    public var binding: Binding?
    public var dossier: DossierCode?
    public var clerk: ClerkID?
    public var outcome: SessionOutcome?
    public var reason: EventReason?
    public var monotonicNs: Int64?
    public var bootId: String?
    /// What the board said: `false` (or absent) when it could not vouch for `at` (clock never
    /// synchronized, event never re-timed).
    public var clockSynced: Bool
    /// Whether the server files the event by its arrival time: the board could not vouch for
    /// `at`, or `at` is implausible (see `IngestBatch.plausibleTimes`).
    public var byArrival: Bool
}

extension IngestBatch {
    /// The earliest time a Hailong board can have recorded an event (2024-01-01T00:00:00Z,
    /// before the first board existed): a clock reading earlier than that is a board that lost
    /// its time, whatever it says about synchronisation.
    public static let earliestPlausible = WallTime(microseconds: 1_704_067_200_000_000)
    /// How far past its arrival an event's time may lie (clock skew between board and server).
    public static let futureMargin: Duration = .seconds(300)

    /// Whether `at`, claimed synchronised, can be believed for an event that arrived at
    /// `receivedAt`: not before `earliestPlausible`, not after the arrival plus `futureMargin`.
    public static func plausibleTimes(_ at: WallTime, receivedAt: WallTime) -> Bool {
        at.microseconds >= earliestPlausible.microseconds && at.microseconds <= (receivedAt + futureMargin).microseconds
    }

    /// The most a board can count for one clerk, level and day (a counter serves a few hundred
    /// citizens a day; this is far above any real count and far below overflow).
    public static let maximumDailyCount: Int64 = 1_000_000

    /// Checks the batch's shape, its status snapshot, its aggregates and every event against
    /// the board's scale.
    ///
    /// - Parameters:
    ///   - scale: the board's scale; a rating of another level is refused.
    ///   - receivedAt: when the batch arrived; an event claimed synchronised whose time is not
    ///     plausible against it is filed by arrival (`CheckedEvent.byArrival`).
    ///   - maximumEvents: the batch-size limit.
    /// - Returns: the events, checked and NFC-normalised.
    public func checked(
        scale: Scale, receivedAt: WallTime, maximumEvents: Int = IngestBatch.maximumEvents
    ) throws(BatchProblem) -> [CheckedEvent] {
        guard fromSeq >= 1 else { throw BatchProblem("fromSeq must be at least 1") }
        guard events.count <= maximumEvents else {
            throw BatchProblem("a batch carries at most \(maximumEvents) events, this one \(events.count)")
        }
        guard toSeq - fromSeq + 1 == Int64(events.count) else {
            throw BatchProblem("fromSeq \(fromSeq)...toSeq \(toSeq) does not match the \(events.count) events sent")
        }
        try checkStatus()
        try checkAggregates(scale: scale)
        var out: [CheckedEvent] = []
        out.reserveCapacity(events.count)
        // A batch repeats the same clerk and each dossier (rating + session): check each text once.
        var dossiers: [String: DossierCode] = [:]
        var clerks: [String: ClerkID] = [:]
        for (offset, event) in events.enumerated() {
            let seq = event.seq
            guard seq == fromSeq + Int64(offset) else {
                throw BatchProblem(seq: seq, "events must be consecutive from fromSeq; expected seq \(fromSeq + Int64(offset))")
            }
            guard let at = WallTime(rfc3339: event.at) else { throw BatchProblem(seq: seq, "at is not an RFC 3339 time") }
            var dossier: DossierCode?
            var clerk: ClerkID?
            do throws(CodeError) {
                if let raw = event.dossier {
                    if let known = dossiers[raw] {
                        dossier = known
                    } else {
                        let code = try DossierCode(raw)
                        dossiers[raw] = code
                        dossier = code
                    }
                }
                if let raw = event.clerk {
                    if let known = clerks[raw] {
                        clerk = known
                    } else {
                        let id = try ClerkID(raw)
                        clerks[raw] = id
                        clerk = id
                    }
                }
            } catch { throw BatchProblem(seq: seq, error.description) }
            var bootId: String?
            if let raw = event.bootId {
                do { bootId = try Text.line(raw, field: "bootId", maximum: 64) } catch { throw BatchProblem(seq: seq, error.description) }
            }
            switch event.kind {
            case .rating:
                guard let level = event.level, scale.contains(level) else {
                    throw BatchProblem(seq: seq, "a rating needs a level of scale \(scale.rawValue) \(scale.levels)")
                }
                guard let binding = event.binding else { throw BatchProblem(seq: seq, "a rating needs a binding") }
                if binding == .dossier, clerk == nil { throw BatchProblem(seq: seq, "a dossier-bound rating needs its clerk") }
                if binding == .clerk, clerk == nil { throw BatchProblem(seq: seq, "a clerk-bound rating needs its clerk") }
            case .session:
                guard event.outcome != nil else { throw BatchProblem(seq: seq, "a session event needs an outcome") }
            case .suppressed, .clerkSignin, .clerkSignout, .fault:
                break
            }
            let synced = event.clockSynced ?? false
            out.append(
                CheckedEvent(
                    seq: seq, kind: event.kind, at: at, level: event.level, binding: event.binding, dossier: dossier,
                    clerk: clerk, outcome: event.outcome, reason: event.reason, monotonicNs: event.monotonicNs,
                    bootId: bootId, clockSynced: synced,
                    byArrival: !synced || !Self.plausibleTimes(at, receivedAt: receivedAt)))
        }
        return out
    }

    private func checkStatus() throws(BatchProblem) {
        guard status.faults.count <= 64 else { throw BatchProblem("status.faults: at most 64 faults") }
        do throws(CodeError) {
            _ = try Text.line(status.version, field: "status.version", maximum: 64)
            for (index, fault) in status.faults.enumerated() {
                _ = try Text.line(fault, field: "status.faults[\(index)]", maximum: 64)
            }
        } catch { throw BatchProblem(error.description) }
        guard status.backlog >= 0 else { throw BatchProblem("status.backlog must be ≥ 0, not \(status.backlog)") }
        guard status.uptimeS >= 0 else { throw BatchProblem("status.uptimeS must be ≥ 0, not \(status.uptimeS)") }
    }

    private func checkAggregates(scale: Scale) throws(BatchProblem) {
        guard aggregates.count <= 10_000 else { throw BatchProblem("too many aggregates (at most 10000)") }
        for (index, count) in aggregates.enumerated() {
            let at = "aggregates[\(index)]"
            guard CivilDate.parseDay(count.day) != nil else { throw BatchProblem("\(at).day must be a date YYYY-MM-DD, not \(count.day.debugDescription)") }
            guard scale.contains(count.level) else {
                throw BatchProblem("\(at).level \(count.level) is not a level of scale \(scale.rawValue) \(scale.levels)")
            }
            guard (0...Self.maximumDailyCount).contains(count.count) else {
                throw BatchProblem("\(at).count must be 0–\(Self.maximumDailyCount), not \(count.count)")
            }
            if let clerk = count.clerk {
                do throws(CodeError) { _ = try ClerkID(clerk) } catch { throw BatchProblem("\(at).clerk: \(error.description)") }
            }
        }
    }
}
