import ArgumentParser
import Foundation
import HailongClient
import HailongDomain

/// `hailong`: technicians' and managers' command over HTTP (DESIGN §8). The work is done by
/// HailongClient; this file only parses arguments and prints.
@main
struct Hailong: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hailong", abstract: "Hailong: units, clerks, boards and satisfaction reports.",
        subcommands: [
            Login.self, Units.self, Counters.self, Clerks.self, Boards.self, ReportCommand.self, Dossier.self, Alerts.self,
            Session.self, ClerkAtBoard.self,
        ])
}

struct ServerOptions: ParsableArguments {
    @Option(help: "Server URL (or HAILONG_SERVER, or server: in ~/.config/hailong/cli.yaml).") var server: String?
    @Option(help: "API token (or HAILONG_TOKEN, or token: in ~/.config/hailong/cli.yaml).") var token: String?

    func commands() throws -> ServerCommands {
        let config = try CLIConfig.resolve(server: server, token: token)
        return ServerCommands(api: HTTPEndpoint(baseURL: config.server, token: config.token))
    }
}

struct BoardOptions: ParsableArguments {
    @Option(help: "The board's local API.") var board: String = "http://127.0.0.1:8731"
    @Option(help: "The board's API token (or HAILONG_BOARD_TOKEN).") var boardToken: String?
    @Option(help: "File holding the board's API token.") var boardTokenFile: String = "/etc/hailong/api-token"

    func commands() throws -> BoardCommands {
        let token = try boardToken ?? ProcessInfo.processInfo.environment["HAILONG_BOARD_TOKEN"] ?? BoardCommands.token(file: boardTokenFile)
        return BoardCommands(api: HTTPEndpoint(baseURL: board, token: token, timeout: .seconds(10)))
    }
}

enum HailongCLI {
    /// Runs a command body, printing its output; errors become a clear message and exit code 1.
    static func run(_ body: () async throws -> String) async throws {
    do {
        // What the server or a board sent is printed, never obeyed: no control sequences.
        FileHandle.standardOutput.write(Data(TerminalText.safe(try await body()).utf8))
    } catch let error as CLIError {
        FileHandle.standardError.write(Data("hailong: \(TerminalText.safe(error.description))\n".utf8))
        throw ExitCode.failure
    } catch let error as CodeError {
        FileHandle.standardError.write(Data("hailong: \(TerminalText.safe(error.description))\n".utf8))
        throw ExitCode.failure
    }
    }
}

struct Login: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Log in and save an API token to ~/.config/hailong/cli.yaml.")
    @OptionGroup var server: ServerOptions
    @Option var username: String
    @Option(help: "Password (or HAILONG_PASSWORD).") var password: String?
    func run() async throws {
        try await HailongCLI.run {
            guard let password = password ?? ProcessInfo.processInfo.environment["HAILONG_PASSWORD"] else {
                throw CLIError("give --password or set HAILONG_PASSWORD")
            }
            let commands = try server.commands()
            let reply = try await commands.login(username: username, password: password)
            try CLIConfig(server: commands.api.baseURL, token: reply.token).save()
            return "logged in as \(reply.username) (\(reply.role)); token saved to \(CLIConfig.defaultFile)\n"
        }
    }
}


struct Units: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List or add units.", subcommands: [List.self, Add.self], defaultSubcommand: List.self)
    struct List: AsyncParsableCommand {
        @OptionGroup var server: ServerOptions
        func run() async throws { try await HailongCLI.run { try await server.commands().units() } }
    }
    struct Add: AsyncParsableCommand {
        @OptionGroup var server: ServerOptions
        @Argument var code: String
        @Argument var name: String
        @Option var parent: String?
        @Option var timeZone: String?
        func run() async throws {
            try await HailongCLI.run { try await server.commands().addUnit(code: code, name: name, parent: parent, timeZone: timeZone) }
        }
    }
}

struct Counters: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List or add counters.", subcommands: [List.self, Add.self], defaultSubcommand: List.self)
    struct List: AsyncParsableCommand {
        @OptionGroup var server: ServerOptions
        @Option var unit: String?
        func run() async throws { try await HailongCLI.run { try await server.commands().counters(unit: unit) } }
    }
    struct Add: AsyncParsableCommand {
        @OptionGroup var server: ServerOptions
        @Option var unit: String
        @Argument var name: String
        func run() async throws { try await HailongCLI.run { try await server.commands().addCounter(unit: unit, name: name) } }
    }
}

struct Clerks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, add or import clerks.", subcommands: [List.self, Add.self, Import.self], defaultSubcommand: List.self)
    struct List: AsyncParsableCommand {
        @OptionGroup var server: ServerOptions
        @Option var unit: String?
        func run() async throws { try await HailongCLI.run { try await server.commands().clerks(unit: unit) } }
    }
    struct Add: AsyncParsableCommand {
        @OptionGroup var server: ServerOptions
        @Argument var code: String
        @Argument var name: String
        @Option var unit: String
        func run() async throws { try await HailongCLI.run { try await server.commands().addClerk(code: code, name: name, unit: unit) } }
    }
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Import a CSV file with the header code,name,unit (all rows or none).")
        @OptionGroup var server: ServerOptions
        @Argument var file: String
        @Option(help: "Unit for rows when the file has no unit column.") var unit: String?
        func run() async throws {
            try await HailongCLI.run {
                guard let data = FileManager.default.contents(atPath: file) else { throw CLIError("cannot read \(file)") }
                return try await server.commands().importClerks(csv: data, unit: unit)
            }
        }
    }
}

struct Boards: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Boards: add (prints the enrollment code), list with health, revoke.", subcommands: [List.self, Add.self, Revoke.self],
        defaultSubcommand: List.self)
    struct List: AsyncParsableCommand {
        @OptionGroup var server: ServerOptions
        @Option var unit: String?
        func run() async throws { try await HailongCLI.run { try await server.commands().boards(unit: unit) } }
    }
    struct Add: AsyncParsableCommand {
        @OptionGroup var server: ServerOptions
        @Option var unit: String
        @Option(help: "Counter name (created if missing).") var counter: String
        @Option(help: "vn3 | happy4 | vn5") var scale: String = "vn3"
        func run() async throws {
            try await HailongCLI.run {
                guard let scale = Scale(rawValue: scale) else { throw CLIError("scale must be vn3, happy4 or vn5") }
                return try await server.commands().addBoard(unit: unit, counter: counter, scale: scale)
            }
        }
    }
    struct Revoke: AsyncParsableCommand {
        @OptionGroup var server: ServerOptions
        @Argument var id: String
        func run() async throws { try await HailongCLI.run { try await server.commands().revokeBoard(id: id) } }
    }
}

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "report", abstract: "Satisfaction report.")
    @OptionGroup var server: ServerOptions
    @Option var unit: String?
    @Option(help: "First local day, YYYY-MM-DD.") var from: String?
    @Option(help: "Last local day, YYYY-MM-DD.") var to: String?
    @Option(help: "unit | counter | clerk | hour | day | week | month") var by: String = "unit"
    @Option(help: "table | csv | json") var format: String = "table"
    func run() async throws {
        try await HailongCLI.run {
            guard let format = ServerCommands.ReportFormat(rawValue: format) else { throw CLIError("format must be table, csv or json") }
            return try await server.commands().report(unit: unit, from: from, to: to, by: by, format: format)
        }
    }
}

struct Dossier: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "A dossier's session outcome and rating.")
    @OptionGroup var server: ServerOptions
    @Argument var code: String
    func run() async throws { try await HailongCLI.run { try await server.commands().dossier(code: code) } }
}

struct Alerts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Open alerts (board/server count mismatches), of a unit's subtree with --unit.")
    @OptionGroup var server: ServerOptions
    @Option(help: "Only this unit's subtree.") var unit: String?
    func run() async throws { try await HailongCLI.run { try await server.commands().alerts(unit: unit) } }
}

struct Session: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Open or close a service session on a board.", subcommands: [Open.self, Close.self])
    struct Open: AsyncParsableCommand {
        @OptionGroup var board: BoardOptions
        @Argument var dossier: String
        @Option var clerk: String
        func run() async throws { try await HailongCLI.run { try await board.commands().openSession(dossier: dossier, clerk: clerk) } }
    }
    struct Close: AsyncParsableCommand {
        @OptionGroup var board: BoardOptions
        func run() async throws { try await HailongCLI.run { try await board.commands().closeSession() } }
    }
}

struct ClerkAtBoard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "clerk", abstract: "Sign a clerk in or out at a board.", subcommands: [SignIn.self, SignOut.self])
    struct SignIn: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "signin")
        @OptionGroup var board: BoardOptions
        @Argument var clerk: String
        func run() async throws { try await HailongCLI.run { try await board.commands().signIn(clerk: clerk) } }
    }
    struct SignOut: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "signout")
        @OptionGroup var board: BoardOptions
        func run() async throws { try await HailongCLI.run { try await board.commands().signOut() } }
    }
}
