import GRDB
import HailongDomain
import Synchronization

/// The organisation (units, counters, clerks) and the running-total series, kept in memory between
/// requests (issue 14). Every report and every scope check reads them: from memory a subtree is a
/// walk over a thousand units, a report's labels a filter, and the store reads only integer
/// columns of the running totals (series id, day, counts) and sums them into each series' group
/// slot, instead of letting SQLite sort thousands of clerk codes.
///
/// A catalog is valid for one `catalog_version`: triggers on `units`, `counters`, `clerks` and
/// `report_series` move it in the writing transaction, whoever writes (this server, the `hailong`
/// CLI's offline commands, another server on the same database). A reader reads the version in
/// its own read transaction and reloads the catalog when it moved, so what it reads beside the
/// catalog (a series made by an ingest a moment ago) is never newer than the catalog.
struct Catalog: Sendable {
    /// A (group, scale) pair a series adds to: a clerk code, a counter id or a unit id, as text.
    struct Slot: Sendable {
        var group: String
        var scale: Scale
    }

    /// Per dimension, the distinct (group, scale) pairs, and each one's group number (the
    /// order groups were first seen in): a group's pairs are listed together by sorting on it.
    struct Slots: Sendable {
        var slots: [Slot] = []
        var groupNumbers: [Int32] = []
        private var index: [String: (group: Int32, scales: [Scale: Int32])] = [:]

        mutating func slot(_ group: String, _ scale: Scale) -> Int32 {
            if let known = index[group]?.scales[scale] { return known }
            let new = Int32(slots.count)
            let number = index[group]?.group ?? Int32(index.count)
            slots.append(Slot(group: group, scale: scale))
            groupNumbers.append(number)
            index[group, default: (number, [:])].scales[scale] = new
            return new
        }
    }

    /// One series: the slot it adds to per dimension (-1: none, a unit's own total has no
    /// counter or clerk).
    struct Series: Sendable {
        var kind: RunningKind
        var scale: Scale
        var unitSlot: Int32
        var counterSlot: Int32
        var clerkSlot: Int32
    }

    /// A running total whose series the catalog of the same snapshot does not hold: a trigger
    /// is missing (a server error, never the client's).
    struct Missing: Error, CustomStringConvertible {
        var seriesId: Int64
        var version: Int64
        var description: String { "running totals of series \(seriesId) are not in the catalog (version \(version))" }
    }

    let version: Int64
    /// Every unit, by code.
    let units: [Unit]
    let unitIndex: [String: Int]
    /// Indices into `units` of each unit's children.
    let children: [[Int]]
    /// By unit code, then name (as `counters(units:)` answers).
    let counters: [CounterInfo]
    /// By code.
    let clerks: [Clerk]
    /// Indexed by series id (SQLite rowids: small and dense).
    let series: [Series?]
    let unitSlots: Slots
    let counterSlots: Slots
    let clerkSlots: Slots

    func slots(_ group: RunningGroup) -> Slots {
        switch group {
        case .unit: unitSlots
        case .counter: counterSlots
        case .clerk: clerkSlots
        }
    }

    func slot(of series: Series, _ group: RunningGroup) -> Int32 {
        switch group {
        case .unit: series.unitSlot
        case .counter: series.counterSlot
        case .clerk: series.clerkSlot
        }
    }

    /// The series of a running-total row read in the same snapshot.
    func series(_ id: Int64) throws -> Series {
        guard id >= 0, id < series.count, let found = series[Int(id)] else { throw Missing(seriesId: id, version: version) }
        return found
    }

    /// The unit and every unit below it, by code; empty for an unknown code.
    func subtree(of code: String) -> [Unit] {
        guard let root = unitIndex[code] else { return [] }
        var found: [Int] = [root]
        var seen = [Bool](repeating: false, count: units.count)
        seen[root] = true
        var next = 0
        // Breadth first, each unit once (a parent loop written by hand into the file ends too).
        while next < found.count {
            for child in children[found[next]] where !seen[child] {
                seen[child] = true
                found.append(child)
            }
            next += 1
        }
        return found.sorted().map { units[$0] }
    }

    static func version(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT version FROM catalog_version WHERE id = 1")) ?? 0
    }

    /// A `report_series` row as a store reads it.
    struct SeriesRow: Sendable {
        var id: Int64
        var kind: Int64
        var unitId: Int64
        var counterId: Int64
        var clerk: String
        var scale: String
    }

    /// The catalog of what a store read in one snapshot: units by code (each with its parent's
    /// code), counters by unit code then name, clerks by code, series by id.
    static func build(version: Int64, units: [Unit], counters: [CounterInfo], clerks: [Clerk], series rows: [SeriesRow]) -> Catalog {
        let unitIndex = Dictionary(units.enumerated().map { ($1.code, $0) }, uniquingKeysWith: { a, _ in a })
        var children = [[Int]](repeating: [], count: units.count)
        for (index, unit) in units.enumerated() {
            if let parent = unit.parent.flatMap({ unitIndex[$0] }) { children[parent].append(index) }
        }
        var unitSlots = Slots(), counterSlots = Slots(), clerkSlots = Slots()
        var series: [Series?] = []
        for row in rows {
            let id = row.id
            guard id >= 0, id < Int64(Int32.max), let kind = RunningKind(rawValue: row.kind) else { continue }
            let scale = Scale(rawValue: row.scale) ?? .vn3
            if series.count <= Int(id) { series.append(contentsOf: repeatElement(nil, count: Int(id) - series.count + 1)) }
            series[Int(id)] = Series(
                kind: kind, scale: scale, unitSlot: unitSlots.slot(String(row.unitId), scale),
                counterSlot: kind == .series ? counterSlots.slot(String(row.counterId), scale) : -1,
                clerkSlot: kind == .series ? clerkSlots.slot(row.clerk, scale) : -1)
        }
        return Catalog(
            version: version, units: units, unitIndex: unitIndex, children: children, counters: counters, clerks: clerks,
            series: series, unitSlots: unitSlots, counterSlots: counterSlots, clerkSlots: clerkSlots)
    }

    static func load(_ db: Database, version: Int64) throws -> Catalog {
        let units = try Row.fetchAll(
            db, sql: "SELECT u.id, u.code, u.name, p.code, u.time_zone FROM units u LEFT JOIN units p ON p.id = u.parent_id ORDER BY u.code"
        ).map { Unit(id: $0[0], code: $0[1], name: $0[2], parent: $0[3], timeZone: $0[4]) }
        let counters = try Row.fetchAll(
            db, sql: "SELECT c.id, u.code, c.name FROM counters c JOIN units u ON u.id = c.unit_id ORDER BY u.code, c.name"
        ).map { CounterInfo(id: $0[0], unit: $0[1], name: $0[2]) }
        let clerks = try Row.fetchAll(db, sql: "SELECT k.code, k.name, u.code FROM clerks k JOIN units u ON u.id = k.unit_id ORDER BY k.code")
            .map { Clerk(code: $0[0], name: $0[1], unit: $0[2]) }
        let series = try Row.fetchAll(db, sql: "SELECT id, kind, unit_id, counter_id, clerk, scale FROM report_series ORDER BY id").map {
            SeriesRow(id: $0[0], kind: $0[1], unitId: $0[2], counterId: $0[3], clerk: $0[4], scale: $0[5])
        }
        return build(version: version, units: units, counters: counters, clerks: clerks, series: series)
    }
}

/// The last catalog loaded, shared by the store's readers.
final class CatalogCache: Sendable {
    private let current = Mutex<Catalog?>(nil)

    /// The catalog of the database state `db` reads (in its read transaction).
    func catalog(_ db: Database) throws -> Catalog {
        let version = try Catalog.version(db)
        if let cached = cached(version) { return cached }
        return keep(try Catalog.load(db, version: version))
    }

    /// The catalog held, if it is of `version`.
    func cached(_ version: Int64) -> Catalog? {
        current.withLock { $0?.version == version ? $0 : nil }
    }

    /// Keeps a catalog just loaded (unless a newer one is held) and returns it.
    func keep(_ loaded: Catalog) -> Catalog {
        let version = loaded.version
        current.withLock { cached in
            // A slower reader of an older snapshot does not replace a newer catalog.
            if (cached?.version ?? Int64.min) <= version { cached = loaded }
        }
        return loaded
    }
}
