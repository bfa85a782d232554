import Foundation
import HailongDomain
import SwiftProtobuf

/// Writes the JSON of a satisfaction report (`{"rows": [...]}`).
///
/// A year's report by clerk over a city is thousands of rows; Foundation's JSONEncoder took
/// ~25 ms for 2,000 of them, most of the request. SwiftProtobuf's JSON encoder writes the same
/// object, described by `report_json.proto`, several times faster: the same keys in the same
/// (sorted) order, counts as numbers, absent rates left out as before. Numbers may be spelt
/// differently (`1.0` where JSONEncoder wrote `1`); they are the same numbers. A level outside
/// 1–5 (none exists, DESIGN §2) would not fit the description, and proto3 leaves an empty
/// `rows` out: such reports are written by JSONEncoder.
enum ReportBody {
    static func json(_ report: Report) throws -> [UInt8] {
        guard !report.rows.isEmpty, let message = message(report) else { return Array(try JSONEncoder.hailong.encode(report)) }
        return try message.jsonUTF8Bytes(options: options)
    }

    private static let options: JSONEncodingOptions = {
        var options = JSONEncodingOptions()
        options.alwaysPrintInt64sAsNumbers = true
        return options
    }()

    static func message(_ report: Report) -> ReportJSON? {
        var message = ReportJSON()
        message.rows.reserveCapacity(report.rows.count)
        for row in report.rows {
            var json = ReportRowJSON()
            json.insufficient = row.insufficient
            json.key = row.key
            json.label = row.label
            var levels = LevelsJSON()
            for (level, count) in row.levels {
                switch level {
                case "1": levels.level1 = count
                case "2": levels.level2 = count
                case "3": levels.level3 = count
                case "4": levels.level4 = count
                case "5": levels.level5 = count
                default: return nil
                }
            }
            json.levels = levels
            if let rate = row.rate { json.rate = rate }
            if let responseRate = row.responseRate { json.responseRate = responseRate }
            json.satisfied = row.satisfied
            json.total = row.total
            if let wilsonHigh = row.wilsonHigh { json.wilsonHigh = wilsonHigh }
            if let wilsonLow = row.wilsonLow { json.wilsonLow = wilsonLow }
            message.rows.append(json)
        }
        return message
    }
}
