import Foundation
import HailongDomain
@testable import HailongServer
import HailongTestSupport
import Testing

/// The ingest body is decoded in parts on two cores (`IngestBody`): whatever the body, the
/// result — batch or error — must be what one JSONDecoder pass over the whole body gives.
@Suite struct IngestBodyTests {
    /// Characters that trouble a structural scan: quotes, backslashes, brackets, commas,
    /// colons, the key's own name, Vietnamese in both normal forms, control characters.
    private static let pieces = [
        "a", "7", " ", "\"", "\\", "[", "]", "{", "}", ",", ":", "events", "\"events\":[", "Nguyễn", "Nguye\u{0302}\u{0303}n", "\n", "\u{1}", "/",
    ]

    private static func text(_ random: inout SplitMix64) -> String {
        (0..<(1 + Int(random.below(6)))).map { _ in pieces[Int(random.below(UInt64(pieces.count)))] }.joined()
    }

    private static func batch(_ random: inout SplitMix64, events count: Int) -> IngestBatch {
        let kinds = EventKind.allCases
        let events = (0..<count).map { i in
            WireEvent(
                seq: Int64(i + 1), kind: kinds[Int(random.below(UInt64(kinds.count)))], at: text(&random),
                level: random.below(2) == 0 ? nil : Int(random.below(7)), binding: random.below(2) == 0 ? nil : .dossier,
                dossier: random.below(3) == 0 ? nil : text(&random), clerk: random.below(3) == 0 ? nil : text(&random),
                outcome: random.below(4) == 0 ? .rated : nil, monotonicNs: random.below(2) == 0 ? nil : Int64(random.next() >> 2),
                bootId: random.below(5) == 0 ? text(&random) : nil, clockSynced: random.below(3) == 0 ? nil : true)
        }
        return IngestBatch(
            boardId: text(&random), fromSeq: 1, toSeq: Int64(count), events: events,
            aggregates: [DailyCount(day: text(&random), clerk: text(&random), level: 2, count: 9)],
            status: BoardStatus(version: text(&random), backlog: 3, faults: [text(&random)], clockSynced: true, uptimeS: 60))
    }

    @Test func partsDecodeToWhatOneDecodeGives() async throws {
        var random = SplitMix64(seed: 0x4841_494C_4F4E_4701)
        for round in 0..<60 {
            let count = [0, 1, 2, 63, 64, 65, 257, 500][round % 8]
            let original = Self.batch(&random, events: count)
            let encoder = JSONEncoder()
            // Compact, indented and key-sorted bodies: `events` first, in the middle, or last.
            encoder.outputFormatting = [[], [.prettyPrinted], [.sortedKeys], [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]][round % 4]
            let body = Array(try encoder.encode(original))
            let whole = try JSONDecoder().decode(IngestBatch.self, from: Data(body))
            #expect(whole == original)
            let span = try #require(EventsSpan(body), "round \(round)")
            #expect(span.elementCount == count, "round \(round)")
            if count >= 2 {
                #expect(try await IngestBody.decodeInParts(body, span) == whole, "round \(round)")
            }
            #expect(try await IngestBody.decode(body) == whole, "round \(round)")
        }
    }

    private static func body(events: String, before: String = "", after: String = "") -> [UInt8] {
        let event = #"{"seq":1,"kind":"fault","at":"2026-11-23T01:00:00Z","reason":"stuck"}"#
        let many = (1...100).map { event.replacingOccurrences(of: #""seq":1"#, with: "\"seq\":\($0)") }.joined(separator: ",")
        return Array(
            """
            {\(before)"boardId":"b-1","fromSeq":1,"toSeq":100,"\(events)":[\(many)],"aggregates":[],\(after)
            "status":{"version":"1","backlog":0,"faults":[],"clockSynced":true,"uptimeS":1}}
            """.utf8)
    }

    @Test func unusualBodiesAreLeftToOneDecode() async throws {
        #expect(EventsSpan(Self.body(events: "events")) != nil)
        // A key with escapes may read as "events" to the decoder: not cut.
        let escaped = Self.body(events: #"ev\u0065nts"#)
        #expect(EventsSpan(escaped) == nil)
        #expect(try await IngestBody.decode(escaped).events.count == 100)
        // The key twice: not cut (which one a decoder keeps is its business).
        let twice = Self.body(events: "events", after: #""events":[],"#)
        #expect(EventsSpan(twice) == nil)
        #expect(try await IngestBody.decode(twice) == JSONDecoder().decode(IngestBatch.self, from: Data(twice)))
        // Not an object, not an array.
        #expect(EventsSpan(Array("[1,2]".utf8)) == nil)
        #expect(EventsSpan(Array(#"{"events":null}"#.utf8)) == nil)
        #expect(EventsSpan(Array(#"{"events":"[1,2]"}"#.utf8)) == nil)
        #expect(EventsSpan(Array(#"{"a":"events","b":{"events":[1,2]}}"#.utf8)) == nil)
    }

    @Test func anErrorNamesTheSameEventAsOneDecode() async throws {
        // Event 80 (in the second half) has a level that is not a number.
        var text = String(decoding: Self.body(events: "events"), as: UTF8.self)
        text = text.replacingOccurrences(of: #""seq":80,"kind":"fault""#, with: #""seq":80,"level":"three","kind":"fault""#)
        let body = Array(text.utf8)
        let span = try #require(EventsSpan(body))
        #expect(span.elementCount == 100)
        var expected = ""
        do { _ = try JSONDecoder().decode(IngestBatch.self, from: Data(body)) } catch let error as DecodingError { expected = error.readable }
        #expect(expected.contains("events[79].level"), "\(expected)")
        await #expect(throws: DecodingError.self) { try await IngestBody.decode(body) }
        do { _ = try await IngestBody.decode(body) } catch let error as DecodingError { #expect(error.readable == expected) }
        // Broken JSON in the middle of the array.
        let broken = Array(text.replacingOccurrences(of: #""seq":50,"#, with: #""seq":50,,"#).utf8)
        await #expect(throws: DecodingError.self) { try await IngestBody.decode(broken) }
    }
}
