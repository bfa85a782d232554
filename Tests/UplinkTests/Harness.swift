import AsyncHTTPClient
import Foundation
import HailongAgent
import HailongDomain
import HailongServer
import HailongTestSupport
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization

/// The board's clocks, moved by the test: monotonic, wall, "synchronized", boot id.
final class BoardClock: AgentClock {
    struct State {
        var mono: Int64 = 5_000_000_000
        var wall: Int64
        var synced = true
        var boot = "boot-1"
    }

    let state: Mutex<State>

    init(_ start: String = "2026-11-23T01:00:00Z", synced: Bool = true) {
        state = Mutex(State(wall: WallTime(rfc3339: start)?.microseconds ?? 0, synced: synced))
    }

    func monotonic() -> MonotonicInstant { state.withLock { MonotonicInstant(nanoseconds: $0.mono) } }
    func wall() -> WallTime { state.withLock { WallTime(microseconds: $0.wall) } }
    func isSynchronized() -> Bool { state.withLock { $0.synced } }
    var bootID: String { state.withLock { $0.boot } }

    func advance(_ duration: Duration) {
        state.withLock {
            $0.mono += duration.nanosecondsForTest
            $0.wall += duration.nanosecondsForTest / 1000
        }
    }

    /// NTP steps the wall clock to `time`; the monotonic clock runs on.
    func synchronize(to time: String) {
        state.withLock {
            $0.wall = WallTime(rfc3339: time)?.microseconds ?? $0.wall
            $0.synced = true
        }
    }

    /// A power cut and a boot without RTC: new boot id, monotonic from ~0, wall at `wall`, unsynchronized.
    func reboot(wall: String) {
        state.withLock {
            $0.boot = "boot-\(UUID().uuidString.prefix(8))"
            $0.mono = 3_000_000_000
            $0.wall = WallTime(rfc3339: wall)?.microseconds ?? 0
            $0.synced = false
        }
    }
}

extension Duration {
    var nanosecondsForTest: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

/// Deterministic randomness for jitter.
typealias SeededRandom = SplitMix64

/// Wraps a transport and keeps every batch it sent, with its JSON as it went on the wire.
final class RecordingTransport: UplinkTransport {
    let inner: any UplinkTransport
    let sent = Mutex<[IngestBatch]>([])
    let wire = Mutex<[Data]>([])
    init(_ inner: any UplinkTransport) { self.inner = inner }

    func send(_ batch: IngestBatch) async throws -> IngestAnswer {
        sent.withLock { $0.append(batch) }
        wire.withLock { $0.append((try? JSONEncoder().encode(batch)) ?? Data()) }
        return try await inner.send(batch)
    }

    var batches: [IngestBatch] { sent.withLock { $0 } }
}

/// A transport that fails while `failuresLeft > 0`, then acknowledges every batch.
final class FlakyTransport: UplinkTransport {
    let failuresLeft = Mutex(0)
    let acknowledged = Mutex<Int64>(0)
    /// What a failing send answers; nil: it throws (the server out of reach).
    let failingAnswer = Mutex<IngestAnswer?>(nil)
    struct Down: Error {}

    func send(_ batch: IngestBatch) async throws -> IngestAnswer {
        let fail = failuresLeft.withLock { left -> Bool in
            if left > 0 {
                left -= 1
                return true
            }
            return false
        }
        if fail {
            if let answer = failingAnswer.withLock({ $0 }) { return answer }
            throw Down()
        }
        acknowledged.withLock { $0 = max($0, batch.toSeq) }
        return .acknowledged(max(batch.toSeq, acknowledged.withLock { $0 }))
    }
}

/// Sleeps as the uplink asks, recording backoff delays; heartbeats (≥ 1 h here) really wait.
final class RecordingSleeper: Sendable {
    let delays = Mutex<[Duration]>([])
    let heartbeat: Duration
    init(heartbeat: Duration = .seconds(3600)) { self.heartbeat = heartbeat }

    var sleep: @Sendable (Duration) async throws -> Void {
        { [self] duration in
            if duration >= heartbeat {
                try await Task.sleep(for: duration)
            } else {
                delays.withLock { $0.append(duration) }
                try await Task.sleep(for: .milliseconds(1))
            }
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Polls `condition` every 20 ms until it holds or `limit` passes (a bounded wait, not a sleep).
func waitUntil(_ limit: Duration = .seconds(30), _ what: String, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw TestFailure("timed out after \(limit): \(what)")
}

func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "hailong-uplink-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// The real server application on a loopback socket, SQLite in a temp file, with an admin.
final class LiveServer: Sendable {
    let dir: String
    let dbPath: String
    let store: SQLiteStore
    let adminToken: String
    let serverNow: Mutex<WallTime?> = Mutex(nil)

    init() async throws {
        dir = try temporaryDirectory()
        dbPath = dir + "/server.db"
        store = try SQLiteStore(path: dbPath)
        adminToken = try await createAccount(
            store: store, username: "admin", password: "admin-password", role: .admin, unit: nil, bcryptCost: 4, now: WallTime.now()
        ).1
    }

    func now() -> WallTime { serverNow.withLock { $0 } ?? WallTime.now() }

    /// Runs `body` with the server listening; `base` is its URL.
    func run(_ body: @escaping @Sendable (_ base: String, _ client: any TestClientProtocol) async throws -> Void) async throws {
        var config = ServerConfig()
        config.path = dbPath
        config.minN = 1
        config.bcryptCost = 4
        config.host = "127.0.0.1"
        config.port = 0
        // HummingbirdTesting's live client keeps one connection and does not reconnect one the
        // server closed; tests idle longer than the 10 s default between requests.
        config.http.headTimeout = .seconds(600)
        let app = try buildApplication(config, store: store, now: { [self] in now() }, logger: Logger(label: "test.server"))
        try await app.test(.live) { client in
            guard let port = client.port else { throw TestFailure("no port") }
            try await body("http://127.0.0.1:\(port)", client)
        }
    }
}

struct Reply {
    let status: HTTPResponse.Status
    let body: ByteBuffer
    var text: String { String(decoding: body.readableBytesView, as: UTF8.self) }
    func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T { try JSONDecoder().decode(T.self, from: Data(body.readableBytesView)) }
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:] }
}

struct NewCounterBody: Encodable { var unit: String; var name: String }
struct NewBoardBody: Encodable { var unit: String; var counterId: Int64; var scale: Scale }
struct StoredEventsBody: Decodable { var events: [StoredEvent] }
struct AlertsBody: Decodable { var alerts: [Alert] }

extension TestClientProtocol {
    @discardableResult
    func send(_ method: HTTPRequest.Method, _ uri: String, token: String?, json: (some Encodable)? = nil as String?) async throws -> Reply {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        var body: ByteBuffer?
        if let json {
            headers[.contentType] = "application/json"
            body = ByteBuffer(bytes: try JSONEncoder().encode(json))
        }
        return try await execute(uri: uri, method: method, headers: headers, body: body) { response in
            Reply(status: response.status, body: response.body)
        }
    }

    /// A unit `hcm` (once) and a new counter in it with a board; returns the enrollment code.
    func newBoardCode(admin: String, counter: String) async throws -> String {
        let units = try await send(.get, "/v1/units", token: admin)
        if !units.text.contains("\"hcm\"") {
            let unit = try await send(.post, "/v1/units", token: admin, json: NewUnit(code: "hcm", name: "TP. Hồ Chí Minh", parent: nil, timeZone: nil))
            guard unit.status == .created else { throw TestFailure("unit: \(unit.text)") }
        }
        let made = try await send(.post, "/v1/counters", token: admin, json: NewCounterBody(unit: "hcm", name: counter))
        let counterId = try made.decode(CounterInfo.self).id
        let board = try await send(.post, "/v1/boards", token: admin, json: NewBoardBody(unit: "hcm", counterId: counterId, scale: .vn3))
        guard let code = board.json["enrollmentCode"] as? String else { throw TestFailure("board: \(board.text)") }
        return code
    }

    func storedEvents(board: String, admin: String) async throws -> [StoredEvent] {
        var all: [StoredEvent] = []
        while true {
            let page = try await send(.get, "/v1/boards/\(board)/events?after=\(all.last?.event.seq ?? 0)&limit=10000", token: admin)
            let events = try page.decode(StoredEventsBody.self).events
            if events.isEmpty { return all }
            all += events
        }
    }

    func alerts(admin: String) async throws -> [Alert] {
        try await send(.get, "/v1/alerts", token: admin).decode(AlertsBody.self).alerts
    }
}

/// A board: its event log in a temp dir, enrolled with the live server.
struct TestBoard {
    let dir: String
    let log: EventLog
    let clock: BoardClock
    let enrollment: Enrollment

    static func enrolled(with base: String, client: some TestClientProtocol, admin: String, counter: String, clock: BoardClock = BoardClock()) async throws -> TestBoard {
        let dir = try temporaryDirectory()
        let log = try EventLog(path: dir + "/agent.db", clock: clock)
        let code = try await client.newBoardCode(admin: admin, counter: counter)
        let enrollment = try await Enroller.enroll(
            server: base, code: code, storagePath: dir + "/agent.db", caFile: "", force: false, now: clock.wall())
        return TestBoard(dir: dir, log: log, clock: clock, enrollment: enrollment)
    }

    func uplink(
        _ transport: any UplinkTransport, detail: AgentConfig.Uplink.Detail = .events, sleep: RecordingSleeper = RecordingSleeper(),
        state: UplinkState? = nil, seed: UInt64 = 1
    ) -> Uplink {
        Uplink(
            settings: .init(boardId: enrollment.boardId, detail: detail, heartbeat: sleep.heartbeat), log: log, clock: clock,
            transport: transport, state: state ?? UplinkState(server: enrollment.server, boardId: enrollment.boardId, disabled: nil, lastUpload: nil),
            logger: Logger(label: "test.uplink"), sleep: sleep.sleep, random: SeededRandom(seed: seed))
    }

    /// One citizen served: a session opened at the counter, rated `level` (or unrated), as the
    /// counter records it: the rating then the session outcome, in one commit.
    @discardableResult
    func serve(dossier: String, clerk: String, level: Int?, after: Duration = .seconds(30)) throws -> [EventRecord] {
        clock.advance(after)
        let now = clock.monotonic()
        let dossierCode = try DossierCode(dossier)
        let clerkID = try ClerkID(clerk)
        var drafts: [EventDraft] = []
        if let level {
            drafts.append(EventDraft(kind: .rating, at: now, level: level, binding: .dossier, dossier: dossierCode, clerk: clerkID))
            drafts.append(EventDraft(kind: .session, at: now, dossier: dossierCode, clerk: clerkID, outcome: .rated))
        } else {
            drafts.append(EventDraft(kind: .session, at: now, dossier: dossierCode, clerk: clerkID, outcome: .unrated, reason: .expired))
        }
        return try log.append(drafts)
    }
}

/// Runs the uplink until `body` returns, then stops it.
func withUplink(_ uplink: Uplink, _ body: () async throws -> Void) async throws {
    let task = Task { await uplink.forward() }
    defer { task.cancel() }
    try await body()
    task.cancel()
    await task.value
}

/// The HTTP transport the agent uses, to `base`.
func httpTransport(_ base: String, token: String) -> HTTPUplinkTransport {
    HTTPUplinkTransport(client: HTTPClient.shared, server: base, token: token)
}
