import Foundation
import HailongDomain
@testable import HailongServer
import HailongTestSupport
import Synchronization
import Testing

/// The storage contract (issue 15): what every `HailongStore` must do, written against the
/// protocol alone and run on each store this run can reach (SQLite in memory and in a file; a
/// PostgreSQL schema when `scripts/test` started its cluster). A store that passes it can serve.
@Suite struct StoreContractTests {
    static let received = WallTime(rfc3339: "2027-01-02T00:00:00Z") ?? WallTime(microseconds: 0)

    private func status(_ version: String = "1.0") -> BoardStatus { BoardStatus(version: version, backlog: 0, clockSynced: true, uptimeS: 5) }

    /// A unit with a counter and an enrolled board.
    private func enrolledBoard(_ store: any HailongStore, unit: String = "hcm", counter: String = "Quầy 1", scale: Scale = .vn3) async throws -> BoardInfo {
        if try await store.unit(code: unit) == nil {
            let root = try await store.units().isEmpty
            _ = try await store.createUnit(NewUnit(code: unit, name: "Unit \(unit)", parent: root ? nil : "root"))
        }
        let counterInfo = try await store.createCounter(unit: unit, name: counter)
        let code = UUID().uuidString
        _ = try await store.createBoard(unit: unit, counterId: counterInfo.id, scale: scale, codeHash: code, expiresAt: Self.received + .seconds(3600))
        return try await store.enroll(codeHash: code, tokenHash: "token-" + code, now: Self.received)
    }

    private func ingest(_ store: any HailongStore, _ board: BoardInfo, _ events: [WireEvent], aggregates: [DailyCount] = [], from: Int64? = nil)
        async throws -> IngestOutcome
    {
        let batch = IngestBatch(
            boardId: board.id, fromSeq: from ?? events.first?.seq ?? 1, toSeq: events.last?.seq ?? (from ?? 1) - 1, events: events, aggregates: aggregates,
            status: status())
        let checked = try batch.checked(scale: board.scale, receivedAt: Self.received)
        return try await store.ingest(board: board, batch: batch, events: checked, receivedAt: Self.received)
    }

    @Test(arguments: StoreKind.available) func loginAttemptsAreCountedUpToTheirLimitsForOneWindow(kind: StoreKind) async throws {
        let store = try await kind.make()
        let t0 = Self.received
        func admit(_ limits: [String: Int], _ at: WallTime, since: WallTime = t0) async throws -> Bool {
            try await store.admitLoginAttempt(limits: limits, at: at, since: since).admitted
        }
        #expect(try await store.loginFailures(keys: ["u:a", "a:x"], since: t0).isEmpty)
        #expect(try await admit(["u:a": 2, "a:x": 3], t0))
        #expect(try await admit(["u:b": 2, "a:x": 3], t0 + .seconds(10)))
        let second = try await store.admitLoginAttempt(limits: ["u:a": 2, "a:x": 3], at: t0 + .seconds(20), since: t0)
        #expect(second.admitted && second.earlier == ["u:a": [t0], "a:x": [t0, t0 + .seconds(10)]])
        var failures = try await store.loginFailures(keys: ["u:a", "a:x", "u:none"], since: t0)
        #expect(failures["u:a"] == [t0, t0 + .seconds(20)])
        #expect(failures["a:x"] == [t0, t0 + .seconds(10), t0 + .seconds(20)])
        #expect(failures["u:none"] == nil && failures["u:b"] == nil)
        // Only those at or after `since`.
        #expect(try await store.loginFailures(keys: ["u:a"], since: t0 + .seconds(1))["u:a"] == [t0 + .seconds(20)])
        // At its limit a key counts nothing more, for any of the keys asked together.
        let refused = try await store.admitLoginAttempt(limits: ["u:c": 5, "a:x": 3], at: t0 + .seconds(30), since: t0)
        #expect(!refused.admitted && refused.earlier["a:x"]?.count == 3 && refused.earlier["u:c"] == nil)
        #expect(try await store.loginFailures(keys: ["u:c"], since: t0).isEmpty)
        // Taking one back: one attempt at that time, of each key named.
        try await store.withdrawLoginAttempt(keys: ["a:x"], at: t0 + .seconds(20))
        failures = try await store.loginFailures(keys: ["u:a", "a:x"], since: t0)
        #expect(failures["a:x"] == [t0, t0 + .seconds(10)] && failures["u:a"]?.count == 2)
        #expect(try await admit(["u:d": 5, "a:x": 3], t0 + .seconds(40)))
        // A success clears its key only.
        try await store.clearLoginFailures(key: "u:a")
        failures = try await store.loginFailures(keys: ["u:a", "a:x", "u:b"], since: t0)
        #expect(failures["u:a"] == nil && failures["a:x"]?.count == 3 && failures["u:b"]?.count == 1)
        // Counting forgets what is older than the window, of every key.
        #expect(try await admit(["u:e": 1], t0 + .seconds(100), since: t0 + .seconds(15)))
        failures = try await store.loginFailures(keys: ["a:x", "u:b", "u:d", "u:e"], since: WallTime(microseconds: 0))
        #expect(failures["a:x"] == [t0 + .seconds(40)] && failures["u:b"] == nil && failures["u:e"] == [t0 + .seconds(100)])
    }

    /// Attempts made at once are counted one at a time: of twenty on one key with a limit of
    /// five, exactly five are admitted.
    @Test(arguments: StoreKind.available) func loginAttemptsAtOnceAreAdmittedUpToTheLimit(kind: StoreKind) async throws {
        let store = try await kind.make()
        let t0 = Self.received
        let admitted = try await withThrowingTaskGroup(of: Bool.self) { group in
            for n in 0..<20 {
                group.addTask { try await store.admitLoginAttempt(limits: ["u:z": 5, "a:\(n % 3)": 30], at: t0, since: t0).admitted }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(admitted == 5)
    }

    @Test(arguments: StoreKind.available) func aUnitTreeHasOneRootAndCodesOnce(kind: StoreKind) async throws {
        let store = try await kind.make()
        _ = try await store.createUnit(NewUnit(code: "root", name: "Cả nước"))
        await #expect(throws: StoreError.invalid("a root unit exists already; give a parent")) {
            _ = try await store.createUnit(NewUnit(code: "other", name: "Other"))
        }
        _ = try await store.createUnit(NewUnit(code: "hcm", name: "TP. Hồ Chí Minh", parent: "root"))
        _ = try await store.createUnit(NewUnit(code: "hcm.q1", name: "Quận 1", parent: "hcm", timeZone: "Asia/Ho_Chi_Minh"))
        _ = try await store.createUnit(NewUnit(code: "del", name: "Delhi", parent: "root", timeZone: "Asia/Kolkata"))
        await #expect(throws: StoreError.self) { _ = try await store.createUnit(NewUnit(code: "hcm", name: "Again", parent: "root")) }
        await #expect(throws: StoreError.notFound("parent unit nowhere")) {
            _ = try await store.createUnit(NewUnit(code: "x", name: "X", parent: "nowhere"))
        }
        await #expect(throws: StoreError.invalid("unknown time zone \"Mars/Base\"")) {
            _ = try await store.createUnit(NewUnit(code: "m", name: "Mars", parent: "root", timeZone: "Mars/Base"))
        }
        await #expect(throws: StoreError.self) { _ = try await store.createUnit(NewUnit(code: "has space", name: "X", parent: "root")) }
        // Nothing refused was kept.
        #expect(try await store.units().map(\.code) == ["del", "hcm", "hcm.q1", "root"])
        #expect(try await store.subtree(of: "hcm").map(\.code) == ["hcm", "hcm.q1"])
        #expect(try await store.subtree(of: "nowhere").isEmpty)
        let q1 = try #require(try await store.unit(code: "hcm.q1"))
        #expect(q1.parent == "hcm" && q1.timeZone == "Asia/Ho_Chi_Minh" && q1.name == "Quận 1")
        #expect(try await store.unit(code: "hcm")?.timeZone == "Asia/Ho_Chi_Minh")  // the default zone
        // NFC: a decomposed name is stored composed; a decomposed code finds the unit.
        _ = try await store.createUnit(NewUnit(code: "bến-nghé", name: "Phường Bến Nghé".decomposedStringWithCanonicalMapping, parent: "hcm.q1"))
        let found = try #require(try await store.unit(code: "bến-nghé".decomposedStringWithCanonicalMapping))
        #expect(found.name.unicodeScalars.count == "Phường Bến Nghé".unicodeScalars.count)
    }

    @Test(arguments: StoreKind.available) func countersAndClerksBelongToUnits(kind: StoreKind) async throws {
        let store = try await kind.make()
        _ = try await store.createUnit(NewUnit(code: "root", name: "Root"))
        _ = try await store.createUnit(NewUnit(code: "a", name: "A", parent: "root"))
        let one = try await store.createCounter(unit: "a", name: "Quầy 2")
        _ = try await store.createCounter(unit: "a", name: "Quầy 1")
        _ = try await store.createCounter(unit: "root", name: "Quầy 1")
        await #expect(throws: StoreError.conflict("counter \"Quầy 2\" exists already in a")) { _ = try await store.createCounter(unit: "a", name: "Quầy 2") }
        await #expect(throws: StoreError.notFound("unit b")) { _ = try await store.createCounter(unit: "b", name: "Quầy 1") }
        #expect(try await store.counters(units: ["a"]).map(\.name) == ["Quầy 1", "Quầy 2"])
        #expect(try await store.counters(units: ["a"]).last == one)
        try await store.upsertClerks([Clerk(code: "NV02", name: "Trần Văn B", unit: "a"), Clerk(code: "NV01", name: "Nguyễn Thị A", unit: "a")])
        try await store.upsertClerks([Clerk(code: "NV02", name: "Trần Văn Bình", unit: "root")])
        #expect(try await store.clerks(units: ["a"]) == [Clerk(code: "NV01", name: "Nguyễn Thị A", unit: "a")])
        #expect(try await store.clerks(units: ["root"]) == [Clerk(code: "NV02", name: "Trần Văn Bình", unit: "root")])
        // All or none: one clerk of an unknown unit keeps the others out.
        await #expect(throws: StoreError.self) {
            try await store.upsertClerks([Clerk(code: "NV03", name: "C", unit: "a"), Clerk(code: "NV04", name: "D", unit: "zz")])
        }
        #expect(try await store.clerks(units: ["a", "root"]).map(\.code) == ["NV01", "NV02"])
    }

    @Test(arguments: StoreKind.available) func aCodeEnrollsOnceBeforeItExpires(kind: StoreKind) async throws {
        let store = try await kind.make()
        _ = try await store.createUnit(NewUnit(code: "root", name: "Root"))
        _ = try await store.createUnit(NewUnit(code: "other", name: "Other", parent: "root"))
        let counter = try await store.createCounter(unit: "root", name: "Quầy 1")
        await #expect(throws: StoreError.self) {
            _ = try await store.createBoard(unit: "other", counterId: counter.id, scale: .vn3, codeHash: "c0", expiresAt: Self.received)
        }
        let created = try await store.createBoard(unit: "root", counterId: counter.id, scale: .happy4, codeHash: "c1", expiresAt: Self.received + .seconds(60))
        #expect(!created.enrolled && !created.revoked && created.lastSeq == 0 && created.scale == .happy4 && created.counter == "Quầy 1")
        #expect(created.id.hasPrefix("b-") && created.id.count == 10)
        await #expect(throws: StoreError.invalid("enrollment code expired")) {
            _ = try await store.enroll(codeHash: "c1", tokenHash: "t1", now: Self.received + .seconds(61))
        }
        let enrolled = try await store.enroll(codeHash: "c1", tokenHash: "t1", now: Self.received)
        #expect(enrolled.enrolled && enrolled.id == created.id)
        await #expect(throws: StoreError.self) { _ = try await store.enroll(codeHash: "c1", tokenHash: "t2", now: Self.received) }
        #expect(try await store.board(tokenHash: "t1")?.id == created.id)
        #expect(try await store.board(tokenHash: "t2") == nil)
        // Two enrollments of one code at once: one board, one token.
        _ = try await store.createBoard(unit: "root", counterId: counter.id, scale: .vn3, codeHash: "c2", expiresAt: Self.received + .seconds(60))
        let results = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<8 {
                group.addTask { (try? await store.enroll(codeHash: "c2", tokenHash: "race-\(index)", now: Self.received)) != nil }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.filter { $0 }.count == 1)
        var tokens = 0
        for index in 0..<8 where try await store.board(tokenHash: "race-\(index)") != nil { tokens += 1 }
        #expect(tokens == 1)
        try await store.revokeBoard(id: created.id)
        #expect(try await store.board(id: created.id)?.revoked == true)
        await #expect(throws: StoreError.notFound("board b-nothing")) { try await store.revokeBoard(id: "b-nothing") }
        #expect(try await store.boards(units: ["root"]).count == 2)
        #expect(try await store.boards(units: []).isEmpty)
    }

    /// Board ids are 32-bit draws, so among a nation's boards two draw alike now and then: the
    /// second board takes the next free draw instead of failing, and only 16 taken draws in a
    /// row are refused, as a conflict that changes nothing.
    @Test(arguments: StoreKind.available) func aBoardWhoseIdIsTakenDrawsAgain(kind: StoreKind) async throws {
        let store = try await kind.make()
        _ = try await store.createUnit(NewUnit(code: "root", name: "Root"))
        let counter = try await store.createCounter(unit: "root", name: "Quầy 1")
        let first = try await store.createBoard(unit: "root", counterId: counter.id, scale: .vn3, codeHash: "c1", expiresAt: Self.received)
        let draws = Mutex(["b-0000beef", first.id, first.id, first.id])  // the last draw first
        let second = try await StoreRules.$drawBoardId.withValue({ draws.withLock { $0.popLast() ?? "b-ffffffff" } }) {
            try await store.createBoard(unit: "root", counterId: counter.id, scale: .vn3, codeHash: "c2", expiresAt: Self.received)
        }
        #expect(second.id == "b-0000beef")
        await #expect(throws: StoreRules.noFreeBoardId) {
            try await StoreRules.$drawBoardId.withValue({ first.id }) {
                _ = try await store.createBoard(unit: "root", counterId: counter.id, scale: .vn3, codeHash: "c3", expiresAt: Self.received)
            }
        }
        #expect(try await store.boards(units: ["root"]).map(\.id).sorted() == [first.id, second.id].sorted())
        #expect(try await store.board(id: first.id)?.counterId == counter.id)
    }

    @Test(arguments: StoreKind.available) func aReplayedOrOverlappingBatchChangesNothingAndAGapIsRefused(kind: StoreKind) async throws {
        let store = try await kind.make()
        let board = try await enrolledBoard(store)
        let events = (1...6).map { rating(Int64($0), "2026-11-23T0\($0):00:00Z", level: 1 + $0 % 3, clerk: "NV01", dossier: "HS-\($0)") }
        #expect(try await ingest(store, board, Array(events[0..<3])) == .stored(acknowledgedSeq: 3, newEvents: 3, mismatches: 0))
        #expect(try await ingest(store, board, Array(events[0..<3])) == .stored(acknowledgedSeq: 3, newEvents: 0, mismatches: 0))
        #expect(try await ingest(store, board, Array(events[1..<5])) == .stored(acknowledgedSeq: 5, newEvents: 2, mismatches: 0))
        #expect(try await ingest(store, board, [rating(8, "2026-11-23T09:00:00Z", level: 1)]) == .gap(acknowledgedSeq: 5, expectedSeq: 6))
        let stored = try await store.events(board: board.id, after: 0, limit: 100)
        #expect(stored.map(\.event.seq) == [1, 2, 3, 4, 5])
        #expect(stored.map(\.event.dossier) == (1...5).map { "HS-\($0)" })
        #expect(try await store.events(board: board.id, after: 2, limit: 2).map(\.event.seq) == [3, 4])
        #expect(try await store.board(id: board.id)?.lastSeq == 5)
        let day = CivilDate.toDays(year: 2026, month: 11, day: 23)
        let counts = try await store.rangeCounts(unitIds: [board.unitId], fromDay: day, toDay: day, groupBy: .unit)
        var expected = TallyCounts()
        for event in events[0..<5] { expected.rate(event.level ?? 0) }
        #expect(counts == [GroupCount(group: String(board.unitId), scale: .vn3, counts: expected)])
        // A heartbeat (no events) moves nothing but the status.
        let heartbeat = IngestBatch(boardId: board.id, fromSeq: 6, toSeq: 5, events: [], status: status("2.0"))
        #expect(try await store.ingest(board: board, batch: heartbeat, events: [], receivedAt: Self.received) == .stored(acknowledgedSeq: 5, newEvents: 0, mismatches: 0))
        #expect(try await store.board(id: board.id)?.version == "2.0")
        #expect(try await store.events(dossier: "HS-4").map(\.event.seq) == [4])
    }

    @Test(arguments: StoreKind.available) func aRevokedBoardIsRefusedWhateverTheCallerHolds(kind: StoreKind) async throws {
        let store = try await kind.make()
        let board = try await enrolledBoard(store)
        try await store.revokeBoard(id: board.id)
        // `board` is the caller's copy from before the revocation (a token cache).
        #expect(try await ingest(store, board, [rating(1, "2026-11-23T02:00:00Z", level: 3)]) == .revoked)
        #expect(try await store.events(board: board.id, after: 0, limit: 10).isEmpty)
        #expect(try await store.board(id: board.id)?.lastSeq == 0)
    }

    @Test(arguments: StoreKind.available) func oneBoardsBatchesAtOnceAreStoredOnce(kind: StoreKind) async throws {
        let store = try await kind.make()
        let board = try await enrolledBoard(store)
        let events = (1...40).map { rating(Int64($0), "2026-11-23T02:\(String(format: "%02d", $0)):00Z", level: 1 + $0 % 3, clerk: "NV\($0 % 4)") }
        // Overlapping batches from several tasks at once (two replicas, retries).
        let batches = [0..<10, 0..<20, 5..<25, 20..<40, 10..<40, 0..<40].map { Array(events[$0]) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<3 {
                for batch in batches { group.addTask { _ = try await self.ingest(store, board, batch) } }
            }
            try await group.waitForAll()
        }
        // Every batch that started after a hole was refused; the rest stored each event once.
        for batch in batches { _ = try await ingest(store, board, batch) }
        #expect(try await store.events(board: board.id, after: 0, limit: 100).map(\.event.seq) == (1...40).map(Int64.init))
        let day = CivilDate.toDays(year: 2026, month: 11, day: 23)
        let total = try await store.rangeCounts(unitIds: [board.unitId], fromDay: day, toDay: day, groupBy: .clerk)
            .reduce(Int64(0)) { total, row in total + (1...5).reduce(0) { sum, level in sum + row.counts.ratings(level) } }
        #expect(total == 40)
    }

    /// Rollups equal the events: random events of three boards in two zones, sent in shuffled
    /// batches, against counts computed here from what was sent, for every dimension and random
    /// ranges; the units' totals and hours too.
    @Test(arguments: StoreKind.available) func rollupsEqualTheEventsSent(kind: StoreKind) async throws {
        let store = try await kind.make()
        _ = try await store.createUnit(NewUnit(code: "root", name: "Root"))
        _ = try await store.createUnit(NewUnit(code: "vn", name: "Việt Nam", parent: "root", timeZone: "Asia/Ho_Chi_Minh"))
        _ = try await store.createUnit(NewUnit(code: "in", name: "India", parent: "root", timeZone: "Asia/Kolkata"))
        let boards = [
            try await enrolledBoard(store, unit: "vn", counter: "Quầy 1"), try await enrolledBoard(store, unit: "vn", counter: "Quầy 2"),
            try await enrolledBoard(store, unit: "in", counter: "Desk 1", scale: .happy4),
        ]
        let offsets: [String: Int64] = ["vn": 7 * 3600, "in": 5 * 3600 + 1800]
        var random = SplitMix64(seed: 15)
        let start = try #require(WallTime(rfc3339: "2025-06-01T00:00:00Z")).microseconds
        // Expected counts, keyed by (unit id, counter id, clerk, local day, local hour).
        struct Key: Hashable { var unit: Int64, counter: Int64, clerk: String, day: Int64, hour: Int64 }
        var expected: [Key: TallyCounts] = [:]
        for board in boards {
            var events: [WireEvent] = []
            for seq in Int64(1)...300 {
                let at = start + Int64(random.below(400 * 86_400)) * 1_000_000
                let clerk = ["NV01", "NV02", "NV03", ""][Int(random.below(4))]
                let time = WallTime(microseconds: at).rfc3339
                let local = at / 1_000_000 + (offsets[board.unit] ?? 0)
                let key = Key(unit: board.unitId, counter: board.counterId, clerk: clerk, day: local / 86_400, hour: local / 3600)
                if seq % 4 == 0, !clerk.isEmpty {
                    let rated = random.below(2) == 0
                    events.append(session(seq, time, rated ? .rated : .unrated, dossier: "D\(seq)", clerk: clerk))
                    expected[key, default: TallyCounts()].close(rated: rated)
                } else {
                    let level = 1 + Int(random.below(UInt64(board.scale == .happy4 ? 4 : 3)))
                    events.append(rating(seq, time, level: level, clerk: clerk.isEmpty ? nil : clerk))
                    expected[key, default: TallyCounts()].rate(level)
                }
            }
            // Batches of 1 to 60 events, each sent twice (a lost acknowledgement).
            var seq = 0
            while seq < events.count {
                let size = 1 + Int(random.below(60))
                let slice = Array(events[seq..<min(events.count, seq + size)])
                _ = try await ingest(store, board, slice)
                _ = try await ingest(store, board, slice)
                seq += size
            }
        }
        let first = CivilDate.toDays(year: 2025, month: 6, day: 1)
        var ranges: [(Int64, Int64)] = [(first - 10, first + 420), (first, first), (first + 399, first + 500)]
        for _ in 0..<25 {
            let from = first - 5 + Int64(random.below(420))
            ranges.append((from, from + Int64(random.below(120))))
        }
        let unitIds = boards.map(\.unitId)
        for (from, to) in ranges {
            for group in [RunningGroup.unit, .counter, .clerk] {
                var want: [String: TallyCounts] = [:]
                for (key, counts) in expected where (from...to).contains(key.day) {
                    let name = group == .unit ? String(key.unit) : group == .counter ? String(key.counter) : key.clerk
                    want[name, default: TallyCounts()] += counts
                }
                var got: [String: TallyCounts] = [:]
                for row in try await store.rangeCounts(unitIds: unitIds, fromDay: from, toDay: to, groupBy: group) where !row.counts.isZero {
                    got[row.group, default: TallyCounts()] += row.counts
                }
                #expect(got == want.filter { !$0.value.isZero }, "\(group) \(from)...\(to)")
            }
            // The units' own totals at a day are everything up to it.
            let days = [from, to]
            var totals: [Int64: TallyCounts] = [:]
            for row in try await store.unitTotals(unitIds: unitIds, atDays: days) { totals[row.position, default: TallyCounts()] += row.counts }
            for day in days {
                let want = expected.filter { $0.key.day <= day }.values.reduce(TallyCounts(), +)
                #expect((totals[day] ?? TallyCounts()) == want, "total at \(day)")
            }
        }
        // Hours of one unit over a month.
        let vn = boards[0].unitId
        let fromHour = (first + 30) * 24, toHour = (first + 60) * 24 + 23
        var hours: [Int64: TallyCounts] = [:]
        for row in try await store.hourCounts(unitIds: [vn], fromHour: fromHour, toHour: toHour) { hours[row.position, default: TallyCounts()] += row.counts }
        var wantHours: [Int64: TallyCounts] = [:]
        for (key, counts) in expected where key.unit == vn && (fromHour...toHour).contains(key.hour) { wantHours[key.hour, default: TallyCounts()] += counts }
        #expect(hours == wantHours.filter { !$0.value.isZero })
        #expect(!hours.isEmpty)
    }

    @Test(arguments: StoreKind.available) func countsTheBoardDisagreesWithRaiseAnAlertUntilTheyAgree(kind: StoreKind) async throws {
        let store = try await kind.make()
        let board = try await enrolledBoard(store)
        let events = [rating(1, "2026-11-23T02:00:00Z", level: 3, clerk: "NV01"), rating(2, "2026-11-23T03:00:00Z", level: 3, clerk: "NV01")]
        let wrong = [DailyCount(day: "2026-11-23", clerk: "NV01", level: 3, count: 3)]
        #expect(try await ingest(store, board, events, aggregates: wrong) == .stored(acknowledgedSeq: 2, newEvents: 2, mismatches: 1))
        let alerts = try await store.alerts(units: ["hcm"])
        #expect(alerts.count == 1 && alerts.first?.kind == "countMismatch" && alerts.first?.board == board.id)
        #expect(alerts.first?.message.contains("thiết bị/board 3, máy chủ/server 2") == true)
        let alert = try #require(alerts.first)
        #expect(try await store.acknowledgeAlert(id: alert.id, units: ["other"], by: "x", comment: "", now: Self.received) == false)
        #expect(try await store.acknowledgeAlert(id: alert.id, units: ["hcm"], by: "lan", comment: "Đã kiểm tra", now: Self.received))
        #expect(try await store.acknowledgeAlert(id: alert.id, units: ["hcm"], by: "minh", comment: "again", now: Self.received) == false)
        #expect(try await store.alerts(units: ["hcm"]).first?.acknowledgedBy == "lan")
        let right = [DailyCount(day: "2026-11-23", clerk: "NV01", level: 3, count: 2)]
        #expect(try await ingest(store, board, [], aggregates: right, from: 3) == .stored(acknowledgedSeq: 2, newEvents: 0, mismatches: 0))
        #expect(try await store.alerts(units: ["hcm"]).isEmpty)
    }

    @Test(arguments: StoreKind.available) func accountsTokensAndWebSessions(kind: StoreKind) async throws {
        let store = try await kind.make()
        _ = try await store.createUnit(NewUnit(code: "root", name: "Root"))
        let admin = try await store.createAccount(username: "Lan", passwordHash: "h1", role: .admin, unit: nil)
        let manager = try await store.createAccount(username: "minh", passwordHash: "h2", role: .manager, unit: "root")
        await #expect(throws: StoreError.conflict("account Lan exists already (usernames ignore case)")) {
            _ = try await store.createAccount(username: "LAN", passwordHash: "h3", role: .admin, unit: nil)
        }
        await #expect(throws: StoreError.notFound("unit nowhere")) {
            _ = try await store.createAccount(username: "x", passwordHash: "h", role: .manager, unit: "nowhere")
        }
        #expect(try await store.account(username: "lan")?.0 == admin)
        #expect(try await store.account(username: "lan")?.1 == "h1")
        #expect(try await store.account(username: "nobody") == nil)
        try await store.addAPIToken(hash: "tok", accountId: manager.id, now: Self.received)
        // The same token hash twice is a conflict, not a server error.
        await #expect(throws: StoreError.self) { try await store.addAPIToken(hash: "tok", accountId: admin.id, now: Self.received) }
        #expect(try await store.account(tokenHash: "tok") == manager)
        #expect(try await store.account(tokenHash: "other") == nil)
        let now = Self.received
        try await store.createWebSession(idHash: "s1", accountId: manager.id, csrf: "c1", now: now, expiredBefore: WallTime(microseconds: now.microseconds - 3_600_000_000))
        let session = try #require(try await store.webSession(idHash: "s1"))
        #expect(session.account == manager && session.csrf == "c1" && session.createdAt == now)
        try await store.touchWebSession(idHash: "s1", now: now + .seconds(60))
        #expect(try await store.webSession(idHash: "s1")?.lastSeenAt == now + .seconds(60))
        // A new session sweeps those idle since before its cut-off.
        try await store.createWebSession(idHash: "s2", accountId: admin.id, csrf: "c2", now: now + .seconds(7200), expiredBefore: now + .seconds(3600))
        #expect(try await store.webSession(idHash: "s1") == nil)
        try await store.deleteWebSession(idHash: "s2")
        #expect(try await store.webSession(idHash: "s2") == nil)
    }

    @Test(arguments: StoreKind.available) func twoRootsAtOnceMakeOne(kind: StoreKind) async throws {
        let store = try await kind.make()
        let made = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<6 { group.addTask { (try? await store.createUnit(NewUnit(code: "root\(index)", name: "Root"))) != nil } }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(made.filter { $0 }.count == 1)
        #expect(try await store.units().count == 1)
    }
}
