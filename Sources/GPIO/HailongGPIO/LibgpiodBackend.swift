import CHailongGPIO
import Dispatch
public import HailongDomain
public import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Button lines and LEDs through libgpiod on a kernel GPIO character device.
///
/// A dedicated thread blocks in `poll(2)` on the line request file descriptors — no polling of
/// values, no timer while idle — and hands each edge with its kernel timestamp to `edges`.
public final class LibgpiodBackend: GPIOBackend, @unchecked Sendable {
    // @unchecked: `handle` is set once in init and only freed in `shutdown` after the reader
    // thread has stopped; libgpiod calls on distinct lines are thread-safe for our use
    // (the reader only reads button events, LED writes touch output lines).
    private let handle: OpaquePointer
    public let description: GPIODescription
    public let initialLevels: [Bool]
    public let edges: AsyncStream<Edge>
    private let continuation: AsyncStream<Edge>.Continuation
    private let stopping = StopFlag()
    private let stopped = DispatchSemaphore(value: 0)
    private let ledLock = Mutex<Void>(())
    private let logger: Logger

    /// Opens the chip and requests the lines.
    /// - Throws: `GPIOError` naming the chip or line and what is wrong (missing, busy, no access).
    public init(lines: LineMap, consumer: String = "hailong-agent", logger: Logger) throws(GPIOError) {
        self.logger = logger
        var error = [CChar](repeating: 0, count: 512)
        let opened: OpaquePointer? = lines.chip.withCString { chip in
            consumer.withCString { consumerName in
                lines.buttons.withUnsafeBufferPointer { buttons in
                    lines.leds.withUnsafeBufferPointer { leds in
                        var config = hl_gpio_config(
                            chip: chip, button_offsets: buttons.baseAddress, button_count: buttons.count,
                            led_offsets: leds.baseAddress, led_count: leds.count,
                            active_low: lines.activeLow ? 1 : 0, bias: Int32(lines.bias.cValue),
                            debounce_us: UInt32(clamping: lines.debounce.nanoseconds / 1000), consumer: consumerName)
                        return error.withUnsafeMutableBufferPointer { buffer in
                            hl_gpio_open(&config, buffer.baseAddress, buffer.count)
                        }
                    }
                }
            }
        }
        guard let opened else {
            let message = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw GPIOError(message.isEmpty ? "cannot open GPIO chip '\(lines.chip)'" : message)
        }
        handle = opened
        description = GPIODescription(
            backend: "libgpiod",
            chip: String(cString: hl_gpio_chip_name(opened)),
            label: String(cString: hl_gpio_chip_label(opened)),
            library: "libgpiod \(String(cString: hl_gpio_library_version())) (API v\(hl_gpio_api_generation()))",
            kernelDebounce: hl_gpio_kernel_debounce(opened) != 0)
        initialLevels = lines.buttons.indices.map { hl_gpio_button_value(opened, $0) == 1 }
        (edges, continuation) = AsyncStream.makeStream(of: Edge.self, bufferingPolicy: .unbounded)
        startReader()
    }

    private func startReader() {
        let handle = UnsafeHandle(pointer: self.handle)
        let continuation = self.continuation
        let stopping = self.stopping
        let stopped = self.stopped
        let logger = self.logger
        // Not the cooperative pool: this thread blocks in poll(2) for as long as nobody presses.
        let thread = DispatchQueue(label: "hailong.gpio.edges")
        thread.async {
            var buffer = [hl_gpio_edge](repeating: hl_gpio_edge(), count: 64)
            while !stopping.isSet {
                let count = buffer.withUnsafeMutableBufferPointer { hl_gpio_wait(handle.pointer, -1, $0.baseAddress, $0.count) }
                if count < 0 {
                    let code = errno
                    logger.error("reading GPIO events failed", metadata: ["errno": "\(code)"])
                    if code == EBADF || code == ENODEV { break }
                    continue
                }
                let now = hl_gpio_monotonic_ns()
                for edge in buffer.prefix(Int(count)) {
                    // Kernels before 5.7 stamped v1 events with CLOCK_REALTIME: fall back to now
                    // when a stamp is implausibly far from the monotonic clock.
                    let stamp = abs(edge.timestamp_ns - now) < 3_600_000_000_000 ? edge.timestamp_ns : now
                    continuation.yield(Edge(line: Int(edge.button), active: edge.active != 0, at: MonotonicInstant(nanoseconds: stamp)))
                }
            }
            continuation.finish()
            stopped.signal()
        }
    }

    public func setLED(_ index: Int, on: Bool) throws(GPIOError) {
        let result = ledLock.withLock { _ in hl_gpio_set_led(handle, index, on ? 1 : 0) }
        if result < 0 { throw GPIOError("cannot set LED \(index): errno \(errno)") }
    }

    public func shutdown() {
        guard stopping.set() else { return }
        hl_gpio_wake(handle)
        stopped.wait()
        hl_gpio_close(handle)
    }

    deinit { shutdown() }
}

/// Set once when shutting down; shared with the reader thread.
private final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    var isSet: Bool { flag.load(ordering: .acquiring) }
    /// Sets the flag; true only for the caller that set it first.
    func set() -> Bool { !flag.exchange(true, ordering: .acquiringAndReleasing) }
}

/// The C handle, moved to the reader thread that alone waits on it.
private struct UnsafeHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}

extension LineMap.Bias {
    var cValue: UInt32 {
        switch self {
        case .asIs: HL_GPIO_BIAS_AS_IS.rawValue
        case .disabled: HL_GPIO_BIAS_DISABLED.rawValue
        case .pullUp: HL_GPIO_BIAS_PULL_UP.rawValue
        case .pullDown: HL_GPIO_BIAS_PULL_DOWN.rawValue
        }
    }
}

/// The monotonic clock the kernel stamps GPIO edges with.
public func monotonicNow() -> MonotonicInstant {
    MonotonicInstant(nanoseconds: hl_gpio_monotonic_ns())
}

/// Whether the kernel says the wall clock is synchronized (what `timedatectl` shows as
/// "System clock synchronized"); boards without an RTC start unsynchronized.
public func wallClockIsSynchronized() -> Bool {
    hl_clock_synchronized() != 0
}
