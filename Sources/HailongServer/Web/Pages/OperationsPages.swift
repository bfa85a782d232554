import Foundation
import HailongDomain
import Hummingbird

struct BoardsPage {
    struct Row {
        var id: String
        var unit: String
        var counter: String
        var state: String
        var silent: Bool
        var problem: Bool
        var lastSeen: String
        var backlog: String
        var clock: String
        var clockBad: Bool
        var faults: String?
        var version: String
        /// Ratings the board's counter recorded in the period, and their satisfaction rate.
        var ratings: String
        var rate: String
    }
    var chrome: Chrome
    var rows: [Row]
    var empty: Bool
    var csv: String
}

struct AlertsPage {
    struct Row {
        var id: Int64
        var at: String
        var kind: String
        var unit: String
        var board: String?
        var message: String
        var acknowledged: Bool
        var by: String?
        var when: String?
        var comment: String?
    }
    var chrome: Chrome
    var rows: [Row]
    var empty: Bool
    var csv: String
    var scope: String
    var done: String?
}

struct DossierPage {
    struct Event { var at: String; var kind: String; var board: String; var clerk: String }
    var chrome: Chrome
    var code: String
    var notFound: Bool
    var found: Bool
    var dossier: String
    var outcomeKey: String
    var outcome: String
    var rating: String
    var ratedAt: String
    var clerk: String
    var unit: String
    var counter: String
    var events: [Event]
    var csv: String
}

extension WebController {
    /// The units a page without a unit in its path reads: `?unit=` or the account's own.
    private func scopedUnits(_ visit: WebVisit, page: PageKind) async throws -> (units: [Unit], top: Unit?) {
        guard page.allows(visit.account.role) else {
            throw APIError.forbidden("role \(visit.account.role.rawValue) may not open this page / vai trò này không được xem trang này")
        }
        let asked = visit.request.uri.queryParameters.get("unit").flatMap { $0.isEmpty ? nil : $0 }
        let units = try await server.auth.scope(visit.account, unit: asked ?? visit.account.unit)
        let codes = Set(units.map(\.code))
        return (units, units.first { unit in unit.parent.map { !codes.contains($0) } ?? true })
    }

    private func localTime(_ text: String?, zone: String, format: WebFormat) -> String {
        guard let text, let time = WallTime(rfc3339: text) else { return "" }
        return format.dateTime(time, offsetSeconds: reports.zones.offset(zone, atSecond: floorDiv(time.microseconds, 1_000_000)))
    }

    // MARK: Boards

    private func boardRows(_ visit: WebVisit, units: [Unit], range: PageRange) async throws -> [BoardsPage.Row] {
        let text = visit.text, format = visit.format
        let now = server.now()
        let names = Dictionary(units.map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
        let counted = Dictionary(
            try await reports.rows(units: units, fromDay: range.fromDay, toDay: range.toDay, by: .counter).map { ($0.key, $0) },
            uniquingKeysWith: { a, _ in a })
        return try await server.store.boards(units: units.map(\.code)).map { board in
            let seen = board.lastSeenAt.flatMap(WallTime.init(rfc3339:))
            let localNow = floorDiv(now.microseconds, 1_000_000) + reports.zones.offset(board.timeZone, atSecond: floorDiv(now.microseconds, 1_000_000))
            let quiet = seen.map { now - $0 > .seconds(3600) } ?? true
            let silent = board.enrolled && !board.revoked && quiet && OpeningHours.standard.isOpen(localSecond: localNow)
            let clockBad = board.clockSynced == false
            let state =
                board.revoked ? text["revoked"] : !board.enrolled ? text["notEnrolled"] : seen == nil ? text["neverHeard"]
                : !board.faults.isEmpty ? text["faulty"] : clockBad ? text["clockBad"] : text["ok"]
            let row = counted[String(board.counterId)]
            return BoardsPage.Row(
                id: board.id, unit: names[board.unit] ?? board.unit, counter: board.counter, state: state, silent: silent,
                problem: silent || clockBad || !board.faults.isEmpty,
                lastSeen: seen.map { format.ago(now - $0) + " (" + localTime(board.lastSeenAt, zone: board.timeZone, format: format) + ")" }
                    ?? text["never"],
                backlog: board.backlog.map(format.integer) ?? "—",
                clock: board.clockSynced.map { $0 ? text["clockOk"] : text["clockBad"] } ?? "—", clockBad: clockBad,
                faults: board.faults.isEmpty ? nil : board.faults.joined(separator: ", "), version: board.version ?? "—",
                ratings: format.integer(row?.total ?? 0), rate: format.percent(row?.rate))
        }
    }

    @Sendable func boards(_ request: Request, context: ServerRequestContext) async throws -> Response {
        let visit = try await visit(request)
        let (units, top) = try await scopedUnits(visit, page: .boards)
        let range = try range(request, zone: top?.timeZone ?? "Asia/Ho_Chi_Minh")
        let rows = try await boardRows(visit, units: units, range: range)
        let heading = visit.text["boardsHeading"] + (top.map { " — " + $0.name } ?? "")
        let page = BoardsPage(
            chrome: try await chrome(visit, page: .boards, title: heading, heading: heading, unit: top, range: range), rows: rows,
            empty: rows.isEmpty, csv: "/boards.csv" + (top.map { "?" + WebLinks.query([("unit", $0.code)]) } ?? ""))
        return render(page, template: "boards", visit: visit)
    }

    @Sendable func boardsCSV(_ request: Request, context: ServerRequestContext) async throws -> Response {
        let visit = try await visit(request)
        let (units, top) = try await scopedUnits(visit, page: .boards)
        let boards = try await server.store.boards(units: units.map(\.code))
        var lines = ["board,unit,counter,enrolled,revoked,last_seen_at,backlog,clock_synced,faults,version"]
        for board in boards {
            lines.append(
                [
                    CSV.field(board.id), CSV.field(board.unit), CSV.field(board.counter), String(board.enrolled), String(board.revoked),
                    board.lastSeenAt ?? "", board.backlog.map(String.init) ?? "", board.clockSynced.map(String.init) ?? "",
                    CSV.field(board.faults.joined(separator: " ")), CSV.field(board.version ?? ""),
                ].joined(separator: ","))
        }
        return Self.csv(CSV.bom + lines.joined(separator: "\r\n") + "\r\n", filename: "boards-\(top?.code ?? "all").csv")
    }

    // MARK: Alerts

    @Sendable func alerts(_ request: Request, context: ServerRequestContext) async throws -> Response {
        let visit = try await visit(request)
        let (units, top) = try await scopedUnits(visit, page: .alerts)
        let text = visit.text, format = visit.format
        let zones = Dictionary(units.map { ($0.code, $0.timeZone) }, uniquingKeysWith: { a, _ in a })
        let names = Dictionary(units.map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
        let range = try range(request, zone: top?.timeZone ?? "Asia/Ho_Chi_Minh")
        // Open alerts whenever they were raised; acknowledged ones (the history) in the period.
        let shown = try await server.store.alerts(units: units.map(\.code)).filter { alert in
            guard alert.acknowledgedBy != nil, let at = WallTime(rfc3339: alert.at) else { return true }
            let zone = alert.unit.flatMap { zones[$0] } ?? "UTC"
            let day = reports.zones.localDay(zone, atSecond: floorDiv(at.microseconds, 1_000_000))
            return (range.fromDay...range.toDay).contains(day)
        }
        let rows = shown.map { alert in
            let zone = alert.unit.flatMap { zones[$0] } ?? "UTC"
            return AlertsPage.Row(
                id: alert.id, at: localTime(alert.at, zone: zone, format: format), kind: text["kind_" + alert.kind],
                unit: alert.unit.map { names[$0] ?? $0 } ?? "", board: alert.board, message: alert.message,
                acknowledged: alert.acknowledgedBy != nil, by: alert.acknowledgedBy,
                when: localTime(alert.acknowledgedAt, zone: zone, format: format), comment: alert.comment.flatMap { $0.isEmpty ? nil : $0 })
        }
        let heading = text["alertsHeading"] + (top.map { " — " + $0.name } ?? "")
        let done = request.uri.queryParameters.get("done").map { $0 == "1" ? text["ackDone"] : text["ackNone"] }
        let page = AlertsPage(
            chrome: try await chrome(visit, page: .alerts, title: heading, heading: heading, unit: top, range: range), rows: rows,
            empty: rows.isEmpty, csv: "/alerts.csv" + (top.map { "?" + WebLinks.query([("unit", $0.code)]) } ?? ""), scope: top?.code ?? "",
            done: done)
        return render(page, template: "alerts", visit: visit)
    }

    @Sendable func alertsCSV(_ request: Request, context: ServerRequestContext) async throws -> Response {
        let visit = try await visit(request)
        let (units, top) = try await scopedUnits(visit, page: .alerts)
        var lines = ["id,kind,unit,board,message,at,acknowledged_by,acknowledged_at,comment"]
        for alert in try await server.store.alerts(units: units.map(\.code)) {
            lines.append(
                [
                    String(alert.id), CSV.field(alert.kind), CSV.field(alert.unit ?? ""), CSV.field(alert.board ?? ""), CSV.field(alert.message),
                    alert.at, CSV.field(alert.acknowledgedBy ?? ""), alert.acknowledgedAt ?? "", CSV.field(alert.comment ?? ""),
                ].joined(separator: ","))
        }
        return Self.csv(CSV.bom + lines.joined(separator: "\r\n") + "\r\n", filename: "alerts-\(top?.code ?? "all").csv")
    }

    /// `POST /alerts/{id}/ack`: who and when are recorded; the first acknowledgement stands.
    @Sendable func acknowledge(_ request: Request, context: ServerRequestContext) async throws -> Response {
        let form = try await Self.form(CSRFForm.self, request)
        let visit = try await visit(request)
        guard WebSessions.tokensMatch(form.csrf, visit.session.csrf) else { throw WebError.csrf }
        guard let id = Int64(try context.parameters.require("id")) else { throw APIError.notFound("alert") }
        let comment = Text.nfc(form.comment ?? "")
        guard comment.count <= 500 else { throw APIError.badRequest("comment longer than 500 characters / ghi chú quá 500 ký tự") }
        let (units, top) = try await scopedUnits(visit, page: .alerts)
        let done = try await server.store.acknowledgeAlert(
            id: id, units: units.map(\.code), by: visit.account.username, comment: comment, now: server.now())
        server.logger.info("alert acknowledged", metadata: ["alert": "\(id)", "by": "\(visit.account.username)", "changed": "\(done)"])
        var query = [("done", done ? "1" : "0")]
        if let top { query.insert(("unit", top.code), at: 0) }
        return Response(status: .seeOther, headers: [.location: "/alerts?" + WebLinks.query(query)])
    }

    // MARK: Dossier look-up

    @Sendable func dossier(_ request: Request, context: ServerRequestContext) async throws -> Response {
        let visit = try await visit(request)
        let (units, _) = try await scopedUnits(visit, page: .dossier)
        let text = visit.text, format = visit.format
        let raw = Text.nfc(request.uri.queryParameters.get("code").map { String($0) } ?? "").trimmingCharacters(in: .whitespaces)
        var page = DossierPage(
            chrome: try await chrome(visit, page: .dossier, title: text["dossierHeading"], heading: text["dossierHeading"], unit: nil, range: nil),
            code: raw, notFound: false, found: false, dossier: "", outcomeKey: "", outcome: "", rating: "—", ratedAt: "—", clerk: "—", unit: "—",
            counter: "—", events: [], csv: "/dossiers.csv?" + WebLinks.query([("code", raw)]))
        if !raw.isEmpty {
            let code: DossierCode
            do { code = try DossierCode(raw) } catch { throw APIError.badRequest(error.description) }
            let visible = Dictionary(units.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
            let events = try await server.store.events(dossier: code.value).filter { visible[$0.unit] != nil }
            if events.isEmpty {
                page.notFound = true
            } else {
                let reply = DossierReply(dossier: code.value, events: events)
                let zone = reply.unit.flatMap { visible[$0]?.timeZone } ?? "UTC"
                page.found = true
                page.dossier = reply.dossier
                page.outcomeKey = reply.outcome
                page.outcome = text["outcome_" + reply.outcome]
                if let level = reply.level {
                    let board = events.last { $0.event.kind == .rating }?.board
                    let scale = try await board.asyncMap { try await server.store.board(id: $0)?.scale } ?? nil
                    let label = scale?.label(for: level).map { visit.language == .vi ? $0.vi : $0.en }
                    page.rating = "\(level)" + (label.map { " — " + $0 } ?? "")
                }
                page.ratedAt = reply.ratedAt.map { localTime($0, zone: zone, format: format) } ?? "—"
                let clerkNames = Dictionary(
                    try await server.store.clerks(units: units.map(\.code)).map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
                page.clerk = reply.clerk.map { code in clerkNames[code].map { "\($0) (\(code))" } ?? code } ?? "—"
                page.unit = reply.unit.map { visible[$0]?.name ?? $0 } ?? "—"
                page.counter = reply.counter ?? "—"
                page.events = events.map {
                    DossierPage.Event(
                        at: localTime($0.event.at, zone: zone, format: format), kind: text.event($0.event), board: $0.board,
                        clerk: $0.event.clerk.map { clerkNames[$0] ?? $0 } ?? "")
                }
            }
        }
        return render(page, template: "dossier", visit: visit)
    }
}

extension WebController {
    /// `GET /dossiers.csv?code=…`: the dossier's events as the page's table shows them.
    @Sendable func dossierCSV(_ request: Request, context: ServerRequestContext) async throws -> Response {
        let visit = try await visit(request)
        guard PageKind.dossier.allows(visit.account.role) else { throw APIError.forbidden("role \(visit.account.role.rawValue) may not open this page") }
        let raw = Text.nfc(request.uri.queryParameters.get("code").map { String($0) } ?? "").trimmingCharacters(in: .whitespaces)
        let code: DossierCode
        do { code = try DossierCode(raw) } catch { throw APIError.badRequest(error.description) }
        let visible = Set(try await server.auth.scope(visit.account, unit: visit.account.unit).map(\.code))
        let events = try await server.store.events(dossier: code.value).filter { visible.contains($0.unit) }
        guard !events.isEmpty else { throw APIError.notFound("dossier \(code.value)") }
        var lines = ["dossier,at,kind,board,unit,counter,clerk,level,outcome,filed_by_arrival"]
        for stored in events {
            let event = stored.event
            lines.append(
                [
                    CSV.field(code.value), event.at, event.kind.rawValue, CSV.field(stored.board), CSV.field(stored.unit), CSV.field(stored.counter),
                    CSV.field(event.clerk ?? ""), event.level.map(String.init) ?? "", event.outcome?.rawValue ?? "", String(stored.filedByArrival),
                ].joined(separator: ","))
        }
        return Self.csv(CSV.bom + lines.joined(separator: "\r\n") + "\r\n", filename: "dossier-\(code.value).csv")
    }
}

extension Optional {
    /// `map` with an async transform.
    fileprivate func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        switch self {
        case .some(let value): try await transform(value)
        case .none: nil
        }
    }
}
