import Foundation
import HailongDomain
import HailongServer
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct IngestContractTests {
    @Test func concurrentDuplicatesAreStoredOnce() async throws {
        let h = try await Harness()
        try await h.app().test(.router) { client in
            try await client.unit("hcm", "TP. Hồ Chí Minh", parent: nil, admin: h.adminToken)
            let board = try await client.board(unit: "hcm", counter: "Quầy 1", admin: h.adminToken)
            let events = (1...50).map { rating(Int64($0), "2026-11-23T02:00:00Z", level: 1 + $0 % 3, clerk: "NV01") }
            let body = batch(board, events)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<6 { group.addTask { try await client.send(.post, "/v1/ingest", token: board.token, json: body).status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == .ok })
            let report = try await client.send(.get, "/v1/reports/satisfaction?unit=hcm&from=2026-11-23&to=2026-11-23&by=unit", token: h.adminToken)
            #expect(try report.decode(Report.self).rows.first?.total == 50)
        }
    }

    @Test func heartbeatCarriesStatusOnly() async throws {
        let h = try await Harness()
        try await h.app().test(.router) { client in
            try await client.unit("hcm", "TP. Hồ Chí Minh", parent: nil, admin: h.adminToken)
            let board = try await client.board(unit: "hcm", counter: "Quầy 1", admin: h.adminToken)
            _ = try await client.send(.post, "/v1/ingest", token: board.token, json: batch(board, [rating(1, "2026-11-23T02:00:00Z", level: 3)]))
            let heartbeat = IngestBatch(
                boardId: board.id, fromSeq: 2, toSeq: 1, events: [], aggregates: [DailyCount(day: "2026-11-23", clerk: nil, level: 3, count: 1)],
                status: BoardStatus(version: "0.2.0", backlog: 0, faults: ["stuck:2"], clockSynced: false, uptimeS: 9))
            let reply = try await client.send(.post, "/v1/ingest", token: board.token, json: heartbeat)
            #expect(try reply.decode(IngestReply.self).acknowledgedSeq == 1)
            let boards = try await client.send(.get, "/v1/boards", token: h.adminToken).json["boards"] as? [[String: Any]]
            #expect(boards?.first?["faults"] as? [String] == ["stuck:2"])
            #expect(boards?.first?["clockSynced"] as? Bool == false)
            let alerts = try await client.send(.get, "/v1/alerts", token: h.adminToken).json["alerts"] as? [Any]
            #expect(alerts?.isEmpty == true)  // counts agree
        }
    }
}

@Suite struct IngestBatchDomainTests {
    private func status() -> BoardStatus { BoardStatus(version: "1", backlog: 0, clockSynced: true, uptimeS: 0) }
    private let received = WallTime(rfc3339: "2026-11-23T05:00:00Z") ?? WallTime(microseconds: 0)

    @Test func shapeIsChecked() {
        let ok = IngestBatch(boardId: "b", fromSeq: 3, toSeq: 4, events: [rating(3, "2026-11-23T02:00:00Z", level: 3), rating(4, "2026-11-23T02:00:00Z", level: 1)], status: status())
        #expect((try? ok.checked(scale: .vn3, receivedAt: received))?.count == 2)
        var holes = ok
        holes.events[1].seq = 5
        #expect(throws: BatchProblem.self) { try holes.checked(scale: .vn3, receivedAt: received) }
        var counted = ok
        counted.toSeq = 9
        #expect(throws: BatchProblem.self) { try counted.checked(scale: .vn3, receivedAt: received) }
        var badTime = ok
        badTime.events[0].at = "yesterday"
        #expect(throws: BatchProblem(seq: 3, "at is not an RFC 3339 time")) { try badTime.checked(scale: .vn3, receivedAt: received) }
        #expect(throws: BatchProblem.self) { try ok.checked(scale: .vn3, receivedAt: received, maximumEvents: 1) }
        let happy = IngestBatch(boardId: "b", fromSeq: 1, toSeq: 1, events: [rating(1, "2026-11-23T02:00:00Z", level: 4)], status: status())
        #expect(throws: BatchProblem.self) { try happy.checked(scale: .vn3, receivedAt: received) }
        #expect((try? happy.checked(scale: .happy4, receivedAt: received))?.first?.level == 4)
    }

    @Test func stringsAreNFC() throws {
        let decomposed = "Nguyễn Thị Ánh".decomposedStringWithCanonicalMapping
        let batch = IngestBatch(boardId: "b", fromSeq: 1, toSeq: 1, events: [rating(1, "2026-11-23T02:00:00+07:00", level: 2, clerk: decomposed)], status: status())
        let checked = try batch.checked(scale: .vn3, receivedAt: received)
        #expect(checked.first?.clerk?.value.unicodeScalars.count == "Nguyễn Thị Ánh".unicodeScalars.count)
        #expect(checked.first?.at == WallTime(rfc3339: "2026-11-22T19:00:00Z"))
    }

    @Test func utcDayOfAggregates() {
        #expect(DailyCount.day(of: WallTime(rfc3339: "2026-11-22T23:59:59.999Z") ?? WallTime(microseconds: 0)) == "2026-11-22")
        #expect(DailyCount.day(of: WallTime(rfc3339: "2026-11-23T00:00:00Z") ?? WallTime(microseconds: 0)) == "2026-11-23")
        #expect(DailyCount.day(of: WallTime(microseconds: -1)) == "1969-12-31")
    }
}

@Suite struct HalfHourZoneTests {
    /// In a +05:30 zone one UTC hour straddles local midnight: its ratings go to two days.
    @Test func hourStraddlingMidnightSplitsByLocalDay() async throws {
        let h = try await Harness(minN: 1)
        try await h.app().test(.router) { client in
            try await client.unit("root", "Root", parent: nil, zone: "Asia/Kolkata", admin: h.adminToken)
            let board = try await client.board(unit: "root", counter: "Desk", admin: h.adminToken)
            let events = [rating(1, "2026-11-22T18:20:00Z", level: 3, clerk: "C1"), rating(2, "2026-11-22T18:40:00Z", level: 1, clerk: "C1")]
            #expect(try await client.send(.post, "/v1/ingest", token: board.token, json: batch(board, events)).status == .ok)
            let reply = try await client.send(.get, "/v1/reports/satisfaction?unit=root&from=2026-11-22&to=2026-11-23&by=day", token: h.adminToken)
            let rows = try reply.decode(Report.self).rows
            #expect(rows.map(\.key) == ["2026-11-22", "2026-11-23"])
            #expect(rows.map(\.levels) == [["3": 1], ["1": 1]])
        }
    }
}
