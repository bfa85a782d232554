public import HailongDomain

/// A unit of the administration: a node of the unit tree.
public struct Unit: Sendable, Equatable, Codable {
    public var id: Int64
    /// Short stable code, e.g. `hcm`, `hcm.q1`, `hcm.q1.p-ben-nghe`.
    public var code: String
    public var name: String
    public var parent: String?
    public var timeZone: String
}

public struct NewUnit: Sendable, Equatable, Codable {
    public var code: String
    public var name: String
    public var parent: String?
    public var timeZone: String?

    public init(code: String, name: String, parent: String? = nil, timeZone: String? = nil) {
        self.code = code
        self.name = name
        self.parent = parent
        self.timeZone = timeZone
    }
}

/// One desk of a unit's one-stop section.
public struct CounterInfo: Sendable, Equatable, Codable {
    public var id: Int64
    public var unit: String
    public var name: String
}

public struct Clerk: Sendable, Equatable, Codable {
    /// Staff code: what boards send as `clerk`.
    public var code: String
    public var name: String
    public var unit: String

    public init(code: String, name: String, unit: String) {
        self.code = code
        self.name = name
        self.unit = unit
    }
}

/// A board as the server knows it, with its last reported health.
public struct BoardInfo: Sendable, Equatable, Codable {
    public var id: String
    public var unit: String
    public var unitId: Int64
    public var counterId: Int64
    public var counter: String
    public var scale: Scale
    public var timeZone: String
    public var enrolled: Bool
    public var revoked: Bool
    /// Highest contiguous seq stored.
    public var lastSeq: Int64
    public var lastSeenAt: String?
    public var version: String?
    public var backlog: Int64?
    public var faults: [String]
    public var clockSynced: Bool?
    public var uptimeS: Int64?
}

public enum Role: String, Sendable, Codable, CaseIterable {
    case admin, manager, technician
}

public struct Account: Sendable, Equatable, Codable {
    public var id: Int64
    public var username: String
    public var role: Role
    /// A manager's unit: they read its subtree only.
    public var unit: String?
}

/// A stored event, for dossier look-up and exports.
public struct StoredEvent: Sendable, Equatable, Codable {
    public var board: String
    public var unit: String
    public var counter: String
    public var event: WireEvent
    /// True when the board could not vouch for `at`: filed by arrival time.
    public var filedByArrival: Bool
    /// The time the event is counted at in reports: `at`, or its arrival time when filed by arrival.
    public var filedAt: String?
}

public struct Alert: Sendable, Equatable, Codable {
    public var id: Int64
    public var kind: String
    public var board: String?
    public var unit: String?
    public var message: String
    public var at: String
    /// Who acknowledged it, when (RFC 3339) and why; nil while unacknowledged.
    public var acknowledgedBy: String?
    public var acknowledgedAt: String?
    public var comment: String?
}

/// A signed-in browser (the dashboard). The cookie holds a random id; the store keeps only its
/// SHA-256, the account, the form token and when it was last used.
public struct WebSession: Sendable, Equatable {
    public var idHash: String
    public var account: Account
    /// The CSRF token every POST form of this session carries.
    public var csrf: String
    public var createdAt: WallTime
    public var lastSeenAt: WallTime
}

/// What an ingest did.
public enum IngestOutcome: Sendable, Equatable {
    /// Stored (possibly nothing new, for a replay); all seq ≤ `acknowledgedSeq` are stored.
    case stored(acknowledgedSeq: Int64, newEvents: Int, mismatches: Int)
    /// The batch starts after a hole.
    case gap(acknowledgedSeq: Int64, expectedSeq: Int64)
    /// The board was revoked (after its token was checked): nothing stored.
    case revoked
}

/// What a report reads (issue 14). A report over any range costs the same: the running totals
/// (everything counted from a series' first day up to and including a day) are kept for every
/// day, so a range's counts are `total(to) − total(from − 1)`, two look-ups per series, wherever
/// the range starts and ends.
///
/// Two kinds of series: a unit's own total per scale (`counterId` 0, `clerk` ""), for the unit
/// headline and the day, week and month dimensions; and one per counter, clerk and scale, for the
/// unit, counter and clerk dimensions. Days are the local days of the series' unit.
public enum RunningKind: Int64, Sendable { case unit = 0, series = 1 }

/// What a range's counts are grouped by (`rangeCounts`).
public enum RunningGroup: String, Sendable { case unit, counter, clerk }

/// Counts of one group (a unit id, a counter id or a clerk code, as text) on one scale.
public struct GroupCount: Sendable, Equatable {
    public var group: String
    public var scale: Scale
    public var counts: TallyCounts

    public init(group: String, scale: Scale, counts: TallyCounts) {
        self.group = group
        self.scale = scale
        self.counts = counts
    }
}

/// Counts at one position (a local day, or a local hour: local day × 24 + hour of the day) on
/// one scale, summed over units.
public struct PositionCount: Sendable, Equatable {
    public var position: Int64
    public var scale: Scale
    public var counts: TallyCounts

    public init(position: Int64, scale: Scale, counts: TallyCounts) {
        self.position = position
        self.scale = scale
        self.counts = counts
    }
}

/// Why a store operation was refused; handlers map it to 4xx.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    case notFound(String)
    case conflict(String)
    case invalid(String)

    public var description: String {
        switch self {
        case .notFound(let what): "not found: \(what)"
        case .conflict(let what): what
        case .invalid(let what): what
        }
    }
}
