import GRDB
import HailongDomain

extension SQLiteStore {
    /// Registered by name, never edited once shipped; a schema change is a new migration.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE units (
                        id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
                        parent_id INTEGER REFERENCES units(id), time_zone TEXT NOT NULL);
                    CREATE TABLE counters (
                        id INTEGER PRIMARY KEY, unit_id INTEGER NOT NULL REFERENCES units(id), name TEXT NOT NULL,
                        UNIQUE(unit_id, name));
                    CREATE TABLE clerks (
                        code TEXT PRIMARY KEY, name TEXT NOT NULL, unit_id INTEGER NOT NULL REFERENCES units(id));
                    CREATE TABLE boards (
                        id TEXT PRIMARY KEY, unit_id INTEGER NOT NULL REFERENCES units(id),
                        counter_id INTEGER NOT NULL REFERENCES counters(id), scale TEXT NOT NULL,
                        code_hash TEXT UNIQUE, code_expires_us INTEGER, token_hash TEXT UNIQUE, enrolled_us INTEGER,
                        revoked BOOLEAN NOT NULL DEFAULT 0, last_seq INTEGER NOT NULL DEFAULT 0,
                        last_seen_us INTEGER, version TEXT, backlog INTEGER, faults TEXT, clock_synced BOOLEAN, uptime_s INTEGER);
                    CREATE TABLE events (
                        board_id TEXT NOT NULL REFERENCES boards(id), seq INTEGER NOT NULL, kind TEXT NOT NULL,
                        at_us INTEGER NOT NULL, filed_us INTEGER NOT NULL, by_arrival BOOLEAN NOT NULL,
                        level INTEGER, binding TEXT, dossier TEXT, clerk TEXT, outcome TEXT, reason TEXT,
                        monotonic_ns INTEGER, boot_id TEXT, clock_synced BOOLEAN, received_us INTEGER NOT NULL,
                        PRIMARY KEY (board_id, seq)) WITHOUT ROWID;
                    CREATE INDEX events_dossier ON events(dossier) WHERE dossier IS NOT NULL;
                    CREATE TABLE board_daily (
                        board_id TEXT NOT NULL, day TEXT NOT NULL, clerk TEXT NOT NULL, level INTEGER NOT NULL,
                        count INTEGER NOT NULL, PRIMARY KEY (board_id, day, clerk, level)) WITHOUT ROWID;
                    CREATE TABLE alerts (
                        id INTEGER PRIMARY KEY, kind TEXT NOT NULL, board_id TEXT, unit_id INTEGER NOT NULL,
                        subject TEXT NOT NULL, message TEXT NOT NULL, at_us INTEGER NOT NULL,
                        UNIQUE(kind, board_id, subject));
                    CREATE TABLE accounts (
                        id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL,
                        role TEXT NOT NULL, unit_id INTEGER REFERENCES units(id));
                    CREATE TABLE api_tokens (
                        hash TEXT PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts(id), created_us INTEGER NOT NULL);
                    """)
            // Rollups: hour buckets are UTC hours; day and month buckets are the local calendar of the
            // row's unit. level 0 rows carry session outcomes (rated/unrated), level > 0 ratings.
            for grain in ["hour", "day", "month"] {
                try db.execute(
                    sql: """
                        CREATE TABLE rollup_\(grain) (
                            bucket INTEGER NOT NULL, unit_id INTEGER NOT NULL, counter_id INTEGER NOT NULL,
                            clerk TEXT NOT NULL, scale TEXT NOT NULL, level INTEGER NOT NULL,
                            ratings INTEGER NOT NULL DEFAULT 0, rated INTEGER NOT NULL DEFAULT 0, unrated INTEGER NOT NULL DEFAULT 0,
                            PRIMARY KEY (bucket, counter_id, clerk, scale, level)) WITHOUT ROWID;
                        CREATE INDEX rollup_\(grain)_unit ON rollup_\(grain)(unit_id, bucket, clerk, scale, level, ratings, rated, unrated);
                        """)
            }
        }
        // Month rows are few (boards × months × clerks × levels): a report grouped by clerk or
        // counter scans them in group order instead of sorting them (no temp B-tree).
        migrator.registerMigration("v2-month-group-indexes") { db in
            try db.execute(
                sql: """
                    CREATE INDEX rollup_month_clerk ON rollup_month(clerk, unit_id, scale, level, bucket, ratings, rated, unrated);
                    CREATE INDEX rollup_month_counter ON rollup_month(counter_id, unit_id, scale, level, bucket, ratings, rated, unrated);
                    """)
        }
        // Whole local years: a year's report for a city reads boards × clerks × levels rows.
        migrator.registerMigration("v3-year-rollup") { db in
            try db.execute(
                sql: """
                    CREATE TABLE rollup_year (
                        bucket INTEGER NOT NULL, unit_id INTEGER NOT NULL, counter_id INTEGER NOT NULL,
                        clerk TEXT NOT NULL, scale TEXT NOT NULL, level INTEGER NOT NULL,
                        ratings INTEGER NOT NULL DEFAULT 0, rated INTEGER NOT NULL DEFAULT 0, unrated INTEGER NOT NULL DEFAULT 0,
                        PRIMARY KEY (bucket, counter_id, clerk, scale, level)) WITHOUT ROWID;
                    CREATE INDEX rollup_year_unit ON rollup_year(unit_id, bucket, clerk, scale, level, ratings, rated, unrated);
                    CREATE INDEX rollup_year_clerk ON rollup_year(clerk, unit_id, scale, level, bucket, ratings, rated, unrated);
                    CREATE INDEX rollup_year_counter ON rollup_year(counter_id, unit_id, scale, level, bucket, ratings, rated, unrated);
                    INSERT INTO rollup_year(bucket, unit_id, counter_id, clerk, scale, level, ratings, rated, unrated)
                        SELECT bucket / 12, unit_id, counter_id, clerk, scale, level, sum(ratings), sum(rated), sum(unrated)
                        FROM rollup_month GROUP BY bucket / 12, counter_id, clerk, scale, level;
                    """)
        }
        // One row per (bucket, counter, clerk, scale) with a column per level, instead of a row per
        // level: a report reads a third to a quarter of the rows (vn3: three levels and the
        // sessions), and ingest upserts one row per series instead of four.
        migrator.registerMigration("v4-rollup-levels-as-columns") { db in
            let levels = (1...5).map { "level\($0)" }
            for grain in ["hour", "day", "month", "year"] {
                let indexed = "bucket, clerk, scale, " + levels.joined(separator: ", ") + ", rated, unrated"
                let grouped = "unit_id, scale, bucket, " + levels.joined(separator: ", ") + ", rated, unrated"
                try db.execute(
                    sql: """
                        CREATE TABLE rollup_\(grain)_wide (
                            bucket INTEGER NOT NULL, unit_id INTEGER NOT NULL, counter_id INTEGER NOT NULL,
                            clerk TEXT NOT NULL, scale TEXT NOT NULL,
                            \(levels.map { "\($0) INTEGER NOT NULL DEFAULT 0" }.joined(separator: ", ")),
                            rated INTEGER NOT NULL DEFAULT 0, unrated INTEGER NOT NULL DEFAULT 0,
                            PRIMARY KEY (bucket, counter_id, clerk, scale)) WITHOUT ROWID;
                        INSERT INTO rollup_\(grain)_wide(bucket, unit_id, counter_id, clerk, scale, \(levels.joined(separator: ", ")), rated, unrated)
                            SELECT bucket, unit_id, counter_id, clerk, scale,
                                \((1...5).map { "sum(CASE WHEN level = \($0) THEN ratings ELSE 0 END)" }.joined(separator: ", ")),
                                sum(rated), sum(unrated)
                            FROM rollup_\(grain) GROUP BY bucket, counter_id, clerk, scale, unit_id;
                        DROP TABLE rollup_\(grain);
                        ALTER TABLE rollup_\(grain)_wide RENAME TO rollup_\(grain);
                        CREATE INDEX rollup_\(grain)_unit ON rollup_\(grain)(unit_id, \(indexed));
                        """)
                if grain == "month" || grain == "year" {
                    try db.execute(
                        sql: """
                            CREATE INDEX rollup_\(grain)_clerk ON rollup_\(grain)(clerk, \(grouped));
                            CREATE INDEX rollup_\(grain)_counter ON rollup_\(grain)(counter_id, \(grouped));
                            """)
                }
            }
        }
        // Week buckets (local Monday–Sunday): a range's edge days are read as a few weeks instead
        // of up to ~30 day buckets. Filled from the day rollups once.
        migrator.registerMigration("v5-week-rollup") { db in
            let levels = (1...5).map { "level\($0)" }.joined(separator: ", ")
            // The week is floor((day + 3) / 7); SQLite's `/` truncates toward zero, so the
            // remainder is taken down first (days before 1969-12-29 have a negative one).
            try db.execute(
                sql: """
                    CREATE TABLE rollup_week (
                        bucket INTEGER NOT NULL, unit_id INTEGER NOT NULL, counter_id INTEGER NOT NULL,
                        clerk TEXT NOT NULL, scale TEXT NOT NULL,
                        \((1...5).map { "level\($0) INTEGER NOT NULL DEFAULT 0" }.joined(separator: ", ")),
                        rated INTEGER NOT NULL DEFAULT 0, unrated INTEGER NOT NULL DEFAULT 0,
                        PRIMARY KEY (bucket, counter_id, clerk, scale)) WITHOUT ROWID;
                    INSERT INTO rollup_week(bucket, unit_id, counter_id, clerk, scale, \(levels), rated, unrated)
                        SELECT (bucket + 3 - ((bucket + 3) % 7 + 7) % 7) / 7 AS week, unit_id, counter_id, clerk, scale,
                            \((1...5).map { "sum(level\($0))" }.joined(separator: ", ")), sum(rated), sum(unrated)
                        FROM rollup_day GROUP BY week, counter_id, clerk, scale, unit_id;
                    CREATE INDEX rollup_week_unit ON rollup_week(unit_id, bucket, clerk, scale, \(levels), rated, unrated);
                    """)
        }
        // Usernames ignore case (`root` and `ROOT` are one account): a folded key, unique. Where
        // an older database holds names that now collide, the later account is renamed
        // `NAME~ID` (and logged by the caller's migration log) rather than lost.
        migrator.registerMigration("v6-username-case") { db in
            try db.execute(sql: "ALTER TABLE accounts ADD COLUMN username_key TEXT")
            var seen = Set<String>()
            for row in try Row.fetchAll(db, sql: "SELECT id, username FROM accounts ORDER BY id") {
                let id: Int64 = row["id"]
                var name: String = row["username"]
                var key = Text.caseFolded(name)
                if seen.contains(key) {
                    name += "~\(id)"
                    key = Text.caseFolded(name)
                }
                seen.insert(key)
                try db.execute(sql: "UPDATE accounts SET username = ?, username_key = ? WHERE id = ?", arguments: [name, key, id])
            }
            try db.execute(sql: "CREATE UNIQUE INDEX accounts_username_key ON accounts(username_key)")
        }
        // Reports read running totals (issue 14, `SQLiteStore+RunningTotals`): any range costs two
        // look-ups per series. The hour dimension reads the units' hours. The per-series hour,
        // week, month and year rollups had no reader left and go; the day rollup stays, the
        // source the running totals are built from.
        migrator.registerMigration("v7-running-totals") { db in
            let counts = ["level1", "level2", "level3", "level4", "level5", "rated", "unrated"]
            let columns = counts.map { "\($0) INTEGER NOT NULL DEFAULT 0" }.joined(separator: ", ")
            try db.execute(
                sql: """
                    CREATE TABLE report_series (
                        id INTEGER PRIMARY KEY, kind INTEGER NOT NULL, unit_id INTEGER NOT NULL, counter_id INTEGER NOT NULL,
                        clerk TEXT NOT NULL, scale TEXT NOT NULL, first_day INTEGER NOT NULL,
                        UNIQUE (unit_id, counter_id, clerk, scale));
                    CREATE TABLE running_day (
                        kind INTEGER NOT NULL, unit_id INTEGER NOT NULL, day INTEGER NOT NULL, series_id INTEGER NOT NULL,
                        counter_id INTEGER NOT NULL, clerk TEXT NOT NULL, scale TEXT NOT NULL, \(columns),
                        PRIMARY KEY (kind, unit_id, day, series_id)) WITHOUT ROWID;
                    CREATE TABLE running_horizon (id INTEGER PRIMARY KEY CHECK (id = 1), day INTEGER NOT NULL);
                    CREATE TABLE rollup_unit_hour (
                        unit_id INTEGER NOT NULL, bucket INTEGER NOT NULL, scale TEXT NOT NULL, \(columns),
                        PRIMARY KEY (unit_id, bucket, scale)) WITHOUT ROWID;
                    """)
            // The units' hours are local hours (the hour dimension reads them as each unit lives
            // them); the old rollup's UTC hours move by the unit's offset at that hour (exact in
            // whole-hour zones; in a half-hour zone a UTC hour lands on the local hour it starts in).
            let zones = ZoneOffsets()
            let insert = try db.makeStatement(
                sql: """
                    INSERT INTO rollup_unit_hour(unit_id, bucket, scale, \(counts.joined(separator: ", "))) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(unit_id, bucket, scale) DO UPDATE SET
                        \(counts.map { "\($0) = \($0) + excluded.\($0)" }.joined(separator: ", "))
                    """)
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT h.unit_id, h.bucket, h.scale, u.time_zone, \(counts.map { "sum(h.\($0))" }.joined(separator: ", "))
                    FROM rollup_hour h JOIN units u ON u.id = h.unit_id GROUP BY h.unit_id, h.bucket, h.scale
                    """)
            while let row = try rows.next() {
                let utcHour: Int64 = row[1]
                let zone: String = row[3]
                let hour = floorDiv(utcHour * 3600 + zones.offset(zone, atSecond: utcHour * 3600), 3600)
                var arguments: StatementArguments = [row[0] as Int64, hour, row[2] as String]
                arguments += StatementArguments((4..<11).map { row[$0] as Int64 })
                try insert.execute(arguments: arguments)
            }
            try db.execute(
                sql: """
                    DROP TABLE rollup_hour;
                    DROP TABLE rollup_week;
                    DROP TABLE rollup_month;
                    DROP TABLE rollup_year;
                    """)
            try SQLiteStore.rebuildRunningTotals(db)
        }
        // The dashboard (issue 13): web sessions live in the database so that replicas share
        // them (only the cookie's SHA-256 is kept), and an alert records who acknowledged it.
        migrator.registerMigration("v8-web-sessions-alert-acks") { db in
            try db.execute(
                sql: """
                    CREATE TABLE web_sessions (
                        id_hash TEXT PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts(id),
                        csrf TEXT NOT NULL, created_us INTEGER NOT NULL, last_seen_us INTEGER NOT NULL) WITHOUT ROWID;
                    CREATE INDEX web_sessions_last_seen ON web_sessions(last_seen_us);
                    ALTER TABLE alerts ADD COLUMN acknowledged_by TEXT;
                    ALTER TABLE alerts ADD COLUMN acknowledged_us INTEGER;
                    ALTER TABLE alerts ADD COLUMN ack_comment TEXT;
                    """)
        }
        // Reports keep what they know of the series in memory (`ReportCatalog`, issue 14); this
        // version moves in the same transaction as any change to what it holds, whoever writes.
        migrator.registerMigration("v9-catalog-version") { db in
            try db.execute(
                sql: """
                    CREATE TABLE catalog_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
                    INSERT INTO catalog_version(id, version) VALUES (1, 1);
                    """)
            let bump = "BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END"
            for table in ["units", "counters", "clerks", "report_series"] {
                // A series' first day is not in the catalog (a late event moves it).
                let update = table == "report_series" ? "UPDATE OF kind, unit_id, counter_id, clerk, scale" : "UPDATE"
                for (name, event) in [("insert", "INSERT"), ("update", update), ("delete", "DELETE")] {
                    try db.execute(sql: "CREATE TRIGGER \(table)_catalog_\(name) AFTER \(event) ON \(table) \(bump)")
                }
            }
        }
        // Failed logins live in the database, so that replicas throttle them together (a
        // guesser sent round-robin to two replicas got twice the tries when each counted its own).
        migrator.registerMigration("v10-login-failures") { db in
            try db.execute(
                sql: """
                    CREATE TABLE login_failures (key TEXT NOT NULL, at_us INTEGER NOT NULL);
                    CREATE INDEX login_failures_key ON login_failures(key, at_us);
                    CREATE INDEX login_failures_at ON login_failures(at_us);
                    """)
        }
        return migrator
    }
}
