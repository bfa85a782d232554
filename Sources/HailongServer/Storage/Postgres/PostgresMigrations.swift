import Foundation
import Logging
import PostgresNIO

/// The PostgreSQL schema, as named migrations never edited once shipped (like the SQLite ones;
/// a change is a new migration). The tables mirror the SQLite store's, in PostgreSQL's types.
///
/// `hailong-server migrate` (and a server finding an empty database) applies them in one
/// transaction under an advisory lock, so replicas started together do not race; a server finds
/// the database's schema newer than it knows and refuses to serve it.
enum PostgresMigrations {
    /// `pg_advisory_xact_lock` key of migrations: "HAILONG" in ASCII.
    static let lockKey: Int64 = 0x4841_494C_4F4E_47
    /// The running totals' horizon (`PostgresStore+Ingest`).
    static let horizonLockKey: Int64 = lockKey + 1
    /// The class of the login throttle's per-key locks (`pg_advisory_xact_lock(class, hashtext(key))`).
    static let loginLockClass: Int32 = 0x484C

    static let counts = ["level1", "level2", "level3", "level4", "level5", "rated", "unrated"]
    static var countColumns: String { counts.map { "\($0) BIGINT NOT NULL DEFAULT 0" }.joined(separator: ", ") }

    static let all: [(name: String, sql: String)] = [
        (
            "pg1-schema",
            """
            CREATE TABLE units (
                id BIGSERIAL PRIMARY KEY, code TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
                parent_id BIGINT REFERENCES units(id), time_zone TEXT NOT NULL);
            -- One tree: two replicas making a root at once cannot both succeed.
            CREATE UNIQUE INDEX units_one_root ON units ((parent_id IS NULL)) WHERE parent_id IS NULL;
            CREATE TABLE counters (
                id BIGSERIAL PRIMARY KEY, unit_id BIGINT NOT NULL REFERENCES units(id), name TEXT NOT NULL,
                UNIQUE (unit_id, name));
            CREATE TABLE clerks (code TEXT PRIMARY KEY, name TEXT NOT NULL, unit_id BIGINT NOT NULL REFERENCES units(id));
            CREATE TABLE boards (
                id TEXT PRIMARY KEY, unit_id BIGINT NOT NULL REFERENCES units(id),
                counter_id BIGINT NOT NULL REFERENCES counters(id), scale TEXT NOT NULL,
                code_hash TEXT UNIQUE, code_expires_us BIGINT, token_hash TEXT UNIQUE, enrolled_us BIGINT,
                revoked BOOLEAN NOT NULL DEFAULT false, last_seq BIGINT NOT NULL DEFAULT 0,
                last_seen_us BIGINT, version TEXT, backlog BIGINT, faults TEXT, clock_synced BOOLEAN, uptime_s BIGINT);
            CREATE TABLE events (
                board_id TEXT NOT NULL REFERENCES boards(id), seq BIGINT NOT NULL, kind TEXT NOT NULL,
                at_us BIGINT NOT NULL, filed_us BIGINT NOT NULL, by_arrival BOOLEAN NOT NULL,
                level INTEGER, binding TEXT, dossier TEXT, clerk TEXT, outcome TEXT, reason TEXT,
                monotonic_ns BIGINT, boot_id TEXT, clock_synced BOOLEAN, received_us BIGINT NOT NULL,
                PRIMARY KEY (board_id, seq));
            CREATE INDEX events_dossier ON events(dossier) WHERE dossier IS NOT NULL;
            CREATE TABLE board_daily (
                board_id TEXT NOT NULL, day TEXT NOT NULL, clerk TEXT NOT NULL, level INTEGER NOT NULL,
                count BIGINT NOT NULL, PRIMARY KEY (board_id, day, clerk, level));
            CREATE TABLE alerts (
                id BIGSERIAL PRIMARY KEY, kind TEXT NOT NULL, board_id TEXT, unit_id BIGINT NOT NULL,
                subject TEXT NOT NULL, message TEXT NOT NULL, at_us BIGINT NOT NULL,
                acknowledged_by TEXT, acknowledged_us BIGINT, ack_comment TEXT,
                UNIQUE (kind, board_id, subject));
            CREATE TABLE accounts (
                id BIGSERIAL PRIMARY KEY, username TEXT NOT NULL UNIQUE, username_key TEXT NOT NULL UNIQUE,
                password_hash TEXT NOT NULL, role TEXT NOT NULL, unit_id BIGINT REFERENCES units(id));
            CREATE TABLE api_tokens (
                hash TEXT PRIMARY KEY, account_id BIGINT NOT NULL REFERENCES accounts(id), created_us BIGINT NOT NULL);
            CREATE TABLE web_sessions (
                id_hash TEXT PRIMARY KEY, account_id BIGINT NOT NULL REFERENCES accounts(id),
                csrf TEXT NOT NULL, created_us BIGINT NOT NULL, last_seen_us BIGINT NOT NULL);
            CREATE INDEX web_sessions_last_seen ON web_sessions(last_seen_us);
            CREATE TABLE rollup_day (
                bucket BIGINT NOT NULL, unit_id BIGINT NOT NULL, counter_id BIGINT NOT NULL,
                clerk TEXT NOT NULL, scale TEXT NOT NULL, \(countColumns),
                PRIMARY KEY (bucket, counter_id, clerk, scale));
            CREATE TABLE rollup_unit_hour (
                unit_id BIGINT NOT NULL, bucket BIGINT NOT NULL, scale TEXT NOT NULL, \(countColumns),
                PRIMARY KEY (unit_id, bucket, scale));
            CREATE TABLE report_series (
                id BIGSERIAL PRIMARY KEY, kind BIGINT NOT NULL, unit_id BIGINT NOT NULL, counter_id BIGINT NOT NULL,
                clerk TEXT NOT NULL, scale TEXT NOT NULL, first_day BIGINT NOT NULL,
                UNIQUE (unit_id, counter_id, clerk, scale));
            CREATE TABLE running_day (
                kind BIGINT NOT NULL, unit_id BIGINT NOT NULL, day BIGINT NOT NULL, series_id BIGINT NOT NULL,
                counter_id BIGINT NOT NULL, clerk TEXT NOT NULL, scale TEXT NOT NULL, \(countColumns),
                PRIMARY KEY (kind, unit_id, day, series_id));
            -- The last day anything was filed on (NULL: nothing yet). Ingest holds the horizon's
            -- advisory lock shared while it adds to running totals, exclusively while it moves it.
            CREATE TABLE running_horizon (id INTEGER PRIMARY KEY CHECK (id = 1), day BIGINT);
            INSERT INTO running_horizon(id, day) VALUES (1, NULL);
            CREATE TABLE catalog_version (id INTEGER PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL);
            INSERT INTO catalog_version(id, version) VALUES (1, 1);
            CREATE FUNCTION hailong_bump_catalog() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; RETURN NULL; END $$;
            CREATE TRIGGER units_catalog AFTER INSERT OR UPDATE OR DELETE ON units
                FOR EACH STATEMENT EXECUTE FUNCTION hailong_bump_catalog();
            CREATE TRIGGER counters_catalog AFTER INSERT OR UPDATE OR DELETE ON counters
                FOR EACH STATEMENT EXECUTE FUNCTION hailong_bump_catalog();
            CREATE TRIGGER clerks_catalog AFTER INSERT OR UPDATE OR DELETE ON clerks
                FOR EACH STATEMENT EXECUTE FUNCTION hailong_bump_catalog();
            -- A series' first day is not in the catalog (a late event moves it).
            CREATE TRIGGER report_series_catalog AFTER INSERT OR DELETE OR UPDATE OF kind, unit_id, counter_id, clerk, scale
                ON report_series FOR EACH STATEMENT EXECUTE FUNCTION hailong_bump_catalog();
            """
        ),
        // The one-round-trip ingest (`PostgresStore+OneStatement`): a plan's rows in one call.
        (
            "pg2-ingest-function",
            """
            CREATE FUNCTION hailong_ingest(p_board TEXT, p_expected BIGINT, p JSONB, e_seq BIGINT[], e_kind TEXT[], e_at BIGINT[],
                e_filed BIGINT[], e_by BOOLEAN[], e_level BIGINT[], e_binding TEXT[], e_dossier TEXT[], e_clerk TEXT[], e_outcome TEXT[],
                e_reason TEXT[], e_mono BIGINT[], e_mono_set BOOLEAN[], e_boot TEXT[], e_synced BOOLEAN[]) RETURNS JSONB LANGUAGE plpgsql AS $$
            DECLARE
                v_last BIGINT; v_revoked BOOLEAN; v_horizon BIGINT; v_unit BIGINT := (p->>'unit')::BIGINT; v_rows BIGINT;
            BEGIN
                PERFORM pg_advisory_xact_lock_shared(\(horizonLockKey));
                SELECT last_seq, revoked INTO v_last, v_revoked FROM boards WHERE id = p_board FOR UPDATE;
                IF NOT FOUND THEN RETURN jsonb_build_object('outcome', 'missing'); END IF;
                IF v_revoked THEN RETURN jsonb_build_object('outcome', 'revoked'); END IF;
                SELECT day INTO v_horizon FROM running_horizon WHERE id = 1;
                IF v_last <> p_expected OR v_horizon IS DISTINCT FROM (p->>'horizon')::BIGINT THEN
                    RETURN jsonb_build_object('outcome', 'stale', 'lastSeq', v_last);
                END IF;
                INSERT INTO events(board_id, seq, kind, at_us, filed_us, by_arrival, level, binding, dossier, clerk,
                    outcome, reason, monotonic_ns, boot_id, clock_synced, received_us)
                SELECT p_board, e.seq, e.kind, e.at, e.filed, e.by, NULLIF(e.level, 0), NULLIF(e.binding, ''), NULLIF(e.dossier, ''),
                    NULLIF(e.clerk, ''), NULLIF(e.outcome, ''), NULLIF(e.reason, ''), CASE WHEN e.mono_set THEN e.mono END, NULLIF(e.boot, ''),
                    e.synced, (p->>'received')::BIGINT
                FROM unnest(e_seq, e_kind, e_at, e_filed, e_by, e_level, e_binding, e_dossier, e_clerk, e_outcome, e_reason, e_mono, e_mono_set,
                    e_boot, e_synced) AS e(seq, kind, at, filed, by, level, binding, dossier, clerk, outcome, reason, mono, mono_set, boot, synced);
                INSERT INTO rollup_day AS r(bucket, unit_id, counter_id, clerk, scale, level1, level2, level3, level4, level5, rated, unrated)
                SELECT d.bucket, v_unit, (p->>'counter')::BIGINT, d.clerk, p->>'scale',
                    (d.c->>0)::BIGINT, (d.c->>1)::BIGINT, (d.c->>2)::BIGINT, (d.c->>3)::BIGINT, (d.c->>4)::BIGINT, (d.c->>5)::BIGINT, (d.c->>6)::BIGINT
                FROM jsonb_to_recordset(p->'days') AS d(bucket BIGINT, clerk TEXT, c JSONB)
                ON CONFLICT (bucket, counter_id, clerk, scale) DO UPDATE SET level1 = r.level1 + excluded.level1, level2 = r.level2 + excluded.level2,
                    level3 = r.level3 + excluded.level3, level4 = r.level4 + excluded.level4, level5 = r.level5 + excluded.level5,
                    rated = r.rated + excluded.rated, unrated = r.unrated + excluded.unrated;
                INSERT INTO rollup_unit_hour AS r(unit_id, bucket, scale, level1, level2, level3, level4, level5, rated, unrated)
                SELECT v_unit, h.bucket, p->>'scale',
                    (h.c->>0)::BIGINT, (h.c->>1)::BIGINT, (h.c->>2)::BIGINT, (h.c->>3)::BIGINT, (h.c->>4)::BIGINT, (h.c->>5)::BIGINT, (h.c->>6)::BIGINT
                FROM jsonb_to_recordset(p->'hours') AS h(bucket BIGINT, c JSONB)
                ON CONFLICT (unit_id, bucket, scale) DO UPDATE SET level1 = r.level1 + excluded.level1, level2 = r.level2 + excluded.level2,
                    level3 = r.level3 + excluded.level3, level4 = r.level4 + excluded.level4, level5 = r.level5 + excluded.level5,
                    rated = r.rated + excluded.rated, unrated = r.unrated + excluded.unrated;
                UPDATE running_day r SET level1 = r.level1 + (d.c->>0)::BIGINT, level2 = r.level2 + (d.c->>1)::BIGINT,
                    level3 = r.level3 + (d.c->>2)::BIGINT, level4 = r.level4 + (d.c->>3)::BIGINT, level5 = r.level5 + (d.c->>4)::BIGINT,
                    rated = r.rated + (d.c->>5)::BIGINT, unrated = r.unrated + (d.c->>6)::BIGINT
                FROM jsonb_to_recordset(p->'running') AS d(kind BIGINT, day BIGINT, series BIGINT, c JSONB)
                WHERE r.kind = d.kind AND r.unit_id = v_unit AND r.day = d.day AND r.series_id = d.series;
                GET DIAGNOSTICS v_rows = ROW_COUNT;
                IF v_rows <> jsonb_array_length(p->'running') THEN
                    -- A series this replica believed made is not (a restored database): undo, the full path decides.
                    RAISE EXCEPTION 'hailong: running totals out of step (% of % rows)', v_rows, jsonb_array_length(p->'running');
                END IF;
                INSERT INTO board_daily AS r(board_id, day, clerk, level, count)
                SELECT p_board, d.day, d.clerk, d.level, d.count FROM jsonb_to_recordset(p->'daily') AS d(day TEXT, clerk TEXT, level INTEGER, count BIGINT)
                ON CONFLICT (board_id, day, clerk, level) DO UPDATE SET count = r.count + excluded.count;
                UPDATE boards SET last_seq = (p->>'lastSeq')::BIGINT, last_seen_us = (p->>'received')::BIGINT, version = p->>'version',
                    backlog = (p->>'backlog')::BIGINT, faults = p->>'faults', clock_synced = (p->>'clockSynced')::BOOLEAN, uptime_s = (p->>'uptimeS')::BIGINT
                WHERE id = p_board;
                RETURN jsonb_build_object('outcome', 'stored',
                    'ours', (SELECT coalesce(jsonb_agg(jsonb_build_array(day, clerk, level::TEXT, count::TEXT)), '[]'::JSONB)
                             FROM board_daily WHERE board_id = p_board AND day IN (SELECT jsonb_array_elements_text(p->'compare'))),
                    'alerts', EXISTS (SELECT 1 FROM alerts WHERE kind = 'countMismatch' AND board_id = p_board));
            END $$;
            """
        ),
        (
            // The same one-statement ingest with the plan's rows as binary arrays too, and the
            // answer as columns: no JSON to write on the server or to parse in PostgreSQL (the
            // JSON plan was a tenth of the server's CPU per small batch). Counts go seven to a row
            // in one flat array. The JSON function goes: a replica still calling it falls back to
            // the full path.
            "pg3-ingest-arrays",
            """
            DROP FUNCTION hailong_ingest(TEXT, BIGINT, JSONB, BIGINT[], TEXT[], BIGINT[], BIGINT[], BOOLEAN[], BIGINT[], TEXT[], TEXT[],
                TEXT[], TEXT[], TEXT[], BIGINT[], BOOLEAN[], TEXT[], BOOLEAN[]);
            CREATE FUNCTION hailong_ingest2(p_board TEXT, p_expected BIGINT, p_horizon BIGINT, p_unit BIGINT, p_counter BIGINT,
                p_scale TEXT, p_received BIGINT, p_last BIGINT, p_version TEXT, p_backlog BIGINT, p_faults TEXT, p_synced BOOLEAN,
                p_uptime BIGINT, d_bucket BIGINT[], d_clerk TEXT[], d_c BIGINT[], h_bucket BIGINT[], h_c BIGINT[],
                r_kind BIGINT[], r_day BIGINT[], r_series BIGINT[], r_c BIGINT[],
                b_day TEXT[], b_clerk TEXT[], b_level INTEGER[], b_count BIGINT[], p_compare TEXT[],
                e_seq BIGINT[], e_kind TEXT[], e_at BIGINT[], e_filed BIGINT[], e_by BOOLEAN[], e_level BIGINT[], e_binding TEXT[],
                e_dossier TEXT[], e_clerk TEXT[], e_outcome TEXT[], e_reason TEXT[], e_mono BIGINT[], e_mono_set BOOLEAN[],
                e_boot TEXT[], e_synced BOOLEAN[],
                OUT o_outcome TEXT, OUT o_last_seq BIGINT, OUT o_alerts BOOLEAN,
                OUT o_day TEXT[], OUT o_clerk TEXT[], OUT o_level BIGINT[], OUT o_count BIGINT[]) LANGUAGE plpgsql AS $$
            DECLARE
                v_last BIGINT; v_revoked BOOLEAN; v_horizon BIGINT; v_rows BIGINT;
            BEGIN
                PERFORM pg_advisory_xact_lock_shared(\(horizonLockKey));
                SELECT b.last_seq, b.revoked INTO v_last, v_revoked FROM boards b WHERE b.id = p_board FOR UPDATE;
                IF NOT FOUND THEN o_outcome := 'missing'; RETURN; END IF;
                IF v_revoked THEN o_outcome := 'revoked'; RETURN; END IF;
                SELECT h.day INTO v_horizon FROM running_horizon h WHERE h.id = 1;
                IF v_last <> p_expected OR v_horizon IS DISTINCT FROM p_horizon THEN
                    o_outcome := 'stale'; o_last_seq := v_last; RETURN;
                END IF;
                INSERT INTO events(board_id, seq, kind, at_us, filed_us, by_arrival, level, binding, dossier, clerk,
                    outcome, reason, monotonic_ns, boot_id, clock_synced, received_us)
                SELECT p_board, e.seq, e.kind, e.at, e.filed, e.by, NULLIF(e.level, 0), NULLIF(e.binding, ''), NULLIF(e.dossier, ''),
                    NULLIF(e.clerk, ''), NULLIF(e.outcome, ''), NULLIF(e.reason, ''), CASE WHEN e.mono_set THEN e.mono END, NULLIF(e.boot, ''),
                    e.synced, p_received
                FROM unnest(e_seq, e_kind, e_at, e_filed, e_by, e_level, e_binding, e_dossier, e_clerk, e_outcome, e_reason, e_mono, e_mono_set,
                    e_boot, e_synced) AS e(seq, kind, at, filed, by, level, binding, dossier, clerk, outcome, reason, mono, mono_set, boot, synced);
                INSERT INTO rollup_day AS r(bucket, unit_id, counter_id, clerk, scale, level1, level2, level3, level4, level5, rated, unrated)
                SELECT d.bucket, p_unit, p_counter, d.clerk, p_scale, d_c[d.i * 7 - 6], d_c[d.i * 7 - 5], d_c[d.i * 7 - 4], d_c[d.i * 7 - 3],
                    d_c[d.i * 7 - 2], d_c[d.i * 7 - 1], d_c[d.i * 7]
                FROM unnest(d_bucket, d_clerk) WITH ORDINALITY AS d(bucket, clerk, i)
                ON CONFLICT (bucket, counter_id, clerk, scale) DO UPDATE SET level1 = r.level1 + excluded.level1, level2 = r.level2 + excluded.level2,
                    level3 = r.level3 + excluded.level3, level4 = r.level4 + excluded.level4, level5 = r.level5 + excluded.level5,
                    rated = r.rated + excluded.rated, unrated = r.unrated + excluded.unrated;
                INSERT INTO rollup_unit_hour AS r(unit_id, bucket, scale, level1, level2, level3, level4, level5, rated, unrated)
                SELECT p_unit, h.bucket, p_scale, h_c[h.i * 7 - 6], h_c[h.i * 7 - 5], h_c[h.i * 7 - 4], h_c[h.i * 7 - 3], h_c[h.i * 7 - 2],
                    h_c[h.i * 7 - 1], h_c[h.i * 7]
                FROM unnest(h_bucket) WITH ORDINALITY AS h(bucket, i)
                ON CONFLICT (unit_id, bucket, scale) DO UPDATE SET level1 = r.level1 + excluded.level1, level2 = r.level2 + excluded.level2,
                    level3 = r.level3 + excluded.level3, level4 = r.level4 + excluded.level4, level5 = r.level5 + excluded.level5,
                    rated = r.rated + excluded.rated, unrated = r.unrated + excluded.unrated;
                UPDATE running_day r SET level1 = r.level1 + r_c[d.i * 7 - 6], level2 = r.level2 + r_c[d.i * 7 - 5],
                    level3 = r.level3 + r_c[d.i * 7 - 4], level4 = r.level4 + r_c[d.i * 7 - 3], level5 = r.level5 + r_c[d.i * 7 - 2],
                    rated = r.rated + r_c[d.i * 7 - 1], unrated = r.unrated + r_c[d.i * 7]
                FROM unnest(r_kind, r_day, r_series) WITH ORDINALITY AS d(kind, day, series, i)
                WHERE r.kind = d.kind AND r.unit_id = p_unit AND r.day = d.day AND r.series_id = d.series;
                GET DIAGNOSTICS v_rows = ROW_COUNT;
                IF v_rows <> coalesce(cardinality(r_kind), 0) THEN
                    -- A series this replica believed made is not (a restored database): undo, the full path decides.
                    RAISE EXCEPTION 'hailong: running totals out of step (% of % rows)', v_rows, cardinality(r_kind);
                END IF;
                INSERT INTO board_daily AS r(board_id, day, clerk, level, count)
                SELECT p_board, d.day, d.clerk, d.level, d.count FROM unnest(b_day, b_clerk, b_level, b_count) AS d(day, clerk, level, count)
                ON CONFLICT (board_id, day, clerk, level) DO UPDATE SET count = r.count + excluded.count;
                UPDATE boards SET last_seq = p_last, last_seen_us = p_received, version = p_version, backlog = p_backlog, faults = p_faults,
                    clock_synced = p_synced, uptime_s = p_uptime
                WHERE id = p_board;
                SELECT array_agg(c.day ORDER BY c.day, c.clerk, c.level), array_agg(c.clerk ORDER BY c.day, c.clerk, c.level),
                    array_agg(c.level::BIGINT ORDER BY c.day, c.clerk, c.level), array_agg(c.count ORDER BY c.day, c.clerk, c.level)
                INTO o_day, o_clerk, o_level, o_count
                FROM board_daily c WHERE c.board_id = p_board AND c.day = ANY(p_compare);
                o_alerts := EXISTS (SELECT 1 FROM alerts a WHERE a.kind = 'countMismatch' AND a.board_id = p_board);
                o_outcome := 'stored';
                o_last_seq := p_last;
            END $$;
            """
        ),
        (
            // Boards of one unit no longer queue on its rows:
            // - a unit's hour rollups and its own running totals are kept in stripes, the board's
            //   counter id modulo `PostgresStore.unitStripes` (the hour rows' `stripe`; the unit
            //   series of stripe s has counter_id -s, stripe 0 being the series made before);
            //   reports sum the stripes. Eight counters of one unit draining a backlog together
            //   had waited on each other's commits for the same few rows.
            // - the one-statement ingest writes the rows shared with other boards (the counter's
            //   days, the unit's hours and running totals) last, just before the commit, so it
            //   holds their locks for as short a time as it can;
            // - it carries less: the three event flags (by arrival, monotonic reading set, clock
            //   synced) as one integer array, and `filed` and `reason` as empty arrays when every
            //   event's filed time is its own and none has a reason (the usual batch): unnest pads
            //   a shorter array with NULLs.
            // A replica on an older build cannot ingest into this schema (its upserts name the old
            // key): upgrade every replica together, as a newer schema already asks on restart.
            "pg4-unit-stripes",
            """
            ALTER TABLE rollup_unit_hour ADD COLUMN stripe INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE rollup_unit_hour DROP CONSTRAINT rollup_unit_hour_pkey;
            ALTER TABLE rollup_unit_hour ADD PRIMARY KEY (unit_id, bucket, scale, stripe);
            DROP FUNCTION hailong_ingest2;
            CREATE FUNCTION hailong_ingest3(p_board TEXT, p_expected BIGINT, p_horizon BIGINT, p_unit BIGINT, p_counter BIGINT,
                p_stripe INTEGER, p_scale TEXT, p_received BIGINT, p_last BIGINT, p_version TEXT, p_backlog BIGINT, p_faults TEXT, p_synced BOOLEAN,
                p_uptime BIGINT, d_bucket BIGINT[], d_clerk TEXT[], d_c BIGINT[], h_bucket BIGINT[], h_c BIGINT[],
                r_kind BIGINT[], r_day BIGINT[], r_series BIGINT[], r_c BIGINT[],
                b_day TEXT[], b_clerk TEXT[], b_level INTEGER[], b_count BIGINT[], p_compare TEXT[],
                e_seq BIGINT[], e_kind TEXT[], e_at BIGINT[], e_filed BIGINT[], e_flags INTEGER[], e_level BIGINT[], e_binding TEXT[],
                e_dossier TEXT[], e_clerk TEXT[], e_outcome TEXT[], e_reason TEXT[], e_mono BIGINT[], e_boot TEXT[],
                OUT o_outcome TEXT, OUT o_last_seq BIGINT, OUT o_alerts BOOLEAN,
                OUT o_day TEXT[], OUT o_clerk TEXT[], OUT o_level BIGINT[], OUT o_count BIGINT[]) LANGUAGE plpgsql AS $$
            DECLARE
                v_last BIGINT; v_revoked BOOLEAN; v_horizon BIGINT; v_rows BIGINT;
            BEGIN
                PERFORM pg_advisory_xact_lock_shared(\(horizonLockKey));
                SELECT b.last_seq, b.revoked INTO v_last, v_revoked FROM boards b WHERE b.id = p_board FOR UPDATE;
                IF NOT FOUND THEN o_outcome := 'missing'; RETURN; END IF;
                IF v_revoked THEN o_outcome := 'revoked'; RETURN; END IF;
                SELECT h.day INTO v_horizon FROM running_horizon h WHERE h.id = 1;
                IF v_last <> p_expected OR v_horizon IS DISTINCT FROM p_horizon THEN
                    o_outcome := 'stale'; o_last_seq := v_last; RETURN;
                END IF;
                INSERT INTO events(board_id, seq, kind, at_us, filed_us, by_arrival, level, binding, dossier, clerk,
                    outcome, reason, monotonic_ns, boot_id, clock_synced, received_us)
                SELECT p_board, e.seq, e.kind, e.at, coalesce(e.filed, e.at), (e.flags & 1) <> 0, NULLIF(e.level, 0), NULLIF(e.binding, ''),
                    NULLIF(e.dossier, ''), NULLIF(e.clerk, ''), NULLIF(e.outcome, ''), NULLIF(e.reason, ''),
                    CASE WHEN (e.flags & 2) <> 0 THEN e.mono END, NULLIF(e.boot, ''), (e.flags & 4) <> 0, p_received
                FROM unnest(e_seq, e_kind, e_at, e_filed, e_flags, e_level, e_binding, e_dossier, e_clerk, e_outcome, e_reason, e_mono, e_boot)
                    AS e(seq, kind, at, filed, flags, level, binding, dossier, clerk, outcome, reason, mono, boot);
                INSERT INTO board_daily AS r(board_id, day, clerk, level, count)
                SELECT p_board, d.day, d.clerk, d.level, d.count FROM unnest(b_day, b_clerk, b_level, b_count) AS d(day, clerk, level, count)
                ON CONFLICT (board_id, day, clerk, level) DO UPDATE SET count = r.count + excluded.count;
                UPDATE boards SET last_seq = p_last, last_seen_us = p_received, version = p_version, backlog = p_backlog, faults = p_faults,
                    clock_synced = p_synced, uptime_s = p_uptime
                WHERE id = p_board;
                SELECT array_agg(c.day ORDER BY c.day, c.clerk, c.level), array_agg(c.clerk ORDER BY c.day, c.clerk, c.level),
                    array_agg(c.level::BIGINT ORDER BY c.day, c.clerk, c.level), array_agg(c.count ORDER BY c.day, c.clerk, c.level)
                INTO o_day, o_clerk, o_level, o_count
                FROM board_daily c WHERE c.board_id = p_board AND c.day = ANY(p_compare);
                o_alerts := EXISTS (SELECT 1 FROM alerts a WHERE a.kind = 'countMismatch' AND a.board_id = p_board);
                INSERT INTO rollup_day AS r(bucket, unit_id, counter_id, clerk, scale, level1, level2, level3, level4, level5, rated, unrated)
                SELECT d.bucket, p_unit, p_counter, d.clerk, p_scale, d_c[d.i * 7 - 6], d_c[d.i * 7 - 5], d_c[d.i * 7 - 4], d_c[d.i * 7 - 3],
                    d_c[d.i * 7 - 2], d_c[d.i * 7 - 1], d_c[d.i * 7]
                FROM unnest(d_bucket, d_clerk) WITH ORDINALITY AS d(bucket, clerk, i)
                ON CONFLICT (bucket, counter_id, clerk, scale) DO UPDATE SET level1 = r.level1 + excluded.level1, level2 = r.level2 + excluded.level2,
                    level3 = r.level3 + excluded.level3, level4 = r.level4 + excluded.level4, level5 = r.level5 + excluded.level5,
                    rated = r.rated + excluded.rated, unrated = r.unrated + excluded.unrated;
                INSERT INTO rollup_unit_hour AS r(unit_id, bucket, scale, stripe, level1, level2, level3, level4, level5, rated, unrated)
                SELECT p_unit, h.bucket, p_scale, p_stripe, h_c[h.i * 7 - 6], h_c[h.i * 7 - 5], h_c[h.i * 7 - 4], h_c[h.i * 7 - 3], h_c[h.i * 7 - 2],
                    h_c[h.i * 7 - 1], h_c[h.i * 7]
                FROM unnest(h_bucket) WITH ORDINALITY AS h(bucket, i)
                ON CONFLICT (unit_id, bucket, scale, stripe) DO UPDATE SET level1 = r.level1 + excluded.level1, level2 = r.level2 + excluded.level2,
                    level3 = r.level3 + excluded.level3, level4 = r.level4 + excluded.level4, level5 = r.level5 + excluded.level5,
                    rated = r.rated + excluded.rated, unrated = r.unrated + excluded.unrated;
                UPDATE running_day r SET level1 = r.level1 + r_c[d.i * 7 - 6], level2 = r.level2 + r_c[d.i * 7 - 5],
                    level3 = r.level3 + r_c[d.i * 7 - 4], level4 = r.level4 + r_c[d.i * 7 - 3], level5 = r.level5 + r_c[d.i * 7 - 2],
                    rated = r.rated + r_c[d.i * 7 - 1], unrated = r.unrated + r_c[d.i * 7]
                FROM unnest(r_kind, r_day, r_series) WITH ORDINALITY AS d(kind, day, series, i)
                WHERE r.kind = d.kind AND r.unit_id = p_unit AND r.day = d.day AND r.series_id = d.series;
                GET DIAGNOSTICS v_rows = ROW_COUNT;
                IF v_rows <> coalesce(cardinality(r_kind), 0) THEN
                    -- A series this replica believed made is not (a restored database): undo, the full path decides.
                    RAISE EXCEPTION 'hailong: running totals out of step (% of % rows)', v_rows, cardinality(r_kind);
                END IF;
                o_outcome := 'stored';
                o_last_seq := p_last;
            END $$;
            """
        ),
        (
            // Failed logins live in the database, so that replicas throttle them together (a
            // guesser sent round-robin to two replicas got twice the tries when each counted its
            // own).
            "pg5-login-failures",
            """
            CREATE TABLE login_failures (key TEXT NOT NULL, at_us BIGINT NOT NULL);
            CREATE INDEX login_failures_key ON login_failures(key, at_us);
            CREATE INDEX login_failures_at ON login_failures(at_us);
            """
        ),
    ]

    /// What a database holds compared with this build.
    enum State: Equatable {
        case current
        /// Migrations this build knows and the database lacks, in order.
        case behind([String])
        /// The database was migrated by a newer server: these names are unknown here.
        case newer([String])
    }

    static func state(_ connection: PostgresConnection, logger: Logger) async throws -> State {
        try await connection.query(
            "CREATE TABLE IF NOT EXISTS hailong_migrations (name TEXT PRIMARY KEY, applied_us BIGINT NOT NULL)", logger: logger)
        var applied: Set<String> = []
        for try await name in try await connection.query("SELECT name FROM hailong_migrations", logger: logger).decode(String.self) {
            applied.insert(name)
        }
        let known = Set(all.map(\.name))
        let unknown = applied.subtracting(known).sorted()
        if !unknown.isEmpty { return .newer(unknown) }
        let missing = all.map(\.name).filter { !applied.contains($0) }
        return missing.isEmpty ? .current : .behind(missing)
    }

    /// Applies what is missing, under the advisory lock, in one transaction per run.
    static func migrate(_ client: PostgresClient, logger: Logger, now: Int64) async throws {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
            switch try await state(connection, logger: logger) {
            case .current: return
            case .newer(let names): throw SchemaNewer(names: names)
            case .behind(let names):
                for name in names {
                    guard let migration = all.first(where: { $0.name == name }) else { continue }
                    logger.notice("applying migration", metadata: ["migration": "\(name)"])
                    // One statement at a time: the extended protocol PostgresNIO speaks takes one.
                    for statement in statements(migration.sql) {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await connection.query("INSERT INTO hailong_migrations(name, applied_us) VALUES (\(name), \(now))", logger: logger)
                }
            }
        }
    }

    /// A migration's statements: split at each `;` that ends a line, outside `$$` quoted bodies;
    /// `--` comment lines dropped.
    static func statements(_ sql: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var quoted = false
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("--") || trimmed.isEmpty { continue }
            quoted = line.components(separatedBy: "$$").count % 2 == 0 ? !quoted : quoted
            current += line + "\n"
            if !quoted, trimmed.hasSuffix(";") {
                statements.append(current.trimmingCharacters(in: .whitespacesAndNewlines))
                current = ""
            }
        }
        let rest = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !rest.isEmpty { statements.append(rest) }
        return statements
    }

    /// The database was migrated by a newer `hailong-server`.
    struct SchemaNewer: Error, CustomStringConvertible {
        var names: [String]
        var description: String {
            "the database's schema is newer than this server knows (migrations \(names.joined(separator: ", "))): "
                + "upgrade hailong-server / lược đồ cơ sở dữ liệu mới hơn phiên bản máy chủ này: hãy nâng cấp hailong-server"
        }
    }
}
