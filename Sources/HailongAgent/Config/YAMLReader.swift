import Yams

/// A config error naming the file, the line and the key: what a technician needs to fix it.
public struct ConfigError: Error, CustomStringConvertible, Sendable, Equatable {
    public var file: String
    public var line: Int?
    public var key: String
    public var message: String

    public init(file: String, line: Int?, key: String, message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    public var description: String {
        let place = line.map { "\(file):\($0)" } ?? file
        return key.isEmpty ? "\(place): \(message)" : "\(place): \(key): \(message)"
    }
}

/// Walks a YAML mapping with strict keys: every key read is remembered, and `finish()`
/// refuses any key nobody asked for (a misspelt key is an error, never silently ignored).
struct YAMLSection {
    let file: String
    let path: String
    let mapping: Node.Mapping?
    let line: Int?
    private var known: Set<String> = []

    init(file: String, path: String, node: Node?) throws(ConfigError) {
        self.file = file
        self.path = path
        line = node?.mark.map { $0.line }
        if node == nil || node?.null != nil {
            mapping = nil
            return
        }
        switch node {
        case .mapping(let mapping):
            self.mapping = mapping
        default:
            throw ConfigError(file: file, line: line, key: path.isEmpty ? "" : path, message: "expected a mapping of keys")
        }
    }

    static func root(yaml: String, file: String) throws(ConfigError) -> YAMLSection {
        let node: Node?
        do {
            node = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw ConfigError(file: file, line: error.line, key: "", message: "not valid YAML: \(error.shortDescription)")
        } catch {
            throw ConfigError(file: file, line: nil, key: "", message: "not valid YAML: \(error)")
        }
        return try YAMLSection(file: file, path: "", node: node)
    }

    func fullKey(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    mutating func node(_ key: String) -> Node? {
        known.insert(key)
        return mapping?[key]
    }

    func error(_ key: String, _ node: Node?, _ message: String) -> ConfigError {
        ConfigError(file: file, line: node?.mark?.line ?? line, key: fullKey(key), message: message)
    }

    mutating func section(_ key: String) throws(ConfigError) -> YAMLSection {
        try YAMLSection(file: file, path: fullKey(key), node: node(key))
    }

    mutating func string(_ key: String, default value: String) throws(ConfigError) -> String {
        guard let node = node(key), node.null == nil else { return value }
        guard case .scalar(let scalar) = node else { throw error(key, node, "expected a text value") }
        return scalar.string
    }

    mutating func int(_ key: String, default value: Int, range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard let node = node(key), node.null == nil else { return value }
        guard let number = node.int else { throw error(key, node, "expected a whole number, got '\(node.string ?? "?")'") }
        guard range.contains(number) else {
            throw error(key, node, "\(number) is out of range (\(range.lowerBound)–\(range.upperBound))")
        }
        return number
    }

    mutating func bool(_ key: String, default value: Bool) throws(ConfigError) -> Bool {
        guard let node = node(key), node.null == nil else { return value }
        guard let flag = node.bool else { throw error(key, node, "expected true or false, got '\(node.string ?? "?")'") }
        return flag
    }

    mutating func choice<T: RawRepresentable & CaseIterable>(_ key: String, default value: T) throws(ConfigError) -> T
    where T.RawValue == String {
        let raw = try string(key, default: value.rawValue)
        guard let chosen = T(rawValue: raw) else {
            let allowed = T.allCases.map(\.rawValue).joined(separator: " | ")
            throw error(key, mapping?[key], "'\(raw)' is not one of \(allowed)")
        }
        return chosen
    }

    /// A mapping of whole-number keys to whole-number values (`{3: 17, 2: 27}`).
    mutating func intMap(_ key: String) throws(ConfigError) -> [(key: String, value: Int, line: Int?)]? {
        guard let node = node(key), node.null == nil else { return nil }
        guard case .mapping(let map) = node else { throw error(key, node, "expected a mapping like {3: 17, 2: 27}") }
        var pairs: [(key: String, value: Int, line: Int?)] = []
        for (k, v) in map {
            guard let name = k.string, let number = v.int else {
                throw error(key, v, "entry '\(k.string ?? "?")' must map to a whole number")
            }
            pairs.append((name, number, k.mark?.line))
        }
        return pairs
    }

    /// Refuses keys that were never asked for, suggesting the closest known one.
    func finish() throws(ConfigError) {
        guard let mapping else { return }
        for (keyNode, _) in mapping {
            let key = keyNode.string ?? "?"
            if !known.contains(key) {
                var message = "unknown key"
                if let guess = known.min(by: { editDistance($0, key) < editDistance($1, key) }), editDistance(guess, key) <= 2 {
                    message += " (did you mean '\(fullKey(guess))'?)"
                } else {
                    message += " (known here: \(known.sorted().joined(separator: ", ")))"
                }
                throw ConfigError(file: file, line: keyNode.mark?.line, key: fullKey(key), message: message)
            }
        }
    }
}

private func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}

extension YamlError {
    var line: Int? {
        switch self {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): mark.line
        default: nil
        }
    }

    var shortDescription: String {
        switch self {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _): problem
        default: "\(self)"
        }
    }
}
