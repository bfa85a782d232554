import Foundation
import HailongClient
import Testing

/// The real `hailong-server` executable as systemd would run it: config file, migrate,
/// admin create, serve on a socket, SIGTERM → clean exit.
@Suite(.serialized) struct ProcessTests {
    static func binary() throws -> URL {
        let fromRunner = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [
            fromRunner.appendingPathComponent("hailong-server"),
            fromRunner.deletingLastPathComponent().appendingPathComponent("hailong-server"),
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent(".build/debug/hailong-server"),
        ]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw TestFailure("hailong-server binary not found in \(candidates.map(\.path))")
        }
        return found
    }

    struct Output { var status: Int32; var stdout: String; var stderr: String }

    @discardableResult
    static func run(_ arguments: [String]) throws -> Output {
        let process = Process()
        process.executableURL = try binary()
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    @Test func serveMigrateAdminAndConfigErrors() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hailong-proc-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        let bad = directory.appendingPathComponent("bad.yaml").path
        try "listen: \"127.0.0.1:8730\"\nreports: {min_m: 3}\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let refused = try Self.run(["migrate", "--config", bad])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("reports.min_m: unknown key"))

        let config = directory.appendingPathComponent("server.yaml").path
        let database = directory.appendingPathComponent("server.db").path
        func writeConfig(port: Int) throws {
            try "listen: \"127.0.0.1:\(port)\"\nstorage: {driver: sqlite, path: \(database)}\nreports: {min_n: 20}\n"
                .write(toFile: config, atomically: true, encoding: .utf8)
        }
        try writeConfig(port: 8730)
        #expect(try Self.run(["migrate", "--config", config]).status == 0)
        let admin = try Self.run(["admin", "create", "--config", config, "--username", "root", "--password", "root-password"])
        #expect(admin.status == 0, "\(admin.stderr)")
        let token = try #require(admin.stdout.split(separator: "\n").first { $0.hasPrefix("API token: ") }?.dropFirst("API token: ".count))

        // A free port is not known in advance: a server that cannot bind exits, and we try another.
        var server = Process()
        var base = ""
        var healthy = false
        for _ in 0..<5 where !healthy {
            let port = Int.random(in: 20_000...60_000)
            try writeConfig(port: port)
            server = Process()
            server.executableURL = try Self.binary()
            server.arguments = ["serve", "--config", config, "--log-level", "warning"]
            server.standardOutput = FileHandle.nullDevice
            server.standardError = FileHandle.nullDevice
            try server.run()
            base = "http://127.0.0.1:\(port)"
            let anonymous = HTTPEndpoint(baseURL: base, token: nil, timeout: .seconds(2))
            // Bounded wait until the socket answers or the process gives up.
            for _ in 0..<100 where !healthy && server.isRunning {
                if let data = try? await anonymous.send(.GET, "/healthz"), String(decoding: data, as: UTF8.self).contains("ok") {
                    healthy = true
                } else {
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            if !healthy, server.isRunning { server.terminate() }
        }
        defer { if server.isRunning { server.terminate() } }
        #expect(healthy)
        let cli = ServerCommands(api: HTTPEndpoint(baseURL: base, token: String(token)))
        #expect(try await cli.addUnit(code: "hcm", name: "TP. Hồ Chí Minh", parent: nil, timeZone: nil).contains("created unit hcm"))

        server.terminate()  // SIGTERM, as systemd stops it
        server.waitUntilExit()
        #expect(server.terminationStatus == 0)
        #expect(FileManager.default.fileExists(atPath: database))
    }
}
