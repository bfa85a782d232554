import GRDB
public import HailongDomain

/// The event log's side of forwarding (DESIGN §4–§6): what is still to send, marking what the
/// server acknowledged, time repair, retention. Each method is one transaction.
extension EventLog {
    /// The next events to forward, read in one snapshot.
    public struct PendingBatch: Sendable {
        /// Unforwarded events from the lowest unforwarded seq, consecutive, in seq order.
        public var events: [EventRecord]
        /// The board's cumulative counts for the days of this batch's ratings, present only when
        /// the batch reaches the end of the log (so they describe exactly the events `≤ toSeq`).
        public var aggregates: [DailyCount]
        /// Unforwarded events in all, this batch included.
        public var backlog: Int64
        /// The last seq ever assigned.
        public var lastSeq: Int64
    }

    /// Reads up to `limit` unforwarded events, oldest first.
    /// - Parameters:
    ///   - limit: the most events to read.
    ///   - alsoDays: further UTC days whose counts to include when the batch reaches the end of
    ///     the log (the days of earlier batches of the same drain).
    public func pendingBatch(limit: Int, alsoDays: Set<String> = []) throws(StorageError) -> PendingBatch {
        do {
            return try writer.read { db in
                var events = try EventRecord.filter(EventRecord.Columns.forwarded == false)
                    .order(EventRecord.Columns.seq).limit(limit).fetchAll(db)
                // Only a consecutive run goes in one batch (the server refuses holes).
                if let first = events.first?.seq,
                    let cut = events.enumerated().first(where: { $0.element.seq != first + Int64($0.offset) })?.offset
                {
                    events.removeSubrange(cut...)
                }
                let lastSeq = try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'event'") ?? 0
                let backlog = try Self.backlog(db, lastSeq: lastSeq)
                var aggregates: [DailyCount] = []
                if let toSeq = events.last?.seq, toSeq == lastSeq {
                    let days = alsoDays.union(events.filter { $0.kind == .rating }.map { DailyCount.day(of: WallTime(microseconds: $0.wallUs)) })
                    // The server takes at most 10,000 counts a batch: the latest days first.
                    for day in days.sorted().suffix(366) {
                        for row in try Row.fetchAll(
                            db, sql: "SELECT clerk, level, count FROM rating_count WHERE day = ? AND count > 0 ORDER BY clerk, level",
                            arguments: [day])
                        {
                            let clerk: String = row[0]
                            aggregates.append(DailyCount(day: day, clerk: clerk.isEmpty ? nil : clerk, level: row[1], count: row[2]))
                        }
                    }
                }
                return PendingBatch(events: events, aggregates: aggregates, backlog: backlog, lastSeq: lastSeq)
            }
        } catch {
            throw StorageError.readFailed(reason: Self.explain(error, path: path))
        }
    }

    /// Unforwarded events: those after the oldest unforwarded one. Forwarded marks always cover a
    /// prefix of the log and retention never deletes an unforwarded event, so this is exact,
    /// and an index seek instead of a count over a backlog that may hold a million events.
    static func backlog(_ db: Database, lastSeq: Int64) throws -> Int64 {
        guard let first = try Int64.fetchOne(db, sql: "SELECT MIN(seq) FROM event WHERE forwarded = 0") else { return 0 }
        return lastSeq - first + 1
    }

    /// Marks every event up to `seq` forwarded (the server acknowledged it) and records the
    /// upload time. Returns how many were newly marked.
    @discardableResult
    public func markForwarded(through seq: Int64, at time: WallTime) throws(StorageError) -> Int {
        do {
            return try writer.write { db in
                try db.execute(sql: "UPDATE event SET forwarded = 1 WHERE forwarded = 0 AND seq <= ?", arguments: [seq])
                let marked = db.changesCount
                try db.execute(
                    sql: "INSERT INTO uplink_state(key, value) VALUES ('last_upload_us', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    arguments: [time.microseconds])
                return marked
            }
        } catch {
            throw StorageError.writeFailed(reason: Self.explain(error, path: path))
        }
    }

    /// The server has less than we thought (its database restored from a backup): events after
    /// `seq` that are still here go out again.
    @discardableResult
    public func unforward(after seq: Int64) throws(StorageError) -> Int {
        do {
            return try writer.write { db in
                try db.execute(sql: "UPDATE event SET forwarded = 0 WHERE forwarded = 1 AND seq > ?", arguments: [seq])
                return db.changesCount
            }
        } catch {
            throw StorageError.writeFailed(reason: Self.explain(error, path: path))
        }
    }

    /// When the last batch was acknowledged, if ever.
    public func lastUpload() throws(StorageError) -> WallTime? {
        do {
            return try writer.read { db in
                try Int64.fetchOne(db, sql: "SELECT value FROM uplink_state WHERE key = 'last_upload_us'").map(WallTime.init(microseconds:))
            }
        } catch {
            throw StorageError.readFailed(reason: Self.explain(error, path: path))
        }
    }

    /// Time repair (DESIGN §5): once the wall clock is synchronized, unforwarded events of this
    /// boot that were stamped by an unsynchronized clock are re-timed from their monotonic
    /// reading. Events of other boots cannot be re-timed: they keep `clock_synced = 0` and the
    /// server files them by arrival time.
    ///
    /// - Parameters:
    ///   - wall: the synchronized wall time now.
    ///   - monotonic: the monotonic reading taken at the same moment.
    ///   - bootID: this boot's id.
    /// - Returns: how many events were re-timed.
    @discardableResult
    public func retime(wall: WallTime, monotonic: MonotonicInstant, bootID: String) throws(StorageError) -> Int {
        do {
            return try writer.write { db in
                try db.execute(
                    sql: """
                        UPDATE event SET wall_us = ? - (? - mono_ns) / 1000, clock_synced = 1
                        WHERE forwarded = 0 AND clock_synced = 0 AND boot_id = ?
                        """,
                    arguments: [wall.microseconds, monotonic.nanoseconds, bootID])
                return db.changesCount
            }
        } catch {
            throw StorageError.writeFailed(reason: Self.explain(error, path: path))
        }
    }

    /// Retention (DESIGN §4): deletes forwarded events recorded before `cutoff`. Unforwarded
    /// events are never deleted, whatever their age. The cumulative counts stay, and so does the
    /// latest clerk sign-in or sign-out: a clerk on duty for longer than `retain_days` is still
    /// on duty after a restart (`clerkOnDuty()` reads it).
    @discardableResult
    public func prune(forwardedBefore cutoff: WallTime) throws(StorageError) -> Int {
        do {
            return try writer.write { db in
                try db.execute(
                    sql: """
                        DELETE FROM event WHERE forwarded = 1 AND wall_us < ?
                          AND seq IS NOT (SELECT max(seq) FROM event WHERE kind IN (?, ?))
                        """,
                    arguments: [cutoff.microseconds, EventKind.clerkSignin.rawValue, EventKind.clerkSignout.rawValue])
                return db.changesCount
            }
        } catch {
            throw StorageError.writeFailed(reason: Self.explain(error, path: path))
        }
    }

    /// How many events are stored (forwarded or not).
    public func count() throws(StorageError) -> Int {
        do {
            return try writer.read { db in try EventRecord.fetchCount(db) }
        } catch {
            throw StorageError.readFailed(reason: Self.explain(error, path: path))
        }
    }
}
