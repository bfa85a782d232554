import Foundation
import HailongAgent
import HailongDomain
import Testing

/// A clock the test sets by hand.
final class ManualClock: AgentClock, @unchecked Sendable {
    private let lock = NSLock()
    private var mono: Int64 = 1_000_000_000
    private var wallMicros: Int64 = 1_795_000_000_000_000
    var synced = true
    let bootID = "test-boot"

    func monotonic() -> MonotonicInstant { lock.withLock { MonotonicInstant(nanoseconds: mono) } }
    func wall() -> WallTime { lock.withLock { WallTime(microseconds: wallMicros) } }
    func isSynchronized() -> Bool { lock.withLock { synced } }
    func advance(_ duration: Duration) {
        lock.withLock {
            mono += duration.nanoseconds
            wallMicros += duration.nanoseconds / 1000
        }
    }
}

func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "hailong-test-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

@Suite("The durable event log")
struct EventLogTests {
    @Test("events get gap-free sequence numbers, survive reopening, and come back in order")
    func appendAndReopen() throws {
        let dir = try temporaryDirectory()
        let clock = ManualClock()
        let path = dir + "/agent.db"
        do {
            let log = try EventLog(path: path, clock: clock)
            let first = try log.append([EventDraft(kind: .clerkSignin, at: clock.monotonic(), clerk: try ClerkID("Ánh"))])
            #expect(first.map(\.seq) == [1])
            clock.advance(.seconds(1))
            let two = try log.append([
                EventDraft(kind: .rating, at: clock.monotonic(), level: 3, binding: .dossier, dossier: try DossierCode("D-1"), clerk: try ClerkID("Ánh")),
                EventDraft(kind: .session, at: clock.monotonic(), dossier: try DossierCode("D-1"), clerk: try ClerkID("Ánh"), outcome: .rated),
            ])
            #expect(two.map(\.seq) == [2, 3])
        }
        let reopened = try EventLog(path: path, clock: clock)
        let events = try reopened.events(after: 0, limit: 100)
        #expect(events.map(\.seq) == [1, 2, 3])
        #expect(events[1].wire.dossier == "D-1" && events[1].wire.level == 3 && events[1].wire.binding == .dossier)
        #expect(events[1].wire.at == "2026-11-18T11:06:41Z")
        #expect(try reopened.events(after: 2, limit: 100).map(\.seq) == [3])
        #expect(try reopened.summary().lastSeq == 3 && reopened.summary().backlog == 3)
        #expect(try reopened.clerkOnDuty()?.value == "Ánh")
    }

    @Test("the database is in WAL mode with synchronous=FULL")
    func pragmas() throws {
        let dir = try temporaryDirectory()
        let log = try EventLog(path: dir + "/agent.db", clock: ManualClock())
        let settings = try log.durabilitySettings()
        #expect(settings.synchronous == 2 && settings.journalMode == "wal")
        let header = try Data(contentsOf: URL(fileURLWithPath: dir + "/agent.db")).prefix(20)
        // Bytes 18 and 19 of the SQLite header are 2 in WAL mode.
        #expect(header[18] == 2 && header[19] == 2)
    }

    @Test("an unwritable database directory is a clear error")
    func unwritable() throws {
        let dir = try temporaryDirectory()
        #expect {
            _ = try EventLog(path: dir + "/missing/sub/agent.db", clock: ManualClock())
        } throws: { error in
            "\(error)".contains("cannot open or create the database file")
        }
    }

    @Test("a failing write stores nothing of the batch")
    func allOrNothing() throws {
        let dir = try temporaryDirectory()
        let clock = ManualClock()
        let log = try EventLog(path: dir + "/agent.db", clock: clock)
        try log.append([EventDraft(kind: .rating, at: clock.monotonic(), level: 1, binding: .counter)])
        // A trigger (added with the sqlite3 tool) makes the second row of the next batch fail.
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        sqlite.arguments = [
            dir + "/agent.db",
            "CREATE TRIGGER refuse_level_3 BEFORE INSERT ON event WHEN NEW.level = 3 BEGIN SELECT RAISE(ABORT, 'refused'); END;",
        ]
        try sqlite.run()
        sqlite.waitUntilExit()
        #expect(sqlite.terminationStatus == 0)
        #expect(throws: StorageError.self) {
            try log.append([
                EventDraft(kind: .rating, at: clock.monotonic(), level: 2, binding: .counter),
                EventDraft(kind: .rating, at: clock.monotonic(), level: 3, binding: .counter),
            ])
        }
        #expect(try log.events(after: 0, limit: 10).map(\.level) == [1])
        // The next good event takes the next number: no gap.
        #expect(try log.append([EventDraft(kind: .rating, at: clock.monotonic(), level: 2, binding: .counter)]).map(\.seq) == [2])
    }
}
