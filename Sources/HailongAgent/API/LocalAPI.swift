import Foundation
import HailongDomain
import HailongGPIO
import HailongHTTP
public import Hummingbird
import Logging

/// The board's local API (DESIGN §8) for the clerk's software, technicians and tests.
///
/// Every route but `/healthz`, `/metrics` and the simulated board's page (`/sim`, with
/// `gpio.backend: simulated` only) wants `Authorization: Bearer <api.token_file>`. Bad requests get
/// a 4xx with `{"error": {"message": "..."}}` naming the problem, and change nothing.
public enum LocalAPI {
    /// Largest request body accepted.
    public static let maximumBody = 16 * 1024

    public static func router(agent: Agent) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/healthz") { _, _ in
            HealthResponse(status: "ok")
        }
        // Prometheus text, like /healthz without a token: counts only, nothing personal.
        router.get("/metrics") { _, _ in
            let summary = try? agent.log.summary()
            let uplink = agent.uplinkState.snapshot
            var lines = [
                "# HELP hailong_agent_backlog Events not yet acknowledged by the server.",
                "# TYPE hailong_agent_backlog gauge",
                "hailong_agent_backlog \(summary?.backlog ?? 0)",
                "# HELP hailong_agent_last_seq The last event sequence number.",
                "# TYPE hailong_agent_last_seq gauge",
                "hailong_agent_last_seq \(summary?.lastSeq ?? 0)",
                "# HELP hailong_agent_uplink_batches_total Batches the server acknowledged since start.",
                "# TYPE hailong_agent_uplink_batches_total counter",
                "hailong_agent_uplink_batches_total \(uplink.batches)",
                "# HELP hailong_agent_uplink_events_total Events sent and acknowledged since start.",
                "# TYPE hailong_agent_uplink_events_total counter",
                "hailong_agent_uplink_events_total \(uplink.eventsSent)",
                "# HELP hailong_agent_uplink_failures_total Failed uploads since start.",
                "# TYPE hailong_agent_uplink_failures_total counter",
                "hailong_agent_uplink_failures_total \(uplink.failures)",
            ]
            if let last = uplink.lastUpload.flatMap(WallTime.init(rfc3339:)) {
                lines += [
                    "# HELP hailong_agent_last_upload_timestamp_seconds When the server last acknowledged a batch.",
                    "# TYPE hailong_agent_last_upload_timestamp_seconds gauge",
                    "hailong_agent_last_upload_timestamp_seconds \(Double(last.microseconds) / 1_000_000)",
                ]
            }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: lines.joined(separator: "\n") + "\n")))
        }
        let v1 = router.group("v1").add(middleware: BearerTokenMiddleware(token: agent.apiToken))
        v1.post("session") { request, context in
            var request = request
            let body: SessionBody = try await decode(&request, context)
            let dossier = try field("dossier", { () throws(CodeError) in try DossierCode(body.dossier ?? "") })
            let clerk = try field("clerk", { () throws(CodeError) in try ClerkID(body.clerk ?? "") })
            let report = try await perform { () throws(PipelineError) in try await agent.pipeline.openSession(dossier: dossier, clerk: clerk) }
            let status = await agent.status()
            return Response.json(CommandResponse(events: report.events.map(\.wire), session: status.session), status: .created)
        }
        v1.delete("session") { _, _ in
            let report = try await perform { () throws(PipelineError) in try await agent.pipeline.closeSession() }
            return Response.json(CommandResponse(events: report.events.map(\.wire), session: nil))
        }
        v1.post("clerk") { request, context in
            var request = request
            let body: ClerkBody = try await decode(&request, context)
            let clerk = try field("clerk", { () throws(CodeError) in try ClerkID(body.clerk ?? "") })
            let report = try await perform { () throws(PipelineError) in try await agent.pipeline.signIn(clerk) }
            return Response.json(CommandResponse(events: report.events.map(\.wire), session: nil))
        }
        v1.delete("clerk") { _, _ in
            let report = try await perform { () throws(PipelineError) in try await agent.pipeline.signOut() }
            return Response.json(CommandResponse(events: report.events.map(\.wire), session: nil))
        }
        v1.get("status") { _, _ in
            Response.json(await agent.status())
        }
        v1.get("events") { request, _ in
            let after = try queryInt(request, "after", default: 0, range: 0...Int64.max)
            let limit = try queryInt(request, "limit", default: 500, range: 1...5000)
            do {
                let events = try agent.log.events(after: after, limit: Int(limit))
                return Response.json(EventsResponse(events: events.map(\.wire)))
            } catch {
                throw HTTPError(.serviceUnavailable, message: "\(error)")
            }
        }
        if let simulator = agent.simulator {
            v1.post("sim/press") { request, context in
                var request = request
                let body: SimPressBody = try await decode(&request, context)
                guard let level = body.level else { throw HTTPError(.badRequest, message: "level: missing / thiếu mức đánh giá") }
                guard let line = agent.pipeline.line(ofLevel: level) else {
                    throw HTTPError(.badRequest, message: "level: \(level) has no button on this board (buttons: \(agent.config.gpio.buttonLevels.map(String.init).joined(separator: ", ")))")
                }
                let hold = Duration.milliseconds(body.holdMs ?? 120)
                guard (1...600_000).contains(body.holdMs ?? 120) else {
                    throw HTTPError(.badRequest, message: "holdMs: must be 1–600000")
                }
                let report = await simulator.press(line: line, hold: hold)
                return Response.json(SimPressResponse(report), status: report.storageError == nil ? .ok : .serviceUnavailable)
            }
            v1.post("sim/edges") { request, context in
                var request = request
                let body: SimEdgesBody = try await decode(&request, context)
                guard !body.edges.isEmpty, body.edges.count <= 200 else {
                    throw HTTPError(.badRequest, message: "edges: give 1–200 edges")
                }
                var edges: [(line: Int, active: Bool, after: Duration)] = []
                for (index, edge) in body.edges.enumerated() {
                    guard let line = agent.pipeline.line(ofLevel: edge.level) else {
                        throw HTTPError(.badRequest, message: "edges[\(index)].level: \(edge.level) has no button on this board")
                    }
                    guard (0...600_000_000).contains(edge.afterUs) else {
                        throw HTTPError(.badRequest, message: "edges[\(index)].afterUs: must be 0–600000000")
                    }
                    edges.append((line, edge.active, .microseconds(edge.afterUs)))
                }
                simulator.inject(edges)
                return Response.json(SimEdgesResponse(injected: edges.count), status: .accepted)
            }
            // The board on screen for demos, without the token (a browser has none).
            SimPageController(agent: agent, simulator: simulator).addRoutes(to: router)
        }
        return router
    }

    // MARK: Helpers

    private static func decode<T: Decodable>(_ request: inout Request, _ context: BasicRequestContext) async throws -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: maximumBody)
        } catch {
            throw HTTPError(.contentTooLarge, message: "request body larger than \(maximumBody) bytes / nội dung quá lớn")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: buffer))
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            throw HTTPError(.badRequest, message: "\(context.codingPath.map(\.stringValue).joined(separator: ".")): wrong type / sai kiểu dữ liệu")
        } catch DecodingError.dataCorrupted(let context) where !context.codingPath.isEmpty {
            throw HTTPError(.badRequest, message: "\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)")
        } catch DecodingError.keyNotFound(let key, _) {
            throw HTTPError(.badRequest, message: "\(key.stringValue): missing / thiếu trường")
        } catch {
            throw HTTPError(.badRequest, message: "body is not valid JSON / nội dung không phải JSON hợp lệ")
        }
    }

    private static func field<T>(_ name: String, _ make: () throws(CodeError) -> T) throws -> T {
        do {
            return try make()
        } catch {
            throw HTTPError(.badRequest, message: error.description)
        }
    }

    private static func perform<T>(_ work: () async throws(PipelineError) -> T) async throws -> T {
        do {
            return try await work()
        } catch .refused(let refusal) {
            throw HTTPError(.conflict, message: PipelineError.refused(refusal).description)
        } catch .storage(let error) {
            throw HTTPError(.serviceUnavailable, message: "\(error) / không lưu được, xem đèn lỗi")
        }
    }

    private static func queryInt(_ request: Request, _ name: String, default value: Int64, range: ClosedRange<Int64>) throws -> Int64 {
        guard let text = request.uri.queryParameters[name[...]] else { return value }
        guard let number = Int64(String(text)), range.contains(number) else {
            throw HTTPError(.badRequest, message: "\(name): '\(text)' is not a whole number in \(range.lowerBound)–\(range.upperBound)")
        }
        return number
    }
}

// MARK: Bodies

struct HealthResponse: ResponseEncodable { var status: String }

struct SessionBody: Decodable {
    var dossier: String?
    var clerk: String?
}

struct ClerkBody: Decodable { var clerk: String? }

struct SimPressBody: Decodable {
    var level: Int?
    var holdMs: Int?
}

struct SimEdgesBody: Decodable {
    struct EdgeBody: Decodable {
        var level: Int
        var active: Bool
        /// Microseconds after the first edge.
        var afterUs: Int64
    }
    var edges: [EdgeBody]
}

struct CommandResponse: Encodable {
    var events: [WireEvent]
    var session: AgentStatus.SessionStatus?
}

struct EventsResponse: Encodable { var events: [WireEvent] }

struct SimEdgesResponse: Encodable { var injected: Int }

struct SimPressResponse: Encodable {
    var level: Int
    /// rated | suppressed | dropped | invalid | unseen | notStored
    var result: String
    var binding: Binding?
    var reason: EventReason?
    var events: [WireEvent]
    var error: String?

    init(_ report: CounterPipeline.PressReport) {
        level = report.level
        events = report.events.map(\.wire)
        error = report.storageError
        switch report.result {
        case .rated(_, let binding)?:
            result = "rated"
            self.binding = binding
        case .suppressed(let reason)?:
            result = "suppressed"
            self.reason = reason
        case .dropped?: result = "dropped"
        case .invalidLevel?: result = "invalid"
        case nil: result = "unseen"
        }
        if report.storageError != nil { result = "notStored" }
    }
}

extension Response {
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Refuses requests without the board's API token: 401, never a hint of what the token is.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let presented = BearerToken.parse(request.headers[.authorization]), constantTimeEqual(presented, token) else {
            throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"], message: "missing or wrong API token / thiếu hoặc sai mã truy cập")
        }
        return try await next(request, context)
    }
}

func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    var difference = UInt8(x.count == y.count ? 0 : 1)
    for i in 0..<max(x.count, y.count) {
        difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
    }
    return difference == 0
}
