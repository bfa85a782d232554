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
