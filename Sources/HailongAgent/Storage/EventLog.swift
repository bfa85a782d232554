import GRDB
public import HailongDomain
import Logging

/// The board's durable, append-only event log (DESIGN §4): SQLite in WAL mode with
/// `synchronous=FULL`, so an event whose `append` returned survives a power cut or `kill -9`.
///
/// The one type that owns the database writer; every write that keeps an invariant (gap-free
/// sequence, all-or-nothing batches) is one transaction method here.
public final class EventLog: Sendable {
    let writer: DatabasePool
    private let clock: any AgentClock
    public let path: String
    /// Rung after every committed append, so the uplink wakes for a new event instead of polling.
    public let commits = CommitSignal()

    /// Opens (creating if needed) the log at `path` and runs the migrations.
    /// - Throws: `StorageError` saying what is wrong with the path in words a technician can act on.
    public init(path: String, clock: any AgentClock) throws(StorageError) {
        self.path = path
        self.clock = clock
        var config = Configuration()
        config.label = "hailong.eventlog"
        config.busyMode = .timeout(5)
        do {
            writer = try DatabasePool(path: path, configuration: config)
            // DatabasePool switches its writer to synchronous=NORMAL when it enables WAL (after
            // prepareDatabase runs). NORMAL can lose the last commits on power loss; a rating
            // acknowledged to a citizen must not be, so the writer goes back to FULL here.
            try writer.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
            }
            try Self.migrator.migrate(writer)
        } catch {
            throw StorageError.cannotOpen(path: path, reason: Self.explain(error, path: path))
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        // Never edited once shipped; later changes are new migrations.
        migrator.registerMigration("v1-event-log") { db in
            try db.execute(
                sql: """
                    CREATE TABLE event (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        kind TEXT NOT NULL,
                        wall_us INTEGER NOT NULL,
                        mono_ns INTEGER NOT NULL,
                        boot_id TEXT NOT NULL,
                        clock_synced INTEGER NOT NULL,
                        level INTEGER,
                        binding TEXT,
                        dossier TEXT,
                        clerk TEXT,
                        outcome TEXT,
                        reason TEXT,
                        forwarded INTEGER NOT NULL DEFAULT 0
                    );
                    CREATE INDEX event_unforwarded ON event(forwarded, seq);
                    """)
        }
        migrator.registerMigration("v2-uplink") { db in
            // Cumulative rating counts per UTC day, clerk and level, kept by triggers so they
            // survive retention pruning (a DELETE does not touch them) and follow time repair
            // (an UPDATE of wall_us moves the count to the new day). The uplink sends them with a
            // batch that reaches the end of the log, for the server to compare with its own.
            try db.execute(
                sql: """
                    CREATE TABLE rating_count (
                        day TEXT NOT NULL, clerk TEXT NOT NULL, level INTEGER NOT NULL, count INTEGER NOT NULL,
                        PRIMARY KEY (day, clerk, level)) WITHOUT ROWID;
                    INSERT INTO rating_count(day, clerk, level, count)
                        SELECT date(wall_us / 1000000.0, 'unixepoch'), coalesce(clerk, ''), level, count(*)
                        FROM event WHERE kind = 'rating' AND level IS NOT NULL GROUP BY 1, 2, 3;
                    CREATE TRIGGER rating_count_insert AFTER INSERT ON event
                    WHEN NEW.kind = 'rating' AND NEW.level IS NOT NULL BEGIN
                        INSERT INTO rating_count(day, clerk, level, count)
                        VALUES (date(NEW.wall_us / 1000000.0, 'unixepoch'), coalesce(NEW.clerk, ''), NEW.level, 1)
                        ON CONFLICT(day, clerk, level) DO UPDATE SET count = count + 1;
                    END;
                    CREATE TRIGGER rating_count_retime AFTER UPDATE OF wall_us ON event
                    WHEN NEW.kind = 'rating' AND NEW.level IS NOT NULL
                        AND date(OLD.wall_us / 1000000.0, 'unixepoch') <> date(NEW.wall_us / 1000000.0, 'unixepoch') BEGIN
                        UPDATE rating_count SET count = count - 1
                        WHERE day = date(OLD.wall_us / 1000000.0, 'unixepoch') AND clerk = coalesce(OLD.clerk, '') AND level = OLD.level;
                        INSERT INTO rating_count(day, clerk, level, count)
                        VALUES (date(NEW.wall_us / 1000000.0, 'unixepoch'), coalesce(NEW.clerk, ''), NEW.level, 1)
                        ON CONFLICT(day, clerk, level) DO UPDATE SET count = count + 1;
                    END;
                    CREATE INDEX event_forwarded_wall ON event(forwarded, wall_us);
                    CREATE TABLE uplink_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
                    """)
        }
        return migrator
    }

    /// Appends drafts in one transaction and returns them with their sequence numbers.
    /// All or nothing: on error no event of the batch is stored.
    @discardableResult
    public func append(_ drafts: [EventDraft]) throws(StorageError) -> [EventRecord] {
        guard !drafts.isEmpty else { return [] }
        let now = clock.wall()
        let monoNow = clock.monotonic()
        let synced = clock.isSynchronized()
        let bootID = clock.bootID
        do {
            let records = try writer.write { db in
                try drafts.map { draft in
                    // The wall time of the moment it happened, derived from the monotonic stamp.
                    let wall = now + (draft.at - monoNow)
                    var record = EventRecord(
                        seq: nil, kind: draft.kind, wallUs: wall.microseconds, monoNs: draft.at.nanoseconds,
                        bootId: bootID, clockSynced: synced, level: draft.level, binding: draft.binding,
                        dossier: draft.dossier?.value, clerk: draft.clerk?.value, outcome: draft.outcome,
                        reason: draft.reason, forwarded: false)
                    try record.insert(db)
                    return record
                }
            }
            commits.signal()
            return records
        } catch {
            throw StorageError.writeFailed(reason: Self.explain(error, path: path))
        }
    }

    /// Events with seq > `after`, in order, at most `limit`.
    public func events(after: Int64, limit: Int) throws(StorageError) -> [EventRecord] {
        do {
            return try writer.read { db in
                try EventRecord.filter(EventRecord.Columns.seq > after).order(EventRecord.Columns.seq).limit(limit).fetchAll(db)
            }
        } catch {
            throw StorageError.readFailed(reason: Self.explain(error, path: path))
        }
    }

    /// The writer connection's `PRAGMA synchronous` (2 = FULL) and `journal_mode`.
    public func durabilitySettings() throws(StorageError) -> (synchronous: Int, journalMode: String) {
        do {
            return try writer.writeWithoutTransaction { db in
                (try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1, try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "")
            }
        } catch {
            throw StorageError.readFailed(reason: Self.explain(error, path: path))
        }
    }

    /// Figures for the status page.
    public struct Summary: Sendable, Equatable {
        public var lastSeq: Int64
        public var backlog: Int
        public var lastRating: EventRecord?
    }

    public func summary() throws(StorageError) -> Summary {
        do {
            return try writer.read { db in
                // sqlite_sequence keeps the last seq even when retention pruned every event.
                let last = try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'event'") ?? 0
                let backlog = Int(try Self.backlog(db, lastSeq: last))
                let rating = try EventRecord.filter(EventRecord.Columns.kind == EventKind.rating.rawValue)
                    .order(EventRecord.Columns.seq.desc).fetchOne(db)
                return Summary(lastSeq: last, backlog: backlog, lastRating: rating)
            }
        } catch {
            throw StorageError.readFailed(reason: Self.explain(error, path: path))
        }
    }

    /// The clerk signed in when the agent last stopped, so a restart keeps them on duty.
    public func clerkOnDuty() throws(StorageError) -> ClerkID? {
        do {
            let last = try writer.read { db in
                try EventRecord.filter([EventKind.clerkSignin.rawValue, EventKind.clerkSignout.rawValue].contains(EventRecord.Columns.kind))
                    .order(EventRecord.Columns.seq.desc).fetchOne(db)
            }
            guard let last, last.kind == .clerkSignin, let name = last.clerk else { return nil }
            return try? ClerkID(name)
        } catch {
            throw StorageError.readFailed(reason: Self.explain(error, path: path))
        }
    }

    static func explain(_ error: any Error, path: String) -> String {
        if let db = error as? DatabaseError {
            switch db.resultCode {
            case .SQLITE_CANTOPEN:
                return "cannot open or create the database file (does the directory exist and is it writable by this user?)"
            case .SQLITE_READONLY: return "the database or its directory is read-only"
            case .SQLITE_FULL: return "the disk is full"
            case .SQLITE_IOERR: return "I/O error (disk failing or removed?): \(db.message ?? "")"
            case .SQLITE_NOTADB, .SQLITE_CORRUPT: return "the file is not a Hailong database or is corrupt"
            default: return db.message ?? "\(db)"
            }
        }
        return "\(error)"
    }
}

/// A storage failure, worded for the technician.
public enum StorageError: Error, Sendable, CustomStringConvertible, Equatable {
    case cannotOpen(path: String, reason: String)
    case writeFailed(reason: String)
    case readFailed(reason: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason): "database \(path): \(reason)"
        case .writeFailed(let reason): "could not store the event: \(reason)"
        case .readFailed(let reason): "could not read the event log: \(reason)"
        }
    }
}
