import AsyncHTTPClient
import Foundation
import HailongDomain
import NIOCore
import NIOHTTP1
import Testing

/// Where `swift build` put the executables (override with HAILONG_BIN_DIR).
let binDir: String = {
    if let dir = ProcessInfo.processInfo.environment["HAILONG_BIN_DIR"] { return dir }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return root.appendingPathComponent(".build/debug").path
}()

/// A free TCP port on loopback (bound then released).
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw TestFailure("cannot find a free port") }
    return Int(UInt16(bigEndian: address.sin_port))
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The real `hailong-agent` as a child process on simulated buttons in a temp dir.
final class AgentProcess {
    let dir: String
    let port: Int
    let token = "e2e-token-0123456789abcdef"
    var process: Process?
    let client = HTTPClient.shared

    init(extraConfig: String = "") throws {
        dir = NSTemporaryDirectory() + "hailong-e2e-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        port = try freePort()
        try token.write(toFile: dir + "/token", atomically: true, encoding: .utf8)
        let config = """
            counter: "Quầy 5"
            gpio: {backend: simulated}
            rating: {spam_interval_s: 0}
            storage: {path: \(dir)/agent.db}
            api: {listen: "127.0.0.1:\(port)", token_file: \(dir)/token}
            \(extraConfig)
            """
        try config.write(toFile: dir + "/agent.yaml", atomically: true, encoding: .utf8)
    }

    func start() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binDir + "/hailong-agent")
        process.arguments = ["run", "--config", dir + "/agent.yaml"]
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        self.process = process
        // Ready when /healthz answers (bounded: 20 s).
        for _ in 0..<200 {
            if let response = try? await request("GET", "/healthz", auth: false), response.status == 200 { return }
            guard process.isRunning else { throw TestFailure("hailong-agent exited with \(process.terminationStatus)") }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("hailong-agent did not answer /healthz within 20 s")
    }

    func kill9() {
        guard let process else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    func terminate() -> Int32 {
        guard let process else { return -1 }
        process.terminate()
        process.waitUntilExit()
        self.process = nil
        return process.terminationStatus
    }

    deinit { kill9() }

    func request(_ method: String, _ path: String, body: String? = nil, auth: Bool = true) async throws -> (status: UInt, body: Data) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = HTTPMethod(rawValue: method)
        if auth { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await client.execute(request, timeout: .seconds(10))
        let data = Data((try await response.body.collect(upTo: 8 << 20)).readableBytesView)
        return (response.status.code, data)
    }

    func events() async throws -> [WireEvent] {
        struct Body: Decodable { var events: [WireEvent] }
        let response = try await request("GET", "/v1/events?after=0&limit=5000")
        return try JSONDecoder().decode(Body.self, from: response.body).events
    }
}

/// Runs the agent binary with arguments and returns its exit status and standard output+error.
func runAgent(_ arguments: [String]) throws -> (status: Int32, output: String) {
    try runBinary("hailong-agent", arguments)
}

@Suite("The real hailong-agent process", .serialized)
struct AgentProcessTests {
    @Test("a rating bound to a dossier and an NFC clerk survives kill -9 exactly once, with no gap in the sequence")
    func durableAcrossKill() async throws {
        let agent = try AgentProcess()
        try await agent.start()
        let nfd = "Nguye\u{0302}\u{0303}n Thi\u{0323} A\u{0301}nh"
        #expect(try await agent.request("POST", "/v1/clerk", body: #"{"clerk":"\#(nfd)"}"#).status == 200)
        #expect(try await agent.request("POST", "/v1/session", body: #"{"dossier":"000.30.25.H17-240702-0012","clerk":"\#(nfd)"}"#).status == 201)
        #expect(try await agent.request("POST", "/v1/sim/press", body: #"{"level":3}"#).status == 200)
        let events = try await agent.events()
        let rating = try #require(events.first { $0.kind == .rating })
        #expect(rating.dossier == "000.30.25.H17-240702-0012" && rating.level == 3 && rating.binding == .dossier)
        #expect(rating.clerk == "Nguy\u{1EC5}n Th\u{1ECB} \u{00C1}nh")
        #expect(rating.clerk.map { Array($0.unicodeScalars) } == Array("Nguy\u{1EC5}n Th\u{1ECB} \u{00C1}nh".unicodeScalars))

        // A second citizen: the answer comes back, and the agent is killed right then.
        #expect(try await agent.request("POST", "/v1/session", body: #"{"dossier":"000.30.25.H17-240702-0013","clerk":"\#(nfd)"}"#).status == 201)
        let answered = try await agent.request("POST", "/v1/sim/press", body: #"{"level":1}"#)
        agent.kill9()
        #expect(answered.status == 200)

        try await agent.start()
        let after = try await agent.events()
        let pressed = after.filter { $0.kind == .rating && $0.dossier == "000.30.25.H17-240702-0013" }
        #expect(pressed.count == 1 && pressed.first?.level == 1)
        #expect(after.map(\.seq) == Array(1...Int64(after.count)))
        // The clerk is still on duty after the restart.
        let status = try await agent.request("GET", "/v1/status")
        #expect(String(decoding: status.body, as: UTF8.self).contains("\"clerk\":\"Nguy\u{1EC5}n Th\u{1ECB} \u{00C1}nh\""))
        // The technician's readable status, through the same API.
        let readable = try runAgent(["status", "--config", agent.dir + "/agent.yaml"])
        #expect(readable.status == 0, "\(readable.output)")
        #expect(readable.output.contains("Quầy / Counter:       Quầy 5"), "\(readable.output)")
        #expect(readable.output.contains("Nguy\u{1EC5}n Th\u{1ECB} \u{00C1}nh"))
        #expect(readable.output.contains("level 1 Không hài lòng / Not satisfied (dossier)"), "\(readable.output)")
        // SIGTERM: a clean exit.
        #expect(agent.terminate() == 0)
        // Stopped: said at once and in words (the refusal, not a retry loop until the timeout).
        let asked = ContinuousClock.now
        let down = try runAgent(["status", "--config", agent.dir + "/agent.yaml"])
        #expect(down.status != 0 && down.output.contains("is hailong-agent running?): Connection refused"), "\(down.output)")
        #expect(ContinuousClock.now - asked < .seconds(3))
    }

    @Test("bad input over the wire: clear 4xx, nothing logged")
    func badInput() async throws {
        let agent = try AgentProcess()
        try await agent.start()
        let long = String(repeating: "0", count: 65)
        let tooLong = try await agent.request("POST", "/v1/session", body: #"{"dossier":"\#(long)","clerk":"A"}"#)
        #expect(tooLong.status == 400)
        #expect(String(decoding: tooLong.body, as: UTF8.self).contains("65 characters"))
        #expect(try await agent.request("POST", "/v1/session", body: "{not json").status == 400)
        #expect(try await agent.request("POST", "/v1/session", body: String(repeating: " ", count: 100_000)).status == 413)
        #expect(try await agent.request("POST", "/v1/clerk", body: #"{"clerk":"A"}"#, auth: false).status == 401)
        #expect(try await agent.events().isEmpty)
        _ = agent.terminate()
    }

    @Test("check: a misspelt key, a missing chip, a line used twice, an unwritable database — each a clear message and exit 1")
    func checkFailures() throws {
        let dir = NSTemporaryDirectory() + "hailong-check-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let cases: [(String, String)] = [
            ("gpio: {backend: simulated, debounse_ms: 20}\nstorage: {path: \(dir)/a.db}\n", "gpio.debounse_ms: unknown key (did you mean 'gpio.debounce_ms'?)"),
            ("gpio: {chip: nosuchchip}\nstorage: {path: \(dir)/a.db}\napi: {token_file: \(dir)/t}\n", "GPIO chip 'nosuchchip' not found"),
            ("gpio: {backend: simulated, buttons: {3: 5}}\nstorage: {path: \(dir)/a.db}\n", "line 5 is used twice (button 3 and ready LED)"),
            ("gpio: {backend: simulated}\nstorage: {path: \(dir)/no/such/dir/a.db}\napi: {token_file: \(dir)/t}\n", "cannot open or create the database file"),
        ]
        for (yaml, message) in cases {
            try yaml.write(toFile: dir + "/agent.yaml", atomically: true, encoding: .utf8)
            let result = try runAgent(["check", "--config", dir + "/agent.yaml"])
            #expect(result.status == 1, "\(result.output)")
            #expect(result.output.contains(message), "\(result.output)")
        }
        let good = "gpio: {backend: simulated}\nstorage: {path: \(dir)/a.db}\napi: {token_file: \(dir)/t}\n"
        try good.write(toFile: dir + "/agent.yaml", atomically: true, encoding: .utf8)
        let ok = try runAgent(["check", "--config", dir + "/agent.yaml"])
        #expect(ok.status == 0, "\(ok.output)")
        #expect(ok.output.contains("ok   GPIO simulated"))
    }
}

/// A datagram socket standing in for systemd's NOTIFY_SOCKET.
final class NotifySocket {
    let path: String
    let fd: Int32

    init() throws {
        path = NSTemporaryDirectory() + "hl-notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (i, byte) in path.utf8.enumerated() where i < buffer.count - 1 { buffer[i] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw TestFailure("cannot bind \(path)") }
        var timeout = timeval(tv_sec: 15, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// The next datagram, or nil after 15 s.
    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &buffer, buffer.count, 0)
        return count > 0 ? String(decoding: buffer.prefix(count), as: UTF8.self) : nil
    }

    /// Datagrams until one contains `text` (bounded by the receive timeout).
    func receive(until text: String) -> [String] {
        var seen: [String] = []
        while let message = receive() {
            seen.append(message)
            if message.contains(text) { break }
        }
        return seen
    }

    /// Starts one of the built executables as systemd would, with this socket as NOTIFY_SOCKET
    /// and a 600 ms watchdog.
    func launch(_ executable: String, _ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binDir + "/" + executable)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = path
        environment["WATCHDOG_USEC"] = "600000"
        process.environment = environment
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        return process
    }

    deinit {
        close(fd)
        unlink(path)
    }
}

@Suite("The agent under systemd's notify protocol", .serialized)
struct AgentNotifyTests {
    @Test("READY=1 once listening, STATUS= with the counter, WATCHDOG=1 while working, STOPPING=1 on SIGTERM")
    func notifyProtocol() async throws {
        let notify = try NotifySocket()
        let agent = try AgentProcess()
        let process = try notify.launch("hailong-agent", ["run", "--config", agent.dir + "/agent.yaml"])
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let startup = notify.receive(until: "READY=1")
        #expect(startup.last?.contains("READY=1") == true, "\(startup)")
        #expect(startup.joined().contains("STATUS=Quầy 5"), "\(startup)")
        // The API answers once READY was sent.
        agent.process = nil
        #expect(try await agent.request("GET", "/healthz", auth: false).status == 200)
        let pings = notify.receive(until: "WATCHDOG=1")
        #expect(pings.last?.contains("WATCHDOG=1") == true, "\(pings)")
        process.terminate()
        let stopping = notify.receive(until: "STOPPING=1")
        #expect(stopping.last?.contains("STOPPING=1") == true, "\(stopping)")
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}

@Suite("The server under systemd's notify protocol", .serialized)
struct ServerNotifyTests {
    @Test("hailong-server: READY=1 once listening, WATCHDOG=1 while the database answers, STOPPING=1 on SIGTERM")
    func notifyProtocol() throws {
        let notify = try NotifySocket()
        let dir = NSTemporaryDirectory() + "hailong-server-notify-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let port = try freePort()
        try "listen: \"127.0.0.1:\(port)\"\nstorage: {driver: sqlite, path: \(dir)/server.db}\n"
            .write(toFile: dir + "/server.yaml", atomically: true, encoding: .utf8)
        let process = try notify.launch("hailong-server", ["serve", "--config", dir + "/server.yaml"])
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let startup = notify.receive(until: "READY=1")
        #expect(startup.last?.contains("READY=1") == true, "\(startup)")
        #expect(startup.joined().contains("STATUS=listening on 127.0.0.1:\(port)"), "\(startup)")
        let pings = notify.receive(until: "WATCHDOG=1")
        #expect(pings.last?.contains("WATCHDOG=1") == true, "\(pings)")
        process.terminate()
        let stopping = notify.receive(until: "STOPPING=1")
        #expect(stopping.last?.contains("STOPPING=1") == true, "\(stopping)")
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}
