import HailongDomain

/// Numbers and dates the way each language writes them: Vietnamese `87,5 %`, `1.234`,
/// `01/12/2026`; English `87.5%`, `1,234`, `1 Dec 2026`.
struct WebFormat: Sendable {
    let language: WebLanguage

    /// A share in [0, 1] as a percentage with one decimal; "—" when absent.
    func percent(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "—" }
        let tenths = Int64((value * 1000).rounded())
        let whole = String(tenths / 10)
        let decimal = String(tenths % 10)
        switch language {
        case .vi: return "\(whole),\(decimal) %"
        case .en: return "\(whole).\(decimal)%"
        }
    }

    /// A whole number with thousands grouped.
    func integer(_ value: Int64) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { grouped.append(language == .vi ? "." : ",") }
            grouped.append(digit)
        }
        return value < 0 ? "-" + grouped : grouped
    }

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// A local day number as a date.
    func date(_ day: Int64) -> String {
        let (year, month, dayOfMonth) = CivilDate.fromDays(day)
        switch language {
        case .vi: return "\(Self.pad(dayOfMonth))/\(Self.pad(month))/\(year)"
        case .en: return "\(dayOfMonth) \(Self.months[Int(month - 1)]) \(year)"
        }
    }

    /// A UTC instant shown in a unit's zone: `01/12/2026 08:05`.
    func dateTime(_ time: WallTime, offsetSeconds: Int64) -> String {
        let local = floorDiv(time.microseconds, 1_000_000) + offsetSeconds
        let day = floorDiv(local, 86_400)
        let second = local - day * 86_400
        return "\(date(day)) \(Self.pad(second / 3600)):\(Self.pad(second % 3600 / 60))"
    }

    /// How long ago: "5 phút trước" / "5 min ago".
    func ago(_ duration: Duration) -> String {
        let seconds = max(0, duration.components.seconds)
        let (value, unitVi, unitEn): (Int64, String, String) =
            seconds < 60 ? (seconds, "giây", "s") : seconds < 3600 ? (seconds / 60, "phút", "min")
            : seconds < 86_400 ? (seconds / 3600, "giờ", "h") : (seconds / 86_400, "ngày", "d")
        switch language {
        case .vi: return "\(value) \(unitVi) trước"
        case .en: return "\(value) \(unitEn) ago"
        }
    }

    /// A number for SVG attributes and `value=` (always a dot, at most 4 decimals).
    static func plain(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let scaled = (value * 10_000).rounded() / 10_000
        var text = String(scaled)
        if text.hasSuffix(".0") { text.removeLast(2) }
        return text
    }

    static func pad(_ value: Int64) -> String { value < 10 ? "0\(value)" : String(value) }
}

/// The dashboard's two languages; Vietnamese is the default.
enum WebLanguage: String, Sendable {
    case vi, en

    /// The language the switch on every page offers, and its name in itself.
    var other: WebLanguage { self == .vi ? .en : .vi }
    var ownName: String { self == .en ? "English" : "Tiếng Việt" }
}
