// Press → committed latency of the agent, beside a baseline run in the same invocation:
// the same number of bare SQLite inserts, one transaction each, with the same pragmas
// (WAL, synchronous=FULL), through the C API. Not a test: it prints numbers and the ratio.
//
//   swift run -c release --static-swift-stdlib hailong-bench-agent [PRESSES] [DIR]
import Foundation
import GRDBSQLite
import HailongAgent
import HailongDomain
import Logging

let presses = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 10_000 : 10_000
let base = CommandLine.arguments.count > 2 ? CommandLine.arguments[2] : NSTemporaryDirectory()
let dir = base + "/hailong-bench-\(getpid())"
try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: dir) }

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
}

func nowNs() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

// MARK: Baseline: bare SQLite inserts through the C API.

final class Baseline {
    private var db: OpaquePointer?
    private var statement: OpaquePointer?

    init?(path: String) {
        guard sqlite3_open(path, &db) == SQLITE_OK else { return nil }
        sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", nil, nil, nil)
        sqlite3_exec(
            db,
            """
            CREATE TABLE event (seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, wall_us INTEGER NOT NULL,
              mono_ns INTEGER NOT NULL, boot_id TEXT NOT NULL, clock_synced INTEGER NOT NULL, level INTEGER,
              binding TEXT, dossier TEXT, clerk TEXT, outcome TEXT, reason TEXT, forwarded INTEGER NOT NULL DEFAULT 0)
            """, nil, nil, nil)
        sqlite3_prepare_v2(
            db,
            "INSERT INTO event (kind, wall_us, mono_ns, boot_id, clock_synced, level, binding, clerk) VALUES ('rating', ?, ?, 'boot', 1, ?, 'clerk', 'Nguyễn Thị Ánh')",
            -1, &statement, nil)
    }

    /// One committed insert; returns milliseconds.
    func insert(_ i: Int) -> Double {
        let start = nowNs()
        sqlite3_exec(db, "BEGIN IMMEDIATE", nil, nil, nil)
        sqlite3_bind_int64(statement, 1, Int64(i))
        sqlite3_bind_int64(statement, 2, Int64(i))
        sqlite3_bind_int64(statement, 3, Int64(i % 3 + 1))
        sqlite3_step(statement)
        sqlite3_reset(statement)
        sqlite3_exec(db, "COMMIT", nil, nil, nil)
        return Double(nowNs() - start) / 1e6
    }

    deinit {
        sqlite3_finalize(statement)
        sqlite3_close(db)
    }
}

// MARK: Both, interleaved press by press so that both see the same disk.

try "bench-token-0123456789abcdef".write(toFile: dir + "/token", atomically: true, encoding: .utf8)
let yaml = """
    gpio: {backend: simulated, debounce_ms: 0}
    rating: {spam_interval_s: 0}
    storage: {path: \(dir)/agent.db}
    api: {token_file: \(dir)/token}
    """
var logger = Logger(label: "bench")
logger.logLevel = .warning
let agent = try Agent(config: AgentConfig(yaml: yaml, file: "bench.yaml"), logger: logger)
guard let simulator = agent.simulator, let baseline = Baseline(path: dir + "/baseline.db") else {
    print("cannot set up the benchmark")
    exit(1)
}
let pipeline = agent.pipeline
let edges = agent.backend.edges
let consumer = Task { await pipeline.consume(edges) }

print("Hailong agent: press → committed latency, \(presses) presses (WAL, synchronous=FULL), files in \(base)")
print("(the agent's number is a whole simulated press: edge injected → debounce → counter → commit → answer)")
var bare: [Double] = [], pressed: [Double] = []
for i in 0..<presses {
    // Alternate which goes first, so neither always follows the other's flush.
    if i % 2 == 0 { bare.append(baseline.insert(i)) }
    let start = nowNs()
    let report = await simulator.press(line: i % 3, hold: .zero)
    let elapsed = Double(nowNs() - start) / 1e6
    if report.events.first?.kind == .rating { pressed.append(elapsed) } else { print("press \(i) not rated: \(String(describing: report.result))") }
    if i % 2 == 1 { bare.append(baseline.insert(i)) }
}
agent.backend.shutdown()
await consumer.value
bare.sort()
pressed.sort()

func row(_ name: String, _ s: [Double]) -> String {
    String(format: "%-34@ n=%6d  p50 %7.3f ms  p99 %7.3f ms  max %7.3f ms", name as NSString, s.count, percentile(s, 0.5), percentile(s, 0.99), s.last ?? 0)
}
print(row("baseline: bare sqlite3 inserts", bare))
print(row("agent: simulated press → commit", pressed))
print(String(format: "ratio agent/baseline: p50 %.2f×, p99 %.2f×  (goal: p99 ≤ 1.5×)", percentile(pressed, 0.5) / percentile(bare, 0.5), percentile(pressed, 0.99) / percentile(bare, 0.99)))
