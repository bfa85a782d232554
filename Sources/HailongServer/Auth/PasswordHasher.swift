import HummingbirdBcrypt
import NIOPosix
import Synchronization

/// bcrypt off the event loops, on one thread of its own with a bounded queue.
///
/// A check costs ~0.3 s of CPU at cost 12; done on the event loops, 32 parallel wrong logins
/// held `/healthz` for seconds. Here at most one core is spent on bcrypt, and past
/// `maximumQueued` waiting checks a login is refused at once (503) instead of queueing
/// without bound. An unknown username is checked against a hash of the same cost, so it
/// takes as long as a wrong password and does not tell which usernames exist.
final class PasswordHasher: Sendable {
    struct Busy: Error {}

    private let pool: NIOThreadPool
    private let queued = Atomic<Int>(0)
    let maximumQueued: Int
    let cost: UInt8
    /// A hash of a random password at `cost`, made on first use.
    private final class Decoy: Sendable { let hash = Mutex<String?>(nil) }
    private let decoy = Decoy()
    /// Called after each verification with the cost of the hash it checked (the decoy's for an
    /// unknown user), so the work a login costs shows in `/metrics`.
    private let checked: @Sendable (_ cost: String) -> Void

    init(cost: UInt8, threads: Int = 1, maximumQueued: Int = 16, checked: @escaping @Sendable (_ cost: String) -> Void = { _ in }) {
        self.cost = cost
        self.maximumQueued = maximumQueued
        self.checked = checked
        pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
    }

    deinit { pool.shutdownGracefully { _ in } }

    private func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async throws -> T {
        let waiting = queued.wrappingAdd(1, ordering: .relaxed).newValue
        defer { queued.wrappingSubtract(1, ordering: .relaxed) }
        guard waiting <= maximumQueued else { throw Busy() }
        return try await pool.runIfActive(work)
    }

    /// Whether `password` matches `hash`; with no hash (unknown user), false after the same work.
    func verify(_ password: String, hash: String?) async throws -> Bool {
        let checked = self.checked
        if let hash {
            return try await run {
                defer { checked(Self.cost(of: hash)) }
                return Bcrypt.verify(password, hash: hash)
            }
        }
        let cost = self.cost
        let decoy = self.decoy
        return try await run {
            let known = decoy.hash.withLock { $0 }
            let hash = known ?? Bcrypt.hash(String(UInt64.random(in: 0...UInt64.max)), cost: cost)
            if known == nil { decoy.hash.withLock { $0 = hash } }
            _ = Bcrypt.verify(password, hash: hash)
            checked(Self.cost(of: hash))
            return false
        }
    }

    /// The cost field of a modular-crypt bcrypt hash (`$2b$12$…` → "12"), or "unknown".
    static func cost(of hash: String) -> String {
        let fields = hash.split(separator: "$", omittingEmptySubsequences: false)
        guard fields.count >= 4, fields[0].isEmpty, fields[1].hasPrefix("2"), fields[2].count == 2, fields[2].allSatisfy(\.isNumber)
        else { return "unknown" }
        return String(fields[2])
    }

    func hash(_ password: String) async throws -> String {
        let cost = self.cost
        return try await run { Bcrypt.hash(password, cost: cost) }
    }
}
