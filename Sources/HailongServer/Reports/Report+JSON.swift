import HailongDomain

/// A report as JSON, written by hand: a year's `by=clerk` report for a city has thousands of
/// rows, and Foundation's encoder would be most of the request's time. Same shape and key
/// order as `JSONEncoder.hailong` (sorted keys, absent optionals left out).
enum ReportJSON {
    static func encode(_ report: Report) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + report.rows.count * 256)
        out.append(contentsOf: "{\"rows\":[".utf8)
        for (index, row) in report.rows.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: "{\"insufficient\":\(row.insufficient),\"key\":".utf8)
            string(row.key, into: &out)
            out.append(contentsOf: ",\"label\":".utf8)
            string(row.label, into: &out)
            out.append(contentsOf: ",\"levels\":{".utf8)
            for (n, level) in row.levels.keys.sorted().enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                string(level, into: &out)
                out.append(contentsOf: ":\(row.levels[level] ?? 0)".utf8)
            }
            out.append(UInt8(ascii: "}"))
            if let rate = row.rate { out.append(contentsOf: ",\"rate\":\(number(rate))".utf8) }
            if let response = row.responseRate { out.append(contentsOf: ",\"responseRate\":\(number(response))".utf8) }
            out.append(contentsOf: ",\"satisfied\":\(row.satisfied),\"total\":\(row.total)".utf8)
            if let high = row.wilsonHigh { out.append(contentsOf: ",\"wilsonHigh\":\(number(high))".utf8) }
            if let low = row.wilsonLow { out.append(contentsOf: ",\"wilsonLow\":\(number(low))".utf8) }
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: "]}".utf8)
        return out
    }

    /// Shortest round-trip form, integral values without ".0" (as Foundation writes them).
    static func number(_ value: Double) -> String {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return value.isFinite ? "\(value)" : "null"
    }

    static func string(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [92, 34]
            case UInt8(ascii: "\\"): out += [92, 92]
            case 0x0A: out += [92, UInt8(ascii: "n")]
            case 0x0D: out += [92, UInt8(ascii: "r")]
            case 0x09: out += [92, UInt8(ascii: "t")]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += [92, UInt8(ascii: "u"), 48, 48, hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
