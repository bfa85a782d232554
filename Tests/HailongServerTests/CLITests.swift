import AsyncHTTPClient
import Foundation
import HailongClient
import HailongDomain
import HailongServer
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

@Suite struct CLITests {
    /// The whole technician/manager path over a real socket: login, units, board with code,
    /// enrollment, ingest, then the report as a terminal table, CSV and JSON.
    @Test func liveServerThroughTheCLI() async throws {
        var h = try await Harness(minN: 2)
        h.config.port = 0
        _ = try await createAccount(store: h.store, username: "ops", password: "ops-password", role: .admin, unit: nil, bcryptCost: 4, now: h.clock.now())
        try await h.app().test(.live) { client in
            let port = try #require(client.port)
            let base = "http://127.0.0.1:\(port)"
            let anonymous = ServerCommands(api: HTTPEndpoint(baseURL: base, token: nil))
            let login = try await anonymous.login(username: "ops", password: "ops-password")
            let cli = ServerCommands(api: HTTPEndpoint(baseURL: base, token: login.token))
            #expect(try await cli.addUnit(code: "hcm", name: "TP. Hồ Chí Minh", parent: nil, timeZone: nil).contains("Asia/Ho_Chi_Minh"))
            _ = try await cli.addUnit(code: "p1", name: "Phường Bến Nghé", parent: "hcm", timeZone: nil)
            let added = try await cli.addBoard(unit: "p1", counter: "Quầy 1", scale: .vn3)
            let code = try #require(added.split(separator: "\n").first { $0.hasPrefix("enrollment code: ") }?
                .dropFirst("enrollment code: ".count).split(separator: " ").first.map(String.init))
            let enrolled: EnrollReply = try await HTTPEndpoint(baseURL: base, token: nil).post("/v1/boards/enroll", json: EnrollRequest(code: code))
            let board = HTTPEndpoint(baseURL: base, token: enrolled.token)
            let events = [
                rating(1, "2026-11-23T02:00:00Z", level: 3, clerk: "NV01"),
                rating(2, "2026-11-23T03:00:00Z", level: 1, clerk: "NV01"),
                rating(3, "2026-11-23T04:00:00Z", level: 2, clerk: "Nguyễn Thị Ánh"),
            ]
            let ack: IngestReply = try await board.post(
                "/v1/ingest", json: IngestBatch(boardId: enrolled.boardId, fromSeq: 1, toSeq: 3, events: events, status: .init(version: "t", backlog: 0, clockSynced: true, uptimeS: 1)))
            #expect(ack.acknowledgedSeq == 3)

            let table = try await cli.report(unit: "hcm", from: "2026-11-01", to: "2026-11-30", by: "clerk", format: .table)
            let lines = table.split(separator: "\n").map(String.init)
            #expect(lines.count == 4)
            // Columns line up by characters: "total" starts at the same character offset on every line.
            let header = lines[0]
            let totalColumn = header.distance(from: header.startIndex, to: try #require(header.range(of: "total")).lowerBound)
            for line in lines.dropFirst(2) {
                let prefix = String(line.prefix(totalColumn))
                #expect(prefix.hasSuffix(" "), "misaligned: \(line)")
            }
            #expect(table.contains("Nguyễn Thị Ánh"))
            let csv = try await cli.report(unit: "hcm", from: "2026-11-01", to: "2026-11-30", by: "unit", format: .csv)
            #expect(csv.hasPrefix("\u{FEFF}key,label"))
            let json = try await cli.report(unit: "hcm", from: "2026-11-01", to: "2026-11-30", by: "unit", format: .json)
            #expect(try JSONDecoder().decode(Report.self, from: Data(json.utf8)).rows.first?.total == 3)

            let boards = try await cli.boards(unit: nil)
            #expect(boards.contains(enrolled.boardId) && boards.contains("enrolled") && boards.contains("synced"))
            #expect(try await cli.units().contains("Phường Bến Nghé"))
            #expect(try await cli.revokeBoard(id: enrolled.boardId).contains("revoked"))
            await #expect(throws: CLIError.self) { try await board.send(.POST, "/v1/ingest", json: IngestBatch(boardId: enrolled.boardId, fromSeq: 4, toSeq: 3, events: [], status: .init(version: "t", backlog: 0, clockSynced: true, uptimeS: 1))) }
            do {
                _ = try await cli.report(unit: "nowhere", from: nil, to: nil, by: "unit", format: .table)
                Issue.record("expected an error")
            } catch let error as CLIError {
                #expect(error.status == 404)
                #expect(error.message.contains("nowhere"))
            }
        }
    }

    /// `session open|close` and `clerk signin|signout` send what DESIGN §8 says to a board's API.
    @Test func boardLocalAPICommands() async throws {
        let seen = Mutex<[String]>([])
        let router = Router()
        for (method, path) in [(HTTPRequest.Method.post, "/v1/session"), (.delete, "/v1/session"), (.post, "/v1/clerk"), (.delete, "/v1/clerk")] {
            router.on(RouterPath(path), method: method) { request, _ in
                let body = try await request.body.collect(upTo: 10_000)
                let line = "\(request.method) \(request.uri.path) \(request.headers[.authorization] ?? "-") \(String(buffer: body))"
                seen.withLock { $0.append(line) }
                return HTTPResponse.Status.ok
            }
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let board = BoardCommands(api: HTTPEndpoint(baseURL: "http://127.0.0.1:\(port)", token: "local-secret"))
            let decomposed = "Nguyễn Thị Ánh".decomposedStringWithCanonicalMapping
            _ = try await board.signIn(clerk: decomposed)
            _ = try await board.openSession(dossier: "000.30.25.H17-240702-0012", clerk: "NV01")
            _ = try await board.closeSession()
            _ = try await board.signOut()
            await #expect(throws: CodeError.self) { try await board.openSession(dossier: "bad dossier", clerk: "NV01") }
        }
        let lines = seen.withLock { $0 }
        #expect(lines.count == 4)
        #expect(lines[0] == "POST /v1/clerk Bearer local-secret {\"clerk\":\"Nguy\u{1EC5}n Th\u{1ECB} \u{00C1}nh\"}")  // sent NFC
        #expect(lines[2] == "DELETE /v1/session Bearer local-secret ")
        #expect(lines[3] == "DELETE /v1/clerk Bearer local-secret ")
        #expect(lines[1].hasPrefix("POST /v1/session Bearer local-secret") && lines[1].contains("\"dossier\":\"000.30.25.H17-240702-0012\""))
    }

    /// A server that is not there: the refusal in words and a hint, not NIO's error dump.
    @Test func unreachableServerIsSaidPlainly() async throws {
        // A port that was just free: bound, read, closed.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let port: UInt16 = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                _ = bind(listener, raw, length)
                _ = getsockname(listener, raw, &length)
            }
            return UInt16(bigEndian: pointer.pointee.sin_port)
        }
        close(listener)
        let base = "http://127.0.0.1:\(port)"
        let commands = ServerCommands(api: HTTPEndpoint(baseURL: base, token: "x"))
        let started = ContinuousClock.now
        await #expect(throws: CLIError("cannot reach \(base): Connection refused (is the server running, and is the URL right?) / không kết nối được \(base)")) {
            try await commands.units()
        }
        // At once, not after the request's 30 s timeout of connection attempts. (A fresh clone's
        // first run, every suite starting together on 2 cores, took 9 s to get here.)
        #expect(ContinuousClock.now - started < .seconds(20))
    }

    @Test func tableCountsCharactersNotBytes() {
        var table = Table(headers: ["name", "n"], alignments: [.left, .right])
        table.add(["Nguyễn Thị Ánh", "12"])
        table.add(["Nguyễn Thị Ánh".decomposedStringWithCanonicalMapping, "3"])
        table.add(["Le", "100"])
        let lines = table.render().split(separator: "\n").map(String.init)
        #expect(Set(lines.map(\.count)) == [19])
    }

    @Test func configPrecedenceAndUnknownKeys() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hailong-cli-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("cli.yaml").path
        try CLIConfig(server: "http://file:8730", token: "hla_file").save(to: file)
        let attributes = try FileManager.default.attributesOfItem(atPath: file)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try CLIConfig.resolve(server: nil, token: nil, environment: [:], file: file) == CLIConfig(server: "http://file:8730", token: "hla_file"))
        #expect(try CLIConfig.resolve(server: nil, token: nil, environment: ["HAILONG_TOKEN": "hla_env"], file: file).token == "hla_env")
        #expect(try CLIConfig.resolve(server: "http://flag", token: "hla_flag", environment: ["HAILONG_TOKEN": "hla_env"], file: file) == CLIConfig(server: "http://flag", token: "hla_flag"))
        try "servr: x\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(throws: CLIError("\(file): servr: unknown key")) { try CLIConfig.resolve(server: nil, token: nil, environment: [:], file: file) }
    }
}
