public import AsyncHTTPClient
public import Foundation
public import NIOCore
public import NIOHTTP1

/// An HTTP problem the CLI shows as it is: the server's own message when it sent one.
public struct CLIError: Error, CustomStringConvertible, Equatable {
    public var status: Int?
    public var message: String
    public init(status: Int? = nil, _ message: String) {
        self.status = status
        self.message = message
    }
    public var description: String { status.map { "HTTP \($0): \(message)" } ?? message }
}

extension HTTPClient {
    /// The CLI's client: like `.shared`, except that a refused connection or a failed TLS
    /// handshake is reported at once; `.shared` retries it until the request's 30 s timeout,
    /// so `hailong units` against a stopped server sat silent for half a minute.
    public static let cli: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(10)
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()
}

/// A JSON-over-HTTP endpoint with a bearer token: the central server or a board's local API.
public struct HTTPEndpoint: Sendable {
    public var baseURL: String
    public var token: String?
    public var client: HTTPClient
    public var timeout: TimeAmount

    public init(baseURL: String, token: String?, client: HTTPClient = .cli, timeout: TimeAmount = .seconds(30)) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
        self.client = client
        self.timeout = timeout
    }

    /// Sends a request; a 2xx answer's body comes back, anything else throws `CLIError`.
    @discardableResult
    public func send(_ method: HTTPMethod, _ path: String, json: (some Encodable)? = nil as String?, body: Data? = nil, contentType: String? = nil) async throws -> Data {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(json)))
        } else if let body {
            request.headers.add(name: "Content-Type", value: contentType ?? "application/octet-stream")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response: HTTPClientResponse
        do { response = try await client.execute(request, timeout: timeout) } catch {
            throw CLIError("cannot reach \(baseURL): \(Self.explain(error)) / không kết nối được \(baseURL)")
        }
        let buffer = try await response.body.collect(upTo: 64 << 20)
        let data = Data(buffer.readableBytesView)
        guard (200..<300).contains(response.status.code) else {
            let decoded = try? JSONDecoder().decode(ServerProblem.self, from: data)
            var message = decoded?.message ?? String(decoding: data.prefix(500), as: UTF8.self)
            if let problems = decoded?.problems {
                message += problems.map { "\n  line \($0.line): \($0.message)" }.joined()
            }
            throw CLIError(status: Int(response.status.code), message.isEmpty ? response.status.reasonPhrase : message)
        }
        return data
    }

    /// A connection failure in words: the system's text for an errno rather than NIO's dump.
    static func explain(_ error: any Error) -> String {
        if let io = error as? IOError {
            let reason = String(cString: strerror(io.errnoCode))
            return io.errnoCode == ECONNREFUSED ? "\(reason) (is the server running, and is the URL right?)" : reason
        }
        if let http = error as? HTTPClientError {
            switch http {
            case .connectTimeout, .readTimeout, .deadlineExceeded: return "no answer in time (\(http))"
            default: return "\(http)"
            }
        }
        return "\(error)"
    }

    public func get<T: Decodable>(_ path: String, as type: T.Type = T.self) async throws -> T {
        try decode(try await send(.GET, path))
    }

    public func post<T: Decodable>(_ path: String, json: some Encodable, as type: T.Type = T.self) async throws -> T {
        try decode(try await send(.POST, path, json: json))
    }

    func decode<T: Decodable>(_ data: Data) throws -> T {
        do { return try JSONDecoder().decode(T.self, from: data) } catch {
            throw CLIError("unexpected answer: \(String(decoding: data.prefix(300), as: UTF8.self))")
        }
    }
}

struct ServerProblem: Decodable {
    struct Row: Decodable { var line: Int; var message: String }
    var error: String?
    var message: String?
    var problems: [Row]?
}

/// Percent-encodes a query or path value.
public func urlEncoded(_ value: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
}
