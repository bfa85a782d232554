/// The token of an `Authorization: Bearer …` header. The scheme is case-insensitive
/// (RFC 9110 §11.1): `bearer`, `Bearer` and `BEARER` are the same.
public enum BearerToken {
    /// The token, or nil when the header is not a bearer credential or carries no token.
    public static func parse(_ header: String?) -> String? {
        guard let header else { return nil }
        let trimmed = header.drop { $0 == " " || $0 == "\t" }
        guard trimmed.utf8.count > 7, trimmed.prefix(6).lowercased() == "bearer" else { return nil }
        let rest = trimmed.dropFirst(6)
        guard let first = rest.first, first == " " || first == "\t" else { return nil }
        let token = rest.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed()
        let value = String(token)
        return value.isEmpty ? nil : value
    }
}
