import Foundation
import HailongDomain
import Hummingbird
import Logging
import NIOCore

/// Boards: creation with a one-time enrollment code, enrollment, listing with health, revocation.
struct BoardsController {
    let server: ServerContext
    /// How long an enrollment code stays valid.
    static let codeLifetime: Duration = .seconds(24 * 3600)

    struct NewBoard: Decodable { var unit: String; var counterId: Int64; var scale: Scale? }
    struct NewBoardReply: Encodable { var board: BoardInfo; var enrollmentCode: String; var expiresAt: String }

    func register(_ router: Router<ServerRequestContext>) {
        router.post("/v1/boards") { request, context in
            let account = try await server.auth.account(request, [.admin, .technician])
            let new = try await request.decodeJSON(NewBoard.self, context: context)
            _ = try await server.auth.scope(account, unit: new.unit)
            let code = Secret.enrollmentCode()
            let expires = server.now() + Self.codeLifetime
            let board = try await server.store.createBoard(
                unit: new.unit, counterId: new.counterId, scale: new.scale ?? .vn3, codeHash: TokenDigest.hex(code), expiresAt: expires)
            server.logger.debug("board created", metadata: ["board": "\(board.id)", "unit": "\(board.unit)"])
            return try Response.json(NewBoardReply(board: board, enrollmentCode: code, expiresAt: expires.rfc3339), status: .created)
        }
        router.get("/v1/boards") { request, _ in
            let account = try await server.auth.account(request, Set(Role.allCases))
            let units = try await server.auth.scope(account, unit: request.uri.queryParameters.get("unit"))
            return try Response.json(["boards": try await server.store.boards(units: units.map(\.code))])
        }
        router.post("/v1/boards/{id}/revoke") { request, context in
            let account = try await server.auth.account(request, [.admin, .technician])
            let id = try context.parameters.require("id")
            guard let board = try await server.store.board(id: id) else { throw APIError.notFound("board \(id)") }
            _ = try await server.auth.scope(account, unit: board.unit)
            try await server.store.revokeBoard(id: id)
            server.auth.boards.forget(board: id)
            return try Response.json(try await server.store.board(id: id))
        }
        // A board's raw events as stored, in seq order: the export that shows which events were
        // filed by arrival time (the board could not vouch for their clock), and what a
        // technician compares with the board's own log.
        router.get("/v1/boards/{id}/events") { request, context in
            let account = try await server.auth.account(request, [.admin, .technician])
            let id = try context.parameters.require("id")
            guard let board = try await server.store.board(id: id) else { throw APIError.notFound("board \(id)") }
            _ = try await server.auth.scope(account, unit: board.unit)
            let query = request.uri.queryParameters
            guard let after = Int64(query.get("after") ?? "0"), after >= 0 else { throw APIError.badRequest("after must be a seq ≥ 0") }
            guard let limit = Int(query.get("limit") ?? "1000"), (1...10_000).contains(limit) else {
                throw APIError.badRequest("limit must be 1–10000")
            }
            return try Response.json(["events": try await server.store.events(board: id, after: after, limit: limit)])
        }
        router.post("/v1/boards/enroll") { request, context in
            let enroll = try await request.decodeJSON(EnrollRequest.self, context: context, limit: 4096)
            let code = enroll.code.uppercased().trimmingCharacters(in: .whitespaces)
            let token = Secret.token(prefix: "hlb_")
            let board: BoardInfo
            do {
                board = try await server.store.enroll(codeHash: TokenDigest.hex(code), tokenHash: TokenDigest.hex(token), now: server.now())
            } catch StoreError.notFound, StoreError.invalid {
                // One answer whether the code never existed, expired or was used: the answer
                // must not help anyone guess codes.
                server.metrics.authFailure(.unauthorized)
                server.logger.notice("enrollment refused", metadata: ["client": "\(context.clientAddress)"])
                throw APIError(
                    .unauthorized, "invalidCode",
                    "unknown, expired or already used enrollment code / mã đăng ký không đúng, đã hết hạn hoặc đã dùng")
            }
            server.logger.debug("board enrolled", metadata: ["board": "\(board.id)"])
            return try Response.json(
                EnrollReply(
                    boardId: board.id, token: token, unit: board.unit, counter: board.counter, scale: board.scale,
                    timeZone: board.timeZone))
        }
    }
}

/// `POST /v1/ingest`: a board's batch, stored exactly once in effect.
struct IngestController {
    let server: ServerContext

    func register(_ router: Router<ServerRequestContext>) {
        router.post("/v1/ingest", use: ingest)
    }

    /// Counts and logs a batch the database did not take in time, and returns the error to throw
    /// (503 with `Retry-After`, by `JSONErrorMiddleware`).
    private func refuse(_ reason: ServerMetrics.Reject, _ error: StoreUnavailable, board: String? = nil) -> StoreUnavailable {
        server.metrics.rejects(reason)
        server.logger.warning("ingest not stored: the database did not answer", metadata: ["board": "\(board ?? "?")", "why": "\(error)"])
        return error
    }

    /// Counts and logs a refused batch, and returns the error to throw.
    private func refuse(_ reason: ServerMetrics.Reject, _ error: APIError, board: String?) -> APIError {
        server.metrics.rejects(reason)
        server.logger.notice(
            "ingest refused", metadata: ["board": "\(board ?? "?")", "status": "\(error.status.code)", "why": "\(error.message)"])
        return error
    }

    @Sendable func ingest(_ request: Request, context: ServerRequestContext) async throws -> Response {
        let started = ContinuousClock.now
        let board: BoardInfo
        do { board = try await server.auth.board(request, within: server.config.ingestStoreBound) } catch let error as StoreUnavailable {
            throw refuse(.unavailable, error)
        } catch {
            server.metrics.rejects(.unauthorized)
            throw error
        }
        let body: ByteBuffer
        do { body = try await request.body.collect(upTo: 4 << 20) } catch {
            throw refuse(.invalid, APIError(.contentTooLarge, "tooLarge", "a batch body is at most 4 MiB"), board: board.id)
        }
        let bytes = Array(body.readableBytesView)
        let batch: IngestBatch
        do { batch = try IngestBody.decode(bytes) } catch let error as DecodingError {
            throw refuse(.invalid, APIError.badRequest("invalid JSON body: \(JSONProblem.explain(error, in: bytes))"), board: board.id)
        } catch {
            throw refuse(.invalid, APIError.badRequest("invalid JSON body"), board: board.id)
        }
        guard Text.nfc(batch.boardId) == board.id else {
            throw refuse(.forbidden, APIError.forbidden("this token belongs to board \(board.id), not \(batch.boardId)"), board: board.id)
        }
        let receivedAt = server.now()
        let events: [CheckedEvent]
        do { events = try batch.checked(scale: board.scale, receivedAt: receivedAt) } catch let error as BatchProblem {
            var extra: [String: JSONValue] = [:]
            if let seq = error.seq { extra["seq"] = .int(seq) }
            throw refuse(.invalid, APIError(.unprocessableContent, "invalidBatch", error.description, extra: extra), board: board.id)
        }
        let outcome: IngestOutcome
        do {
            outcome = try await StoreUnavailable.bounding(server.config.ingestStoreBound) { [store = server.store] in
                try await store.ingest(board: board, batch: batch, events: events, receivedAt: receivedAt)
            }
        } catch let error as StoreUnavailable {
            throw refuse(.unavailable, error, board: board.id)
        }
        switch outcome {
        case .revoked:
            server.auth.boards.forget(board: board.id)
            throw refuse(.unauthorized, APIError.unauthorized("board \(board.id) is revoked"), board: board.id)
        case .gap(let acknowledged, let expected):
            server.metrics.rejects(.gap)
            server.logger.info("ingest gap", metadata: ["board": "\(board.id)", "from": "\(batch.fromSeq)", "expected": "\(expected)"])
            return try Response.json(
                IngestReply(
                    acknowledgedSeq: acknowledged, expectedSeq: expected, error: "gap",
                    message: "batch starts at seq \(batch.fromSeq); expected \(expected)"),
                status: .conflict)
        case .stored(let acknowledged, let newEvents, let mismatches):
            server.metrics.stored(board: board.id, events: newEvents, duration: ContinuousClock.now - started)
            if mismatches > 0 {
                server.logger.warning("board counts disagree with the server's", metadata: ["board": "\(board.id)", "days": "\(mismatches)"])
            }
            return try Response.json(IngestReply(acknowledgedSeq: acknowledged))
        }
    }
}

/// Reports, dossier look-up, alerts.
struct ReportsController {
    let server: ServerContext
    let reports: SatisfactionReport

    func register(_ router: Router<ServerRequestContext>) {
        router.get("/v1/reports/satisfaction") { request, _ in
            let account = try await server.auth.account(request, [.admin, .manager])
            let query = request.uri.queryParameters
            let units = try await server.auth.scope(account, unit: query.get("unit") ?? account.unit)
            // The subtree's top: the unit whose parent is not in it (a set: a city has ~1,000 units).
            let codes = Set(units.map(\.code))
            guard let root = units.first(where: { unit in unit.parent.map { !codes.contains($0) } ?? true }) else {
                throw APIError.notFound("unit")
            }
            let byText = query.get("by") ?? "unit"
            guard let by = ReportDimension(rawValue: byText) else {
                throw APIError.badRequest("by must be one of \(ReportDimension.allCases.map(\.rawValue).joined(separator: "|")), not \(byText)")
            }
            // `from`/`to` (YYYY-MM-DD) or `period` (today|7d|30d|month|quarter|year), as the
            // dashboard's period picker; by default the last 30 days.
            let today = reports.zones.localDay(root.timeZone, atSecond: floorDiv(server.now().microseconds, 1_000_000))
            let period: ReportPeriod
            period = try ReportPeriod.asked(period: query.get("period"), from: query.get("from"), to: query.get("to"), today: today)
            let (fromDay, toDay) = period.days(today: today)
            let format = query.get("format") ?? "json"
            let rows = try await reports.rows(units: units, fromDay: fromDay, toDay: toDay, by: by)
            switch format {
            case "json":
                return Response(
                    status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(bytes: ReportBody.json(Report(rows: rows)))))
            case "csv":
                return Response(
                    status: .ok,
                    headers: [
                        .contentType: "text/csv; charset=utf-8",
                        .contentDisposition: "attachment; filename=\"satisfaction-\(root.code)-\(by.rawValue).csv\"",
                    ],
                    body: .init(byteBuffer: .init(string: CSV.report(rows))))
            default:
                throw APIError.badRequest("format must be json or csv, not \(format)")
            }
        }
        router.get("/v1/dossiers/{code}") { request, context in
            let account = try await server.auth.account(request, [.admin, .manager])
            let raw = try context.parameters.require("code")
            let code = raw.removingPercentEncoding ?? raw
            let dossier: DossierCode
            do { dossier = try DossierCode(code) } catch let error as CodeError { throw APIError.badRequest(error.description) }
            let visible = Set(try await server.auth.scope(account, unit: nil).map(\.code))
            let events = try await server.store.events(dossier: dossier.value).filter { visible.contains($0.unit) }
            guard !events.isEmpty else { throw APIError.notFound("dossier \(dossier.value)") }
            return try Response.json(DossierReply(dossier: dossier.value, events: events))
        }
        router.get("/v1/alerts") { request, _ in
            let account = try await server.auth.account(request, Set(Role.allCases))
            let units = try await server.auth.scope(account, unit: request.uri.queryParameters.get("unit"))
            return try Response.json(["alerts": try await server.store.alerts(units: units.map(\.code))])
        }
    }
}

/// A dossier's story: the sessions it was served in, their outcome and its rating.
struct DossierReply: Encodable {
    var dossier: String
    /// `rated`, `unrated`, or `open` (no session outcome received yet).
    var outcome: String
    var level: Int?
    var ratedAt: String?
    var clerk: String?
    var unit: String?
    var counter: String?
    var events: [StoredEvent]

    init(dossier: String, events: [StoredEvent]) {
        self.dossier = dossier
        self.events = events
        let rating = events.last { $0.event.kind == .rating }
        let session = events.last { $0.event.kind == .session }
        outcome = rating != nil ? "rated" : session?.event.outcome?.rawValue ?? "open"
        level = rating?.event.level
        ratedAt = rating?.event.at
        clerk = (rating ?? session ?? events.last)?.event.clerk
        unit = events.last?.unit
        counter = events.last?.counter
    }
}
