import Foundation
import NIOSSL
import PostgresNIO

/// Where and how the PostgreSQL store connects (`storage.url` and its neighbours, issue 15):
///
/// ```yaml
/// storage:
///   driver: postgres
///   url: postgres://hailong@db.internal:5432/hailong?sslmode=verify-full
///   password_file: /etc/hailong/db-password     # or HAILONG_DB_PASSWORD in the environment
///   ca_file: /etc/hailong/db-ca.pem             # verify-full against this CA (else the system's)
///   pool_size: 16
/// ```
///
/// A Unix socket instead of TCP: `postgres://hailong@/hailong?host=/run/postgresql` (the port
/// names the socket file, `.s.PGSQL.5432`). The password never sits in the YAML.
public struct PostgresSettings: Sendable, Equatable {
    public enum TLSMode: String, Sendable, Equatable {
        case disable, prefer, require
        case verifyFull = "verify-full"
    }

    public var username: String
    public var host: String
    public var port: Int
    public var database: String
    /// The directory holding the server's socket, when connecting through one.
    public var socketDirectory: String?
    public var tls: TLSMode
    public var password: String?
    public var caFile: String?
    public var poolSize: Int

    /// Parses `storage.url`; `password` comes from `storage.password_file` or the environment.
    public static func parse(url: String, password: String?, caFile: String?, poolSize: Int) throws(SettingsError) -> PostgresSettings {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? "") else {
            throw SettingsError("storage.url must look like postgres://user@host:port/database, not \"\(url)\"")
        }
        guard let user = components.user, !user.isEmpty else { throw SettingsError("storage.url names no user (postgres://USER@…)") }
        if components.password != nil {
            throw SettingsError("storage.url must not hold the password: use storage.password_file or HAILONG_DB_PASSWORD")
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty else { throw SettingsError("storage.url names no database (…/DATABASE)") }
        var socket: String?
        var tls = TLSMode.prefer
        var rootCert = caFile
        for item in components.queryItems ?? [] {
            switch item.name {
            case "host": socket = item.value
            case "sslmode":
                guard let mode = TLSMode(rawValue: item.value ?? "") else {
                    throw SettingsError("sslmode must be disable, prefer, require or verify-full, not \"\(item.value ?? "")\"")
                }
                tls = mode
            case "sslrootcert": rootCert = item.value
            default: throw SettingsError("storage.url: unknown parameter \"\(item.name)\" (known: host, sslmode, sslrootcert)")
            }
        }
        if let socket, !socket.hasPrefix("/") { throw SettingsError("storage.url: host= must be a socket directory (/run/postgresql)") }
        guard socket != nil || !(components.host ?? "").isEmpty else { throw SettingsError("storage.url names no host") }
        guard (1...1000).contains(poolSize) else { throw SettingsError("storage.pool_size must be 1–1000") }
        return PostgresSettings(
            username: user, host: components.host ?? "", port: components.port ?? 5432, database: database, socketDirectory: socket,
            tls: socket != nil ? .disable : tls, password: password, caFile: rootCert, poolSize: poolSize)
    }

    /// The client configuration, with TLS as asked (`verify-full` checks the certificate and
    /// the host name against `ca_file`, or the system's CAs).
    func clientConfiguration(searchPath: String? = nil) throws -> PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        if let socketDirectory {
            configuration = .init(
                unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(port)", username: username, password: password, database: database)
        } else {
            var tlsConfiguration = TLSConfiguration.makeClientConfiguration()
            let tlsSetting: PostgresClient.Configuration.TLS
            switch tls {
            case .disable: tlsSetting = .disable
            case .prefer, .require:
                tlsConfiguration.certificateVerification = .none
                tlsSetting = tls == .prefer ? .prefer(tlsConfiguration) : .require(tlsConfiguration)
            case .verifyFull:
                tlsConfiguration.certificateVerification = .fullVerification
                if let caFile { tlsConfiguration.trustRoots = .file(caFile) }
                tlsSetting = .require(tlsConfiguration)
            }
            configuration = .init(host: host, port: port, username: username, password: password, database: database, tls: tlsSetting)
        }
        configuration.options.maximumConnections = poolSize
        configuration.options.minimumConnections = 0
        if let searchPath { configuration.options.additionalStartupParameters = [("search_path", searchPath)] }
        return configuration
    }

    /// What to say in logs: no password.
    public var redacted: String {
        socketDirectory.map { "postgres://\(username)@/\(database)?host=\($0)" } ?? "postgres://\(username)@\(host):\(port)/\(database)"
    }
}

public struct SettingsError: Error, CustomStringConvertible, Equatable {
    public var description: String
    init(_ description: String) { self.description = description }
}
