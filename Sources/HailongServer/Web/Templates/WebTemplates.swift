import Mustache

/// The dashboard's templates, compiled into the binary (a resource bundle beside the binary is
/// what once let one request kill the installed server: issue 11 §1).
enum WebTemplates {
    static let all: [String: String] = [
        "document": document, "head": head, "foot": foot, "csvLink": csvLink, "rateCells": rateCells,
        "login": login, "error": error, "overview": overview, "ranking": ranking, "heatmap": heatmap,
        "boards": boards, "alerts": alerts, "dossier": dossier,
    ]

    /// Every template parsed; a template that does not parse fails the server's start (and the
    /// tests), never a request.
    static func library() throws -> MustacheLibrary {
        var library = MustacheLibrary()
        for (name, text) in all { try library.register(text, named: name) }
        return library
    }
}
