public import HailongDomain
import HailongGPIO

#if canImport(Glibc)
import Glibc
#endif

/// The clocks the agent reads. Injected, so tests never depend on the machine's clock.
public protocol AgentClock: Sendable {
    /// CLOCK_MONOTONIC: the clock of GPIO edge timestamps, rating windows and re-timing.
    func monotonic() -> MonotonicInstant
    /// Wall-clock time, UTC.
    func wall() -> WallTime
    /// Whether the wall clock is synchronized (NTP); boards without an RTC start unsynchronized.
    func isSynchronized() -> Bool
    /// The kernel's boot id: monotonic readings only compare within one boot.
    var bootID: String { get }
}

/// The machine's clocks.
public struct SystemClock: AgentClock {
    public let bootID: String

    public init() {
        bootID = Self.readBootID() ?? "unknown"
    }

    public func monotonic() -> MonotonicInstant { monotonicNow() }

    public func wall() -> WallTime {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return WallTime(microseconds: Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000)
    }

    public func isSynchronized() -> Bool { wallClockIsSynchronized() }

    static func readBootID() -> String? {
        guard let file = fopen("/proc/sys/kernel/random/boot_id", "r") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 64)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
        let text = String(decoding: buffer.prefix { $0 != 0 && $0 != 10 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.isEmpty ? nil : text
    }
}
