import HailongDomain

/// Writes the JSON of a satisfaction report (`{"rows": [...]}`), byte for byte the object
/// Foundation's JSONEncoder wrote with `.sortedKeys`: the same keys in the same order, counts as
/// numbers, absent rates left out. Numbers may be spelt differently (`1.0` where JSONEncoder wrote
/// `1`); they are the same numbers.
///
/// Written here, not by an encoder: a year's report by clerk over a city is 2,000 rows (~450 KB),
/// and the request has 10 ms (issue 14). Foundation's JSONEncoder took ~25 ms for it;
/// SwiftProtobuf's JSON encoder, which wrote it before, 2.1–3.7 ms — a third of the
/// request's CPU in a profile (a dynamic cast per object, every field name escaped anew). These
/// lines write the one shape of a report row in ~0.3 ms. `ReportBodyTests` holds them to
/// JSONEncoder's object on random reports with troublesome text.
enum ReportBody {
    static func json(_ report: Report) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(16 + report.rows.count * 260)
        append("{\"rows\":[", to: &out)
        for (index, row) in report.rows.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            write(row, to: &out)
        }
        append("]}", to: &out)
        return out
    }

    private static func write(_ row: ReportRow, to out: inout [UInt8]) {
        append(row.insufficient ? "{\"insufficient\":true,\"key\":" : "{\"insufficient\":false,\"key\":", to: &out)
        string(row.key, to: &out)
        append(",\"label\":", to: &out)
        string(row.label, to: &out)
        append(",\"levels\":{", to: &out)
        levels(row.levels, to: &out)
        out.append(UInt8(ascii: "}"))
        number(",\"rate\":", row.rate, to: &out)
        number(",\"responseRate\":", row.responseRate, to: &out)
        append(",\"satisfied\":", to: &out)
        integer(row.satisfied, to: &out)
        append(",\"total\":", to: &out)
        integer(row.total, to: &out)
        number(",\"wilsonHigh\":", row.wilsonHigh, to: &out)
        number(",\"wilsonLow\":", row.wilsonLow, to: &out)
        out.append(UInt8(ascii: "}"))
    }

    /// The levels in JSONEncoder's sorted key order. They are "1"…"5" (DESIGN §2), placed by
    /// their digit without sorting; any other key is written all the same, sorted.
    private static func levels(_ levels: [String: Int64], to out: inout [UInt8]) {
        var byDigit: (Int64?, Int64?, Int64?, Int64?, Int64?) = (nil, nil, nil, nil, nil)
        var other = false
        for (key, count) in levels {
            let utf8 = key.utf8
            switch utf8.count == 1 ? utf8.first : nil {
            case UInt8(ascii: "1"): byDigit.0 = count
            case UInt8(ascii: "2"): byDigit.1 = count
            case UInt8(ascii: "3"): byDigit.2 = count
            case UInt8(ascii: "4"): byDigit.3 = count
            case UInt8(ascii: "5"): byDigit.4 = count
            default: other = true
            }
        }
        var first = true
        func level(_ key: String, _ count: Int64) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            string(key, to: &out)
            out.append(UInt8(ascii: ":"))
            integer(count, to: &out)
        }
        guard !other else {
            for (key, count) in levels.sorted(by: { $0.key < $1.key }) { level(key, count) }
            return
        }
        if let count = byDigit.0 { level("1", count) }
        if let count = byDigit.1 { level("2", count) }
        if let count = byDigit.2 { level("3", count) }
        if let count = byDigit.3 { level("4", count) }
        if let count = byDigit.4 { level("5", count) }
    }

    private static func append(_ text: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// `name` and the number, or nothing when absent. Rates are finite (a ratio of counts); one
    /// that is not, which JSON cannot spell, is left out as absent.
    private static func number(_ name: StaticString, _ value: Double?, to out: inout [UInt8]) {
        guard let value, value.isFinite else { return }
        append(name, to: &out)
        // Swift's shortest round-trip spelling (`0.5`, `1.0`, `6.1e-05`) is a JSON number.
        var text = value.description
        text.withUTF8 { out.append(contentsOf: $0) }
    }

    private static func integer(_ value: Int64, to out: inout [UInt8]) {
        // At most 20 characters: a small string, no allocation.
        var text = String(value)
        text.withUTF8 { out.append(contentsOf: $0) }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    /// A JSON string: `"` and `\` escaped, control characters as `\n`, `\t`… or `\u00XX`,
    /// everything else as its UTF-8.
    private static func string(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            var start = 0
            for (index, byte) in bytes.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                out.append(contentsOf: bytes[start..<index])
                start = index + 1
                out.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(byte)
                case 0x0A: out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(UInt8(ascii: "r"))
                case 0x09: out.append(UInt8(ascii: "t"))
                case 0x08: out.append(UInt8(ascii: "b"))
                case 0x0C: out.append(UInt8(ascii: "f"))
                default: out.append(contentsOf: [UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]])
                }
            }
            out.append(contentsOf: bytes[start...])
        }
        out.append(UInt8(ascii: "\""))
    }
}
