import Foundation
public import HailongDomain
import HailongHTTP
public import Hummingbird
public import Logging
public import ServiceLifecycle
import NIOCore

/// How long `/healthz` (and the watchdog's probe, `DatabaseWatch`) waits for the database before
/// it answers 503.
public let healthzBound: Duration = .seconds(3)

/// Builds the server application: storage, routes, metrics. The executable only reads the
/// config, bootstraps logging and runs what this returns; tests call it with an in-memory store.
///
/// ```swift
/// var config = ServerConfig()
/// config.path = ":memory:"
/// let app = try buildApplication(config)
/// try await app.test(.router) { client in … }
/// ```
/// - Parameters:
///   - config: the parsed `server.yaml`.
///   - onServerRunning: called with the bound port once the socket listens (port 0 picks one).
///   - store: the storage to use; by default the one `config.storage` names.
///   - now: the wall clock (tests inject a fixed or stepping clock).
public func buildApplication(
    _ config: ServerConfig, store: (any HailongStore)? = nil, now: @escaping @Sendable () -> WallTime = WallTime.now,
    logger: Logger = Logger(label: "hailong.server"),
    onServerRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    let given = store
    let store: any HailongStore
    if let given {
        store = given
    } else if config.driver == .postgres {
        throw ConfigError(
            file: "server.yaml", key: "storage.driver", message: "a PostgreSQL store is opened with openStore(_:logger:inServiceGroup:) and passed in")
    } else {
        store = try openStore(config, logger: logger).store
    }
    let router = Router(context: ServerRequestContext.self)
    router.add(middleware: LogRequestsMiddleware(.debug))
    router.add(middleware: JSONErrorMiddleware())
    let metrics = ServerMetrics()
    let connections = ConnectionRegistry(maximum: config.http.maximumConnections, name: "server", logger: logger)
    let server = ServerContext(
        store: store, auth: Authenticator(store: store, metrics: metrics, logger: logger), metrics: metrics, now: now, config: config,
        logger: logger, throttle: LoginThrottle(store: store), passwords: PasswordHasher(cost: config.bcryptCost) { metrics.passwordChecked(cost: $0) })
    let zones = ZoneOffsets()
    // A load balancer's probe: 503 soon, not a hang, while the database is away.
    router.get("/healthz") { _, _ in
        do { try await store.ping(within: healthzBound) } catch {
            logger.warning("health probe failed", metadata: ["error": "\(error)"])
            throw APIError(
                .serviceUnavailable, "unavailable", "\(error)", extra: ["status": .string("unavailable")])
        }
        return try Response.json(["status": "ok"])
    }
    router.get("/metrics") { _, _ in
        metrics.connections(connections.counts)
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: metrics.text())))
    }
    router.get("/openapi.yaml") { _, _ in
        Response(
            status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml + "\n")))
    }
    AccountsController(server: server).register(router)
    OrganisationController(server: server).register(router)
    BoardsController(server: server).register(router)
    IngestController(server: server).register(router)
    let reports = SatisfactionReport(store: store, zones: zones, minimumN: config.minN)
    ReportsController(server: server, reports: reports).register(router)
    try WebController(server: server, reports: reports).register(router)
    return Application(
        router: router, server: config.http.server(connections),
        configuration: .init(address: .hostname(config.host, port: config.port), serverName: "hailong-server"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
        logger: logger)
}

/// A store opened from the config, with what must run beside it.
public struct OpenedStore: Sendable {
    public var store: any HailongStore
    /// Services the store needs running (PostgreSQL's connection pool) when it was opened for a
    /// service group; empty otherwise.
    public var services: [any Service]
    /// Brings the schema up to date (SQLite: done on open; PostgreSQL: the migrations under their
    /// advisory lock, refusing a database newer than this build). Call once the services run.
    public var prepare: @Sendable () async throws -> Void
}

/// Opens the storage `config` names. `inServiceGroup`: the PostgreSQL pool is returned as a
/// service for the caller's group (the server); otherwise the store runs it itself (commands,
/// tests).
public func openStore(_ config: ServerConfig, logger: Logger = Logger(label: "hailong.server.storage"), inServiceGroup: Bool = false) throws
    -> OpenedStore
{
    switch config.driver {
    case .sqlite: return OpenedStore(store: try SQLiteStore(path: config.path, logger: logger), services: [], prepare: {})
    case .memory: return OpenedStore(store: try SQLiteStore(path: ":memory:", logger: logger), services: [], prepare: {})
    case .postgres:
        let settings = try config.postgres(password: try config.postgresPassword())
        let store = try PostgresStore(settings: settings, runClient: !inServiceGroup, logger: logger)
        logger.info("storage: PostgreSQL", metadata: ["url": "\(settings.redacted)", "pool_size": "\(settings.poolSize)"])
        return OpenedStore(
            store: store, services: inServiceGroup ? [store.client] : [],
            prepare: { try await store.prepare(migrate: true, now: WallTime.now()) })
    }
}

/// Creates an account directly in the store (the `hailong-server admin create` command) and
/// returns an API token for it.
public func createAccount(
    store: any HailongStore, username: String, password: String, role: Role, unit: String?, bcryptCost: UInt8 = 12, now: WallTime
) async throws -> (Account, String) {
    try AccountRules.check(role: role, unit: unit, password: password)
    let hash = HummingbirdBcryptShim.hash(password, cost: bcryptCost)
    let account = try await store.createAccount(username: username, passwordHash: hash, role: role, unit: unit)
    let token = Secret.token(prefix: "hla_")
    try await store.addAPIToken(hash: TokenDigest.hex(token), accountId: account.id, now: now)
    return (account, token)
}

extension WallTime {
    /// The system wall clock.
    @Sendable public static func now() -> WallTime {
        WallTime(microseconds: Int64((Date().timeIntervalSince1970 * 1_000_000).rounded()))
    }
}
