import Foundation
import HailongDomain
import Hummingbird

/// The pages' menu entries.
enum PageKind: String, Sendable, CaseIterable {
    case overview, clerks, counters, heatmap, boards, alerts, dossier

    /// The path under `/units/{code}` for the unit pages.
    var unitPath: String? {
        switch self {
        case .overview: ""
        case .clerks: "/clerks"
        case .counters: "/counters"
        case .heatmap: "/heatmap"
        case .boards, .alerts, .dossier: nil
        }
    }

    var textKey: String {
        switch self {
        case .overview: "navOverview"
        case .clerks: "navClerks"
        case .counters: "navCounters"
        case .heatmap: "navHeatmap"
        case .boards: "navBoards"
        case .alerts: "navAlerts"
        case .dossier: "navDossier"
        }
    }

    /// The page for `unit` with `query` (the range): unit pages under `/units/{code}`, boards
    /// and alerts with `?unit=`.
    func href(unit: String?, _ query: [(String, String)]) -> String {
        if let path = unitPath, let unit { return WebLinks.unit(unit, path, query) }
        switch self {
        case .dossier: return "/dossiers"
        default:
            let items = (unit.map { [("unit", $0)] } ?? []) + query
            return "/\(rawValue)" + (items.isEmpty ? "" : "?" + WebLinks.query(items))
        }
    }

    /// Who may open it: technicians see boards only.
    func allows(_ role: Role) -> Bool { role != .technician || self == .boards }
}

/// A unit page's unit, the subtree it reads and the range it shows.
struct UnitScope: Sendable {
    var unit: Unit
    var units: [Unit]
    var range: PageRange
}

extension WebController {
    /// The unit named by the path, within the account's scope (403 outside it, as the API).
    func unitScope(_ visit: WebVisit, _ context: ServerRequestContext, page: PageKind) async throws -> UnitScope {
        guard page.allows(visit.account.role) else {
            throw APIError.forbidden("role \(visit.account.role.rawValue) may not open this page / vai trò này không được xem trang này")
        }
        let raw = try context.parameters.require("code")
        let code = Text.nfc(raw.removingPercentEncoding ?? raw)
        let units = try await server.auth.scope(visit.account, unit: code)
        guard let unit = units.first(where: { $0.code == code }) else { throw APIError.notFound("unit \(code)") }
        return UnitScope(unit: unit, units: units, range: try range(visit.request, zone: unit.timeZone))
    }

    /// The range the query asks for, in the unit's calendar.
    func range(_ request: Request, zone: String) throws -> PageRange {
        let today = reports.zones.localDay(zone, atSecond: floorDiv(server.now().microseconds, 1_000_000))
        let query = request.uri.queryParameters
        let period: ReportPeriod
        period = try ReportPeriod.asked(period: query.get("period"), from: query.get("from"), to: query.get("to"), today: today)
        let (from, to) = period.days(today: today)
        let items: [(String, String)]
        switch period {
        case .named(let name): items = name == .last30Days ? [] : [("period", name.rawValue)]
        case .range: items = [("from", SatisfactionReport.dayKey(from)), ("to", SatisfactionReport.dayKey(to))]
        }
        return PageRange(period: period, fromDay: from, toDay: to, query: items)
    }

    /// The frame around a page: menu (links keep the range), breadcrumbs from the account's
    /// top unit down to `unit`, the period picker when the page has a range.
    func chrome(
        _ visit: WebVisit, page: PageKind, title: String, heading: String, unit: Unit?, range: PageRange?
    ) async throws -> Chrome {
        let text = visit.text
        let format = visit.format
        let query = range?.query ?? []
        let navUnit = unit?.code ?? visit.account.unit
        var nav: [Chrome.NavLink] = []
        for kind in PageKind.allCases where kind.allows(visit.account.role) {
            if kind.unitPath != nil, navUnit == nil { continue }
            nav.append(Chrome.NavLink(href: kind.href(unit: navUnit, query), label: text[kind.textKey], current: kind == page))
        }
        var crumbs: [Chrome.Crumb] = []
        if let unit {
            let all = Dictionary(try await server.store.units().map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
            var chain: [Unit] = [unit]
            var current = unit
            while current.code != visit.account.unit, let parent = current.parent, let next = all[parent], chain.count < 64 {
                chain.append(next)
                current = next
            }
            // Each ancestor links to the same page of itself; the unit itself, on a page other
            // than its overview, links back to the overview.
            crumbs = chain.reversed().map { crumb in
                let href: String?
                if crumb.code != unit.code {
                    href = page.href(unit: crumb.code, query)
                } else {
                    href = page == .overview || page.unitPath == nil ? nil : PageKind.overview.href(unit: crumb.code, query)
                }
                return Chrome.Crumb(name: crumb.name, href: href)
            }
        }
        var picker: Chrome.PeriodPicker?
        if let range, let unit {
            let action = page.href(unit: page.unitPath == nil ? nil : unit.code, [])
            let hidden = page.unitPath == nil ? [Chrome.PeriodPicker.Hidden(name: "unit", value: unit.code)] : []
            picker = Chrome.PeriodPicker(
                action: action, hidden: hidden,
                options: ReportPeriod.Name.allCases.map { name in
                    Chrome.PeriodPicker.Option(
                        href: page.href(unit: unit.code, [("period", name.rawValue)]), label: text.period(name),
                        current: range.period == .named(name))
                },
                from: SatisfactionReport.dayKey(range.fromDay), to: SatisfactionReport.dayKey(range.toDay),
                fromText: format.date(range.fromDay), toText: format.date(range.toDay), zone: unit.timeZone)
        }
        let languageSwitch = visit.languageSwitch()
        return Chrome(
            lang: visit.language.rawValue, otherLang: languageSwitch.other, langHref: languageSwitch.href, langLabel: languageSwitch.label,
            t: text.all, title: title, heading: heading, account: visit.account.username, csrf: visit.session.csrf, nav: nav,
            hasBreadcrumbs: !crumbs.isEmpty, breadcrumbs: crumbs, picker: picker, rateNote: page.unitPath != nil)
    }
}
