public import GRDB
public import HailongDomain

/// One row of the board's append-only event log.
public struct EventRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "event"

    /// Gap-free per board, assigned by SQLite on insert.
    public var seq: Int64?
    public var kind: EventKind
    /// Wall-clock time (UTC µs) when recorded.
    public var wallUs: Int64
    /// CLOCK_MONOTONIC when it happened.
    public var monoNs: Int64
    public var bootId: String
    public var clockSynced: Bool
    public var level: Int?
    public var binding: Binding?
    public var dossier: String?
    public var clerk: String?
    public var outcome: SessionOutcome?
    public var reason: EventReason?
    /// Acknowledged by the server (set by the uplink).
    public var forwarded: Bool

    public enum Columns {
        static let seq = Column(CodingKeys.seq)
        static let kind = Column(CodingKeys.kind)
        static let wallUs = Column(CodingKeys.wallUs)
        static let forwarded = Column(CodingKeys.forwarded)
    }

    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        seq = inserted.rowID
    }

    /// The wire shape (DESIGN §8).
    public var wire: WireEvent {
        WireEvent(
            seq: seq ?? 0, kind: kind, at: WallTime(microseconds: wallUs).rfc3339, level: level, binding: binding,
            dossier: dossier, clerk: clerk, outcome: outcome, reason: reason, monotonicNs: monoNs, bootId: bootId,
            clockSynced: clockSynced)
    }
}

extension EventKind: DatabaseValueConvertible {}
extension Binding: DatabaseValueConvertible {}
extension SessionOutcome: DatabaseValueConvertible {}
extension EventReason: DatabaseValueConvertible {}
