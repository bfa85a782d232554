import Mustache

// Direct lookups for the view models a page renders hundreds or thousands of times (a city's
// ranking has 2,000 rows and as many funnel points): swift-mustache otherwise reflects the value
// with `Mirror` on every `{{name}}`, and every name a row does not have is looked up again in
// the contexts below it. 1.2 s for a city's clerk page, most of it there.

extension RateRowView: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "key": key
        case "label": label
        case "href": href
        case "rank": rank
        case "total": total
        case "totalText": totalText
        case "satisfied": satisfied
        case "rateValue": rateValue
        case "rateText": rateText
        case "lowText": lowText
        case "highText": highText
        case "responseText": responseText
        case "insufficient": insufficient
        case "barLow": barLow
        case "barWidth": barWidth
        case "barRate": barRate
        case "hasRate": hasRate
        case "position": position
        default: nil
        }
    }
}

extension FunnelPlot.Point: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "x": x
        case "y": y
        case "shape": shape
        case "path": path
        case "title": title
        default: nil
        }
    }
}

extension HeatMap.Cell: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "x": x
        case "y": y
        case "fill": fill
        case "ink": ink
        case "text": text
        case "volume": volume
        case "small": small
        case "title": title
        default: nil
        }
    }
}

extension Chrome: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "lang": lang
        case "otherLang": otherLang
        case "langHref": langHref
        case "langLabel": langLabel
        case "t": t
        case "title": title
        case "heading": heading
        case "account": account
        case "csrf": csrf
        case "nav": nav
        case "hasBreadcrumbs": hasBreadcrumbs
        case "breadcrumbs": breadcrumbs
        case "picker": picker
        case "rateNote": rateNote
        default: nil
        }
    }
}
