public import HailongDomain
import PostgresNIO
import Synchronization

/// Ingest on PostgreSQL: the plan applied in one transaction, each list in one statement
/// (events through `jsonb_to_recordset`, rollups and check counts through `unnest` of arrays, in
/// the plan's key order), so a batch of 500 costs about as many round trips as a batch of 1.
///
/// Locks, always in this order: the horizon's advisory lock (shared while adding to running
/// totals; exclusive only to move the horizon, once a day), the board row (`FOR UPDATE`: one
/// board's batches one at a time on every replica), then rows in key order.
extension PostgresStore {
    /// A running-total series as ingest finds it: its id and first day.
    struct KnownSeries: Sendable {
        var id: Int64
        var firstDay: Int64
    }

    struct SeriesKey: Hashable, Sendable, Comparable {
        var unitId: Int64
        var kind: Int64
        var counterId: Int64
        var clerk: String
        var scale: String

        static func < (a: SeriesKey, b: SeriesKey) -> Bool {
            (a.unitId, a.kind, a.counterId, a.clerk, a.scale) < (b.unitId, b.kind, b.counterId, b.clerk, b.scale)
        }
    }

    public func ingest(board: BoardInfo, batch: IngestBatch, events: [CheckedEvent], receivedAt: WallTime) async throws -> IngestOutcome {
        let zones = self.zones
        let plan = IngestPlan(batch: batch, events: events, receivedAt: receivedAt) { zones.offset(board.timeZone, atSecond: $0) }
        try await advanceHorizon(plan: plan)
        if let outcome = try await fastIngest(board: board, batch: batch, plan: plan) { return outcome }
        do { return try await ingest(board: board, batch: batch, plan: plan) } catch is HorizonMoved {
            // The horizon seen here was ahead of the database's (a restored backup): ask again,
            // exclusively.
            horizonSeen.withLock { $0 = .min }
            return try await ingest(board: board, batch: batch, plan: plan)
        }
    }

    private func ingest(board: BoardInfo, batch: IngestBatch, plan: IngestPlan) async throws -> IngestOutcome {
        let receivedAt = plan.receivedAt
        let lastDay = plan.filed.map(\.localDay).max()
        // Moving the horizon needs the exclusive lock: asked for when this batch may file past
        // the horizon last seen (it only grows, so a shared lock is enough otherwise).
        let exclusive = lastDay.map { $0 > horizonSeen.withLock { $0 } } ?? false
        let (outcome, learned, horizon) = try await transaction { [self] db -> (IngestOutcome, [SeriesKey: KnownSeries], Int64?) in
            if exclusive {
                try await db.query("SELECT pg_advisory_xact_lock(\(PostgresMigrations.horizonLockKey))", logger: logger)
            } else {
                try await db.query("SELECT pg_advisory_xact_lock_shared(\(PostgresMigrations.horizonLockKey))", logger: logger)
            }
            guard
                let (lastSeq, revoked, horizon) = try await db.query(
                    """
                    SELECT b.last_seq, b.revoked, h.day FROM boards b, running_horizon h
                    WHERE b.id = \(board.id) AND h.id = 1 FOR UPDATE OF b
                    """, logger: logger
                ).decode((Int64, Bool, Int64?).self).first(where: { _ in true })
            else { throw StoreError.notFound("board \(board.id)") }
            let writes: IngestPlan.Writes
            switch plan.decide(lastSeq: lastSeq, revoked: revoked) {
            case .revoked: return (.revoked, [:], horizon)
            case .gap(let acknowledged, let expected): return (.gap(acknowledgedSeq: acknowledged, expectedSeq: expected), [:], horizon)
            case .write(let decided): writes = decided
            }
            var learned: [SeriesKey: KnownSeries] = [:]
            var newHorizon = horizon
            if !writes.fresh.isEmpty {
                try await insertEvents(db, board: board, writes.fresh, receivedAt: receivedAt)
                try await addRollups(db, board: board, writes)
                (learned, newHorizon) = try await addToRunningTotals(db, board: board, days: writes.days, horizon: horizon, exclusive: exclusive)
                try await addDailyCounts(db, board: board, writes.daily)
            }
            let status = writes.status
            try await db.query(
                """
                UPDATE boards SET last_seq = \(writes.acknowledgedSeq), last_seen_us = \(receivedAt.microseconds), version = \(status.version),
                    backlog = \(status.backlog), faults = \(status.faults), clock_synced = \(status.clockSynced), uptime_s = \(status.uptimeS)
                WHERE id = \(board.id)
                """, logger: logger)
            let mismatches = try await compare(db, board: board, days: writes.daysToCompare, aggregates: batch.aggregates, now: receivedAt)
            return (.stored(acknowledgedSeq: writes.acknowledgedSeq, newEvents: writes.fresh.count, mismatches: mismatches), learned, newHorizon)
        }
        // What committed is known from now on: series (their first day only moves back) and the horizon.
        if !learned.isEmpty { knownSeries.withLock { $0.merge(learned) { _, new in new } } }
        if let horizon { horizonSeen.withLock { $0 = max($0, horizon) } }
        switch outcome {
        case .stored(let acknowledged, _, _), .gap(let acknowledged, _): lastSeqSeen.withLock { $0[board.id] = acknowledged }
        case .revoked: break
        }
        return outcome
    }

    /// When a batch files past the horizon last seen (the first batch of each day, on each
    /// replica), the horizon moves first, in a short transaction of its own under the exclusive
    /// lock: every series' row copied to the new days, nothing else. The batch then goes the
    /// usual way under the shared lock. Moving it inside the batch's own transaction held every
    /// other ingest of every replica behind a 500-event insert. A horizon past the last day
    /// anything was filed on (the batch was then refused, say) answers as before: its rows are
    /// copies.
    private func advanceHorizon(plan: IngestPlan) async throws {
        let seen = horizonSeen.withLock { $0 }
        guard seen > .min else { return }  // not known here yet: the full path learns it
        guard let lastDay = plan.filed.map(\.localDay).max(), lastDay > seen else { return }
        let move = horizonMove.withLock { current -> Task<Int64?, any Error> in
            if let current, current.day >= lastDay { return current.task }
            let task = Task { try await self.moveHorizon(to: lastDay) }
            current = (lastDay, task)
            return task
        }
        defer { horizonMove.withLock { if $0?.task == move { $0 = nil } } }
        if let horizon = try await move.value { horizonSeen.withLock { $0 = max($0, horizon) } }
    }

    /// The horizon after moving it to `day` if it was before: looked at first without a lock
    /// (another replica may have moved it), then under the exclusive lock. Nil when nothing was
    /// ever filed (a restored database): the full path sets it.
    private func moveHorizon(to day: Int64) async throws -> Int64? {
        let read = "SELECT day FROM running_horizon WHERE id = 1"
        if let current = try await client.query(PostgresQuery(unsafeSQL: read), logger: logger).decode(Int64?.self).first(where: { _ in true }) ?? nil,
            current >= day
        {
            return current
        }
        return try await transaction { [self] db -> Int64? in
            try await db.query("SELECT pg_advisory_xact_lock(\(PostgresMigrations.horizonLockKey))", logger: logger)
            oneStatementCounts.withLock { $0.horizonLocks += 1 }
            guard let current = try await db.query(PostgresQuery(unsafeSQL: read), logger: logger).decode(Int64?.self).first(where: { _ in true }) ?? nil
            else { return nil }
            guard day > current else { return current }
            try await extend(db, from: current, to: day)
            try await db.query("UPDATE running_horizon SET day = \(day) WHERE id = 1", logger: logger)
            return day
        }
    }

    /// A batch's new events as one array per column, for `unnest` (binary, no JSON on either
    /// side). Empty text and level 0 stand for NULL (no code, name or level is empty or 0);
    /// the monotonic reading, which may be anything, has its own "is set" column.
    struct EventColumns {
        var seq: [Int64] = [], kind: [String] = [], at: [Int64] = [], filed: [Int64] = [], byArrival: [Bool] = []
        var level: [Int64] = [], binding: [String] = [], dossier: [String] = [], clerk: [String] = [], outcome: [String] = []
        var reason: [String] = [], monotonic: [Int64] = [], monotonicSet: [Bool] = [], boot: [String] = [], synced: [Bool] = []

        init(_ fresh: [IngestPlan.Filed]) {
            for item in fresh {
                let event = item.event
                seq.append(event.seq)
                kind.append(event.kind.rawValue)
                at.append(event.at.microseconds)
                filed.append(item.filedAt.microseconds)
                byArrival.append(event.byArrival)
                level.append(Int64(event.level ?? 0))
                binding.append(event.binding?.rawValue ?? "")
                dossier.append(event.dossier?.value ?? "")
                clerk.append(event.clerk?.value ?? "")
                outcome.append(event.outcome?.rawValue ?? "")
                reason.append(event.reason?.rawValue ?? "")
                monotonic.append(event.monotonicNs ?? 0)
                monotonicSet.append(event.monotonicNs != nil)
                boot.append(event.bootId ?? "")
                synced.append(event.clockSynced)
            }
        }

        /// The three flags as one integer per event (migration pg4): 1 filed by arrival, 2 the
        /// monotonic reading set, 4 the clock synced.
        var flags: [Int32] {
            byArrival.indices.map { i in (byArrival[i] ? 1 : 0) | (monotonicSet[i] ? 2 : 0) | (synced[i] ? 4 : 0) }
        }

        /// `filed`, or empty when every event is filed at its own time (pg4 reads a missing one as `at`).
        var filedUnlessOwn: [Int64] { filed == at ? [] : filed }

        /// `reason`, or empty when no event has one.
        var reasonUnlessNone: [String] { reason.allSatisfy(\.isEmpty) ? [] : reason }
    }

    /// One board's new events, in one statement.
    private func insertEvents(_ db: PostgresConnection, board: BoardInfo, _ fresh: [IngestPlan.Filed], receivedAt: WallTime) async throws {
        let e = EventColumns(fresh)
        try await db.query(
            """
            INSERT INTO events(board_id, seq, kind, at_us, filed_us, by_arrival, level, binding, dossier, clerk,
                outcome, reason, monotonic_ns, boot_id, clock_synced, received_us)
            SELECT \(board.id), e.seq, e.kind, e.at, e.filed, e.by, NULLIF(e.level, 0), NULLIF(e.binding, ''), NULLIF(e.dossier, ''),
                NULLIF(e.clerk, ''), NULLIF(e.outcome, ''), NULLIF(e.reason, ''), CASE WHEN e.mono_set THEN e.mono END, NULLIF(e.boot, ''),
                e.synced, \(receivedAt.microseconds)
            FROM unnest(\(e.seq), \(e.kind), \(e.at), \(e.filed), \(e.byArrival), \(e.level), \(e.binding), \(e.dossier), \(e.clerk),
                \(e.outcome), \(e.reason), \(e.monotonic), \(e.monotonicSet), \(e.boot), \(e.synced))
                AS e(seq, kind, at, filed, by, level, binding, dossier, clerk, outcome, reason, mono, mono_set, boot, synced)
            """, logger: logger)
    }

    /// The seven count lanes of a list, as seven arrays for `unnest`.
    private static func lanes(_ counts: [TallyCounts]) -> [[Int64]] {
        (0..<7).map { lane in counts.map { $0.lanes[lane] } }
    }

    private func addRollups(_ db: PostgresConnection, board: BoardInfo, _ writes: IngestPlan.Writes) async throws {
        let set = PostgresMigrations.counts.map { "\($0) = r.\($0) + excluded.\($0)" }.joined(separator: ", ")
        let day = Self.lanes(writes.days.map(\.counts))
        try await db.query(
            """
            INSERT INTO rollup_day AS r(bucket, unit_id, counter_id, clerk, scale, level1, level2, level3, level4, level5, rated, unrated)
            SELECT d.bucket, \(board.unitId), \(board.counterId), d.clerk, \(board.scale.rawValue), d.l1, d.l2, d.l3, d.l4, d.l5, d.rated, d.unrated
            FROM unnest(\(writes.days.map(\.day)), \(writes.days.map(\.clerk)), \(day[0]), \(day[1]), \(day[2]), \(day[3]), \(day[4]), \(day[5]), \(day[6]))
                AS d(bucket, clerk, l1, l2, l3, l4, l5, rated, unrated)
            ON CONFLICT (bucket, counter_id, clerk, scale) DO UPDATE SET \(unescaped: set)
            """, logger: logger)
        let hour = Self.lanes(writes.unitHours.map(\.counts))
        try await db.query(
            """
            INSERT INTO rollup_unit_hour AS r(unit_id, bucket, scale, stripe, level1, level2, level3, level4, level5, rated, unrated)
            SELECT \(board.unitId), h.bucket, \(board.scale.rawValue), \(Self.stripe(board)), h.l1, h.l2, h.l3, h.l4, h.l5, h.rated, h.unrated
            FROM unnest(\(writes.unitHours.map(\.hour)), \(hour[0]), \(hour[1]), \(hour[2]), \(hour[3]), \(hour[4]), \(hour[5]), \(hour[6]))
                AS h(bucket, l1, l2, l3, l4, l5, rated, unrated)
            ON CONFLICT (unit_id, bucket, scale, stripe) DO UPDATE SET \(unescaped: set)
            """, logger: logger)
    }

    private func addDailyCounts(_ db: PostgresConnection, board: BoardInfo, _ daily: [DailyCount]) async throws {
        guard !daily.isEmpty else { return }
        try await db.query(
            """
            INSERT INTO board_daily AS r(board_id, day, clerk, level, count)
            SELECT \(board.id), d.day, d.clerk, d.level, d.count
            FROM unnest(\(daily.map(\.day)), \(daily.map { $0.clerk ?? "" }), \(daily.map { Int64($0.level) }), \(daily.map(\.count)))
                AS d(day, clerk, level, count)
            ON CONFLICT (board_id, day, clerk, level) DO UPDATE SET count = r.count + excluded.count
            """, logger: logger)
    }

    /// Adds the batch's day counts to the running totals of its counter × clerk series and its
    /// unit's own, from each one's first day in the batch to the horizon (moved first when the
    /// batch files past it, under the exclusive lock). Returns the series it made or moved.
    private func addToRunningTotals(
        _ db: PostgresConnection, board: BoardInfo, days: [IngestPlan.DayCounts], horizon known: Int64?, exclusive: Bool
    ) async throws -> ([SeriesKey: KnownSeries], Int64?) {
        guard let lastDay = days.map(\.day).max() else { return ([:], known) }
        var horizon = known ?? lastDay
        if known == nil || lastDay > horizon {
            // Only under the exclusive lock: the caller saw a horizon below this batch's days.
            // Without it (a stale guess), the transaction is retried with it.
            guard exclusive else { throw HorizonMoved() }
            if let known { try await extend(db, from: known, to: lastDay) }
            horizon = lastDay
            try await db.query("UPDATE running_horizon SET day = \(horizon) WHERE id = 1", logger: logger)
        }
        let byKey = Self.seriesDays(board: board, days: days)
        var learned: [SeriesKey: KnownSeries] = [:]
        var seriesIds: [Int64] = [], kinds: [Int64] = [], rowDays: [Int64] = [], added: [TallyCounts] = []
        // Series in key order, and their rows by day: two batches of one unit lock alike.
        for key in byKey.keys.sorted() {
            guard let byDay = byKey[key], let first = byDay.keys.min() else { continue }
            let series = try await series(db, key: key, day: first, horizon: horizon)
            if let series { learned[key] = series }
            guard let id = try series?.id ?? knownSeries.withLock({ $0[key]?.id }) else { continue }
            var running = TallyCounts()
            for day in first...horizon {
                if let counts = byDay[day] { running += counts }
                seriesIds.append(id)
                kinds.append(key.kind)
                rowDays.append(day)
                added.append(running)
            }
        }
        let lanes = Self.lanes(added)
        try await db.query(
            """
            UPDATE running_day r SET level1 = r.level1 + d.l1, level2 = r.level2 + d.l2, level3 = r.level3 + d.l3,
                level4 = r.level4 + d.l4, level5 = r.level5 + d.l5, rated = r.rated + d.rated, unrated = r.unrated + d.unrated
            FROM unnest(\(kinds), \(rowDays), \(seriesIds), \(lanes[0]), \(lanes[1]), \(lanes[2]), \(lanes[3]), \(lanes[4]), \(lanes[5]), \(lanes[6]))
                AS d(kind, day, series_id, l1, l2, l3, l4, l5, rated, unrated)
            WHERE r.kind = d.kind AND r.unit_id = \(board.unitId) AND r.day = d.day AND r.series_id = d.series_id
            """, logger: logger)
        return (learned, horizon)
    }

    /// Stripes of a unit's own rows (its hour rollups and running totals, migration pg4): the
    /// boards of eight counters of one unit write to different rows.
    static let unitStripes: Int64 = 8

    /// The stripe a board's unit rows go to: its counter's.
    static func stripe(_ board: BoardInfo) -> Int32 { Int32(board.counterId % unitStripes) }

    /// A batch's day counts per running-total series: its counter × clerk's and its unit's own
    /// (the stripe of the board's counter; the stripe s series has counter id -s).
    static func seriesDays(board: BoardInfo, days: [IngestPlan.DayCounts]) -> [SeriesKey: [Int64: TallyCounts]] {
        var byKey: [SeriesKey: [Int64: TallyCounts]] = [:]
        let scale = board.scale.rawValue
        for item in days where !item.counts.isZero {
            let own = SeriesKey(unitId: board.unitId, kind: RunningKind.series.rawValue, counterId: board.counterId, clerk: item.clerk, scale: scale)
            let unit = SeriesKey(unitId: board.unitId, kind: RunningKind.unit.rawValue, counterId: -Int64(stripe(board)), clerk: "", scale: scale)
            byKey[own, default: [:]][item.day, default: TallyCounts()] += item.counts
            byKey[unit, default: [:]][item.day, default: TallyCounts()] += item.counts
        }
        return byKey
    }

    /// The series' id, made (with zero rows from `day` to the horizon) if it is new, and given
    /// zero rows back to `day` if that is before its first; nil when the series is known here to
    /// exist from `day` or earlier (nothing to write).
    private func series(_ db: PostgresConnection, key: SeriesKey, day: Int64, horizon: Int64) async throws -> KnownSeries? {
        if let known = knownSeries.withLock({ $0[key] }), known.firstDay <= day { return nil }
        if let id = try await db.query(
            """
            INSERT INTO report_series(kind, unit_id, counter_id, clerk, scale, first_day)
            VALUES (\(key.kind), \(key.unitId), \(key.counterId), \(key.clerk), \(key.scale), \(day))
            ON CONFLICT (unit_id, counter_id, clerk, scale) DO NOTHING RETURNING id
            """, logger: logger
        ).decode(Int64.self).first(where: { _ in true }) {
            try await zeroRows(db, key: key, id: id, from: day, to: horizon)
            return KnownSeries(id: id, firstDay: day)
        }
        guard
            let (id, first) = try await db.query(
                """
                SELECT id, first_day FROM report_series
                WHERE unit_id = \(key.unitId) AND counter_id = \(key.counterId) AND clerk = \(key.clerk) AND scale = \(key.scale) FOR UPDATE
                """, logger: logger
            ).decode((Int64, Int64).self).first(where: { _ in true })
        else { throw StoreError.notFound("running-total series of unit \(key.unitId)") }
        guard day < first else { return KnownSeries(id: id, firstDay: first) }
        try await zeroRows(db, key: key, id: id, from: day, to: first - 1)
        try await db.query("UPDATE report_series SET first_day = \(day) WHERE id = \(id)", logger: logger)
        return KnownSeries(id: id, firstDay: day)
    }

    private func zeroRows(_ db: PostgresConnection, key: SeriesKey, id: Int64, from: Int64, to: Int64) async throws {
        guard from <= to else { return }
        try await db.query(
            """
            INSERT INTO running_day(kind, unit_id, day, series_id, counter_id, clerk, scale)
            SELECT \(key.kind), \(key.unitId), d, \(id), \(key.counterId), \(key.clerk), \(key.scale) FROM generate_series(\(from)::bigint, \(to)::bigint) d
            """, logger: logger)
    }

    /// Copies every series' row at `from` to each day after it up to `to`.
    private func extend(_ db: PostgresConnection, from: Int64, to: Int64) async throws {
        guard to > from else { return }
        try await db.query(
            """
            INSERT INTO running_day(kind, unit_id, day, series_id, counter_id, clerk, scale, level1, level2, level3, level4, level5, rated, unrated)
            SELECT r.kind, r.unit_id, d, r.series_id, r.counter_id, r.clerk, r.scale, r.level1, r.level2, r.level3, r.level4, r.level5, r.rated, r.unrated
            FROM running_day r, generate_series(\(from + 1)::bigint, \(to)::bigint) d WHERE r.day = \(from)
            """, logger: logger)
    }

    /// Each listed day the board's counts disagree with ours raises (or refreshes) one
    /// `countMismatch` alert; a day they agree on again resolves it.
    private func compare(_ db: PostgresConnection, board: BoardInfo, days: [String], aggregates: [DailyCount], now: WallTime) async throws -> Int {
        guard !days.isEmpty else { return 0 }
        var ours: [String: [DailyCount]] = [:]
        for try await (day, clerk, level, count) in try await db.query(
            "SELECT day, clerk, level, count FROM board_daily WHERE board_id = \(board.id) AND day = ANY(\(days))", logger: logger
        ).decode((String, String, Int, Int64).self) {
            ours[day, default: []].append(DailyCount(day: day, clerk: clerk, level: level, count: count))
        }
        var agreed: [String] = []
        var mismatches = 0
        for day in days {
            guard let message = CountCheck.mismatch(board: board.id, day: day, boards: aggregates, ours: ours[day] ?? []) else {
                agreed.append(day)
                continue
            }
            mismatches += 1
            try await db.query(
                """
                INSERT INTO alerts(kind, board_id, unit_id, subject, message, at_us)
                VALUES ('countMismatch', \(board.id), \(board.unitId), \(day), \(message), \(now.microseconds))
                ON CONFLICT (kind, board_id, subject) DO UPDATE SET message = excluded.message, at_us = excluded.at_us
                """, logger: logger)
        }
        if !agreed.isEmpty {
            try await db.query(
                "DELETE FROM alerts WHERE kind = 'countMismatch' AND board_id = \(board.id) AND subject = ANY(\(agreed))", logger: logger)
        }
        return mismatches
    }
}

/// The batch would move the horizon but holds only the shared lock: retried with the exclusive one.
struct HorizonMoved: Error {}
