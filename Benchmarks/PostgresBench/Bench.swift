// PostgreSQL benchmark (issue 15). Prints, beside baselines run in the same invocation:
//
//   ingest    ingest throughput over loopback HTTP on the PostgreSQL store, batches of 500,
//             1 and 8 clients, against the same event rows inserted directly through PostgresNIO
//             in one transaction per batch (goal ≥ 0.8 of the baseline), and against every
//             row the server writes (events, rollups, running totals, the board's row) inserted
//             directly in one statement; beside them, where the difference goes: the store's ingest alone, a bare HTTP exchange of the same
//             bodies (Hummingbird collecting them, nothing else), the JSON decode and the check;
//   national  a nation's steady load: N boards (default 20,000) each sending a small batch
//             (1–3 events and its day's counts) every 10 s against one `hailong-server`
//             process on PostgreSQL, the load generator in this process; the rate held, the
//             acknowledgement latency p50/p99 and what each process cost in CPU. With
//             --rates a,b,… each rate is probed for --probe-seconds (60) in turn, and the
//             highest held at p99 < 100 ms is then run for --seconds (a lower one in turn
//             when it does not hold that long);
//   report    by=clerk p50/p99 over one year of 1,000 boards on both stores: the SQLite year
//             `hailong-bench-server --report-db PATH` generates, copied into PostgreSQL.
//
// Usage: hailong-bench-postgres --url postgres://… [ingest] [national [--boards N] [--rate R]
//   [--rates R1,R2,… [--probe-seconds P]] [--seconds S]] [report --report-db PATH] [--quick]
// (bench/postgres starts a throw-away cluster and passes --url.)
import AsyncHTTPClient
import Foundation
import HailongClient
import HailongDomain
import HailongServer
import Hummingbird
import Logging
import NIOCore
import PostgresNIO
import ServiceLifecycle
import Synchronization


@main
enum Bench {
    static let arguments = CommandLine.arguments
    static let quick = arguments.contains("--quick")
    static func option(_ name: String) -> String? {
        arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
    }
    static let clusterURL = option("--url") ?? ""
    static func say(_ text: String) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }
    static func load() -> String {
        (FileManager.default.contents(atPath: "/proc/loadavg").map { String(decoding: $0, as: UTF8.self) } ?? "?")
            .split(separator: " ").prefix(3).joined(separator: " ")
    }
    static func percentile(_ values: [Double], _ p: Double) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        return sorted[min(sorted.count - 1, max(0, Int((Double(sorted.count) * p).rounded(.up)) - 1))]
    }
    static func fmt(_ v: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", v) }
    static let quiet: Logger = {
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        return logger
    }()
    static func clusterSettings() throws -> PostgresSettings {
        try PostgresSettings.parse(url: clusterURL, password: nil, caFile: nil, poolSize: 16)
    }

    /// A new database on the cluster, and its settings.
    static func newDatabase(_ prefix: String, poolSize: Int = 16) async throws -> PostgresSettings {
        let name = "\(prefix)_\(UInt32.random(in: 0...UInt32.max))"
        let admin = try PostgresStore(settings: clusterSettings(), runClient: true, logger: quiet)
        await admin.started()
        try await admin.client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        var settings = try clusterSettings()
        settings.database = name
        settings.poolSize = poolSize
        return settings
    }

    /// Runs the server on a loopback port over `store` for the duration of `body`.
    static func withServer<T: Sendable>(store: any HailongStore, _ body: @escaping @Sendable (String) async throws -> T) async throws -> T {
        var config = ServerConfig()
        config.host = "127.0.0.1"
        config.port = 0
        config.minN = 20
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = try buildApplication(config, store: store, logger: quiet, onServerRunning: { port in continuation.yield(port) })
        return try await running(app, port: stream, body)
    }

    /// Runs `app` for the duration of `body`, which gets its base URL once `port` tells it.
    static func running<T: Sendable>(
        _ app: some Service, port: AsyncStream<Int>, _ body: @escaping @Sendable (String) async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            let serviceGroup = ServiceGroup(configuration: .init(services: [app], logger: quiet))
            group.addTask { try await serviceGroup.run() }
            var iterator = port.makeAsyncIterator()
            guard let port = await iterator.next() else { throw BenchError("server did not start") }
            let result = try await body("http://127.0.0.1:\(port)")
            await serviceGroup.triggerGracefulShutdown()
            try await group.waitForAll()
            return result
        }
    }

    /// Boards made and enrolled through the store: (board, token).
    static func makeBoards(_ store: PostgresStore, unit: String, count: Int, clerks: Int) async throws -> [(BoardInfo, String)] {
        try await withThrowingTaskGroup(of: [(BoardInfo, String)].self) { group in
            let lanes = 8
            for lane in 0..<lanes {
                group.addTask {
                    var made: [(BoardInfo, String)] = []
                    for index in stride(from: lane, to: count, by: lanes) {
                        let counter = try await store.createCounter(unit: unit, name: "Quầy \(index)")
                        let code = "code-\(unit)-\(index)", token = "hlb_bench_\(unit)_\(index)_\(UInt64.random(in: 0...UInt64.max))"
                        _ = try await store.createBoard(
                            unit: unit, counterId: counter.id, scale: .vn3, codeHash: TokenDigest.hex(code), expiresAt: .now() + .seconds(86_400))
                        made.append((try await store.enroll(codeHash: TokenDigest.hex(code), tokenHash: TokenDigest.hex(token), now: .now()), token))
                    }
                    if clerks > 0 {
                        try await store.upsertClerks(
                            made.flatMap { board in (0..<clerks).map { Clerk(code: "NV-\(board.0.id)-\($0)", name: "Nguyễn Văn \($0)", unit: unit) } })
                    }
                    return made
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
    }

    // MARK: - 1. Ingest throughput

    static let batchSize = 500
    static let batchesPerClient = quick ? 4 : 100

    /// A batch as the agent sends it: a rating and its session's close in turn, 30 s apart.
    static func events(board: Int, batch: Int) -> [WireEvent] {
        let bootId = "5f0c6e0a-8d1e-4b8e-9a57-\(String(format: "%012d", board))"
        let start = WallTime(rfc3339: "2026-03-02T01:00:00Z") ?? WallTime(microseconds: 0)
        return (0..<batchSize).map { i in
            let seq = Int64(batch * batchSize + i + 1)
            let offset = seq * 30_000_000 + (seq * 7_919) % 1_000_000
            let at = WallTime(microseconds: start.microseconds + offset).rfc3339
            let dossier = "000.30.25.H17-\(board)-\(seq / 2)"
            if i % 2 == 0 {
                return WireEvent(
                    seq: seq, kind: .rating, at: at, level: 1 + Int(seq % 3), binding: .dossier, dossier: dossier, clerk: "NV\(board)-1",
                    monotonicNs: 86_400_000_000_000 + offset * 1_000, bootId: bootId, clockSynced: true)
            }
            return WireEvent(
                seq: seq, kind: .session, at: at, dossier: dossier, clerk: "NV\(board)-1", outcome: .rated,
                monotonicNs: 86_400_000_000_000 + offset * 1_000, bootId: bootId, clockSynced: true)
        }
    }

    /// The baseline: one batch's event rows inserted directly, one statement in one transaction.
    static func insertDirectly(_ client: PostgresClient, board: String, _ batch: [WireEvent]) async throws {
        let at = batch.map { WallTime(rfc3339: $0.at)?.microseconds ?? 0 }
        try await client.withTransaction(logger: quiet) { connection in
            try await connection.query(
                """
                INSERT INTO events(board_id, seq, kind, at_us, filed_us, by_arrival, level, binding, dossier, clerk,
                    outcome, reason, monotonic_ns, boot_id, clock_synced, received_us)
                SELECT \(board), e.seq, e.kind, e.at, e.at, false, NULLIF(e.level, 0), NULLIF(e.binding, ''), e.dossier, e.clerk,
                    NULLIF(e.outcome, ''), NULL, e.monotonic, e.boot, true, e.at
                FROM unnest(\(batch.map(\.seq)), \(batch.map(\.kind.rawValue)), \(at), \(batch.map { $0.level ?? 0 }),
                    \(batch.map { $0.binding?.rawValue ?? "" }), \(batch.map { $0.dossier ?? "" }), \(batch.map { $0.clerk ?? "" }),
                    \(batch.map { $0.outcome?.rawValue ?? "" }), \(batch.map { $0.monotonicNs ?? 0 }), \(batch.map { $0.bootId ?? "" }))
                    AS e(seq, kind, at, level, binding, dossier, clerk, outcome, monotonic, boot)
                """, logger: quiet)
        }
    }

    /// Every row the server writes for a batch, worked out before any timing (the domain's
    /// `IngestPlan`, as the server does): the events, the day × clerk rollups, the unit's hours,
    /// the running totals of the batch's series from each one's first day in it to its last,
    /// and the board's row.
    struct SameRows: Sendable {
        var events: [WireEvent], at: [Int64], lastSeq: Int64
        var dayBucket: [Int64], dayClerk: [String], dayCounts: [Int64]
        var hourBucket: [Int64], hourCounts: [Int64]
        var runKind: [Int64], runDay: [Int64], runSeries: [Int64], runClerk: [String], runCounts: [Int64]
    }

    /// `batch`'s rows for `board`; its series ids are `firstSeries` (the unit's) and up.
    static func sameRows(board: BoardInfo, batch: IngestBatch, firstSeries: Int64) throws -> SameRows {
        let now = WallTime.now()
        let plan = IngestPlan(batch: batch, events: try batch.checked(scale: board.scale, receivedAt: now), receivedAt: now) { _ in 7 * 3600 }
        guard case .write(let writes) = plan.decide(lastSeq: batch.fromSeq - 1, revoked: false) else { throw BenchError("no rows to write") }
        func flat(_ counts: [TallyCounts]) -> [Int64] { counts.flatMap { row in (0..<7).map { row.lanes[$0] } } }
        // The unit's series (kind 0, no clerk) and one per clerk (kind 1), each day by day.
        var byKey: [String: [Int64: TallyCounts]] = [:]
        for item in writes.days where !item.counts.isZero {
            byKey["", default: [:]][item.day, default: TallyCounts()] += item.counts
            byKey["c" + item.clerk, default: [:]][item.day, default: TallyCounts()] += item.counts
        }
        var rows = SameRows(
            events: batch.events, at: batch.events.map { WallTime(rfc3339: $0.at)?.microseconds ?? 0 }, lastSeq: writes.acknowledgedSeq,
            dayBucket: writes.days.map(\.day), dayClerk: writes.days.map(\.clerk), dayCounts: flat(writes.days.map(\.counts)),
            hourBucket: writes.unitHours.map(\.hour), hourCounts: flat(writes.unitHours.map(\.counts)),
            runKind: [], runDay: [], runSeries: [], runClerk: [], runCounts: [])
        var running: [TallyCounts] = []
        for (index, key) in byKey.keys.sorted().enumerated() {
            guard let byDay = byKey[key], let first = byDay.keys.min(), let last = byDay.keys.max() else { continue }
            var total = TallyCounts()
            for day in first...last {
                if let counts = byDay[day] { total += counts }
                rows.runKind.append(key.isEmpty ? 0 : 1)
                rows.runDay.append(day)
                rows.runSeries.append(firstSeries + Int64(index))
                rows.runClerk.append(String(key.dropFirst()))
                running.append(total)
            }
        }
        rows.runCounts = flat(running)
        return rows
    }

    /// The second baseline: the same rows as the server writes, inserted directly in one
    /// statement (one round trip, its own transaction): the events, the rollups and running
    /// totals added to with `ON CONFLICT … DO UPDATE`, and the board's row. A unit's hour rows
    /// are striped by counter, as the server's are, so that boards of one unit do not queue on
    /// one row.
    static let countColumns = "level1, level2, level3, level4, level5, rated, unrated"

    static func insertSameRows(_ client: PostgresClient, board: BoardInfo, _ rows: SameRows) async throws {
        let batch = rows.events
        let adds = ["level1", "level2", "level3", "level4", "level5", "rated", "unrated"].map { "\($0) = r.\($0) + excluded.\($0)" }.joined(separator: ", ")
        func lanes(_ array: String, _ row: String) -> String { (0..<7).map { "\(array)[\(row) * 7 - \(6 - $0)]" }.joined(separator: ", ") }
        try await client.query(
            """
            WITH e AS (
                INSERT INTO events(board_id, seq, kind, at_us, filed_us, by_arrival, level, binding, dossier, clerk,
                    outcome, reason, monotonic_ns, boot_id, clock_synced, received_us)
                SELECT \(board.id), e.seq, e.kind, e.at, e.at, false, NULLIF(e.level, 0), NULLIF(e.binding, ''), e.dossier, e.clerk,
                    NULLIF(e.outcome, ''), NULL, e.monotonic, e.boot, true, e.at
                FROM unnest(\(batch.map(\.seq)), \(batch.map(\.kind.rawValue)), \(rows.at), \(batch.map { $0.level ?? 0 }),
                    \(batch.map { $0.binding?.rawValue ?? "" }), \(batch.map { $0.dossier ?? "" }), \(batch.map { $0.clerk ?? "" }),
                    \(batch.map { $0.outcome?.rawValue ?? "" }), \(batch.map { $0.monotonicNs ?? 0 }), \(batch.map { $0.bootId ?? "" }))
                    AS e(seq, kind, at, level, binding, dossier, clerk, outcome, monotonic, boot)),
            d AS (
                INSERT INTO rollup_day AS r(bucket, unit_id, counter_id, clerk, scale, \(unescaped: countColumns))
                SELECT d.bucket, \(board.unitId), \(board.counterId), d.clerk, \(board.scale.rawValue), \(unescaped: lanes("k.c", "d.i"))
                FROM unnest(\(rows.dayBucket), \(rows.dayClerk)) WITH ORDINALITY AS d(bucket, clerk, i), (SELECT \(rows.dayCounts)::BIGINT[] AS c) AS k
                ON CONFLICT (bucket, counter_id, clerk, scale) DO UPDATE SET \(unescaped: adds)),
            h AS (
                INSERT INTO rollup_unit_hour AS r(unit_id, bucket, scale, stripe, \(unescaped: countColumns))
                SELECT \(board.unitId), h.bucket, \(board.scale.rawValue), \(Int32(board.counterId % 8)), \(unescaped: lanes("k.c", "h.i"))
                FROM unnest(\(rows.hourBucket)) WITH ORDINALITY AS h(bucket, i), (SELECT \(rows.hourCounts)::BIGINT[] AS c) AS k
                ON CONFLICT (unit_id, bucket, scale, stripe) DO UPDATE SET \(unescaped: adds)),
            s AS (
                INSERT INTO running_day AS r(kind, unit_id, day, series_id, counter_id, clerk, scale, \(unescaped: countColumns))
                SELECT s.kind, \(board.unitId), s.day, s.series, \(board.counterId), s.clerk, \(board.scale.rawValue), \(unescaped: lanes("k.c", "s.i"))
                FROM unnest(\(rows.runKind), \(rows.runDay), \(rows.runSeries), \(rows.runClerk)) WITH ORDINALITY AS s(kind, day, series, clerk, i),
                    (SELECT \(rows.runCounts)::BIGINT[] AS c) AS k
                ON CONFLICT (kind, unit_id, day, series_id) DO UPDATE SET \(unescaped: adds))
            UPDATE boards SET last_seq = \(rows.lastSeq), last_seen_us = \(rows.at.last ?? 0) WHERE id = \(board.id)
            """, logger: quiet)
    }

    /// Runs a bare Hummingbird server on a loopback port for the duration of `body`: `POST /echo`
    /// collects the body and answers a small JSON, nothing else (what HTTP alone costs a batch).
    static func withEcho<T: Sendable>(_ body: @escaping @Sendable (String) async throws -> T) async throws -> T {
        let router = Router()
        router.post("/echo") { request, _ -> Response in
            let bytes = try await request.body.collect(upTo: 4 << 20)
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: "{\"acknowledgedSeq\":\(bytes.readableBytes)}")))
        }
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }, logger: quiet)
        return try await running(app, port: stream, body)
    }

    /// What one round measured: events/s of each path, and per batch the JSON decode and the
    /// check timed alone and the bare HTTP exchange of the same body (ms).
    struct IngestRound {
        var server: Double, baseline: Double, sameRows: Double, store: Double, http: Double
        var decodeMs: Double, checkMs: Double
    }

    /// One round: the server over HTTP (one board per client), the baseline, the store alone and
    /// a bare HTTP exchange take turns in ten chunks, so a machine that speeds up or slows down
    /// weighs on all alike.
    static func ingestRound(clients: Int) async throws -> IngestRound {
        let chunks = quick ? 1 : 10
        let perChunk = batchesPerClient / chunks
        let baselineSettings = try await newDatabase("bench_baseline")
        let baselineStore = try PostgresStore(settings: baselineSettings, runClient: true, logger: quiet)
        try await baselineStore.prepare(migrate: true, now: .now())
        _ = try await baselineStore.createUnit(NewUnit(code: "hcm", name: "x"))
        let direct = try await makeBoards(baselineStore, unit: "hcm", count: clients, clerks: 0).map(\.0.id)
        let settings = try await newDatabase("bench_ingest")
        let store = try PostgresStore(settings: settings, runClient: true, logger: quiet)
        try await store.prepare(migrate: true, now: .now())
        _ = try await store.createUnit(NewUnit(code: "hcm", name: "TP. Hồ Chí Minh"))
        let boards = try await makeBoards(store, unit: "hcm", count: clients, clerks: 0)
        let bodies: [[Data]] = try boards.enumerated().map { c, board in
            try (0..<batchesPerClient).map { b in
                let evs = events(board: c, batch: b)
                return try JSONEncoder().encode(
                    IngestBatch(
                        boardId: board.0.id, fromSeq: evs[0].seq, toSeq: evs[evs.count - 1].seq, events: evs,
                        status: .init(version: "bench", backlog: 0, clockSynced: true, uptimeS: 1)))
            }
        }
        let directEvents = (0..<clients).map { c in (0..<batchesPerClient).map { events(board: c, batch: $0) } }
        // The second baseline's database, boards and rows.
        let sameStore = try PostgresStore(settings: try await newDatabase("bench_same"), runClient: true, logger: quiet)
        try await sameStore.prepare(migrate: true, now: .now())
        _ = try await sameStore.createUnit(NewUnit(code: "hcm", name: "TP. Hồ Chí Minh"))
        let sameBoards = try await makeBoards(sameStore, unit: "hcm", count: clients, clerks: 0).map(\.0)
        let sameRows: [[SameRows]] = try sameBoards.enumerated().map { c, board in
            try bodies[c].map { body in
                var batch = try IngestBody.decode(Array(body))
                batch.boardId = board.id
                return try Self.sameRows(board: board, batch: batch, firstSeries: Int64(c) * 1_000 + 1)
            }
        }
        // Where the difference goes: the same batches through the store's ingest directly (no
        // HTTP, no JSON), and the JSON decode and check alone.
        let storeOnly = try PostgresStore(settings: try await newDatabase("bench_store"), runClient: true, logger: quiet)
        try await storeOnly.prepare(migrate: true, now: .now())
        _ = try await storeOnly.createUnit(NewUnit(code: "hcm", name: "TP. Hồ Chí Minh"))
        let storeBoards = try await makeBoards(storeOnly, unit: "hcm", count: clients, clerks: 0).map(\.0)
        let storeBatches: [[IngestBatch]] = try storeBoards.indices.map { c in
            try bodies[c].map { body in
                var batch = try IngestBody.decode(Array(body))
                batch.boardId = storeBoards[c].id
                return batch
            }
        }
        // The JSON decode and the check, each timed alone over client 0's bodies.
        var decoded: [IngestBatch] = []
        let decodeStart = ContinuousClock.now
        for body in bodies[0] { decoded.append(try IngestBody.decode(Array(body))) }
        let decodeTime = (ContinuousClock.now - decodeStart).seconds
        let checkStart = ContinuousClock.now
        for batch in decoded { _ = try batch.checked(scale: .vn3, receivedAt: .now()) }
        let checkTime = (ContinuousClock.now - checkStart).seconds
        return try await withServer(store: store) { base in try await withEcho { echo in
            var serverTime = 0.0, baselineTime = 0.0, sameTime = 0.0, storeTime = 0.0, httpTime = 0.0
            for chunk in 0..<chunks {
                let range = (chunk * perChunk)..<((chunk + 1) * perChunk)
                baselineTime += try await timed(clients: clients, range) { c, b in
                    try await insertDirectly(baselineStore.client, board: direct[c], directEvents[c][b])
                }
                sameTime += try await timed(clients: clients, range) { c, b in
                    try await insertSameRows(sameStore.client, board: sameBoards[c], sameRows[c][b])
                }
                serverTime += try await timed(clients: clients, range) { c, b in
                    var request = HTTPClientRequest(url: base + "/v1/ingest")
                    request.method = .POST
                    request.headers.add(name: "Authorization", value: "Bearer \(boards[c].1)")
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.body = .bytes(ByteBuffer(data: bodies[c][b]))
                    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
                    _ = try await response.body.collect(upTo: 1 << 20)
                    guard response.status == .ok else { throw BenchError("ingest: \(response.status)") }
                }
                storeTime += try await timed(clients: clients, range) { c, b in
                    let batch = storeBatches[c][b], now = WallTime.now()
                    let events = try batch.checked(scale: storeBoards[c].scale, receivedAt: now)
                    guard case .stored = try await storeOnly.ingest(board: storeBoards[c], batch: batch, events: events, receivedAt: now)
                    else { throw BenchError("store ingest refused") }
                }
                httpTime += try await timed(clients: clients, range) { c, b in
                    var request = HTTPClientRequest(url: echo + "/echo")
                    request.method = .POST
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.body = .bytes(ByteBuffer(data: bodies[c][b]))
                    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
                    _ = try await response.body.collect(upTo: 1 << 20)
                    guard response.status == .ok else { throw BenchError("echo: \(response.status)") }
                }
            }
            let total = Double(clients * chunks * perChunk * batchSize)
            return IngestRound(
                server: total / serverTime, baseline: total / baselineTime, sameRows: total / sameTime, store: total / storeTime,
                http: total / httpTime,
                decodeMs: decodeTime * 1000 / Double(bodies[0].count), checkMs: checkTime * 1000 / Double(bodies[0].count))
        } }
    }

    /// Seconds for `clients` tasks at once, each doing `batch(client, b)` for every b in `range`.
    static func timed(clients: Int, _ range: Range<Int>, _ batch: @escaping @Sendable (Int, Int) async throws -> Void) async throws -> Double {
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for c in 0..<clients {
                group.addTask { for b in range { try await batch(c, b) } }
            }
            try await group.waitForAll()
        }
        return (ContinuousClock.now - start).seconds
    }

    // MARK: - 2. A nation's steady load

    /// CPU seconds (user + system) of a process, and of every process whose command starts with
    /// `postgres` (the cluster's server and backends).
    static func cpuSeconds(pid: Int32) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the command: state is field 3, utime 14 and stime 15 (1-based in proc(5)).
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Seconds of CPU the hypervisor gave to others while this VM wanted it (`steal` in
    /// /proc/stat, over all cores): a shared host shows here, not in the processes' own times.
    static func stolenSeconds() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") })
        else { return 0 }
        let fields = line.split(separator: " ")
        guard fields.count > 8, let steal = Double(fields[8]) else { return 0 }
        return steal / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    static func postgresCPU() -> Double {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap(Int32.init) ?? []
        return pids.reduce(0) { sum, pid in
            let command = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) ?? ""
            return command.hasPrefix("postgres") ? sum + cpuSeconds(pid: pid) : sum
        }
    }

    static func national() async throws {
        let boardCount = Int(option("--boards") ?? "") ?? (quick ? 500 : 20_000)
        let rate = Double(option("--rate") ?? "") ?? Double(boardCount) / 10
        let duration = Double(option("--seconds") ?? "") ?? (quick ? 20 : 180)
        let period = Double(boardCount) / rate
        let settings = try await newDatabase("bench_national", poolSize: 16)
        let store = try PostgresStore(settings: settings, runClient: true, logger: quiet)
        try await store.prepare(migrate: true, now: .now())
        // The country: 34 provinces, communes of 6 boards each.
        let setupStart = ContinuousClock.now
        _ = try await store.createUnit(NewUnit(code: "vn", name: "Việt Nam"))
        let communes = (boardCount + 5) / 6
        for p in 0..<34 { _ = try await store.createUnit(NewUnit(code: "t\(p)", name: "Tỉnh \(p)", parent: "vn")) }
        var boards: [LoadBoard] = []
        for c in 0..<communes {
            let code = "x\(c)"
            _ = try await store.createUnit(NewUnit(code: code, name: "Xã \(c)", parent: "t\(c % 34)"))
        }
        try await withThrowingTaskGroup(of: [LoadBoard].self) { group in
            for lane in 0..<8 {
                group.addTask {
                    var made: [LoadBoard] = []
                    for c in stride(from: lane, to: communes, by: 8) {
                        let count = min(6, boardCount - c * 6)
                        guard count > 0 else { continue }
                        for (board, token) in try await makeBoards(store, unit: "x\(c)", count: count, clerks: 1) {
                            made.append(LoadBoard(id: board.id, token: token, clerk: "NV-\(board.id)-0"))
                        }
                    }
                    return made
                }
            }
            for try await made in group { boards += made }
        }
        say("\n== A nation's steady load: \(boards.count) boards in \(communes) communes, each a batch of 1–3 events and its counts every \(fmt(period, 1)) s (\(fmt(rate, 0)) requests/s) for \(fmt(duration, 0)) s, one hailong-server process on PostgreSQL (pool 16), the load generator in this process (set-up \(fmt((ContinuousClock.now - setupStart).seconds, 0)) s) ==")

        // The real server binary beside this one.
        let directory = NSTemporaryDirectory() + "hailong-national-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = Int.random(in: 20_000...60_000)
        let url = "postgres://\(settings.username)@/\(settings.database)?host=\(settings.socketDirectory ?? "/run/postgresql")"
        try "listen: \"127.0.0.1:\(port)\"\nstorage: {driver: postgres, url: \"\(url)\", pool_size: 16}\n"
            .write(toFile: directory + "/server.yaml", atomically: true, encoding: .utf8)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("hailong-server")
        server.arguments = ["serve", "--config", directory + "/server.yaml", "--log-level", "error"]
        server.standardOutput = FileHandle.nullDevice
        try server.run()
        defer { if server.isRunning { server.terminate() } }
        let base = "http://127.0.0.1:\(port)"
        var up = false
        for _ in 0..<100 where !up {
            if let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: base + "/healthz"), timeout: .seconds(1)), response.status == .ok {
                up = true
            } else {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        guard up else { throw BenchError("hailong-server did not come up") }

        var configuration = HTTPClient.Configuration()
        // Idle connections closed before the server would (its head timeout, 10 s), as the
        // agent's uplink does: otherwise a request now and then goes into a connection the
        // server is closing and fails (24 of 126,000 at 700/s).
        configuration.connectionPool = .init(idleTimeout: .seconds(5), concurrentHTTP1ConnectionsPerHostSoftLimit: 256)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        // Warm-up, not measured: every board's first batch (it makes the board's running-total
        // series, once in a board's life), 64 at a time.
        let warmStart = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, board) in boards.enumerated() {
                if index >= 64 { try await group.next() }
                let sent = try board.nextRequest(base: base, levels: [3])
                group.addTask {
                    let response = try await client.execute(sent, timeout: .seconds(60))
                    _ = try await response.body.collect(upTo: 1 << 16)
                    guard response.status == .ok else { throw BenchError("warm-up ingest: \(response.status)") }
                }
            }
            try await group.waitForAll()
        }
        say("warm-up: every board's first batch (its series made) in \(fmt((ContinuousClock.now - warmStart).seconds, 0)) s, not measured")
        // One rate (--rate), or a sweep (--rates a,b,…): each rate probed for --probe-seconds,
        // then the highest whose p99 stayed under 100 ms with nothing failed, held for --seconds.
        let sweep = (option("--rates") ?? "").split(separator: ",").compactMap { Double($0) }
        if sweep.isEmpty {
            _ = try await runLoad(boards: boards, client: client, base: base, server: server.processIdentifier, rate: rate, duration: duration, database: store)
        } else {
            let probe = Double(option("--probe-seconds") ?? "") ?? 60
            var held: [Double] = []
            for probed in sweep.sorted() {
                let result = try await runLoad(boards: boards, client: client, base: base, server: server.processIdentifier, rate: probed, duration: probe, database: store)
                guard result.held else { break }
                held.append(probed)
            }
            // The highest probed rate that held, for the whole run; a lower one when it does not
            // hold that long (the tables grow and a checkpoint falls inside a longer run).
            var confirmed: Double?
            for candidate in held.reversed() where confirmed == nil {
                say("\nheld at p99 < 100 ms for \(fmt(probe, 0)) s: \(fmt(candidate, 0)) requests/s; now for \(fmt(duration, 0)) s:")
                let result = try await runLoad(boards: boards, client: client, base: base, server: server.processIdentifier, rate: candidate, duration: duration, database: store)
                if result.held { confirmed = candidate } else { say("not held for \(fmt(duration, 0)) s at \(fmt(candidate, 0)) requests/s") }
            }
            if let confirmed {
                say("highest rate held for \(fmt(duration, 0)) s with p99 under 100 ms: \(fmt(confirmed, 0)) requests/s")
            } else {
                say("no probed rate held at p99 < 100 ms for \(fmt(duration, 0)) s")
            }
        }
        // Nothing acknowledged is lost: the server holds every event of every acknowledged batch.
        let stored = try await store.client.query("SELECT count(*) FROM events").decode(Int64.self).first { _ in true } ?? 0
        say("events stored \(stored) (every acknowledged batch's, and those of batches that timed out on the client but committed)")
        server.terminate()
        server.waitUntilExit()
        try await client.shutdown()
    }


    struct LoadResult { var held: Bool }

    /// An open-loop load at `rate` requests/s for `duration` s over `boards` in turn; prints what
    /// was asked and acknowledged, the latency from when each request was due, and the CPU cost.
    static func runLoad(
        boards: [LoadBoard], client: HTTPClient, base: String, server: Int32, rate: Double, duration: Double, database: PostgresStore
    ) async throws -> LoadResult {
        func checkpoints() async throws -> Int64 {
            try await database.client.query("SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter").decode(Int64.self).first { _ in true } ?? 0
        }
        let checkpointsBefore = try await checkpoints()
        say("\n-- \(fmt(rate, 0)) requests/s for \(fmt(duration, 0)) s (each board every \(fmt(Double(boards.count) / rate, 1)) s), load average \(load())")
        let stats = LoadStats()
        let maxInFlight = 2_000
        let selfStart = cpuSeconds(pid: getpid()), serverStart = cpuSeconds(pid: server), pgStart = postgresCPU(), stealStart = stolenSeconds()
        let start = ContinuousClock.now
        let interval = 1.0 / rate
        let total = Int(duration * rate)
        try await withThrowingDiscardingTaskGroup { group in
            var random = SystemRandomNumberGenerator()
            for n in 0..<total {
                // Open loop: request n is due at n × interval, whatever the answers before it; its
                // latency counts from when it was due (a late generator or a slow server shows).
                let due = start + .nanoseconds(Int64(Double(n) * interval * 1e9))
                if due > .now { try await Task.sleep(until: due, clock: .continuous) }
                let admitted = stats.inFlight.withLock { count -> Bool in
                    guard count < maxInFlight else { return false }
                    count += 1
                    return true
                }
                guard admitted else {
                    stats.skipped.withLock { $0 += 1 }
                    continue
                }
                let board = boards[n % boards.count]
                let levels = (0..<(Int(random.next() % 3) + 1)).map { _ in Int(random.next() % 3) + 1 }
                let sent = try board.nextRequest(base: base, levels: levels)
                group.addTask {
                    defer { stats.inFlight.withLock { $0 -= 1 } }
                    do {
                        let response = try await client.execute(sent, timeout: .seconds(30))
                        _ = try await response.body.collect(upTo: 1 << 16)
                        if response.status == .ok {
                            let ms = (ContinuousClock.now - due).seconds * 1000
                            stats.latencies.withLock { $0.append(ms) }
                        } else {
                            stats.failed("HTTP \(response.status.code)")
                        }
                    } catch {
                        stats.failed(String(describing: error))
                    }
                }
            }
        }
        let elapsed = (ContinuousClock.now - start).seconds
        let selfCPU = cpuSeconds(pid: getpid()) - selfStart
        let serverCPU = cpuSeconds(pid: server) - serverStart
        let pgCPU = postgresCPU() - pgStart
        let stolen = stolenSeconds() - stealStart
        let done = stats.latencies.withLock { $0 }
        let failed = stats.failures.withLock { $0 }, dropped = stats.skipped.withLock { $0 }
        say("asked \(total) requests at \(fmt(rate, 0))/s; acknowledged \(done.count) in \(fmt(elapsed, 1)) s = \(fmt(Double(done.count) / elapsed, 0)) requests/s; failed \(failed), not sent (over \(maxInFlight) in flight) \(dropped)")
        say("acknowledgement latency from when each request was due: p50 \(fmt(percentile(done, 0.5))) ms, p90 \(fmt(percentile(done, 0.9))) ms, p99 \(fmt(percentile(done, 0.99))) ms, max \(fmt(done.max() ?? .nan)) ms (goal p99 < 100 ms)")
        say("CPU over the run (of \(ProcessInfo.processInfo.activeProcessorCount) cores × \(fmt(elapsed, 0)) s = \(fmt(Double(ProcessInfo.processInfo.activeProcessorCount) * elapsed, 0)) core-s): hailong-server \(fmt(serverCPU, 0)) s, PostgreSQL \(fmt(pgCPU, 0)) s, load generator \(fmt(selfCPU, 0)) s; per request: server \(fmt(serverCPU / Double(max(1, done.count)) * 1e6, 0)) µs, PostgreSQL \(fmt(pgCPU / Double(max(1, done.count)) * 1e6, 0)) µs, generator \(fmt(selfCPU / Double(max(1, done.count)) * 1e6, 0)) µs; taken by the host (steal) \(fmt(stolen, 0)) core-s")
        say("PostgreSQL checkpoints during the run: \(try await checkpoints() - checkpointsBefore)")
        for (reason, count) in stats.reasons.withLock({ $0 }).sorted(by: { $0.value > $1.value }).prefix(5) {
            say("failed: \(count) × \(reason)")
        }
        let p99 = percentile(done, 0.99)
        return LoadResult(held: failed == 0 && dropped == 0 && done.count == total && p99 < 100)
    }

    // MARK: - 3. Reports over a year on both stores

    /// Copies a table of the SQLite year into PostgreSQL through CSV (sqlite3 → psql \copy).
    static func copyTable(_ table: String, columns: String, from sqlite: String, to settings: PostgresSettings) throws {
        let csv = NSTemporaryDirectory() + "hailong-\(table)-\(UInt32.random(in: 0...UInt32.max)).csv"
        defer { try? FileManager.default.removeItem(atPath: csv) }
        let export = Process()
        export.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        export.arguments = ["-csv", sqlite, "SELECT \(columns) FROM \(table)"]
        FileManager.default.createFile(atPath: csv, contents: nil)
        export.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: csv))
        try export.run()
        export.waitUntilExit()
        guard export.terminationStatus == 0 else { throw BenchError("sqlite3 export of \(table)") }
        let copy = Process()
        copy.executableURL = URL(fileURLWithPath: "/usr/lib/postgresql/15/bin/psql")
        copy.arguments = [
            "-h", settings.socketDirectory ?? "/run/postgresql", "-U", settings.username, "-d", settings.database, "-q", "-v", "ON_ERROR_STOP=1",
            "-c", "\\copy \(table)(\(columns)) FROM '\(csv)' CSV",
        ]
        try copy.run()
        copy.waitUntilExit()
        guard copy.terminationStatus == 0 else { throw BenchError("psql copy of \(table)") }
    }

    static func reports() async throws {
        guard let sqlitePath = option("--report-db"), FileManager.default.fileExists(atPath: sqlitePath) else {
            throw BenchError("report needs --report-db PATH: the year hailong-bench-server --report-db PATH generated")
        }
        let sqlite = try SQLiteStore(path: sqlitePath)
        let settings = try await newDatabase("bench_report")
        let postgres = try PostgresStore(settings: settings, runClient: true, logger: quiet)
        try await postgres.prepare(migrate: true, now: .now())
        let copyStart = ContinuousClock.now
        let counts = "level1, level2, level3, level4, level5, rated, unrated"
        for (table, columns) in [
            ("units", "id, code, name, parent_id, time_zone"), ("counters", "id, unit_id, name"), ("clerks", "code, name, unit_id"),
            ("boards", "id, unit_id, counter_id, scale, last_seq"), ("report_series", "id, kind, unit_id, counter_id, clerk, scale, first_day"),
            ("running_day", "kind, unit_id, day, series_id, counter_id, clerk, scale, \(counts)"),
            ("rollup_unit_hour", "unit_id, bucket, scale, \(counts)"),
        ] {
            try copyTable(table, columns: columns, from: sqlitePath, to: settings)
        }
        try await postgres.client.query(
            "UPDATE running_horizon SET day = (SELECT max(day) FROM running_day) WHERE id = 1", logger: quiet)
        try await postgres.client.query("ANALYZE", logger: quiet)
        let rows = try await postgres.client.query("SELECT count(*) FROM running_day").decode(Int64.self).first { _ in true } ?? 0
        say("\n== Report by=clerk over 2026 on both stores (the SQLite year copied into PostgreSQL in \(fmt((ContinuousClock.now - copyStart).seconds, 0)) s: \(rows) running-total rows; goal PostgreSQL p99 < 50 ms) ==")
        let admins = try await [sqlite as any HailongStore, postgres].asyncMap { store in
            try await createAccount(
                store: store, username: "bench-\(UInt32.random(in: 0...UInt32.max))", password: "bench-password", role: .admin, unit: nil, bcryptCost: 4,
                now: .now()
            ).1
        }
        let count = quick ? 20 : 200
        let ranges = [("2026-01-01", "2026-12-31", "the year"), ("2026-03-02", "2026-03-17", "two weeks in March")]
        try await withServer(store: sqlite) { sqliteBase in
            try await withServer(store: postgres) { pgBase in
                for (from, to, name) in ranges {
                    let path = "/v1/reports/satisfaction?unit=hcm&by=clerk&from=\(from)&to=\(to)"
                    var times: [[Double]] = [[], []]
                    var totals: [[String: Int64]] = [[:], [:]]
                    for chunk in 0..<(count / 10) {
                        for (side, base) in [sqliteBase, pgBase].enumerated() {
                            let endpoint = HTTPEndpoint(baseURL: base, token: admins[side])
                            for i in 0..<10 {
                                let start = ContinuousClock.now
                                let body = try await endpoint.send(.GET, path)
                                times[side].append((ContinuousClock.now - start).seconds * 1000)
                                if chunk == 0, i == 0 {
                                    for row in try JSONDecoder().decode(Report.self, from: body).rows { totals[side][row.key] = row.total }
                                }
                            }
                        }
                    }
                    guard totals[0] == totals[1], !totals[0].isEmpty else { throw BenchError("the stores disagree on \(name)") }
                    say("\(name) (\(totals[0].count) clerks): SQLite p50 \(fmt(percentile(times[0], 0.5))) ms, p99 \(fmt(percentile(times[0], 0.99))) ms; PostgreSQL p50 \(fmt(percentile(times[1], 0.5))) ms, p99 \(fmt(percentile(times[1], 0.99))) ms; PostgreSQL/SQLite p50 \(fmt(percentile(times[1], 0.5) / percentile(times[0], 0.5), 2)) (same answers)")
                }
            }
        }
    }

    /// A failed set-up or run (the cluster gone, a refused statement) is one line saying what
    /// failed, not a crash report from the top level.
    static func main() async {
        do { try await run() } catch {
            FileHandle.standardError.write(Data("hailong-bench-postgres: failed: \(String(reflecting: error))\n".utf8))
            exit(1)
        }
    }

    static func run() async throws {
        guard !clusterURL.isEmpty else {
            FileHandle.standardError.write(Data("usage: hailong-bench-postgres --url postgres://USER@/DB?host=DIR [ingest] [national] [report --report-db PATH]\n".utf8))
            exit(2)
        }
        say("cores \(ProcessInfo.processInfo.activeProcessorCount), load average \(load()), PostgreSQL at \(try clusterSettings().redacted)")
        if arguments.contains("ingest") {
            say("\n== Ingest on PostgreSQL (batches of \(batchSize), \(batchesPerClient) per client; baseline: the same rows through PostgresNIO, one transaction per batch; goal ≥ 0.8) ==")
            for clients in [1, 8] {
                var ratios: [Double] = [], sameRatios: [Double] = []
                for round in 1...(quick ? 1 : 3) {
                    let r = try await ingestRound(clients: clients)
                    ratios.append(r.server / r.baseline)
                    sameRatios.append(r.server / r.sameRows)
                    // Per batch as one client sees it (with several, the time per batch of each).
                    func ms(_ eventsPerSecond: Double) -> String { fmt(Double(batchSize * clients) / eventsPerSecond * 1000, 2) }
                    say(
                        "\(clients) client(s), round \(round): server \(fmt(r.server, 0)) events/s over HTTP; baseline \(fmt(r.baseline, 0)) events/s; ratio \(fmt(r.server / r.baseline, 2))"
                            + " | baseline with every row the server writes (events, rollups, running totals, board; one statement) \(fmt(r.sameRows, 0)) events/s;"
                            + " ratio \(fmt(r.server / r.sameRows, 2))"
                            + " | the store alone (no HTTP, no JSON) \(fmt(r.store, 0)) events/s, \(fmt(r.store / r.baseline, 2)) of the baseline"
                            + " | per batch: server \(ms(r.server)) ms, store alone \(ms(r.store)) ms, baseline \(ms(r.baseline)) ms,"
                            + " with every row \(ms(r.sameRows)) ms; a bare HTTP exchange of the same body \(ms(r.http)) ms,"
                            + " the JSON decode \(fmt(r.decodeMs, 2)) ms and the check \(fmt(r.checkMs, 2)) ms timed alone")
                }
                say(
                    "\(clients) client(s): median ratio \(fmt(ratios.sorted()[ratios.count / 2], 2)) against the event rows,"
                        + " \(fmt(sameRatios.sorted()[sameRatios.count / 2], 2)) against every row the server writes")
            }
        }
        if arguments.contains("national") { try await national() }
        if arguments.contains("report") { try await reports() }
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// What the load's requests report, shared by their tasks.
final class LoadStats: Sendable {
    let latencies = Mutex<[Double]>([])
    let failures = Mutex<Int>(0)
    /// Why requests failed: an HTTP status, or the error's type and text.
    let reasons = Mutex<[String: Int]>([:])
    func failed(_ reason: String) {
        failures.withLock { $0 += 1 }
        reasons.withLock { $0[reason, default: 0] += 1 }
    }
    let inFlight = Mutex<Int>(0)
    let skipped = Mutex<Int>(0)
}

/// One board of the load: its token, clerk, next seq and its day's counts so far.
final class LoadBoard: @unchecked Sendable {
    let id: String
    let token: String
    let clerk: String
    var seq: Int64 = 0
    var counts: [Int: Int64] = [:]
    init(id: String, token: String, clerk: String) {
        self.id = id
        self.token = token
        self.clerk = clerk
    }

    /// The board's next batch, one rating per level given, now, with its day's counts.
    func nextRequest(base: String, levels: [Int]) throws -> HTTPClientRequest {
        let now = WallTime.now()
        let day = DailyCount.day(of: now)
        var wire: [WireEvent] = []
        for level in levels {
            seq += 1
            counts[level, default: 0] += 1
            wire.append(WireEvent(seq: seq, kind: .rating, at: now.rfc3339, level: level, binding: .clerk, clerk: clerk, clockSynced: true))
        }
        let aggregates = counts.sorted { $0.key < $1.key }.map { DailyCount(day: day, clerk: clerk, level: $0.key, count: $0.value) }
        let batch = IngestBatch(
            boardId: id, fromSeq: seq - Int64(levels.count) + 1, toSeq: seq, events: wire, aggregates: aggregates,
            status: BoardStatus(version: "bench", backlog: Int64(levels.count), clockSynced: true, uptimeS: 60))
        var request = HTTPClientRequest(url: base + "/v1/ingest")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(data: try JSONEncoder().encode(batch)))
        return request
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}

