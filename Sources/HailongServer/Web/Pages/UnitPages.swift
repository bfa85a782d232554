import Foundation
import HailongDomain
import Hummingbird
import NIOCore

/// The headline of a unit: what the overview shows first and `/live` refreshes.
struct Headline: Sendable, Encodable {
    var rateValue: String
    var rateText: String
    var total: Int64
    var totalText: String
    var satisfied: Int64
    var lowValue: String
    var lowText: String
    var highValue: String
    var highText: String
    var responseValue: String
    var responseText: String
    var insufficient: Bool
    var updatedText: String

    init(_ row: ReportRow, format: WebFormat, text: WebText, updated: String) {
        rateValue = row.rate.map(WebFormat.plain) ?? ""
        rateText = format.percent(row.rate)
        total = row.total
        totalText = format.integer(row.total)
        satisfied = row.satisfied
        lowValue = row.wilsonLow.map(WebFormat.plain) ?? ""
        lowText = format.percent(row.wilsonLow)
        highValue = row.wilsonHigh.map(WebFormat.plain) ?? ""
        highText = format.percent(row.wilsonHigh)
        responseValue = row.responseRate.map(WebFormat.plain) ?? ""
        responseText = format.percent(row.responseRate)
        insufficient = row.insufficient
        updatedText = text["liveUpdated"] + " " + updated
    }
}

struct OverviewPage {
    var chrome: Chrome
    var headline: Headline
    var liveURL: String
    var trend: TrendChart
    var hasChildren: Bool
    var children: [RateRowView]
    var childrenCSV: String?
}

struct RankingPage {
    var chrome: Chrome
    var groupName: String
    /// This page's rows (`Paging.rankingSize` at most), ranked over the whole list.
    var rows: [RateRowView]
    var pager: Pager?
    var empty: Bool
    var csv: String
    var funnel: FunnelPlot
}

struct HeatMapPage {
    var chrome: Chrome
    var map: HeatMap
    var csv: String
}

extension WebController {
    // MARK: Overview

    @Sendable func overview(_ request: Request, context: ServerRequestContext) async throws -> Response {
        let visit = try await visit(request)
        let scope = try await unitScope(visit, context, page: .overview)
        let text = visit.text, format = visit.format
        let (total, childRows) = try await reports.unitBreakdown(
            units: scope.units, root: scope.unit, fromDay: scope.range.fromDay, toDay: scope.range.toDay)
        let children = childRows.map {
            RateRowView($0, label: $0.label, href: WebLinks.unit($0.key, "", scope.range.query), rank: nil, format: format, text: text)
        }
        let trend = try await trendChart(scope, visit: visit)
        let page = OverviewPage(
            chrome: try await chrome(
                visit, page: .overview, title: scope.unit.name, heading: scope.unit.name, unit: scope.unit, range: scope.range),
            headline: Headline(total, format: format, text: text, updated: clock(visit, zone: scope.unit.timeZone)),
            liveURL: WebLinks.unit(scope.unit.code, "/live", rangeItems(scope.range)),
            trend: trend, hasChildren: !children.isEmpty, children: children,
            childrenCSV: children.isEmpty ? nil : WebLinks.unit(scope.unit.code, "/children.csv", rangeItems(scope.range)))
        return render(page, template: "overview", visit: visit)
    }

    /// The range as explicit days, for links that must mean the same days later (CSV, live).
    func rangeItems(_ range: PageRange) -> [(String, String)] {
        [("from", SatisfactionReport.dayKey(range.fromDay)), ("to", SatisfactionReport.dayKey(range.toDay))]
    }

    private func clock(_ visit: WebVisit, zone: String) -> String {
        let now = server.now()
        let offset = reports.zones.offset(zone, atSecond: floorDiv(now.microseconds, 1_000_000))
        return visit.format.dateTime(now, offsetSeconds: offset)
    }

    /// Day buckets up to a month, weeks up to about half a year, months beyond.
    private func trendChart(_ scope: UnitScope, visit: WebVisit) async throws -> TrendChart {
        let text = visit.text, format = visit.format
        let span = scope.range.toDay - scope.range.fromDay + 1
        let dimension: ReportDimension = span <= 31 ? .day : span <= 190 ? .week : .month
        var keys: [String] = []
        var labels: [String: String] = [:]
        for day in scope.range.fromDay...scope.range.toDay {
            let key: String
            switch dimension {
            case .day: key = SatisfactionReport.dayKey(day)
            case .week: key = SatisfactionReport.weekKey(day)
            default: key = SatisfactionReport.monthKey(day)
            }
            if keys.last != key {
                keys.append(key)
                let (year, month, dayOfMonth) = CivilDate.fromDays(day)
                switch dimension {
                case .month: labels[key] = visit.language == .vi ? "\(WebFormat.pad(month))/\(year)" : String(format.date(day).split(separator: " ").dropFirst().joined(separator: " "))
                default: labels[key] = visit.language == .vi ? "\(WebFormat.pad(dayOfMonth))/\(WebFormat.pad(month))" : String(format.date(day).split(separator: " ").prefix(2).joined(separator: " "))
                }
            }
        }
        let rows = try await reports.rows(units: scope.units, fromDay: scope.range.fromDay, toDay: scope.range.toDay, by: dimension)
        let bucketName = text[dimension == .day ? "bucketDay" : dimension == .week ? "bucketWeek" : "bucketMonth"]
        return TrendChart(
            keys: keys, labels: labels, rows: Dictionary(rows.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a }), text: text, format: format,
            bucketName: bucketName, csv: WebLinks.unit(scope.unit.code, "/report.csv", [("by", dimension.rawValue)] + rangeItems(scope.range)))
    }

    /// `GET /units/{code}/live`: the headline as JSON for the overview's script; an unchanged
    /// headline answers 304 to the previous answer's ETag.
    @Sendable func live(_ request: Request, context: ServerRequestContext) async throws -> Response {
        let visit = try await visit(request)
        let scope = try await unitScope(visit, context, page: .overview)
        let (total, _) = try await reports.unitBreakdown(units: scope.units, root: scope.unit, fromDay: scope.range.fromDay, toDay: scope.range.toDay)
        let tag = "\"\(total.total)-\(total.satisfied)-\(total.responseRate.map(WebFormat.plain) ?? "")-\(visit.language.rawValue)\""
        if request.headers[.ifNoneMatch] == tag {
            return Response(status: .notModified, headers: [.eTag: tag, .cacheControl: "no-cache"])
        }
        let headline = Headline(total, format: visit.format, text: visit.text, updated: clock(visit, zone: scope.unit.timeZone))
        var response = try Response.json(headline)
        response.headers[.eTag] = tag
        response.headers[.cacheControl] = "no-cache"
        return response
    }

    // MARK: Clerks and counters

    @Sendable func clerks(_ request: Request, context: ServerRequestContext) async throws -> Response {
        try await ranking(request, context: context, page: .clerks)
    }

    @Sendable func counters(_ request: Request, context: ServerRequestContext) async throws -> Response {
        try await ranking(request, context: context, page: .counters)
    }

    private func ranking(_ request: Request, context: ServerRequestContext, page kind: PageKind) async throws -> Response {
        let visit = try await visit(request)
        let scope = try await unitScope(visit, context, page: kind)
        let text = visit.text, format = visit.format
        let dimension: ReportDimension = kind == .clerks ? .clerk : .counter
        let rows = try await reports.rows(units: scope.units, fromDay: scope.range.fromDay, toDay: scope.range.toDay, by: dimension)
        let total = rows.reduce(Int64(0)) { $0 + $1.total }
        let satisfied = rows.reduce(Int64(0)) { $0 + $1.satisfied }
        let target = total > 0 ? Double(satisfied) / Double(total) : 0
        let limits = FunnelLimits(target: target)
        var rank = 0
        let views = rows.map { row -> RateRowView in
            var place: Int?
            if !row.insufficient {
                rank += 1
                place = rank
            }
            let position = row.rate.map { text.position(limits.position(rate: $0, n: row.total)) }
            let label = dimension == .clerk && row.key.isEmpty ? text["noClerk"] : row.label
            return RateRowView(row, label: label, href: nil, rank: place, format: format, text: text, position: position)
        }
        let paging = try Paging(total: views.count, size: Paging.rankingSize, asked: request.uri.queryParameters.get("page").map { String($0) })
        let path = kind == .clerks ? "/clerks" : "/counters"
        let pager = Pager(paging, total: views.count, text: text, format: format) { number in
            WebLinks.unit(scope.unit.code, path, scope.range.query + [("page", String(number))])
        }
        let heading = text[kind == .clerks ? "clerksHeading" : "countersHeading"] + " — " + scope.unit.name
        let page = RankingPage(
            chrome: try await chrome(visit, page: kind, title: heading, heading: heading, unit: scope.unit, range: scope.range),
            groupName: text[kind == .clerks ? "clerk" : "counter"], rows: Array(views[paging.rows]), pager: pager, empty: views.isEmpty,
            csv: WebLinks.unit(scope.unit.code, "/report.csv", [("by", dimension.rawValue)] + rangeItems(scope.range)),
            funnel: FunnelPlot(rows: rows, labels: [:], target: target, text: text, format: format))
        return render(page, template: "ranking", visit: visit)
    }

    // MARK: Heat map

    @Sendable func heatmap(_ request: Request, context: ServerRequestContext) async throws -> Response {
        let visit = try await visit(request)
        let scope = try await unitScope(visit, context, page: .heatmap)
        let rows = try await reports.rows(units: scope.units, fromDay: scope.range.fromDay, toDay: scope.range.toDay, by: .hour)
        let heading = visit.text["heatmap"] + " — " + scope.unit.name
        let page = HeatMapPage(
            chrome: try await chrome(visit, page: .heatmap, title: heading, heading: heading, unit: scope.unit, range: scope.range),
            map: HeatMap(hours: rows, minimumN: reports.minimumN, text: visit.text, format: visit.format),
            csv: WebLinks.unit(scope.unit.code, "/report.csv", [("by", "hour")] + rangeItems(scope.range)))
        return render(page, template: "heatmap", visit: visit)
    }

    // MARK: CSV

    /// `GET /units/{code}/report.csv?by=…`: byte for byte the API's `format=csv` for the range.
    @Sendable func reportCSV(_ request: Request, context: ServerRequestContext) async throws -> Response {
        let visit = try await visit(request)
        let scope = try await unitScope(visit, context, page: .overview)
        let byText = request.uri.queryParameters.get("by") ?? "unit"
        guard let by = ReportDimension(rawValue: byText) else {
            throw APIError.badRequest("by must be one of \(ReportDimension.allCases.map(\.rawValue).joined(separator: "|")), not \(byText)")
        }
        let rows = try await reports.rows(units: scope.units, fromDay: scope.range.fromDay, toDay: scope.range.toDay, by: by)
        return Self.csv(CSV.report(rows), filename: "satisfaction-\(scope.unit.code)-\(by.rawValue).csv")
    }

    /// `GET /units/{code}/children.csv`: the overview's table of the units below.
    @Sendable func childrenCSV(_ request: Request, context: ServerRequestContext) async throws -> Response {
        let visit = try await visit(request)
        let scope = try await unitScope(visit, context, page: .overview)
        let (_, children) = try await reports.unitBreakdown(
            units: scope.units, root: scope.unit, fromDay: scope.range.fromDay, toDay: scope.range.toDay)
        return Self.csv(CSV.report(children), filename: "satisfaction-\(scope.unit.code)-children.csv")
    }
}
