public import HailongDomain

/// Everything the server keeps, behind one interface: handlers speak only to this protocol, so
/// a PostgreSQL implementation can follow without touching them (`SQLiteStore` is the embedded
/// default). Every method that must keep an invariant is one transaction in the implementation.
///
/// Implementations must serialise `ingest` per board (SQLite: the single writer; PostgreSQL:
/// `SELECT … FOR UPDATE` on the board row), so that `lastSeq` moves only forward, by whole batches.
public protocol HailongStore: Sendable {
    /// A cheap probe that the database answers (`/healthz`, the watchdog).
    func ping() async throws

    // MARK: Organisation
    func createUnit(_ unit: NewUnit) async throws -> Unit
    func units() async throws -> [Unit]
    func unit(code: String) async throws -> Unit?
    /// The unit and every unit below it.
    func subtree(of code: String) async throws -> [Unit]
    func createCounter(unit: String, name: String) async throws -> CounterInfo
    func counters(units: [String]) async throws -> [CounterInfo]
    /// Adds or updates clerks, all or none.
    func upsertClerks(_ clerks: [Clerk]) async throws
    func clerks(units: [String]) async throws -> [Clerk]

    // MARK: Boards
    /// Creates a board for a counter with a one-time enrollment code (only its hash is kept).
    func createBoard(unit: String, counterId: Int64, scale: Scale, codeHash: String, expiresAt: WallTime) async throws -> BoardInfo
    /// Exchanges a valid, unused, unexpired code for a token (stored as `tokenHash`).
    func enroll(codeHash: String, tokenHash: String, now: WallTime) async throws -> BoardInfo
    func board(tokenHash: String) async throws -> BoardInfo?
    func board(id: String) async throws -> BoardInfo?
    func revokeBoard(id: String) async throws
    func boards(units: [String]) async throws -> [BoardInfo]

    // MARK: Ingest
    /// Stores the new events of a checked batch and updates the rollups in one transaction.
    func ingest(
        board: BoardInfo, batch: IngestBatch, events: [CheckedEvent], receivedAt: WallTime
    ) async throws -> IngestOutcome

    // MARK: Reads
    /// The units' counts over the local days `fromDay...toDay`, per group and scale: each series'
    /// running total at `toDay` minus the one at `fromDay − 1` (a day after the last one anything
    /// was filed on reads as that day), summed in the store. A group's scales are listed next to
    /// each other; groups whose counts are all zero may be listed.
    func rangeCounts(unitIds: [Int64], fromDay: Int64, toDay: Int64, groupBy: RunningGroup) async throws -> [GroupCount]
    /// The units' own running totals at each of `days`, summed over the units, per day and scale
    /// (clamped like `rangeCounts`; every requested day is a position of the result, or absent
    /// when nothing was counted up to it).
    func unitTotals(unitIds: [Int64], atDays days: [Int64]) async throws -> [PositionCount]
    /// The units' counts per local hour (local day × 24 + hour of the day), `fromHour...toHour`,
    /// summed over the units, per hour and scale.
    func hourCounts(unitIds: [Int64], fromHour: Int64, toHour: Int64) async throws -> [PositionCount]
    func events(dossier: String) async throws -> [StoredEvent]
    /// One board's stored events with seq > `after`, in seq order, at most `limit` (raw export).
    func events(board: String, after: Int64, limit: Int) async throws -> [StoredEvent]
    func alerts(units: [String]) async throws -> [Alert]

    // MARK: Accounts
    func createAccount(username: String, passwordHash: String, role: Role, unit: String?) async throws -> Account
    /// The account and its password hash.
    func account(username: String) async throws -> (Account, String)?
    func addAPIToken(hash: String, accountId: Int64, now: WallTime) async throws
    func account(tokenHash: String) async throws -> Account?

    // MARK: Web sessions and alert acknowledgement (the dashboard)
    /// Stores a new session and deletes those idle since before `expiredBefore`.
    func createWebSession(idHash: String, accountId: Int64, csrf: String, now: WallTime, expiredBefore: WallTime) async throws
    func webSession(idHash: String) async throws -> WebSession?
    func touchWebSession(idHash: String, now: WallTime) async throws
    func deleteWebSession(idHash: String) async throws
    /// Acknowledges an alert of one of `units`; false when there is none such, or it was
    /// acknowledged already (the first acknowledgement stands).
    func acknowledgeAlert(id: Int64, units: [String], by username: String, comment: String, now: WallTime) async throws -> Bool

    // MARK: Failed logins (`LoginThrottle`): in the database, so that every replica counts them all
    /// The times of the login attempts counted under each of `keys` at or after `since` (failed
    /// ones, and those whose check is under way), oldest first (keys with none are absent).
    func loginFailures(keys: [String], since: WallTime) async throws -> [String: [WallTime]]
    /// Counts a login attempt at `at` under each key of `limits` before its password is
    /// checked — unless a key already has its limit of attempts at or after `since`, and then
    /// counts nothing. Atomic: attempts made at once, on one replica or on several, cannot all
    /// pass before any is counted. Forgets every attempt from before `since` (the table holds one
    /// throttle window). Returns whether it counted this one, and each key's earlier attempts
    /// since `since`, oldest first (keys with none are absent). An attempt stays counted when
    /// its password was wrong.
    func admitLoginAttempt(limits: [String: Int], at: WallTime, since: WallTime) async throws -> (admitted: Bool, earlier: [String: [WallTime]])
    /// Takes back one attempt counted at `at` under each of `keys` (a login that succeeded, or
    /// one whose password could not be checked).
    func withdrawLoginAttempt(keys: [String], at: WallTime) async throws
    /// Forgets `key`'s failures (a successful login clears its username's).
    func clearLoginFailures(key: String) async throws
}

/// The database did not answer a probe in time: it is down, restarting, or the pool is still
/// waiting to reconnect to it.
public struct StoreUnavailable: Error, Sendable, CustomStringConvertible {
    public var bound: Duration
    /// What a 503 for it asks the client to wait (`Retry-After`, seconds): a PostgreSQL restart
    /// takes seconds, a failover tens of them.
    public static let retryAfter = "30"
    public var description: String {
        let ms = bound.components.seconds * 1000 + bound.components.attoseconds / 1_000_000_000_000_000
        return "the database did not answer within \(ms) ms / cơ sở dữ liệu không trả lời trong \(ms) ms"
    }
}

extension StoreUnavailable {
    /// `operation`, or `StoreUnavailable` once `bound` has passed without its answer.
    ///
    /// PostgresNIO's pool holds a query until it has a connection, so while PostgreSQL is down
    /// or restarting an unbounded request waits until the database is back. Past `bound` the
    /// operation's task is cancelled: waiting for a connection, it leaves the pool's queue and
    /// nothing was sent. (An operation already running in the database finishes first; for an
    /// ingest that then committed the board's resend changes nothing.)
    public static func bounding<T: Sendable>(_ bound: Duration, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        let answer = try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                try await Task.sleep(for: bound)
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
        guard let answer else { throw StoreUnavailable(bound: bound) }
        return answer
    }
}

extension HailongStore {
    /// `ping()`, bounded: `/healthz` answers 503 soon while the database is away instead of
    /// hanging until it is back and then answering "ok".
    public func ping(within bound: Duration) async throws {
        try await StoreUnavailable.bounding(bound) { try await self.ping() }
    }
}
