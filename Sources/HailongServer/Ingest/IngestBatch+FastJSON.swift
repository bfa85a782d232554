import HailongDomain

/// A small JSON reader for ingest batches. Foundation's `JSONDecoder` spends more time on a
/// 500-event batch than SQLite does storing it, and ingest is the server's hot path. Anything
/// this reader does not accept (a malformed body, a wrong type) is left to `JSONDecoder`,
/// which then names the problem: this is a fast path, never the judge.
enum FastJSON {
    indirect enum Value {
        case null
        case bool(Bool)
        case int(Int64)
        case string(String)
        case array([Value])
        case object([String: Value])
    }

    struct Failure: Error {}

    static func parse(_ bytes: [UInt8]) throws(Failure) -> Value {
        var reader = Reader(bytes: bytes)
        let value = try reader.value(depth: 0)
        reader.skipSpace()
        guard reader.index == bytes.count else { throw Failure() }
        return value
    }

    struct Reader {
        let bytes: [UInt8]
        var index = 0

        mutating func skipSpace() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 {
                index += 1
            }
        }

        mutating func literal(_ text: String) throws(Failure) {
            let expected = Array(text.utf8)
            guard index + expected.count <= bytes.count, Array(bytes[index..<index + expected.count]) == expected else { throw Failure() }
            index += expected.count
        }

        mutating func value(depth: Int) throws(Failure) -> Value {
            guard depth < 16 else { throw Failure() }
            skipSpace()
            guard index < bytes.count else { throw Failure() }
            switch bytes[index] {
            case UInt8(ascii: "{"):
                index += 1
                var object: [String: Value] = [:]
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    return .object(object)
                }
                while true {
                    skipSpace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw Failure() }
                    let key = try string()
                    skipSpace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw Failure() }
                    index += 1
                    object[key] = try value(depth: depth + 1)
                    skipSpace()
                    guard index < bytes.count else { throw Failure() }
                    if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                    guard bytes[index] == UInt8(ascii: "}") else { throw Failure() }
                    index += 1
                    return .object(object)
                }
            case UInt8(ascii: "["):
                index += 1
                var array: [Value] = []
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    return .array(array)
                }
                while true {
                    array.append(try value(depth: depth + 1))
                    skipSpace()
                    guard index < bytes.count else { throw Failure() }
                    if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                    guard bytes[index] == UInt8(ascii: "]") else { throw Failure() }
                    index += 1
                    return .array(array)
                }
            case UInt8(ascii: "\""):
                return .string(try string())
            case UInt8(ascii: "t"):
                try literal("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try literal("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try literal("null")
                return .null
            default:
                return .int(try integer())
            }
        }

        /// Whole numbers only (all the batch carries); anything else goes to JSONDecoder.
        mutating func integer() throws(Failure) -> Int64 {
            var negative = false
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") {
                negative = true
                index += 1
            }
            var value: Int64 = 0
            var digits = 0
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(Int64(bytes[index] - 48))
                guard !o1, !o2 else { throw Failure() }
                value = a
                digits += 1
                index += 1
            }
            guard digits > 0 else { throw Failure() }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") || bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                throw Failure()
            }
            return negative ? -value : value
        }

        mutating func string() throws(Failure) -> String {
            index += 1  // opening quote
            let start = index
            // Fast path: no escapes.
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    let text = String(decoding: bytes[start..<index], as: UTF8.self)
                    index += 1
                    return text
                }
                if byte == UInt8(ascii: "\\") || byte < 0x20 { break }
                index += 1
            }
            var out = Array(bytes[start..<index])
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard index < bytes.count else { throw Failure() }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "u"):
                        var scalar = try hex4()
                        if (0xD800..<0xDC00).contains(scalar) {
                            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                                throw Failure()
                            }
                            index += 2
                            let low = try hex4()
                            guard (0xDC00..<0xE000).contains(low) else { throw Failure() }
                            scalar = 0x10000 + (scalar - 0xD800) << 10 + (low - 0xDC00)
                        }
                        guard let unicode = Unicode.Scalar(scalar) else { throw Failure() }
                        out += Array(String(Character(unicode)).utf8)
                    default:
                        throw Failure()
                    }
                default:
                    guard byte >= 0x20 else { throw Failure() }
                    out.append(byte)
                }
            }
            throw Failure()
        }

        mutating func hex4() throws(Failure) -> UInt32 {
            guard index + 4 <= bytes.count else { throw Failure() }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                index += 1
                let digit: UInt32
                switch byte {
                case 48...57: digit = UInt32(byte - 48)
                case 65...70: digit = UInt32(byte - 55)
                case 97...102: digit = UInt32(byte - 87)
                default: throw Failure()
                }
                value = value << 4 | digit
            }
            return value
        }
    }
}

extension IngestBatch {
    /// Reads a batch with `FastJSON`; `nil` when the body is anything but a well-formed batch
    /// (the caller then asks `JSONDecoder`, which explains what is wrong).
    static func fastDecode(_ bytes: [UInt8]) -> IngestBatch? {
        guard case .object(let root)? = try? FastJSON.parse(bytes) else { return nil }
        guard case .string(let boardId)? = root["boardId"], case .int(let fromSeq)? = root["fromSeq"],
            case .int(let toSeq)? = root["toSeq"], case .array(let rawEvents)? = root["events"],
            case .object(let rawStatus)? = root["status"]
        else { return nil }
        var events: [WireEvent] = []
        events.reserveCapacity(rawEvents.count)
        for raw in rawEvents {
            guard case .object(let e) = raw, let event = wireEvent(e) else { return nil }
            events.append(event)
        }
        var aggregates: [DailyCount] = []
        switch root["aggregates"] {
        case .array(let items)?:
            for item in items {
                guard case .object(let a) = item, case .string(let day)? = a["day"], case .int(let level)? = a["level"],
                    case .int(let count)? = a["count"], let clerk = optionalString(a["clerk"])
                else { return nil }
                aggregates.append(DailyCount(day: day, clerk: clerk, level: Int(truncatingIfNeeded: level), count: count))
            }
        default: return nil
        }
        guard case .string(let version)? = rawStatus["version"], case .int(let backlog)? = rawStatus["backlog"],
            case .array(let rawFaults)? = rawStatus["faults"], case .bool(let clockSynced)? = rawStatus["clockSynced"],
            case .int(let uptime)? = rawStatus["uptimeS"]
        else { return nil }
        var faults: [String] = []
        for fault in rawFaults {
            guard case .string(let text) = fault else { return nil }
            faults.append(text)
        }
        return IngestBatch(
            boardId: boardId, fromSeq: fromSeq, toSeq: toSeq, events: events, aggregates: aggregates,
            status: BoardStatus(version: version, backlog: backlog, faults: faults, clockSynced: clockSynced, uptimeS: uptime))
    }

    /// `.some(nil)` for absent or null, `nil` for a wrong type.
    private static func optionalString(_ value: FastJSON.Value?) -> String?? {
        switch value {
        case nil, .null?: return .some(nil)
        case .string(let text)?: return .some(text)
        default: return nil
        }
    }

    private static func optionalInt(_ value: FastJSON.Value?) -> Int64?? {
        switch value {
        case nil, .null?: return .some(nil)
        case .int(let n)?: return .some(n)
        default: return nil
        }
    }

    private static func optionalEnum<E: RawRepresentable<String>>(_ value: FastJSON.Value?, _ type: E.Type) -> E?? {
        switch value {
        case nil, .null?: return .some(nil)
        case .string(let text)?: return E(rawValue: text).map { .some($0) } ?? nil
        default: return nil
        }
    }

    private static func wireEvent(_ e: [String: FastJSON.Value]) -> WireEvent? {
        guard case .int(let seq)? = e["seq"], case .string(let kindText)? = e["kind"], let kind = EventKind(rawValue: kindText),
            case .string(let at)? = e["at"], let level = optionalInt(e["level"]), let binding = optionalEnum(e["binding"], Binding.self),
            let dossier = optionalString(e["dossier"]), let clerk = optionalString(e["clerk"]),
            let outcome = optionalEnum(e["outcome"], SessionOutcome.self), let reason = optionalEnum(e["reason"], EventReason.self),
            let monotonic = optionalInt(e["monotonicNs"]), let bootId = optionalString(e["bootId"])
        else { return nil }
        var clockSynced: Bool?
        switch e["clockSynced"] {
        case nil, .null?: clockSynced = nil
        case .bool(let flag)?: clockSynced = flag
        default: return nil
        }
        return WireEvent(
            seq: seq, kind: kind, at: at, level: level.map { Int(truncatingIfNeeded: $0) }, binding: binding, dossier: dossier, clerk: clerk, outcome: outcome,
            reason: reason, monotonicNs: monotonic, bootId: bootId, clockSynced: clockSynced)
    }
}
