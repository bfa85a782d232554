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
        try SQLiteStore.migrator.migrate(queue)
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
                    "rollup_day_unit", "rollup_hour_unit", "rollup_month_clerk", "rollup_month_counter", "rollup_month_unit",
                    "rollup_year_clerk", "rollup_year_counter", "rollup_year_unit",
                ])
        }
    }

    /// Rollups have columns for levels 1–5: a scale with more levels needs a migration first
    /// (ingest would otherwise leave its top levels out of the reports).
    @Test func everyScaleFitsTheRollupLevelColumns() {
        for scale in Scale.allCases { #expect(scale.levels.allSatisfy { (1...5).contains($0) }, "\(scale)") }
    }
}
