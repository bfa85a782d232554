public import HailongDomain
public import HailongGPIO

/// The board's state as `GET /v1/status` answers it and `hailong-agent status` prints it.
public struct AgentStatus: Codable, Sendable {
    public struct SessionStatus: Codable, Sendable {
        public var dossier: String
        public var clerk: String
        public var openedAt: String
        public var secondsLeft: Double
    }

    public struct RatingStatus: Codable, Sendable {
        public var seq: Int64
        public var level: Int
        public var label: Scale.Label?
        public var binding: Binding?
        public var dossier: String?
        public var clerk: String?
        public var at: String
    }

    public struct ClockStatus: Codable, Sendable {
        public var synchronized: Bool
        public var bootId: String
        public var now: String
    }

    public var counter: String
    public var scale: String
    public var version: String
    public var clerk: String?
    public var session: SessionStatus?
    public var lastRating: RatingStatus?
    public var lastSeq: Int64
    /// Events not yet acknowledged by the server.
    public var backlog: Int
    public var faults: [String]
    public var clock: ClockStatus
    /// LED name → off | on | blinking
    public var leds: [String: String]
    /// Buttons held down right now.
    public var held: [Int]
    public var gpio: GPIODescription
    /// Forwarding to the server: last successful upload, last error, counters.
    public var uplink: UplinkState.Snapshot?
}
