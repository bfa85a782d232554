import Foundation
import HailongDomain
import Hummingbird
import Synchronization

/// Who a request comes from, from its bearer token: `hla_…` an account's API token,
/// `hlb_…` a board's token. Tokens are looked up by SHA-256 hash; none is stored in clear.
struct Authenticator: Sendable {
    let store: any HailongStore
    let boards = BoardTokenCache()

    private func bearer(_ request: Request) throws -> String {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else { throw APIError.unauthorized() }
        let token = header.dropFirst("Bearer ".count).trimmingCharacters(in: .whitespaces)
        guard !token.isEmpty, token.utf8.count <= 200 else { throw APIError.unauthorized() }
        return token
    }

    /// The account behind the request, which must hold one of `roles` (401 without a valid
    /// account token, 403 for another role).
    func account(_ request: Request, _ roles: Set<Role>) async throws -> Account {
        let token = try bearer(request)
        guard token.hasPrefix("hla_"), let account = try await store.account(tokenHash: TokenDigest.hex(token)) else {
            throw APIError.unauthorized()
        }
        guard roles.contains(account.role) else {
            throw APIError.forbidden("role \(account.role.rawValue) may not do this")
        }
        return account
    }

    /// The enrolled, unrevoked board behind the request.
    /// From the cache when the token was seen before: a board's token, unit, counter, scale
    /// and time zone never change once it is enrolled; only revocation does, and the ingest
    /// transaction checks that itself.
    func board(_ request: Request) async throws -> BoardInfo {
        let token = try bearer(request)
        guard token.hasPrefix("hlb_") else { throw APIError.unauthorized() }
        let hash = TokenDigest.hex(token)
        if let known = boards[hash] { return known }
        guard let board = try await store.board(tokenHash: hash) else { throw APIError.unauthorized() }
        guard !board.revoked else { throw APIError.unauthorized("board \(board.id) is revoked") }
        boards[hash] = board
        return board
    }

    /// The units `account` may read within `unit` (default: their own unit, or the root for
    /// admins and technicians). 403 when `unit` is outside a manager's subtree.
    func scope(_ account: Account, unit requested: String?) async throws -> [Unit] {
        let requested = requested.map(Text.nfc)
        if account.role == .manager {
            guard let own = account.unit else { throw APIError.forbidden("manager without a unit") }
            let mine = try await store.subtree(of: own)
            let target = requested ?? own
            guard mine.contains(where: { $0.code == target }) else {
                throw APIError.forbidden("unit \(target) is outside your unit \(own)")
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
