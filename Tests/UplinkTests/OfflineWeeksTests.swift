import AsyncHTTPClient
import Foundation
import HailongAgent
import HailongDomain
import HailongServer
import HailongTestSupport
import Logging
import Synchronization
import Testing

@Suite("Three weeks offline, then the drain")
struct OfflineWeeksTests {
    @Test("21 simulated days, > 50,000 events with the server out of reach; backoff capped; then all of it drains in order, batches ≤ 500")
    func threeWeeksOffline() async throws {
        let server = try await LiveServer()
        try await server.run { base, client in
            let clock = BoardClock("2026-11-02T01:00:00Z")
            let board = try await TestBoard.enrolled(with: base, client: client, admin: server.adminToken, counter: "Quầy xa", clock: clock)
            let clerks = try ["Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường"].map { try ClerkID($0) }
            var ratingsByLevel: [Int: Int] = [:]
            var unrated = 0
            // MARK: 3 weeks of work at the counter, nobody hears from the board.
            for day in 0..<21 {
                let clerk = clerks[day % 3]
                try board.log.append([EventDraft(kind: .clerkSignin, at: clock.monotonic(), clerk: clerk)])
                var citizen = 0
                while citizen < 1300 {
                    var drafts: [EventDraft] = []
                    let start = clock.monotonic()
                    for k in 0..<50 {
                        let at = start + .seconds(20 * (k + 1))
                        let dossier = try DossierCode("000.30.25.H17-\(day)-\(citizen + k)")
                        if (citizen + k) % 10 == 9 {
                            drafts.append(EventDraft(kind: .session, at: at, dossier: dossier, clerk: clerk, outcome: .unrated, reason: .expired))
                            unrated += 1
                        } else {
                            let level = 1 + (citizen + k) % 3
                            drafts.append(EventDraft(kind: .rating, at: at, level: level, binding: .dossier, dossier: dossier, clerk: clerk))
                            drafts.append(EventDraft(kind: .session, at: at, dossier: dossier, clerk: clerk, outcome: .rated))
                            ratingsByLevel[level, default: 0] += 1
                        }
                    }
                    clock.advance(.seconds(20 * 50))
                    try board.log.append(drafts)
                    citizen += 50
                }
                try board.log.append([EventDraft(kind: .clerkSignout, at: clock.monotonic(), clerk: clerk)])
                clock.advance(.seconds(86_400 - 26_000))
            }
            let total = try board.log.summary().lastSeq
            #expect(total >= 50_000)

            // MARK: The uplink tries all along: the server is out of reach (nothing listens on port 1).
            let delays = Locked<[Duration]>([])
            // The real HTTP transport; a short connect timeout, as AsyncHTTPClient retries a refused
            // connection until it runs out (10 s by default).
            let impatient = HTTPClient(
                eventLoopGroupProvider: .singleton, configuration: .init(timeout: .init(connect: .milliseconds(100), read: .seconds(5))))
            let offline = Uplink(
                settings: .init(boardId: board.enrollment.boardId), log: board.log, clock: clock,
                transport: HTTPUplinkTransport(client: impatient, server: "http://127.0.0.1:1", token: board.enrollment.token),
                state: UplinkState(server: base, boardId: board.enrollment.boardId, disabled: nil, lastUpload: nil),
                logger: Logger(label: "test.offline"),
                sleep: { delay in
                    // Simulated time: the board's clock moves by the delay; stop after 40 failures.
                    clock.advance(delay)
                    let count = delays.withLock {
                        $0.append(delay)
                        return $0.count
                    }
                    if count >= 40 { throw CancellationError() }
                },
                random: SeededRandom(seed: 2026))
            await offline.forward()
            try await impatient.shutdown()
            let waited = delays.withLock { $0 }
            #expect(waited.count == 40)
            #expect(waited.allSatisfy { $0 <= .seconds(300) })
            #expect(waited.suffix(30).contains { $0 > .seconds(150) })
            #expect(try board.log.summary().backlog == Int(total))

            // MARK: The network is back: drain.
            let transport = RecordingTransport(httpTransport(base, token: board.enrollment.token))
            let started = ContinuousClock.now
            try await withUplink(board.uplink(transport)) {
                try await waitUntil(.seconds(240), "drained") { try board.log.summary().backlog == 0 }
            }
            let elapsed = ContinuousClock.now - started
            let seconds = Double(elapsed.nanosecondsForTest) / 1e9
            let batches = transport.batches.filter { !$0.events.isEmpty }
            print("3 weeks offline: \(total) events drained in \(String(format: "%.1f", seconds)) s = \(Int(Double(total) / seconds)) events/s, \(batches.count) batches (largest \(batches.map(\.events.count).max() ?? 0))")
            #expect(batches.allSatisfy { $0.events.count <= 500 })
            #expect(batches.count == Int((total + 499) / 500))
            // The batch that ends the drain carries the board's counts for all 21 days: the server checked every one.
            #expect(Set(batches.last?.aggregates.map(\.day) ?? []).count == 21)
            // In order, each batch starting where the last one ended.
            #expect(zip(batches, batches.dropFirst()).allSatisfy { $0.toSeq + 1 == $1.fromSeq })

            // Nothing lost, nothing doubled: the server's events are the board's, one for one.
            let remote = try await client.storedEvents(board: board.enrollment.boardId, admin: server.adminToken)
            let local = try board.log.events(after: 0, limit: 100_000).map(\.wire)
            #expect(remote.count == local.count && remote.count == Int(total))
            #expect(zip(local, remote).allSatisfy { same($0, $1.event) })
            var remoteLevels: [Int: Int] = [:]
            for event in remote where event.event.kind == .rating { remoteLevels[event.event.level ?? 0, default: 0] += 1 }
            #expect(remoteLevels == ratingsByLevel)
            #expect(remote.filter { $0.event.outcome == .unrated }.count == unrated)
            #expect(try await client.alerts(admin: server.adminToken).isEmpty)
        }
    }
}
