// Uplink drain benchmark (issue 5). Prints, in one run:
//  1. the server's own ingest baseline (as in the server benchmark): pre-encoded batches of 500
//     posted by one client over loopback HTTP, events/s;
//  2. the board's drain: N buffered events (default 1,000,000) in a real event log, forwarded by
//     the real uplink (reads, encodes, sends, marks forwarded) to the same server, events/s.
// Usage: hailong-bench-drain [EVENTS] [--dir DIR]
import AsyncHTTPClient
import Foundation
import HailongAgent
import HailongDomain
import HailongServer
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization

let arguments = CommandLine.arguments
let eventCount = arguments.dropFirst().compactMap { Int($0) }.first ?? 1_000_000
let workDirectory: String = {
    if let index = arguments.firstIndex(of: "--dir"), index + 1 < arguments.count { return arguments[index + 1] }
    return NSTemporaryDirectory() + "hailong-drain-\(ProcessInfo.processInfo.processIdentifier)"
}()
try? FileManager.default.removeItem(atPath: workDirectory)
try FileManager.default.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: workDirectory) }

func say(_ text: String) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }
func fmt(_ v: Double, _ digits: Int = 0) -> String { String(format: "%.\(digits)f", v) }
struct BenchError: Error, CustomStringConvertible { var description: String }

/// A board clock that the generator moves: 20 s per citizen, over three weeks.
final class SteppingClock: AgentClock {
    let state = Mutex<(mono: Int64, wall: Int64)>((1_000_000_000, 1_793_581_200_000_000))  // 2026-11-02T01:00:00Z
    let bootID = "bench-boot"
    func monotonic() -> MonotonicInstant { state.withLock { MonotonicInstant(nanoseconds: $0.mono) } }
    func wall() -> WallTime { state.withLock { WallTime(microseconds: $0.wall) } }
    func isSynchronized() -> Bool { true }
    func advance(seconds: Int64) { state.withLock { $0.mono += seconds * 1_000_000_000; $0.wall += seconds * 1_000_000 } }
}

/// Runs the server (SQLite file at `path`) on a loopback port for the duration of `body`.
func withServer<T: Sendable>(path: String, _ body: @escaping @Sendable (String, SQLiteStore) async throws -> T) async throws -> T {
    var config = ServerConfig()
    config.host = "127.0.0.1"
    config.port = 0
    config.path = path
    var logger = Logger(label: "bench")
    logger.logLevel = .warning
    let store = try SQLiteStore(path: path)
    let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
    let app = try buildApplication(config, store: store, logger: logger, onServerRunning: { port in continuation.yield(port) })
    return try await withThrowingTaskGroup(of: Void.self) { group in
        let serviceGroup = ServiceGroup(configuration: .init(services: [app], logger: logger))
        group.addTask { try await serviceGroup.run() }
        var iterator = stream.makeAsyncIterator()
        guard let port = await iterator.next() else { throw BenchError(description: "server did not start") }
        let result = try await body("http://127.0.0.1:\(port)", store)
        await serviceGroup.triggerGracefulShutdown()
        try await group.waitForAll()
        return result
    }
}

/// A unit, a counter and a board on `base`; returns (board id, token).
func enrollBoard(_ base: String, store: SQLiteStore, counter: String) async throws -> (String, String) {
    let (_, admin) = try await createAccount(store: store, username: "bench-\(counter)", password: "bench-password", role: .admin, unit: nil, bcryptCost: 4, now: .now())
    func post(_ path: String, _ body: String, token: String?) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: base + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.body = .bytes(.init(string: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let data = Data((try await response.body.collect(upTo: 1 << 20)).readableBytesView)
        return (try JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    }
    _ = try await post("/v1/units", #"{"code":"u\#(counter)","name":"Unit \#(counter)"}"#, token: admin)
    let made = try await post("/v1/counters", #"{"unit":"u\#(counter)","name":"Quầy \#(counter)"}"#, token: admin)
    let board = try await post("/v1/boards", #"{"unit":"u\#(counter)","counterId":\#(made["id"] as? Int ?? 0),"scale":"vn3"}"#, token: admin)
    let enrolled = try await post("/v1/boards/enroll", #"{"code":"\#(board["enrollmentCode"] as? String ?? "")"}"#, token: nil)
    guard let id = enrolled["boardId"] as? String, let token = enrolled["token"] as? String else { throw BenchError(description: "enroll: \(enrolled)") }
    return (id, token)
}

// MARK: 1. The board's backlog: `eventCount` events in a real event log (synchronous=FULL, WAL).

let clock = SteppingClock()
let log = try EventLog(path: workDirectory + "/agent.db", clock: clock)
let generateStart = ContinuousClock.now
let clerks = try ["Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường"].map { try ClerkID($0) }
var generated = 0
var citizen = 0
while generated < eventCount {
    var drafts: [EventDraft] = []
    let start = clock.monotonic()
    while drafts.count < 1000, generated + drafts.count < eventCount {
        citizen += 1
        let at = start + .seconds(20 * (citizen % 1000 + 1))
        let dossier = try DossierCode("000.30.25.H17-\(citizen)")
        let clerk = clerks[citizen % 3]
        drafts.append(EventDraft(kind: .rating, at: at, level: 1 + citizen % 3, binding: .dossier, dossier: dossier, clerk: clerk))
        if generated + drafts.count < eventCount {
            drafts.append(EventDraft(kind: .session, at: at, dossier: dossier, clerk: clerk, outcome: .rated))
        }
    }
    clock.advance(seconds: 20 * 1000)
    try log.append(drafts)
    generated += drafts.count
}
say("== Uplink drain: \(eventCount) buffered events (generated in \(ContinuousClock.now - generateStart)) ==")

// MARK: 2. Baseline and drain, against the real server on loopback.

let baselineBatches = max(4, min(200, eventCount / 500 / 10))
let baseline = try await withServer(path: workDirectory + "/baseline.db") { base, store in
    let (boardId, token) = try await enrollBoard(base, store: store, counter: "base")
    var bodies: [Data] = []
    var seq: Int64 = 0
    for _ in 0..<baselineBatches {
        let records = try log.events(after: seq, limit: 500)
        let events = records.map(\.wire)
        bodies.append(try JSONEncoder().encode(IngestBatch(
            boardId: boardId, fromSeq: events[0].seq, toSeq: events[events.count - 1].seq, events: events,
            status: .init(version: "bench", backlog: 0, clockSynced: true, uptimeS: 1))))
        seq = events[events.count - 1].seq
    }
    let start = ContinuousClock.now
    for body in bodies {
        var request = HTTPClientRequest(url: base + "/v1/ingest")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.body = .bytes(.init(data: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        _ = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else { throw BenchError(description: "ingest \(response.status)") }
    }
    return Double(baselineBatches * 500) / (ContinuousClock.now - start).seconds
}

let drain = try await withServer(path: workDirectory + "/server.db") { base, store in
    let (boardId, token) = try await enrollBoard(base, store: store, counter: "drain")
    var logger = Logger(label: "bench.uplink")
    logger.logLevel = .warning
    let uplink = Uplink(
        settings: .init(boardId: boardId), log: log, clock: clock,
        transport: HTTPUplinkTransport(client: HTTPClient.shared, server: base, token: token),
        state: UplinkState(server: base, boardId: boardId, disabled: nil, lastUpload: nil), logger: logger)
    let start = ContinuousClock.now
    let task = Task { await uplink.forward() }
    while try log.summary().backlog > 0 {
        try await Task.sleep(for: .milliseconds(50))
    }
    let elapsed = ContinuousClock.now - start
    task.cancel()
    await task.value
    let stored = try await store.events(board: boardId, after: Int64(eventCount - 1), limit: 10)
    guard stored.first?.event.seq == Int64(eventCount) else { throw BenchError(description: "the last event did not arrive") }
    return (Double(eventCount) / elapsed.seconds, elapsed.seconds)
}

say("server ingest baseline (1 client, pre-encoded batches of 500, \(baselineBatches * 500) events): \(fmt(baseline)) events/s")
say("board drain (real uplink: read, encode, send, mark forwarded; batches of 500): \(fmt(drain.0)) events/s, \(eventCount) events in \(fmt(drain.1, 1)) s; ratio to baseline \(fmt(drain.0 / baseline, 2))")
