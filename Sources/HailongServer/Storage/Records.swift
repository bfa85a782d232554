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

/// Rollup granularity. Hour buckets are UTC hours; day, month and year buckets are the local
/// days/months/years of the row's own unit (days since 1970-01-01, months as year*12+month-1,
/// years as the year number).
public enum RollupGrain: String, Sendable { case hour, day, week, month, year }

/// What a rollup query groups by, besides unit, scale and level.
public enum RollupGroup: String, Sendable { case unit, counter, clerk, bucket }

/// One aggregated rollup line. `level` 0 carries session counts (`rated`, `unrated`).
public struct RollupCount: Sendable, Equatable {
    public var group: String
    public var unitId: Int64
    public var scale: Scale
    public var level: Int
    public var ratings: Int64
    public var rated: Int64
    public var unrated: Int64
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
