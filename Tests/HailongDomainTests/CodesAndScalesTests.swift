@testable import HailongDomain
import Testing

@Suite("Codes, NFC and scales")
struct CodesAndScalesTests {
    @Test("clerk names arrive composed or decomposed and compare equal, stored NFC")
    func nfc() throws {
        let composed = "Nguy\u{1EC5}n Th\u{1ECB} \u{00C1}nh"
        let decomposed = "Nguye\u{0302}\u{0303}n Thi\u{0323} A\u{0301}nh"
        #expect(composed.unicodeScalars.count != decomposed.unicodeScalars.count)
        let a = try ClerkID(composed), b = try ClerkID(decomposed)
        #expect(a == b)
        #expect(Array(b.value.unicodeScalars) == Array(composed.unicodeScalars))
        // Text.nfc composes what needs composing, and leaves ASCII (its fast path) as it is.
        #expect(Array(Text.nfc(decomposed).unicodeScalars) == Array(composed.unicodeScalars))
        #expect(Array(Text.nfc("x" + decomposed).unicodeScalars) == Array(("x" + composed).unicodeScalars))
        let ascii = String(decoding: (0..<128).map { UInt8($0) }, as: UTF8.self)
        #expect(Array(Text.nfc(ascii).utf8) == Array(ascii.utf8))
    }

    @Test("dossier codes: 1–64 printable characters")
    func dossierCodes() throws {
        #expect(try DossierCode("000.30.25.H17-240702-0012").value == "000.30.25.H17-240702-0012")
        #expect(try DossierCode(String(repeating: "x", count: 64)).value.count == 64)
        #expect(throws: CodeError.tooLong(field: "dossier", length: 65, maximum: 64)) {
            try DossierCode(String(repeating: "x", count: 65))
        }
        #expect(throws: CodeError.empty(field: "dossier")) { try DossierCode("") }
        #expect(throws: CodeError.notPrintable(field: "dossier", position: 4)) { try DossierCode("abc\ndef") }
        #expect(throws: CodeError.notPrintable(field: "dossier", position: 4)) { try DossierCode("abc def") }
        #expect(throws: CodeError.notPrintable(field: "dossier", position: 2)) { try DossierCode("a\u{200B}b") }
    }

    @Test("clerk names: spaces inside allowed, trimmed at the ends, at most 100 characters")
    func clerkNames() throws {
        #expect(try ClerkID("  Lê Văn C  ").value == "Lê Văn C")
        #expect(throws: CodeError.empty(field: "clerk")) { try ClerkID("   ") }
        #expect(throws: CodeError.self) { try ClerkID(String(repeating: "ễ", count: 101)) }
        // Length counts characters, not bytes or scalars: 100 decomposed "ễ" fit.
        #expect(try ClerkID(String(repeating: "e\u{0302}\u{0303}", count: 100)).value.count == 100)
    }

    @Test(
        "scales: levels, labels in Vietnamese and English, satisfied sets",
        arguments: [
            (Scale.vn3, [3, 2, 1], Set([3, 2])),
            (.happy4, [4, 3, 2, 1], Set([4, 3])),
            (.vn5, [5, 4, 3, 2, 1], Set([5, 4])),
        ])
    func scales(scale: Scale, levels: [Int], satisfied: Set<Int>) {
        #expect(scale.levels == levels)
        #expect(scale.satisfiedLevels == satisfied)
        #expect((-1...7).filter(scale.isSatisfied) == (-1...7).filter(satisfied.contains))
        for level in levels {
            let label = scale.label(for: level)
            #expect(label != nil && !(label?.vi.isEmpty ?? true) && !(label?.en.isEmpty ?? true))
        }
        #expect(scale.label(for: 0) == nil)
        #expect(Scale.vn3.label(for: 3)?.vi == "Rất hài lòng")
        #expect(Scale.vn3.label(for: 1)?.vi == "Không hài lòng")
    }

    @Test("RFC 3339 formatting and parsing round-trip, with offsets and leap years")
    func rfc3339() {
        #expect(WallTime(microseconds: 0).rfc3339 == "1970-01-01T00:00:00Z")
        #expect(WallTime(microseconds: 1_719_878_400_250_000).rfc3339 == "2024-07-02T00:00:00.250Z")
        #expect(WallTime(microseconds: 951_782_400_000_001).rfc3339 == "2000-02-29T00:00:00.000001Z")
        #expect(WallTime(rfc3339: "2024-07-02T07:00:00+07:00") == WallTime(microseconds: 1_719_878_400_000_000))
        #expect(WallTime(rfc3339: "2024-07-02T00:00:00.25Z")?.microseconds == 1_719_878_400_250_000)
        #expect(WallTime(rfc3339: "2023-02-29T00:00:00Z") == nil)
        #expect(WallTime(rfc3339: "2024-07-02 00:00:00") == nil)
        for micros: Int64 in [0, 1, 999_999, 1_700_000_000_123_456, -1] {
            let time = WallTime(microseconds: micros)
            #expect(WallTime(rfc3339: time.rfc3339) == time)
        }
    }

    @Test("the ASCII fast path of code validation agrees with the Unicode path on every short ASCII string")
    func asciiFastPathAgrees() {
        func outcome(_ body: () throws(CodeError) -> String) -> String {
            do { return "ok \(try body())" } catch { return "error \(error)" }
        }
        var strings: [String] = (0..<128).map { String(UnicodeScalar(UInt8($0))) }
        for a in 0..<128 { for b in 0..<128 { strings.append(String(decoding: [UInt8(a), UInt8(b)], as: UTF8.self)) } }
        strings += ["  NV 01  ", "   ", "000.30.25.H17-240101-0001", String(repeating: "x", count: 64), String(repeating: "x", count: 65), " x", "x ", "a\tb"]
        for string in strings {
            for allowSpaces in [false, true] {
                for maximum in [1, 64] {
                    let fast = outcome { () throws(CodeError) in try validatedCode(string, field: "f", maximum: maximum, allowSpaces: allowSpaces) }
                    let full = outcome { () throws(CodeError) in try validatedUnicodeCode(string, field: "f", maximum: maximum, allowSpaces: allowSpaces) }
                    #expect(fast == full, "\(Array(string.utf8)) spaces \(allowSpaces) max \(maximum)")
                }
            }
        }
    }
}
