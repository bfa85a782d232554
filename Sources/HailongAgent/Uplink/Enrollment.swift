public import AsyncHTTPClient
import Foundation
public import HailongDomain
import NIOCore
import NIOHTTP1
import NIOSSL

/// What the board keeps after `hailong-agent enroll` (DESIGN §6): its id and secret token on
/// the server, in `agent-enrollment.json` beside the event log, readable by the agent's user only.
public struct Enrollment: Codable, Sendable, Equatable {
    /// The server it enrolled with.
    public var server: String
    public var boardId: String
    /// The bearer token for `POST /v1/ingest`; the server keeps only its hash.
    public var token: String
    public var unit: String
    public var counter: String
    public var enrolledAt: String

    public init(server: String, boardId: String, token: String, unit: String, counter: String, enrolledAt: String) {
        self.server = server
        self.boardId = boardId
        self.token = token
        self.unit = unit
        self.counter = counter
        self.enrolledAt = enrolledAt
    }

    /// `agent-enrollment.json` in the state directory, i.e. the directory of `storage.path`.
    public static func path(storagePath: String) -> String {
        (storagePath as NSString).deletingLastPathComponent.isEmpty
            ? "agent-enrollment.json" : (storagePath as NSString).deletingLastPathComponent + "/agent-enrollment.json"
    }

    /// The stored enrollment, or nil if the board was never enrolled.
    /// - Throws: `EnrollmentError.unreadable` when the file exists but cannot be used.
    public static func load(storagePath: String) throws(EnrollmentError) -> Enrollment? {
        let path = path(storagePath: storagePath)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable(path: path, reason: "cannot be read (permissions?)")
        }
        do {
            return try JSONDecoder().decode(Enrollment.self, from: data)
        } catch {
            throw .unreadable(path: path, reason: "not a Hailong enrollment file (\(error))")
        }
    }

    /// Writes the file with mode 0600 (created so, never world-readable even for a moment),
    /// atomically: a crash leaves the old file or the new one, never half of one.
    public func save(storagePath: String) throws(EnrollmentError) {
        let path = Self.path(storagePath: storagePath)
        let temporary = path + ".tmp"
        let data: Data
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            data = try encoder.encode(self)
        } catch {
            throw .cannotSave(path: path, reason: "\(error)")
        }
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw .cannotSave(path: path, reason: String(cString: strerror(errno))) }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        guard written == data.count, synced == 0 else {
            unlink(temporary)
            throw .cannotSave(path: path, reason: "write failed: \(String(cString: strerror(errno)))")
        }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw .cannotSave(path: path, reason: String(cString: strerror(errno)))
        }
    }
}

/// Why enrollment failed, worded for the technician at the counter.
public enum EnrollmentError: Error, Sendable, Equatable, CustomStringConvertible {
    case alreadyEnrolled(path: String, boardId: String)
    case badServerURL(String)
    case caFile(path: String, reason: String)
    /// The server does not say whether a code never existed, expired or was used (so that
    /// answers do not help guess codes): the message tells the technician all three.
    case refused(String)
    case unreachable(server: String, reason: String)
    case tls(server: String, reason: String)
    case unexpected(status: Int, body: String)
    case unreadable(path: String, reason: String)
    case cannotSave(path: String, reason: String)

    public var description: String {
        switch self {
        case .alreadyEnrolled(let path, let boardId):
            "this board is already enrolled as \(boardId) (\(path)); use --force to replace the enrollment / bảng đã được đăng ký"
        case .badServerURL(let url): "--server \(url): not an http:// or https:// URL (e.g. https://hailong.example.gov.vn:8730)"
        case .caFile(let path, let reason): "uplink.ca_file \(path): \(reason)"
        case .refused(let why):
            "the server refused the code: \(why); codes work once and for 24 h: check it, or ask for a new one with `hailong boards add` / mã đăng ký không hợp lệ"
        case .unreachable(let server, let reason): "the server \(server) is unreachable: \(reason) / không kết nối được máy chủ"
        case .tls(let server, let reason):
            "TLS problem with \(server): \(reason) (a private CA? set uplink.ca_file) / lỗi chứng chỉ TLS"
        case .unexpected(let status, let body): "the server answered \(status): \(body)"
        case .unreadable(let path, let reason): "enrollment \(path): \(reason)"
        case .cannotSave(let path, let reason): "cannot save the enrollment to \(path): \(reason)"
        }
    }
}

/// The HTTP client the board uses towards the server: the system's CA store plus, when
/// `uplink.ca_file` is set, a private CA (government servers often use one).
public enum UplinkHTTP {
    public static func makeClient(caFile: String) throws(EnrollmentError) -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        if !caFile.isEmpty {
            try checkCAFile(caFile)
            tls.additionalTrustRoots = [.file(caFile)]
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(60))
        // The uplink has its own backoff (full jitter, capped at 5 min) and `enroll` should
        // answer at once: without this the pool re-tries a refused port or a rejected
        // certificate until the connect timeout and only then reports the last error.
        configuration.connectionPool.retryConnectionEstablishment = false
        // Idle connections are closed before the server would close them (its head timeout,
        // 10 s by default), so a batch is never written into a connection the server is closing.
        configuration.connectionPool.idleTimeout = .seconds(5)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Checks that `uplink.ca_file` (if set) is a readable PEM certificate file.
    public static func checkCAFile(_ caFile: String) throws(EnrollmentError) {
        guard !caFile.isEmpty else { return }
        guard FileManager.default.isReadableFile(atPath: caFile) else { throw .caFile(path: caFile, reason: "missing or unreadable") }
        do {
            _ = try NIOSSLCertificate.fromPEMFile(caFile)
        } catch {
            throw .caFile(path: caFile, reason: "not a PEM certificate file (\(error))")
        }
    }

    /// A connection failure in words for the technician: the system's text for an errno
    /// ("Connection refused") rather than NIO's description of the error value.
    public static func explain(_ error: any Error) -> String {
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)) }
        return "\(error)"
    }

    /// True when `error` came from the TLS layer (handshake, certificate).
    static func isTLS(_ error: any Error) -> Bool {
        if error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError { return true }
        let text = String(reflecting: error)
        return text.contains("SSL") || text.contains("TLS") || text.contains("certificate")
    }

    /// A base URL without a trailing slash, or nil when it is not http(s).
    static func base(_ server: String) -> String? {
        var base = server.trimmingCharacters(in: .whitespaces)
        while base.hasSuffix("/") { base.removeLast() }
        guard let url = URL(string: base), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            url.host != nil
        else { return nil }
        return base
    }
}

/// `hailong-agent enroll`: exchanges a one-time code for a board id and token.
public enum Enroller {
    /// - Parameters:
    ///   - server: the server's base URL.
    ///   - code: the code from `hailong boards add`.
    ///   - storagePath: `storage.path`; the enrollment goes beside it.
    ///   - caFile: `uplink.ca_file` (may be empty).
    ///   - force: replace an existing enrollment.
    ///   - now: the time recorded in the file.
    public static func enroll(
        server: String, code: String, storagePath: String, caFile: String, force: Bool, now: WallTime
    ) async throws(EnrollmentError) -> Enrollment {
        if !force, let existing = try Enrollment.load(storagePath: storagePath) {
            throw .alreadyEnrolled(path: Enrollment.path(storagePath: storagePath), boardId: existing.boardId)
        }
        guard let base = UplinkHTTP.base(server) else { throw .badServerURL(server) }
        let code = Text.nfc(code.trimmingCharacters(in: .whitespacesAndNewlines))
        guard !code.isEmpty, code.count <= 64 else { throw .refused("the code is empty or too long") }
        let client = try UplinkHTTP.makeClient(caFile: caFile)
        let result: Result<EnrollReply, EnrollmentError> = await exchange(client: client, base: base, code: code)
        try? await client.shutdown()
        let reply = try result.get()
        let enrollment = Enrollment(
            server: base, boardId: reply.boardId, token: reply.token, unit: reply.unit, counter: reply.counter,
            enrolledAt: now.rfc3339)
        try enrollment.save(storagePath: storagePath)
        return enrollment
    }

    private static func exchange(client: HTTPClient, base: String, code: String) async -> Result<EnrollReply, EnrollmentError> {
        var request = HTTPClientRequest(url: base + "/v1/boards/enroll")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        do {
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(EnrollRequest(code: code))))
        } catch {
            return .failure(.refused("the code cannot be encoded"))
        }
        let status: Int
        let body: ByteBuffer
        do {
            let response = try await client.execute(request, timeout: .seconds(30))
            status = Int(response.status.code)
            body = try await response.body.collect(upTo: 1 << 20)
        } catch {
            if UplinkHTTP.isTLS(error) { return .failure(.tls(server: base, reason: "\(error)")) }
            return .failure(.unreachable(server: base, reason: UplinkHTTP.explain(error)))
        }
        let data = Data(buffer: body)
        switch status {
        case 200, 201:
            guard let reply = try? JSONDecoder().decode(EnrollReply.self, from: data) else {
                return .failure(.unexpected(status: status, body: "not an enrollment reply (is this a Hailong server?)"))
            }
            return .success(reply)
        case 400, 401, 403, 404, 422:
            struct ErrorBody: Decodable { var message: String? }
            let message = (try? JSONDecoder().decode(ErrorBody.self, from: data))?.message
                ?? String(decoding: data.prefix(300), as: UTF8.self)
            if status == 404 { return .failure(.unexpected(status: status, body: "no enrollment endpoint (is this a Hailong server?)")) }
            return .failure(.refused(message))
        default:
            return .failure(.unexpected(status: status, body: String(decoding: data.prefix(300), as: UTF8.self)))
        }
    }
}
