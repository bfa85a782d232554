import HTTPTypes

extension HTTPField.Name {
    // Names the HTTP types package does not list; each is a valid token, so the initialiser
    // cannot fail (the fallback only satisfies the type).
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For") ?? .via
    static let xForwardedProto = HTTPField.Name("X-Forwarded-Proto") ?? .via
    static let referrerPolicy = HTTPField.Name("Referrer-Policy") ?? .via
}
