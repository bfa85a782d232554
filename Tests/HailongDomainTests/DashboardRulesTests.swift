import HailongDomain
import Testing

/// The dashboard's pure rules: the period picker, funnel limits, opening hours.
@Suite struct DashboardRulesTests {
    /// 2026-12-02, a Wednesday.
    static let today = CivilDate.toDays(year: 2026, month: 12, day: 2)

    @Test func namedPeriodsEndToday() {
        let d = Self.today
        #expect(ReportPeriod.named(.today).days(today: d) == (d, d))
        #expect(ReportPeriod.named(.last7Days).days(today: d) == (d - 6, d))
        #expect(ReportPeriod.named(.last30Days).days(today: d) == (d - 29, d))
        #expect(ReportPeriod.named(.month).days(today: d) == (CivilDate.toDays(year: 2026, month: 12, day: 1), d))
        #expect(ReportPeriod.named(.quarter).days(today: d) == (CivilDate.toDays(year: 2026, month: 10, day: 1), d))
        #expect(ReportPeriod.named(.year).days(today: d) == (CivilDate.toDays(year: 2026, month: 1, day: 1), d))
        // Every month's quarter starts on the first of month 1, 4, 7 or 10.
        for month in Int64(1)...12 {
            let day = CivilDate.toDays(year: 2026, month: month, day: 15)
            let (from, _) = ReportPeriod.named(.quarter).days(today: day)
            #expect(CivilDate.fromDays(from) == (2026, (month - 1) / 3 * 3 + 1, 1))
        }
    }

    @Test func parsingTakesDatesOverNamesAndRefusesNonsense() throws {
        let d = Self.today
        #expect(try ReportPeriod.parse(period: nil, from: nil, to: nil, today: d) == .named(.last30Days))
        #expect(try ReportPeriod.parse(period: "7d", from: nil, to: nil, today: d) == .named(.last7Days))
        #expect(try ReportPeriod.parse(period: "", from: "", to: "", today: d) == .named(.last30Days))
        #expect(
            try ReportPeriod.parse(period: "year", from: "2026-03-04", to: "2026-11-20", today: d)
                == .range(from: CivilDate.toDays(year: 2026, month: 3, day: 4), to: CivilDate.toDays(year: 2026, month: 11, day: 20)))
        #expect(try ReportPeriod.parse(period: nil, from: nil, to: "2026-11-30", today: d).days(today: d).from == CivilDate.toDays(year: 2026, month: 11, day: 1))
        #expect(throws: ReportPeriod.Problem.unknownName("week")) { try ReportPeriod.parse(period: "week", from: nil, to: nil, today: d) }
        #expect(throws: ReportPeriod.Problem.notADate(field: "from", text: "02/12/2026")) {
            try ReportPeriod.parse(period: nil, from: "02/12/2026", to: nil, today: d)
        }
        #expect(throws: ReportPeriod.Problem.reversed) { try ReportPeriod.parse(period: nil, from: "2026-12-03", to: "2026-12-01", today: d) }
        #expect(throws: ReportPeriod.Problem.tooLong) { try ReportPeriod.parse(period: nil, from: "2000-01-01", to: "2026-12-01", today: d) }
    }

    @Test func funnelLimitsNarrowWithNAndOrderThePositions() {
        let limits = FunnelLimits(target: 0.8)
        var previous = 1.0
        for n in [5, 20, 100, 1000, 10_000] as [Int64] {
            let inner = limits.limits(n: n, z: FunnelLimits.z95)
            let outer = limits.limits(n: n, z: FunnelLimits.z998)
            #expect(outer.low <= inner.low && inner.low <= 0.8 && 0.8 <= inner.high && inner.high <= outer.high)
            #expect(inner.high - inner.low < previous)
            previous = inner.high - inner.low
        }
        // n = 100 at p0 0.8: σ = 0.04; 95 % ±0.0784, 99.8 % ±0.1236.
        #expect(limits.position(rate: 0.80, n: 100) == .within)
        #expect(limits.position(rate: 0.70, n: 100) == .below95)
        #expect(limits.position(rate: 0.66, n: 100) == .below998)
        #expect(limits.position(rate: 0.90, n: 100) == .above95)
        #expect(limits.position(rate: 0.93, n: 100) == .above998)
        // The same 70 % from 10 ratings is noise.
        #expect(limits.position(rate: 0.70, n: 10) == .within)
        #expect(FunnelLimits(target: 1.5).target == 1)
        #expect(FunnelLimits(target: 0.5).limits(n: 0, z: FunnelLimits.z95) == (0, 1))
    }

    @Test func openingHoursAreWeekdayOfficeHoursAndSaturdayMorning() {
        let monday = CivilDate.toDays(year: 2026, month: 11, day: 30) * 86_400
        func at(_ dayOffset: Int64, _ hour: Int64, _ minute: Int64) -> Int64 { monday + dayOffset * 86_400 + hour * 3600 + minute * 60 }
        let hours = OpeningHours.standard
        #expect(!hours.isOpen(localSecond: at(0, 7, 29)))
        #expect(hours.isOpen(localSecond: at(0, 7, 30)))
        #expect(hours.isOpen(localSecond: at(4, 17, 0)))
        #expect(!hours.isOpen(localSecond: at(4, 17, 1)))
        #expect(hours.isOpen(localSecond: at(5, 11, 0)))
        #expect(!hours.isOpen(localSecond: at(5, 13, 0)))
        #expect(!hours.isOpen(localSecond: at(6, 10, 0)))
        // Before 1970 (negative seconds) the weekday still holds: 1969-12-29 was a Monday.
        #expect(hours.isOpen(localSecond: -3 * 86_400 + 9 * 3600))
    }
}
