import Foundation
import HailongDomain
@testable import HailongServer
import Logging
import Testing

/// The stores the server's tests run on. `HAILONG_TEST_STORE=postgres` (with
/// `HAILONG_TEST_POSTGRES_URL`, as `scripts/test` sets them on its throw-away cluster) runs every
/// test that goes through `Harness` on PostgreSQL; the contract suite runs on every store this
/// run can reach.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqliteMemory, sqliteFile, postgres

    var testDescription: String { rawValue }

    static var postgresURL: String? {
        let url = ProcessInfo.processInfo.environment["HAILONG_TEST_POSTGRES_URL"] ?? ""
        return url.isEmpty ? nil : url
    }

    /// What `Harness` uses.
    static var harness: StoreKind {
        ProcessInfo.processInfo.environment["HAILONG_TEST_STORE"] == "postgres" ? .postgres : .sqliteMemory
    }

    /// Every store this run can reach (PostgreSQL when a cluster was given).
    static var available: [StoreKind] { postgresURL == nil ? [.sqliteMemory, .sqliteFile] : allCases }

    /// A new, empty, migrated store of this kind: a private in-memory SQLite database, a new
    /// SQLite file, or a new schema of the test cluster's database (its own `search_path`).
    func make() async throws -> any HailongStore {
        switch self {
        case .sqliteMemory: return try SQLiteStore(path: ":memory:")
        case .sqliteFile:
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("hailong-contract-\(UUID().uuidString).db").path
            return try SQLiteStore(path: path)
        case .postgres:
            guard let url = Self.postgresURL else { throw TestFailure("HAILONG_TEST_POSTGRES_URL is not set") }
            let settings = try PostgresSettings.parse(url: url, password: nil, caFile: nil, poolSize: 4)
            let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            var logger = Logger(label: "hailong.test.postgres")
            logger.logLevel = .warning
            let store = try PostgresStore(settings: settings, searchPath: schema, runClient: true, logger: logger)
            try await store.client.query("CREATE SCHEMA \(unescaped: schema)")
            try await store.prepare(migrate: true, now: WallTime(microseconds: 0))
            return store
        }
    }
}
