import Foundation
import HailongDomain
import HailongServer
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization

/// A wall clock the test moves by hand.
final class TestClock: Sendable {
    private let value: Mutex<WallTime>
    init(_ start: String = "2026-11-23T05:00:00Z") { value = Mutex(WallTime(rfc3339: start) ?? WallTime(microseconds: 0)) }
    func now() -> WallTime { value.withLock { $0 } }
    func advance(_ duration: Duration) { value.withLock { $0 = $0 + duration } }
}

/// An application on a new store (`StoreKind.harness`: in-memory SQLite, or a new PostgreSQL
/// schema) with an admin account and a test clock.
struct Harness {
    let store: any HailongStore
    let clock = TestClock()
    let adminToken: String
    var config: ServerConfig

    init(minN: Int64 = 3, store kind: StoreKind = .harness) async throws {
        store = try await kind.make()
        config = ServerConfig()
        config.path = ":memory:"
        config.minN = minN
        config.bcryptCost = 4
        config.host = "127.0.0.1"
        config.port = 0
        let clock = self.clock
        adminToken = try await createAccount(
            store: store, username: "admin", password: "admin-password", role: .admin, unit: nil, bcryptCost: 4, now: clock.now()
        ).1
    }

    func app() throws -> some ApplicationProtocol {
        let clock = self.clock
        return try buildApplication(config, store: store, now: { clock.now() })
    }
}

struct Reply {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let body: ByteBuffer
    var bytes: [UInt8] { Array(body.readableBytesView) }
    var text: String { String(decoding: body.readableBytesView, as: UTF8.self) }
    func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T { try JSONDecoder().decode(T.self, from: Data(bytes)) }
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:] }
}

extension TestClientProtocol {
    @discardableResult
    func send(_ method: HTTPRequest.Method, _ uri: String, token: String? = nil, json: (some Encodable)? = nil as String?) async throws -> Reply {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        var body: ByteBuffer?
        if let json {
            headers[.contentType] = "application/json"
            body = ByteBuffer(bytes: try JSONEncoder().encode(json))
        }
        return try await execute(uri: uri, method: method, headers: headers, body: body) { response in
            Reply(status: response.status, headers: response.headers, body: response.body)
        }
    }

    func sendRaw(_ method: HTTPRequest.Method, _ uri: String, token: String?, body: String, contentType: String) async throws -> Reply {
        var headers: HTTPFields = [.contentType: contentType]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await execute(uri: uri, method: method, headers: headers, body: ByteBuffer(string: body)) { response in
            Reply(status: response.status, headers: response.headers, body: response.body)
        }
    }
}

struct Enrolled {
    var id: String
    var token: String
    var counterId: Int64
}

/// Organisation set-up through the HTTP surface.
extension TestClientProtocol {
    func unit(_ code: String, _ name: String, parent: String?, zone: String? = nil, admin: String) async throws {
        let reply = try await send(.post, "/v1/units", token: admin, json: NewUnit(code: code, name: name, parent: parent, timeZone: zone))
        precondition(reply.status == .created, "unit \(code): \(reply.status) \(reply.text)")
    }

    func counter(_ unit: String, _ name: String, admin: String) async throws -> Int64 {
        let reply = try await send(.post, "/v1/counters", token: admin, json: NewCounterBody(unit: unit, name: name))
        return try reply.decode(CounterInfo.self).id
    }

    /// Creates a board on a new counter of `unit` and enrolls it.
    func board(unit: String, counter: String, scale: Scale = .vn3, admin: String) async throws -> Enrolled {
        let counterId = try await self.counter(unit, counter, admin: admin)
        let code = try await enrollmentCode(unit: unit, counterId: counterId, scale: scale, admin: admin)
        let reply = try await send(.post, "/v1/boards/enroll", json: EnrollRequest(code: code))
        let enrolled = try reply.decode(EnrollReply.self)
        return Enrolled(id: enrolled.boardId, token: enrolled.token, counterId: counterId)
    }

    func enrollmentCode(unit: String, counterId: Int64, scale: Scale = .vn3, admin: String) async throws -> String {
        let reply = try await send(.post, "/v1/boards", token: admin, json: NewBoardBody(unit: unit, counterId: counterId, scale: scale))
        guard let code = reply.json["enrollmentCode"] as? String else { throw TestFailure("no code: \(reply.text)") }
        return code
    }

    func account(_ username: String, role: String, unit: String?, admin: String) async throws -> String {
        let created = try await send(.post, "/v1/accounts", token: admin, json: NewAccountBody(username: username, password: "password-\(username)", role: role, unit: unit))
        guard created.status == .created else { throw TestFailure("account: \(created.text)") }
        let login = try await send(.post, "/v1/login", json: LoginBody(username: username, password: "password-\(username)"))
        guard let token = login.json["token"] as? String else { throw TestFailure("login: \(login.text)") }
        return token
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Batch building.
func batch(_ board: Enrolled, _ events: [WireEvent], aggregates: [DailyCount] = []) -> IngestBatch {
    IngestBatch(
        boardId: board.id, fromSeq: events.first?.seq ?? 1, toSeq: events.last?.seq ?? 0, events: events, aggregates: aggregates,
        status: BoardStatus(version: "0.1.0", backlog: 0, clockSynced: true, uptimeS: 60))
}

func rating(_ seq: Int64, _ at: String, level: Int, clerk: String? = nil, dossier: String? = nil) -> WireEvent {
    WireEvent(
        seq: seq, kind: .rating, at: at, level: level, binding: dossier != nil ? .dossier : clerk != nil ? .clerk : .counter,
        dossier: dossier, clerk: clerk, clockSynced: true)
}

func session(_ seq: Int64, _ at: String, _ outcome: SessionOutcome, dossier: String, clerk: String) -> WireEvent {
    WireEvent(
        seq: seq, kind: .session, at: at, dossier: dossier, clerk: clerk, outcome: outcome, reason: outcome == .unrated ? .expired : nil,
        clockSynced: true)
}

struct NewCounterBody: Encodable { var unit: String; var name: String }
struct NewBoardBody: Encodable { var unit: String; var counterId: Int64; var scale: Scale }
struct NewAccountBody: Encodable { var username: String; var password: String; var role: String; var unit: String? }
struct LoginBody: Encodable { var username: String; var password: String }
