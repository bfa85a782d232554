public import HailongDomain
public import HailongGPIO
public import HailongHTTP

/// The agent's configuration: `/etc/hailong/agent.yaml` (DESIGN §8). Every key has a default
/// where one makes sense; an unknown or misspelt key is an error naming the key and its line.
public struct AgentConfig: Sendable, Equatable {
    public enum Backend: String, Sendable, CaseIterable { case libgpiod, simulated }

    public struct GPIO: Sendable, Equatable {
        public var backend: Backend = .libgpiod
        public var chip = "gpiochip0"
        /// level → line offset
        public var buttons: [Int: UInt32] = [3: 17, 2: 27, 1: 22]
        public var readyLED: UInt32? = 5
        public var thanksLED: UInt32? = 6
        public var faultLED: UInt32? = 13
        /// Optional LED per button: level → line offset (`leds: {3: 16}`).
        public var buttonLEDs: [Int: UInt32] = [:]
        public var activeLow = true
        public var bias: LineMap.Bias = .pullUp
        public var debounce: Duration = .milliseconds(30)
        public var stuckAfter: Duration = .seconds(10)
    }

    public struct Rating: Sendable, Equatable {
        public var window: Duration = .seconds(60)
        public var spamInterval: Duration = .seconds(5)
        public var unbound: Counter.UnboundPolicy = .record
    }

    public struct Storage: Sendable, Equatable {
        public var path = "/var/lib/hailong/agent.db"
        public var retainDays = 90
    }

    public struct API: Sendable, Equatable {
        public var host = "127.0.0.1"
        public var port = 8731
        public var tokenFile = "/etc/hailong/api-token"
        /// `api.max_connections`, `api.head_timeout_s`: the local API serves one counter PC; a
        /// flood of idle sockets is closed and evicted instead of starving it (the cap is
        /// lowered at start to fit the open-file limit).
        public var limits = ConnectionLimits(maximumConnections: 128, headTimeout: .seconds(10), bodyTimeout: .seconds(30))
    }

    public struct Uplink: Sendable, Equatable {
        public enum Detail: String, Sendable, CaseIterable { case events, aggregates }
        public var server = ""
        public var detail: Detail = .events
        public var caFile = ""
    }

    public var counter = "Quầy 1"
    public var scale: Scale = .vn3
    public var timeZone = "Asia/Ho_Chi_Minh"
    public var gpio = GPIO()
    public var rating = Rating()
    public var storage = Storage()
    public var api = API()
    public var uplink = Uplink()

    public init() {}

    /// The default location.
    public static let defaultPath = "/etc/hailong/agent.yaml"

    /// Parses YAML text; `file` is only used in messages.
    public init(yaml: String, file: String) throws(ConfigError) {
        var root = try YAMLSection.root(yaml: yaml, file: file)
        var config = AgentConfig()
        config.counter = Text.nfc(try root.string("counter", default: config.counter))
        if config.counter.isEmpty || config.counter.count > 100 {
            throw root.error("counter", root.node("counter"), "must be 1–100 characters")
        }
        config.scale = try root.choice("scale", default: config.scale)
        config.timeZone = try root.string("time_zone", default: config.timeZone)

        var gpio = try root.section("gpio")
        config.gpio.backend = try gpio.choice("backend", default: config.gpio.backend)
        config.gpio.chip = try gpio.string("chip", default: config.gpio.chip)
        if let buttons = try gpio.intMap("buttons") {
            var map: [Int: UInt32] = [:]
            for entry in buttons {
                guard let level = Int(entry.key), config.scale.contains(level) else {
                    throw ConfigError(
                        file: file, line: entry.line, key: "gpio.buttons.\(entry.key)",
                        message: "'\(entry.key)' is not a level of scale \(config.scale.rawValue) (levels \(config.scale.levels.map(String.init).joined(separator: ", ")))")
                }
                map[level] = try Self.offset(entry.value, key: "gpio.buttons.\(entry.key)", line: entry.line, file: file)
            }
            guard !map.isEmpty else { throw gpio.error("buttons", nil, "at least one button is needed") }
            config.gpio.buttons = map
        }
        if let leds = try gpio.intMap("leds") {
            config.gpio.readyLED = nil
            config.gpio.thanksLED = nil
            config.gpio.faultLED = nil
            for entry in leds {
                let offset = try Self.offset(entry.value, key: "gpio.leds.\(entry.key)", line: entry.line, file: file)
                switch entry.key {
                case "ready": config.gpio.readyLED = offset
                case "thanks": config.gpio.thanksLED = offset
                case "fault": config.gpio.faultLED = offset
                default:
                    guard let level = Int(entry.key), config.scale.contains(level) else {
                        throw ConfigError(
                            file: file, line: entry.line, key: "gpio.leds.\(entry.key)",
                            message: "unknown LED (ready | thanks | fault, or a level of the scale for a button's own LED)")
                    }
                    config.gpio.buttonLEDs[level] = offset
                }
            }
        }
        config.gpio.activeLow = try gpio.bool("active_low", default: config.gpio.activeLow)
        config.gpio.bias = try gpio.choice("bias", default: config.gpio.bias)
        config.gpio.debounce = .milliseconds(try gpio.int("debounce_ms", default: 30, range: 0...1000))
        config.gpio.stuckAfter = .seconds(try gpio.int("stuck_s", default: 10, range: 1...3600))
        try gpio.finish()
        var used: [UInt32: String] = [:]
        for (name, offset) in config.gpio.namedLines {
            if let other = used[offset] {
                // Named after where the second use is: two buttons on one line is a gpio.buttons
                // mistake, an LED on a button's line a gpio.leds one.
                throw gpio.error(name.hasPrefix("button ") ? "buttons" : "leds", nil, "line \(offset) is used twice (\(other) and \(name))")
            }
            used[offset] = name
        }

        var rating = try root.section("rating")
        config.rating.window = .seconds(try rating.int("window_s", default: 60, range: 1...86_400))
        config.rating.spamInterval = .seconds(try rating.int("spam_interval_s", default: 5, range: 0...3600))
        config.rating.unbound = try rating.choice("unbound", default: config.rating.unbound)
        try rating.finish()

        var storage = try root.section("storage")
        config.storage.path = try storage.string("path", default: config.storage.path)
        config.storage.retainDays = try storage.int("retain_days", default: 90, range: 1...36_500)
        try storage.finish()

        var api = try root.section("api")
        let listen = try api.string("listen", default: "\(config.api.host):\(config.api.port)")
        guard let (host, port) = Self.hostPort(listen) else {
            throw api.error("listen", api.node("listen"), "'\(listen)' is not HOST:PORT (e.g. 127.0.0.1:8731)")
        }
        config.api.host = host
        config.api.port = port
        config.api.tokenFile = try api.string("token_file", default: config.api.tokenFile)
        config.api.limits.maximumConnections = try api.int("max_connections", default: config.api.limits.maximumConnections, range: 1...65_536)
        config.api.limits.headTimeout = .seconds(try api.int("head_timeout_s", default: 10, range: 1...3600))
        try api.finish()

        var uplink = try root.section("uplink")
        config.uplink.server = try uplink.string("server", default: "")
        config.uplink.detail = try uplink.choice("detail", default: config.uplink.detail)
        config.uplink.caFile = try uplink.string("ca_file", default: "")
        try uplink.finish()

        try root.finish()
        self = config
    }

    private static func offset(_ value: Int, key: String, line: Int?, file: String) throws(ConfigError) -> UInt32 {
        guard (0...1023).contains(value) else {
            throw ConfigError(file: file, line: line, key: key, message: "\(value) is not a line offset (0–1023)")
        }
        return UInt32(value)
    }

    static func hostPort(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        return (host, port)
    }
}

extension AgentConfig.GPIO {
    /// Button levels in line order (best first), as the backend's `line` indices.
    public var buttonLevels: [Int] { buttons.keys.sorted(by: >) }

    /// Every configured line with a name, for duplicate checks and `check`'s report.
    public var namedLines: [(String, UInt32)] {
        var lines: [(String, UInt32)] = buttonLevels.compactMap { level in buttons[level].map { ("button \(level)", $0) } }
        if let readyLED { lines.append(("ready LED", readyLED)) }
        if let thanksLED { lines.append(("thanks LED", thanksLED)) }
        if let faultLED { lines.append(("fault LED", faultLED)) }
        for level in buttonLEDs.keys.sorted(by: >) { if let offset = buttonLEDs[level] { lines.append(("LED of button \(level)", offset)) } }
        return lines
    }

    /// The line map the backends open; LED indices follow `ledRoles`.
    public var lineMap: LineMap {
        LineMap(
            chip: chip, buttons: buttonLevels.compactMap { buttons[$0] }, leds: ledRoles.map(\.offset),
            activeLow: activeLow, bias: bias, debounce: debounce)
    }

    /// What each requested LED line is for.
    public var ledRoles: [(role: LEDRole, offset: UInt32)] {
        var roles: [(role: LEDRole, offset: UInt32)] = []
        if let readyLED { roles.append((.counter(.ready), readyLED)) }
        if let thanksLED { roles.append((.counter(.thanks), thanksLED)) }
        if let faultLED { roles.append((.counter(.fault), faultLED)) }
        for level in buttonLEDs.keys.sorted(by: >) { if let offset = buttonLEDs[level] { roles.append((.button(level), offset)) } }
        return roles
    }
}

/// What an LED line shows.
public enum LEDRole: Hashable, Sendable {
    case counter(Counter.LED)
    case button(Int)
}
