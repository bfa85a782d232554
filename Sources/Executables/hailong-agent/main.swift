import ArgumentParser
import AsyncHTTPClient
import Foundation
import HailongAgent
import HailongDomain
import HailongGPIO
import HailongHTTP
import Logging
import ServiceLifecycle

@main
struct HailongAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hailong-agent",
        abstract: "Hailong counter board agent: rating buttons → durable event log → server.",
        version: HailongVersion.current,
        subcommands: [Run.self, Check.self, Buttons.self, Status.self, Enroll.self],
        defaultSubcommand: Run.self)
}

struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "Config file.")
    var config: String = AgentConfig.defaultPath

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = ProcessInfo.processInfo.environment["HAILONG_LOG_LEVEL"] ?? "info"

    func logger() -> Logger {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: "hailong.agent")
    }

    func loadConfig() throws -> AgentConfig {
        guard let data = FileManager.default.contents(atPath: config) else {
            throw Failure("config \(config): cannot be read (missing or no permission); see board/agent.example.yaml")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw Failure("config \(config): not UTF-8 text")
        }
        do {
            return try AgentConfig(yaml: text, file: config)
        } catch {
            throw Failure("\(error)")
        }
    }
}

/// A failure printed as one clear line, exit status 1.
struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the agent (default).")
    @OptionGroup var options: CommonOptions

    func run() async throws {
        let logger = options.logger()
        var config = try options.loadConfig()
        // Connections stay below the open-file limit, leaving room for the database, the
        // uplink and the GPIO lines.
        config.api.limits = config.api.limits.fitting(fileLimit: FileLimit.raise())
        let agent: Agent
        do {
            agent = try Agent(config: config, logger: logger)
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(1)
        }
        logger.notice(
            "hailong-agent ready",
            metadata: [
                "counter": "\(config.counter)", "gpio": "\(agent.backend.description.backend) \(agent.backend.description.chip)",
                "api": "\(config.api.host):\(config.api.port)", "db": "\(config.storage.path)",
            ])
        let group = ServiceGroup(
            configuration: .init(services: agent.services(), gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do { try await group.run() } catch {
            if let listen = ListenError.from(error, host: config.api.host, port: config.api.port) {
                logger.critical("cannot start: \(listen) (api.listen)")
                throw ExitCode(1)
            }
            throw error
        }
    }
}

struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate the config, open the GPIO chip and lines and the database; exit non-zero with a clear message.")
    @OptionGroup var options: CommonOptions

    func run() async throws {
        var logger = options.logger()
        logger.logLevel = .warning
        let config: AgentConfig
        do {
            config = try options.loadConfig()
        } catch {
            print("FAIL config: \(error)")
            throw ExitCode(1)
        }
        print("ok   config \(options.config): counter \"\(config.counter)\", scale \(config.scale.rawValue)")
        let agent: Agent
        do {
            agent = try Agent(config: config, logger: logger)
        } catch {
            print("FAIL \(error)")
            throw ExitCode(1)
        }
        defer { agent.backend.shutdown() }
        let gpio = agent.backend.description
        print("ok   database \(config.storage.path)")
        print("ok   GPIO \(gpio.backend): chip \(gpio.chip) [\(gpio.label)], \(gpio.library)\(gpio.kernelDebounce ? ", kernel debounce" : "")")
        for (name, offset) in config.gpio.namedLines {
            print("ok     line \(offset): \(name)")
        }
        for (index, held) in agent.backend.initialLevels.enumerated() where held {
            print("WARN   button \(config.gpio.buttonLevels[index]) reads as pressed now: held, stuck, or active_low/bias wrong for the wiring")
        }
        print("ok   API token \(config.api.tokenFile)")
    }
}

struct Buttons: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Technician's live test: print each debounced press and light its LED (Ctrl-C to stop). Nothing is recorded.")
    @OptionGroup var options: CommonOptions

    func run() async throws {
        let logger = options.logger()
        let config = try options.loadConfig()
        let backend: any GPIOBackend
        do {
            switch config.gpio.backend {
            case .libgpiod: backend = try LibgpiodBackend(lines: config.gpio.lineMap, logger: logger)
            case .simulated: throw Failure("gpio.backend is simulated: there are no buttons to test")
            }
        } catch let error as GPIOError {
            throw Failure("GPIO: \(error)")
        }
        let gpio = backend.description
        print("Chip \(gpio.chip) [\(gpio.label)], \(gpio.library). Press the buttons (Ctrl-C to stop) / Hãy bấm các nút:")
        let tester = ButtonTester(config: config, backend: backend) { press in
            let label = press.label.map { " \($0.vi) / \($0.en)" } ?? ""
            print("\(press.kind) \(press.level)\(label)")
        }
        let stop = DispatchSource.makeSignalSource(signal: SIGINT, queue: .main)
        signal(SIGINT, SIG_IGN)
        stop.setEventHandler { backend.shutdown() }
        stop.resume()
        await tester.run()
    }
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the running agent's status (from its local API).")
    @OptionGroup var options: CommonOptions

    @Flag(name: .long, help: "Print the raw JSON.")
    var json = false

    func run() async throws {
        _ = options.logger()
        let config = try options.loadConfig()
        guard let tokenData = FileManager.default.contents(atPath: config.api.tokenFile),
            let token = String(data: tokenData, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines)
        else {
            throw Failure("api.token_file \(config.api.tokenFile): cannot be read")
        }
        let host = config.api.host == "0.0.0.0" ? "127.0.0.1" : config.api.host
        var request = HTTPClientRequest(url: "http://\(host):\(config.api.port)/v1/status")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        // The board's own client: a refused port is reported at once, not retried for 5 s.
        let client = try UplinkHTTP.makeClient(caFile: "")
        let answer: Result<(UInt, Data), any Error>
        do {
            let response = try await client.execute(request, timeout: .seconds(5))
            answer = .success((response.status.code, Data(buffer: try await response.body.collect(upTo: 1 << 20))))
        } catch {
            answer = .failure(error)
        }
        try? await client.shutdown()
        let body: Data
        switch answer {
        case .failure(let error):
            throw Failure("the agent is not reachable at \(host):\(config.api.port) (is hailong-agent running?): \(UplinkHTTP.explain(error))")
        case .success(let (status, data)):
            guard status == 200 else { throw Failure("the agent answered \(status): \(String(decoding: data, as: UTF8.self))") }
            body = data
        }
        if json {
            print(String(decoding: body, as: UTF8.self))
            return
        }
        let status = try JSONDecoder().decode(AgentStatus.self, from: body)
        print("Quầy / Counter:       \(status.counter)  (scale \(status.scale), v\(status.version))")
        print("Cán bộ / Clerk:       \(status.clerk ?? "—")")
        if let session = status.session {
            print("Phiên / Session:      \(session.dossier) — \(session.clerk), \(Int(session.secondsLeft)) s left")
        } else {
            print("Phiên / Session:      —")
        }
        if let rating = status.lastRating {
            let label = rating.label.map { "\($0.vi) / \($0.en)" } ?? ""
            print("Đánh giá cuối / Last: #\(rating.seq) level \(rating.level) \(label) (\(rating.binding?.rawValue ?? "")) at \(rating.at)")
        }
        print("Sự kiện / Events:     last #\(status.lastSeq), backlog \(status.backlog)")
        if let uplink = status.uplink {
            if let disabled = uplink.disabled {
                print("Máy chủ / Uplink:     \(disabled)")
            } else {
                let last = uplink.lastUpload ?? "never"
                print("Máy chủ / Uplink:     board \(uplink.boardId ?? "?") → \(uplink.server), last upload \(last)\(uplink.lastError.map { ", last error: \($0)" } ?? "")")
            }
        }
        print("Đồng hồ / Clock:      \(status.clock.now) \(status.clock.synchronized ? "synchronized" : "NOT synchronized")")
        print("Đèn / LEDs:           \(status.leds.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
        print("GPIO:                 \(status.gpio.backend) \(status.gpio.chip) [\(status.gpio.label)]")
        print("Lỗi / Faults:         \(status.faults.isEmpty ? "none" : status.faults.joined(separator: "; "))")
    }
}

struct Enroll: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Exchange a one-time enrollment code for this board's id and token (stored with mode 0600 beside the database).")
    @OptionGroup var options: CommonOptions

    @Option(name: .long, help: "The server's URL, e.g. https://hailong.example.gov.vn:8730 (default: uplink.server).")
    var server: String?

    @Option(name: .long, help: "The code from `hailong boards add` (valid 24 h, once).")
    var code: String

    @Flag(name: .long, help: "Replace an existing enrollment.")
    var force = false

    func run() async throws {
        _ = options.logger()
        let config = try options.loadConfig()
        guard let server = server ?? (config.uplink.server.isEmpty ? nil : config.uplink.server) else {
            throw Failure("give --server URL (or set uplink.server in \(options.config))")
        }
        do {
            let enrollment = try await Enroller.enroll(
                server: server, code: code, storagePath: config.storage.path, caFile: config.uplink.caFile, force: force,
                now: SystemClock().wall())
            print("enrolled as board \(enrollment.boardId) (\(enrollment.unit), \(enrollment.counter)) with \(enrollment.server)")
            print("saved to \(Enrollment.path(storagePath: config.storage.path)) (mode 0600)")
            if config.uplink.server.isEmpty {
                print("note: uplink.server is empty in \(options.config): set it to \(enrollment.server) to start forwarding")
            }
        } catch {
            throw Failure("\(error)")
        }
    }
}
