import HailongDomain
import Testing

@testable import HailongServer

/// Numbers and dates the Vietnamese way, and English beside.
@Suite struct WebFormatTests {
    @Test func vietnameseNumbersAndDates() {
        let vi = WebFormat(language: .vi)
        #expect(vi.percent(0.875) == "87,5 %")
        #expect(vi.percent(1) == "100,0 %")
        #expect(vi.percent(0) == "0,0 %")
        #expect(vi.percent(nil) == "—")
        #expect(vi.integer(1234) == "1.234")
        #expect(vi.integer(1_234_567) == "1.234.567")
        #expect(vi.integer(999) == "999")
        #expect(vi.date(CivilDate.toDays(year: 2026, month: 12, day: 1)) == "01/12/2026")
        #expect(vi.ago(.seconds(300)) == "5 phút trước")
        #expect(vi.ago(.seconds(7200)) == "2 giờ trước")
        #expect(vi.dateTime(WallTime(rfc3339: "2026-12-01T01:05:00Z") ?? WallTime(microseconds: 0), offsetSeconds: 7 * 3600) == "01/12/2026 08:05")
    }

    @Test func englishBeside() {
        let en = WebFormat(language: .en)
        #expect(en.percent(0.875) == "87.5%")
        #expect(en.integer(1234) == "1,234")
        #expect(en.date(CivilDate.toDays(year: 2026, month: 12, day: 1)) == "1 Dec 2026")
        #expect(en.ago(.seconds(59)) == "59 s ago")
    }

    @Test func svgNumbersUseADot() {
        #expect(WebFormat.plain(12.5) == "12.5")
        #expect(WebFormat.plain(3) == "3")
        #expect(WebFormat.plain(.nan) == "0")
    }

    @Test func everyTemplateParsesAndEveryKeyHasBothLanguages() throws {
        _ = try WebTemplates.library()
        let vi = WebText(language: .vi).all, en = WebText(language: .en).all
        #expect(vi.count == en.count)
        for (key, value) in vi { #expect(!value.isEmpty && !(en[key] ?? "").isEmpty, "\(key)") }
        // Every {{t.key}} a template uses exists.
        for (name, template) in WebTemplates.all {
            var rest = Substring(template)
            while let range = rest.range(of: "{{t.") {
                rest = rest[range.upperBound...]
                let key = String(rest.prefix { $0 != "}" })
                #expect(vi[key] != nil, "\(name): t.\(key)")
            }
        }
    }

    @Test func aLongListIsPagedAndAPageNumberIsChecked() throws {
        func shown(_ paging: Paging) -> String { "\(paging.page)/\(paging.pages) \(paging.rows)" }
        #expect(shown(try Paging(total: 250, size: 100, asked: nil)) == "1/3 0..<100")
        #expect(try Paging(total: 250, size: 100, asked: "2").rows == 100..<200)
        #expect(shown(try Paging(total: 250, size: 100, asked: "3")) == "3/3 200..<250")
        // Past the last page (the list shrank since the link was made): the last page.
        #expect(shown(try Paging(total: 250, size: 100, asked: "9")) == "3/3 200..<250")
        #expect(shown(try Paging(total: 0, size: 100, asked: "1")) == "1/1 0..<0")
        #expect(try Paging(total: 100, size: 100, asked: nil).pages == 1)
        for bad in ["0", "-1", "abc", "1.5", "", " 2", "99999999999999999999"] {
            #expect(throws: APIError.self, "page=\(bad)") { try Paging(total: 250, size: 100, asked: bad) }
        }
        let vi = WebText(language: .vi), en = WebText(language: .en)
        let middle = try Paging(total: 2_500, size: 100, asked: "2")
        let pager = try #require(Pager(middle, total: 2_500, text: vi, format: WebFormat(language: .vi)) { "/p?page=\($0)" })
        #expect(pager.text == "Trang 2/25 · dòng 101–200 trong 2.500")
        #expect(pager.previous == "/p?page=1" && pager.next == "/p?page=3")
        let last = try #require(Pager(try Paging(total: 2_500, size: 100, asked: "25"), total: 2_500, text: en, format: WebFormat(language: .en)) { "/p?page=\($0)" })
        #expect(last.text == "Page 25 of 25 · rows 2,401–2,500 of 2,500")
        #expect(last.previous == "/p?page=24" && last.next == nil)
        #expect(Pager(try Paging(total: 100, size: 100, asked: nil), total: 100, text: en, format: WebFormat(language: .en)) { _ in "" } == nil)
    }

    /// A funnel of a few clerks titles every point; one of thousands draws the points inside the
    /// 95 % limits as one path, a mark per pixel, and still titles every point outside them.
    @Test func aCrowdedFunnelIsOnePathButItsOutliersKeepTheirTitles() {
        func row(_ key: String, n: Int64, satisfied: Int64) -> ReportRow {
            let rate = Double(satisfied) / Double(n)
            return ReportRow(
                key: key, label: "Nhân viên \(key)", levels: [:], total: n, satisfied: satisfied, rate: rate, wilsonLow: nil, wilsonHigh: nil,
                responseRate: nil, insufficient: false)
        }
        let text = WebText(language: .vi), format = WebFormat(language: .vi)
        let few = (0..<10).map { row("c\($0)", n: 100, satisfied: 80) }
        let small = FunnelPlot(rows: few, labels: [:], target: 0.8, text: text, format: format)
        #expect(small.crowd == nil && small.points.count == 10)
        // 2,000 clerks at the unit's rate, two far below it.
        let many = (0..<2_000).map { row("c\($0)", n: 100 + Int64($0 % 50), satisfied: (100 + Int64($0 % 50)) * 8 / 10) }
            + [row("bad1", n: 400, satisfied: 100), row("bad2", n: 300, satisfied: 30)]
        let big = FunnelPlot(rows: many, labels: [:], target: 0.8, text: text, format: format)
        #expect(big.points.map(\.title).filter { $0.hasPrefix("Nhân viên bad") }.count == 2, "\(big.points.map(\.title))")
        #expect(big.points.allSatisfy { $0.shape != "circle" })
        let crowd = big.crowd ?? ""
        let marks = crowd.components(separatedBy: "M").count - 1
        #expect(marks > 0 && marks < 2_000, "\(marks) marks")
        #expect(crowd.utf8.count < 100_000)
    }
}
