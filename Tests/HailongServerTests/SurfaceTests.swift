import Foundation
import HailongDomain
import HailongServer
import HummingbirdTesting
import Testing

@Suite struct SurfaceTests {
    /// The published OpenAPI document is the file served, and every path it lists answers
    /// (anything but 404), and every route the server has is in it.
    @Test func openAPIDocumentMatchesTheRoutes() async throws {
        let h = try await Harness()
        try await h.app().test(.router) { client in
            let served = try await client.send(.get, "/openapi.yaml")
            #expect(served.status == .ok)
            // Compiled in (no resource bundle beside the binary): the document parses as YAML.
            #expect(served.text.hasPrefix("openapi: 3.1.0\n") && served.text.hasSuffix("\n"))
            #expect(served.headers[.contentType]?.hasPrefix("application/yaml") == true)
            var documented: [String: [String]] = [:]
            var current: String?
            for line in served.text.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix("  /"), line.hasSuffix(":") {
                    current = String(line.dropFirst(2).dropLast())
                    documented[current ?? ""] = []
                } else if let path = current, line.hasPrefix("    "), !line.hasPrefix("     "),
                    let method = ["get:", "post:", "delete:", "put:"].first(where: { line.hasSuffix($0) })
                {
                    documented[path, default: []].append(String(method.dropLast()))
                } else if !line.hasPrefix(" ") {
                    current = nil
                }
            }
            let routes: [String: [String]] = [
                "/healthz": ["get"], "/metrics": ["get"], "/openapi.yaml": ["get"], "/v1/login": ["post"], "/v1/me": ["get"],
                "/v1/accounts": ["post"], "/v1/units": ["get", "post"], "/v1/counters": ["get", "post"],
                "/v1/clerks": ["get", "post"], "/v1/clerks/import": ["post"], "/v1/boards": ["get", "post"],
                "/v1/boards/{id}/revoke": ["post"], "/v1/boards/{id}/events": ["get"], "/v1/boards/enroll": ["post"], "/v1/ingest": ["post"],
                "/v1/reports/satisfaction": ["get"], "/v1/dossiers/{code}": ["get"], "/v1/alerts": ["get"],
            ]
            #expect(documented == routes)
            for (path, methods) in documented {
                for method in methods {
                    let uri = path.replacingOccurrences(of: "{id}", with: "x").replacingOccurrences(of: "{code}", with: "x")
                    let reply = try await client.send(method == "get" ? .get : .post, uri)
                    #expect(reply.status != .notFound && reply.status != .methodNotAllowed, "\(method) \(path)")
                }
            }
        }
    }

    @Test func healthAndMetrics() async throws {
        let h = try await Harness()
        try await h.app().test(.router) { client in
            #expect(try await client.send(.get, "/healthz").json["status"] as? String == "ok")
            try await client.unit("hcm", "TP. Hồ Chí Minh", parent: nil, admin: h.adminToken)
            let board = try await client.board(unit: "hcm", counter: "Quầy 1", admin: h.adminToken)
            _ = try await client.send(.post, "/v1/ingest", token: board.token, json: batch(board, [rating(1, "2026-11-23T02:00:00Z", level: 3)]))
            _ = try await client.send(.post, "/v1/ingest", token: board.token, json: batch(board, [rating(3, "2026-11-23T02:00:00Z", level: 3)]))
            let metrics = try await client.send(.get, "/metrics").text
            #expect(metrics.contains("hailong_ingest_events_total 1"))
            #expect(metrics.contains("hailong_ingest_batches_total 1"))
            #expect(metrics.contains("hailong_ingest_rejects_total{reason=\"gap\"} 1"))
            #expect(metrics.contains("hailong_boards_seen 1"))
            #expect(metrics.contains("hailong_ingest_duration_seconds_bucket"))
            let boards = try await client.send(.get, "/v1/boards", token: h.adminToken)
            let first = (boards.json["boards"] as? [[String: Any]])?.first
            #expect(first?["lastSeq"] as? Int == 1)
            #expect(first?["version"] as? String == "0.1.0")
            #expect(first?["lastSeenAt"] as? String == "2026-11-23T05:00:00Z")
        }
    }
}

@Suite struct ConfigTests {
    @Test func defaultsAndKeys() throws {
        let config = try ServerConfig.parse("listen: \"127.0.0.1:9000\"\nstorage: {driver: sqlite, path: /tmp/x.db}\nreports: {min_n: 5}\n", file: "server.yaml")
        #expect(config.host == "127.0.0.1" && config.port == 9000 && config.path == "/tmp/x.db" && config.minN == 5)
        #expect(try ServerConfig.parse("", file: "server.yaml") == ServerConfig())
    }

    /// The packaged example shows every default: it parses to exactly the defaults.
    @Test func theExampleFileShowsTheDefaults() throws {
        let path = #filePath.replacingOccurrences(of: "Tests/HailongServerTests/SurfaceTests.swift", with: "packaging/server.example.yaml")
        let config = try ServerConfig.parse(try String(contentsOfFile: path, encoding: .utf8), file: path)
        #expect(config == ServerConfig())
        #expect(config.http.maximumConnections == 4096 && config.http.headTimeout == .seconds(10) && config.http.bodyTimeout == .seconds(60))
        #expect(throws: ConfigError(file: "server.yaml", key: "http.head_timeout", message: "unknown key")) {
            try ServerConfig.parse("http: {head_timeout: 5}\n", file: "server.yaml")
        }
    }

    @Test func unknownKeysAreNamed() {
        #expect(throws: ConfigError(file: "server.yaml", key: "report", message: "unknown key")) {
            try ServerConfig.parse("report: {min_n: 5}\n", file: "server.yaml")
        }
        #expect(throws: ConfigError(file: "server.yaml", key: "storage.pth", message: "unknown key")) {
            try ServerConfig.parse("storage: {pth: /x}\n", file: "server.yaml")
        }
        #expect(throws: ConfigError.self) { try ServerConfig.parse("listen: nowhere\n", file: "server.yaml") }
        #expect(throws: ConfigError.self) { try ServerConfig.parse("reports: {min_n: -1}\n", file: "server.yaml") }
    }
}

