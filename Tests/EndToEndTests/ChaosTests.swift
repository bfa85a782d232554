import AsyncHTTPClient
import Foundation
import HailongDomain
import HailongTestSupport
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

/// The chaos end-to-end test (issue 5): the real `hailong-server` on SQLite and five real
/// `hailong-agent` processes on simulated buttons, over loopback. A driver serves citizens at
/// every counter while a chaos loop `kill -9`s agents and the server and stops the server for a
/// minute once. At the end every board's log is on the server exactly, the report counts every
/// rating the driver got an OK for, and no count mismatch is open.
///
/// The PostgreSQL variant (issue 15, `HAILONG_CHAOS_STORE=postgres` with `HAILONG_TEST_POSTGRES_URL`
/// and the cluster's directory in `HAILONG_CHAOS_PG_DIR`): two server replicas on one database
/// behind Debian's nginx (round-robin, as a site deploys them); the chaos kills either replica,
/// and restarts PostgreSQL itself once with `pg_ctl restart -m immediate` instead of the
/// one-minute stop. The same end checks hold.
///
/// It takes about three minutes, so it runs only with `HAILONG_CHAOS=1` (Tests/chaos/run).
/// `HAILONG_CHAOS_SEED=N` replays a run; the seed is printed first.
@Suite("Chaos: 5 agents and a server, killed at random", .serialized)
struct ChaosTests {
    static let enabled = ProcessInfo.processInfo.environment["HAILONG_CHAOS"] == "1"

    @Test("≥ 2,000 ratings through kill -9 of agents and server and a one-minute outage: nothing lost, nothing doubled", .enabled(if: enabled))
    func chaos() async throws {
        let environment = ProcessInfo.processInfo.environment
        let seed = environment["HAILONG_CHAOS_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...UInt64(Int64.max))
        print("chaos seed: \(seed) (replay with HAILONG_CHAOS_SEED=\(seed) Tests/chaos/run\(environment["HAILONG_CHAOS_STORE"] == "postgres" ? " postgres" : ""))")
        let target = Int(environment["HAILONG_CHAOS_RATINGS"] ?? "") ?? 2_000
        let chaosSeconds = Double(environment["HAILONG_CHAOS_SECONDS"] ?? "") ?? 100
        var rng = ChaosRandom(seed: seed)

        let dir = NSTemporaryDirectory() + "hailong-chaos-\(seed)"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let site = try await ChaosSite.start(dir: dir, environment: environment)
        let server = site.front
        defer { site.kill9All() }

        // Organisation: a unit, five counters, five boards enrolled by the real `enroll` command.
        try await server.admin("POST", "/v1/units", #"{"code":"hcm","name":"TP. Hồ Chí Minh"}"#)
        var boards: [ChaosBoard] = []
        for index in 1...5 {
            let counter = try await server.admin("POST", "/v1/counters", #"{"unit":"hcm","name":"Quầy \#(index)"}"#)
            guard let counterId = counter["id"] as? Int else { throw TestFailure("counter: \(counter)") }
            let board = try await server.admin("POST", "/v1/boards", #"{"unit":"hcm","counterId":\#(counterId),"scale":"vn3"}"#)
            guard let code = board["enrollmentCode"] as? String else { throw TestFailure("board: \(board)") }
            let agent = try ChaosBoard(dir: dir + "/board\(index)", server: site.base, counterId: counterId, clerk: "Cán bộ \(index)")
            let enrolled = try runAgent(["enroll", "--config", agent.configPath, "--code", code])
            #expect(enrolled.status == 0, "\(enrolled.output)")
            agent.boardId = String(enrolled.output.split(separator: " ").dropFirst(3).first ?? "")
            try await agent.start()
            try await agent.call("POST", "/v1/clerk", #"{"clerk":"\#(agent.clerk)"}"#)
            boards.append(agent)
        }
        defer { for board in boards { board.kill9() } }

        // MARK: Driver (one task per board) and chaos loop, together.
        let started = ContinuousClock.now
        let chaosEnd = started + .milliseconds(Int64(chaosSeconds * 1000))
        let driverSeeds = (0..<boards.count).map { _ in rng.next() }
        let log = Locked<[String]>([])
        let agents = boards
        let chaosSeed = rng.next()
        let driving = Locked(agents.count)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, board) in agents.enumerated() {
                let driverSeed = driverSeeds[index]
                let share = target / agents.count + 1
                group.addTask {
                    var rng = ChaosRandom(seed: driverSeed)
                    try await board.drive(until: chaosEnd, atLeast: share, rng: &rng)
                    driving.withLock { $0 -= 1 }
                }
            }
            group.addTask {
                var rng = ChaosRandom(seed: chaosSeed)
                let boards = agents
                var outageDone = false
                // Until the chaos time is over and every driver has its ratings.
                while ContinuousClock.now < chaosEnd || driving.withLock({ $0 }) > 0 {
                    try await Task.sleep(for: .milliseconds(Int64(rng.below(2500)) + 500))
                    let elapsed = ContinuousClock.now - started
                    if !outageDone, elapsed > .seconds(15) {
                        outageDone = true
                        if let pgDir = site.postgresDirectory {
                            log.withLock { $0.append("PostgreSQL restarted -m immediate at \(elapsed)") }
                            let restarted = try runScript("scripts/postgres-cluster", ["restart", pgDir])
                            if restarted.status != 0 { throw TestFailure("pg_ctl restart: \(restarted.output)") }
                            continue
                        }
                        log.withLock { $0.append("server stopped for 60 s at \(elapsed)") }
                        server.stop()
                        try await Task.sleep(for: .seconds(60))
                        try await server.start()
                        continue
                    }
                    if rng.below(100) < 25 {
                        let replica = site.servers[Int(rng.below(UInt64(site.servers.count)))]
                        log.withLock { $0.append("kill -9 server \(replica.port) at \(elapsed)") }
                        replica.kill9()
                        try await Task.sleep(for: .milliseconds(Int64(rng.below(1000))))
                        try await replica.start()
                    } else {
                        let board = boards[Int(rng.below(UInt64(boards.count)))]
                        log.withLock { $0.append("kill -9 \(board.name) at \(elapsed)") }
                        try await board.restart(pause: .milliseconds(Int64(rng.below(800))))
                    }
                }
            }
            try await group.waitForAll()
        }
        let chaos = log.withLock { $0 }
        print("chaos (\(site.description)): \(chaos.count) actions: \(chaos.filter { $0.contains("server") && $0.contains("kill") }.count) server kills, \(chaos.filter { $0.contains("board") }.count) agent kills, \(site.postgresDirectory == nil ? "1 one-minute outage" : "1 PostgreSQL restart -m immediate")")

        // MARK: Drain (bounded: the longest backoff after the outage is well under 5 minutes).
        let drainStart = ContinuousClock.now
        for board in boards {
            try await board.waitForDrain(limit: .seconds(330))
        }
        print("drained \(ContinuousClock.now - drainStart) after the chaos; whole run \(ContinuousClock.now - started)")

        // MARK: The server's events are each board's log, exactly.
        var okTotal = 0
        for board in boards {
            let local = try await board.allEvents()
            let remote = try await server.boardEvents(board.boardId)
            #expect(local.count == remote.count, "\(board.name): board \(local.count) events, server \(remote.count)")
            #expect(local.map(\.seq) == Array(1...Int64(local.count)), "\(board.name): gap in the board's log")
            #expect(local == remote, "\(board.name): the server's events differ from the board's")
            let stats = board.stats.withLock { $0 }
            let ratings = local.filter { $0.kind == .rating }
            #expect(ratings.count == stats.ok, "\(board.name): \(ratings.count) ratings logged, driver got \(stats.ok) OKs")
            print("\(board.name) (\(board.boardId)): \(local.count) events, \(stats.ok) ratings (\(stats.clerkOnly) clerk-only), \(stats.unrated) unrated sessions, \(stats.suppressed) suppressed presses, \(stats.unseen) unseen, \(board.restarts.withLock { $0 }) restarts")
            okTotal += stats.ok
        }
        #expect(okTotal >= target, "only \(okTotal) ratings")

        // MARK: Reports count what the driver was told; no mismatch alert.
        let today = WallTime(microseconds: Int64(Date().timeIntervalSince1970 * 1_000_000))
        let from = DailyCount.day(of: today + .seconds(-86_400 * 2)), to = DailyCount.day(of: today + .seconds(86_400 * 2))
        let report = try await server.admin("GET", "/v1/reports/satisfaction?unit=hcm&by=counter&from=\(from)&to=\(to)", nil)
        let rows = (report["rows"] as? [[String: Any]]) ?? []
        for board in boards {
            let row = rows.first { $0["key"] as? String == String(board.counterId) }
            let total = (row?["total"] as? Int) ?? 0
            #expect(total == board.stats.withLock { $0.ok }, "\(board.name): report total \(total)")
        }
        #expect(rows.reduce(0) { $0 + (($1["total"] as? Int) ?? 0) } == okTotal)
        let alerts = try await server.admin("GET", "/v1/alerts", nil)
        let mismatches = ((alerts["alerts"] as? [[String: Any]]) ?? []).filter { $0["kind"] as? String == "countMismatch" }
        #expect(mismatches.isEmpty, "\(mismatches)")
        print("chaos seed \(seed): \(okTotal) ratings, report total \(okTotal), \(mismatches.count) mismatch alerts")
        for board in boards { _ = board.terminate() }
        site.stopAll()
        try? FileManager.default.removeItem(atPath: dir)
    }
}

/// SplitMix64: the chaos is a function of the seed.
typealias ChaosRandom = SplitMix64

/// An HTTP call over loopback with a short timeout; nil when the peer is down.
func call(_ url: String, _ method: String, _ body: String?, token: String?) async -> (status: UInt, body: Data)? {
    var request = HTTPClientRequest(url: url)
    request.method = HTTPMethod(rawValue: method)
    if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
    if let body {
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
    }
    do {
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let data = Data((try await response.body.collect(upTo: 16 << 20)).readableBytesView)
        return (response.status.code, data)
    } catch {
        return nil
    }
}

/// The real `hailong-server` on SQLite in `dir` (or on the PostgreSQL database `postgresURL`),
/// on a fixed loopback port across restarts. Its API calls go to `front` (itself, or nginx).
final class ServerProcess: @unchecked Sendable {
    let dir: String
    let port: Int
    let config: String
    var adminToken = ""
    private let process = Mutex<Process?>(nil)
    var base: String { "http://127.0.0.1:\(port)" }
    /// Where the site is reached (the load balancer in front of replicas).
    var front: String?

    init(dir: String, postgresURL: String? = nil, name: String = "server") throws {
        self.dir = dir
        port = try freePort()
        config = dir + "/\(name).yaml"
        let storage = postgresURL.map { "{driver: postgres, url: \"\($0)\", pool_size: 8}" } ?? "{driver: sqlite, path: \(dir)/server.db}"
        try "listen: \"127.0.0.1:\(port)\"\nstorage: \(storage)\nreports: {min_n: 1}\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
    }

    func setUp() async throws {
        let migrate = try runBinary("hailong-server", ["migrate", "--config", config])
        guard migrate.status == 0 else { throw TestFailure("migrate: \(migrate.output)") }
        let admin = try runBinary("hailong-server", ["admin", "create", "--config", config, "--username", "chaos", "--password", "chaos-password"])
        guard let line = admin.output.split(separator: "\n").first(where: { $0.hasPrefix("API token: ") }) else {
            throw TestFailure("admin create: \(admin.output)")
        }
        adminToken = String(line.dropFirst("API token: ".count))
    }

    func start() async throws {
        for _ in 0..<5 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binDir + "/hailong-server")
            process.arguments = ["serve", "--config", config, "--log-level", "warning"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle(forWritingAtPath: "/dev/null")
            try process.run()
            self.process.withLock { $0 = process }
            // Bounded wait for /healthz (the port may still be held by a killed predecessor).
            for _ in 0..<100 {
                if let reply = await call(base + "/healthz", "GET", nil, token: nil), reply.status == 200 { return }
                if !process.isRunning { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            try await Task.sleep(for: .milliseconds(300))
        }
        throw TestFailure("hailong-server did not come up on \(base)")
    }

    func kill9() {
        guard let process = self.process.withLock({ p -> Process? in defer { p = nil }; return p }) else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM, as systemd stops it.
    func stop() {
        guard let process = self.process.withLock({ p -> Process? in defer { p = nil }; return p }) else { return }
        process.terminate()
        process.waitUntilExit()
    }

    @discardableResult
    func admin(_ method: String, _ path: String, _ body: String?) async throws -> [String: Any] {
        guard let reply = await call((front ?? base) + path, method, body, token: adminToken), reply.status < 300 else {
            throw TestFailure("\(method) \(path) failed")
        }
        return (try? JSONSerialization.jsonObject(with: reply.body)) as? [String: Any] ?? [:]
    }

    func boardEvents(_ board: String) async throws -> [WireEvent] {
        struct Stored: Decodable { var event: WireEvent }
        struct Body: Decodable { var events: [Stored] }
        var all: [WireEvent] = []
        while true {
            guard let reply = await call((front ?? base) + "/v1/boards/\(board)/events?after=\(all.last?.seq ?? 0)&limit=5000", "GET", nil, token: adminToken),
                reply.status == 200
            else { throw TestFailure("server events of \(board)") }
            let page = try JSONDecoder().decode(Body.self, from: reply.body).events.map(\.event)
            if page.isEmpty { return all }
            all += page
        }
    }
}

/// One real agent on simulated buttons, forwarding to the server; restarted by the chaos loop
/// only between the driver's steps, so every press the driver sends gets its answer.
final class ChaosBoard: @unchecked Sendable {
    struct Stats { var ok = 0, clerkOnly = 0, unrated = 0, suppressed = 0, unseen = 0 }

    let dir: String
    let port: Int
    let counterId: Int
    let clerk: String
    let token = "chaos-token-0123456789abcdef"
    var boardId = ""
    let stats = Mutex(Stats())
    let restarts = Mutex(0)
    private let process = Mutex<Process?>(nil)
    private let turn = TurnLock()
    var configPath: String { dir + "/agent.yaml" }
    var name: String { "board \(counterId)" }

    init(dir: String, server: String, counterId: Int, clerk: String) throws {
        self.dir = dir
        self.counterId = counterId
        self.clerk = clerk
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        port = try freePort()
        try token.write(toFile: dir + "/token", atomically: true, encoding: .utf8)
        try """
            counter: "Quầy \(counterId)"
            gpio: {backend: simulated}
            rating: {spam_interval_s: 1}
            storage: {path: \(dir)/agent.db}
            api: {listen: "127.0.0.1:\(port)", token_file: \(dir)/token}
            uplink: {server: "\(server)"}
            """.write(toFile: dir + "/agent.yaml", atomically: true, encoding: .utf8)
    }

    func start() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binDir + "/hailong-agent")
        process.arguments = ["run", "--config", configPath, "--log-level", "notice"]
        if !FileManager.default.fileExists(atPath: dir + "/agent.log") { _ = FileManager.default.createFile(atPath: dir + "/agent.log", contents: nil) }
        let logFile = FileHandle(forWritingAtPath: dir + "/agent.log")
        logFile?.seekToEndOfFile()
        process.standardError = logFile
        try process.run()
        self.process.withLock { $0 = process }
        for _ in 0..<200 {
            if let reply = await EndToEndTests.call("http://127.0.0.1:\(port)/healthz", "GET", nil, token: nil), reply.status == 200 { return }
            guard process.isRunning else { throw TestFailure("\(name) exited with \(process.terminationStatus)") }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("\(name) did not answer /healthz within 20 s")
    }

    func kill9() {
        guard let process = self.process.withLock({ p -> Process? in defer { p = nil }; return p }) else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func terminate() -> Int32 {
        guard let process = self.process.withLock({ p -> Process? in defer { p = nil }; return p }) else { return -1 }
        process.terminate()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// kill -9 between two driver steps, then start again after `pause`.
    func restart(pause: Duration) async throws {
        await turn.acquire()
        do {
            kill9()
            try await Task.sleep(for: pause)
            try await start()
            restarts.withLock { $0 += 1 }
        } catch {
            await turn.release()
            throw error
        }
        await turn.release()
    }

    @discardableResult
    func call(_ method: String, _ path: String, _ body: String? = nil) async throws -> [String: Any] {
        guard let reply = await EndToEndTests.call("http://127.0.0.1:\(port)\(path)", method, body, token: token) else {
            throw TestFailure("\(name): \(method) \(path): no answer")
        }
        guard reply.status < 300 else { throw TestFailure("\(name): \(method) \(path): \(reply.status) \(String(decoding: reply.body, as: UTF8.self))") }
        return (try? JSONSerialization.jsonObject(with: reply.body)) as? [String: Any] ?? [:]
    }

    /// A press; counts what the agent says it stored.
    private func press(_ level: Int) async throws -> String {
        // Held 1 ms: released right after the press is answered, so the next press is a new edge.
        let reply = try await call("POST", "/v1/sim/press", #"{"level":\#(level),"holdMs":1}"#)
        let result = reply["result"] as? String ?? ""
        let events = reply["events"] as? [[String: Any]] ?? []
        let rated = events.filter { $0["kind"] as? String == "rating" }.count
        stats.withLock {
            $0.ok += rated
            if result == "suppressed" { $0.suppressed += 1 }
            if result == "unseen" { $0.unseen += 1 }
        }
        return result
    }

    /// Serves citizens until the chaos is over and at least `atLeast` ratings were OK'd.
    func drive(until end: ContinuousClock.Instant, atLeast: Int, rng: inout ChaosRandom) async throws {
        var dossier = 0
        var lastAccepted = ContinuousClock.now - .seconds(10)
        while ContinuousClock.now < end || stats.withLock({ $0.ok }) < atLeast {
            await turn.acquire()
            do {
                let roll = rng.below(100)
                dossier += 1
                let code = "000.30.25.H17-\(counterId)-\(dossier)"
                if roll < 72 {
                    // A citizen served and rated; sometimes a second, impatient press (suppressed).
                    try await call("POST", "/v1/session", #"{"dossier":"\#(code)","clerk":"\#(clerk)"}"#)
                    if try await press(1 + Int(rng.below(3))) == "rated" { lastAccepted = .now }
                    if rng.below(4) == 0 {
                        // Past the 30 ms debounce, well within the 1 s spam interval.
                        try await Task.sleep(for: .milliseconds(60))
                        _ = try await press(1 + Int(rng.below(3)))
                    }
                } else if roll < 90 {
                    // Served, no press: the clerk's software closes the session unrated.
                    try await call("POST", "/v1/session", #"{"dossier":"\#(code)","clerk":"\#(clerk)"}"#)
                    try await call("DELETE", "/v1/session")
                    stats.withLock { $0.unrated += 1 }
                } else {
                    // A press with no session open: a clerk-only rating, once the 1 s spam interval
                    // since the last accepted press has passed (the agent's rule, on its own clock).
                    let since = ContinuousClock.now - lastAccepted
                    if since < .milliseconds(1100) { try await Task.sleep(for: .milliseconds(1100) - since) }
                    let before = stats.withLock { $0.ok }
                    if try await press(1 + Int(rng.below(3))) == "rated" {
                        lastAccepted = .now
                        if stats.withLock({ $0.ok }) > before { stats.withLock { $0.clerkOnly += 1 } }
                    }
                }
            } catch {
                await turn.release()
                throw error
            }
            await turn.release()
            try await Task.sleep(for: .milliseconds(Int64(rng.below(30)) + 40))
        }
    }

    func status() async throws -> [String: Any] { try await call("GET", "/v1/status") }

    /// Bounded wait until the server acknowledged every event.
    func waitForDrain(limit: Duration) async throws {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let backlog = try await status()["backlog"] as? Int, backlog == 0 { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw TestFailure("\(name) did not drain within \(limit)")
    }

    func allEvents() async throws -> [WireEvent] {
        struct Body: Decodable { var events: [WireEvent] }
        var all: [WireEvent] = []
        while true {
            guard let reply = await EndToEndTests.call(
                "http://127.0.0.1:\(port)/v1/events?after=\(all.last?.seq ?? 0)&limit=5000", "GET", nil, token: token)
            else { throw TestFailure("\(name): events") }
            let page = try JSONDecoder().decode(Body.self, from: reply.body).events
            if page.isEmpty { return all }
            all += page
        }
    }
}

/// One turn at a time at a board: the driver's step or the chaos loop's restart.
actor TurnLock {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty {
            busy = false
        } else {
            waiters.removeFirst().resume()
        }
    }
}

/// Runs a built executable and returns its exit status and output.
func runBinary(_ name: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binDir + "/" + name)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// What the chaos acts on: one server on SQLite, or two replicas on PostgreSQL behind nginx.
final class ChaosSite: Sendable {
    let servers: [ServerProcess]
    let nginx: NginxProcess?
    let postgresDirectory: String?
    /// The server the test's admin calls go through (they reach `base`).
    var front: ServerProcess { servers[0] }
    var base: String { nginx?.base ?? servers[0].base }
    var description: String {
        nginx == nil ? "one server, SQLite" : "\(servers.count) replicas behind nginx, PostgreSQL"
    }

    private init(servers: [ServerProcess], nginx: NginxProcess?, postgresDirectory: String?) {
        self.servers = servers
        self.nginx = nginx
        self.postgresDirectory = postgresDirectory
    }

    static func start(dir: String, environment: [String: String]) async throws -> ChaosSite {
        guard environment["HAILONG_CHAOS_STORE"] == "postgres" else {
            let server = try ServerProcess(dir: dir)
            try await server.setUp()
            try await server.start()
            return ChaosSite(servers: [server], nginx: nil, postgresDirectory: nil)
        }
        guard let url = environment["HAILONG_TEST_POSTGRES_URL"], let pgDir = environment["HAILONG_CHAOS_PG_DIR"] else {
            throw TestFailure("the PostgreSQL chaos needs HAILONG_TEST_POSTGRES_URL and HAILONG_CHAOS_PG_DIR")
        }
        // A database of its own on the test cluster.
        let database = "chaos_\(UInt32.random(in: 0...UInt32.max))"
        let created = try runScript("/usr/lib/postgresql/15/bin/psql", ["-h", pgDir, "-U", "hailong", "-d", "postgres", "-c", "CREATE DATABASE \(database)"])
        guard created.status == 0 else { throw TestFailure("create database: \(created.output)") }
        let databaseURL = url.replacingOccurrences(of: "@/hailong?", with: "@/\(database)?")
        let servers = try (1...2).map { try ServerProcess(dir: dir, postgresURL: databaseURL, name: "replica\($0)") }
        try await servers[0].setUp()
        let nginx = try NginxProcess(dir: dir, upstreams: servers.map(\.port))
        for server in servers {
            server.adminToken = servers[0].adminToken
            server.front = nginx.base
        }
        // Started together: they migrate once, under the advisory lock.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for server in servers { group.addTask { try await server.start() } }
            try await group.waitForAll()
        }
        try await nginx.start()
        return ChaosSite(servers: servers, nginx: nginx, postgresDirectory: pgDir)
    }

    func kill9All() {
        for server in servers { server.kill9() }
        nginx?.stop()
    }

    func stopAll() {
        for server in servers { server.stop() }
        nginx?.stop()
    }
}

/// Debian's nginx in front of the replicas, round-robin, as `docs/production.md` sets it up
/// (a failed upstream is retried on the other for idempotent requests; ingest is retried by the
/// board, which is safe: a batch is stored once).
final class NginxProcess: @unchecked Sendable {
    let port: Int
    let dir: String
    private var process: Process?
    var base: String { "http://127.0.0.1:\(port)" }

    init(dir: String, upstreams: [Int]) throws {
        self.dir = dir + "/nginx"
        port = try freePort()
        try FileManager.default.createDirectory(atPath: self.dir, withIntermediateDirectories: true)
        let servers = upstreams.map { "        server 127.0.0.1:\($0) max_fails=0;" }.joined(separator: "\n")
        try """
            daemon off;
            worker_processes 1;
            pid \(self.dir)/nginx.pid;
            error_log \(self.dir)/error.log warn;
            events { worker_connections 1024; }
            http {
                access_log off;
                client_body_temp_path \(self.dir)/body;
                proxy_temp_path \(self.dir)/proxy;
                fastcgi_temp_path \(self.dir)/fastcgi;
                uwsgi_temp_path \(self.dir)/uwsgi;
                scgi_temp_path \(self.dir)/scgi;
                upstream hailong {
            \(servers)
                    keepalive 16;
                }
                server {
                    listen 127.0.0.1:\(port);
                    client_max_body_size 4m;
                    # Bodies and answers stay in memory (the workers cannot write this folder).
                    client_body_buffer_size 4m;
                    proxy_max_temp_file_size 0;
                    location / {
                        proxy_pass http://hailong;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                        proxy_set_header Host $host;
                        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                        proxy_set_header X-Forwarded-Proto $scheme;
                        proxy_next_upstream error timeout http_502 http_503;
                        proxy_connect_timeout 2s;
                        proxy_read_timeout 30s;
                    }
                }
            }
            """.write(toFile: self.dir + "/nginx.conf", atomically: true, encoding: .utf8)
    }

    func start() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
        process.arguments = ["-c", dir + "/nginx.conf", "-p", dir]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        for _ in 0..<100 {
            if let reply = await call(base + "/healthz", "GET", nil, token: nil), reply.status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("nginx did not answer on \(base); see \(dir)/error.log")
    }

    func stop() {
        guard let process, process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}

/// A command of the repository (a relative path) or of the system, its status and output.
func runScript(_ path: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let ran = try spawnAndWait(path.hasPrefix("/") ? path : root.appendingPathComponent(path).path, arguments)
    return (ran.status, ran.output)
}
