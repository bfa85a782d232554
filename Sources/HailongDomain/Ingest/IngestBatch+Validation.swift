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
    /// `false` when the board could not vouch for `at` (clock never synchronized, event never
    /// re-timed): the server then files the event by its arrival time.
    public var clockSynced: Bool
}

extension IngestBatch {
    /// Checks the batch's shape and every event against the board's scale.
    ///
    /// - Parameters:
    ///   - scale: the board's scale; a rating of another level is refused.
    ///   - maximumEvents: the batch-size limit.
    /// - Returns: the events, checked and NFC-normalised.
    public func checked(scale: Scale, maximumEvents: Int = IngestBatch.maximumEvents) throws(BatchProblem) -> [CheckedEvent] {
        guard fromSeq >= 1 else { throw BatchProblem("fromSeq must be at least 1") }
        guard events.count <= maximumEvents else {
            throw BatchProblem("a batch carries at most \(maximumEvents) events, this one \(events.count)")
        }
        guard toSeq - fromSeq + 1 == Int64(events.count) else {
            throw BatchProblem("fromSeq \(fromSeq)...toSeq \(toSeq) does not match the \(events.count) events sent")
        }
        guard aggregates.count <= 10_000 else { throw BatchProblem("too many aggregates (at most 10000)") }
        guard status.version.count <= 64, status.faults.count <= 64, status.faults.allSatisfy({ $0.count <= 64 }) else {
            throw BatchProblem("status fields too long")
        }
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
            if let bootId = event.bootId, bootId.utf8.count > 64 { throw BatchProblem(seq: seq, "bootId too long") }
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
            out.append(
                CheckedEvent(
                    seq: seq, kind: event.kind, at: at, level: event.level, binding: event.binding, dossier: dossier,
                    clerk: clerk, outcome: event.outcome, reason: event.reason, monotonicNs: event.monotonicNs,
                    bootId: event.bootId.map(Text.nfc), clockSynced: event.clockSynced ?? true))
        }
        return out
    }
}
