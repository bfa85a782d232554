/// Text as Hailong stores it: Unicode NFC. Vietnamese typed on different systems arrives
/// composed ("ễ" as one scalar) or decomposed ("e" + circumflex + tilde); both must compare
/// and store equal.
public enum Text {
    /// The NFC form of `string`.
    public static func nfc(_ string: String) -> String {
        // ASCII is NFC as it stands (boot ids, most codes): no copy. Ingest normalises a few
        // strings per event, 500 events a batch.
        if string.utf8.allSatisfy({ $0 < 0x80 }) { return string }
        // The standard library's own normaliser (what Foundation's
        // precomposedStringWithCanonicalMapping uses), so the domain needs no Foundation.
        return String(decoding: string._nfcCodeUnits, as: UTF8.self)
    }
}

/// Why a code or name was refused.
public enum CodeError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty(field: String)
    case tooLong(field: String, length: Int, maximum: Int)
    case notPrintable(field: String, position: Int)

    public var description: String {
        switch self {
        case .empty(let field):
            "\(field) must not be empty / \(field) không được để trống"
        case .tooLong(let field, let length, let maximum):
            "\(field) is \(length) characters long, at most \(maximum) allowed / \(field) dài \(length) ký tự, tối đa \(maximum)"
        case .notPrintable(let field, let position):
            "\(field) has a control or invisible character at position \(position) / \(field) chứa ký tự điều khiển ở vị trí \(position)"
        }
    }
}

/// Validates a printable, NFC, bounded string.
func validatedCode(_ raw: String, field: String, maximum: Int, allowSpaces: Bool) throws(CodeError) -> String {
    // Printable ASCII (most dossier and staff codes) is NFC already, one character per byte
    // and free of control or invisible characters: a pass over the bytes decides it. Ingest
    // checks hundreds of codes per batch; the Unicode path is several times slower.
    if raw.utf8.allSatisfy({ (0x21...0x7E).contains($0) || ($0 == 0x20 && allowSpaces) }) {
        let trimmed = allowSpaces ? raw.trimmingSpaces() : raw
        if trimmed.isEmpty { throw .empty(field: field) }
        let length = trimmed.utf8.count
        if length > maximum { throw .tooLong(field: field, length: length, maximum: maximum) }
        return trimmed
    }
    return try validatedUnicodeCode(raw, field: field, maximum: maximum, allowSpaces: allowSpaces)
}

/// `validatedCode` for any text: NFC first, then characters counted and checked one by one.
func validatedUnicodeCode(_ raw: String, field: String, maximum: Int, allowSpaces: Bool) throws(CodeError) -> String {
    let value = Text.nfc(raw)
    let trimmed = allowSpaces ? value.trimmingSpaces() : value
    if trimmed.isEmpty { throw .empty(field: field) }
    let length = trimmed.count
    if length > maximum { throw .tooLong(field: field, length: length, maximum: maximum) }
    for (index, scalar) in trimmed.unicodeScalars.enumerated() {
        let isSpace = scalar == " "
        if isSpace && !allowSpaces { throw .notPrintable(field: field, position: index + 1) }
        if scalar.properties.generalCategory.isControlOrInvisible {
            throw .notPrintable(field: field, position: index + 1)
        }
    }
    return trimmed
}

extension Unicode.GeneralCategory {
    fileprivate var isControlOrInvisible: Bool {
        switch self {
        case .control, .format, .lineSeparator, .paragraphSeparator, .unassigned, .surrogate, .privateUse:
            true
        default:
            false
        }
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " { scalars = scalars.dropFirst() }
        while let last = scalars.last, last == " " { scalars = scalars.dropLast() }
        return String(scalars)
    }
}

extension Text {
    /// A line of text a board or client sends (a version, a fault, a boot id): NFC, spaces
    /// trimmed, 1–`maximum` characters, and no control or invisible character — so that no
    /// escape sequence reaches a terminal, no NUL truncates a value, and no newline splits one.
    public static func line(_ raw: String, field: String, maximum: Int) throws(CodeError) -> String {
        try validatedCode(raw, field: field, maximum: maximum, allowSpaces: true)
    }
}

extension Text {
    /// The form two names are compared in when case must not matter (usernames): NFC, then
    /// lower case by Unicode's rules (`ROOT`, `root` and `Root` are one account; so are
    /// `NGUYỄN` and `nguyễn`).
    public static func caseFolded(_ raw: String) -> String { nfc(nfc(raw).lowercased()) }
}

/// A string that is only ever held validated and NFC: built with a throwing `init`, coded as
/// a plain JSON string (decoding validates too).
public protocol ValidatedText: Hashable, Sendable, Codable, CustomStringConvertible {
    var value: String { get }
    init(_ raw: String) throws(CodeError)
}

extension ValidatedText {
    public var description: String { value }

    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(raw) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}

/// The code of the dossier being served: opaque, 1–64 printable characters, NFC,
/// e.g. `000.30.25.H17-240702-0012`.
public struct DossierCode: ValidatedText {
    public static let maximumLength = 64
    public let value: String

    public init(_ raw: String) throws(CodeError) {
        value = try validatedCode(raw, field: "dossier", maximum: Self.maximumLength, allowSpaces: false)
    }

}

/// A clerk as the counter knows them: the staff code or name the clerk's software sends,
/// NFC, 1–100 printable characters (spaces allowed inside: "Nguyễn Thị Ánh").
public struct ClerkID: ValidatedText {
    public static let maximumLength = 100
    public let value: String

    public init(_ raw: String) throws(CodeError) {
        value = try validatedCode(raw, field: "clerk", maximum: Self.maximumLength, allowSpaces: true)
    }

}
