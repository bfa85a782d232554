import Foundation
import HailongDomain
@testable import HailongServer
import HailongTestSupport
import Testing

/// Ingest bodies are read by SwiftProtobuf's JSON decoder (`IngestBody.fast`), with Foundation's
/// JSONDecoder as the authority on errors. For every body JSONDecoder accepts, the fast path
/// must give the same batch; for every body it refuses, the error must be JSONDecoder's.
@Suite struct IngestBodyTests {
    /// Text that troubles a JSON reader: quotes, backslashes, brackets, the keys' own names,
    /// Vietnamese in both normal forms, control characters, an emoji (a surrogate pair).
    private static let pieces = [
        "a", "7", " ", "\"", "\\", "[", "]", "{", "}", ",", ":", "events", "\"seq\":", "Nguyễn", "Nguye\u{0302}\u{0303}n", "\n", "\u{1}", "/", "😀",
    ]

    private static func text(_ random: inout SplitMix64) -> String {
        (0..<(1 + Int(random.below(6)))).map { _ in pieces[Int(random.below(UInt64(pieces.count)))] }.joined()
    }

    private static func maybe<T>(_ random: inout SplitMix64, _ value: T) -> T? { random.below(3) == 0 ? nil : value }

    private static func batch(_ random: inout SplitMix64, events count: Int) -> IngestBatch {
        let events = (0..<count).map { i in
            WireEvent(
                seq: Int64(i + 1), kind: EventKind.allCases[Int(random.below(UInt64(EventKind.allCases.count)))], at: text(&random),
                level: maybe(&random, Int(random.below(7)) - 1), binding: maybe(&random, Binding.allCases[Int(random.below(3))]),
                dossier: maybe(&random, text(&random)), clerk: maybe(&random, text(&random)),
                outcome: maybe(&random, SessionOutcome.allCases[Int(random.below(UInt64(SessionOutcome.allCases.count)))]),
                reason: maybe(&random, EventReason.allCases[Int(random.below(UInt64(EventReason.allCases.count)))]),
                monotonicNs: maybe(&random, Int64(bitPattern: random.next())), bootId: maybe(&random, text(&random)),
                clockSynced: maybe(&random, random.below(2) == 0))
        }
        return IngestBatch(
            boardId: text(&random), fromSeq: Int64(random.below(1000)) - 5, toSeq: Int64(count), events: events,
            aggregates: (0..<Int(random.below(4))).map { _ in
                DailyCount(day: text(&random), clerk: maybe(&random, text(&random)), level: Int(random.below(6)), count: Int64(random.below(1 << 40)))
            },
            status: BoardStatus(
                version: text(&random), backlog: Int64(random.below(1 << 33)), faults: (0..<Int(random.below(3))).map { _ in text(&random) },
                clockSynced: random.below(2) == 0, uptimeS: Int64(random.below(1 << 30))))
    }

    @Test func theFastPathReadsWhatJSONDecoderReads() throws {
        var random = SplitMix64(seed: 0x4841_494C_4F4E_4702)
        for round in 0..<80 {
            let original = Self.batch(&random, events: [0, 1, 2, 17, 500][round % 5])
            let encoder = JSONEncoder()
            encoder.outputFormatting = [[], [.prettyPrinted], [.sortedKeys], [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]][round % 4]
            let body = Array(try encoder.encode(original))
            let foundation = try JSONDecoder().decode(IngestBatch.self, from: Data(body))
            #expect(foundation == original)
            let fast = try #require(IngestBody.fast(body), "round \(round): the fast path gave up on a good body")
            #expect(fast == foundation, "round \(round)")
        }
    }

    private static func body(event80 replacement: String? = nil, extra: String = "") -> [UInt8] {
        let events = (1...100).map { seq in
            if seq == 80, let replacement { return replacement }
            return #"{"seq":\#(seq),"kind":"rating","at":"2026-11-23T01:00:00.25Z","level":3,"binding":"clerk","clerk":"Ánh","clockSynced":null}"#
        }
        return Array(
            """
            {"boardId":"b-1","fromSeq":1,"toSeq":100,\(extra)"events":[\(events.joined(separator: ",\n"))],"aggregates":[{"day":"2026-11-23","level":3,"count":99}],
            "status":{"version":"1","backlog":0,"faults":["x"],"clockSynced":true,"uptimeS":1}}
            """.utf8)
    }

    private static func foundationError(_ body: [UInt8]) -> String? {
        do {
            _ = try JSONDecoder().decode(IngestBatch.self, from: Data(body))
            return nil
        } catch let error as DecodingError {
            return error.readable
        } catch {
            return "\(error)"
        }
    }

    @Test func badBodiesGetJSONDecodersError() throws {
        let cases: [(String, String)] = [
            (#"{"seq":80,"at":"2026-11-23T01:00:00Z"}"#, "kind"),  // a required key missing
            (#"{"seq":80,"kind":"bogus","at":"2026-11-23T01:00:00Z"}"#, "kind"),  // not one of ours
            (#"{"seq":80,"kind":"rating","at":"2026-11-23T01:00:00Z","binding":"table"}"#, "binding"),
            (#"{"seq":80,"kind":"rating","at":"2026-11-23T01:00:00Z","level":"three"}"#, "level"),  // a wrong type
            (#"{"seq":80,"kind":"rating","at":"2026-11-23T01:00:00Z","level":99999999999999999999}"#, ""),  // out of range ("not valid JSON" to JSONDecoder)
            (#"{"seq":80,"kind":"rating","at":"2026-11-23T01:00:00Z",,}"#, ""),  // not JSON
        ]
        for (event, key) in cases {
            let body = Self.body(event80: event)
            #expect(IngestBody.fast(body) == nil, "\(event)")
            let expected = try #require(Self.foundationError(body), "\(event)")
            if !key.isEmpty { #expect(expected.contains("events[79]") && expected.contains(key), "\(expected)") }
            #expect(throws: DecodingError.self) { try IngestBody.decode(body) }
            do { _ = try IngestBody.decode(body) } catch let error as DecodingError { #expect(error.readable == expected) }
        }
        // The status without one of its keys.
        let noUptime = Array(String(decoding: Self.body(), as: UTF8.self).replacingOccurrences(of: #","uptimeS":1"#, with: "").utf8)
        #expect(IngestBody.fast(noUptime) == nil)
        #expect(throws: DecodingError.self) { try IngestBody.decode(noUptime) }
    }

    @Test func unknownKeysAndNullsAreReadAlike() throws {
        let body = Self.body(extra: #""sentBy":{"agent":"2.0","nested":[1,{"a":null}]},"#)
        let foundation = try JSONDecoder().decode(IngestBatch.self, from: Data(body))
        #expect(try #require(IngestBody.fast(body)) == foundation)
        #expect(foundation.events[0].clockSynced == nil)
        #expect(foundation.events[0].clerk == "Ánh")
        #expect(foundation.aggregates == [DailyCount(day: "2026-11-23", clerk: nil, level: 3, count: 99)])
    }

    /// Where proto3's JSON mapping is more lenient than JSONDecoder (documented on IngestBody):
    /// such a body still becomes a well-formed batch, which the checks then judge.
    @Test func documentedLeniency() throws {
        let quoted = Array(String(decoding: Self.body(), as: UTF8.self).replacingOccurrences(of: #""fromSeq":1,"#, with: #""fromSeq":"1","#).utf8)
        #expect(Self.foundationError(quoted) != nil)
        #expect(IngestBody.fast(quoted)?.fromSeq == 1)
    }
}
