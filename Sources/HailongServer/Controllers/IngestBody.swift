import Foundation
public import HailongDomain

/// Decodes a `POST /v1/ingest` body. A full batch (500 events) is mostly its `events` array,
/// and JSONDecoder is single-threaded: for a large batch the array is cut at an element
/// boundary and the two halves are decoded on two cores, beside the rest of the object.
/// JSONDecoder still parses every byte; `EventsSpan` only finds where the array lies. Anything
/// unusual — or any decoding error — falls back to one plain decode of the whole body, so
/// errors name the same place (`events[37].level`) and the result is always what one decode
/// of the body gives.
public enum IngestBody {
    /// Below this many events one decode is cheaper than cutting and joining.
    static let parallelFrom = 64

    public static func decode(_ bytes: [UInt8]) async throws -> IngestBatch {
        if let span = EventsSpan(bytes), span.elementCount >= parallelFrom,
            let batch = try? await decodeInParts(bytes, span)
        {
            return batch
        }
        return try JSONDecoder().decode(IngestBatch.self, from: Data(bytes))
    }

    static func decodeInParts(_ bytes: [UInt8], _ span: EventsSpan) async throws -> IngestBatch {
        let middle = span.commas[span.commas.count / 2]
        // `[` first half `]`, `[` second half `]`, and the object with `"events":[]`.
        let first = Data(bytes[span.open..<middle] + [UInt8(ascii: "]")])
        let second = Data([UInt8(ascii: "[")] + bytes[(middle + 1)...span.close])
        let envelope = Data(bytes[...span.open] + bytes[span.close...])
        async let firstEvents = JSONDecoder().decode([WireEvent].self, from: first)
        let secondEvents = try JSONDecoder().decode([WireEvent].self, from: second)
        var batch = try JSONDecoder().decode(IngestBatch.self, from: envelope)
        guard batch.events.isEmpty else { throw EventsSpan.Unusual() }
        batch.events = try await firstEvents + secondEvents
        return batch
    }
}

/// Where the top-level `"events": [...]` array of a JSON object lies: the offsets of its
/// brackets and of the commas between its elements. A structural scan only (strings, escapes,
/// nesting), no parsing; nil for anything it does not expect — no top-level object, no such
/// array, the key twice, or a key written with escapes (which a decoder could read as
/// "events" where the scan does not).
struct EventsSpan: Equatable {
    struct Unusual: Error {}

    var open: Int
    var close: Int
    var commas: [Int]

    var elementCount: Int { open + 1 == close ? 0 : commas.count + 1 }

    init?(_ bytes: [UInt8]) {
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        let key = Array("events".utf8)
        var depth = 0
        var index = 0
        var lastString = 0..<0
        var lastStringEscaped = false
        var awaitingArray = false  // just read `"events":`
        var found: (open: Int, close: Int, commas: [Int])?
        var inEvents = false
        var open = 0
        var commas: [Int] = []
        while index < bytes.count {
            let byte = bytes[index]
            if byte == quote {
                // A string: skip to its closing quote, stepping over escapes.
                let start = index + 1
                var escaped = false
                index = start
                while index < bytes.count, bytes[index] != quote {
                    if bytes[index] == backslash {
                        escaped = true
                        index += 1
                    }
                    index += 1
                }
                guard index < bytes.count, depth >= 1 else { return nil }
                if depth == 1 {
                    if awaitingArray { return nil }
                    lastString = start..<index
                    lastStringEscaped = escaped
                }
                index += 1
                continue
            }
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"):
                break
            case UInt8(ascii: ":") where depth == 1:
                if lastStringEscaped { return nil }
                awaitingArray = bytes[lastString].elementsEqual(key)
                if awaitingArray, found != nil || inEvents { return nil }  // the key twice
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                if depth == 0, byte != UInt8(ascii: "{") { return nil }
                if awaitingArray {
                    guard byte == UInt8(ascii: "[") else { return nil }
                    awaitingArray = false
                    inEvents = true
                    open = index
                }
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth < 0 { return nil }
                if inEvents, depth == 1 {
                    found = (open, index, commas)
                    inEvents = false
                }
            case UInt8(ascii: ","):
                if inEvents, depth == 2 { commas.append(index) }
                if depth == 1, awaitingArray { return nil }
            default:
                // A number, true, false or null: `"events"` with such a value is not the array.
                if depth == 1, awaitingArray { return nil }
            }
            index += 1
        }
        guard depth == 0, let found else { return nil }
        self.open = found.open
        self.close = found.close
        self.commas = found.commas
    }
}
