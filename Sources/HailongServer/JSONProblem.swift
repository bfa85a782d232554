/// Names the field behind a JSON decoding error that does not name it itself.
///
/// Foundation's JSONDecoder answers a valid JSON number our types cannot hold (`"seq": 2.5`,
/// `9223372036854775808`, `1e30`) with "The given data was not valid JSON" and an empty coding
/// path. Every number in our request bodies is a whole number that fits Int64, so the first
/// number in the body that is not one is the culprit: this finds it and its path.
enum JSONProblem {
    static func explain(_ error: DecodingError, in bytes: [UInt8]) -> String {
        if case .dataCorrupted(let context) = error, context.codingPath.isEmpty, let number = firstUnusableNumber(bytes) {
            return "\(number.path.isEmpty ? "the body" : number.path): \(number.text) is not a whole number from "
                + "\(Int64.min) to \(Int64.max) / \(number.path.isEmpty ? "body" : number.path): \(number.text) không phải số nguyên hợp lệ"
        }
        return error.readable
    }

    /// The first number token that is not an integer within Int64, with its path
    /// (`events[3].seq`), or nil (also for text that is not JSON).
    static func firstUnusableNumber(_ bytes: [UInt8]) -> (path: String, text: String)? {
        enum Container { case object(key: String?), array(index: Int) }
        var stack: [Container] = []
        var index = 0
        func path() -> String {
            var out = ""
            for item in stack {
                switch item {
                case .object(let key?): out += out.isEmpty ? key : "." + key
                case .object(nil): break
                case .array(let i): out += "[\(i)]"
                }
            }
            return out
        }
        func readString() -> String? {
            // At the opening quote; returns the raw contents (escapes kept: keys are ASCII here).
            var out: [UInt8] = []
            index += 1
            while index < bytes.count {
                let byte = bytes[index]
                if byte == 0x5C {  // backslash
                    guard index + 1 < bytes.count else { return nil }
                    out.append(bytes[index + 1])
                    index += 2
                    continue
                }
                index += 1
                if byte == 0x22 { return String(decoding: out, as: UTF8.self) }
                out.append(byte)
            }
            return nil
        }
        var expectingKey = false
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case 0x7B:  // {
                stack.append(.object(key: nil))
                expectingKey = true
                index += 1
            case 0x5B:  // [
                stack.append(.array(index: 0))
                expectingKey = false
                index += 1
            case 0x7D, 0x5D:  // } ]
                if !stack.isEmpty { stack.removeLast() }
                index += 1
            case 0x2C:  // ,
                if case .array(let i)? = stack.last {
                    stack[stack.count - 1] = .array(index: i + 1)
                } else {
                    expectingKey = true
                }
                index += 1
            case 0x3A:  // :
                expectingKey = false
                index += 1
            case 0x22:
                guard let text = readString() else { return nil }
                if expectingKey, case .object? = stack.last {
                    stack[stack.count - 1] = .object(key: text)
                }
            case 0x2D, 0x30...0x39:
                let start = index
                while index < bytes.count, [0x2B, 0x2D, 0x2E, 0x45, 0x65].contains(bytes[index]) || (0x30...0x39).contains(bytes[index]) {
                    index += 1
                }
                let text = String(decoding: bytes[start..<index], as: UTF8.self)
                if Int64(text) == nil { return (path(), text) }
            default:
                index += 1
            }
        }
        return nil
    }
}
