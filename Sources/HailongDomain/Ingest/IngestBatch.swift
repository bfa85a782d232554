/// One ingest batch, board → server (`POST /v1/ingest`, DESIGN §6): the consecutive events
/// `fromSeq...toSeq` of one board's log, the board's cumulative rating counts, and a status
/// snapshot. Pure data: the board builds it, the server checks and stores it.
///
/// ```json
/// {"boardId": "b-7f3a", "fromSeq": 1, "toSeq": 2,
///  "events": [{"seq": 1, "kind": "clerkSignin", "at": "2026-11-23T01:00:00Z", "clerk": "NV001"},
///             {"seq": 2, "kind": "rating", "at": "2026-11-23T01:05:00Z", "level": 3,
///              "binding": "clerk", "clerk": "NV001"}],
///  "aggregates": [{"day": "2026-11-23", "clerk": "NV001", "level": 3, "count": 1}],
///  "status": {"version": "0.1.0", "backlog": 0, "faults": [], "clockSynced": true, "uptimeS": 3600}}
/// ```
public struct IngestBatch: Equatable, Sendable, Codable {
    /// The most events one batch may carry.
    public static let maximumEvents = 500

    /// The board the events come from; must be the board the token belongs to.
    public var boardId: String
    /// The first and last seq of `events` (inclusive).
    public var fromSeq: Int64
    public var toSeq: Int64
    /// The events `fromSeq...toSeq`, in seq order, none missing. Empty only with `fromSeq > toSeq`
    /// (a heartbeat carrying only status and aggregates).
    public var events: [WireEvent]
    /// The board's cumulative rating counts for the days it lists, over all its events with
    /// seq ≤ `toSeq`. The server compares them with its own counts for the same days.
    public var aggregates: [DailyCount]
    public var status: BoardStatus

    public init(
        boardId: String, fromSeq: Int64, toSeq: Int64, events: [WireEvent], aggregates: [DailyCount] = [],
        status: BoardStatus
    ) {
        self.boardId = boardId
        self.fromSeq = fromSeq
        self.toSeq = toSeq
        self.events = events
        self.aggregates = aggregates
        self.status = status
    }
}

/// The number of ratings of one level for one clerk (or none) on one day, as the board counts
/// them: every `rating` event whatever its binding. `day` is the UTC calendar date of the
/// event's `at` (`YYYY-MM-DD`), so board and server need no time-zone database to agree.
public struct DailyCount: Hashable, Sendable, Codable {
    public var day: String
    /// The clerk the ratings were bound to; absent for ratings bound to the counter only.
    public var clerk: String?
    public var level: Int
    public var count: Int64

    public init(day: String, clerk: String?, level: Int, count: Int64) {
        self.day = day
        self.clerk = clerk
        self.level = level
        self.count = count
    }

    /// The UTC day of a wall time, as `DailyCount.day` spells it.
    public static func day(of time: WallTime) -> String {
        var seconds = time.microseconds / 1_000_000
        if time.microseconds < 0, time.microseconds % 1_000_000 != 0 { seconds -= 1 }
        var days = seconds / 86_400
        if seconds < 0, seconds % 86_400 != 0 { days -= 1 }
        let (year, month, day) = CivilDate.fromDays(days)
        func pad(_ value: Int64, _ width: Int) -> String {
            let digits = String(value)
            return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }
}

/// What the board says about itself with every batch.
public struct BoardStatus: Equatable, Sendable, Codable {
    /// The agent's version.
    public var version: String
    /// Events stored on the board and not yet acknowledged, this batch included.
    public var backlog: Int64
    /// Faults active now, e.g. `"stuck:3"`, `"disk"`.
    public var faults: [String]
    /// Whether the board's wall clock is synchronized (NTP).
    public var clockSynced: Bool
    /// Seconds since the agent started.
    public var uptimeS: Int64

    public init(version: String, backlog: Int64, faults: [String] = [], clockSynced: Bool, uptimeS: Int64) {
        self.version = version
        self.backlog = backlog
        self.faults = faults
        self.clockSynced = clockSynced
        self.uptimeS = uptimeS
    }
}

/// The server's answer to a batch.
///
/// - `200`: `{"acknowledgedSeq": N}`: every event with seq ≤ N is durably stored; the board may
///   mark them forwarded. A replayed or overlapping batch gets the same answer and changes nothing.
/// - `409`: `{"acknowledgedSeq": N, "expectedSeq": N+1, "error": "gap", ...}`: the batch starts
///   after a hole; resend from `expectedSeq`.
public struct IngestReply: Equatable, Sendable, Codable {
    /// The highest seq such that every event `1...acknowledgedSeq` is stored (0: none).
    public var acknowledgedSeq: Int64
    /// On a gap: the seq the next batch must start at (or before).
    public var expectedSeq: Int64?
    /// On a refusal: a short machine-readable reason (`gap`).
    public var error: String?
    public var message: String?

    public init(acknowledgedSeq: Int64, expectedSeq: Int64? = nil, error: String? = nil, message: String? = nil) {
        self.acknowledgedSeq = acknowledgedSeq
        self.expectedSeq = expectedSeq
        self.error = error
        self.message = message
    }
}

/// The request and answer of `POST /v1/boards/enroll`.
public struct EnrollRequest: Equatable, Sendable, Codable {
    public var code: String
    public init(code: String) { self.code = code }
}

public struct EnrollReply: Equatable, Sendable, Codable {
    public var boardId: String
    /// The board's secret bearer token; shown once, the server keeps only its hash.
    public var token: String
    public var unit: String
    public var counter: String
    public var scale: Scale
    public var timeZone: String

    public init(boardId: String, token: String, unit: String, counter: String, scale: Scale, timeZone: String) {
        self.boardId = boardId
        self.token = token
        self.unit = unit
        self.counter = counter
        self.scale = scale
        self.timeZone = timeZone
    }
}
