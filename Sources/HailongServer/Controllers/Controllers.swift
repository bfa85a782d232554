import Foundation
import HailongDomain
import Hummingbird
import HummingbirdBcrypt
import Logging
import NIOCore

/// What every controller shares.
struct ServerContext: Sendable {
    let store: any HailongStore
    let auth: Authenticator
    let metrics: ServerMetrics
    let now: @Sendable () -> WallTime
    let config: ServerConfig
    let logger: Logger
    let throttle: LoginThrottle
    let passwords: PasswordHasher
}

/// What an account must have, checked the same way by `POST /v1/accounts` and
/// `hailong-server admin create`.
enum AccountRules {
    static func check(role: Role, unit: String?, password: String) throws(APIError) {
        guard (8...72).contains(password.utf8.count) else { throw APIError.badRequest("password must be 8–72 bytes / mật khẩu phải dài 8–72 byte") }
        if role == .manager, unit == nil { throw APIError.badRequest("a manager needs a unit (--unit) / tài khoản quản lý cần một đơn vị") }
    }
}

// MARK: - Accounts

struct AccountsController {
    let server: ServerContext

    struct Login: Decodable { var username: String; var password: String }
    struct LoginReply: Encodable { var token: String; var username: String; var role: Role; var unit: String? }
    struct NewAccount: Decodable { var username: String; var password: String; var role: Role; var unit: String? }

    func register(_ router: Router<ServerRequestContext>) {
        router.post("/v1/login", use: login)
        router.post("/v1/accounts") { request, context in
            _ = try await server.auth.account(request, [.admin])
            let new = try await request.decodeJSON(NewAccount.self, context: context)
            try AccountRules.check(role: new.role, unit: new.unit, password: new.password)
            let hash = try await busyAsError { try await server.passwords.hash(new.password) }
            let account = try await server.store.createAccount(username: new.username, passwordHash: hash, role: new.role, unit: new.unit)
            return try Response.json(account, status: .created)
        }
        router.get("/v1/me") { request, _ in
            try Response.json(try await server.auth.account(request, Set(Role.allCases)))
        }
    }

    /// `POST /v1/login`: the password checked as `ServerContext.signIn` does, then a new API token.
    @Sendable func login(_ request: Request, context: ServerRequestContext) async throws -> Response {
        let login = try await request.decodeJSON(Login.self, context: context)
        let account = try await server.signIn(
            username: login.username, password: login.password, address: server.clientAddress(request, context), request: request)
        let token = Secret.token(prefix: "hla_")
        try await server.store.addAPIToken(hash: TokenDigest.hex(token), accountId: account.id, now: server.now())
        return try Response.json(LoginReply(token: token, username: account.username, role: account.role, unit: account.unit), status: .created)
    }
}

extension ServerContext {
    /// Checks a username and password, for the API's and the dashboard's logins alike: throttled
    /// per username and client address (429 with `Retry-After`), bcrypt on its own thread (503
    /// when its queue is full), as long for an unknown username as for a wrong password (401).
    func signIn(username: String, password: String, address: String, request: Request) async throws -> Account {
        let now = self.now()
        if let wait = try await throttle.admit(username: username, address: address, now: now) {
            let seconds = max(1, wait.components.seconds + (wait.components.attoseconds > 0 ? 1 : 0))
            var error = APIError(
                .tooManyRequests, "throttled",
                "too many failed logins; try again in \(seconds) s / đăng nhập sai quá nhiều lần, thử lại sau \(seconds) giây")
            error.headers[.retryAfter] = "\(seconds)"
            throw auth.refused(error, request, reason: .throttled)
        }
        // A password bcrypt cannot take (over 72 bytes) is checked against the decoy like an
        // unknown user, so its answer takes the same time.
        var found: (Account, String)?
        let matches: Bool
        do {
            if password.utf8.count <= 72 { found = try await store.account(username: username) }
            matches = try await busyAsError { try await passwords.verify(password, hash: found?.1) }
        } catch {
            try? await throttle.unchecked(username: username, address: address, now: now)
            throw error
        }
        guard matches, let (account, _) = found else {
            // The attempt was counted before the check, and stays counted.
            metrics.authFailure(.login)
            logger.notice("login failed", metadata: ["username": "\(Text.nfc(username))", "client": "\(address)"])
            throw APIError.unauthorized("wrong username or password / sai tên đăng nhập hoặc mật khẩu")
        }
        try await throttle.succeeded(username: username, address: address, now: now)
        return account
    }

    /// The client's address: the connection's peer, or — when the peer is one of
    /// `web.trusted_proxies` — the last address its `X-Forwarded-For` names.
    func clientAddress(_ request: Request, _ context: ServerRequestContext) -> String {
        let peer = context.clientAddress
        guard config.trustedProxies.contains(peer), let forwarded = request.headers[.xForwardedFor] else { return peer }
        let last = forwarded.split(separator: ",").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        return last.isEmpty ? peer : last
    }

    /// Whether the browser reached us over HTTPS: only a trusted proxy can say so.
    func cameOverHTTPS(_ request: Request, _ context: ServerRequestContext) -> Bool {
        config.trustedProxies.contains(context.clientAddress) && request.headers[.xForwardedProto]?.lowercased() == "https"
    }
}

/// bcrypt's queue full → 503 with `Retry-After`.
func busyAsError<T>(_ body: () async throws -> T) async throws -> T {
    do { return try await body() } catch is PasswordHasher.Busy {
        var error = APIError(.serviceUnavailable, "busy", "too many password checks at once; try again / máy chủ đang bận, thử lại sau")
        error.headers[.retryAfter] = "1"
        throw error
    }
}

// MARK: - Organisation

struct OrganisationController {
    let server: ServerContext

    struct NewCounter: Decodable { var unit: String; var name: String }
    struct ImportReply: Encodable { var imported: Int }

    func register(_ router: Router<ServerRequestContext>) {
        router.get("/v1/units") { request, _ in
            let account = try await server.auth.account(request, Set(Role.allCases))
            let units = try await server.auth.scope(account, unit: request.uri.queryParameters.get("unit"))
            return try Response.json(["units": units])
        }
        router.post("/v1/units") { request, context in
            _ = try await server.auth.account(request, [.admin])
            let new = try await request.decodeJSON(NewUnit.self, context: context)
            return try Response.json(try await server.store.createUnit(new), status: .created)
        }
        router.get("/v1/counters") { request, _ in
            let account = try await server.auth.account(request, Set(Role.allCases))
            let units = try await server.auth.scope(account, unit: request.uri.queryParameters.get("unit"))
            return try Response.json(["counters": try await server.store.counters(units: units.map(\.code))])
        }
        router.post("/v1/counters") { request, context in
            _ = try await server.auth.account(request, [.admin])
            let new = try await request.decodeJSON(NewCounter.self, context: context)
            return try Response.json(try await server.store.createCounter(unit: new.unit, name: new.name), status: .created)
        }
        router.get("/v1/clerks") { request, _ in
            let account = try await server.auth.account(request, [.admin, .manager])
            let units = try await server.auth.scope(account, unit: request.uri.queryParameters.get("unit"))
            return try Response.json(["clerks": try await server.store.clerks(units: units.map(\.code))])
        }
        router.post("/v1/clerks") { request, context in
            let account = try await server.auth.account(request, [.admin, .manager])
            let clerk = try await request.decodeJSON(Clerk.self, context: context)
            let checked = try ClerkImport.check(code: clerk.code, name: clerk.name, unit: clerk.unit)
            _ = try await server.auth.scope(account, unit: checked.unit)
            try await server.store.upsertClerks([checked])
            return try Response.json(checked, status: .created)
        }
        // CSV import: `code,name,unit` with a header line; all rows or none.
        router.post("/v1/clerks/import") { request, _ in
            let account = try await server.auth.account(request, [.admin, .manager])
            let buffer: ByteBuffer
            do { buffer = try await request.body.collect(upTo: 4 << 20) } catch {
                throw APIError(.contentTooLarge, "tooLarge", "CSV larger than 4 MiB")
            }
            let bytes = Array(buffer.readableBytesView)
            guard let text = String(validating: bytes, as: UTF8.self) else {
                // A spreadsheet saved in a legacy code page (Windows-1258) would otherwise be
                // imported as U+FFFD: say where, and how to save it.
                let line = ClerkImport.firstLineNotUTF8(bytes)
                throw APIError(
                    .unprocessableContent, "notUTF8",
                    "line \(line) is not UTF-8: save the file as \"CSV UTF-8\" / dòng \(line) không phải UTF-8, hãy lưu tệp dạng CSV UTF-8",
                    extra: ["problems": .array([.object(["line": .int(Int64(line)), "message": .string("not UTF-8")])])])
            }
            let defaultUnit = request.uri.queryParameters.get("unit")
            var (clerks, problems) = ClerkImport.parse(text, defaultUnit: defaultUnit)
            let known = Set(try await server.auth.scope(account, unit: nil).map(\.code))
            for (line, clerk) in clerks where !known.contains(clerk.unit) {
                problems.append((line, "unit \(clerk.unit) is unknown or outside your unit"))
            }
            guard problems.isEmpty else {
                throw APIError(
                    .unprocessableContent, "invalidRows", "\(problems.count) bad row(s); nothing imported",
                    extra: [
                        "problems": .array(
                            problems.sorted { $0.0 < $1.0 }.map { .object(["line": .int(Int64($0.0)), "message": .string($0.1)]) })
                    ])
            }
            try await server.store.upsertClerks(clerks.map(\.1))
            return try Response.json(ImportReply(imported: clerks.count))
        }
    }
}

/// Clerk rows from CSV: checked, NFC, every bad row reported by its line number.
enum ClerkImport {
    static func check(code: String, name: String, unit: String) throws -> Clerk {
        do {
            return Clerk(
                code: try Validate.code(code, field: "code"), name: try Validate.name(name, field: "name"),
                unit: try Validate.code(unit, field: "unit"))
        } catch let error as StoreError { throw APIError(.unprocessableContent, "invalid", error.description) }
    }

    static func parse(_ text: String, defaultUnit: String?) -> ([(Int, Clerk)], [(Int, String)]) {
        var text = text
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        let records = parseCSV(text)
        guard let header = records.first else { return ([], [(1, "empty file: expected a header code,name,unit")]) }
        let columns = header.fields.map { Text.nfc($0).trimmingCharacters(in: .whitespaces).lowercased() }
        guard let codeIndex = columns.firstIndex(of: "code"), let nameIndex = columns.firstIndex(of: "name") else {
            return ([], [(header.line, "header must name the columns code and name (and unit)")])
        }
        let unitIndex = columns.firstIndex(of: "unit")
        if unitIndex == nil, defaultUnit == nil { return ([], [(header.line, "no unit column and no ?unit= given")]) }
        var clerks: [(Int, Clerk)] = []
        var problems: [(Int, String)] = []
        var seen: [String: Int] = [:]
        for record in records.dropFirst() {
            if record.fields.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { continue }
            guard record.fields.count == columns.count else {
                problems.append((record.line, "expected \(columns.count) fields, found \(record.fields.count)"))
                continue
            }
            let unit = unitIndex.map { record.fields[$0] } ?? defaultUnit ?? ""
            do {
                let clerk = try check(code: record.fields[codeIndex], name: record.fields[nameIndex], unit: unit)
                if let first = seen[clerk.code] {
                    problems.append((record.line, "clerk code \(clerk.code) repeats line \(first)"))
                    continue
                }
                seen[clerk.code] = record.line
                clerks.append((record.line, clerk))
            } catch let error as APIError {
                problems.append((record.line, error.message))
            } catch {
                problems.append((record.line, "\(error)"))
            }
        }
        return (clerks, problems)
    }

    /// The 1-based line of the first byte sequence that is not UTF-8 (1 if none is found).
    static func firstLineNotUTF8(_ bytes: [UInt8]) -> Int {
        var start = 0
        var line = 1
        for (index, byte) in bytes.enumerated() where byte == 0x0A {
            if String(validating: bytes[start...index], as: UTF8.self) == nil { return line }
            start = index + 1
            line += 1
        }
        return line
    }

    struct Record { var line: Int; var fields: [String] }

    /// RFC 4180: quoted fields may hold commas, quotes ("") and line breaks.
    static func parseCSV(_ text: String) -> [Record] {
        var records: [Record] = []
        var fields: [String] = []
        var field = ""
        var quoted = false
        var line = 1
        var recordLine = 1
        var iterator = Array(text.unicodeScalars).makeIterator()
        var pending: Unicode.Scalar? = nil
        func next() -> Unicode.Scalar? {
            if let p = pending { pending = nil; return p }
            return iterator.next()
        }
        while let c = next() {
            if quoted {
                if c == "\"" {
                    if let n = next() {
                        if n == "\"" { field.unicodeScalars.append("\"") } else { quoted = false; pending = n }
                    } else { quoted = false }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"" where field.isEmpty: quoted = true
            case ",": fields.append(field); field = ""
            case "\r": break
            case "\n":
                fields.append(field)
                records.append(Record(line: recordLine, fields: fields))
                fields = []
                field = ""
                line += 1
                recordLine = line
            default: field.unicodeScalars.append(c)
            }
        }
        if !field.isEmpty || !fields.isEmpty {
            fields.append(field)
            records.append(Record(line: recordLine, fields: fields))
        }
        return records
    }
}
