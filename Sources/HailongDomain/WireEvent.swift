/// An event of a board's log as it travels: the local API's `GET /v1/events`, the uplink's
/// ingest batches and the exports all use this shape (JSON, camelCase).
///
/// ```json
/// {"seq": 7, "kind": "rating", "at": "2026-11-23T03:10:00.250Z", "level": 3,
///  "binding": "dossier", "dossier": "000.30.25.H17-240702-0012", "clerk": "Nguyễn Thị Ánh"}
/// ```
public struct WireEvent: Equatable, Sendable, Codable {
    /// Gap-free sequence number per board, from 1.
    public var seq: Int64
    public var kind: EventKind
    /// Wall-clock time, RFC 3339 UTC.
    public var at: String
    public var level: Int?
    public var binding: Binding?
    public var dossier: String?
    public var clerk: String?
    public var outcome: SessionOutcome?
    public var reason: EventReason?
    /// Monotonic clock reading (ns since boot) when the event happened.
    public var monotonicNs: Int64?
    /// The kernel boot id the monotonic reading belongs to.
    public var bootId: String?
    /// Whether the wall clock was synchronized (NTP) when `at` was taken or repaired.
    public var clockSynced: Bool?

    public init(
        seq: Int64, kind: EventKind, at: String, level: Int? = nil, binding: Binding? = nil,
        dossier: String? = nil, clerk: String? = nil, outcome: SessionOutcome? = nil,
        reason: EventReason? = nil, monotonicNs: Int64? = nil, bootId: String? = nil,
        clockSynced: Bool? = nil
    ) {
        self.seq = seq
        self.kind = kind
        self.at = at
        self.level = level
        self.binding = binding
        self.dossier = dossier
        self.clerk = clerk
        self.outcome = outcome
        self.reason = reason
        self.monotonicNs = monotonicNs
        self.bootId = bootId
        self.clockSynced = clockSynced
    }
}
