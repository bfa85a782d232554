import Foundation
import HailongDomain
public import HailongGPIO
import HailongHTTP
public import Hummingbird
public import Logging
public import ServiceLifecycle
public import HailongSystemd

/// One counter board's agent: config, event log, GPIO backend, counter pipeline and local API,
/// assembled; `services` are what `hailong-agent run` runs in a `ServiceGroup`.
public final class Agent: Sendable {
    public let config: AgentConfig
    public let log: EventLog
    public let backend: any GPIOBackend
    public let pipeline: CounterPipeline
    public let simulator: Simulator?
    public let apiToken: String
    public let clock: any AgentClock
    /// systemd's notify socket (inactive outside systemd).
    public let notifier: SystemdNotifier
    /// The board's enrollment with the server, if `uplink.server` is set and it is enrolled.
    public let enrollment: Enrollment?
    /// What the uplink has done (status, metrics).
    public let uplinkState: UplinkState
    /// The local API's open connections (limits: `api.max_connections`, `api.head_timeout_s`).
    let connections: ConnectionRegistry
    let logger: Logger

    /// Opens everything a running agent needs, in the order a technician would check it:
    /// database, then GPIO, then the API token.
    /// - Throws: `AgentSetupError` with a message naming what is wrong.
    public convenience init(config: AgentConfig, clock: any AgentClock = SystemClock(), logger: Logger) throws(AgentSetupError) {
        try self.init(config: config, clock: clock, logger: logger) { lines, logger throws(GPIOError) in
            try LibgpiodBackend(lines: lines, logger: logger)
        }
    }

    /// As above, with `openChip` standing in for libgpiod when `gpio.backend` is `libgpiod`:
    /// tests run a board's configuration on a machine without a GPIO chip.
    package init(
        config: AgentConfig, clock: any AgentClock = SystemClock(), logger: Logger,
        openChip: (LineMap, Logger) throws(GPIOError) -> any GPIOBackend
    ) throws(AgentSetupError) {
        self.config = config
        self.clock = clock
        self.logger = logger
        connections = ConnectionRegistry(maximum: config.api.limits.maximumConnections, name: "local API", logger: logger)
        notifier = SystemdNotifier(logger: logger)
        do {
            log = try EventLog(path: config.storage.path, clock: clock)
        } catch {
            throw AgentSetupError(error.description)
        }
        do {
            enrollment = config.uplink.server.isEmpty ? nil : try Enrollment.load(storagePath: config.storage.path)
            if enrollment != nil { try UplinkHTTP.checkCAFile(config.uplink.caFile) }
        } catch {
            throw AgentSetupError(error.description)
        }
        let disabled: String? =
            config.uplink.server.isEmpty ? "uplink.server is empty: not forwarding"
            : enrollment == nil ? "not enrolled: run hailong-agent enroll --server URL --code CODE" : nil
        uplinkState = UplinkState(
            server: config.uplink.server, boardId: enrollment?.boardId, disabled: disabled, lastUpload: try? log.lastUpload())
        let simulated: SimulatedBackend?
        switch config.gpio.backend {
        case .simulated:
            let sim = SimulatedBackend(buttonCount: config.gpio.buttons.count, ledCount: config.gpio.ledRoles.count, clock: clock.monotonic)
            simulated = sim
            backend = sim
        case .libgpiod:
            do {
                backend = try openChip(config.gpio.lineMap, logger)
            } catch {
                throw AgentSetupError("GPIO: \(error)")
            }
            simulated = nil
        }
        do {
            pipeline = try CounterPipeline(config: config, backend: backend, log: log, clock: clock, logger: logger)
            apiToken = try APIToken.loadOrCreate(path: config.api.tokenFile, logger: logger)
        } catch {
            backend.shutdown()
            throw AgentSetupError("\(error)")
        }
        let pipeline = self.pipeline
        simulator = simulated.map { Simulator(backend: $0, pipeline: pipeline) }
    }

    /// The local API server. Once it listens the agent is ready: GPIO lines and database were
    /// opened in `init`, so systemd hears `READY=1` only when everything works.
    public func apiApplication() -> some ApplicationProtocol {
        Application(
            router: LocalAPI.router(agent: self),
            server: config.api.limits.server(connections),
            configuration: .init(address: .hostname(config.api.host, port: config.api.port), serverName: "hailong-agent"),
            onServerRunning: { [self] _ in
                _ = notifier.notify(.ready, .status(await statusLine()))
            },
            logger: logger)
    }

    /// Everything `run` runs: the counter pipeline, the watchdog, then the API (shut down in
    /// reverse). The watchdog pings only when a probe got through the pipeline's actor, and
    /// refreshes systemd's STATUS= line on the way.
    public func services() -> [any Service] {
        let pipeline = self.pipeline
        let watchdog = WatchdogService(
            notifier: notifier,
            probe: { [self] in
                let alive = await pipeline.heartbeat()
                _ = notifier.notify(.status(await statusLine()))
                return alive
            },
            logger: logger)
        var services: [any Service] = [
            PipelineService(agent: self), watchdog,
            RetentionService(log: log, clock: clock, retainDays: config.storage.retainDays, logger: logger),
        ]
        if let enrollment {
            if enrollment.server != UplinkHTTP.base(config.uplink.server) {
                logger.warning(
                    "enrolled with another server than uplink.server; forwarding to uplink.server",
                    metadata: ["enrolled": "\(enrollment.server)", "uplink.server": "\(config.uplink.server)"])
            }
            services.append(UplinkService(agent: self, enrollment: enrollment))
        } else if let disabled = uplinkState.snapshot.disabled, !config.uplink.server.isEmpty {
            logger.warning("\(disabled)")
        }
        services.append(apiApplication())
        return services
    }

    /// The uplink with its own HTTP client, shut down when the service stops.
    struct UplinkService: Service {
        let agent: Agent
        let enrollment: Enrollment

        func run() async throws {
            let client = try UplinkHTTP.makeClient(caFile: agent.config.uplink.caFile)
            let pipeline = agent.pipeline
            let uplink = Uplink(
                settings: .init(boardId: enrollment.boardId, detail: agent.config.uplink.detail),
                log: agent.log, clock: agent.clock,
                transport: HTTPUplinkTransport(client: client, server: agent.config.uplink.server, token: enrollment.token),
                state: agent.uplinkState, logger: agent.logger,
                faults: {
                    let snapshot = await pipeline.snapshot()
                    var faults = snapshot.stuckLevels.map { "stuck:\($0)" }
                    if snapshot.storageFault != nil { faults.append("storage") }
                    return faults
                })
            do {
                try await uplink.run()
            } catch {
                try? await client.shutdown()
                throw error
            }
            try await client.shutdown()
            agent.logger.info("uplink stopped")
        }
    }

    /// One line for `systemctl status`: counter, clerk, backlog, last rating.
    public func statusLine() async -> String {
        let status = await status()
        var parts = ["\(status.counter)", "clerk: \(status.clerk ?? "-")", "backlog: \(status.backlog)"]
        if let rating = status.lastRating { parts.append("last rating: #\(rating.seq) at \(rating.at)") }
        if !status.faults.isEmpty { parts.append("FAULT: \(status.faults.joined(separator: "; "))") }
        return parts.joined(separator: ", ")
    }

    /// What `GET /v1/status` and `hailong-agent status` show.
    public func status() async -> AgentStatus {
        let snapshot = await pipeline.snapshot()
        let summary = try? log.summary()
        var faults: [String] = snapshot.stuckLevels.map { "button \($0) held too long (stuck) / nút \($0) bị kẹt" }
        if let storage = snapshot.storageFault { faults.append("storage: \(storage)") }
        let wall = clock.wall()
        return AgentStatus(
            counter: config.counter, scale: config.scale.rawValue, version: HailongVersion.current,
            clerk: snapshot.clerk?.value,
            session: snapshot.session.map { session in
                AgentStatus.SessionStatus(
                    dossier: session.dossier.value, clerk: session.clerk.value,
                    openedAt: (wall + (session.openedAt - snapshot.now)).rfc3339,
                    secondsLeft: max(0, (session.deadline - snapshot.now).seconds))
            },
            lastRating: summary?.lastRating.map { record in
                AgentStatus.RatingStatus(
                    seq: record.seq ?? 0, level: record.level ?? 0,
                    label: record.level.flatMap { config.scale.label(for: $0) }, binding: record.binding,
                    dossier: record.dossier, clerk: record.clerk, at: WallTime(microseconds: record.wallUs).rfc3339)
            },
            lastSeq: summary?.lastSeq ?? 0, backlog: summary?.backlog ?? 0, faults: faults,
            clock: .init(synchronized: clock.isSynchronized(), bootId: clock.bootID, now: wall.rfc3339),
            leds: Dictionary(uniqueKeysWithValues: config.gpio.ledRoles.map { role in
                (role.role.name, snapshot.leds[role.role, default: .off].rawValue)
            }),
            held: snapshot.heldLevels, gpio: backend.description, uplink: uplinkState.snapshot)
    }
}

/// Why the agent could not start, worded for the technician.
public struct AgentSetupError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension LEDRole {
    /// `ready`, `thanks`, `fault`, or `button3` for a button's own LED.
    public var name: String {
        switch self {
        case .counter(let led): led.rawValue
        case .button(let level): "button\(level)"
        }
    }
}
