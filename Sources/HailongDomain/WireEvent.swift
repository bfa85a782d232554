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

extension WireEvent {
    private enum CodingKeys: String, CodingKey {
        case seq, kind, at, level, binding, dossier, clerk, outcome, reason, monotonicNs, bootId, clockSynced
    }

    /// Field by field, as the synthesized decoder would, but with the enums read as strings: the
    /// server decodes 500 of these per ingest batch, and the generic path for each optional enum
    /// was a good part of that time. Same errors: an unknown case is `dataCorrupted` at its key.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        seq = try container.decode(Int64.self, forKey: .seq)
        let kind = try container.decode(String.self, forKey: .kind)
        guard let known = EventKind(rawValue: kind) else {
            throw DecodingError.dataCorruptedError(
                forKey: .kind, in: container, debugDescription: "Cannot initialize EventKind from invalid String value \(kind)")
        }
        self.kind = known
        at = try container.decode(String.self, forKey: .at)
        level = try container.decodeIfPresent(Int.self, forKey: .level)
        binding = try Self.decodeCase(Binding.self, container, .binding)
        dossier = try container.decodeIfPresent(String.self, forKey: .dossier)
        clerk = try container.decodeIfPresent(String.self, forKey: .clerk)
        outcome = try Self.decodeCase(SessionOutcome.self, container, .outcome)
        reason = try Self.decodeCase(EventReason.self, container, .reason)
        monotonicNs = try container.decodeIfPresent(Int64.self, forKey: .monotonicNs)
        bootId = try container.decodeIfPresent(String.self, forKey: .bootId)
        clockSynced = try container.decodeIfPresent(Bool.self, forKey: .clockSynced)
    }

    private static func decodeCase<Case: RawRepresentable>(
        _ type: Case.Type, _ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys
    ) throws -> Case? where Case.RawValue == String {
        guard let raw = try container.decodeIfPresent(String.self, forKey: key) else { return nil }
        guard let value = Case(rawValue: raw) else {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: container, debugDescription: "Cannot initialize \(Case.self) from invalid String value \(raw)")
        }
        return value
    }
}
