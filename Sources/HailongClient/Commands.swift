public import Foundation
public import HailongDomain

/// What the `hailong` commands do against the central server, as functions that return the
/// text to print (so tests check the output without a process).
public struct ServerCommands: Sendable {
    public var api: HTTPEndpoint

    public init(api: HTTPEndpoint) { self.api = api }

    struct UnitView: Codable { var code: String; var name: String; var parent: String?; var timeZone: String }
    struct CounterView: Codable { var id: Int64; var unit: String; var name: String }
    struct ClerkView: Codable { var code: String; var name: String; var unit: String }
    struct BoardView: Codable {
        var id: String; var unit: String; var counter: String; var scale: String; var enrolled: Bool; var revoked: Bool
        var lastSeq: Int64; var lastSeenAt: String?; var version: String?; var backlog: Int64?; var faults: [String]
        var clockSynced: Bool?
    }
    public struct LoginReply: Codable, Sendable { public var token: String; public var username: String; public var role: String; public var unit: String? }

    public func login(username: String, password: String) async throws -> LoginReply {
        struct Body: Encodable { var username: String; var password: String }
        return try await api.post("/v1/login", json: Body(username: username, password: password))
    }

    public func units() async throws -> String {
        struct Reply: Decodable { var units: [UnitView] }
        let units = try await api.get("/v1/units", as: Reply.self).units
        var table = Table(headers: ["code", "name", "parent", "time zone"])
        for unit in units { table.add([unit.code, unit.name, unit.parent ?? "", unit.timeZone]) }
        return table.render()
    }

    public func addUnit(code: String, name: String, parent: String?, timeZone: String?) async throws -> String {
        struct Body: Encodable { var code: String; var name: String; var parent: String?; var timeZone: String? }
        let unit: UnitView = try await api.post("/v1/units", json: Body(code: code, name: name, parent: parent, timeZone: timeZone))
        return "created unit \(unit.code) (\(unit.name)), time zone \(unit.timeZone)\n"
    }

    public func counters(unit: String?) async throws -> String {
        struct Reply: Decodable { var counters: [CounterView] }
        let counters = try await api.get("/v1/counters" + query(["unit": unit]), as: Reply.self).counters
        var table = Table(headers: ["id", "unit", "name"], alignments: [.right, .left, .left])
        for counter in counters { table.add([String(counter.id), counter.unit, counter.name]) }
        return table.render()
    }

    public func addCounter(unit: String, name: String) async throws -> String {
        struct Body: Encodable { var unit: String; var name: String }
        let counter: CounterView = try await api.post("/v1/counters", json: Body(unit: unit, name: name))
        return "created counter \(counter.id) \"\(counter.name)\" in \(counter.unit)\n"
    }

    public func clerks(unit: String?) async throws -> String {
        struct Reply: Decodable { var clerks: [ClerkView] }
        let clerks = try await api.get("/v1/clerks" + query(["unit": unit]), as: Reply.self).clerks
        var table = Table(headers: ["code", "name", "unit"])
        for clerk in clerks { table.add([clerk.code, clerk.name, clerk.unit]) }
        return table.render()
    }

    public func addClerk(code: String, name: String, unit: String) async throws -> String {
        let clerk: ClerkView = try await api.post("/v1/clerks", json: ClerkView(code: code, name: name, unit: unit))
        return "saved clerk \(clerk.code) \(clerk.name) (\(clerk.unit))\n"
    }

    /// Imports a CSV file (`code,name,unit`); all rows or none — bad rows are listed by line.
    public func importClerks(csv: Data, unit: String?) async throws -> String {
        struct Reply: Decodable { var imported: Int }
        let data = try await api.send(.POST, "/v1/clerks/import" + query(["unit": unit]), body: csv, contentType: "text/csv")
        let reply: Reply = try api.decode(data)
        return "imported \(reply.imported) clerks\n"
    }

    public func boards(unit: String?) async throws -> String {
        struct Reply: Decodable { var boards: [BoardView] }
        let boards = try await api.get("/v1/boards" + query(["unit": unit]), as: Reply.self).boards
        var table = Table(
            headers: ["board", "unit", "counter", "state", "last seen", "seq", "backlog", "clock", "faults", "version"],
            alignments: [.left, .left, .left, .left, .left, .right, .right, .left, .left, .left])
        for board in boards {
            let state = board.revoked ? "revoked" : board.enrolled ? "enrolled" : "awaiting code"
            table.add([
                board.id, board.unit, board.counter, state, board.lastSeenAt ?? "never", String(board.lastSeq),
                board.backlog.map(String.init) ?? "", board.clockSynced.map { $0 ? "synced" : "NOT SYNCED" } ?? "",
                board.faults.joined(separator: ","), board.version ?? "",
            ])
        }
        return table.render()
    }

    /// Creates a board for a counter (found by name, created if missing) and prints its code.
    public func addBoard(unit: String, counter: String, scale: Scale) async throws -> String {
        struct Counters: Decodable { var counters: [CounterView] }
        let name = Text.nfc(counter)
        var counterId = try await api.get("/v1/counters" + query(["unit": unit]), as: Counters.self).counters
            .first { $0.unit == Text.nfc(unit) && $0.name == name }?.id
        if counterId == nil {
            struct Body: Encodable { var unit: String; var name: String }
            counterId = (try await api.post("/v1/counters", json: Body(unit: unit, name: name)) as CounterView).id
        }
        struct Body: Encodable { var unit: String; var counterId: Int64; var scale: Scale }
        struct Reply: Decodable { var board: BoardView; var enrollmentCode: String; var expiresAt: String }
        let reply: Reply = try await api.post("/v1/boards", json: Body(unit: unit, counterId: counterId ?? 0, scale: scale))
        return """
            board \(reply.board.id) for \(reply.board.unit) / \(reply.board.counter)
            enrollment code: \(reply.enrollmentCode)   (valid once, until \(reply.expiresAt))
            on the board: hailong-agent enroll --server \(api.baseURL) --code \(reply.enrollmentCode)

            """
    }

    public func revokeBoard(id: String) async throws -> String {
        try await api.send(.POST, "/v1/boards/\(urlEncoded(id))/revoke")
        return "board \(id) revoked: its token no longer works\n"
    }

    public enum ReportFormat: String, Sendable, CaseIterable { case table, csv, json }

    /// The satisfaction report as a table for people, or the server's CSV/JSON as is.
    public func report(unit: String?, from: String?, to: String?, by: String, format: ReportFormat) async throws -> String {
        let base = "/v1/reports/satisfaction" + query(["unit": unit, "from": from, "to": to, "by": by])
        switch format {
        case .csv: return String(decoding: try await api.send(.GET, base + "&format=csv"), as: UTF8.self)
        case .json: return String(decoding: try await api.send(.GET, base), as: UTF8.self)
        case .table: return Self.reportTable(try await api.get(base, as: Report.self).rows)
        }
    }

    public static func reportTable(_ rows: [ReportRow]) -> String {
        let levels = Set(rows.flatMap { $0.levels.keys.compactMap { Int($0) } }).sorted(by: >)
        var table = Table(
            headers: ["key", "label"] + levels.map { "L\($0)" } + ["total", "rate", "95% CI", "response", ""],
            alignments: [.left, .left] + levels.map { _ in .right } + [.right, .right, .right, .right, .left])
        func percent(_ value: Double?) -> String {
            guard let value else { return "–" }
            return String(format: "%.1f%%", value * 100)
        }
        for row in rows {
            let interval = row.wilsonLow.map { low in "\(percent(low))–\(percent(row.wilsonHigh))" } ?? "–"
            table.add(
                [row.key, row.label] + levels.map { String(row.levels[String($0)] ?? 0) }
                    + [String(row.total), percent(row.rate), interval, percent(row.responseRate), row.insufficient ? "ít dữ liệu / few ratings" : ""])
        }
        return table.render()
    }

    public func dossier(code: String) async throws -> String {
        struct Event: Decodable { var board: String; var unit: String; var counter: String; var event: WireEvent; var filedByArrival: Bool }
        struct Reply: Decodable { var dossier: String; var outcome: String; var level: Int?; var ratedAt: String?; var clerk: String?; var events: [Event] }
        let reply = try await api.get("/v1/dossiers/\(urlEncoded(code))", as: Reply.self)
        var text = "dossier \(reply.dossier): \(reply.outcome)"
        if let level = reply.level { text += ", level \(level)" }
        if let clerk = reply.clerk { text += ", clerk \(clerk)" }
        text += "\n"
        var table = Table(headers: ["at", "unit", "counter", "kind", "level", "outcome", "clerk"])
        for item in reply.events {
            let e = item.event
            table.add([
                e.at + (item.filedByArrival ? " (clock?)" : ""), item.unit, item.counter, e.kind.rawValue, e.level.map(String.init) ?? "",
                e.outcome?.rawValue ?? "", e.clerk ?? "",
            ])
        }
        return text + table.render()
    }

    public func alerts(unit: String?) async throws -> String {
        struct AlertView: Decodable { var kind: String; var board: String?; var unit: String?; var message: String; var at: String }
        struct Reply: Decodable { var alerts: [AlertView] }
        let alerts = try await api.get("/v1/alerts" + query(["unit": unit]), as: Reply.self).alerts
        var table = Table(headers: ["at", "kind", "unit", "message"])
        for alert in alerts { table.add([alert.at, alert.kind, alert.unit ?? "", alert.message]) }
        return table.render()
    }

    func query(_ items: [String: String?]) -> String {
        let pairs = items.sorted { $0.key < $1.key }.compactMap { key, value in value.map { "\(key)=\(urlEncoded($0))" } }
        return pairs.isEmpty ? "" : "?" + pairs.joined(separator: "&")
    }
}

/// `session open|close` and `clerk signin|signout` against a board's local API (DESIGN §8).
public struct BoardCommands: Sendable {
    public var api: HTTPEndpoint

    public init(api: HTTPEndpoint) { self.api = api }

    /// Reads the board's API token from a file (`api.token_file`), trimmed.
    public static func token(file: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: file) else { throw CLIError("cannot read the token file \(file)") }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func openSession(dossier: String, clerk: String) async throws -> String {
        let dossier = try DossierCode(dossier)
        let clerk = try ClerkID(clerk)
        struct Body: Encodable { var dossier: String; var clerk: String }
        try await api.send(.POST, "/v1/session", json: Body(dossier: dossier.value, clerk: clerk.value))
        return "session open: dossier \(dossier.value), clerk \(clerk.value) — the board awaits a rating\n"
    }

    public func closeSession() async throws -> String {
        try await api.send(.DELETE, "/v1/session")
        return "session closed (unrated)\n"
    }

    public func signIn(clerk: String) async throws -> String {
        let clerk = try ClerkID(clerk)
        struct Body: Encodable { var clerk: String }
        try await api.send(.POST, "/v1/clerk", json: Body(clerk: clerk.value))
        return "clerk \(clerk.value) signed in\n"
    }

    public func signOut() async throws -> String {
        try await api.send(.DELETE, "/v1/clerk")
        return "clerk signed out\n"
    }
}
