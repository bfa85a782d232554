import HummingbirdBcrypt

/// bcrypt through HummingbirdBcrypt, in one place.
enum HummingbirdBcryptShim {
    static func hash(_ password: String, cost: UInt8) -> String { Bcrypt.hash(password, cost: cost) }
}
