import Foundation
import HailongClient
import HailongDomain
@testable import HailongServer
import HailongTestSupport
import HummingbirdTesting
import Logging
import PostgresNIO
import Synchronization
import Testing

/// The PostgreSQL store's own surface (issue 15): its settings, its migrations with replicas
/// starting together, a database newer than the server, and the real `hailong-server` on it.
@Suite struct PostgresSettingsTests {
    @Test func theURLNamesUserHostDatabaseAndTLS() throws {
        let tcp = try PostgresSettings.parse(url: "postgres://hailong@db.internal:6432/prod?sslmode=verify-full", password: "pw", caFile: "/etc/hailong/ca.pem", poolSize: 8)
        #expect(tcp.username == "hailong" && tcp.host == "db.internal" && tcp.port == 6432 && tcp.database == "prod")
        #expect(tcp.tls == .verifyFull && tcp.caFile == "/etc/hailong/ca.pem" && tcp.password == "pw" && tcp.poolSize == 8)
        #expect(tcp.redacted == "postgres://hailong@db.internal:6432/prod")
        let socket = try PostgresSettings.parse(url: "postgresql://hailong@/hailong?host=/run/postgresql", password: nil, caFile: nil, poolSize: 16)
        #expect(socket.socketDirectory == "/run/postgresql" && socket.port == 5432 && socket.tls == .disable)
        #expect(try PostgresSettings.parse(url: "postgres://u@h/d", password: nil, caFile: nil, poolSize: 1).tls == .prefer)
        #expect(try PostgresSettings.parse(url: "postgres://u@h/d?sslmode=require", password: nil, caFile: nil, poolSize: 1).tls == .require)
        for (url, says) in [
            ("mysql://u@h/d", "must look like postgres://"), ("postgres://h/d", "names no user"), ("postgres://u:secret@h/d", "must not hold the password"),
            ("postgres://u@h/", "names no database"), ("postgres://u@h/d?sslmode=maybe", "sslmode must be"), ("postgres://u@h/d?color=red", "unknown parameter"),
            ("postgres://u@/d?host=run", "socket directory"),
        ] {
            #expect(throws: SettingsError.self, "\(url)") { try PostgresSettings.parse(url: url, password: nil, caFile: nil, poolSize: 4) }
            do { _ = try PostgresSettings.parse(url: url, password: nil, caFile: nil, poolSize: 4) } catch { #expect(error.description.contains(says), "\(url): \(error)") }
        }
    }

    @Test func theConfigKeepsThePasswordOutOfTheYAML() throws {
        let config = try ServerConfig.parse(
            "storage: {driver: postgres, url: \"postgres://hailong@/hailong?host=/run/postgresql\", pool_size: 32, password_file: /etc/hailong/db-password}\n",
            file: "server.yaml")
        #expect(config.driver == .postgres && config.poolSize == 32 && config.passwordFile == "/etc/hailong/db-password")
        #expect(throws: ConfigError(file: "server.yaml", key: "storage.password", message: "the password never sits in the YAML: use storage.password_file or HAILONG_DB_PASSWORD")) {
            try ServerConfig.parse("storage: {driver: postgres, url: \"postgres://u@h/d\", password: hunter2}\n", file: "server.yaml")
        }
        #expect(throws: ConfigError.self) { try ServerConfig.parse("storage: {driver: postgres}\n", file: "server.yaml") }
        #expect(throws: ConfigError.self) { try ServerConfig.parse("storage: {driver: postgres, url: \"postgres://u:pw@h/d\"}\n", file: "server.yaml") }
        #expect(throws: ConfigError.self) { try ServerConfig.parse("storage: {driver: postgres, url: \"postgres://u@h/d\", pool_size: 0}\n", file: "server.yaml") }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("hailong-pw-\(UUID().uuidString)").path
        try "s3cret Mật khẩu\nignored\n".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        var withFile = config
        withFile.passwordFile = file
        #expect(try withFile.postgresPassword(environment: ["HAILONG_DB_PASSWORD": "env"]) == "s3cret Mật khẩu")
        withFile.passwordFile = nil
        #expect(try withFile.postgresPassword(environment: ["HAILONG_DB_PASSWORD": "env"]) == "env")
        withFile.passwordFile = "/nonexistent/hailong-password"
        #expect(throws: SettingsError.self) { try withFile.postgresPassword(environment: [:]) }
    }

    /// A store whose PostgreSQL is away: no server listens on its socket, as after `pg_ctl stop`.
    private func withPostgresAway(answerBound: Duration = .seconds(15), _ body: (PostgresStore, Logger) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hailong-no-pg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var logger = Logger(label: "hailong.test.away")
        logger.logLevel = .critical
        let settings = try PostgresSettings.parse(url: "postgres://hailong@/hailong?host=\(directory)", password: nil, caFile: nil, poolSize: 2)
        try await body(try PostgresStore(settings: settings, runClient: true, answerBound: answerBound, logger: logger), logger)
    }

    /// While PostgreSQL is away `/healthz` answers 503 once its 3-s bound has passed instead of
    /// hanging until the database is back and then saying "ok". The probe's own wait is
    /// cancelled, so the next probe is as quick.
    @Test(.timeLimit(.minutes(1))) func healthzAnswers503SoonWhilePostgreSQLIsAway() async throws {
        try await withPostgresAway { store, logger in
            let app = try buildApplication(ServerConfig(), store: store, logger: logger)
            try await app.test(.router) { client in
                for probe in 1...2 {
                    let start = ContinuousClock.now
                    let reply = try await client.send(.get, "/healthz")
                    let took = ContinuousClock.now - start
                    #expect(reply.status == .serviceUnavailable, "probe \(probe): \(reply.status) \(reply.text)")
                    #expect(reply.json["status"] as? String == "unavailable" && reply.json["error"] as? String == "unavailable", "\(reply.text)")
                    #expect((reply.json["message"] as? String)?.contains("did not answer within 3000 ms") == true, "\(reply.text)")
                    #expect(took >= .seconds(3) && took < .seconds(10), "probe \(probe) took \(took)")
                }
            }
        }
    }

    /// A board's upload while PostgreSQL is away is answered 503 with `Retry-After` within the
    /// bound (it used to hold the connection until the database was back), and counted as such.
    @Test(.timeLimit(.minutes(1))) func ingestAnswers503SoonWhilePostgreSQLIsAway() async throws {
        try await withPostgresAway { store, logger in
            var config = ServerConfig()
            config.ingestStoreBound = .seconds(1)
            let app = try buildApplication(config, store: store, logger: logger)
            let batch = IngestBatch(
                boardId: "b-00000001", fromSeq: 1, toSeq: 0, events: [], status: BoardStatus(version: "1", backlog: 0, clockSynced: true, uptimeS: 1))
            try await app.test(.router) { client in
                for attempt in 1...2 {
                    let start = ContinuousClock.now
                    let reply = try await client.send(.post, "/v1/ingest", token: "hlb_whatever", json: batch)
                    let took = ContinuousClock.now - start
                    #expect(reply.status == .serviceUnavailable, "attempt \(attempt): \(reply.status) \(reply.text)")
                    #expect(reply.json["error"] as? String == "unavailable", "\(reply.text)")
                    #expect((reply.json["message"] as? String)?.contains("did not answer within 1000 ms") == true, "\(reply.text)")
                    #expect(reply.headers[.retryAfter] == "30")
                    #expect(took >= .seconds(1) && took < .seconds(5), "attempt \(attempt) took \(took)")
                }
                let metrics = try await client.send(.get, "/metrics").text
                #expect(metrics.contains("hailong_ingest_rejects_total{reason=\"unavailable\"} 2"), "\(metrics)")
            }
        }
    }

    /// While PostgreSQL is away a manager's report, a dashboard page and a sign-in are answered
    /// 503 with `Retry-After` once the store's bound has passed: the API in its JSON error body,
    /// the dashboard as a page in Vietnamese and English. They used to wait as long as the outage.
    @Test(.timeLimit(.minutes(1))) func reportsPagesAndLoginsAnswer503SoonWhilePostgreSQLIsAway() async throws {
        try await withPostgresAway(answerBound: .seconds(1)) { store, logger in
            let app = try buildApplication(ServerConfig(), store: store, logger: logger)
            try await app.test(.router) { client in
                func timed(_ what: String, _ request: () async throws -> Reply) async throws -> Reply {
                    let start = ContinuousClock.now
                    let reply = try await request()
                    let took = ContinuousClock.now - start
                    #expect(reply.status == .serviceUnavailable, "\(what): \(reply.status) \(reply.text.prefix(300))")
                    #expect(reply.headers[.retryAfter] == StoreUnavailable.retryAfter, "\(what)")
                    #expect(took >= .seconds(1) && took < .seconds(5), "\(what) took \(took)")
                    return reply
                }
                let report = try await timed("report") {
                    try await client.send(.get, "/v1/reports/satisfaction?by=clerk&period=month", token: "hla_whatever")
                }
                #expect(report.json["error"] as? String == "unavailable", "\(report.text)")
                let login = try await timed("API sign-in") {
                    try await client.send(.post, "/v1/login", json: LoginBody(username: "ward", password: "password-ward"))
                }
                #expect((login.json["message"] as? String)?.contains("did not answer within 1000 ms") == true, "\(login.text)")
                for language in ["vi", "en"] {
                    let page = try await timed("dashboard (\(language))") {
                        try await client.web(.get, "/?lang=\(language)", WebSession(cookies: ["hl_session": "hls_" + String(repeating: "a", count: 64), "hl_lang": language], csrf: ""))
                    }
                    #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
                    let expected = language == "vi" ? "Cơ sở dữ liệu chưa trả lời" : "The database did not answer"
                    #expect(page.text.contains(expected), "\(page.text.prefix(600))")
                }
            }
        }
    }

    /// The watchdog's probe answers within its bound while PostgreSQL is away (unbounded, it hung
    /// and systemd restarted the replica), and says so once on the unit's status line.
    @Test(.timeLimit(.minutes(1))) func theWatchdogProbeAnswersSoonWhilePostgreSQLIsAway() async throws {
        try await withPostgresAway { store, logger in
            let lines = Mutex<[String]>([])
            let watch = DatabaseWatch(store: store, bound: .seconds(1), logger: logger) { line in lines.withLock { $0.append(line) } }
            for round in 1...3 {
                let start = ContinuousClock.now
                #expect(await watch.probe() == false)
                let took = ContinuousClock.now - start
                #expect(took >= .seconds(1) && took < .seconds(5), "round \(round) took \(took)")
            }
            let shown = lines.withLock { $0 }
            #expect(shown.count == 1 && shown.first?.hasPrefix("database unreachable, /healthz answers 503") == true, "\(shown)")

            // A database that answers: true, and nothing on the status line (it was never away).
            let sqlite = DatabaseWatch(store: try SQLiteStore(path: ":memory:"), logger: logger) { line in lines.withLock { $0.append(line) } }
            #expect(await sqlite.probe() == true)
            #expect(lines.withLock { $0.count } == 1)
        }
    }

    @Test func migrationStatementsSplitOutsideFunctionBodies() {
        let statements = PostgresMigrations.statements("""
            CREATE TABLE a (x INT);
            -- a comment;
            CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN UPDATE a SET x = 1; RETURN NULL; END $$;
            INSERT INTO a VALUES (1);
            """)
        #expect(statements.count == 3)
        #expect(statements[1].hasPrefix("CREATE FUNCTION") && statements[1].hasSuffix("END $$;"))
    }
}

@Suite(.enabled(if: StoreKind.postgresURL != nil, "needs HAILONG_TEST_POSTGRES_URL (scripts/test starts a cluster)"))
struct PostgresMigrationTests {
    private static func settings(database: String? = nil) throws -> PostgresSettings {
        var settings = try PostgresSettings.parse(url: StoreKind.postgresURL ?? "", password: nil, caFile: nil, poolSize: 4)
        if let database { settings.database = database }
        return settings
    }

    private static var quiet: Logger {
        var logger = Logger(label: "hailong.test.postgres")
        logger.logLevel = .error
        return logger
    }

    /// A new database, migrated, with unit hcm, its counter "Quầy 1" and an enrolled board
    /// (token hash "token").
    static func storeWithBoard() async throws -> (database: String, store: PostgresStore, board: BoardInfo) {
        let database = try await newDatabase()
        let store = try PostgresStore(settings: settings(database: database), runClient: true, logger: quiet)
        try await store.prepare(migrate: true, now: WallTime(microseconds: 1))
        _ = try await store.createUnit(NewUnit(code: "hcm", name: "TP. Hồ Chí Minh"))
        let counter = try await store.createCounter(unit: "hcm", name: "Quầy 1")
        _ = try await store.createBoard(unit: "hcm", counterId: counter.id, scale: .vn3, codeHash: "code", expiresAt: WallTime(microseconds: Int64.max / 2))
        return (database, store, try await store.enroll(codeHash: "code", tokenHash: "token", now: WallTime(microseconds: 1)))
    }

    /// `storeWithBoard`, and `count - 1` more boards of unit hcm, each on a counter of its own
    /// ("Quầy 2" …), enrolled in order.
    static func storeWithBoards(_ count: Int) async throws -> (database: String, store: PostgresStore, boards: [BoardInfo]) {
        let (database, store, first) = try await storeWithBoard()
        var boards = [first]
        for index in stride(from: 2, through: count, by: 1) {
            let counter = try await store.createCounter(unit: "hcm", name: "Quầy \(index)")
            _ = try await store.createBoard(
                unit: "hcm", counterId: counter.id, scale: .vn3, codeHash: "code\(index)", expiresAt: WallTime(microseconds: Int64.max / 2))
            boards.append(try await store.enroll(codeHash: "code\(index)", tokenHash: "token\(index)", now: WallTime(microseconds: 1)))
        }
        return (database, store, boards)
    }

    /// One batch of `events` (consecutive seqs), received on 2026-11-24.
    static func send(_ store: PostgresStore, _ board: BoardInfo, _ events: [WireEvent], aggregates: [DailyCount] = []) async throws -> IngestOutcome {
        let received = WallTime(rfc3339: "2026-11-24T00:00:00Z") ?? WallTime(microseconds: 0)
        let batch = IngestBatch(
            boardId: board.id, fromSeq: events.first?.seq ?? 1, toSeq: events.last?.seq ?? 0, events: events, aggregates: aggregates,
            status: BoardStatus(version: "1", backlog: 0, clockSynced: true, uptimeS: 1))
        return try await store.ingest(board: board, batch: batch, events: try batch.checked(scale: .vn3, receivedAt: received), receivedAt: received)
    }

    /// A new, empty database of the test cluster.
    static func newDatabase() async throws -> String {
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let admin = try PostgresStore(settings: settings(), runClient: true, logger: quiet)
        try await admin.client.query("CREATE DATABASE \(unescaped: name)")
        return name
    }

    @Test func replicasStartedTogetherMigrateOnce() async throws {
        let database = try await Self.newDatabase()
        let stores = try (0..<6).map { _ in try PostgresStore(settings: Self.settings(database: database), runClient: true, logger: Self.quiet) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for store in stores { group.addTask { try await store.prepare(migrate: true, now: WallTime(microseconds: 1)) } }
            try await group.waitForAll()
        }
        let applied = try await stores[0].client.query("SELECT count(*) FROM hailong_migrations").decode(Int64.self).first { _ in true }
        #expect(applied == Int64(PostgresMigrations.all.count))
        // Every replica serves the one database.
        _ = try await stores[1].createUnit(NewUnit(code: "root", name: "Cả nước"))
        #expect(try await stores[4].units().map(\.code) == ["root"])
    }

    @Test func aDatabaseNewerThanTheServerIsRefused() async throws {
        let database = try await Self.newDatabase()
        let store = try PostgresStore(settings: Self.settings(database: database), runClient: true, logger: Self.quiet)
        // Not migrated: a server that is not told to migrate says so.
        await #expect(throws: StorageOpenError.self) { try await store.prepare(migrate: false, now: WallTime(microseconds: 1)) }
        try await store.prepare(migrate: true, now: WallTime(microseconds: 1))
        try await store.prepare(migrate: false, now: WallTime(microseconds: 1))
        try await store.client.query("INSERT INTO hailong_migrations(name, applied_us) VALUES ('pg99-from-the-future', 1)")
        for migrate in [false, true] {
            do {
                try await store.prepare(migrate: migrate, now: WallTime(microseconds: 1))
                Issue.record("a newer schema was accepted")
            } catch {
                #expect("\(error)".contains("newer than this server knows (migrations pg99-from-the-future)"), "\(error)")
            }
        }
    }

    /// The backup `docs/production.md` prescribes, restored: `pg_dump -Fc`, `pg_restore` into a
    /// new database; the restored database is current for this server, gives the same reports
    /// and raw events, and takes the next batch where the old one stopped.
    @Test func aBackupRestoresToTheSameReports() async throws {
        let (database, store, board) = try await Self.storeWithBoard()
        func send(_ store: PostgresStore, _ seqs: ClosedRange<Int64>) async throws -> IngestOutcome {
            try await Self.send(store, board, seqs.map { rating($0, "2026-11-23T0\($0 % 10):00:00Z", level: 1 + Int($0 % 3), clerk: "Nguyễn Thị Ánh") })
        }
        _ = try await send(store, 1...20)
        let day = CivilDate.toDays(year: 2026, month: 11, day: 23)
        let counts = try await store.rangeCounts(unitIds: [board.unitId], fromDay: day, toDay: day, groupBy: .clerk)
        let events = try await store.events(board: board.id, after: 0, limit: 100)
        let settings = try Self.settings()
        let socket = try #require(settings.socketDirectory)
        let dump = FileManager.default.temporaryDirectory.appendingPathComponent("hailong-\(database).dump").path
        defer { try? FileManager.default.removeItem(atPath: dump) }
        let dumped = try spawnAndWait("/usr/lib/postgresql/15/bin/pg_dump", ["--format=custom", "--file=\(dump)", "-h", socket, "-U", settings.username, database])
        #expect(dumped.status == 0, "\(dumped.output)")
        let restoredName = try await Self.newDatabase()
        let restoring = try spawnAndWait(
            "/usr/lib/postgresql/15/bin/pg_restore", ["--dbname=\(restoredName)", "--no-owner", "-h", socket, "-U", settings.username, dump])
        #expect(restoring.status == 0, "\(restoring.output)")
        let restored = try PostgresStore(settings: Self.settings(database: restoredName), runClient: true, logger: Self.quiet)
        try await restored.prepare(migrate: false, now: WallTime(microseconds: 1))
        #expect(try await restored.rangeCounts(unitIds: [board.unitId], fromDay: day, toDay: day, groupBy: .clerk) == counts)
        #expect(try await restored.events(board: board.id, after: 0, limit: 100) == events)
        #expect(try await restored.board(tokenHash: "token")?.lastSeq == 20)
        #expect(try await send(restored, 21...25) == .stored(acknowledgedSeq: 25, newEvents: 5, mismatches: 0))
        #expect(try await send(restored, 1...20) == .stored(acknowledgedSeq: 25, newEvents: 0, mismatches: 0))
    }

    /// The steady state takes one statement; a replica that finds the board moved by another
    /// (its guess of the last seq stale) takes the full path, and nothing is stored twice or lost.
    @Test func aBatchIsOneStatementUntilAnotherReplicaMovesTheBoard() async throws {
        let (database, one, board) = try await Self.storeWithBoard()
        let two = try PostgresStore(settings: Self.settings(database: database), runClient: true, logger: Self.quiet)
        func send(_ store: PostgresStore, _ seqs: ClosedRange<Int64>, aggregates: [DailyCount] = []) async throws -> IngestOutcome {
            let events = seqs.map { rating($0, "2026-11-23T05:\(String(format: "%02d", $0)):00Z", level: 1 + Int($0 % 3), clerk: "NV01", dossier: "HS-\($0)") }
            return try await Self.send(store, board, events, aggregates: aggregates)
        }
        #expect(try await send(one, 1...3) == .stored(acknowledgedSeq: 3, newEvents: 3, mismatches: 0))
        #expect(try await send(one, 4...6) == .stored(acknowledgedSeq: 6, newEvents: 3, mismatches: 0))
        #expect(try await send(one, 7...7) == .stored(acknowledgedSeq: 7, newEvents: 1, mismatches: 0))
        #expect(one.oneStatementCounts.withLock { $0.stored } == 2)
        // The other replica stores 8…9 (its own first batch takes the full path).
        #expect(try await send(two, 8...9) == .stored(acknowledgedSeq: 9, newEvents: 2, mismatches: 0))
        // This one still believes 7: the function refuses, the full path stores 10 only.
        #expect(try await send(one, 8...10) == .stored(acknowledgedSeq: 10, newEvents: 1, mismatches: 0))
        #expect(one.oneStatementCounts.withLock { $0.fellBack } == 1)
        // A mismatch through the one statement raises its alert; agreeing again resolves it.
        let wrong = [DailyCount(day: "2026-11-23", clerk: "NV01", level: 1, count: 99)]
        #expect(try await send(one, 11...11, aggregates: wrong) == .stored(acknowledgedSeq: 11, newEvents: 1, mismatches: 1))
        #expect(try await one.alerts(units: ["hcm"]).count == 1)
        let stored = try await one.events(board: board.id, after: 0, limit: 100)
        #expect(stored.map(\.event.seq) == Array(1...11))
        #expect(stored.map(\.event.dossier) == (1...11).map { "HS-\($0)" })
        #expect(stored.allSatisfy { $0.event.monotonicNs == nil && $0.event.bootId == nil && $0.event.clerk == "NV01" })
        var want = TallyCounts()
        for seq in Int64(1)...11 { want.rate(1 + Int(seq % 3)) }
        let day = CivilDate.toDays(year: 2026, month: 11, day: 23)
        #expect(try await two.rangeCounts(unitIds: [board.unitId], fromDay: day, toDay: day, groupBy: .clerk) == [GroupCount(group: "NV01", scale: .vn3, counts: want)])
        #expect(one.oneStatementCounts.withLock { $0.stored } == 3)
    }

    /// The first batch of a day moves the horizon in a short transaction of its own and is then
    /// stored in one statement; what the lean function (pg4) leaves out in the usual batch — a
    /// filed time of its own, a reason, the flags — comes back as sent when a batch has them.
    @Test func aNewDayMovesTheHorizonAloneAndTheBatchStillGoesInOneStatement() async throws {
        let (database, one, board) = try await Self.storeWithBoard()
        let two = try PostgresStore(settings: Self.settings(database: database), runClient: true, logger: Self.quiet)
        let first = [rating(1, "2026-11-22T05:00:00Z", level: 3, clerk: "NV01", dossier: "HS-1")]
        #expect(try await Self.send(one, board, first) == .stored(acknowledgedSeq: 1, newEvents: 1, mismatches: 0))
        #expect(one.oneStatementCounts.withLock { $0.fellBack } == 0)
        // Next day (received 2026-11-24 00:00Z): an unsynced rating (filed by arrival, on the
        // 24th in Hà Nội time), a session closed unrated for a reason, with a monotonic reading of 0.
        var unsynced = rating(2, "2026-11-23T05:00:00Z", level: 1, clerk: "NV01", dossier: "HS-2")
        unsynced.clockSynced = false
        var closed = session(3, "2026-11-23T05:01:00Z", .unrated, dossier: "HS-2", clerk: "NV01")
        closed.monotonicNs = 0
        closed.bootId = "boot-1"
        #expect(try await Self.send(one, board, [unsynced, closed]) == .stored(acknowledgedSeq: 3, newEvents: 2, mismatches: 0))
        #expect(one.oneStatementCounts.withLock { $0.stored } == 1)
        #expect(one.oneStatementCounts.withLock { $0.fellBack } == 0)
        let horizon = try await one.client.query("SELECT day FROM running_horizon WHERE id = 1").decode(Int64?.self).first(where: { _ in true })
        let (d22, d23, d24) = (CivilDate.toDays(year: 2026, month: 11, day: 22), CivilDate.toDays(year: 2026, month: 11, day: 23), CivilDate.toDays(year: 2026, month: 11, day: 24))
        #expect(horizon == d24)
        let stored = try await two.events(board: board.id, after: 0, limit: 10)
        #expect(stored.map(\.event.seq) == [1, 2, 3])
        #expect(stored.map(\.filedByArrival) == [false, true, false])
        #expect(stored.map(\.event.clockSynced) == [true, false, true])
        #expect(stored[1].filedAt == "2026-11-24T00:00:00Z")
        #expect(stored[2].event.reason == .expired && stored[2].event.monotonicNs == 0 && stored[2].event.bootId == "boot-1")
        #expect(stored[1].event.monotonicNs == nil && stored[1].event.reason == nil)
        // The totals the other replica reads, day by day and over the three days.
        var day22 = TallyCounts(), day23 = TallyCounts(), day24 = TallyCounts()
        day22.rate(3)
        day23.close(rated: false)
        day24.rate(1)
        for (from, to, want) in [(d22, d22, day22), (d23, d23, day23), (d24, d24, day24), (d22, d24, day22 + day23 + day24)] {
            let got = try await two.rangeCounts(unitIds: [board.unitId], fromDay: from, toDay: to, groupBy: .clerk)
            #expect(got == [GroupCount(group: "NV01", scale: .vn3, counts: want)], "days \(from)…\(to)")
        }
    }

    /// Eight boards whose batches cross into a new day at once: one of them takes the exclusive
    /// lock to move the horizon, the others wait for that move, and every batch still goes in
    /// one statement.
    @Test func boardsCrossingADayTogetherMoveTheHorizonOnce() async throws {
        let (_, store, boards) = try await Self.storeWithBoards(8)
        let first = boards[0]
        for board in boards {
            _ = try await Self.send(store, board, [rating(1, "2026-11-22T05:00:00Z", level: 2, clerk: "NV01", dossier: "HS-1")])
        }
        let before = store.oneStatementCounts.withLock { $0 }
        let outcomes = try await withThrowingTaskGroup(of: IngestOutcome.self) { group in
            for board in boards {
                group.addTask { try await Self.send(store, board, [rating(2, "2026-11-23T05:00:00Z", level: 3, clerk: "NV01", dossier: "HS-2")]) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes == Array(repeating: .stored(acknowledgedSeq: 2, newEvents: 1, mismatches: 0), count: 8))
        let after = store.oneStatementCounts.withLock { $0 }
        #expect(after.horizonLocks - before.horizonLocks == 1)
        #expect(after.stored - before.stored == 8)
        #expect(after.fellBack == before.fellBack)
        var want = TallyCounts()
        for _ in boards { want.rate(2); want.rate(3) }
        let (d22, d23) = (CivilDate.toDays(year: 2026, month: 11, day: 22), CivilDate.toDays(year: 2026, month: 11, day: 23))
        #expect(try await store.rangeCounts(unitIds: [first.unitId], fromDay: d22, toDay: d23, groupBy: .unit).map(\.counts) == [want])
    }

    /// Boards of nine counters of one unit, through two replicas: the unit's hour rows and its
    /// own running totals are kept in eight stripes (migration pg4), and every report of the
    /// unit sums them, on either replica.
    @Test func aUnitsRowsAreStripedByCounterAndEveryReportSumsTheStripes() async throws {
        let (database, one, boards) = try await Self.storeWithBoards(9)
        let first = boards[0]
        let two = try PostgresStore(settings: Self.settings(database: database), runClient: true, logger: Self.quiet)
        #expect(Set(boards.map { PostgresStore.stripe($0) }).count == 8)
        var want = TallyCounts()
        for round in 0..<2 {
            for (index, board) in boards.enumerated() {
                let seqs = Int64(round * 3 + 1)...Int64(round * 3 + 3)
                let events = seqs.map { seq in
                    rating(seq, "2026-11-23T05:\(String(format: "%02d", seq + Int64(index))):00Z", level: 1 + Int((seq + Int64(index)) % 3),
                        clerk: "NV\(index)", dossier: "HS-\(index)-\(seq)")
                }
                for event in events { want.rate(event.level ?? 0) }
                let store = (index + round) % 2 == 0 ? one : two
                #expect(try await Self.send(store, board, events) == .stored(acknowledgedSeq: seqs.upperBound, newEvents: 3, mismatches: 0))
            }
        }
        let unit = first.unitId
        let stripes = try await one.client.query("SELECT count(DISTINCT stripe) FROM rollup_unit_hour WHERE unit_id = \(unit)")
            .decode(Int.self).first(where: { _ in true })
        #expect(stripes == 8)
        let series = try await one.client.query("SELECT count(*) FROM report_series WHERE kind = \(RunningKind.unit.rawValue) AND unit_id = \(unit)")
            .decode(Int.self).first(where: { _ in true })
        #expect(series == 8)
        let day = CivilDate.toDays(year: 2026, month: 11, day: 23)
        for store in [one, two] {
            #expect(try await store.rangeCounts(unitIds: [unit], fromDay: day, toDay: day, groupBy: .unit).map(\.counts) == [want])
            #expect(try await store.unitTotals(unitIds: [unit], atDays: [day]).map(\.counts) == [want])
            let hours = try await store.hourCounts(unitIds: [unit], fromHour: day * 24, toHour: day * 24 + 23)
            #expect(hours.reduce(TallyCounts()) { $0 + $1.counts } == want)
        }
    }

    /// The real binary on PostgreSQL: migrate, admin create, two replicas serving one database
    /// (started together, they migrate once), SIGTERM → clean exit.
    @Test func theServerBinaryServesPostgreSQLAsReplicas() async throws {
        let database = try await Self.newDatabase()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hailong-pgproc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let settings = try Self.settings(database: database)
        let url = "postgres://\(settings.username)@/\(database)?host=\(settings.socketDirectory ?? "/run/postgresql")"
        func config(port: Int) throws -> String {
            let path = directory.appendingPathComponent("server-\(port).yaml").path
            try "listen: \"127.0.0.1:\(port)\"\nstorage: {driver: postgres, url: \"\(url)\", pool_size: 4}\n".write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let ports = [Int.random(in: 20_000...40_000), Int.random(in: 40_001...60_000)]
        let configs = try ports.map(config)
        var servers: [Process] = []
        defer { for server in servers where server.isRunning { server.terminate() } }
        for path in configs {
            let server = Process()
            server.executableURL = try ProcessTests.binary()
            server.arguments = ["serve", "--config", path, "--log-level", "warning"]
            server.standardOutput = FileHandle.nullDevice
            server.standardError = FileHandle.nullDevice
            try server.run()
            servers.append(server)
        }
        for port in ports {
            let anonymous = HTTPEndpoint(baseURL: "http://127.0.0.1:\(port)", token: nil, timeout: .seconds(2))
            var healthy = false
            for _ in 0..<100 where !healthy {
                if let data = try? await anonymous.send(.GET, "/healthz"), String(decoding: data, as: UTF8.self).contains("ok") {
                    healthy = true
                } else {
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            #expect(healthy, "replica on \(port)")
        }
        let admin = try ProcessTests.run(["admin", "create", "--config", configs[0], "--username", "root", "--password", "root-password"])
        #expect(admin.status == 0, "\(admin.stderr)")
        let token = try #require(admin.stdout.split(separator: "\n").first { $0.hasPrefix("API token: ") }?.dropFirst("API token: ".count))
        // Made through one replica, read through the other.
        let first = ServerCommands(api: HTTPEndpoint(baseURL: "http://127.0.0.1:\(ports[0])", token: String(token)))
        let second = ServerCommands(api: HTTPEndpoint(baseURL: "http://127.0.0.1:\(ports[1])", token: String(token)))
        #expect(try await first.addUnit(code: "hcm", name: "TP. Hồ Chí Minh", parent: nil, timeZone: nil).contains("created unit hcm"))
        #expect(try await second.units().contains("TP. Hồ Chí Minh"))
        #expect(try ProcessTests.run(["migrate", "--config", configs[1]]).stdout.contains("up to date"))
        for server in servers {
            server.terminate()
            server.waitUntilExit()
            #expect(server.terminationStatus == 0)
        }
    }
}
