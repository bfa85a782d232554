/// What storing a checked batch means, decided here and only applied by a store (issue 15): a
/// store holds SQL and nothing else, and the SQLite and PostgreSQL stores count alike because
/// neither counts.
///
/// Built before the write transaction from the batch, its checked events, the arrival time and the
/// unit's UTC offsets; `decide(lastSeq:revoked:)` is called inside the transaction with the board
/// row it locked. Every list a store writes is in a fixed key order, so two transactions that
/// touch the same rows take their locks in the same order (no deadlock between replicas).
public struct IngestPlan: Sendable {
    /// An event with where it is filed.
    public struct Filed: Sendable, Equatable {
        public var event: CheckedEvent
        /// `at`, or the arrival time when the board could not vouch for `at`.
        public var filedAt: WallTime
        /// Local hour number (local day × 24 + hour of the day) and local day of `filedAt`.
        public var localHour: Int64
        public var localDay: Int64
        /// The UTC day of `at` (the board's own count, `DailyCount.day`).
        public var utcDay: String
    }

    /// A counter × clerk × local day's new counts (clerk "" for ratings bound to the counter).
    public struct DayCounts: Sendable, Equatable {
        public var day: Int64
        public var clerk: String
        public var counts: TallyCounts
    }

    /// A unit's new counts in one local hour.
    public struct HourCounts: Sendable, Equatable {
        public var hour: Int64
        public var counts: TallyCounts
    }

    /// The board's status as the store keeps it.
    public struct Status: Sendable, Equatable {
        public var version: String
        /// Events the board still holds once this batch is stored.
        public var backlog: Int64
        /// One line per fault.
        public var faults: String
        public var clockSynced: Bool
        public var uptimeS: Int64
    }

    /// What the store writes in the transaction that decided it.
    public struct Writes: Sendable, Equatable {
        /// The events not stored yet, in seq order.
        public var fresh: [Filed]
        public var acknowledgedSeq: Int64
        /// By (day, clerk).
        public var days: [DayCounts]
        /// By hour.
        public var unitHours: [HourCounts]
        /// The per-UTC-day counts the board's aggregates are compared with (clerk "" for none),
        /// by (day, clerk, level).
        public var daily: [DailyCount]
        public var status: Status
        /// The UTC days whose counts to compare with the board's (`CountCheck`), in order; empty
        /// when the batch ends before what is stored (a replay of an old batch), where the
        /// board's counts describe less than ours.
        public var daysToCompare: [String]
    }

    public enum Decision: Sendable, Equatable {
        case revoked
        case gap(acknowledgedSeq: Int64, expectedSeq: Int64)
        case write(Writes)
    }

    public let batch: IngestBatch
    public let filed: [Filed]
    public let receivedAt: WallTime

    /// `offset(second)` is the unit's UTC offset in seconds at a UTC second; it is asked once per
    /// UTC hour the batch touches.
    public init(batch: IngestBatch, events: [CheckedEvent], receivedAt: WallTime, offset: (Int64) -> Int64) {
        self.batch = batch
        self.receivedAt = receivedAt
        var offsets: [Int64: Int64] = [:]
        var utcDays: [Int64: String] = [:]
        filed = events.map { event in
            let filedAt = event.byArrival ? receivedAt : event.at
            let second = Self.floorDiv(filedAt.microseconds, 1_000_000)
            let utcHour = Self.floorDiv(second, 3600)
            let zoneOffset: Int64
            if let known = offsets[utcHour] {
                zoneOffset = known
            } else {
                zoneOffset = offset(utcHour * 3600)
                offsets[utcHour] = zoneOffset
            }
            let utcDayNumber = Self.floorDiv(event.at.microseconds, 86_400_000_000)
            let utcDay: String
            if let known = utcDays[utcDayNumber] {
                utcDay = known
            } else {
                utcDay = DailyCount.day(of: event.at)
                utcDays[utcDayNumber] = utcDay
            }
            return Filed(
                event: event, filedAt: filedAt, localHour: Self.floorDiv(second + zoneOffset, 3600),
                localDay: Self.floorDiv(second + zoneOffset, 86_400), utcDay: utcDay)
        }
    }

    /// What to do given the board row as the transaction read it: a revoked board stores nothing,
    /// a batch starting after a hole is refused, and of the rest only seq > `lastSeq` is new
    /// (a replayed or overlapping batch adds nothing twice).
    public func decide(lastSeq: Int64, revoked: Bool) -> Decision {
        if revoked { return .revoked }
        if batch.fromSeq > lastSeq + 1 { return .gap(acknowledgedSeq: lastSeq, expectedSeq: lastSeq + 1) }
        let fresh = filed.filter { $0.event.seq > lastSeq }
        let acknowledged = max(lastSeq, batch.toSeq)
        var fine: [FineKey: TallyCounts] = [:]
        var daily: [DailyKey: Int64] = [:]
        for item in fresh {
            let event = item.event
            let clerk = event.clerk?.value ?? ""
            let key = FineKey(hour: item.localHour, day: item.localDay, clerk: clerk)
            switch event.kind {
            case .rating:
                // A checked batch's ratings have a level of their scale (1...5).
                guard let level = event.level, (1...5).contains(level) else { continue }
                fine[key, default: TallyCounts()].rate(level)
                daily[DailyKey(day: item.utcDay, clerk: clerk, level: level), default: 0] += 1
            case .session:
                fine[key, default: TallyCounts()].close(rated: event.outcome == .rated)
            default:
                continue
            }
        }
        var days: [DayKey: TallyCounts] = [:]
        var hours: [Int64: TallyCounts] = [:]
        for (key, counts) in fine {
            days[DayKey(day: key.day, clerk: key.clerk), default: TallyCounts()] += counts
            hours[key.hour, default: TallyCounts()] += counts
        }
        let status = batch.status
        return .write(
            Writes(
                fresh: fresh, acknowledgedSeq: acknowledged,
                days: days.map { DayCounts(day: $0.key.day, clerk: $0.key.clerk, counts: $0.value) }
                    .sorted { ($0.day, $0.clerk) < ($1.day, $1.clerk) },
                unitHours: hours.map { HourCounts(hour: $0.key, counts: $0.value) }.sorted { $0.hour < $1.hour },
                daily: daily.map { DailyCount(day: $0.key.day, clerk: $0.key.clerk, level: $0.key.level, count: $0.value) }
                    .sorted { ($0.day, $0.clerk ?? "", $0.level) < ($1.day, $1.clerk ?? "", $1.level) },
                status: Status(
                    version: Text.nfc(status.version),
                    // The board counts this batch in its backlog; once stored it is no longer behind.
                    backlog: max(0, status.backlog - Int64(batch.events.count)),
                    faults: status.faults.map(Text.nfc).joined(separator: "\n"), clockSynced: status.clockSynced,
                    uptimeS: status.uptimeS),
                // The board's counts describe its log up to toSeq: comparable only when ours do too.
                daysToCompare: batch.toSeq == acknowledged ? Set(batch.aggregates.map(\.day)).sorted() : []))
    }

    private struct FineKey: Hashable {
        var hour: Int64
        var day: Int64
        var clerk: String
    }

    private struct DayKey: Hashable {
        var day: Int64
        var clerk: String
    }

    private struct DailyKey: Hashable {
        var day: String
        var clerk: String
        var level: Int
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}

/// The comparison behind `countMismatch` alerts: the board's cumulative counts of a UTC day
/// against the server's.
public enum CountCheck {
    /// Nil when they agree; otherwise the alert's text, in Vietnamese with English alongside
    /// (managers read it on the dashboard), naming up to ten differing (clerk, level) pairs.
    public static func mismatch(board: String, day: String, boards: [DailyCount], ours: [DailyCount]) -> String? {
        func table(_ counts: [DailyCount]) -> [Key: Int64] {
            var table: [Key: Int64] = [:]
            for count in counts where count.day == day {
                table[Key(clerk: Text.nfc(count.clerk ?? ""), level: count.level), default: 0] += count.count
            }
            return table
        }
        let theirs = table(boards), mine = table(ours)
        let differing = Set(theirs.keys).union(mine.keys).filter { theirs[$0] ?? 0 != mine[$0] ?? 0 }
        guard !differing.isEmpty else { return nil }
        let detail = differing.sorted { ($0.clerk, $0.level) < ($1.clerk, $1.level) }.prefix(10).map { key in
            "nhân viên/clerk \"\(key.clerk)\" mức/level \(key.level): thiết bị/board \(theirs[key] ?? 0), máy chủ/server \(mine[key] ?? 0)"
        }.joined(separator: "; ")
        return "Thiết bị \(board) lệch số liệu ngày \(day) (UTC) / board \(board) counts differ on \(day) (UTC): \(detail)"
    }

    private struct Key: Hashable {
        var clerk: String
        var level: Int
    }
}
