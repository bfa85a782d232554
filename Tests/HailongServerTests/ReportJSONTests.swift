import Foundation
import HailongDomain
@testable import HailongServer
import Testing

@Suite struct ReportJSONTests {
    /// The hand-written report JSON decodes to the same rows, strings with quotes, commas,
    /// control characters and Vietnamese included, and matches Foundation's bytes.
    @Test func sameAsFoundation() throws {
        let report = Report(rows: [
            ReportRow(key: "NV01", label: "Trần \"Văn\", Bình\\\n\u{1}/", levels: [3: 5, 2: 1, 1: 0], satisfied: 6, rated: 3, unrated: 1, minimumN: 3),
            ReportRow(key: "", label: "", levels: [:], satisfied: 0, rated: 0, unrated: 0, minimumN: 3),
            ReportRow(key: "x", label: "y", levels: [1: 1], satisfied: 0, rated: 0, unrated: 2, minimumN: 0),
        ])
        let bytes = ReportJSON.encode(report)
        #expect(try JSONDecoder().decode(Report.self, from: Data(bytes)) == report)
        let foundation = Array(try JSONEncoder.hailong.encode(report))
        #expect(String(decoding: bytes, as: UTF8.self) == String(decoding: foundation, as: UTF8.self))
    }
}

@Suite struct SegmentTests {
    private func day(_ y: Int64, _ m: Int64, _ d: Int64) -> Int64 { CivilDate.toDays(year: y, month: m, day: d) }

    @Test func rangesSplitIntoYearsMonthsAndDays() {
        let segments = SatisfactionReport.segments(fromDay: day(2025, 11, 20), toDay: day(2027, 2, 3)).map(\.description)
        #expect(
            segments == [
                "day \(day(2025, 11, 20))...\(day(2025, 11, 30))",
                "day \(day(2027, 2, 1))...\(day(2027, 2, 3))",
                "month \(2025 * 12 + 11)...\(2025 * 12 + 11)",
                "month \(2027 * 12)...\(2027 * 12)",
                "year 2026...2026",
            ])
        let calendar = SatisfactionReport.segments(fromDay: day(2026, 1, 1), toDay: day(2026, 12, 31)).map(\.description)
        #expect(calendar == ["year 2026...2026"])
        let mostly = SatisfactionReport.segments(fromDay: day(2026, 3, 5), toDay: day(2026, 3, 31)).map(\.description)
        #expect(mostly == ["-day \(day(2026, 3, 1))...\(day(2026, 3, 4))", "month \(2026 * 12 + 2)...\(2026 * 12 + 2)"])
        let short = SatisfactionReport.segments(fromDay: day(2026, 3, 5), toDay: day(2026, 3, 9)).map(\.description)
        #expect(short == ["day \(day(2026, 3, 5))...\(day(2026, 3, 9))"])
    }
}
