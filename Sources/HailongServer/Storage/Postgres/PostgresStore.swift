public import HailongDomain
public import Logging
public import PostgresNIO
import Synchronization

/// The production store (issue 15): PostgreSQL through PostgresNIO's `PostgresClient`, so that the
/// server keeps nothing of its own and runs as many replicas as needed behind a load balancer.
/// It holds SQL and nothing else: what a batch means is `IngestPlan`'s, what a unit, a name or a
/// board id must be is `StoreRules`', how report rows add up is `RangeSums`'/`PositionSums`'.
///
/// Invariants that read before they write hold across replicas: the ingest transaction locks the
/// board row (`FOR UPDATE`), so one board's batches are applied one at a time whichever replica
/// took them; a code enrolls once (`UPDATE … WHERE code_hash = $1 RETURNING`); one root unit (a
/// unique index); every unique violation is a `StoreError.conflict` (409). A deadlock or a
/// serialisation failure is retried.
public final class PostgresStore: HailongStore {
    public let client: PostgresClient
    let logger: Logger
    let zones = ZoneOffsets()
    let catalogCache = CatalogCache()
    /// Running-total series that committed, and the highest horizon seen (`PostgresStore+Ingest`):
    /// a batch of a known series on a day before the horizon writes no series row and takes the
    /// horizon's lock shared.
    let knownSeries = Mutex<[SeriesKey: KnownSeries]>([:])
    let horizonSeen = Mutex<Int64>(.min)
    /// The horizon move under way on this replica and the day it moves to: the other batches
    /// that cross that day at the same time wait for it rather than each take the exclusive lock.
    let horizonMove = Mutex<(day: Int64, task: Task<Int64?, any Error>)?>(nil)
    /// Each board's last seq as this replica last stored or saw it: the one-statement ingest's
    /// guess, checked by the database.
    let lastSeqSeen = Mutex<[String: Int64]>([:])
    /// Batches stored by the one-statement ingest, those that found the board or the horizon
    /// moved and took the full path, and the times a horizon move took the exclusive lock here
    /// (tests and the benchmark read them).
    let oneStatementCounts = Mutex<(stored: Int, fellBack: Int, horizonLocks: Int)>((0, 0, 0))
    /// The client's own run loop when the store runs it (commands, tests); nil when a service
    /// group runs `client` (the server).
    private let runner: Task<Void, Never>?
    /// How long a read or a transaction may wait for the database: past it, `StoreUnavailable`
    /// (503 with `Retry-After`), not a report, a dashboard page or a login held until PostgreSQL
    /// is back. The pool holds every query until it has a connection, so while the database is
    /// down or restarting an unbounded request waits as long as the outage.
    public let answerBound: Duration

    /// A store over `client`; `runClient` starts the client's run loop here (otherwise add
    /// `client` to a service group). Call `prepare(migrate:)` before use.
    public init(client: PostgresClient, runClient: Bool, answerBound: Duration = .seconds(15), logger: Logger) {
        self.client = client
        self.logger = logger
        self.answerBound = answerBound
        let running = RunFlag()
        self.running = running
        runner =
            runClient
            ? Task {
                running.set()
                await client.run()
            } : nil
    }

    /// Set once the task running `client` has started (when this store runs it).
    private let running: RunFlag
    final class RunFlag: Sendable {
        private let value = Atomic<Bool>(false)
        func set() { value.store(true, ordering: .releasing) }
        var isSet: Bool { value.load(ordering: .acquiring) }
    }

    /// Waits for the client's run loop when this store started it, so the first query does not
    /// lease a connection before `run()` (PostgresNIO warns of that on every command).
    public func started() async {
        guard runner != nil else { return }
        while !running.isSet { await Task.yield() }
    }

    public convenience init(
        settings: PostgresSettings, searchPath: String? = nil, runClient: Bool, answerBound: Duration = .seconds(15), logger: Logger
    ) throws {
        self.init(
            client: PostgresClient(configuration: try settings.clientConfiguration(searchPath: searchPath), backgroundLogger: logger),
            runClient: runClient, answerBound: answerBound, logger: logger)
    }

    deinit { runner?.cancel() }

    /// Migrates (`migrate`) or checks that the schema is this build's: a server never serves a
    /// database it does not know all of, nor one missing a migration.
    public func prepare(migrate: Bool, now: WallTime) async throws {
        await started()
        if migrate {
            try await PostgresMigrations.migrate(client, logger: logger, now: now.microseconds)
            return
        }
        let state = try await client.withConnection { connection in try await PostgresMigrations.state(connection, logger: self.logger) }
        switch state {
        case .current: return
        case .newer(let names): throw PostgresMigrations.SchemaNewer(names: names)
        case .behind(let names):
            throw StorageOpenError(
                path: "PostgreSQL", reason: "migrations \(names.joined(separator: ", ")) are not applied: run hailong-server migrate", code: 0)
        }
    }

    /// A cheap probe (`/healthz`, the watchdog): one round trip.
    public func ping() async throws {
        try await client.query("SELECT 1", logger: logger)
    }

    // MARK: Transactions and errors

    /// One transaction, retried on a deadlock (40P01) or a serialisation failure (40001) a few
    /// times; a unique violation (23505) is a conflict. Within `answerBound`, retries included.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await StoreUnavailable.bounding(answerBound) { [self] in try await retried(body) }
    }

    private func retried<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await client.withTransaction(logger: logger) { connection in try await body(connection) }
            } catch {
                let state = Self.sqlState(error)
                if state == "40P01" || state == "40001", attempt < 5 {
                    logger.notice("transaction retried", metadata: ["sqlstate": "\(state ?? "")", "attempt": "\(attempt)"])
                    continue
                }
                throw Self.mapped(error)
            }
        }
    }

    /// A read outside a transaction, errors mapped, within `answerBound`.
    func read<T: Sendable>(_ body: @escaping @Sendable (PostgresClient) async throws -> T) async throws -> T {
        try await StoreUnavailable.bounding(answerBound) { [self] in
            do { return try await body(client) } catch { throw Self.mapped(error) }
        }
    }

    static func sqlState(_ error: any Error) -> String? {
        if let error = error as? PostgresTransactionError {
            return (error.closureError ?? error.commitError ?? error.beginError).flatMap(sqlState)
        }
        return (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    static func mapped(_ error: any Error) -> any Error {
        if let error = error as? PostgresTransactionError, let inner = error.closureError ?? error.commitError {
            return mapped(inner)
        }
        if error is StoreError { return error }
        if let psql = error as? PSQLError, psql.serverInfo?[.sqlState] == "23505" {
            let detail = psql.serverInfo?[.detail] ?? psql.serverInfo?[.message] ?? "a unique value is taken"
            return StoreError.conflict("exists already: \(detail) / đã tồn tại")
        }
        return error
    }

    // MARK: Organisation

    public func createUnit(_ new: NewUnit) async throws -> Unit {
        let unit = try StoreRules.unit(new, zones: zones)
        return try await transaction { [self] db in
            var parentId: Int64?
            if let parent = unit.parent {
                guard let id = try await db.query("SELECT id FROM units WHERE code = \(parent)", logger: logger).decode(Int64.self).first(where: { _ in true }) else {
                    throw StoreError.notFound("parent unit \(parent)")
                }
                parentId = id
            } else if try await db.query("SELECT 1 FROM units WHERE parent_id IS NULL", logger: logger).decode(Int.self).first(where: { _ in true }) != nil {
                throw StoreError.invalid("a root unit exists already; give a parent")
            }
            let rows = try await db.query(
                """
                INSERT INTO units(code, name, parent_id, time_zone) VALUES (\(unit.code), \(unit.name), \(parentId), \(unit.zone))
                ON CONFLICT (code) DO NOTHING RETURNING id
                """, logger: logger)
            guard let id = try await rows.decode(Int64.self).first(where: { _ in true }) else {
                throw StoreError.conflict("unit \(unit.code) exists already")
            }
            return Unit(id: id, code: unit.code, name: unit.name, parent: unit.parent, timeZone: unit.zone)
        }
    }

    public func units() async throws -> [Unit] { try await catalog().units }

    public func unit(code: String) async throws -> Unit? {
        let catalog = try await catalog()
        return catalog.unitIndex[Text.nfc(code)].map { catalog.units[$0] }
    }

    public func subtree(of code: String) async throws -> [Unit] { try await catalog().subtree(of: Text.nfc(code)) }

    public func createCounter(unit: String, name: String) async throws -> CounterInfo {
        let name = try Validate.name(name, field: "name")
        let code = Text.nfc(unit)
        return try await transaction { [self] db in
            let unitId = try await Self.unitId(db, code, logger: logger)
            let rows = try await db.query(
                "INSERT INTO counters(unit_id, name) VALUES (\(unitId), \(name)) ON CONFLICT (unit_id, name) DO NOTHING RETURNING id",
                logger: logger)
            guard let id = try await rows.decode(Int64.self).first(where: { _ in true }) else {
                throw StoreError.conflict("counter \"\(name)\" exists already in \(unit)")
            }
            return CounterInfo(id: id, unit: code, name: name)
        }
    }

    public func counters(units: [String]) async throws -> [CounterInfo] {
        let codes = Set(units)
        return try await catalog().counters.filter { codes.contains($0.unit) }
    }

    public func upsertClerks(_ clerks: [Clerk]) async throws {
        // One order whoever calls: two imports of the same clerks lock their rows alike.
        let sorted = clerks.map { Clerk(code: Text.nfc($0.code), name: Text.nfc($0.name), unit: Text.nfc($0.unit)) }.sorted { $0.code < $1.code }
        try await transaction { [self] db in
            for clerk in sorted {
                let unitId = try await Self.unitId(db, clerk.unit, logger: logger)
                try await db.query(
                    """
                    INSERT INTO clerks(code, name, unit_id) VALUES (\(clerk.code), \(clerk.name), \(unitId))
                    ON CONFLICT (code) DO UPDATE SET name = excluded.name, unit_id = excluded.unit_id
                    """, logger: logger)
            }
        }
    }

    public func clerks(units: [String]) async throws -> [Clerk] {
        let codes = Set(units)
        return try await catalog().clerks.filter { codes.contains($0.unit) }
    }

    /// The catalog of the database as it is now (organisation reads).
    func catalog() async throws -> Catalog {
        try await snapshot { [self] _, catalog in catalog }
    }

    /// A read-only repeatable-read transaction: the catalog and what `body` reads beside it are
    /// of one snapshot (a series an ingest made a moment ago is in both or in neither).
    func snapshot<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection, Catalog) async throws -> T) async throws -> T {
        try await transaction { [self] db in
            try await db.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
            let version = try await db.query("SELECT version FROM catalog_version WHERE id = 1", logger: logger).decode(Int64.self)
                .first(where: { _ in true }) ?? 0
            let catalog: Catalog
            if let cached = catalogCache.cached(version) {
                catalog = cached
            } else {
                catalog = catalogCache.keep(try await loadCatalog(db, version: version))
            }
            return try await body(db, catalog)
        }
    }

    func loadCatalog(_ db: PostgresConnection, version: Int64) async throws -> Catalog {
        var units: [Unit] = []
        for try await (id, code, name, parent, zone) in try await db.query(
            "SELECT u.id, u.code, u.name, p.code, u.time_zone FROM units u LEFT JOIN units p ON p.id = u.parent_id ORDER BY u.code COLLATE \"C\"",
            logger: logger
        ).decode((Int64, String, String, String?, String).self) {
            units.append(Unit(id: id, code: code, name: name, parent: parent, timeZone: zone))
        }
        var counters: [CounterInfo] = []
        for try await (id, unit, name) in try await db.query(
            "SELECT c.id, u.code, c.name FROM counters c JOIN units u ON u.id = c.unit_id ORDER BY u.code COLLATE \"C\", c.name COLLATE \"C\"",
            logger: logger
        ).decode((Int64, String, String).self) {
            counters.append(CounterInfo(id: id, unit: unit, name: name))
        }
        var clerks: [Clerk] = []
        for try await (code, name, unit) in try await db.query(
            "SELECT k.code, k.name, u.code FROM clerks k JOIN units u ON u.id = k.unit_id ORDER BY k.code COLLATE \"C\"", logger: logger
        ).decode((String, String, String).self) {
            clerks.append(Clerk(code: code, name: name, unit: unit))
        }
        var series: [Catalog.SeriesRow] = []
        for try await (id, kind, unitId, counterId, clerk, scale) in try await db.query(
            "SELECT id, kind, unit_id, counter_id, clerk, scale FROM report_series ORDER BY id", logger: logger
        ).decode((Int64, Int64, Int64, Int64, String, String).self) {
            series.append(Catalog.SeriesRow(id: id, kind: kind, unitId: unitId, counterId: counterId, clerk: clerk, scale: scale))
        }
        return Catalog.build(version: version, units: units, counters: counters, clerks: clerks, series: series)
    }

    static func unitId(_ db: PostgresConnection, _ code: String, logger: Logger) async throws -> Int64 {
        guard let id = try await db.query("SELECT id FROM units WHERE code = \(Text.nfc(code))", logger: logger).decode(Int64.self).first(where: { _ in true })
        else { throw StoreError.notFound("unit \(code)") }
        return id
    }

    // MARK: Boards

    static let boardColumns = """
        b.id, u.code, b.unit_id, b.counter_id, c.name, b.scale, u.time_zone, b.token_hash IS NOT NULL, b.revoked, b.last_seq,
        b.last_seen_us, b.version, b.backlog, b.faults, b.clock_synced, b.uptime_s
        FROM boards b JOIN units u ON u.id = b.unit_id JOIN counters c ON c.id = b.counter_id
        """

    static func boards(_ rows: PostgresRowSequence) async throws -> [BoardInfo] {
        var boards: [BoardInfo] = []
        for try await (id, unit, unitId, counterId, counter, scale, zone, enrolled, revoked, lastSeq, lastSeen, version, backlog, faults, synced, uptime)
            in rows.decode((String, String, Int64, Int64, String, String, String, Bool, Bool, Int64, Int64?, String?, Int64?, String?, Bool?, Int64?).self)
        {
            let faultText = faults ?? ""
            boards.append(
                BoardInfo(
                    id: id, unit: unit, unitId: unitId, counterId: counterId, counter: counter, scale: Scale(rawValue: scale) ?? .vn3,
                    timeZone: zone, enrolled: enrolled, revoked: revoked, lastSeq: lastSeq,
                    lastSeenAt: lastSeen.map { WallTime(microseconds: $0).rfc3339 }, version: version, backlog: backlog,
                    faults: faultText.isEmpty ? [] : faultText.split(separator: "\n").map(String.init), clockSynced: synced, uptimeS: uptime))
        }
        return boards
    }

    public func createBoard(unit: String, counterId: Int64, scale: Scale, codeHash: String, expiresAt: WallTime) async throws -> BoardInfo {
        let candidates = StoreRules.boardIdCandidates()
        return try await transaction { [self] db in
            let unitId = try await Self.unitId(db, unit, logger: logger)
            guard try await db.query("SELECT unit_id FROM counters WHERE id = \(counterId)", logger: logger).decode(Int64.self).first(where: { _ in true }) == unitId
            else { throw StoreError.notFound("counter \(counterId) in unit \(unit)") }
            guard let id = try await db.query(
                """
                SELECT c.id FROM unnest(\(candidates)::text[]) WITH ORDINALITY AS c(id, n)
                WHERE NOT EXISTS (SELECT 1 FROM boards b WHERE b.id = c.id) ORDER BY c.n LIMIT 1
                """, logger: logger
            ).decode(String.self).first(where: { _ in true })
            else { throw StoreRules.noFreeBoardId }
            try await db.query(
                """
                INSERT INTO boards(id, unit_id, counter_id, scale, code_hash, code_expires_us)
                VALUES (\(id), \(unitId), \(counterId), \(scale.rawValue), \(codeHash), \(expiresAt.microseconds))
                """, logger: logger)
            guard let board = try await Self.boards(db.query("SELECT \(unescaped: Self.boardColumns) WHERE b.id = \(id)", logger: logger)).first
            else { throw StoreError.notFound("board \(id)") }
            return board
        }
    }

    public func enroll(codeHash: String, tokenHash: String, now: WallTime) async throws -> BoardInfo {
        try await transaction { [self] db in
            // The row locked while it is decided: of two enrollments with one code, the second
            // finds the code gone.
            guard let (id, expires, revoked) = try await db.query(
                "SELECT id, code_expires_us, revoked FROM boards WHERE code_hash = \(codeHash) FOR UPDATE", logger: logger
            ).decode((String, Int64?, Bool).self).first(where: { _ in true })
            else { throw StoreError.notFound("enrollment code (unknown or already used)") }
            guard now.microseconds < expires ?? .min else { throw StoreError.invalid("enrollment code expired") }
            guard !revoked else { throw StoreError.invalid("board revoked") }
            try await db.query(
                """
                UPDATE boards SET code_hash = NULL, code_expires_us = NULL, token_hash = \(tokenHash), enrolled_us = \(now.microseconds)
                WHERE id = \(id)
                """, logger: logger)
            guard let board = try await Self.boards(db.query("SELECT \(unescaped: Self.boardColumns) WHERE b.id = \(id)", logger: logger)).first
            else { throw StoreError.notFound("board \(id)") }
            return board
        }
    }

    public func board(tokenHash: String) async throws -> BoardInfo? {
        try await read { [self] client in
            try await Self.boards(client.query("SELECT \(unescaped: Self.boardColumns) WHERE b.token_hash = \(tokenHash)", logger: logger)).first
        }
    }

    public func board(id: String) async throws -> BoardInfo? {
        try await read { [self] client in
            try await Self.boards(client.query("SELECT \(unescaped: Self.boardColumns) WHERE b.id = \(id)", logger: logger)).first
        }
    }

    public func revokeBoard(id: String) async throws {
        try await transaction { [self] db in
            let rows = try await db.query("UPDATE boards SET revoked = true, code_hash = NULL WHERE id = \(id) RETURNING id", logger: logger)
            guard try await rows.decode(String.self).first(where: { _ in true }) != nil else { throw StoreError.notFound("board \(id)") }
        }
    }

    public func boards(units: [String]) async throws -> [BoardInfo] {
        try await read { [self] client in
            try await Self.boards(
                client.query(
                    "SELECT \(unescaped: Self.boardColumns) WHERE u.code = ANY(\(units)) ORDER BY u.code COLLATE \"C\", c.name COLLATE \"C\"",
                    logger: logger))
        }
    }

    // MARK: Event reads and alerts

    static let storedEventSelect = """
        SELECT e.board_id, u.code, c.name, e.seq, e.kind, e.at_us, e.level, e.binding, e.dossier, e.clerk, e.outcome, e.reason,
            e.monotonic_ns, e.boot_id, e.clock_synced, e.by_arrival, e.filed_us
        FROM events e JOIN boards b ON b.id = e.board_id JOIN units u ON u.id = b.unit_id JOIN counters c ON c.id = b.counter_id
        """

    static func storedEvents(_ rows: PostgresRowSequence) async throws -> [StoredEvent] {
        var events: [StoredEvent] = []
        for try await row in rows {
            let (board, unit, counter, seq, kind, at, level, binding, dossier, clerk, outcome, reason, monotonic, boot, synced, byArrival, filed) =
                try row.decode(
                    (String, String, String, Int64, String, Int64, Int?, String?, String?, String?, String?, String?, Int64?, String?, Bool?, Bool, Int64).self)
            let event = WireEvent(
                seq: seq, kind: EventKind(rawValue: kind) ?? .fault, at: WallTime(microseconds: at).rfc3339, level: level,
                binding: binding.flatMap(Binding.init(rawValue:)), dossier: dossier, clerk: clerk,
                outcome: outcome.flatMap(SessionOutcome.init(rawValue:)), reason: reason.flatMap(EventReason.init(rawValue:)),
                monotonicNs: monotonic, bootId: boot, clockSynced: synced)
            events.append(
                StoredEvent(
                    board: board, unit: unit, counter: counter, event: event, filedByArrival: byArrival,
                    filedAt: WallTime(microseconds: filed).rfc3339))
        }
        return events
    }

    public func events(dossier: String) async throws -> [StoredEvent] {
        try await read { [self] client in
            try await Self.storedEvents(
                client.query(
                    "\(unescaped: Self.storedEventSelect) WHERE e.dossier = \(Text.nfc(dossier)) ORDER BY e.at_us, e.board_id COLLATE \"C\", e.seq",
                    logger: logger))
        }
    }

    public func events(board: String, after: Int64, limit: Int) async throws -> [StoredEvent] {
        try await read { [self] client in
            try await Self.storedEvents(
                client.query(
                    "\(unescaped: Self.storedEventSelect) WHERE e.board_id = \(Text.nfc(board)) AND e.seq > \(after) ORDER BY e.seq LIMIT \(limit)",
                    logger: logger))
        }
    }

    public func alerts(units: [String]) async throws -> [Alert] {
        try await read { [self] client in
            var alerts: [Alert] = []
            for try await (id, kind, board, unit, message, at, by, ackAt, comment) in try await client.query(
                """
                SELECT a.id, a.kind, a.board_id, u.code, a.message, a.at_us, a.acknowledged_by, a.acknowledged_us, a.ack_comment
                FROM alerts a JOIN units u ON u.id = a.unit_id
                WHERE u.code = ANY(\(units)) ORDER BY a.at_us DESC, a.id DESC LIMIT 1000
                """, logger: logger
            ).decode((Int64, String, String?, String, String, Int64, String?, Int64?, String?).self) {
                alerts.append(
                    Alert(
                        id: id, kind: kind, board: board, unit: unit, message: message, at: WallTime(microseconds: at).rfc3339,
                        acknowledgedBy: by, acknowledgedAt: ackAt.map { WallTime(microseconds: $0).rfc3339 }, comment: comment))
            }
            return alerts
        }
    }

    public func acknowledgeAlert(id: Int64, units: [String], by username: String, comment: String, now: WallTime) async throws -> Bool {
        try await transaction { [self] db in
            let rows = try await db.query(
                """
                UPDATE alerts SET acknowledged_by = \(username), acknowledged_us = \(now.microseconds), ack_comment = \(Text.nfc(comment))
                WHERE id = \(id) AND acknowledged_by IS NULL AND unit_id IN (SELECT id FROM units WHERE code = ANY(\(units)))
                RETURNING id
                """, logger: logger)
            return try await rows.decode(Int64.self).first(where: { _ in true }) != nil
        }
    }

    // MARK: Failed logins

    public func loginFailures(keys: [String], since: WallTime) async throws -> [String: [WallTime]] {
        try await read { [self] client in
            var failures: [String: [WallTime]] = [:]
            for try await (key, at) in try await client.query(
                "SELECT key, at_us FROM login_failures WHERE key = ANY(\(keys)) AND at_us >= \(since.microseconds) ORDER BY at_us", logger: logger
            ).decode((String, Int64).self) {
                failures[key, default: []].append(WallTime(microseconds: at))
            }
            return failures
        }
    }

    public func admitLoginAttempt(limits: [String: Int], at: WallTime, since: WallTime) async throws -> (admitted: Bool, earlier: [String: [WallTime]]) {
        let keys = limits.keys.sorted()
        return try await transaction { [self] db in
            // Each key's lock (in key order, so that two attempts never wait on each other),
            // held to the commit: across replicas, attempts on one key are counted one at a time.
            // The two-key form: a space of its own, apart from the migration and horizon locks.
            for key in keys {
                try await db.query("SELECT pg_advisory_xact_lock(\(PostgresMigrations.loginLockClass), hashtext(\(key)))", logger: logger)
            }
            try await db.query("DELETE FROM login_failures WHERE at_us < \(since.microseconds)", logger: logger)
            var earlier: [String: [WallTime]] = [:]
            for try await (key, at) in try await db.query(
                "SELECT key, at_us FROM login_failures WHERE key = ANY(\(keys)) ORDER BY at_us", logger: logger
            ).decode((String, Int64).self) {
                earlier[key, default: []].append(WallTime(microseconds: at))
            }
            let admitted = StoreRules.admitsLoginAttempt(limits: limits, earlier: earlier)
            if admitted {
                try await db.query(
                    "INSERT INTO login_failures(key, at_us) SELECT k, \(at.microseconds) FROM unnest(\(keys)::TEXT[]) AS k", logger: logger)
            }
            return (admitted, earlier)
        }
    }

    public func withdrawLoginAttempt(keys: [String], at: WallTime) async throws {
        _ = try await read { [self] client in
            try await client.query(
                """
                DELETE FROM login_failures WHERE ctid IN (
                    SELECT DISTINCT ON (key) ctid FROM login_failures WHERE key = ANY(\(keys)) AND at_us = \(at.microseconds))
                """, logger: logger)
        }
    }

    public func clearLoginFailures(key: String) async throws {
        _ = try await read { [self] client in try await client.query("DELETE FROM login_failures WHERE key = \(key)", logger: logger) }
    }

    // MARK: Web sessions

    public func createWebSession(idHash: String, accountId: Int64, csrf: String, now: WallTime, expiredBefore: WallTime) async throws {
        try await transaction { [self] db in
            try await db.query("DELETE FROM web_sessions WHERE last_seen_us < \(expiredBefore.microseconds)", logger: logger)
            try await db.query(
                """
                INSERT INTO web_sessions(id_hash, account_id, csrf, created_us, last_seen_us)
                VALUES (\(idHash), \(accountId), \(csrf), \(now.microseconds), \(now.microseconds))
                """, logger: logger)
        }
    }

    public func webSession(idHash: String) async throws -> WebSession? {
        try await read { [self] client in
            guard
                let (id, username, role, unit, csrf, created, seen) = try await client.query(
                    """
                    SELECT a.id, a.username, a.role, u.code, s.csrf, s.created_us, s.last_seen_us
                    FROM web_sessions s JOIN accounts a ON a.id = s.account_id LEFT JOIN units u ON u.id = a.unit_id
                    WHERE s.id_hash = \(idHash)
                    """, logger: logger
                ).decode((Int64, String, String, String?, String, Int64, Int64).self).first(where: { _ in true })
            else { return nil }
            return WebSession(
                idHash: idHash, account: Account(id: id, username: username, role: Role(rawValue: role) ?? .technician, unit: unit), csrf: csrf,
                createdAt: WallTime(microseconds: created), lastSeenAt: WallTime(microseconds: seen))
        }
    }

    public func touchWebSession(idHash: String, now: WallTime) async throws {
        _ = try await read { [self] client in
            try await client.query("UPDATE web_sessions SET last_seen_us = \(now.microseconds) WHERE id_hash = \(idHash)", logger: logger)
        }
    }

    public func deleteWebSession(idHash: String) async throws {
        _ = try await read { [self] client in try await client.query("DELETE FROM web_sessions WHERE id_hash = \(idHash)", logger: logger) }
    }

    // MARK: Accounts

    public func createAccount(username: String, passwordHash: String, role: Role, unit: String?) async throws -> Account {
        let username = try Validate.code(username, field: "username")
        let key = Text.caseFolded(username)
        return try await transaction { [self] db in
            var unitId: Int64?
            if let unit { unitId = try await Self.unitId(db, unit, logger: logger) }
            if let existing = try await db.query("SELECT username FROM accounts WHERE username_key = \(key)", logger: logger).decode(String.self)
                .first(where: { _ in true })
            {
                throw StoreError.conflict("account \(existing) exists already (usernames ignore case)")
            }
            let rows = try await db.query(
                """
                INSERT INTO accounts(username, username_key, password_hash, role, unit_id)
                VALUES (\(username), \(key), \(passwordHash), \(role.rawValue), \(unitId)) RETURNING id
                """, logger: logger)
            guard let id = try await rows.decode(Int64.self).first(where: { _ in true }) else { throw StoreError.conflict("account \(username)") }
            return Account(id: id, username: username, role: role, unit: unit.map(Text.nfc))
        }
    }

    static let accountColumns = "a.id, a.username, a.role, u.code, a.password_hash FROM accounts a LEFT JOIN units u ON u.id = a.unit_id"

    public func account(username: String) async throws -> (Account, String)? {
        try await read { [self] client in
            guard
                let (id, name, role, unit, hash) = try await client.query(
                    "SELECT \(unescaped: Self.accountColumns) WHERE a.username_key = \(Text.caseFolded(username))", logger: logger
                ).decode((Int64, String, String, String?, String).self).first(where: { _ in true })
            else { return nil }
            return (Account(id: id, username: name, role: Role(rawValue: role) ?? .technician, unit: unit), hash)
        }
    }

    public func addAPIToken(hash: String, accountId: Int64, now: WallTime) async throws {
        _ = try await read { [self] client in
            try await client.query(
                "INSERT INTO api_tokens(hash, account_id, created_us) VALUES (\(hash), \(accountId), \(now.microseconds))", logger: logger)
        }
    }

    public func account(tokenHash: String) async throws -> Account? {
        try await read { [self] client in
            guard
                let (id, name, role, unit, _) = try await client.query(
                    "SELECT \(unescaped: Self.accountColumns) JOIN api_tokens t ON t.account_id = a.id WHERE t.hash = \(tokenHash)", logger: logger
                ).decode((Int64, String, String, String?, String).self).first(where: { _ in true })
            else { return nil }
            return Account(id: id, username: name, role: Role(rawValue: role) ?? .technician, unit: unit)
        }
    }
}
