import HailongDomain

/// Failed logins, counted per username and per client address, so that guessing passwords is
/// slow and costs the server little (`POST /v1/login` answers 429 with `Retry-After`).
///
/// Each key may try `allowed` times within `window` (a try counts from before its password is
/// checked, and stays counted when the password was wrong); after that every further try waits
/// until the oldest one in the window has aged out. Addresses get a larger allowance than
/// usernames: an office's clerks and managers may share one NAT address. A successful login
/// clears its username's failures and takes its own try back from its address's count.
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

    /// The oldest try that still counts at `now`: one exactly a window old no longer does.
    private func windowStart(_ now: WallTime) -> WallTime { now + (.zero - policy.window) + .microseconds(1) }

    /// Counts this attempt before its password is checked, or says how long the caller must
    /// wait (nil: go ahead). Counting first, atomically in the store, is what makes the limit
    /// hold for attempts sent at once: checked first and counted after bcrypt, sixteen
    /// concurrent guesses (bcrypt's queue) all passed the check on each replica.
    func admit(username: String, address: String, now: WallTime) async throws -> Duration? {
        let user = Self.userKey(username), addr = Self.addressKey(address)
        let (admitted, earlier) = try await store.admitLoginAttempt(
            limits: [user: policy.allowedPerUsername, addr: policy.allowedPerAddress], at: now, since: windowStart(now))
        if admitted { return nil }
        let wait = [
            Self.wait(earlier[user] ?? [], allowed: policy.allowedPerUsername, now: now, window: policy.window),
            Self.wait(earlier[addr] ?? [], allowed: policy.allowedPerAddress, now: now, window: policy.window),
        ].compactMap { $0 }.max()
        // The store and `wait` agree on the window; a second if they ever did not.
        return wait ?? .seconds(1)
    }

    /// The right password: its username's failures are forgotten, and this attempt is taken
    /// back from its address's count (an office's successful logins do not lock it out).
    func succeeded(username: String, address: String, now: WallTime) async throws {
        try await store.clearLoginFailures(key: Self.userKey(username))
        try await store.withdrawLoginAttempt(keys: [Self.addressKey(address)], at: now)
    }

    /// The password could not be checked (bcrypt's queue full, the database away): the attempt
    /// is taken back, so that trying again later does not count twice.
    func unchecked(username: String, address: String, now: WallTime) async throws {
        try await store.withdrawLoginAttempt(keys: [Self.userKey(username), Self.addressKey(address)], at: now)
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
