// Shared by the test targets (not shipped): small helpers more than one suite needs.
import Foundation
import Synchronization

/// A value shared between tasks.
public final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    public init(_ value: Value) { mutex = Mutex(value) }
    public func withLock<T>(_ body: (inout Value) -> T) -> T { mutex.withLock { body(&$0) } }
}

/// SplitMix64: deterministic randomness, so a test's jitter or chaos is a function of its seed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// A number in 0..<bound.
    public mutating func below(_ bound: UInt64) -> UInt64 { next() % bound }
}

/// Runs a program to its end: its exit status (128 + signal when killed) and its output
/// (stdout and stderr together). Spawned and reaped here (posix_spawn, waitpid) rather than
/// through Foundation's Process: `pg_ctl restart` through runuser left Process.waitUntilExit
/// waiting on a child that had exited, a zombie nobody reaped.
public func spawnAndWait(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let output = NSTemporaryDirectory() + "hailong-run-\(UUID().uuidString).log"
    defer { try? FileManager.default.removeItem(atPath: output) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
    guard spawned == 0 else { throw SpawnError(description: "cannot run \(executable): error \(spawned)") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1, errno == EINTR {}
    let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
    let exited = status & 0x7f == 0
    return (exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), text)
}

public struct SpawnError: Error, CustomStringConvertible {
    public var description: String
}
