import HailongDomain

/// What a store is asked to keep, decided outside it (issue 15): the checks, NFC, defaults and
/// new ids every store applies alike, so that a store holds SQL and nothing else.
enum StoreRules {
    /// The time zone of a unit made without one: Vietnam's, where Hailong's counters are.
    static let defaultTimeZone = "Asia/Ho_Chi_Minh"

    /// A unit as a store inserts it: code and name checked, parent code in NFC, a known zone.
    struct CheckedUnit: Sendable {
        var code: String
        var name: String
        var parent: String?
        var zone: String
    }

    static func unit(_ new: NewUnit, zones: ZoneOffsets) throws -> CheckedUnit {
        let code = try Validate.code(new.code, field: "code")
        let name = try Validate.name(new.name, field: "name")
        let zone = new.timeZone.map(Text.nfc) ?? defaultTimeZone
        guard zones.isValid(zone) else { throw StoreError.invalid("unknown time zone \"\(zone)\"") }
        return CheckedUnit(code: code, name: name, parent: new.parent.map(Text.nfc), zone: zone)
    }

    /// Whether a login attempt may be counted (`admitLoginAttempt`): every key under its limit,
    /// given each key's attempts already counted in the window.
    static func admitsLoginAttempt(limits: [String: Int], earlier: [String: [WallTime]]) -> Bool {
        limits.allSatisfy { key, limit in (earlier[key]?.count ?? 0) < limit }
    }

    /// A new board's id: `b-` and 8 random hex characters (32 bits, short enough to type).
    static func newBoardId() -> String { String(Secret.token(prefix: "b-").prefix(10)) }

    /// Ids a new board may take, in order: a store gives it the first that no board has yet,
    /// looked up inside its insert's transaction. Among a nation's 20,000 boards one 32-bit
    /// draw repeats an existing id with a chance of about 5 % (the national benchmark met one);
    /// with `boardIdDraws` draws a repeat costs a look-up, never a refused `boards add`.
    static func boardIdCandidates() -> [String] { (0..<boardIdDraws).map { _ in drawBoardId() } }

    static let boardIdDraws = 16

    /// The draw behind each candidate; a test replaces it to make boards draw alike.
    @TaskLocal static var drawBoardId: @Sendable () -> String = { newBoardId() }

    /// What a store answers when every candidate is taken.
    static let noFreeBoardId = StoreError.conflict(
        "no free board id in \(boardIdDraws) draws / không tìm được mã bảng còn trống sau \(boardIdDraws) lần bốc")
}

/// Input checks every store's writers share: codes and names checked and NFC.
enum Validate {
    /// A code: 1–64 printable characters, no spaces, NFC.
    static func code(_ raw: String, field: String) throws -> String {
        do { return try DossierCode(raw).value } catch {
            throw StoreError.invalid(error.description.replacingOccurrences(of: "dossier", with: field))
        }
    }

    /// A name: 1–100 printable characters, spaces inside allowed, NFC.
    static func name(_ raw: String, field: String) throws -> String {
        do { return try ClerkID(raw).value } catch {
            throw StoreError.invalid(error.description.replacingOccurrences(of: "clerk", with: field))
        }
    }
}
