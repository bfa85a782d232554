import Foundation
import HailongDomain
@testable import HailongServer
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// What a careless or hostile client tried (issue 11), through the HTTP surface: each test
/// fails without its fix.
@Suite struct ScopeAndIdentityTests {
    /// Two wards under one city, a board in each, and a technician of each ward.
    struct Wards {
        var w1Board: Enrolled
        var w2Board: Enrolled
        var w2Counter: Int64
        var tech1: String
        var techAll: String
    }

    func wards(_ client: some TestClientProtocol, _ h: Harness) async throws -> Wards {
        try await client.unit("city", "Thành phố", parent: nil, admin: h.adminToken)
        try await client.unit("w1", "Phường 1", parent: "city", admin: h.adminToken)
        try await client.unit("w2", "Phường 2", parent: "city", admin: h.adminToken)
        let w1 = try await client.board(unit: "w1", counter: "Quầy 1", admin: h.adminToken)
        let w2 = try await client.board(unit: "w2", counter: "Quầy 1", admin: h.adminToken)
        let events = [
            session(1, "2026-11-23T02:00:00Z", .rated, dossier: "HS-W2-SECRET", clerk: "Trần Văn Bí Mật"),
            rating(2, "2026-11-23T02:00:01Z", level: 3, clerk: "Trần Văn Bí Mật", dossier: "HS-W2-SECRET"),
        ]
        _ = try await client.send(.post, "/v1/ingest", token: w2.token, json: batch(w2, events))
        return Wards(
            w1Board: w1, w2Board: w2, w2Counter: try await client.counter("w2", "Quầy 2", admin: h.adminToken),
            tech1: try await client.account("tech1", role: "technician", unit: "w1", admin: h.adminToken),
            techAll: try await client.account("techall", role: "technician", unit: nil, admin: h.adminToken))
    }

    @Test func aTechnicianSeesAndChangesOnlyTheirOwnSubtree() async throws {
        let h = try await Harness()
        try await h.app().test(.router) { client in
            let w = try await wards(client, h)
            let listed = try await client.send(.get, "/v1/boards", token: w.tech1)
            #expect(listed.status == .ok)
            let ids = (listed.json["boards"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
            #expect(ids == [w.w1Board.id])
            #expect(try await client.send(.get, "/v1/boards?unit=w2", token: w.tech1).status == .forbidden)

            let events = try await client.send(.get, "/v1/boards/\(w.w2Board.id)/events", token: w.tech1)
            #expect(events.status == .forbidden)
            #expect(!events.text.contains("HS-W2-SECRET") && !events.text.contains("Bí Mật"))

            let create = try await client.send(.post, "/v1/boards", token: w.tech1, json: NewBoardBody(unit: "w2", counterId: w.w2Counter, scale: .vn3))
            #expect(create.status == .forbidden)
            #expect(try await client.send(.post, "/v1/boards/\(w.w2Board.id)/revoke", token: w.tech1).status == .forbidden)
            let stillThere = try await client.send(.get, "/v1/boards?unit=w2", token: h.adminToken).json["boards"] as? [[String: Any]]
            #expect(stillThere?.count == 1 && stillThere?.first?["revoked"] as? Bool == false)

            // Their own ward works; a technician without a unit sees every board.
            #expect(try await client.send(.get, "/v1/boards/\(w.w1Board.id)/events", token: w.tech1).status == .ok)
            let all = try await client.send(.get, "/v1/boards", token: w.techAll).json["boards"] as? [[String: Any]]
            #expect(all?.count == 2)
            #expect(try await client.send(.get, "/v1/boards/\(w.w2Board.id)/events", token: w.techAll).status == .ok)
        }
    }

    @Test func aManagerWithoutAUnitIsRefusedAtCreation() async throws {
        let h = try await Harness()
        await #expect(throws: APIError.self) {
            _ = try await createAccount(
                store: h.store, username: "m", password: "manager-password", role: .manager, unit: nil, bcryptCost: 4, now: h.clock.now())
        }
        #expect(try await h.store.account(username: "m") == nil)
    }

    @Test func usernamesIgnoreCase() async throws {
        let h = try await Harness()
        try await h.app().test(.router) { client in
            let twin = try await client.send(
                .post, "/v1/accounts", token: h.adminToken, json: NewAccountBody(username: "ADMIN", password: "other-password", role: "admin", unit: nil))
            #expect(twin.status == .conflict)
            let login = try await client.send(.post, "/v1/login", json: LoginBody(username: "Admin", password: "admin-password"))
            #expect(login.status == .created)
            #expect(login.json["username"] as? String == "admin")
        }
    }

    @Test func anExpiredCodeAnswersLikeAnUnknownOne() async throws {
        let h = try await Harness()
        try await h.app().test(.router) { client in
            try await client.unit("hcm", "TP. Hồ Chí Minh", parent: nil, admin: h.adminToken)
            let counterId = try await client.counter("hcm", "Quầy 1", admin: h.adminToken)
            let code = try await client.enrollmentCode(unit: "hcm", counterId: counterId, admin: h.adminToken)
            h.clock.advance(.seconds(25 * 3600))
            let expired = try await client.send(.post, "/v1/boards/enroll", json: EnrollRequest(code: code))
            let unknown = try await client.send(.post, "/v1/boards/enroll", json: EnrollRequest(code: "AAAA-BBBB-CCCC"))
            #expect(expired.status == .unauthorized)
            #expect(expired.status == unknown.status && expired.text == unknown.text)
        }
    }

    @Test func theBearerSchemeIgnoresCase() async throws {
        let h = try await Harness()
        try await h.app().test(.router) { client in
            for scheme in ["bearer", "BEARER", "Bearer"] {
                let reply = try await client.execute(uri: "/v1/me", method: .get, headers: [.authorization: "\(scheme) \(h.adminToken)"]) { $0.status }
                #expect(reply == .ok, "\(scheme)")
            }
            let basic = try await client.execute(uri: "/v1/me", method: .get, headers: [.authorization: "Basic \(h.adminToken)"]) { $0.status }
            #expect(basic == .unauthorized)
        }
    }
}

@Suite struct LoginFloodTests {
    @Test func failedLoginsAreThrottledPerUsernameAndAddress() async throws {
        let h = try await Harness()
        try await h.app().test(.router) { client in
            for _ in 0..<5 {
                #expect(try await client.send(.post, "/v1/login", json: LoginBody(username: "admin", password: "wrong-password")).status == .unauthorized)
            }
            // The right password does not help while the username is locked.
            let locked = try await client.send(.post, "/v1/login", json: LoginBody(username: "admin", password: "admin-password"))
            #expect(locked.status == .tooManyRequests)
            let retry = Int(locked.headers[.retryAfter] ?? "") ?? 0
            #expect((1...900).contains(retry))
            h.clock.advance(.seconds(Int64(retry)))
            #expect(try await client.send(.post, "/v1/login", json: LoginBody(username: "admin", password: "admin-password")).status == .created)

            // One address trying many usernames is throttled too.
            var statuses: [HTTPResponse.Status] = []
            for n in 0..<31 {
                statuses.append(try await client.send(.post, "/v1/login", json: LoginBody(username: "guess\(n)", password: "password")).status)
            }
            #expect(statuses.prefix(30).allSatisfy { $0 == .unauthorized })
            #expect(statuses.last == .tooManyRequests)

            let metrics = try await client.send(.get, "/metrics").text
            #expect(metrics.contains("hailong_auth_failures_total{reason=\"login\"} 35"))
            #expect(metrics.contains("hailong_auth_failures_total{reason=\"throttled\"} 2"))
        }
    }

    /// Two replicas over one database count the same failures: a guesser sent round-robin by a
    /// load balancer gets no more tries than one sent to a single server.
    @Test func replicasThrottleTogether() async throws {
        let h = try await Harness()
        let (first, second) = (try h.app(), try h.app())
        try await first.test(.router) { one in
            try await second.test(.router) { two in
                for n in 0..<5 {
                    let replica = n.isMultiple(of: 2) ? one : two
                    #expect(try await replica.send(.post, "/v1/login", json: LoginBody(username: "Admin", password: "wrong-password")).status == .unauthorized)
                }
                for replica in [one, two] {
                    let locked = try await replica.send(.post, "/v1/login", json: LoginBody(username: "admin", password: "admin-password"))
                    #expect(locked.status == .tooManyRequests)
                }
                // Its window over, either replica lets the right password in, and that clears the
                // username's failures for both.
                h.clock.advance(.seconds(15 * 60))
                #expect(try await two.send(.post, "/v1/login", json: LoginBody(username: "admin", password: "admin-password")).status == .created)
                for _ in 0..<4 {
                    #expect(try await one.send(.post, "/v1/login", json: LoginBody(username: "admin", password: "wrong-password")).status == .unauthorized)
                }
                #expect(try await two.send(.post, "/v1/login", json: LoginBody(username: "admin", password: "admin-password")).status == .created)
            }
        }
    }

    /// Guesses sent all at once, to one replica or round-robin to two, get no more tries than
    /// guesses sent one by one: each is counted before bcrypt sees it. (Checked first and counted
    /// after, twenty at once got sixteen tries per replica: bcrypt's whole queue.)
    @Test func guessesSentAtOnceGetNoMoreTries() async throws {
        let h = try await Harness()
        let (first, second) = (try h.app(), try h.app())
        try await first.test(.router) { one in
            try await second.test(.router) { two in
                for (round, username) in ["admin", "Admin"].enumerated() {
                    let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                        for n in 0..<20 {
                            let replica = round == 0 || n.isMultiple(of: 2) ? one : two
                            group.addTask {
                                try await replica.send(.post, "/v1/login", json: LoginBody(username: username, password: "wrong-password-\(n)")).status
                            }
                        }
                        return try await group.reduce(into: [HTTPResponse.Status: Int]()) { $0[$1, default: 0] += 1 }
                    }
                    #expect(statuses[.unauthorized] == 5 && statuses[.tooManyRequests] == 15, "round \(round + 1): \(statuses)")
                    // The right password waits out the window like any other try.
                    #expect(try await one.send(.post, "/v1/login", json: LoginBody(username: "admin", password: "admin-password")).status == .tooManyRequests)
                    h.clock.advance(.seconds(15 * 60))
                }
                #expect(try await two.send(.post, "/v1/login", json: LoginBody(username: "admin", password: "admin-password")).status == .created)
            }
        }
    }

    /// An unknown username, and a password bcrypt cannot take, cost one bcrypt check at the
    /// account's cost, as a wrong password does, so the answer's time does not tell which
    /// usernames exist. Counted from the server's own record of the work done, not from wall
    /// time, which the parallel suite makes too noisy to compare.
    @Test func anUnknownUsernameCostsAsMuchAsAWrongPassword() async throws {
        var h = try await Harness()
        h.config.bcryptCost = 10
        _ = try await createAccount(store: h.store, username: "slow", password: "slow-password", role: .admin, unit: nil, bcryptCost: 10, now: h.clock.now())
        try await h.app().test(.router) { client in
            func checks() async throws -> [String: Int] {
                var counts: [String: Int] = [:]
                for line in try await client.send(.get, "/metrics").text.split(separator: "\n") where line.hasPrefix("hailong_password_checks_total{") {
                    let parts = line.split(separator: " ")
                    counts[String(parts[0])] = Int(parts.last ?? "")
                }
                return counts
            }
            func login(_ username: String, _ password: String = "not-the-password") async throws -> [String: Int] {
                let before = try await checks()
                #expect(try await client.send(.post, "/v1/login", json: LoginBody(username: username, password: password)).status == .unauthorized)
                var added: [String: Int] = [:]
                for (key, count) in try await checks() where count != before[key] ?? 0 { added[key] = count - (before[key] ?? 0) }
                return added
            }
            let wrong = try await login("slow")
            #expect(wrong == ["hailong_password_checks_total{cost=\"10\"}": 1])
            for _ in 0..<2 { #expect(try await login("nobody") == wrong) }
            #expect(try await login("slow", String(repeating: "x", count: 73)) == wrong)
        }
    }

    @Test func bcryptCostIsReadFromTheHash() {
        #expect(PasswordHasher.cost(of: "$2b$12$abcdefghijklmnopqrstuu") == "12")
        #expect(PasswordHasher.cost(of: "$2y$04$x") == "04")
        for bad in ["", "plain", "$2b$1$x", "$$12$x", "2b$12$x", "$1$12$x"] { #expect(PasswordHasher.cost(of: bad) == "unknown") }
    }

    @Test func unauthorisedAndForbiddenAnswersAreCounted() async throws {
        let h = try await Harness()
        try await h.app().test(.router) { client in
            try await client.unit("hcm", "TP. Hồ Chí Minh", parent: nil, admin: h.adminToken)
            let technician = try await client.account("tech", role: "technician", unit: nil, admin: h.adminToken)
            #expect(try await client.send(.get, "/v1/units", token: "hla_wrong").status == .unauthorized)
            #expect(try await client.send(.get, "/v1/reports/satisfaction?unit=hcm", token: technician).status == .forbidden)
            let metrics = try await client.send(.get, "/metrics").text
            #expect(metrics.contains("hailong_auth_failures_total{reason=\"unauthorized\"} 1"))
            #expect(metrics.contains("hailong_auth_failures_total{reason=\"forbidden\"} 1"))
        }
    }
}

@Suite struct BoardTextTests {
    func setUp(_ client: some TestClientProtocol, _ h: Harness) async throws -> Enrolled {
        try await client.unit("hcm", "TP. Hồ Chí Minh", parent: nil, admin: h.adminToken)
        return try await client.board(unit: "hcm", counter: "Quầy 1", admin: h.adminToken)
    }

    @Test func csvCellsNeverRunAsFormulas() async throws {
        let h = try await Harness(minN: 1)
        try await h.app().test(.router) { client in
            let board = try await setUp(client, h)
            let names = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "-2", "@SUM(A1)", "Nguyễn Văn \"A\""]
            let events = names.enumerated().map { rating(Int64($0.offset + 1), "2026-11-23T02:00:00Z", level: 3, clerk: $0.element) }
            #expect(try await client.send(.post, "/v1/ingest", token: board.token, json: batch(board, events)).status == .ok)
            let csv = try await client.send(.get, "/v1/reports/satisfaction?unit=hcm&by=clerk&from=2026-11-23&to=2026-11-23&format=csv", token: h.adminToken).text
            let cells = csv.split(separator: "\r\n").dropFirst().map { String($0) }
            #expect(cells.count == 5)
            for line in cells {
                #expect(!["=", "+", "-", "@"].contains(line.first.map(String.init) ?? ""), "\(line)")
            }
            #expect(csv.contains("'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")") || csv.contains("\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\""))
            #expect(csv.contains("'+1+1,'+1+1") && csv.contains("'-2,'-2") && csv.contains("'@SUM(A1),'@SUM(A1)"))
        }
    }

    @Test func controlCharactersInBoardTextAreRefused() async throws {
        let h = try await Harness()
        try await h.app().test(.router) { client in
            let board = try await setUp(client, h)
            func send(version: String = "1.0", faults: [String] = [], bootId: String? = nil) async throws -> Reply {
                var body = batch(board, [WireEvent(seq: 1, kind: .clerkSignin, at: "2026-11-23T02:00:00Z", clerk: "C1", bootId: bootId, clockSynced: true)])
                body.status.version = version
                body.status.faults = faults
                return try await client.send(.post, "/v1/ingest", token: board.token, json: body)
            }
            let esc = try await send(version: "1.0\u{1B}[2J")
            #expect(esc.status == .unprocessableContent && (esc.json["message"] as? String)?.contains("status.version") == true)
            let nul = try await send(faults: ["ab\u{0}cd"])
            #expect(nul.status == .unprocessableContent && (nul.json["message"] as? String)?.contains("status.faults[0]") == true)
            let newline = try await send(faults: ["disk\nstuck:3"])
            #expect(newline.status == .unprocessableContent)
            let boot = try await send(bootId: "b\u{7}")
            #expect(boot.status == .unprocessableContent && (boot.json["message"] as? String)?.contains("bootId") == true)
            // Nothing was stored by any of them.
            let boards = try await client.send(.get, "/v1/boards", token: h.adminToken).json["boards"] as? [[String: Any]]
            #expect(boards?.first?["lastSeq"] as? Int == 0)
            #expect(boards?.first?["version"] == nil || boards?.first?["version"] is NSNull)
            #expect(try await send(faults: ["stuck:3"]).status == .ok)
        }
    }

    @Test func implausibleOrUnvouchedTimesAreFiledByArrival() async throws {
        let h = try await Harness()
        try await h.app().test(.router) { client in
            let board = try await setUp(client, h)
            var missing = rating(4, "2026-11-23T01:00:00Z", level: 3, clerk: "C1")
            missing.clockSynced = nil
            let events = [
                rating(1, "2099-01-01T00:00:00Z", level: 3, clerk: "C1"),
                rating(2, "1970-01-01T00:00:05Z", level: 3, clerk: "C1"),
                rating(3, "0001-01-01T00:00:00Z", level: 3, clerk: "C1"),
                missing,
                rating(5, "2026-11-23T04:59:00Z", level: 3, clerk: "C1"),
            ]
            #expect(try await client.send(.post, "/v1/ingest", token: board.token, json: batch(board, events)).status == .ok)
            let stored = try await client.send(.get, "/v1/boards/\(board.id)/events", token: h.adminToken).decode(EventsReply.self).events
            #expect(stored.map(\.filedByArrival) == [true, true, true, true, false])
            #expect(stored.prefix(4).allSatisfy { $0.filedAt == "2026-11-23T05:00:00Z" })
            // Counted where they were filed: today (the test clock's day), none in 2099 or 1970.
            let today = try await client.send(.get, "/v1/reports/satisfaction?unit=hcm&by=day&from=2026-11-23&to=2026-11-23", token: h.adminToken)
            #expect(try today.decode(Report.self).rows.first?.total == 5)
        }
    }

    @Test func aggregatesAreCheckedLikeEvents() async throws {
        let h = try await Harness()
        try await h.app().test(.router) { client in
            let board = try await setUp(client, h)
            let bad: [(DailyCount, String)] = [
                (DailyCount(day: "not-a-day", clerk: nil, level: 3, count: 1), "aggregates[0].day"),
                (DailyCount(day: "2026-02-30", clerk: nil, level: 3, count: 1), "aggregates[0].day"),
                (DailyCount(day: "2026-11-23", clerk: nil, level: 3, count: -1), "aggregates[0].count"),
                (DailyCount(day: "2026-11-23", clerk: nil, level: 3, count: 1 << 62), "aggregates[0].count"),
                (DailyCount(day: "2026-11-23", clerk: nil, level: 99, count: 1), "aggregates[0].level"),
                (DailyCount(day: "2026-11-23", clerk: "\u{1B}]0;x", level: 3, count: 1), "aggregates[0].clerk"),
            ]
            for (count, field) in bad {
                let reply = try await client.send(.post, "/v1/ingest", token: board.token, json: batch(board, [rating(1, "2026-11-23T02:00:00Z", level: 3)], aggregates: [count]))
                #expect(reply.status == .unprocessableContent, "\(count)")
                #expect((reply.json["message"] as? String)?.contains(field) == true, "\(reply.text)")
            }
            let alerts = try await client.send(.get, "/v1/alerts", token: h.adminToken).json["alerts"] as? [Any]
            #expect(alerts?.isEmpty == true)
            let boards = try await client.send(.get, "/v1/boards", token: h.adminToken).json["boards"] as? [[String: Any]]
            #expect(boards?.first?["lastSeq"] as? Int == 0)
        }
    }
}

@Suite struct ErrorWordingTests {
    @Test func numbersTheServerCannotUseAreNamed() async throws {
        let h = try await Harness()
        try await h.app().test(.router) { client in
            try await client.unit("hcm", "TP. Hồ Chí Minh", parent: nil, admin: h.adminToken)
            let board = try await client.board(unit: "hcm", counter: "Quầy 1", admin: h.adminToken)
            let status = #""status":{"version":"1","backlog":0,"faults":[],"clockSynced":true,"uptimeS":1}"#
            let cases: [(String, String)] = [
                (#"{"boardId":"\#(board.id)","fromSeq":1,"toSeq":1,"events":[{"seq":2.5,"kind":"clerkSignin","at":"2026-11-23T02:00:00Z"}],"aggregates":[],\#(status)}"#, "events[0].seq"),
                (#"{"boardId":"\#(board.id)","fromSeq":9223372036854775808,"toSeq":1,"events":[],"aggregates":[],\#(status)}"#, "fromSeq"),
                (#"{"boardId":"\#(board.id)","fromSeq":1,"toSeq":0,"events":[],"aggregates":[{"day":"2026-11-23","level":3,"count":1e30}],\#(status)}"#, "aggregates[0].count"),
            ]
            for (body, field) in cases {
                let reply = try await client.sendRaw(.post, "/v1/ingest", token: board.token, body: body, contentType: "application/json")
                #expect(reply.status == .badRequest)
                #expect((reply.json["message"] as? String)?.contains(field) == true, "\(reply.text)")
            }
            let counter = try await client.sendRaw(
                .post, "/v1/boards", token: h.adminToken, body: #"{"unit":"hcm","counterId":1e30}"#, contentType: "application/json")
            #expect(counter.status == .badRequest)
            #expect((counter.json["message"] as? String)?.contains("counterId") == true, "\(counter.text)")
        }
    }

    @Test func aCSVThatIsNotUTF8IsRefusedWithItsLine() async throws {
        let h = try await Harness()
        try await h.app().test(.router) { client in
            try await client.unit("hcm", "TP. Hồ Chí Minh", parent: nil, admin: h.adminToken)
            var body = ByteBuffer(string: "code,name,unit\nNV1,An,hcm\n")
            body.writeBytes([0x4E, 0x56, 0x32, 0x2C, 0x4E, 0x67, 0x75, 0x79, 0xEA, 0x6E, 0x2C, 0x68, 0x63, 0x6D, 0x0A])  // "Nguyên" in Windows-1258
            let reply = try await client.execute(
                uri: "/v1/clerks/import", method: .post, headers: [.authorization: "Bearer \(h.adminToken)", .contentType: "text/csv"], body: body
            ) { Reply(status: $0.status, headers: $0.headers, body: $0.body) }
            #expect(reply.status == .unprocessableContent)
            #expect((reply.json["message"] as? String)?.contains("line 3") == true, "\(reply.text)")
            let clerks = try await client.send(.get, "/v1/clerks?unit=hcm", token: h.adminToken).json["clerks"] as? [Any]
            #expect(clerks?.isEmpty == true)
        }
    }

    @Test func anUnknownRouteAnswersInTheErrorBody() async throws {
        let h = try await Harness()
        try await h.app().test(.router) { client in
            let reply = try await client.send(.get, "/v1/no-such-route")
            #expect(reply.status == .notFound)
            #expect(reply.json["error"] as? String == "notFound" && (reply.json["message"] as? String)?.isEmpty == false)
        }
    }

    @Test func aStoreThatCannotOpenNamesItsPath() {
        do {
            _ = try SQLiteStore(path: "/nonexistent-hailong-folder/server.db")
            Issue.record("opened a database in a folder that does not exist")
        } catch {
            #expect("\(error)".contains("/nonexistent-hailong-folder/server.db"))
            #expect("\(error)".contains("folder"))
        }
    }
}

struct EventsReply: Decodable { var events: [StoredEvent] }
