// Server benchmark (issue 4). Prints, in one run:
//  1. ingest throughput over loopback HTTP (batches of 500; 1 client, then 8 concurrent clients,
//     one board each) beside a baseline: the same event rows inserted directly through GRDB,
//     one transaction per batch;
//  2. report latency p50/p99 for by=clerk over one year of 1,000 boards (≥ 20 M events, rolled
//     up) through the real endpoint, beside the same numbers computed with GROUP BY over the raw
//     events.
// Usage: hailong-bench-server [--quick] [--dir DIR] [--ingest-only | --report-only | --dashboard | --profile-ingest | --profile-report N]
//   [--report-db PATH]
//   [--range FROM:TO ...]
//   (--quick: small sizes, for a smoke run)
import AsyncHTTPClient
import Foundation
import GRDB
import HailongClient
import HailongDomain
import HailongServer
import Hummingbird
import Logging
import ServiceLifecycle

let arguments = CommandLine.arguments
let quick = arguments.contains("--quick")
let workDirectory: String = {
    if let index = arguments.firstIndex(of: "--dir"), index + 1 < arguments.count { return arguments[index + 1] }
    return NSTemporaryDirectory() + "hailong-bench-\(ProcessInfo.processInfo.processIdentifier)"
}()
try? FileManager.default.removeItem(atPath: workDirectory)
try FileManager.default.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: workDirectory) }

func say(_ text: String) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }
/// The machine is shared: the load average says how much the figures are disturbed.
func load() -> String {
    (FileManager.default.contents(atPath: "/proc/loadavg").map { String(decoding: $0, as: UTF8.self) } ?? "?")
        .split(separator: " ").prefix(3).joined(separator: " ")
}
say("cores \(ProcessInfo.processInfo.activeProcessorCount), load average \(load())")
func seconds(_ d: Duration) -> Double { d.seconds }
func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
}
func fmt(_ v: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", v) }

/// Runs the server on a loopback port for the duration of `body`.
func withServer<T: Sendable>(store: any HailongStore, minN: Int64 = 20, _ body: @escaping @Sendable (String) async throws -> T) async throws -> T {
    var config = ServerConfig()
    config.host = "127.0.0.1"
    config.port = 0
    config.minN = minN
    var logger = Logger(label: "bench")
    logger.logLevel = .warning
    let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
    let app = try buildApplication(config, store: store, logger: logger, onServerRunning: { port in continuation.yield(port) })
    return try await withThrowingTaskGroup(of: Void.self) { group in
        let serviceGroup = ServiceGroup(configuration: .init(services: [app], logger: logger))
        group.addTask { try await serviceGroup.run() }
        var iterator = stream.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CLIError("server did not start") }
        let result = try await body("http://127.0.0.1:\(port)")
        await serviceGroup.triggerGracefulShutdown()
        try await group.waitForAll()
        return result
    }
}

// MARK: - 1. Ingest throughput

let batchSize = 500
// 200 batches (100,000 events) per client: with 40 a run lasted ~0.3 s and the 1-client ratio
// wandered between 0.33 and 0.45 from one run to the next.
let batchesPerClient = quick ? 4 : 200

/// A batch as the agent sends it (`EventRecord.wire`): times to the microsecond, the monotonic
/// reading and the boot id on every event; a rating and its session's close in turn.
func events(board: Int, batch: Int) -> [WireEvent] {
    let bootId = "5f0c6e0a-8d1e-4b8e-9a57-\(String(format: "%012d", board))"
    let start = WallTime(rfc3339: "2026-03-02T01:00:00Z") ?? WallTime(microseconds: 0)
    return (0..<batchSize).map { i in
        let seq = Int64(batch * batchSize + i + 1)
        let offset = seq * 30_000_000 + (seq * 7_919) % 1_000_000  // 30 s apart, odd microseconds
        let at = WallTime(microseconds: start.microseconds + offset).rfc3339
        let monotonic = 86_400_000_000_000 + offset * 1_000
        let dossier = "000.30.25.H17-\(board)-\(seq / 2)"
        if i % 2 == 0 {
            return WireEvent(
                seq: seq, kind: .rating, at: at, level: 1 + Int(seq % 3), binding: .dossier, dossier: dossier, clerk: "NV\(board)-1",
                monotonicNs: monotonic, bootId: bootId, clockSynced: true)
        }
        return WireEvent(
            seq: seq, kind: .session, at: at, dossier: dossier, clerk: "NV\(board)-1", outcome: .rated, monotonicNs: monotonic,
            bootId: bootId, clockSynced: true)
    }
}

/// One round of the throughput comparison. The server (over loopback HTTP, one board per
/// client) and the baseline (direct GRDB inserts of the same rows into the same schema) take
/// turns, `chunks` times `batchesPerClient / chunks` batches per client each, so a machine that
/// speeds up or slows down during the round (this VM does, by ±20 %) weighs on both alike.
/// Returns events/s for each side over its own time.
func ingestRound(clients: Int, round: Int, serverOnly: Bool = false) async throws -> (server: Double, baseline: Double) {
    let chunks = quick ? 1 : 10
    let perChunk = batchesPerClient / chunks
    let baselinePath = workDirectory + "/baseline-\(clients)-\(round).db"
    _ = try SQLiteStore(path: baselinePath)  // the same schema
    let pool = try baselinePool(baselinePath)
    try await pool.write { db in try addDirectBoards(db, count: clients) }
    let direct: [[[WireEvent]]] = (0..<clients).map { c in (0..<batchesPerClient).map { events(board: c, batch: $0) } }

    let store = try SQLiteStore(path: workDirectory + "/ingest-\(clients)-\(round).db")
    let (_, admin) = try await createAccount(store: store, username: "bench", password: "bench-password", role: .admin, unit: nil, bcryptCost: 4, now: .now())
    return try await withServer(store: store) { base in
        let api = ServerCommands(api: HTTPEndpoint(baseURL: base, token: admin))
        _ = try await api.addUnit(code: "hcm", name: "TP. Hồ Chí Minh", parent: nil, timeZone: nil)
        var boards: [(String, String)] = []
        for c in 0..<clients {
            let text = try await api.addBoard(unit: "hcm", counter: "Quầy \(c)", scale: .vn3)
            let code = text.split(separator: "\n").first { $0.hasPrefix("enrollment code: ") }?.dropFirst(17).split(separator: " ").first.map(String.init) ?? ""
            let reply: EnrollReply = try await HTTPEndpoint(baseURL: base, token: nil).post("/v1/boards/enroll", json: EnrollRequest(code: code))
            boards.append((reply.boardId, reply.token))
        }
        // Bodies are encoded before the clock starts: we measure the server, not the client's JSON.
        let bodies: [[Data]] = try boards.enumerated().map { index, board in
            try (0..<batchesPerClient).map { b in
                let evs = events(board: index, batch: b)
                return try JSONEncoder().encode(
                    IngestBatch(boardId: board.0, fromSeq: evs[0].seq, toSeq: evs[evs.count - 1].seq, events: evs, status: .init(version: "bench", backlog: 0, clockSynced: true, uptimeS: 1)))
            }
        }
        let endpoints = boards.map { HTTPEndpoint(baseURL: base, token: $0.1) }
        func serverChunk(_ range: Range<Int>) async throws -> Double {
            let start = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for c in 0..<clients {
                    group.addTask { for b in range { try await endpoints[c].send(.POST, "/v1/ingest", body: bodies[c][b], contentType: "application/json") } }
                }
                try await group.waitForAll()
            }
            return seconds(ContinuousClock.now - start)
        }
        func baselineChunk(_ range: Range<Int>) async throws -> Double {
            let start = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for c in 0..<clients {
                    group.addTask { for b in range { try await pool.write { db in try insertDirectly(db, board: "b\(c)", direct[c][b]) } } }
                }
                try await group.waitForAll()
            }
            return seconds(ContinuousClock.now - start)
        }
        var serverTime = 0.0, baselineTime = 0.0
        for chunk in 0..<chunks {
            let range = (chunk * perChunk)..<((chunk + 1) * perChunk)
            // Which side goes first alternates, so neither always meets a warm (or cold) cache.
            if serverOnly {
                serverTime += try await serverChunk(range)
            } else if chunk % 2 == 0 {
                baselineTime += try await baselineChunk(range)
                serverTime += try await serverChunk(range)
            } else {
                serverTime += try await serverChunk(range)
                baselineTime += try await baselineChunk(range)
            }
        }
        if clients == 1, let board = boards.first {
            // What a request costs besides its events: heartbeats (no events) of the same board
            // — bearer check, HTTP both ways, a one-row commit (synchronous=FULL).
            let endpoint = HTTPEndpoint(baseURL: base, token: board.1)
            let last = Int64(chunks * perChunk * batchSize)
            let heartbeat = try JSONEncoder().encode(
                IngestBatch(boardId: board.0, fromSeq: last + 1, toSeq: last, events: [], status: .init(version: "bench", backlog: 0, clockSynced: true, uptimeS: 1)))
            var latencies: [Double] = []
            for _ in 0..<40 {
                let t = ContinuousClock.now
                try await endpoint.send(.POST, "/v1/ingest", body: heartbeat, contentType: "application/json")
                latencies.append(seconds(ContinuousClock.now - t) * 1000)
            }
            say("heartbeat round trip (no events: bearer check, HTTP, a one-row commit): p50 \(fmt(percentile(latencies, 0.5), 2)) ms")
        }
        let total = Double(clients * chunks * perChunk * batchSize)
        return (total / serverTime, serverOnly ? .nan : total / baselineTime)
    }
}

/// The baseline's database, as durable as the server's: WAL with a writer on synchronous=FULL
/// (set after opening: GRDB's pool puts its writer on NORMAL when it enables WAL).
func baselinePool(_ path: String) throws -> DatabasePool {
    let pool = try DatabasePool(path: path)
    try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
    return pool
}

/// The baseline's side: a unit, a counter and boards b0, b1, … straight into the schema.
func addDirectBoards(_ db: Database, count: Int) throws {
    try db.execute(sql: "INSERT INTO units(code, name, time_zone) VALUES ('hcm', 'x', 'Asia/Ho_Chi_Minh')")
    try db.execute(sql: "INSERT INTO counters(unit_id, name) VALUES (1, 'x')")
    for c in 0..<count { try db.execute(sql: "INSERT INTO boards(id, unit_id, counter_id, scale) VALUES (?, 1, 1, 'vn3')", arguments: ["b\(c)"]) }
}

/// The baseline: one batch's event rows inserted directly, as the server stores them.
func insertDirectly(_ db: Database, board: String, _ batch: [WireEvent]) throws {
    let statement = try db.cachedStatement(
        sql: """
            INSERT INTO events(board_id, seq, kind, at_us, filed_us, by_arrival, level, binding, dossier, clerk,
                outcome, reason, monotonic_ns, boot_id, clock_synced, received_us)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
    for e in batch {
        let at = WallTime(rfc3339: e.at)?.microseconds ?? 0
        try statement.execute(arguments: [
            board, e.seq, e.kind.rawValue, at, at, false, e.level, e.binding?.rawValue, e.dossier, e.clerk,
            e.outcome?.rawValue, e.reason?.rawValue, e.monotonicNs, e.bootId, true, at,
        ])
    }
}

/// Where one batch's time goes, without HTTP: JSON decoding, checking, the store transaction.
func breakdown() async throws {
    let store = try SQLiteStore(path: workDirectory + "/breakdown.db")
    _ = try await store.createUnit(NewUnit(code: "hcm", name: "x"))
    let counter = try await store.createCounter(unit: "hcm", name: "x")
    let board = try await store.createBoard(unit: "hcm", counterId: counter.id, scale: .vn3, codeHash: "h", expiresAt: .now() + .seconds(60))
    var decode = 0.0, fastDecode = 0.0, check = 0.0, write = 0.0, direct = 0.0
    let rounds = 40
    _ = try SQLiteStore(path: workDirectory + "/breakdown-direct.db")
    let pool = try baselinePool(workDirectory + "/breakdown-direct.db")
    try await pool.write { db in try addDirectBoards(db, count: 1) }
    for b in 0..<rounds {
        let directEvents = events(board: 0, batch: b)
        let t0 = ContinuousClock.now
        try await pool.write { db in try insertDirectly(db, board: "b0", directEvents) }
        direct += seconds(ContinuousClock.now - t0)
        let evs = events(board: 0, batch: b)
        let data = try JSONEncoder().encode(IngestBatch(boardId: board.id, fromSeq: evs[0].seq, toSeq: evs[evs.count - 1].seq, events: evs, status: .init(version: "bench", backlog: 0, clockSynced: true, uptimeS: 1)))
        var t = ContinuousClock.now
        let batch = try JSONDecoder().decode(IngestBatch.self, from: data)
        decode += seconds(ContinuousClock.now - t)
        let bytes = Array(data)  // as the server has them, out of the request's ByteBuffer
        t = ContinuousClock.now
        let fast = try IngestBody.decode(bytes)
        fastDecode += seconds(ContinuousClock.now - t)
        guard fast == batch else { throw CLIError("the two decodes differ") }
        t = ContinuousClock.now
        let checked = try batch.checked(scale: .vn3, receivedAt: .now())
        check += seconds(ContinuousClock.now - t)
        t = ContinuousClock.now
        _ = try await store.ingest(board: board, batch: batch, events: checked, receivedAt: .now())
        write += seconds(ContinuousClock.now - t)
    }
    say("per batch of \(batchSize): JSON decode with Foundation \(fmt(decode / Double(rounds) * 1000, 2)) ms, the server's (SwiftProtobuf) \(fmt(fastDecode / Double(rounds) * 1000, 2)) ms, check \(fmt(check / Double(rounds) * 1000, 2)) ms, store transaction \(fmt(write / Double(rounds) * 1000, 2)) ms (direct GRDB insert of the same rows, interleaved: \(fmt(direct / Double(rounds) * 1000, 2)) ms)")
}

if arguments.contains("--profile-ingest") {
    // The server's side alone, one client, for a profiler (perf record …): no baseline, no breakdown.
    for round in 1...3 { say("1 client, server only: \(fmt(try await ingestRound(clients: 1, round: round, serverOnly: true).server, 0)) events/s") }
    try await HTTPClient.shared.shutdown()
    exit(0)
}
if !arguments.contains("--report-only") {
say("== Ingest throughput (batches of \(batchSize), \(batchesPerClient) batches per client, SQLite synchronous=FULL) ==")
try await breakdown()
// Three rounds, each alternating baseline and server in ten chunks (see ingestRound); the median ratio.
for clients in [1, 8] {
    var ratios: [Double] = []
    for round in 1...(quick ? 1 : 3) {
        let (server, baseline) = try await ingestRound(clients: clients, round: round)
        ratios.append(server / baseline)
        say("\(clients) client(s), round \(round): server \(fmt(server, 0)) events/s over HTTP; baseline direct GRDB \(fmt(baseline, 0)) events/s; ratio \(fmt(server / baseline, 2))")
    }
    say("\(clients) client(s): median ratio \(fmt(ratios.sorted()[ratios.count / 2], 2)) (goal ≥ 0.5)")
}
}

// MARK: - 2. Report latency over a year of 1,000 boards
if arguments.contains("--ingest-only") {
    try await HTTPClient.shared.shutdown()
    exit(0)
}

let boardCount = quick ? 50 : 1000
let days = 250  // working days of 2026 (Mon–Fri from Jan 5)
let hoursPerDay = 8
let perHour = 10  // ratings per board-hour → 1000 × 250 × 8 × 10 = 20 M events
// --report-db PATH keeps the generated year in PATH and reuses it on later runs (generation
// takes minutes); without it the data lives in the scratch directory.
let keptReportDB: String? = arguments.firstIndex(of: "--report-db").flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
let reuse = keptReportDB.map { FileManager.default.fileExists(atPath: $0) } ?? false
let reportPath = keptReportDB ?? workDirectory + "/report.db"
let reportStore = try SQLiteStore(path: reportPath)
var reportConfiguration = Configuration()
reportConfiguration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = OFF; PRAGMA journal_mode = WAL") }
let reportPool = try DatabasePool(path: reportPath, configuration: reportConfiguration)
let reportAdminName = "bench-\(UInt32.random(in: 0...UInt32.max))"
let (_, reportAdmin) = try await createAccount(store: reportStore, username: reportAdminName, password: "bench-password", role: .admin, unit: nil, bcryptCost: 4, now: .now())

say("\n== Report latency: by=clerk, one year, \(boardCount) boards, \(boardCount * days * hoursPerDay * perHour) raw events ==")
let generateStart = ContinuousClock.now
if !reuse {
try reportPool.write { db in
    // City → 10 districts → wards of 10 boards; 2 clerks per board.
    try db.execute(sql: "INSERT INTO units(id, code, name, parent_id, time_zone) VALUES (1, 'hcm', 'TP. Hồ Chí Minh', NULL, 'Asia/Ho_Chi_Minh')")
    for d in 0..<10 {
        try db.execute(sql: "INSERT INTO units(id, code, name, parent_id, time_zone) VALUES (?, ?, ?, 1, 'Asia/Ho_Chi_Minh')", arguments: [2 + d, "q\(d)", "Quận \(d)"])
    }
    for b in 0..<boardCount {
        let ward = 100 + b / 10
        if b % 10 == 0 {
            try db.execute(sql: "INSERT INTO units(id, code, name, parent_id, time_zone) VALUES (?, ?, ?, ?, 'Asia/Ho_Chi_Minh')", arguments: [ward, "p\(ward)", "Phường \(ward)", 2 + (b / 10) % 10])
        }
        try db.execute(sql: "INSERT INTO counters(id, unit_id, name) VALUES (?, ?, ?)", arguments: [b + 1, ward, "Quầy \(b % 10 + 1)"])
        try db.execute(sql: "INSERT INTO boards(id, unit_id, counter_id, scale) VALUES (?, ?, ?, 'vn3')", arguments: [String(format: "b%04d", b), ward, b + 1])
        for k in 0..<2 {
            try db.execute(sql: "INSERT INTO clerks(code, name, unit_id) VALUES (?, ?, ?)", arguments: [String(format: "NV%04d-%d", b, k), "Nguyễn Văn \(b)-\(k)", ward])
        }
    }
    // Raw events, generated inside SQLite: board × working day × hour × n. Level from a hash.
    try db.execute(sql: "CREATE TEMP TABLE seq_days(d INTEGER); CREATE TEMP TABLE seq_hours(h INTEGER); CREATE TEMP TABLE seq_n(n INTEGER)")
    var day = CivilDate.toDays(year: 2026, month: 1, day: 5)
    var added = 0
    while added < days {
        if ((day + 3) % 7 + 7) % 7 < 5 { try db.execute(sql: "INSERT INTO seq_days VALUES (?)", arguments: [day]); added += 1 }
        day += 1
    }
    for h in 0..<hoursPerDay { try db.execute(sql: "INSERT INTO seq_hours VALUES (?)", arguments: [h]) }
    for n in 0..<perHour { try db.execute(sql: "INSERT INTO seq_n VALUES (?)", arguments: [n]) }
}
// One transaction per board keeps the WAL small.
for b in 0..<boardCount {
    try await reportPool.write { db in
        try db.execute(
            sql: """
                INSERT INTO events(board_id, seq, kind, at_us, filed_us, by_arrival, level, binding, clerk, clock_synced, received_us)
                SELECT ?, ROW_NUMBER() OVER (ORDER BY d, h, n), 'rating', t, t, 0,
                       CASE WHEN ((? * 7919 + d * 104729 + h * 613 + n * 37) % 10) < 6 THEN 3
                            WHEN ((? * 7919 + d * 104729 + h * 613 + n * 37) % 10) < 9 THEN 2 ELSE 1 END,
                       'clerk', printf('NV%04d-%d', ?, (h / 4)), 1, t
                FROM (SELECT d, h, n, ((d * 86400) + (1 + h) * 3600 + n * 300) * 1000000 AS t
                      FROM seq_days CROSS JOIN seq_hours CROSS JOIN seq_n)
                """, arguments: [String(format: "b%04d", b), b, b, b])
        // The day rollup and the units' local hours as ingest keeps them (+07, no DST in Vietnam);
        // the running totals are built from the day rollup below, as the v7 migration does.
        try db.execute(
            sql: """
                INSERT INTO rollup_day(bucket, unit_id, counter_id, clerk, scale, level1, level2, level3, level4, level5, rated, unrated)
                SELECT (filed_us / 1000000 + 25200) / 86400 AS bk, b.unit_id, b.counter_id, e.clerk, 'vn3',
                    sum(e.level = 1), sum(e.level = 2), sum(e.level = 3), 0, 0, 0, 0
                FROM events e JOIN boards b ON b.id = e.board_id WHERE e.board_id = ? GROUP BY bk, e.clerk
                """, arguments: [String(format: "b%04d", b)])
        try db.execute(
            sql: """
                INSERT INTO rollup_unit_hour(unit_id, bucket, scale, level1, level2, level3, level4, level5, rated, unrated)
                SELECT b.unit_id, (filed_us / 1000000 + 25200) / 3600 AS bk, 'vn3', sum(e.level = 1), sum(e.level = 2), sum(e.level = 3), 0, 0, 0, 0
                FROM events e JOIN boards b ON b.id = e.board_id WHERE e.board_id = ? GROUP BY bk
                ON CONFLICT(unit_id, bucket, scale) DO UPDATE SET level1 = level1 + excluded.level1,
                    level2 = level2 + excluded.level2, level3 = level3 + excluded.level3
                """, arguments: [String(format: "b%04d", b)])
    }
}
let rebuildStart = ContinuousClock.now
try await reportStore.rebuildRunningTotals()
say("running totals built from the day rollups in \(fmt(seconds(ContinuousClock.now - rebuildStart), 1)) s")
try await reportPool.write { db in try db.execute(sql: "ANALYZE") }
}
let counts = try await reportPool.read { db in
    (try Int.fetchOne(db, sql: "SELECT count(*) FROM events") ?? 0, try Int.fetchOne(db, sql: "SELECT count(*) FROM rollup_unit_hour") ?? 0,
     try Int.fetchOne(db, sql: "SELECT count(*) FROM rollup_day") ?? 0, try Int.fetchOne(db, sql: "SELECT count(*) FROM running_day") ?? 0)
}
say("generated \(counts.0) raw events; rows: unit hours \(counts.1), day rollup \(counts.2), running totals \(counts.3) (\(fmt(seconds(ContinuousClock.now - generateStart), 0)) s)")

let requests = quick ? 20 : 200
let baselineRuns = 3
func day(_ text: String) -> Int64 { CivilDate.parseDay(text) ?? 0 }
func dayText(_ day: Int64) -> String {
    let (y, m, d) = CivilDate.fromDays(day)
    return String(format: "%04d-%02d-%02d", Int(y), Int(m), Int(d))
}
/// UTC microseconds where local (+07) day `day` starts.
func utcStart(_ day: Int64) -> Int64 { (day * 86400 - 25200) * 1_000_000 }

/// The report through the real endpoint: latencies (ms) until the whole body arrived, and the
/// totals by key of the first answer.
func serverReport(_ endpoint: HTTPEndpoint, from: Int64, to: Int64, by: String, count: Int) async throws -> ([Double], [String: Int64]) {
    var latencies: [Double] = []
    var totals: [String: Int64] = [:]
    let path = "/v1/reports/satisfaction?unit=hcm&from=\(dayText(from))&to=\(dayText(to))&by=\(by)"
    for i in 0..<count {
        let start = ContinuousClock.now
        let body = try await endpoint.send(.GET, path)
        latencies.append(seconds(ContinuousClock.now - start) * 1000)
        if i == 0 { for row in try JSONDecoder().decode(Report.self, from: body).rows { totals[row.key] = row.total } }
    }
    return (latencies, totals)
}

/// The same report computed the naive way: GROUP BY over every raw event of the range.
func baselineReport(from: Int64, to: Int64, by: String) async throws -> (Double, [String: Int64]) {
    let key = by == "day" ? "strftime('%Y-%m-%d', e.filed_us / 1000000 + 25200, 'unixepoch')" : "e.clerk"
    let start = ContinuousClock.now
    let rows = try await reportPool.read { db in
        try Row.fetchAll(
            db,
            sql: """
                WITH RECURSIVE sub(id) AS (SELECT id FROM units WHERE code = 'hcm' UNION SELECT units.id FROM units JOIN sub ON units.parent_id = sub.id)
                SELECT \(key), count(*) FROM events e JOIN boards b ON b.id = e.board_id
                WHERE e.kind = 'rating' AND e.filed_us >= ? AND e.filed_us < ? AND b.unit_id IN (SELECT id FROM sub)
                GROUP BY 1
                """, arguments: [utcStart(from), utcStart(to + 1)])
    }
    let ms = seconds(ContinuousClock.now - start) * 1000
    var totals: [String: Int64] = [:]
    for row in rows { totals[row[0] as String] = row[1] as Int64 }
    return (ms, totals)
}

/// A seeded generator: the same random ranges in every run.
struct Seeded: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

// MARK: - 3. The dashboard's pages over the same year (issue 13)

/// A client that does not follow redirects (the login's 303 carries the session cookie).
let browser = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))

/// Signs in through the login form as a browser does and returns the session cookie.
func webSession(_ base: String, username: String, password: String) async throws -> String {
    let form = try await HTTPClient.shared.execute(HTTPClientRequest(url: base + "/login"), timeout: .seconds(30))
    let body = String(buffer: try await form.body.collect(upTo: 1 << 20))
    let loginCookie = form.headers["set-cookie"].first { $0.hasPrefix("hl_login=") }?.split(separator: ";").first.map(String.init) ?? ""
    guard let range = body.range(of: "name=\"csrf\" value=\"") else { throw CLIError("no login form") }
    let csrf = String(body[range.upperBound...].prefix { $0 != "\"" })
    var post = HTTPClientRequest(url: base + "/login")
    post.method = .POST
    post.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
    post.headers.add(name: "Cookie", value: loginCookie)
    post.body = .bytes(ByteBuffer(string: "username=\(username)&password=\(password)&csrf=\(csrf)"))
    let reply = try await browser.execute(post, timeout: .seconds(30))
    guard let session = reply.headers["set-cookie"].first(where: { $0.hasPrefix("hl_session=") })?.split(separator: ";").first else {
        throw CLIError("sign-in failed: \(reply.status)")
    }
    return String(session)
}

/// GETs `path` `count` times with `headers`; latencies (ms) until the whole body arrived.
func timedGets(_ url: String, headers: [(String, String)], count: Int) async throws -> ([Double], Int) {
    var latencies: [Double] = []
    var size = 0
    for _ in 0..<count {
        var request = HTTPClientRequest(url: url)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let start = ContinuousClock.now
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 64 << 20)
        latencies.append(seconds(ContinuousClock.now - start) * 1000)
        guard response.status == .ok else { throw CLIError("\(url): \(response.status)") }
        size = body.readableBytes
    }
    return (latencies, size)
}

/// The overview (and the other unit pages) for the whole city over the year, beside the JSON
/// report of the same range in the same run, interleaved so both see the same machine.
func dashboardBench() async throws {
    let count = quick ? 20 : 200
    try await withServer(store: reportStore) { base in
        let cookie = try await webSession(base, username: reportAdminName, password: "bench-password")
        let range = "from=2026-01-01&to=2026-12-31"
        say("\n== Dashboard pages, the city of \(boardCount) boards over 2026 (\(count) requests each, interleaved with the JSON report; goal overview p99 < 100 ms) ==")
        _ = try await timedGets(base + "/units/hcm?" + range, headers: [("Cookie", cookie)], count: 3)  // warm-up
        // Each page beside the JSON report of its own dimension: the overview reads by unit (and
        // the units' month totals for its trend), the ranking pages by clerk and by counter.
        for (name, path, by) in [
            ("overview", "/units/hcm", "unit"), ("clerks + funnel plot", "/units/hcm/clerks", "clerk"),
            ("counters + funnel plot", "/units/hcm/counters", "counter"),
        ] {
            let json = base + "/v1/reports/satisfaction?unit=hcm&by=\(by)&" + range
            var page: [Double] = [], report: [Double] = []
            var size = 0
            for _ in 0..<(count / 10) {
                let (p, bytes) = try await timedGets(base + path + "?" + range, headers: [("Cookie", cookie)], count: 10)
                page += p
                size = bytes
                report += try await timedGets(json, headers: [("Authorization", "Bearer \(reportAdmin)")], count: 10).0
            }
            say("\(name) \(path) (\(size / 1024) KiB of HTML): p50 \(fmt(percentile(page, 0.5))) ms, p99 \(fmt(percentile(page, 0.99))) ms")
            say("    the JSON report by=\(by), same range, same run: p50 \(fmt(percentile(report, 0.5))) ms, p99 \(fmt(percentile(report, 0.99))) ms; page/report p50 \(fmt(percentile(page, 0.5) / percentile(report, 0.5), 2))")
        }
        let (live, _) = try await timedGets(base + "/units/hcm/live?" + range, headers: [("Cookie", cookie)], count: count)
        say("overview's live refresh /units/hcm/live: p50 \(fmt(percentile(live, 0.5))) ms, p99 \(fmt(percentile(live, 0.99))) ms (one per open overview every 5 s)")
        let heatCount = quick ? 3 : 10
        let (heat, _) = try await timedGets(base + "/units/hcm/heatmap?from=2026-11-01&to=2026-11-30", headers: [("Cookie", cookie)], count: heatCount)
        say("heat map over November (by=hour, 30 days): p50 \(fmt(percentile(heat, 0.5))) ms, p99 \(fmt(percentile(heat, 0.99))) ms (\(heatCount) requests)")
        // Its cost grows with the range (the units' hours, not running totals): the whole year.
        let (heatYear, _) = try await timedGets(base + "/units/hcm/heatmap?" + range, headers: [("Cookie", cookie)], count: heatCount)
        say("heat map over 2026 (by=hour, 365 days): p50 \(fmt(percentile(heatYear, 0.5))) ms, p99 \(fmt(percentile(heatYear, 0.99))) ms (\(heatCount) requests)")
    }
}

if arguments.contains("--dashboard") {
    try await dashboardBench()
    try await browser.shutdown()
    try await HTTPClient.shared.shutdown()
    exit(0)
}

if let index = arguments.firstIndex(of: "--profile-report"), index + 1 < arguments.count, let count = Int(arguments[index + 1]) {
    // by=clerk over busy edges, over and over, for a profiler (perf record …): no baseline.
    try await withServer(store: reportStore) { base in
        let endpoint = HTTPEndpoint(baseURL: base, token: reportAdmin)
        let (latencies, _) = try await serverReport(endpoint, from: day("2026-03-04"), to: day("2026-11-20"), by: "clerk", count: count)
        say("by=clerk 2026-03-04…2026-11-20, server only: p50 \(fmt(percentile(latencies, 0.5))) ms, p99 \(fmt(percentile(latencies, 0.99))) ms (\(count) requests)")
    }
    try await browser.shutdown()
    try await HTTPClient.shared.shutdown()
    exit(0)
}

// The issue's three ranges (`--range FROM:TO`, repeatable, measures others instead), then 100
// random ranges within 2026 (random start and end days), then by=day over a random quarter.
var named = [("2026-01-01", "2026-12-31"), ("2025-12-24", "2026-12-23"), ("2026-03-04", "2026-11-20")]
let asked = arguments.indices.filter { arguments[$0] == "--range" && $0 + 1 < arguments.count }.map { arguments[$0 + 1] }
if !asked.isEmpty {
    named = asked.compactMap { text in
        let parts = text.components(separatedBy: "…").flatMap { $0.components(separatedBy: ":") }
        return parts.count == 2 ? (parts[0], parts[1]) : nil
    }
}
var random = Seeded(state: 14)
let yearStart = day("2026-01-01"), yearEnd = day("2026-12-31")
var randomRanges: [(Int64, Int64)] = []
for _ in 0..<(quick ? 10 : 100) {
    let a = Int64.random(in: yearStart...yearEnd, using: &random), b = Int64.random(in: yearStart...yearEnd, using: &random)
    randomRanges.append((min(a, b), max(a, b)))
}
let quarterStart = Int64.random(in: yearStart...(yearEnd - 91), using: &random)
let perRandomRange = quick ? 5 : 20
let namedRanges = named, randomRangeList = randomRanges

try await withServer(store: reportStore) { base in
    let endpoint = HTTPEndpoint(baseURL: base, token: reportAdmin)
    _ = try await serverReport(endpoint, from: yearStart, to: yearEnd, by: "clerk", count: 5)  // warm-up
    for (fromText, toText) in namedRanges {
        let (from, to) = (day(fromText), day(toText))
        let (latencies, totals) = try await serverReport(endpoint, from: from, to: to, by: "clerk", count: requests)
        var baseline: [Double] = []
        var baselineTotals: [String: Int64] = [:]
        for _ in 0..<baselineRuns {
            let (ms, t) = try await baselineReport(from: from, to: to, by: "clerk")
            baseline.append(ms)
            baselineTotals = t
        }
        let p50 = percentile(latencies, 0.5), p99 = percentile(latencies, 0.99), raw = percentile(baseline, 0.5)
        say("by=clerk \(fromText)…\(toText): \(totals.count) rows; running totals via HTTP p50 \(fmt(p50)) ms, p99 \(fmt(p99)) ms (\(requests) requests; goal p99 < 10 ms)")
        say("    raw GROUP BY (SQL only, no HTTP): p50 \(fmt(raw)) ms (\(baselineRuns) runs), \(fmt(raw / p50, 0))× the report's p50; same totals: \(totals == baselineTotals)")
    }
    // Random ranges: every range's requests pooled; the baseline on every tenth range.
    var pooled: [Double] = []
    var worstP99 = 0.0
    var worstRange = ""
    var baselines: [Double] = []
    var reportP50s: [Double] = []
    var agree = true
    for (index, (from, to)) in randomRangeList.enumerated() {
        let (latencies, totals) = try await serverReport(endpoint, from: from, to: to, by: "clerk", count: perRandomRange)
        pooled += latencies
        if percentile(latencies, 0.99) > worstP99 {
            worstP99 = percentile(latencies, 0.99)
            worstRange = "\(dayText(from))…\(dayText(to))"
        }
        if index % 10 == 0 {
            let (ms, baselineTotals) = try await baselineReport(from: from, to: to, by: "clerk")
            baselines.append(ms)
            reportP50s.append(percentile(latencies, 0.5))
            agree = agree && baselineTotals == totals
        }
    }
    say("by=clerk, \(randomRangeList.count) random ranges within 2026 (\(perRandomRange) requests each): p50 \(fmt(percentile(pooled, 0.5))) ms, p99 \(fmt(percentile(pooled, 0.99))) ms; the worst range's p99 \(fmt(worstP99)) ms (\(worstRange))")
    say("    raw GROUP BY on every tenth range: p50 \(fmt(percentile(baselines, 0.5))) ms, \(fmt(percentile(baselines, 0.5) / percentile(reportP50s, 0.5), 0))× the report's p50 on those ranges; same totals: \(agree)")
    let quarterEnd = quarterStart + 90
    let (latencies, totals) = try await serverReport(endpoint, from: quarterStart, to: quarterEnd, by: "day", count: requests)
    var baseline: [Double] = []
    var baselineTotals: [String: Int64] = [:]
    for _ in 0..<baselineRuns {
        let (ms, t) = try await baselineReport(from: quarterStart, to: quarterEnd, by: "day")
        baseline.append(ms)
        baselineTotals = t
    }
    say("by=day \(dayText(quarterStart))…\(dayText(quarterEnd)) (a random quarter): \(totals.count) rows; p50 \(fmt(percentile(latencies, 0.5))) ms, p99 \(fmt(percentile(latencies, 0.99))) ms (\(requests) requests)")
    say("    raw GROUP BY (SQL only, no HTTP): p50 \(fmt(percentile(baseline, 0.5))) ms (\(baselineRuns) runs), \(fmt(percentile(baseline, 0.5) / percentile(latencies, 0.5), 0))× the report's p50; same totals: \(totals == baselineTotals)")
}
try await dashboardBench()
say("load average at the end \(load())")
try await browser.shutdown()
try await HTTPClient.shared.shutdown()
