import Foundation
import GRDB
import HailongAgent
import HailongDomain
import HailongServer
import HailongTestSupport
import Logging
import Testing

/// The parts of an event both sides must agree on.
func same(_ board: WireEvent, _ server: WireEvent) -> Bool {
    board.seq == server.seq && board.kind == server.kind && board.at == server.at && board.level == server.level
        && board.binding == server.binding && board.dossier == server.dossier && board.clerk == server.clerk
        && board.outcome == server.outcome && board.reason == server.reason && board.clockSynced == server.clockSynced
}

@Suite("The uplink against the real server on loopback")
struct UplinkTests {
    @Test("backlog forwarded in seq order in batches of at most 500; marked forwarded only as acknowledged; a new rating wakes it")
    func forwardsInOrderAndWakes() async throws {
        let server = try await LiveServer()
        try await server.run { base, client in
            let board = try await TestBoard.enrolled(with: base, client: client, admin: server.adminToken, counter: "Quầy 1")
            let clerk = "Nguye\u{0302}\u{0303}n Thi\u{0323} A\u{0301}nh"  // decomposed: stored and sent NFC
            for index in 0..<650 {
                try board.serve(dossier: "000.30.25.H17-240702-\(1000 + index)", clerk: clerk, level: index % 7 == 0 ? nil : 1 + index % 3)
            }
            let total = try board.log.summary().lastSeq
            #expect(total > 1000)
            let transport = RecordingTransport(httpTransport(base, token: board.enrollment.token))
            let state = UplinkState(server: base, boardId: board.enrollment.boardId, disabled: nil, lastUpload: nil)
            try await withUplink(board.uplink(transport, state: state)) {
                try await waitUntil(.seconds(60), "backlog drained") { try board.log.summary().backlog == 0 }
                let batches = transport.batches.filter { !$0.events.isEmpty }
                #expect(batches.allSatisfy { $0.events.count <= 500 })
                #expect(batches.map(\.fromSeq) == stride(from: 1, through: total, by: 500).map { $0 })
                #expect(batches.last?.toSeq == total)
                // Only the batch that reaches the end of the log carries the cumulative counts.
                #expect(batches.dropLast().allSatisfy { $0.aggregates.isEmpty })
                #expect(batches.last?.aggregates.isEmpty == false)
                #expect(state.snapshot.lastUpload != nil && state.snapshot.acknowledgedSeq == total)

                // Idle now: a new rating reaches the server within seconds (the heartbeat is an hour away).
                let rated = try board.serve(dossier: "000.30.25.H17-240702-9999", clerk: clerk, level: 3)
                let newSeq = try #require(rated.last?.seq)
                try await waitUntil(.seconds(15), "new rating forwarded") {
                    try await client.storedEvents(board: board.enrollment.boardId, admin: server.adminToken).last?.event.seq == newSeq
                }
            }
            let local = try board.log.events(after: 0, limit: 10_000).map(\.wire)
            let remote = try await client.storedEvents(board: board.enrollment.boardId, admin: server.adminToken)
            #expect(local.count == remote.count)
            #expect(zip(local, remote).allSatisfy { same($0, $1.event) })
            #expect(remote.first { $0.event.kind == .rating }?.event.clerk == "Nguy\u{1EC5}n Th\u{1ECB} \u{00C1}nh")
            #expect(try await client.alerts(admin: server.adminToken).isEmpty)
            // Board health on the server: drained, so nothing behind.
            let boards = try await client.send(.get, "/v1/boards", token: server.adminToken).json["boards"] as? [[String: Any]]
            #expect(boards?.first?["backlog"] as? Int == 0, "\(String(describing: boards))")
        }
    }

    @Test("a batch acknowledged only in part is marked only in part; a replay changes nothing")
    func partialAcknowledgement() async throws {
        let dir = try temporaryDirectory()
        let clock = BoardClock()
        let log = try EventLog(path: dir + "/agent.db", clock: clock)
        for index in 0..<10 { try log.append([EventDraft(kind: .rating, at: clock.monotonic() + .seconds(index), level: 2, binding: .counter)]) }
        try log.markForwarded(through: 4, at: clock.wall())
        let pending = try log.pendingBatch(limit: 500)
        #expect(pending.events.map(\.seq) == Array(5...10).map { Optional($0) })
        #expect(pending.backlog == 6)
        #expect(pending.aggregates == [DailyCount(day: "2026-11-23", clerk: nil, level: 2, count: 10)])
        // The server restored from a backup and holds only 1...2: 3...4 go out again.
        try log.unforward(after: 2)
        #expect(try log.pendingBatch(limit: 3).events.map(\.seq) == [3, 4, 5])
    }

    @Test("uplink.detail: aggregates — no dossier code in any byte sent; the server's counts still agree")
    func privacyMode() async throws {
        let server = try await LiveServer()
        try await server.run { base, client in
            let board = try await TestBoard.enrolled(with: base, client: client, admin: server.adminToken, counter: "Quầy riêng")
            let dossiers = (0..<40).map { "000.30.25.H17-SECRET-\(5000 + $0)" }
            for (index, dossier) in dossiers.enumerated() {
                try board.serve(dossier: dossier, clerk: "NV\(index % 3)", level: index % 5 == 0 ? nil : 1 + index % 3)
            }
            let transport = RecordingTransport(httpTransport(base, token: board.enrollment.token))
            try await withUplink(board.uplink(transport, detail: .aggregates)) {
                try await waitUntil(.seconds(30), "drained") { try board.log.summary().backlog == 0 }
            }
            let bytes = transport.wire.withLock { $0 }
            #expect(!bytes.isEmpty)
            for body in bytes {
                let text = String(decoding: body, as: UTF8.self)
                #expect(!text.contains("SECRET") && !text.contains("\"dossier\":"), "\(text.prefix(300))")
            }
            #expect(transport.batches.contains { !$0.aggregates.isEmpty })
            // The board still has them; the server never saw them.
            #expect(try board.log.events(after: 0, limit: 1000).compactMap(\.dossier).count == 72)
            let remote = try await client.storedEvents(board: board.enrollment.boardId, admin: server.adminToken)
            #expect(remote.count == 40 + 32 && remote.allSatisfy { $0.event.dossier == nil })
            #expect(try await client.send(.get, "/v1/dossiers/\(dossiers[1])", token: server.adminToken).status == .notFound)
            #expect(try await client.alerts(admin: server.adminToken).isEmpty)
        }
    }

    @Test("counts agree: a row deleted on the server raises a countMismatch alert naming the board and the day")
    func mismatchAlert() async throws {
        let server = try await LiveServer()
        try await server.run { base, client in
            let board = try await TestBoard.enrolled(with: base, client: client, admin: server.adminToken, counter: "Quầy 7")
            for index in 0..<12 { try board.serve(dossier: "D-\(index)", clerk: "NV01", level: 1 + index % 3) }
            let uplink = board.uplink(httpTransport(base, token: board.enrollment.token))
            try await withUplink(uplink) {
                try await waitUntil(.seconds(30), "drained") { try board.log.summary().backlog == 0 }
                #expect(try await client.alerts(admin: server.adminToken).isEmpty)
                // Someone deletes a rating on the server, behind the rollups' back.
                let db = try DatabaseQueue(path: server.dbPath)
                try await db.write { db in
                    try db.execute(sql: "DELETE FROM board_daily WHERE board_id = ? AND level = 3", arguments: [board.enrollment.boardId])
                }
                try board.serve(dossier: "D-late", clerk: "NV01", level: 2)
                try await waitUntil(.seconds(30), "mismatch alert") {
                    try await client.alerts(admin: server.adminToken).contains { $0.kind == "countMismatch" }
                }
            }
            let alert = try #require(try await client.alerts(admin: server.adminToken).first { $0.kind == "countMismatch" })
            #expect(alert.board == board.enrollment.boardId)
            #expect(alert.message.contains("board \(board.enrollment.boardId)") && alert.message.contains("2026-11-23"), "\(alert.message)")
            #expect(alert.message.contains("mức/level 3: thiết bị/board 4, máy chủ/server 0"), "\(alert.message)")
        }
    }

    @Test("time repair: this boot's events are re-timed once the clock syncs; an earlier boot's are filed by arrival, marked")
    func timeRepair() async throws {
        let server = try await LiveServer()
        try await server.run { base, client in
            let clock = BoardClock()
            let board = try await TestBoard.enrolled(with: base, client: client, admin: server.adminToken, counter: "Quầy 9", clock: clock)
            // Boot A, no RTC: the clock reads 1970 and never syncs before the next power cut.
            clock.reboot(wall: "1970-01-01T00:00:10Z")
            try board.serve(dossier: "OLD-1", clerk: "NV01", level: 3)
            // Boot B: the clock reads the last shutdown time until NTP steps it, 100 s after boot + 3 s.
            clock.reboot(wall: "2026-11-20T17:00:00Z")
            try board.serve(dossier: "NEW-1", clerk: "NV01", level: 2, after: .seconds(40))  // mono 43 s
            try board.serve(dossier: "NEW-2", clerk: "NV01", level: 1, after: .seconds(40))  // mono 83 s
            #expect(try board.log.events(after: 0, limit: 10).allSatisfy { !$0.clockSynced })
            clock.advance(.seconds(20))  // mono 103 s
            clock.synchronize(to: "2026-11-23T03:00:00Z")
            try await withUplink(board.uplink(httpTransport(base, token: board.enrollment.token))) {
                try await waitUntil(.seconds(30), "drained") { try board.log.summary().backlog == 0 }
            }
            let remote = try await client.storedEvents(board: board.enrollment.boardId, admin: server.adminToken)
            let newOnes = remote.filter { $0.event.dossier?.hasPrefix("NEW") == true && $0.event.kind == .rating }
            #expect(newOnes.map(\.event.at) == ["2026-11-23T02:59:00Z", "2026-11-23T02:59:40Z"])
            #expect(newOnes.allSatisfy { !$0.filedByArrival && $0.event.clockSynced == true })
            let old = try #require(remote.first { $0.event.dossier == "OLD-1" && $0.event.kind == .rating })
            #expect(old.filedByArrival && old.event.clockSynced == false && old.event.at.hasPrefix("1970-01-01"))
            #expect(old.filedAt?.hasPrefix("1970") == false)
            #expect(try await client.alerts(admin: server.adminToken).isEmpty)
        }
    }

    @Test("retention: forwarded events older than retain_days go; unforwarded ones stay, however old; not while the clock is unsynchronized")
    func retention() async throws {
        let dir = try temporaryDirectory()
        let clock = BoardClock("2026-08-01T01:00:00Z")
        let log = try EventLog(path: dir + "/agent.db", clock: clock)
        // A clerk signed in the day before, and still on duty 100 days later (seq 1).
        let clerk = try ClerkID("Trần Văn Bình")
        try log.append([EventDraft(kind: .clerkSignin, at: clock.monotonic(), clerk: clerk)])
        clock.advance(.seconds(86_400))
        for _ in 0..<10 {
            try log.append([EventDraft(kind: .rating, at: clock.monotonic(), level: 3, binding: .counter)])
            clock.advance(.seconds(86_400))
        }
        try log.markForwarded(through: 6, at: clock.wall())
        clock.advance(.seconds(90 * 86_400))
        let retention = RetentionService(log: log, clock: clock, retainDays: 90, logger: Logger(label: "test"))
        clock.state.withLock { $0.synced = false }
        #expect(retention.pruneOnce() == 0)
        clock.state.withLock { $0.synced = true }
        // All are 90–100 days old: the forwarded ratings 2...6 go, the unforwarded 7...11 stay, and
        // so does the sign-in (forwarded, old, but the latest): the clerk is still on duty.
        #expect(retention.pruneOnce() == 5)
        #expect(try log.events(after: 0, limit: 100).map(\.seq) == [1, 7, 8, 9, 10, 11])
        #expect(try log.summary().lastSeq == 11 && log.summary().backlog == 5)
        #expect(try log.clerkOnDuty() == clerk)
        // Once the clerk signs out, the old sign-in may go; the sign-out (now the latest) stays.
        try log.append([EventDraft(kind: .clerkSignout, at: clock.monotonic(), clerk: clerk)])
        try log.markForwarded(through: 12, at: clock.wall())
        clock.advance(.seconds(91 * 86_400))
        #expect(retention.pruneOnce() == 6)
        #expect(try log.events(after: 0, limit: 100).map(\.seq) == [12])
        #expect(try log.clerkOnDuty() == nil)
        // Counts survive pruning: the next batch's aggregates still cover the pruned days' ratings.
        let appended = try log.append([EventDraft(kind: .rating, at: clock.monotonic(), level: 3, binding: .counter)])
        #expect(appended.first?.seq == 13)
    }
}

@Suite("Backoff: exponential, full jitter, capped at 5 minutes, reset on success")
struct BackoffTests {
    @Test("ceilings double from 1 s to the 300 s cap; every delay is within its ceiling; they are jittered; reset starts over")
    func backoffShape() {
        var backoff = Backoff()
        var rng = SeededRandom(seed: 42)
        var ceilings: [Int64] = []
        var delays: [Duration] = []
        for _ in 0..<14 {
            ceilings.append(backoff.ceiling.nanosecondsForTest / 1_000_000_000)
            delays.append(backoff.next(using: &rng))
        }
        #expect(ceilings == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300, 300, 300])
        for (delay, ceiling) in zip(delays, ceilings) { #expect(delay >= .zero && delay <= .seconds(ceiling)) }
        #expect(Set(delays.suffix(5)).count == 5)  // jittered, not a fixed 300 s
        // Many draws at the cap spread over the whole range (full jitter).
        var spread: [Duration] = []
        for _ in 0..<1000 { spread.append(backoff.next(using: &rng)) }
        #expect(spread.allSatisfy { $0 <= .seconds(300) })
        #expect(spread.min().map { $0 < .seconds(30) } == true && spread.max().map { $0 > .seconds(270) } == true)
        backoff.reset()
        #expect(backoff.ceiling == .seconds(1))
        // Same seed, same delays: reproducible.
        var again = Backoff()
        var rng2 = SeededRandom(seed: 42)
        #expect((0..<14).map { _ in again.next(using: &rng2) } == delays)
    }

    @Test("the uplink sleeps the backoff between failures (injected sleep and randomness) and starts over after a success")
    func uplinkBacksOffAndResets() async throws {
        let dir = try temporaryDirectory()
        let clock = BoardClock()
        let log = try EventLog(path: dir + "/agent.db", clock: clock)
        let transport = FlakyTransport()
        transport.failuresLeft.withLock { $0 = 12 }
        let sleeper = RecordingSleeper()
        let uplink = Uplink(
            settings: .init(boardId: "b-test", heartbeat: sleeper.heartbeat), log: log, clock: clock, transport: transport,
            state: UplinkState(server: "x", boardId: "b-test", disabled: nil, lastUpload: nil), logger: Logger(label: "test"),
            sleep: sleeper.sleep, random: SeededRandom(seed: 7))
        try log.append([EventDraft(kind: .rating, at: clock.monotonic(), level: 3, binding: .counter)])
        try await withUplink(uplink) {
            try await waitUntil(.seconds(30), "first success") { try log.summary().backlog == 0 }
            let first = sleeper.delays.withLock { $0 }
            #expect(first.count == 12)
            let ceilings: [Int64] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]
            for (delay, ceiling) in zip(first, ceilings) { #expect(delay <= .seconds(ceiling)) }
            #expect(first.suffix(3).allSatisfy { $0 <= .seconds(300) })
            #expect(first.suffix(4).contains { $0 > .seconds(16) })  // it did grow
            // After the success the next outage starts again at ≤ 1 s.
            transport.failuresLeft.withLock { $0 = 3 }
            try log.append([EventDraft(kind: .rating, at: clock.monotonic(), level: 2, binding: .counter)])
            try await waitUntil(.seconds(30), "second success") { try log.summary().backlog == 0 }
            let second = sleeper.delays.withLock { Array($0.dropFirst(12)) }
            #expect(second.count == 3)
            for (delay, ceiling) in zip(second, [1, 2, 4] as [Int64]) { #expect(delay <= .seconds(ceiling)) }
        }
    }
}

/// A board's log holding one rating, and an uplink over a `FlakyTransport` (which the test sets
/// up before the uplink runs).
func oneRatingUplink(seed: UInt64) throws -> (EventLog, FlakyTransport, UplinkState, Uplink) {
    let clock = BoardClock()
    let log = try EventLog(path: try temporaryDirectory() + "/agent.db", clock: clock)
    let transport = FlakyTransport()
    let state = UplinkState(server: "x", boardId: "b-test", disabled: nil, lastUpload: nil)
    let sleeper = RecordingSleeper()
    let uplink = Uplink(
        settings: .init(boardId: "b-test", heartbeat: sleeper.heartbeat), log: log, clock: clock, transport: transport,
        state: state, logger: Logger(label: "test"), sleep: sleeper.sleep, random: SeededRandom(seed: seed))
    try log.append([EventDraft(kind: .rating, at: clock.monotonic(), level: 3, binding: .counter)])
    return (log, transport, state, uplink)
}

@Suite("A server that answers 503 (its database away) is waited out")
struct UnavailableServerTests {
    @Test("503s mark nothing, say the server is unavailable (not that the batch was refused), and the batch goes once it is back")
    func unavailableThenBack() async throws {
        let (log, transport, state, uplink) = try oneRatingUplink(seed: 5)
        transport.failuresLeft.withLock { $0 = 1_000 }
        transport.failingAnswer.withLock {
            $0 = .refused(status: 503, message: "the database did not answer within 15000 ms / cơ sở dữ liệu không trả lời trong 15000 ms")
        }
        try await withUplink(uplink) {
            try await waitUntil(.seconds(30), "two 503s") { state.snapshot.failuresInRow >= 2 }
            #expect(try log.summary().backlog == 1)
            let said = state.snapshot.lastError ?? ""
            #expect(said.hasPrefix("the server is unavailable (503); resending later: the database did not answer"), "\(said)")
            transport.failuresLeft.withLock { $0 = 0 }
            try await waitUntil(.seconds(30), "sent once the server is back") { try log.summary().backlog == 0 }
        }
        #expect(transport.acknowledged.withLock { $0 } == 1)
    }
}

@Suite("The uplink refuses to mark what the server cannot have from this log")
struct ReplacedLogTests {
    @Test("a server ahead of the board's log (log replaced under an old enrollment): nothing marked, the status says why")
    func serverAheadOfBoard() async throws {
        let (log, transport, state, uplink) = try oneRatingUplink(seed: 3)
        transport.acknowledged.withLock { $0 = 5000 }  // what the server holds from the old card
        try await withUplink(uplink) {
            try await waitUntil(.seconds(30), "refusal noted") { state.snapshot.failuresInRow >= 2 }
        }
        #expect(try log.summary().backlog == 1)
        #expect(state.snapshot.lastError?.contains("the event log was replaced; enroll again with --force") == true)
    }
}
