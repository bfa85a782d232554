import Foundation
public import HailongDomain
import SwiftProtobuf

/// Decodes a `POST /v1/ingest` body into the domain's `IngestBatch`.
///
/// A full batch is 500 events, ~120 KB of JSON. Foundation's JSONDecoder took ~3 ms for it,
/// more than storing the events; SwiftProtobuf's JSON decoder reads the same JSON, described
/// by `ingest_json.proto`, in ~0.7 ms. Foundation stays the authority on what is wrong: when
/// the fast path cannot read a body, or a required key is missing, or a kind/binding/outcome/
/// reason is not one of ours, the body is decoded again with JSONDecoder, which either names
/// the problem (`missing key events[37].kind`) or decides the body after all.
///
/// Bodies JSONDecoder refuses that the fast path accepts (proto3's JSON mapping is lenient):
/// integers written as strings or as `7.0`, keys in snake_case (`board_id`), a missing
/// `events`, `aggregates` or `faults` array (read as empty). Each still makes a well-formed
/// batch, and `IngestBatch.checked` then judges it like any other.
public enum IngestBody {
    public static func decode(_ bytes: [UInt8]) throws -> IngestBatch {
        if let batch = fast(bytes) { return batch }
        return try JSONDecoder().decode(IngestBatch.self, from: Data(bytes))
    }

    private static let options: JSONDecodingOptions = {
        var options = JSONDecodingOptions()
        options.ignoreUnknownFields = true  // as Codable does: a newer board may send more
        return options
    }()

    /// The batch through SwiftProtobuf, or nil where JSONDecoder must have its say.
    static func fast(_ bytes: [UInt8]) -> IngestBatch? {
        guard let message = try? IngestBatchJSON(jsonUTF8Bytes: bytes, options: options),
            message.hasBoardID, message.hasFromSeq, message.hasToSeq, message.hasStatus
        else { return nil }
        let status = message.status
        guard status.hasVersion, status.hasBacklog, status.hasClockSynced, status.hasUptimeS else { return nil }
        var events: [WireEvent] = []
        events.reserveCapacity(message.events.count)
        for event in message.events {
            guard let wire = wire(event) else { return nil }
            events.append(wire)
        }
        var aggregates: [DailyCount] = []
        aggregates.reserveCapacity(message.aggregates.count)
        for count in message.aggregates {
            guard count.hasDay, count.hasLevel, count.hasCount, let level = Int(exactly: count.level) else { return nil }
            aggregates.append(DailyCount(day: count.day, clerk: count.hasClerk ? count.clerk : nil, level: level, count: count.count))
        }
        return IngestBatch(
            boardId: message.boardID, fromSeq: message.fromSeq, toSeq: message.toSeq, events: events, aggregates: aggregates,
            status: BoardStatus(
                version: status.version, backlog: status.backlog, faults: status.faults, clockSynced: status.clockSynced,
                uptimeS: status.uptimeS))
    }

    private static func wire(_ event: WireEventJSON) -> WireEvent? {
        guard event.hasSeq, event.hasAt, event.hasKind, let kind = EventKind(rawValue: event.kind) else { return nil }
        /// `.some(nil)` for an absent key, `.some(value)` for one of `Case`'s, nil for another.
        func enumeration<Case: RawRepresentable<String>>(_ has: Bool, _ raw: String) -> Case?? {
            guard has else { return .some(nil) }
            guard let value = Case(rawValue: raw) else { return nil }
            return .some(value)
        }
        guard let binding: Binding? = enumeration(event.hasBinding, event.binding),
            let outcome: SessionOutcome? = enumeration(event.hasOutcome, event.outcome),
            let reason: EventReason? = enumeration(event.hasReason, event.reason)
        else { return nil }
        var level: Int?
        if event.hasLevel {
            guard let exact = Int(exactly: event.level) else { return nil }
            level = exact
        }
        return WireEvent(
            seq: event.seq, kind: kind, at: event.at, level: level, binding: binding,
            dossier: event.hasDossier ? event.dossier : nil, clerk: event.hasClerk ? event.clerk : nil,
            outcome: outcome, reason: reason, monotonicNs: event.hasMonotonicNs ? event.monotonicNs : nil,
            bootId: event.hasBootID ? event.bootID : nil, clockSynced: event.hasClockSynced ? event.clockSynced : nil)
    }
}
