import Foundation
import GRDB
public import HailongDomain
public import Logging

/// The database could not be opened or migrated: says which file, and what to check.
public struct StorageOpenError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    /// SQLite's primary result code (14: cannot open, 8: read-only, 13: disk full).
    public var code: Int32

    public var description: String {
        let hint: String
        switch code {
        case 14: hint = " (does its folder exist, and may this user write there?)"
        case 8: hint = " (the file or its folder is read-only for this user)"
        case 13: hint = " (the disk is full)"
        case 26: hint = " (it is not an SQLite database)"
        default: hint = ""
        }
        return "cannot open the database \(path): \(reason)\(hint) / không mở được cơ sở dữ liệu \(path)"
    }
}

/// The embedded default store: one SQLite file through GRDB (WAL, `synchronous=FULL`), or an
/// in-memory database for tests. Owns the writer; `init` runs the migrations.
public final class SQLiteStore: HailongStore {
    let writer: any DatabaseWriter
    let zones = ZoneOffsets()
    let catalogCache = CatalogCache()
    private let logger: Logger

    /// Opens (creating if needed) the database at `path`; `:memory:` gives a private in-memory one.
    public init(path: String, logger: Logger = Logger(label: "hailong.server.storage")) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // Reports read the rollup indexes over and over: keep them in the connection's cache.
            try db.execute(sql: "PRAGMA cache_size = -32768")
        }
        do {
            if path == ":memory:" {
                writer = try DatabaseQueue(configuration: configuration)
            } else {
                writer = try DatabasePool(path: path, configuration: configuration)
                // DatabasePool switches its writer to synchronous=NORMAL when it enables WAL, after
                // prepareDatabase ran. NORMAL can lose the last commits on power loss, and a batch's
                // acknowledged seq is a promise the board acts on: back to FULL for the writer.
                try writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            }
            try Self.migrator.migrate(writer)
        } catch let error as DatabaseError {
            throw StorageOpenError(path: path, reason: error.message ?? "\(error.resultCode)", code: error.resultCode.primaryResultCode.rawValue)
        }
        self.logger = logger
        logger.debug("storage opened", metadata: ["path": "\(path)"])
    }

    public func ping() async throws {
        try await writer.read { db in _ = try Int64.fetchOne(db, sql: "SELECT 1") }
    }

    // MARK: Organisation

    public func createUnit(_ new: NewUnit) async throws -> Unit {
        let new = try StoreRules.unit(new, zones: zones)
        let code = new.code, name = new.name, zone = new.zone
        return try await write { db in
            var parentId: Int64?
            if let parent = new.parent {
                guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM units WHERE code = ?", arguments: [parent]) else {
                    throw StoreError.notFound("parent unit \(parent)")
                }
                parentId = id
            } else if try Int64.fetchOne(db, sql: "SELECT count(*) FROM units WHERE parent_id IS NULL") ?? 0 > 0 {
                // One tree: only the first unit may be a root.
                throw StoreError.invalid("a root unit exists already; give a parent")
            }
            guard try Int64.fetchOne(db, sql: "SELECT id FROM units WHERE code = ?", arguments: [code]) == nil else {
                throw StoreError.conflict("unit \(code) exists already")
            }
            try db.execute(
                sql: "INSERT INTO units(code, name, parent_id, time_zone) VALUES (?, ?, ?, ?)",
                arguments: [code, name, parentId, zone])
            return Unit(id: db.lastInsertedRowID, code: code, name: name, parent: new.parent, timeZone: zone)
        }
    }

    /// The units, subtrees, counters and clerks read from the catalog (`Catalog`): a report or a
    /// scope check reads them on every request.
    func catalog() async throws -> Catalog {
        try await writer.read { db in try catalogCache.catalog(db) }
    }

    public func units() async throws -> [Unit] {
        try await catalog().units
    }

    public func unit(code: String) async throws -> Unit? {
        let catalog = try await catalog()
        return catalog.unitIndex[Text.nfc(code)].map { catalog.units[$0] }
    }

    public func subtree(of code: String) async throws -> [Unit] {
        try await catalog().subtree(of: Text.nfc(code))
    }

    public func createCounter(unit: String, name: String) async throws -> CounterInfo {
        let name = try Validate.name(name, field: "name")
        return try await write { db in
            let unitId = try Self.unitId(db, unit)
            guard try Int64.fetchOne(db, sql: "SELECT id FROM counters WHERE unit_id = ? AND name = ?", arguments: [unitId, name]) == nil
            else { throw StoreError.conflict("counter \"\(name)\" exists already in \(unit)") }
            try db.execute(sql: "INSERT INTO counters(unit_id, name) VALUES (?, ?)", arguments: [unitId, name])
            return CounterInfo(id: db.lastInsertedRowID, unit: Text.nfc(unit), name: name)
        }
    }

    public func counters(units: [String]) async throws -> [CounterInfo] {
        let codes = Set(units)
        return try await catalog().counters.filter { codes.contains($0.unit) }
    }

    public func upsertClerks(_ clerks: [Clerk]) async throws {
        try await write { db in
            for clerk in clerks {
                let unitId = try Self.unitId(db, clerk.unit)
                try db.execute(
                    sql: """
                        INSERT INTO clerks(code, name, unit_id) VALUES (?, ?, ?)
                        ON CONFLICT(code) DO UPDATE SET name = excluded.name, unit_id = excluded.unit_id
                        """, arguments: [Text.nfc(clerk.code), Text.nfc(clerk.name), unitId])
            }
        }
    }

    public func clerks(units: [String]) async throws -> [Clerk] {
        let codes = Set(units)
        return try await catalog().clerks.filter { codes.contains($0.unit) }
    }

    // MARK: Boards

    private static let boardColumns = """
        b.*, u.code AS unit_code, u.time_zone, c.name AS counter_name
        FROM boards b JOIN units u ON u.id = b.unit_id JOIN counters c ON c.id = b.counter_id
        """

    private static func board(_ row: Row) -> BoardInfo {
        let faults: String = row["faults"] ?? ""
        let lastSeen: Int64? = row["last_seen_us"]
        return BoardInfo(
            id: row["id"], unit: row["unit_code"], unitId: row["unit_id"], counterId: row["counter_id"],
            counter: row["counter_name"], scale: Scale(rawValue: row["scale"]) ?? .vn3, timeZone: row["time_zone"],
            enrolled: (row["token_hash"] as String?) != nil, revoked: row["revoked"], lastSeq: row["last_seq"],
            lastSeenAt: lastSeen.map { WallTime(microseconds: $0).rfc3339 }, version: row["version"],
            backlog: row["backlog"], faults: faults.isEmpty ? [] : faults.split(separator: "\n").map(String.init),
            clockSynced: row["clock_synced"], uptimeS: row["uptime_s"])
    }

    public func createBoard(unit: String, counterId: Int64, scale: Scale, codeHash: String, expiresAt: WallTime) async throws -> BoardInfo {
        let candidates = StoreRules.boardIdCandidates()
        return try await write { db in
            let unitId = try Self.unitId(db, unit)
            guard try Int64.fetchOne(db, sql: "SELECT unit_id FROM counters WHERE id = ?", arguments: [counterId]) == unitId else {
                throw StoreError.notFound("counter \(counterId) in unit \(unit)")
            }
            guard let id = try candidates.first(where: { id in
                try Int64.fetchOne(db, sql: "SELECT 1 FROM boards WHERE id = ?", arguments: [id]) == nil
            }) else { throw StoreRules.noFreeBoardId }
            try db.execute(
                sql: "INSERT INTO boards(id, unit_id, counter_id, scale, code_hash, code_expires_us) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [id, unitId, counterId, scale.rawValue, codeHash, expiresAt.microseconds])
            guard let row = try Row.fetchOne(db, sql: "SELECT \(Self.boardColumns) WHERE b.id = ?", arguments: [id]) else {
                throw StoreError.notFound("board \(id)")
            }
            return Self.board(row)
        }
    }

    public func enroll(codeHash: String, tokenHash: String, now: WallTime) async throws -> BoardInfo {
        try await write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT \(Self.boardColumns) WHERE b.code_hash = ?", arguments: [codeHash])
            else { throw StoreError.notFound("enrollment code (unknown or already used)") }
            let expires: Int64 = row["code_expires_us"]
            guard now.microseconds < expires else { throw StoreError.invalid("enrollment code expired") }
            guard !(row["revoked"] as Bool) else { throw StoreError.invalid("board revoked") }
            // Once: the code's hash is dropped as the token's is stored.
            try db.execute(
                sql: "UPDATE boards SET code_hash = NULL, code_expires_us = NULL, token_hash = ?, enrolled_us = ? WHERE id = ?",
                arguments: [tokenHash, now.microseconds, row["id"] as String])
            var board = Self.board(row)
            board.enrolled = true
            return board
        }
    }

    public func board(tokenHash: String) async throws -> BoardInfo? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.boardColumns) WHERE b.token_hash = ?", arguments: [tokenHash]).map(Self.board)
        }
    }

    public func board(id: String) async throws -> BoardInfo? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.boardColumns) WHERE b.id = ?", arguments: [id]).map(Self.board)
        }
    }

    public func revokeBoard(id: String) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE boards SET revoked = 1, code_hash = NULL WHERE id = ?", arguments: [id])
            guard db.changesCount == 1 else { throw StoreError.notFound("board \(id)") }
        }
    }

    public func boards(units: [String]) async throws -> [BoardInfo] {
        try await writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT \(Self.boardColumns) WHERE u.code IN \(Self.placeholders(units.count)) ORDER BY u.code, c.name",
                arguments: StatementArguments(units)
            ).map(Self.board)
        }
    }

    // MARK: Reads

    public func events(dossier: String) async throws -> [StoredEvent] {
        try await writer.read { db in
            try Row.fetchAll(
                db,
                sql: "\(Self.storedEventSelect) WHERE e.dossier = ? ORDER BY e.at_us, e.board_id, e.seq", arguments: [Text.nfc(dossier)]
            ).map(Self.storedEvent)
        }
    }

    /// A stored event with its board's unit and counter, for `storedEvent(_:)`.
    private static let storedEventSelect = """
        SELECT e.*, u.code AS unit_code, c.name AS counter_name FROM events e
        JOIN boards b ON b.id = e.board_id JOIN units u ON u.id = b.unit_id JOIN counters c ON c.id = b.counter_id
        """

    static func storedEvent(_ row: Row) -> StoredEvent {
        let at: Int64 = row["at_us"]
        let event = WireEvent(
            seq: row["seq"], kind: EventKind(rawValue: row["kind"]) ?? .fault, at: WallTime(microseconds: at).rfc3339,
            level: row["level"], binding: (row["binding"] as String?).flatMap(Binding.init(rawValue:)),
            dossier: row["dossier"], clerk: row["clerk"],
            outcome: (row["outcome"] as String?).flatMap(SessionOutcome.init(rawValue:)),
            reason: (row["reason"] as String?).flatMap(EventReason.init(rawValue:)), monotonicNs: row["monotonic_ns"],
            bootId: row["boot_id"], clockSynced: row["clock_synced"])
        let filed: Int64 = row["filed_us"]
        return StoredEvent(
            board: row["board_id"], unit: row["unit_code"], counter: row["counter_name"], event: event, filedByArrival: row["by_arrival"],
            filedAt: WallTime(microseconds: filed).rfc3339)
    }

    public func events(board: String, after: Int64, limit: Int) async throws -> [StoredEvent] {
        try await writer.read { db in
            try Row.fetchAll(
                db,
                sql: "\(Self.storedEventSelect) WHERE e.board_id = ? AND e.seq > ? ORDER BY e.seq LIMIT ?",
                arguments: [Text.nfc(board), after, limit]
            ).map(Self.storedEvent)
        }
    }

    public func alerts(units: [String]) async throws -> [Alert] {
        try await writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT a.id, a.kind, a.board_id, u.code, a.message, a.at_us, a.acknowledged_by, a.acknowledged_us, a.ack_comment
                    FROM alerts a JOIN units u ON u.id = a.unit_id
                    WHERE u.code IN \(Self.placeholders(units.count)) ORDER BY a.at_us DESC, a.id DESC LIMIT 1000
                    """, arguments: StatementArguments(units)
            ).map { row in
                Alert(
                    id: row[0], kind: row[1], board: row[2], unit: row[3], message: row[4], at: WallTime(microseconds: row[5]).rfc3339,
                    acknowledgedBy: row[6], acknowledgedAt: (row[7] as Int64?).map { WallTime(microseconds: $0).rfc3339 }, comment: row[8])
            }
        }
    }

    public func acknowledgeAlert(id: Int64, units: [String], by username: String, comment: String, now: WallTime) async throws -> Bool {
        try await write { db in
            try db.execute(
                sql: """
                    UPDATE alerts SET acknowledged_by = ?, acknowledged_us = ?, ack_comment = ?
                    WHERE id = ? AND acknowledged_by IS NULL
                      AND unit_id IN (SELECT id FROM units WHERE code IN \(Self.placeholders(units.count)))
                    """, arguments: [username, now.microseconds, Text.nfc(comment), id] + StatementArguments(units))
            return db.changesCount == 1
        }
    }

    // MARK: Failed logins

    public func loginFailures(keys: [String], since: WallTime) async throws -> [String: [WallTime]] {
        try await writer.read { db in
            var failures: [String: [WallTime]] = [:]
            for key in keys {
                let times = try Int64.fetchAll(
                    db, sql: "SELECT at_us FROM login_failures WHERE key = ? AND at_us >= ? ORDER BY at_us", arguments: [key, since.microseconds])
                if !times.isEmpty { failures[key] = times.map(WallTime.init(microseconds:)) }
            }
            return failures
        }
    }

    public func admitLoginAttempt(limits: [String: Int], at: WallTime, since: WallTime) async throws -> (admitted: Bool, earlier: [String: [WallTime]]) {
        // One writer at a time: the count and the insert cannot interleave with another attempt's.
        try await write { db in
            try db.execute(sql: "DELETE FROM login_failures WHERE at_us < ?", arguments: [since.microseconds])
            var earlier: [String: [WallTime]] = [:]
            for key in limits.keys {
                let times = try Int64.fetchAll(db, sql: "SELECT at_us FROM login_failures WHERE key = ? ORDER BY at_us", arguments: [key])
                if !times.isEmpty { earlier[key] = times.map(WallTime.init(microseconds:)) }
            }
            let admitted = StoreRules.admitsLoginAttempt(limits: limits, earlier: earlier)
            if admitted {
                for key in limits.keys {
                    try db.execute(sql: "INSERT INTO login_failures(key, at_us) VALUES (?, ?)", arguments: [key, at.microseconds])
                }
            }
            return (admitted, earlier)
        }
    }

    public func withdrawLoginAttempt(keys: [String], at: WallTime) async throws {
        try await write { db in
            for key in keys {
                try db.execute(
                    sql: "DELETE FROM login_failures WHERE rowid = (SELECT rowid FROM login_failures WHERE key = ? AND at_us = ? LIMIT 1)",
                    arguments: [key, at.microseconds])
            }
        }
    }

    public func clearLoginFailures(key: String) async throws {
        try await write { db in try db.execute(sql: "DELETE FROM login_failures WHERE key = ?", arguments: [key]) }
    }

    // MARK: Web sessions

    public func createWebSession(idHash: String, accountId: Int64, csrf: String, now: WallTime, expiredBefore: WallTime) async throws {
        try await write { db in
            try db.execute(sql: "DELETE FROM web_sessions WHERE last_seen_us < ?", arguments: [expiredBefore.microseconds])
            try db.execute(
                sql: "INSERT INTO web_sessions(id_hash, account_id, csrf, created_us, last_seen_us) VALUES (?, ?, ?, ?, ?)",
                arguments: [idHash, accountId, csrf, now.microseconds, now.microseconds])
        }
    }

    public func webSession(idHash: String) async throws -> WebSession? {
        try await writer.read { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT a.id, a.username, a.role, u.code AS unit_code, s.csrf, s.created_us, s.last_seen_us
                    FROM web_sessions s JOIN accounts a ON a.id = s.account_id LEFT JOIN units u ON u.id = a.unit_id WHERE s.id_hash = ?
                    """,
                arguments: [idHash]
            ).map { row in
                WebSession(
                    idHash: idHash, account: Self.account(row), csrf: row["csrf"], createdAt: WallTime(microseconds: row["created_us"]),
                    lastSeenAt: WallTime(microseconds: row["last_seen_us"]))
            }
        }
    }

    public func touchWebSession(idHash: String, now: WallTime) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE web_sessions SET last_seen_us = ? WHERE id_hash = ?", arguments: [now.microseconds, idHash])
        }
    }

    public func deleteWebSession(idHash: String) async throws {
        try await write { db in
            try db.execute(sql: "DELETE FROM web_sessions WHERE id_hash = ?", arguments: [idHash])
        }
    }

    // MARK: Accounts

    public func createAccount(username: String, passwordHash: String, role: Role, unit: String?) async throws -> Account {
        let username = try Validate.code(username, field: "username")
        return try await write { db in
            let unitId = try unit.map { try Self.unitId(db, $0) }
            let key = Text.caseFolded(username)
            if let existing = try String.fetchOne(db, sql: "SELECT username FROM accounts WHERE username_key = ?", arguments: [key]) {
                throw StoreError.conflict("account \(existing) exists already (usernames ignore case)")
            }
            try db.execute(
                sql: "INSERT INTO accounts(username, username_key, password_hash, role, unit_id) VALUES (?, ?, ?, ?, ?)",
                arguments: [username, key, passwordHash, role.rawValue, unitId])
            return Account(id: db.lastInsertedRowID, username: username, role: role, unit: unit.map(Text.nfc))
        }
    }

    private static let accountColumns = "a.id, a.username, a.role, u.code AS unit_code, a.password_hash FROM accounts a LEFT JOIN units u ON u.id = a.unit_id"

    private static func account(_ row: Row) -> Account {
        Account(id: row["id"], username: row["username"], role: Role(rawValue: row["role"]) ?? .technician, unit: row["unit_code"])
    }

    public func account(username: String) async throws -> (Account, String)? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.accountColumns) WHERE a.username_key = ?", arguments: [Text.caseFolded(username)]).map {
                (Self.account($0), $0["password_hash"])
            }
        }
    }

    public func addAPIToken(hash: String, accountId: Int64, now: WallTime) async throws {
        try await write { db in
            try db.execute(
                sql: "INSERT INTO api_tokens(hash, account_id, created_us) VALUES (?, ?, ?)", arguments: [hash, accountId, now.microseconds])
        }
    }

    public func account(tokenHash: String) async throws -> Account? {
        try await writer.read { db in
            try Row.fetchOne(
                db, sql: "SELECT \(Self.accountColumns) JOIN api_tokens t ON t.account_id = a.id WHERE t.hash = ?", arguments: [tokenHash]
            ).map(Self.account)
        }
    }

    // MARK: Helpers

    /// One write transaction. A UNIQUE or PRIMARY KEY violation SQLite raises (a race the
    /// checks before it could not see, a duplicate token hash) is the client's conflict, a 409,
    /// never a 500; nothing of the transaction stays.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do { return try await writer.write(body) } catch let error as DatabaseError
            where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE || error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY
        {
            throw StoreError.conflict("exists already: \(error.message ?? "a unique value is taken") / đã tồn tại")
        }
    }

    static func unitId(_ db: Database, _ code: String) throws -> Int64 {
        guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM units WHERE code = ?", arguments: [Text.nfc(code)]) else {
            throw StoreError.notFound("unit \(code)")
        }
        return id
    }

    /// `(?,?,…)` for an `IN` list of `count` values; `(NULL)`, which matches nothing and takes
    /// no argument, for an empty list (a server with no unit yet: `IN (?)` with no argument was
    /// SQLite error 21, a 500 on the admin's first visit to /boards).
    static func placeholders(_ count: Int) -> String {
        count == 0 ? "(NULL)" : "(" + Array(repeating: "?", count: count).joined(separator: ",") + ")"
    }
}
