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
}
