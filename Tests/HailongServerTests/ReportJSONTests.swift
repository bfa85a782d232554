import Foundation
import HailongDomain
@testable import HailongServer
import Testing

@Suite struct SegmentTests {
    private func day(_ y: Int64, _ m: Int64, _ d: Int64) -> Int64 { CivilDate.toDays(year: y, month: m, day: d) }

    @Test func rangesSplitIntoYearsMonthsWeeksAndDays() {
        let segments = SatisfactionReport.segments(fromDay: day(2025, 11, 20), toDay: day(2027, 2, 3)).map(\.description)
        #expect(
            segments == [
                // Nov 20–30, 2025 (Thursday on): the weeks of Nov 17 and Nov 24, minus Nov 17–19.
                "-day \(day(2025, 11, 17))...\(day(2025, 11, 19))",
                "day \(day(2027, 2, 1))...\(day(2027, 2, 3))",
                "week \((day(2025, 11, 17) + 3) / 7)...\((day(2025, 11, 24) + 3) / 7)",
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
