public import Crypto

/// Bearer tokens and enrollment codes are stored as SHA-256 hex digests (swift-crypto): they
/// are 256-bit random, so a plain hash is the right tool (bcrypt is for guessable passwords).
public enum TokenDigest {
    public static func hex(_ text: String) -> String {
        SHA256.hash(data: Array(text.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
/// Random secrets the server hands out.
enum Secret {
    /// A 256-bit token, hex, with a prefix saying whose it is (`hlb_` board, `hla_` account).
    static func token(prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef")
        return prefix + String((0..<64).map { _ in digits[Int(generator.next() % 16)] })
    }

    /// A one-time enrollment code a technician can type: 12 characters without look-alikes,
    /// grouped `XXXX-XXXX-XXXX` (about 60 bits; valid 24 h and once).
    static func enrollmentCode() -> String {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        let chars = (0..<12).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
        return String(chars[0..<4]) + "-" + String(chars[4..<8]) + "-" + String(chars[8..<12])
    }
}
