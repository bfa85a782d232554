import Foundation
import HailongDomain
@testable import HailongServer
import Testing

@Suite struct FastJSONTests {
    private func both(_ text: String) -> (IngestBatch?, IngestBatch?) {
        (IngestBatch.fastDecode(Array(text.utf8)), try? JSONDecoder().decode(IngestBatch.self, from: Data(text.utf8)))
    }

    @Test func agreesWithJSONDecoderOnEncodedBatches() throws {
        let events = [
            WireEvent(seq: 7, kind: .rating, at: "2026-11-23T03:10:00.250Z", level: 3, binding: .dossier, dossier: "000.30.25.H17-240702-0012",
                      clerk: "Nguyễn \"Thị\" Ánh\\ 😀\n", monotonicNs: -5, bootId: "b/1", clockSynced: false),
            WireEvent(seq: 8, kind: .session, at: "2026-11-23T03:10:00Z", dossier: "D", clerk: "NV01", outcome: .unrated, reason: .expired),
            WireEvent(seq: 9, kind: .fault, at: "2026-11-23T03:10:00Z", level: 2, reason: .stuck),
        ]
        let batch = IngestBatch(
            boardId: "b-1", fromSeq: 7, toSeq: 9, events: events,
            aggregates: [DailyCount(day: "2026-11-23", clerk: nil, level: 3, count: 4), DailyCount(day: "2026-11-23", clerk: "NV01", level: 1, count: 0)],
            status: BoardStatus(version: "0.1.0", backlog: 12, faults: ["stuck:2"], clockSynced: true, uptimeS: 99))
        let data = try JSONEncoder().encode(batch)
        #expect(IngestBatch.fastDecode(Array(data)) == batch)
        let pretty = JSONEncoder()
        pretty.outputFormatting = [.prettyPrinted, .sortedKeys]
        #expect(IngestBatch.fastDecode(Array(try pretty.encode(batch))) == batch)
    }

    @Test func escapesAndNulls() {
        let text = #"""
            {"boardId":"b","fromSeq":1,"toSeq":1,"aggregates":[],"status":{"version":"v","backlog":0,"faults":[],"clockSynced":true,"uptimeS":1},
             "events":[{"seq":1,"kind":"rating","at":"2026-11-23T03:10:00Z","level":2,"binding":"clerk","clerk":"Nguy\u1ec5n \ud83d\ude00 \/ \t","dossier":null}]}
            """#
        let (fast, foundation) = both(text)
        #expect(fast != nil)
        #expect(fast == foundation)
        #expect(fast?.events.first?.clerk == "Nguyễn 😀 / \t")
    }

    @Test func refusesWhatJSONDecoderRefuses() {
        let status = #""status":{"version":"v","backlog":0,"faults":[],"clockSynced":true,"uptimeS":1}"#
        for bad in [
            #"{"boardId":"b","fromSeq":1,"toSeq":1,"events":[{"seq":1,"kind":"press","at":"x"}],"# + status + "}",
            #"{"boardId":"b","fromSeq":1.5,"toSeq":1,"events":[],"# + status + "}",
            #"{"boardId":"b","fromSeq":1,"toSeq":1,"events":[{"seq":"1","kind":"rating","at":"x"}],"# + status + "}",
            #"{"boardId":"b","fromSeq":1,"toSeq":1,"events":[],"# + status + "} trailing",
            #"{"boardId":"b","fromSeq":1,"toSeq":1,"events":[]}"#,
            #"{"boardId":"b\u12"}"#, "", "[", #"{"a":tru}"#,
        ] {
            #expect(IngestBatch.fastDecode(Array(bad.utf8)) == nil, "\(bad)")
        }
        // aggregates is required (it may be empty), as JSONDecoder has it.
        let (fast, foundation) = both(#"{"boardId":"b","fromSeq":1,"toSeq":0,"events":[],"# + status + "}")
        #expect(fast == nil && foundation == nil)
        let (fast2, foundation2) = both(#"{"boardId":"b","fromSeq":1,"toSeq":0,"events":[],"aggregates":[],"# + status + "}")
        #expect(fast2 != nil && fast2 == foundation2)
    }
}
