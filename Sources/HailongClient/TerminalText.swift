/// Text from a server or a board made safe to print: nothing it carries can drive the
/// terminal. A board could send a status with ESC sequences (clear the screen, retitle the
/// window, fake a line); the server refuses them now, but an older database or another server
/// may still hold some.
public enum TerminalText {
    /// `text` with every control character but tab and line ends (C0, DEL, C1, a carriage
    /// return not followed by a line feed) and every bidirectional override shown as U+FFFD.
    public static func safe(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        guard scalars.contains(where: isUnsafe) || scalars.contains("\r") else { return text }
        var out = String.UnicodeScalarView()
        for (index, scalar) in scalars.enumerated() {
            if scalar == "\r" {
                out.append(index + 1 < scalars.count && scalars[index + 1] == "\n" ? scalar : "\u{FFFD}")
            } else {
                out.append(isUnsafe(scalar) ? "\u{FFFD}" : scalar)
            }
        }
        return String(out)
    }

    private static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D: false
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x202A...0x202E, 0x2066...0x2069: true  // bidi embeddings, overrides, isolates
        default: false
        }
    }
}
