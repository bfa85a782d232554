import Foundation
import Logging

/// The local API's bearer token, kept in `api.token_file`.
enum APIToken {
    /// Reads the token; when the file does not exist yet, creates it (mode 0600) with a fresh
    /// random token so a new board is never left with an open API.
    static func loadOrCreate(path: String, logger: Logger) throws(AgentSetupError) -> String {
        let manager = FileManager.default
        if manager.fileExists(atPath: path) {
            guard let data = manager.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw AgentSetupError("api.token_file \(path): cannot be read (permissions?)")
            }
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard token.count >= 16 else {
                throw AgentSetupError("api.token_file \(path): the token must be at least 16 characters")
            }
            return token
        }
        var generator = SystemRandomNumberGenerator()
        let token = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        guard manager.createFile(atPath: path, contents: Data((token + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw AgentSetupError("api.token_file \(path): does not exist and cannot be created (does the directory exist and is it writable?)")
        }
        logger.notice("created a new local API token", metadata: ["file": "\(path)"])
        return token
    }
}
