import Foundation
import HailongDomain
import Hummingbird

/// What every signed-in page shows around its content: the language, the menu, the account,
/// the logout form with its CSRF token, breadcrumbs and the period picker.
struct Chrome: Sendable {
    struct NavLink: Sendable { var href: String; var label: String; var current: Bool }
    struct Crumb: Sendable { var name: String; var href: String? }
    struct PeriodPicker: Sendable {
        struct Option: Sendable { var href: String; var label: String; var current: Bool }
        struct Hidden: Sendable { var name: String; var value: String }
        var action: String
        var hidden: [Hidden]
        var options: [Option]
        var from: String
        var to: String
        var fromText: String
        var toText: String
        var zone: String
    }

    var lang: String
    var otherLang: String
    var langHref: String
    var langLabel: String
    var t: [String: String]
    var title: String
    var heading: String
    var account: String
    var csrf: String
    var nav: [NavLink]
    var hasBreadcrumbs: Bool
    var breadcrumbs: [Crumb]
    var picker: PeriodPicker?
    /// The footnote on how rates are computed, on the pages that show rates.
    var rateNote: Bool
}

/// A signed-in request to a page: who, in which language, and the range it asks for.
struct WebVisit: Sendable {
    let session: WebSession
    let request: Request
    let language: WebLanguage
    /// Set when `?lang=` chose the language: the response remembers it.
    let languageCookie: Cookie?

    var account: Account { session.account }
    var text: WebText { WebText(language: language) }
    var format: WebFormat { WebFormat(language: language) }

    /// The page's own path and query without `lang`, for the language switch.
    func languageSwitch() -> (href: String, label: String, other: String) {
        let other = language.other
        var items = request.uri.queryParameters.filter { $0.key != "lang" }.map { ($0.key, $0.value) }
        items.append(("lang", Substring(other.rawValue)))
        return (request.uri.path + "?" + WebLinks.query(items.map { (String($0.0), String($0.1)) }), other.ownName, other.rawValue)
    }
}

/// The resolved range of a page.
struct PageRange: Sendable {
    var period: ReportPeriod
    var fromDay: Int64
    var toDay: Int64
    /// The query that asks for this range again (`period=7d` or `from=…&to=…`).
    var query: [(String, String)]
}

/// Building links: percent-encoded paths and queries.
enum WebLinks {
    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func component(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "" }

    static func query(_ items: [(String, String)]) -> String {
        items.map { "\(component($0.0))=\(component($0.1))" }.joined(separator: "&")
    }

    static func unit(_ code: String, _ page: String = "", _ query: [(String, String)] = []) -> String {
        "/units/\(component(code))\(page)" + (query.isEmpty ? "" : "?" + self.query(query))
    }
}
