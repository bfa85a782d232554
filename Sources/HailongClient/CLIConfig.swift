public import Foundation
import Yams

/// Where the CLI finds the server and its token: flags, then the environment
/// (`HAILONG_SERVER`, `HAILONG_TOKEN`), then `~/.config/hailong/cli.yaml` (`server:`, `token:`).
public struct CLIConfig: Equatable, Sendable {
    public var server: String
    public var token: String?

    public init(server: String, token: String?) {
        self.server = server
        self.token = token
    }

    public static let defaultServer = "http://127.0.0.1:8730"

    public static var defaultFile: String {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        return home + "/.config/hailong/cli.yaml"
    }

    /// Resolves the settings; a file with an unknown key is an error naming it.
    public static func resolve(
        server: String?, token: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
        file: String = CLIConfig.defaultFile
    ) throws -> CLIConfig {
        var fromFile: [String: String] = [:]
        if let data = FileManager.default.contents(atPath: file) {
            let text = String(decoding: data, as: UTF8.self)
            let node: Node?
            do { node = try Yams.compose(yaml: text) } catch { throw CLIError("\(file): not valid YAML: \(error)") }
            if let mapping = node?.mapping {
                for (key, value) in mapping {
                    let name = key.string ?? "?"
                    guard ["server", "token"].contains(name) else { throw CLIError("\(file): \(name): unknown key") }
                    fromFile[name] = value.string
                }
            }
        }
        return CLIConfig(
            server: server ?? environment["HAILONG_SERVER"] ?? fromFile["server"] ?? defaultServer,
            token: token ?? environment["HAILONG_TOKEN"] ?? fromFile["token"])
    }

    /// Writes `server` and `token` to the config file, mode 0600 (the token is a secret).
    public func save(to file: String = CLIConfig.defaultFile) throws {
        let directory = (file as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let text = "server: \"\(server)\"\ntoken: \"\(token ?? "")\"\n"
        guard FileManager.default.createFile(atPath: file, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CLIError("cannot write \(file)")
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
    }
}
