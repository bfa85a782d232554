import Foundation
import HailongDomain
import HailongHTTP
import Hummingbird
import Logging
import Synchronization

/// Who a request comes from, from its bearer token: `hla_…` an account's API token,
/// `hlb_…` a board's token. Tokens are looked up by SHA-256 hash; none is stored in clear.
struct Authenticator: Sendable {
    let store: any HailongStore
    let metrics: ServerMetrics
    let logger: Logger
    let boards = BoardTokenCache()

    /// Counts and logs a refusal (never the token), then returns it to be thrown.
    func refused(_ error: APIError, _ request: Request, reason: ServerMetrics.AuthFailure) -> APIError {
        metrics.authFailure(reason)
        logger.notice(
            "request refused", metadata: ["status": "\(error.status.code)", "route": "\(request.method) \(request.uri.path)", "why": "\(error.message)"])
        return error
    }

    private func bearer(_ request: Request) throws -> String {
        guard let token = BearerToken.parse(request.headers[.authorization]), token.utf8.count <= 200 else {
            throw refused(APIError.unauthorized(), request, reason: .unauthorized)
        }
        return token
    }

    /// The account behind the request, which must hold one of `roles` (401 without a valid
    /// account token, 403 for another role).
    func account(_ request: Request, _ roles: Set<Role>) async throws -> Account {
        let token = try bearer(request)
        guard token.hasPrefix("hla_"), let account = try await store.account(tokenHash: TokenDigest.hex(token)) else {
            throw refused(APIError.unauthorized(), request, reason: .unauthorized)
        }
        guard roles.contains(account.role) else {
            throw refused(APIError.forbidden("role \(account.role.rawValue) may not do this"), request, reason: .forbidden)
        }
        return account
    }

    /// The enrolled, unrevoked board behind the request.
    /// From the cache when the token was seen before: a board's token, unit, counter, scale
    /// and time zone never change once it is enrolled; only revocation does, and the ingest
    /// transaction checks that itself. Otherwise from the store, waiting for it at most `bound`
    /// (`StoreUnavailable`).
    func board(_ request: Request, within bound: Duration) async throws -> BoardInfo {
        let token = try bearer(request)
        guard token.hasPrefix("hlb_") else { throw refused(APIError.unauthorized(), request, reason: .unauthorized) }
        let hash = TokenDigest.hex(token)
        if let known = boards[hash] { return known }
        let found = try await StoreUnavailable.bounding(bound) { [store] in try await store.board(tokenHash: hash) }
        guard let board = found else { throw refused(APIError.unauthorized(), request, reason: .unauthorized) }
        guard !board.revoked else { throw refused(APIError.unauthorized("board \(board.id) is revoked"), request, reason: .unauthorized) }
        boards[hash] = board
        return board
    }

    /// The units `account` may read or change within `unit` (default: their own unit, or the
    /// whole tree for admins and technicians without a unit). 403 when `unit` is outside the
    /// subtree of a manager's or a technician's own unit.
    func scope(_ account: Account, unit requested: String?) async throws -> [Unit] {
        let requested = requested.map(Text.nfc)
        if account.role == .manager, account.unit == nil { throw APIError.forbidden("manager without a unit") }
        if account.role != .admin, let own = account.unit {
            let mine = try await store.subtree(of: own)
            let target = requested ?? own
            guard mine.contains(where: { $0.code == target }) else {
                metrics.authFailure(.forbidden)
                logger.notice("request refused", metadata: ["status": "403", "account": "\(account.username)", "why": "unit \(target) outside \(own)"])
                throw APIError.forbidden("unit \(target) is outside your unit \(own) / đơn vị \(target) nằm ngoài đơn vị \(own) của bạn")
            }
            return try await store.subtree(of: target)
        }
        if let requested {
            let units = try await store.subtree(of: requested)
            guard !units.isEmpty else { throw APIError.notFound("unit \(requested)") }
            return units
        }
        return try await store.units()
    }
}

/// Enrolled boards by token hash, for `Authenticator.board`. Bounded: emptied when full.
final class BoardTokenCache: Sendable {
    private let entries = Mutex<[String: BoardInfo]>([:])
    static let capacity = 20_000

    subscript(hash: String) -> BoardInfo? {
        get { entries.withLock { $0[hash] } }
        set {
            entries.withLock { entries in
                if newValue != nil, entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
                entries[hash] = newValue
            }
        }
    }

    /// Drops the board (revoked): a later request reads the store again.
    func forget(board id: String) {
        entries.withLock { entries in entries = entries.filter { $0.value.id != id } }
    }
}
