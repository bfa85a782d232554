import Foundation
import HailongDomain
import Hummingbird

/// The dashboard's sign-in: a random session id in an `HttpOnly`, `SameSite=Strict` cookie; the
/// store keeps its SHA-256, the account and the session's CSRF token, so every replica knows
/// every session and a logout ends it everywhere. A session ends `web.session_hours` after its
/// last use; its last use is written at most once a minute.
struct WebSessions: Sendable {
    static let cookie = "hl_session"
    /// Before sign-in the login form's CSRF token is a cookie of its own (double submit).
    static let loginCookie = "hl_login"
    static let languageCookie = "hl_lang"
    private static let touchEvery: Duration = .seconds(60)

    let server: ServerContext

    var lifetime: Duration { .seconds(Int64(server.config.sessionHours) * 3600) }

    enum Lookup {
        case none
        case expired
        case active(WebSession)
    }

    /// The request's session, if it has a live one.
    func current(_ request: Request) async throws -> Lookup {
        guard let id = request.cookies[Self.cookie]?.value, id.utf8.count == 64 + 4, id.hasPrefix("hls_") else { return .none }
        let hash = TokenDigest.hex(id)
        guard let session = try await server.store.webSession(idHash: hash) else { return .none }
        let now = server.now()
        if now - session.lastSeenAt > lifetime {
            try await server.store.deleteWebSession(idHash: hash)
            return .expired
        }
        if now - session.lastSeenAt > Self.touchEvery { try await server.store.touchWebSession(idHash: hash, now: now) }
        return .active(session)
    }

    /// Starts a session for `account`; returns its cookie.
    func start(_ account: Account, secure: Bool) async throws -> Cookie {
        let id = Secret.token(prefix: "hls_")
        let now = server.now()
        try await server.store.createWebSession(
            idHash: TokenDigest.hex(id), accountId: account.id, csrf: Secret.token(prefix: ""), now: now, expiredBefore: now + (Duration.zero - lifetime))
        return Cookie(name: Self.cookie, value: id, path: "/", secure: secure, httpOnly: true, sameSite: .strict)
    }

    func end(_ session: WebSession) async throws {
        try await server.store.deleteWebSession(idHash: session.idHash)
    }

    /// A cookie that removes `name`.
    static func clearing(_ name: String, path: String = "/", secure: Bool) -> Cookie {
        Cookie(name: name, value: "", maxAge: 0, path: path, secure: secure, httpOnly: true, sameSite: .strict)
    }

    /// Constant-time comparison of a form's token with the expected one.
    static func tokensMatch(_ given: String?, _ expected: String) -> Bool {
        guard let given, !expected.isEmpty else { return false }
        let a = Array(given.utf8), b = Array(expected.utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
