import Foundation
import GRDB
import HailongDomain
@testable import HailongServer
import Testing

@Suite struct MigrationTests {
    /// An acknowledged seq is a promise the board acts on: the file's writer must fsync every
    /// commit (GRDB's pool switches it to NORMAL when it enables WAL; the store switches it back).
    @Test func fileDatabaseIsWALWithSynchronousFull() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hailong-pragmas-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteStore(path: directory + "/server.db")
        let (synchronous, journal) = try store.writer.writeWithoutTransaction { db in
            (try Int.fetchOne(db, sql: "PRAGMA synchronous"), try String.fetchOne(db, sql: "PRAGMA journal_mode"))
        }
        #expect(synchronous == 2, "2 = FULL")
        #expect(journal == "wal")
    }

    /// A database as v3 left it (a rollup row per level) reads the same counts once the levels
    /// are columns: ratings of each level in its column, sessions in rated/unrated.
    @Test func rollupRowsPerLevelBecomeOneRowWithLevelColumns() throws {
        let queue = try DatabaseQueue()
        try SQLiteStore.migrator.migrate(queue, upTo: "v3-year-rollup")
        try queue.write { db in
            for table in ["rollup_hour", "rollup_day", "rollup_month", "rollup_year"] {
                for (clerk, level, ratings, rated, unrated) in [
                    ("NV01", 3, 5, 0, 0), ("NV01", 2, 2, 0, 0), ("NV01", 0, 0, 4, 1), ("NV02", 5, 7, 0, 0), ("", 1, 1, 0, 0),
                ] {
                    try db.execute(
                        sql: """
                            INSERT INTO \(table)(bucket, unit_id, counter_id, clerk, scale, level, ratings, rated, unrated)
                            VALUES (10, 1, 2, ?, ?, ?, ?, ?, ?)
                            """, arguments: [clerk, clerk == "NV02" ? "vn5" : "vn3", level, ratings, rated, unrated])
                }
            }
        }
        try SQLiteStore.migrator.migrate(queue, upTo: "v6-username-case")
        try queue.read { db in
            for table in ["rollup_hour", "rollup_day", "rollup_month", "rollup_year"] {
                let rows = try Row.fetchAll(
                    db,
                    sql: "SELECT clerk, scale, level1, level2, level3, level4, level5, rated, unrated FROM \(table) WHERE bucket = 10 AND counter_id = 2 AND unit_id = 1 ORDER BY clerk")
                #expect(rows.map { $0[0] as String } == ["", "NV01", "NV02"], "\(table)")
                #expect(rows.map { row in (2...8).map { row[$0] as Int64 } } == [[1, 0, 0, 0, 0, 0, 0], [0, 2, 5, 0, 0, 4, 1], [0, 0, 0, 0, 7, 0, 0]], "\(table)")
                #expect(rows.map { $0[1] as String } == ["vn3", "vn3", "vn5"], "\(table)")
            }
            // The report queries' indexes exist again under their names.
            let indexes = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'rollup_%' ORDER BY name")
            #expect(
                indexes == [
                    "rollup_day_unit", "rollup_hour_unit", "rollup_month_clerk", "rollup_month_counter", "rollup_month_unit", "rollup_week_unit",
                    "rollup_year_clerk", "rollup_year_counter", "rollup_year_unit",
                ])
        }
    }

    /// A v4 database gets week rollups summed from its day rollups (Monday–Sunday weeks,
    /// `week = floor((day + 3) / 7)`), days before 1970 included.
    @Test func weekRollupsAreFilledFromDayRollups() throws {
        let queue = try DatabaseQueue()
        try SQLiteStore.migrator.migrate(queue, upTo: "v4-rollup-levels-as-columns")
        let monday = CivilDate.toDays(year: 2026, month: 3, day: 2)
        let days: [(Int64, String, Int64, Int64)] = [
            (monday, "NV01", 1, 2), (monday + 6, "NV01", 3, 0), (monday + 7, "NV01", 5, 1), (monday + 1, "NV02", 7, 0),
            (-4, "NV01", 11, 0), (-11, "NV01", 13, 0), (-3, "NV01", 17, 0),  // 1969-12-28 (week -1), 12-21 (week -2), 12-29 (week 0)
        ]
        try queue.write { db in
            for (day, clerk, level3, rated) in days {
                try db.execute(
                    sql: "INSERT INTO rollup_day(bucket, unit_id, counter_id, clerk, scale, level3, rated) VALUES (?, 1, 2, ?, 'vn3', ?, ?)",
                    arguments: [day, clerk, level3, rated])
            }
        }
        try SQLiteStore.migrator.migrate(queue, upTo: "v6-username-case")
        let weeks = try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT bucket, clerk, level3, rated FROM rollup_week ORDER BY bucket, clerk").map {
                "\($0[0] as Int64) \($0[1] as String) \($0[2] as Int64) \($0[3] as Int64)"
            }
        }
        let week = weekNumber(ofDay: monday)
        #expect(weeks == ["-2 NV01 13 0", "-1 NV01 11 0", "0 NV01 17 0", "\(week) NV01 4 2", "\(week) NV02 7 0", "\(week + 1) NV01 5 1"])
        #expect(weekNumber(ofDay: -4) == -1 && weekNumber(ofDay: -3) == 0 && weekNumber(ofDay: monday) * 7 - 3 == monday)
    }

    /// A v6 database gets running totals from its day rollups: every series (and each unit's own
    /// total) has a row for every day from its first to the last day anything was filed on, holding
    /// everything up to that day; its UTC hours become the units' local hours; the rollups nothing reads go.
    @Test func runningTotalsAreBuiltFromDayRollups() throws {
        let queue = try DatabaseQueue()
        try SQLiteStore.migrator.migrate(queue, upTo: "v6-username-case")
        let monday = CivilDate.toDays(year: 2026, month: 3, day: 2)
        try queue.write { db in
            // Unit 1: counter 2 (clerks NV01, NV02), counter 3; unit 4: counter 5, on another scale.
            for (day, unit, counter, clerk, scale, level3, rated) in [
                (monday, 1, 2, "NV01", "vn3", 1, 2), (monday + 3, 1, 2, "NV01", "vn3", 3, 0), (monday + 1, 1, 2, "NV02", "vn3", 7, 1),
                (monday + 1, 1, 3, "", "vn3", 5, 0), (monday + 6, 4, 5, "NV09", "vn5", 11, 4),
            ] as [(Int64, Int64, Int64, String, String, Int64, Int64)] {
                try db.execute(
                    sql: "INSERT INTO rollup_day(bucket, unit_id, counter_id, clerk, scale, level3, rated) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    arguments: [day, unit, counter, clerk, scale, level3, rated])
            }
            try db.execute(sql: "INSERT INTO units(id, code, name, parent_id, time_zone) VALUES (1, 'u1', 'U1', NULL, 'Asia/Ho_Chi_Minh')")
            try db.execute(sql: "INSERT INTO rollup_hour(bucket, unit_id, counter_id, clerk, scale, level2) VALUES (?, 1, 2, 'NV01', 'vn3', 2), (?, 1, 3, '', 'vn3', 3), (?, 1, 2, 'NV01', 'vn3', 4)", arguments: [monday * 24 + 1, monday * 24 + 1, monday * 24 + 2])
        }
        try SQLiteStore.migrator.migrate(queue)
        try queue.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT r.kind, r.unit_id, r.counter_id, r.clerk, r.day - ?, r.level3, r.rated FROM running_day r
                    ORDER BY r.kind, r.unit_id, r.counter_id, r.clerk, r.day
                    """, arguments: [monday]
            ).map { row in (0..<7).map { "\(row[$0] as DatabaseValue)" }.joined(separator: " ") }
            #expect(
                rows == [
                    // Unit totals, from each unit's first day to the horizon (monday + 6).
                    "0 1 0 \"\" 0 1 2", "0 1 0 \"\" 1 13 3", "0 1 0 \"\" 2 13 3", "0 1 0 \"\" 3 16 3", "0 1 0 \"\" 4 16 3", "0 1 0 \"\" 5 16 3",
                    "0 1 0 \"\" 6 16 3", "0 4 0 \"\" 6 11 4",
                    "1 1 2 \"NV01\" 0 1 2", "1 1 2 \"NV01\" 1 1 2", "1 1 2 \"NV01\" 2 1 2", "1 1 2 \"NV01\" 3 4 2", "1 1 2 \"NV01\" 4 4 2",
                    "1 1 2 \"NV01\" 5 4 2", "1 1 2 \"NV01\" 6 4 2",
                    "1 1 2 \"NV02\" 1 7 1", "1 1 2 \"NV02\" 2 7 1", "1 1 2 \"NV02\" 3 7 1", "1 1 2 \"NV02\" 4 7 1", "1 1 2 \"NV02\" 5 7 1",
                    "1 1 2 \"NV02\" 6 7 1",
                    "1 1 3 \"\" 1 5 0", "1 1 3 \"\" 2 5 0", "1 1 3 \"\" 3 5 0", "1 1 3 \"\" 4 5 0", "1 1 3 \"\" 5 5 0", "1 1 3 \"\" 6 5 0",
                    "1 4 5 \"NV09\" 6 11 4",
                ])
            #expect(try Int64.fetchOne(db, sql: "SELECT day FROM running_horizon") == monday + 6)
            let hours = try Row.fetchAll(db, sql: "SELECT unit_id, bucket - ?, level2 FROM rollup_unit_hour ORDER BY bucket", arguments: [monday * 24]).map {
                "\($0[0] as Int64) \($0[1] as Int64) \($0[2] as Int64)"
            }
            // 01:00 and 02:00 UTC are 08:00 and 09:00 in Ho Chi Minh City (+07).
            #expect(hours == ["1 8 5", "1 9 4"])
            let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'rollup_%' ORDER BY name")
            #expect(tables == ["rollup_day", "rollup_unit_hour"])
        }
    }

    /// Rollups have columns for levels 1–5: a scale with more levels needs a migration first
    /// (ingest would otherwise leave its top levels out of the reports).
    @Test func everyScaleFitsTheRollupLevelColumns() {
        for scale in Scale.allCases { #expect(scale.levels.allSatisfy { (1...5).contains($0) }, "\(scale)") }
    }
}
