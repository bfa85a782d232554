/// A plain-text table for terminals. Widths count characters (grapheme clusters), not bytes,
/// so Vietnamese names line up: "Nguyễn" is 6 wide whether it arrived composed or not.
public struct Table: Sendable {
    public enum Alignment: Sendable { case left, right }

    public var headers: [String]
    public var alignments: [Alignment]
    public var rows: [[String]] = []

    public init(headers: [String], alignments: [Alignment]? = nil) {
        self.headers = headers
        self.alignments = alignments ?? headers.map { _ in .left }
    }

    public mutating func add(_ row: [String]) { rows.append(row) }

    /// Display width of a string: one column per character.
    public static func width(_ text: String) -> Int { text.count }

    public func render() -> String {
        let all = [headers] + rows
        let count = headers.count
        var widths = [Int](repeating: 0, count: count)
        for row in all {
            for (index, cell) in row.prefix(count).enumerated() { widths[index] = max(widths[index], Self.width(cell)) }
        }
        func line(_ row: [String]) -> String {
            (0..<count).map { index in
                let cell = index < row.count ? row[index] : ""
                let padding = String(repeating: " ", count: widths[index] - Self.width(cell))
                return alignments[index] == .right ? padding + cell : cell + padding
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
        var lines = [line(headers), widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ")]
        lines += rows.map(line)
        return lines.joined(separator: "\n") + "\n"
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var copy = Substring(self)
        while copy.last == " " { copy = copy.dropLast() }
        return String(copy)
    }
}
