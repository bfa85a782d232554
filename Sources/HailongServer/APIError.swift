import Foundation
import HailongDomain
public import HTTPTypes
public import Hummingbird
import NIOCore

/// An HTTP error with a JSON body naming the problem: `{"error": "gap", "message": "…"}`
/// plus any extra fields (an ingest gap carries `acknowledgedSeq` and `expectedSeq`).
public struct APIError: HTTPResponseError {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var extra: [String: JSONValue] = [:]
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, extra: [String: JSONValue] = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra
    }

    static func unauthorized(_ message: String = "missing or invalid bearer token") -> APIError {
        var error = APIError(.unauthorized, "unauthorized", message)
        error.headers[.wwwAuthenticate] = "Bearer"
        return error
    }

    static func forbidden(_ message: String) -> APIError { APIError(.forbidden, "forbidden", message) }
    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, "badRequest", message) }
    static func notFound(_ message: String) -> APIError { APIError(.notFound, "notFound", message) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var body: [String: JSONValue] = extra
        body["error"] = .string(code)
        body["message"] = .string(message)
        let data = (try? JSONEncoder.hailong.encode(body)) ?? Data("{\"error\":\"\(code)\"}".utf8)
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// A JSON value for error extras.
public enum JSONValue: Encodable, Sendable {
    case string(String)
    case int(Int64)
    case array([JSONValue])
    case object([String: JSONValue])

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let s): try container.encode(s)
        case .int(let n): try container.encode(n)
        case .array(let a): try container.encode(a)
        case .object(let o): try container.encode(o)
        }
    }
}

extension StoreError {
    var api: APIError {
        switch self {
        case .notFound(let what): APIError(.notFound, "notFound", "not found: \(what)")
        case .conflict(let what): APIError(.conflict, "conflict", what)
        case .invalid(let what): APIError(.unprocessableContent, "invalid", what)
        }
    }
}

extension ReportPeriod {
    /// The period a query asks for (`period`, or `from`/`to`), or a 400 naming the problem.
    static func asked(period: String?, from: String?, to: String?, today: Int64) throws -> ReportPeriod {
        let result = Result { () throws(Problem) -> ReportPeriod in
            try parse(period: period, from: from, to: to, today: today)
        }
        switch result {
        case .success(let period): return period
        case .failure(let problem): throw problem.api
        }
    }
}

extension ReportPeriod.Problem {
    /// The API's and the dashboard's answer to a period they cannot read.
    var api: APIError {
        switch self {
        case .unknownName(let name):
            APIError.badRequest("period must be one of \(ReportPeriod.Name.allCases.map(\.rawValue).joined(separator: "|")), not \(name)")
        case .notADate(let field, let text): APIError.badRequest("\(field) must be a date YYYY-MM-DD, not \(text)")
        case .reversed: APIError.badRequest("from is after to / ngày bắt đầu sau ngày kết thúc")
        case .tooLong: APIError.badRequest("at most ten years per report / tối đa mười năm")
        }
    }
}

extension JSONEncoder {
    static var hailong: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

extension Response {
    /// A JSON response.
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try JSONEncoder.hailong.encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension Request {
    /// Decodes a JSON body, turning a decoding failure into a 400 that says what is wrong.
    func decodeJSON<T: Decodable>(_ type: T.Type, context: some RequestContext, limit: Int = 2 << 20) async throws -> T {
        let buffer: ByteBuffer
        do { buffer = try await body.collect(upTo: limit) } catch {
            throw APIError(.contentTooLarge, "tooLarge", "request body larger than \(limit) bytes")
        }
        let bytes = Array(buffer.readableBytesView)
        do { return try JSONDecoder().decode(T.self, from: Data(bytes)) } catch let error as DecodingError {
            throw APIError.badRequest("invalid JSON body: \(JSONProblem.explain(error, in: bytes))")
        } catch {
            throw APIError.badRequest("invalid JSON body")
        }
    }
}

extension DecodingError {
    var readable: String {
        func path(_ context: Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch self {
        case .keyNotFound(let key, let context): return "missing key \(path(context)).\(key.stringValue)"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "wrong type at \(path(context)): \(context.debugDescription)"
        case .dataCorrupted(let context): return "\(path(context)): \(context.debugDescription)"
        @unknown default: return "\(self)"
        }
    }
}

/// Errors in one place: Hummingbird's own (no such route, a method the route lacks, a body it
/// cannot read), the store's refusals (`StoreError`: 404, 409, 422, whichever store raised
/// them) and a database that did not answer in time (`StoreUnavailable`: 503 with
/// `Retry-After`) in the server's error body, `{"error": …, "message": …}`, like every other
/// error. Anything else is a 500.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do { return try await next(request, context) } catch let error as StoreError {
            throw error.api
        } catch let error as StoreUnavailable {
            var api = APIError(.serviceUnavailable, "unavailable", "\(error)")
            api.headers[.retryAfter] = StoreUnavailable.retryAfter
            throw api
        } catch let error as HTTPError {
            let code = error.status == .notFound ? "notFound" : error.status == .methodNotAllowed ? "methodNotAllowed" : "httpError"
            let message = error.body ?? (error.status == .notFound ? "no such route: \(request.method) \(request.uri.path)" : error.status.reasonPhrase)
            var api = APIError(error.status, code, message)
            api.headers = error.headers
            throw api
        }
    }
}
