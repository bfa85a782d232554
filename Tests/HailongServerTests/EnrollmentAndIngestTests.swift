import Foundation
import HailongDomain
import HailongServer
import HummingbirdTesting
import Testing

@Suite struct EnrollmentTests {
    @Test func codeWorksOnceOnly() async throws {
        let h = try await Harness()
        try await h.app().test(.router) { client in
            try await client.unit("hcm", "TP. Hồ Chí Minh", parent: nil, admin: h.adminToken)
            let counterId = try await client.counter("hcm", "Quầy 1", admin: h.adminToken)
            let code = try await client.enrollmentCode(unit: "hcm", counterId: counterId, admin: h.adminToken)
            let first = try await client.send(.post, "/v1/boards/enroll", json: EnrollRequest(code: code))
            #expect(first.status == .ok)
            let reply = try first.decode(EnrollReply.self)
            #expect(reply.token.hasPrefix("hlb_"))
            #expect(reply.counter == "Quầy 1")
            let second = try await client.send(.post, "/v1/boards/enroll", json: EnrollRequest(code: code))
            #expect(second.status == .unauthorized)
            #expect(second.json["error"] as? String == "invalidCode")
        }
    }

    @Test func codeExpiresAfter24Hours() async throws {
        let h = try await Harness()
        try await h.app().test(.router) { client in
            try await client.unit("hcm", "TP. Hồ Chí Minh", parent: nil, admin: h.adminToken)
            let counterId = try await client.counter("hcm", "Quầy 1", admin: h.adminToken)
            let early = try await client.enrollmentCode(unit: "hcm", counterId: counterId, admin: h.adminToken)
            let late = try await client.enrollmentCode(unit: "hcm", counterId: counterId, admin: h.adminToken)
            h.clock.advance(.seconds(24 * 3600 - 1))
            #expect(try await client.send(.post, "/v1/boards/enroll", json: EnrollRequest(code: early)).status == .ok)
            h.clock.advance(.seconds(2))
            let expired = try await client.send(.post, "/v1/boards/enroll", json: EnrollRequest(code: late))
            #expect(expired.status == .unauthorized)
            #expect((expired.json["message"] as? String)?.contains("expired") == true)
        }
    }
}

@Suite struct IngestTests {
    /// Sets up one unit with two enrolled boards.
    private func setUp(_ client: some TestClientProtocol, _ h: Harness) async throws -> (Enrolled, Enrolled) {
        try await client.unit("hcm", "TP. Hồ Chí Minh", parent: nil, admin: h.adminToken)
        let a = try await client.board(unit: "hcm", counter: "Quầy 1", admin: h.adminToken)
        let b = try await client.board(unit: "hcm", counter: "Quầy 2", admin: h.adminToken)
        return (a, b)
    }

    private func total(_ client: some TestClientProtocol, _ h: Harness) async throws -> Int {
        let reply = try await client.send(.get, "/v1/reports/satisfaction?unit=hcm&from=2026-11-01&to=2026-11-30&by=unit", token: h.adminToken)
        let rows = try reply.decode(Report.self).rows
        return Int(rows.map(\.total).reduce(0, +))
    }

    private let events: [WireEvent] = [
        rating(1, "2026-11-23T02:00:00Z", level: 3, clerk: "NV01"),
        rating(2, "2026-11-23T02:10:00Z", level: 2, clerk: "NV01"),
        rating(3, "2026-11-23T02:20:00Z", level: 1, clerk: "NV01"),
        rating(4, "2026-11-23T02:30:00Z", level: 3),
        rating(5, "2026-11-23T02:40:00Z", level: 3),
    ]

    @Test func sameBatchThreeTimesCountsOnce() async throws {
        let h = try await Harness()
        try await h.app().test(.router) { client in
            let (a, _) = try await setUp(client, h)
            for _ in 0..<3 {
                let reply = try await client.send(.post, "/v1/ingest", token: a.token, json: batch(a, Array(events[0..<3])))
                #expect(reply.status == .ok)
                #expect(try reply.decode(IngestReply.self).acknowledgedSeq == 3)
            }
            #expect(try await total(client, h) == 3)
        }
    }

    @Test func overlappingBatchStoresOnlyTheNewEvents() async throws {
        let h = try await Harness()
        try await h.app().test(.router) { client in
            let (a, _) = try await setUp(client, h)
            _ = try await client.send(.post, "/v1/ingest", token: a.token, json: batch(a, Array(events[0..<3])))
            let reply = try await client.send(.post, "/v1/ingest", token: a.token, json: batch(a, Array(events[1..<5])))
            #expect(try reply.decode(IngestReply.self).acknowledgedSeq == 5)
            #expect(try await total(client, h) == 5)
            let older = try await client.send(.post, "/v1/ingest", token: a.token, json: batch(a, Array(events[0..<2])))
            #expect(try older.decode(IngestReply.self).acknowledgedSeq == 5)
            #expect(try await total(client, h) == 5)
        }
    }

    @Test func gapIsRefusedWithTheExpectedSeq() async throws {
        let h = try await Harness()
        try await h.app().test(.router) { client in
            let (a, _) = try await setUp(client, h)
            _ = try await client.send(.post, "/v1/ingest", token: a.token, json: batch(a, Array(events[0..<2])))
            let reply = try await client.send(.post, "/v1/ingest", token: a.token, json: batch(a, Array(events[3..<5])))
            #expect(reply.status == .conflict)
            let body = try reply.decode(IngestReply.self)
            #expect(body.acknowledgedSeq == 2)
            #expect(body.expectedSeq == 3)
            #expect(try await total(client, h) == 2)
        }
    }

    @Test func revokedBoardIsRefused() async throws {
        let h = try await Harness()
        try await h.app().test(.router) { client in
            let (a, b) = try await setUp(client, h)
            // Both boards have written once: the server knows their tokens (and caches them).
            for board in [a, b] {
                #expect(try await client.send(.post, "/v1/ingest", token: board.token, json: batch(board, Array(events[0..<2]))).status == .ok)
            }
            #expect(try await client.send(.post, "/v1/boards/\(a.id)/revoke", token: h.adminToken).status == .ok)
            let reply = try await client.send(.post, "/v1/ingest", token: a.token, json: batch(a, Array(events[2..<4])))
            #expect(reply.status == .unauthorized)
            // Revoked behind the HTTP layer's back (another server process, a console): the
            // ingest transaction itself refuses.
            try await h.store.revokeBoard(id: b.id)
            let late = try await client.send(.post, "/v1/ingest", token: b.token, json: batch(b, Array(events[2..<4])))
            #expect(late.status == .unauthorized)
            #expect(try await total(client, h) == 4)
        }
    }

    @Test func boardCannotWriteAsAnother() async throws {
        let h = try await Harness()
        try await h.app().test(.router) { client in
            let (a, b) = try await setUp(client, h)
            let reply = try await client.send(.post, "/v1/ingest", token: a.token, json: batch(b, Array(events[0..<2])))
            #expect(reply.status == .forbidden)
            let noToken = try await client.send(.post, "/v1/ingest", json: batch(a, Array(events[0..<2])))
            #expect(noToken.status == .unauthorized)
            let adminToken = try await client.send(.post, "/v1/ingest", token: h.adminToken, json: batch(a, Array(events[0..<2])))
            #expect(adminToken.status == .unauthorized)
            #expect(try await total(client, h) == 0)
        }
    }

    @Test func invalidBatchStoresNothingAndNamesTheEvent() async throws {
        let h = try await Harness()
        try await h.app().test(.router) { client in
            let (a, _) = try await setUp(client, h)
            var bad = Array(events[0..<3])
            bad[2].level = 7  // not a vn3 level
            let reply = try await client.send(.post, "/v1/ingest", token: a.token, json: batch(a, bad))
            #expect(reply.status == .unprocessableContent)
            #expect(reply.json["seq"] as? Int == 3)
            let garbage = try await client.sendRaw(.post, "/v1/ingest", token: a.token, body: "{\"boardId\": 1}", contentType: "application/json")
            #expect(garbage.status == .badRequest)
            #expect(try await total(client, h) == 0)
        }
    }

    @Test func mismatchedAggregatesRaiseAnAlert() async throws {
        let h = try await Harness()
        try await h.app().test(.router) { client in
            let (a, _) = try await setUp(client, h)
            let good = [
                DailyCount(day: "2026-11-23", clerk: "NV01", level: 3, count: 1),
                DailyCount(day: "2026-11-23", clerk: "NV01", level: 2, count: 1),
            ]
            _ = try await client.send(.post, "/v1/ingest", token: a.token, json: batch(a, Array(events[0..<2]), aggregates: good))
            var alerts = try await client.send(.get, "/v1/alerts", token: h.adminToken)
            #expect((alerts.json["alerts"] as? [Any])?.isEmpty == true)
            let wrong = [DailyCount(day: "2026-11-23", clerk: "NV01", level: 3, count: 5)]
            let reply = try await client.send(.post, "/v1/ingest", token: a.token, json: batch(a, [events[2]], aggregates: wrong))
            #expect(reply.status == .ok)
            alerts = try await client.send(.get, "/v1/alerts", token: h.adminToken)
            let list = alerts.json["alerts"] as? [[String: Any]] ?? []
            #expect(list.count == 1)
            #expect(list.first?["kind"] as? String == "countMismatch")
            #expect((list.first?["message"] as? String)?.contains("thiết bị/board 5, máy chủ/server 1") == true)
        }
    }

    @Test func unsyncedEventsAreFiledByArrival() async throws {
        let h = try await Harness()
        try await h.app().test(.router) { client in
            let (a, _) = try await setUp(client, h)
            var event = rating(1, "1970-01-01T00:05:00Z", level: 3, dossier: "000.30.25.H17-240702-0012")
            event.clerk = "NV01"
            event.clockSynced = false
            _ = try await client.send(.post, "/v1/ingest", token: a.token, json: batch(a, [event]))
            #expect(try await total(client, h) == 1)  // filed on 2026-11-23, the arrival day
            let dossier = try await client.send(.get, "/v1/dossiers/000.30.25.H17-240702-0012", token: h.adminToken)
            #expect(dossier.status == .ok)
            #expect(dossier.json["outcome"] as? String == "rated")
            #expect(dossier.json["level"] as? Int == 3)
            let events = dossier.json["events"] as? [[String: Any]] ?? []
            #expect(events.first?["filedByArrival"] as? Bool == true)
            #expect(try await client.send(.get, "/v1/dossiers/NOPE-1", token: h.adminToken).status == .notFound)
        }
    }
}
