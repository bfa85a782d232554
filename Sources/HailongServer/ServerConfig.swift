import Foundation
public import HailongHTTP
import Yams

/// `/etc/hailong/server.yaml` (DESIGN §8). Every key has a default; an unknown or misspelt key
/// is an error naming the file and the key.
///
/// ```yaml
/// listen: "0.0.0.0:8730"
/// storage: {driver: sqlite, path: /var/lib/hailong/server.db, url: ""}
/// reports: {min_n: 20}
/// ```
public struct ServerConfig: Sendable, Equatable {
    public enum Driver: String, Sendable, Equatable { case sqlite, postgres, memory }

    public var host: String = "0.0.0.0"
    public var port: Int = 8730
    public var driver: Driver = .sqlite
    /// SQLite file; `:memory:` for a throwaway database.
    public var path: String = "/var/lib/hailong/server.db"
    /// `storage.url`, `storage.password_file`, `storage.ca_file`, `storage.pool_size`: the
    /// PostgreSQL store's (`PostgresSettings`). The password is read from the file, or from
    /// `HAILONG_DB_PASSWORD`, never from the YAML.
    public var url: String = ""
    public var passwordFile: String?
    public var caFile: String?
    public var poolSize: Int = 16
    public var minN: Int64 = 20
    /// bcrypt cost for new password hashes (not a config key: tests lower it).
    public var bcryptCost: UInt8 = 12
    /// `http.max_connections`, `http.head_timeout_s`, `http.body_timeout_s`: how many
    /// connections the server holds and how long a client may take to send a request. The
    /// connection cap is lowered at start to fit the open-file limit.
    public var http = ConnectionLimits(maximumConnections: 4096, headTimeout: .seconds(10), bodyTimeout: .seconds(60))
    /// `web.session_hours`: a dashboard session ends after this long unused.
    public var sessionHours: Int = 8
    /// `web.trusted_proxies`: the addresses of reverse proxies (nginx) whose
    /// `X-Forwarded-Proto` and `X-Forwarded-For` the dashboard believes.
    public var trustedProxies: [String] = []
    /// How long a board's upload waits for the database before it is answered 503 (the board
    /// resends later): while PostgreSQL is away a replica no longer holds every board's
    /// connection until it is back. Far above a batch's time when the database answers
    /// (milliseconds). Not a config key; tests shorten it.
    public var ingestStoreBound: Duration = .seconds(15)

    public init() {}

    public static let defaultPath = "/etc/hailong/server.yaml"

    /// Reads and checks a config file.
    public static func load(path: String) throws(ConfigError) -> ServerConfig {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, key: nil, message: "cannot read the file")
        }
        return try parse(text, file: path)
    }

    /// Parses config text; `file` only names the source in errors.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> ServerConfig {
        var config = ServerConfig()
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw ConfigError(file: file, key: nil, message: "not valid YAML: \(error)")
        }
        guard let node else { return config }
        guard let root = node.mapping else { throw ConfigError(file: file, key: nil, message: "the top level must be a mapping") }
        for (keyNode, value) in root {
            let key = keyNode.string ?? "?"
            switch key {
            case "listen":
                let text = try scalar(value, key, file)
                guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
                    (1...65535).contains(port)
                else { throw ConfigError(file: file, key: key, message: "expected HOST:PORT, got \"\(text)\"") }
                config.host = String(text[..<colon])
                config.port = port
            case "storage":
                for (subKey, subValue) in try mapping(value, key, file) {
                    let name = "storage.\(subKey.string ?? "?")"
                    switch subKey.string {
                    case "driver":
                        let text = try scalar(subValue, name, file)
                        guard let driver = Driver(rawValue: text) else {
                            throw ConfigError(file: file, key: name, message: "expected sqlite or postgres, got \"\(text)\"")
                        }
                        config.driver = driver
                    case "path": config.path = try scalar(subValue, name, file)
                    case "url": config.url = try scalar(subValue, name, file)
                    case "password_file": config.passwordFile = try scalar(subValue, name, file)
                    case "ca_file": config.caFile = try scalar(subValue, name, file)
                    case "pool_size":
                        guard let n = Int(try scalar(subValue, name, file)), (1...1000).contains(n) else {
                            throw ConfigError(file: file, key: name, message: "expected a whole number, 1–1000")
                        }
                        config.poolSize = n
                    case "password":
                        throw ConfigError(file: file, key: name, message: "the password never sits in the YAML: use storage.password_file or HAILONG_DB_PASSWORD")
                    default: throw ConfigError(file: file, key: name, message: "unknown key")
                    }
                }
            case "reports":
                for (subKey, subValue) in try mapping(value, key, file) {
                    let name = "reports.\(subKey.string ?? "?")"
                    switch subKey.string {
                    case "min_n":
                        guard let n = Int64(try scalar(subValue, name, file)), n >= 0 else {
                            throw ConfigError(file: file, key: name, message: "expected a whole number ≥ 0")
                        }
                        config.minN = n
                    default: throw ConfigError(file: file, key: name, message: "unknown key")
                    }
                }
            case "http":
                for (subKey, subValue) in try mapping(value, key, file) {
                    let name = "http.\(subKey.string ?? "?")"
                    guard ["max_connections", "head_timeout_s", "body_timeout_s"].contains(subKey.string ?? "") else {
                        throw ConfigError(file: file, key: name, message: "unknown key")
                    }
                    guard let n = Int(try scalar(subValue, name, file)), n >= 1 else {
                        throw ConfigError(file: file, key: name, message: "expected a whole number ≥ 1")
                    }
                    switch subKey.string {
                    case "max_connections": config.http.maximumConnections = n
                    case "head_timeout_s": config.http.headTimeout = .seconds(n)
                    case "body_timeout_s": config.http.bodyTimeout = .seconds(n)
                    default: throw ConfigError(file: file, key: name, message: "unknown key")
                    }
                }
            case "web":
                for (subKey, subValue) in try mapping(value, key, file) {
                    let name = "web.\(subKey.string ?? "?")"
                    switch subKey.string {
                    case "session_hours":
                        guard let n = Int(try scalar(subValue, name, file)), (1...24 * 30).contains(n) else {
                            throw ConfigError(file: file, key: name, message: "expected a whole number of hours, 1–720")
                        }
                        config.sessionHours = n
                    case "trusted_proxies":
                        guard let list = subValue.sequence else {
                            throw ConfigError(file: file, key: name, message: "expected a list of IP addresses")
                        }
                        config.trustedProxies = try list.map { node throws(ConfigError) in try scalar(node, name, file) }
                    default: throw ConfigError(file: file, key: name, message: "unknown key")
                    }
                }
            default:
                throw ConfigError(file: file, key: key, message: "unknown key")
            }
        }
        if config.driver == .postgres {
            guard !config.url.isEmpty else { throw ConfigError(file: file, key: "storage.url", message: "driver postgres needs a url") }
            do { _ = try config.postgres(password: nil) } catch { throw ConfigError(file: file, key: "storage.url", message: error.description) }
        }
        return config
    }

    private static func scalar(_ node: Node, _ key: String, _ file: String) throws(ConfigError) -> String {
        guard let text = node.scalar?.string else { throw ConfigError(file: file, key: key, message: "expected a single value") }
        return text
    }

    private static func mapping(_ node: Node, _ key: String, _ file: String) throws(ConfigError) -> Node.Mapping {
        guard let mapping = node.mapping else { throw ConfigError(file: file, key: key, message: "expected a mapping") }
        return mapping
    }
}

/// A config problem, naming the file and the key.
public struct ConfigError: Error, Equatable, CustomStringConvertible {
    public var file: String
    public var key: String?
    public var message: String

    public init(file: String, key: String?, message: String) {
        self.file = file
        self.key = key
        self.message = message
    }

    public var description: String { key.map { "\(file): \($0): \(message)" } ?? "\(file): \(message)" }
}

extension ServerConfig {
    /// The PostgreSQL settings `storage` names; `password` as read from `storage.password_file`
    /// or the environment (`postgresPassword()`).
    public func postgres(password: String?) throws(SettingsError) -> PostgresSettings {
        try PostgresSettings.parse(url: url, password: password, caFile: caFile, poolSize: poolSize)
    }

    /// The database password: `storage.password_file`'s first line, else `HAILONG_DB_PASSWORD`,
    /// else none (peer or certificate authentication).
    public func postgresPassword(environment: [String: String]? = nil) throws(SettingsError) -> String? {
        if let passwordFile {
            guard let data = FileManager.default.contents(atPath: passwordFile), let text = String(data: data, encoding: .utf8) else {
                throw SettingsError("cannot read storage.password_file \(passwordFile)")
            }
            return String(text.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
        }
        return (environment ?? ProcessInfo.processInfo.environment)["HAILONG_DB_PASSWORD"]
    }
}
