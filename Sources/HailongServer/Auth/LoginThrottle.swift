import HailongDomain

/// Failed logins, counted per username and per client address, so that guessing passwords is
/// slow and costs the server little (`POST /v1/login` answers 429 with `Retry-After`).
///
/// Each key may fail `allowed` times within `window`; after that every further try waits until
/// the oldest failure in the window has aged out. Addresses get a larger allowance than
/// usernames: an office's clerks and managers may share one NAT address. A successful login
/// clears its username's failures (not the address's).
///
/// The failures are kept in the store, so that replicas behind a load balancer count them
/// together: held in each replica's memory, a guesser sent round-robin to two replicas had twice
/// the tries. The store keeps one window of them. Keys are SHA-256 digests: a failed login's
/// "username" is often a password typed into the wrong field, and is not written down.
struct LoginThrottle: Sendable {
    struct Policy: Sendable {
        var window: Duration = .seconds(15 * 60)
        var allowedPerUsername = 5
        var allowedPerAddress = 30
    }

    let store: any HailongStore
    let policy: Policy

    init(store: any HailongStore, policy: Policy = Policy()) {
        self.store = store
        self.policy = policy
    }

    static func userKey(_ username: String) -> String { "u:" + TokenDigest.hex(Text.caseFolded(username)) }
    static func addressKey(_ address: String) -> String { "a:" + TokenDigest.hex(address) }

    /// The oldest failure time that still counts at `now`.
    private func windowStart(_ now: WallTime) -> WallTime { now + (.zero - policy.window) }

    /// How long the caller must wait before trying again, or nil when it may try now.
    func wait(username: String, address: String, now: WallTime) async throws -> Duration? {
        let user = Self.userKey(username), addr = Self.addressKey(address)
        let failures = try await store.loginFailures(keys: [user, addr], since: windowStart(now))
        return [
            Self.wait(failures[user] ?? [], allowed: policy.allowedPerUsername, now: now, window: policy.window),
            Self.wait(failures[addr] ?? [], allowed: policy.allowedPerAddress, now: now, window: policy.window),
        ].compactMap { $0 }.max()
    }

    func failed(username: String, address: String, now: WallTime) async throws {
        try await store.addLoginFailure(
            keys: [Self.userKey(username), Self.addressKey(address)], at: now, forgetBefore: windowStart(now))
    }

    func succeeded(username: String) async throws {
        try await store.clearLoginFailures(key: Self.userKey(username))
    }

    /// The wait a key's failure times (oldest first) impose at `now`, or nil when it may try.
    static func wait(_ times: [WallTime], allowed: Int, now: WallTime, window: Duration) -> Duration? {
        let recent = times.filter { now - $0 < window }
        guard recent.count >= allowed else { return nil }
        // The failure that must age out before the count drops below `allowed`.
        let pivot = recent[recent.count - allowed]
        return window - (now - pivot)
    }
}
