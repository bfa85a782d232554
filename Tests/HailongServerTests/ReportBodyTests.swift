import Foundation
import HailongDomain
@testable import HailongServer
import HailongTestSupport
import Testing

/// Report JSON is written by `ReportBody`: it must be the object Foundation's JSONEncoder wrote —
/// the keys in sorted order, counts as numbers, absent rates left out, `false`/0/`{}` written —
/// and read back by clients' Codable as the same report.
@Suite struct ReportBodyTests {
    @Test func rowsAreWrittenWithSortedKeysAndNumbers() throws {
        let report = Report(rows: [
            ReportRow(
                key: "NV01", label: "Nguyễn Văn \"Bé\", Tổ 1", levels: ["3": 5, "1": 2], total: 7, satisfied: 5, rate: 0.5,
                wilsonLow: 0.25, wilsonHigh: 0.75, responseRate: 1, insufficient: false),
            ReportRow(
                key: "", label: "", levels: [:], total: 0, satisfied: 0, rate: nil, wilsonLow: nil, wilsonHigh: nil,
                responseRate: nil, insufficient: true),
        ])
        let text = String(decoding: ReportBody.json(report), as: UTF8.self)
        #expect(
            text == """
                {"rows":[{"insufficient":false,"key":"NV01","label":"Nguyễn Văn \\"Bé\\", Tổ 1","levels":{"1":2,"3":5},\
                "rate":0.5,"responseRate":1.0,"satisfied":5,"total":7,"wilsonHigh":0.75,"wilsonLow":0.25},\
                {"insufficient":true,"key":"","label":"","levels":{},"satisfied":0,"total":0}]}
                """)
    }

    /// Random reports: what clients decode equals what was encoded, and the object equals the one
    /// JSONEncoder writes (numbers compared as numbers).
    @Test func randomReportsReadBackAsJSONEncoderWroteThem() throws {
        var random = SplitMix64(seed: 20261201)
        let pieces = ["a", "7", " ", "\"", "\\", "/", ",", "\n", "\u{1}", "\u{7f}", "Nguyễn", "Nguye\u{0302}\u{0303}n", "😀", "Quầy 1"]
        func text() -> String { (0..<Int(random.below(5))).map { _ in pieces[Int(random.below(UInt64(pieces.count)))] }.joined() }
        func count() -> Int64 { random.below(4) == 0 ? Int64(bitPattern: random.next()) : Int64(random.below(10_000)) }
        func fraction() -> Double? { random.below(4) == 0 ? nil : Double(random.below(1_000_001)) / Double(1 + random.below(1_000_000)) }
        for _ in 0..<200 {
            let rows = (0..<Int(random.below(6))).map { _ in
                var levels: [String: Int64] = [:]
                for level in 1...5 where random.below(2) == 0 { levels[String(level)] = count() }
                return ReportRow(
                    key: text(), label: text(), levels: levels, total: count(), satisfied: count(), rate: fraction(),
                    wilsonLow: fraction(), wilsonHigh: fraction(), responseRate: fraction(), insufficient: random.below(2) == 0)
            }
            let report = Report(rows: rows)
            let bytes = Data(ReportBody.json(report))
            #expect(try JSONDecoder().decode(Report.self, from: bytes) == report)
            let ours = try JSONSerialization.jsonObject(with: bytes) as? NSDictionary
            let foundation = try JSONSerialization.jsonObject(with: JSONEncoder.hailong.encode(report)) as? NSDictionary
            #expect(ours != nil && ours == foundation)
        }
    }

    @Test func anEmptyReportHasEmptyRows() throws {
        #expect(String(decoding: ReportBody.json(Report(rows: [])), as: UTF8.self) == #"{"rows":[]}"#)
    }

    /// A level outside 1–5 (none exists, DESIGN §2) is written all the same, in sorted order.
    @Test func anyLevelKeyIsWrittenInSortedOrder() throws {
        let report = Report(rows: [
            ReportRow(
                key: "k", label: "l", levels: ["6": 1, "10": 2, "2": 3], total: 6, satisfied: 0, rate: 0, wilsonLow: 0, wilsonHigh: 0.79,
                responseRate: nil, insufficient: true)
        ])
        let ours = try JSONSerialization.jsonObject(with: Data(ReportBody.json(report))) as? NSDictionary
        let foundation = try JSONSerialization.jsonObject(with: JSONEncoder.hailong.encode(report)) as? NSDictionary
        #expect(ours != nil && ours == foundation)
        let text = String(decoding: ReportBody.json(report), as: UTF8.self)
        #expect(text.contains(#""levels":{"10":2,"2":3,"6":1}"#), "\(text)")
        #expect(try JSONDecoder().decode(Report.self, from: Data(ReportBody.json(report))) == report)
    }

    /// Numbers at their limits: the largest and smallest counts, rates near 0 and 1 (exponents).
    @Test func extremeNumbersReadBackUnchanged() throws {
        let report = Report(rows: [
            ReportRow(
                key: "\u{0}\u{1f}\t", label: "\u{2028}", levels: ["1": Int64.max, "2": Int64.min, "3": 0], total: -1, satisfied: Int64.min,
                rate: 1e-300, wilsonLow: 5e-324, wilsonHigh: 0.9999999999999999, responseRate: 1, insufficient: false)
        ])
        let bytes = Data(ReportBody.json(report))
        #expect(try JSONDecoder().decode(Report.self, from: bytes) == report)
        #expect(String(decoding: bytes, as: UTF8.self).contains(#""key":"\u0000\u001f\t""#))
    }
}
