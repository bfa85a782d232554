import ArgumentParser
import HailongDomain
import HailongHTTP
import HailongServer
import HailongSystemd
import Hummingbird
import Logging
import ServiceLifecycle

@main
struct HailongServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hailong-server", abstract: "The Hailong central server.",
        subcommands: [Serve.self, Migrate.self, Admin.self], defaultSubcommand: Serve.self)
}

struct Options: ParsableArguments {
    @Option(name: .shortAndLong, help: "Config file.") var config: String = ServerConfig.defaultPath
    @Option(help: "Log level (trace, debug, info, notice, warning, error).") var logLevel: String = "info"

    func load() throws -> ServerConfig {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(rawValue: logLevel) ?? .info
            return handler
        }
        // A missing default file means defaults; a named file must exist.
        if config == ServerConfig.defaultPath, !fileExists(config) { return ServerConfig() }
        do { return try ServerConfig.load(path: config) } catch { throw ValidationError(error.description) }
    }
}

import Foundation
func fileExists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server (default).")
    @OptionGroup var options: Options
    func run() async throws {
        var loaded = try options.load()
        let logger = Logger(label: "hailong.server")
        // Every connection is a descriptor: the cap stays below the open-file limit, so the
        // process never runs out of them (systemd's unit sets LimitNOFILE=).
        let files = FileLimit.raise()
        loaded.http = loaded.http.fitting(fileLimit: files)
        let config = loaded
        logger.info("connection limits", metadata: ["max_connections": "\(config.http.maximumConnections)", "open_files": "\(files)"])
        // systemd (Type=notify): READY=1 once the database is open and the socket listens,
        // WATCHDOG=1 while the process runs its probe (through a database outage too: see
        // DatabaseWatch), STATUS= when the database goes away or comes back, STOPPING=1 on SIGTERM.
        let notifier = SystemdNotifier(logger: logger)
        let opened: OpenedStore
        do { opened = try openStore(config, logger: logger, inServiceGroup: true) } catch { throw Failure("\(error)") }
        let store = opened.store
        let app = try buildApplication(config, store: store, logger: logger) { port in
            notifier.notify(.ready, .status("listening on \(config.host):\(port), storage \(config.driver.rawValue)"))
        }
        let database = DatabaseWatch(store: store, notifier: notifier, logger: logger)
        let watchdog = WatchdogService(
            notifier: notifier,
            probe: {
                await database.probe()
                return true
            },
            logger: logger)
        // The store's pool first (it stops last); the application listens once the schema is
        // this build's.
        let services = opened.services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) } + [
            .init(service: AfterPreparing(prepare: opened.prepare, app: app, logger: logger)), .init(service: watchdog),
            .init(service: StoppingNotice(notifier: notifier)),
        ]
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do { try await group.run() } catch {
            if let listen = ListenError.from(error, host: config.host, port: config.port) {
                logger.critical("\(listen)")
                throw Failure(listen.description)
            }
            throw error
        }
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create or upgrade the database, then exit.")
    @OptionGroup var options: Options
    func run() async throws {
        let config = try options.load()
        do {
            let opened = try openStore(config)
            try await opened.prepare()
        } catch { throw Failure("\(error)") }
        print(config.driver == .postgres ? "database \(config.url) is up to date" : "database at \(config.path) is up to date")
    }
}

struct Admin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Accounts.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an account and print an API token for it.")
        @OptionGroup var options: Options
        @Option var username: String
        @Option(help: "Password (or set HAILONG_PASSWORD).") var password: String?
        @Option(help: "admin | manager | technician") var role: String = "admin"
        @Option(help: "A manager's unit code.") var unit: String?
        func run() async throws {
            let config = try options.load()
            guard let role = Role(rawValue: role) else { throw ValidationError("role must be admin, manager or technician") }
            guard let password = password ?? ProcessInfo.processInfo.environment["HAILONG_PASSWORD"], password.utf8.count >= 8 else {
                throw ValidationError("give --password (8 characters or more) or HAILONG_PASSWORD")
            }
            let store: any HailongStore
            do {
                let opened = try openStore(config)
                try await opened.prepare()
                store = opened.store
            } catch { throw Failure("\(error)") }
            let created: (account: Account, token: String)
            do {
                created = try await createAccount(
                    store: store, username: username, password: password, role: role, unit: unit, now: WallTime.now())
            } catch {
                throw Failure((error as? APIError)?.message ?? "\(error)")
            }
            print("created \(created.account.role.rawValue) \(created.account.username)")
            print("API token: \(created.token)")
        }
    }
}

/// The application, once the store's schema is prepared: a server never listens on a database
/// it cannot serve (a newer schema, an unreachable server), and says why.
struct AfterPreparing<App: Service>: Service {
    let prepare: @Sendable () async throws -> Void
    let app: App
    let logger: Logger

    func run() async throws {
        do { try await prepare() } catch {
            logger.critical("storage not ready: \(error)")
            throw Failure("\(error)")
        }
        try await app.run()
    }
}

/// A failure at run time (not a usage mistake): ArgumentParser prints `Error: <description>`
/// without the usage text, and the process exits 1.
struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
