import Foundation
import HailongDomain
import Testing

@Suite("WireEvent JSON")
struct WireEventCodingTests {
    @Test("decodes what it encodes, every field and every case, absent fields absent")
    func roundTrip() throws {
        var events = [
            WireEvent(seq: 1, kind: .clerkSignin, at: "2026-11-23T01:00:00Z", clerk: "NV001"),
            WireEvent(
                seq: 2, kind: .rating, at: "2026-11-23T01:05:00.250Z", level: 3, binding: .dossier, dossier: "000.30.25.H17-240702-0012",
                clerk: "Nguyễn Thị Ánh", monotonicNs: 123_456_789, bootId: "6f1c", clockSynced: false),
        ]
        for kind in EventKind.allCases { events.append(WireEvent(seq: 3, kind: kind, at: "2026-11-23T01:06:00Z")) }
        for binding in Binding.allCases { events.append(WireEvent(seq: 4, kind: .rating, at: "2026-11-23T01:06:00Z", binding: binding)) }
        for outcome in SessionOutcome.allCases { events.append(WireEvent(seq: 5, kind: .session, at: "2026-11-23T01:06:00Z", outcome: outcome)) }
        for reason in EventReason.allCases { events.append(WireEvent(seq: 6, kind: .suppressed, at: "2026-11-23T01:06:00Z", reason: reason)) }
        let decoded = try JSONDecoder().decode([WireEvent].self, from: JSONEncoder().encode(events))
        #expect(decoded == events)
        let minimal = try JSONDecoder().decode(WireEvent.self, from: Data(#"{"seq": 9, "kind": "fault", "at": "2026-11-23T01:00:00Z"}"#.utf8))
        #expect(minimal == WireEvent(seq: 9, kind: .fault, at: "2026-11-23T01:00:00Z"))
    }

    @Test("an unknown case, a missing key and a wrong type are named at their key")
    func errors() {
        func failure(_ json: String) -> DecodingError? {
            do {
                _ = try JSONDecoder().decode(WireEvent.self, from: Data(json.utf8))
                return nil
            } catch { return error as? DecodingError }
        }
        guard case .dataCorrupted(let context) = failure(#"{"seq": 1, "kind": "rating", "at": "x", "binding": "desk"}"#) else {
            Issue.record("expected dataCorrupted")
            return
        }
        #expect(context.codingPath.map(\.stringValue) == ["binding"])
        #expect(context.debugDescription.contains("desk"))
        guard case .dataCorrupted(let kind) = failure(#"{"seq": 1, "kind": "press", "at": "x"}"#) else {
            Issue.record("expected dataCorrupted")
            return
        }
        #expect(kind.codingPath.map(\.stringValue) == ["kind"])
        guard case .keyNotFound(let key, _) = failure(#"{"seq": 1, "at": "x"}"#) else {
            Issue.record("expected keyNotFound")
            return
        }
        #expect(key.stringValue == "kind")
        guard case .typeMismatch(_, let level) = failure(#"{"seq": 1, "kind": "rating", "at": "x", "level": "3"}"#) else {
            Issue.record("expected typeMismatch")
            return
        }
        #expect(level.codingPath.map(\.stringValue) == ["level"])
    }
}
