/// How the lines are wired: from the `gpio` section of the agent's config.
public struct LineMap: Sendable, Equatable {
    public enum Bias: String, Sendable, CaseIterable {
        case pullUp = "pull-up"
        case pullDown = "pull-down"
        case disabled
        case asIs = "as-is"
    }

    /// Chip name (`gpiochip0`), path (`/dev/gpiochip0`) or label (`pinctrl-rp1`).
    public var chip: String
    /// Button line offsets; their order is the `line` index of edges and signals.
    public var buttons: [UInt32]
    /// LED line offsets; their order is the index given to `setLED`.
    public var leds: [UInt32]
    public var activeLow: Bool
    public var bias: Bias
    /// Kernel debounce period asked for (honoured by libgpiod v2 only).
    public var debounce: Duration

    public init(chip: String, buttons: [UInt32], leds: [UInt32], activeLow: Bool, bias: Bias, debounce: Duration) {
        self.chip = chip
        self.buttons = buttons
        self.leds = leds
        self.activeLow = activeLow
        self.bias = bias
        self.debounce = debounce
    }
}

/// What a backend found when it opened the lines.
public struct GPIODescription: Sendable, Equatable, Codable {
    public var backend: String
    public var chip: String
    public var label: String
    public var library: String
    /// True when the kernel debounces the lines, so software debounce must not add its own.
    public var kernelDebounce: Bool

    public init(backend: String, chip: String, label: String, library: String, kernelDebounce: Bool) {
        self.backend = backend
        self.chip = chip
        self.label = label
        self.library = library
        self.kernelDebounce = kernelDebounce
    }
}

/// The hardware edge of the board: button edges in, LED levels out. The libgpiod backend and
/// the simulated one both feed the same `ButtonProcessor` and counter above them.
public protocol GPIOBackend: AnyObject, Sendable {
    var description: GPIODescription { get }
    /// Each button line's level when the lines were opened (true: held down).
    var initialLevels: [Bool] { get }
    /// The edges, in order. One consumer; it finishes when the backend is shut down.
    var edges: AsyncStream<Edge> { get }
    /// Drives LED `index` (an index into `LineMap.leds`).
    func setLED(_ index: Int, on: Bool) throws(GPIOError)
    /// Stops delivering edges and releases the lines.
    func shutdown()
}

/// A GPIO failure, worded for the technician.
public struct GPIOError: Error, Sendable, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
