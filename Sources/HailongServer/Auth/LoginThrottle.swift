import HailongDomain
import Synchronization

/// Failed logins, counted per username and per client address, so that guessing passwords is
/// slow and costs the server little (`POST /v1/login` answers 429 with `Retry-After`).
///
/// Each key may fail `allowed` times within `window`; after that every further try waits until
/// the oldest failure in the window has aged out. Addresses get a larger allowance than
/// usernames: an office's clerks and managers may share one NAT address. A successful login
/// clears its username's failures (not the address's). Held in memory and bounded: the
/// oldest keys are dropped first when `capacity` is reached.
final class LoginThrottle: Sendable {
    struct Policy: Sendable {
        var window: Duration = .seconds(15 * 60)
        var allowedPerUsername = 5
        var allowedPerAddress = 30
        var capacity = 10_000
    }

    private struct State {
        var failures: [String: [WallTime]] = [:]
    }

    private let state = Mutex(State())
    let policy: Policy

    init(policy: Policy = Policy()) { self.policy = policy }

    private static func userKey(_ username: String) -> String { "u:" + Text.caseFolded(username) }
    private static func addressKey(_ address: String) -> String { "a:" + address }

    /// How long the caller must wait before trying again, or nil when it may try now.
    func wait(username: String, address: String, now: WallTime) -> Duration? {
        state.withLock { state in
            let user = Self.wait(&state, key: Self.userKey(username), allowed: policy.allowedPerUsername, now: now, window: policy.window)
            let addr = Self.wait(&state, key: Self.addressKey(address), allowed: policy.allowedPerAddress, now: now, window: policy.window)
            switch (user, addr) {
            case (nil, nil): return nil
            case (let a?, nil): return a
            case (nil, let b?): return b
            case (let a?, let b?): return max(a, b)
            }
        }
    }

    func failed(username: String, address: String, now: WallTime) {
        state.withLock { state in
            if state.failures.count >= policy.capacity {
                // Drop keys whose failures are all outside the window; if none, the oldest half.
                state.failures = state.failures.filter { $0.value.last.map { now - $0 < policy.window } ?? false }
                if state.failures.count >= policy.capacity {
                    let sorted = state.failures.sorted { ($0.value.last?.microseconds ?? 0) < ($1.value.last?.microseconds ?? 0) }
                    for (key, _) in sorted.prefix(policy.capacity / 2) { state.failures[key] = nil }
                }
            }
            state.failures[Self.userKey(username), default: []].append(now)
            state.failures[Self.addressKey(address), default: []].append(now)
        }
    }

    func succeeded(username: String) {
        state.withLock { _ = $0.failures.removeValue(forKey: Self.userKey(username)) }
    }

    private static func wait(_ state: inout State, key: String, allowed: Int, now: WallTime, window: Duration) -> Duration? {
        guard var times = state.failures[key] else { return nil }
        times.removeAll { now - $0 >= window }
        state.failures[key] = times.isEmpty ? nil : times
        guard times.count >= allowed else { return nil }
        // The failure that must age out before the count drops below `allowed`.
        let pivot = times[times.count - allowed]
        return window - (now - pivot)
    }
}
