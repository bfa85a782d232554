import Foundation
import Glibc
public import Logging

/// Speaks systemd's service notification protocol (`sd_notify(3)`) without libsystemd.
///
/// systemd passes a datagram socket's address in `NOTIFY_SOCKET` to a `Type=notify` service;
/// each message is one `AF_UNIX`/`SOCK_DGRAM` datagram of newline-separated `KEY=VALUE`
/// assignments. When `NOTIFY_SOCKET` is unset (run by hand, in tests, under another supervisor)
/// the notifier does nothing.
///
/// ```swift
/// let notifier = SystemdNotifier(logger: logger)
/// notifier.notify(.ready, .status("Quầy 1 · clerk 0042 · backlog 0"))
/// ```
public struct SystemdNotifier: Sendable {
    /// One assignment of the notify protocol.
    public enum Message: Sendable, Hashable {
        /// `READY=1`: start-up is finished; systemd considers the unit started.
        case ready
        /// `STATUS=…`: a one-line, human-readable state shown by `systemctl status`.
        case status(String)
        /// `WATCHDOG=1`: keep-alive for `WatchdogSec=`.
        case watchdog
        /// `STOPPING=1`: the service is shutting down.
        case stopping

        /// The `KEY=VALUE` line sent on the wire.
        public var assignment: String {
            switch self {
            case .ready: "READY=1"
            case .watchdog: "WATCHDOG=1"
            case .stopping: "STOPPING=1"
            case .status(let text):
                // One assignment per line: a newline in the text would start a bogus assignment.
                "STATUS=" + String(text.map { $0.isNewline ? " " : $0 })
            }
        }
    }

    /// Where `NOTIFY_SOCKET` points.
    public enum SocketAddress: Sendable, Hashable {
        /// A socket in the file system (`/run/systemd/notify`).
        case path(String)
        /// A socket in the abstract namespace (`@name`), stored without the leading `@`.
        case abstract(String)
    }

    /// The socket to notify, or `nil` when notifications are off.
    public let socketAddress: SocketAddress?
    /// systemd's `WatchdogSec=` as passed in `WATCHDOG_USEC`, when it is meant for this process.
    public let watchdogTimeout: Duration?
    private let logger: Logger

    /// Whether `NOTIFY_SOCKET` named a usable socket.
    public var isEnabled: Bool { socketAddress != nil }

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` from this process's environment.
    public init(logger: Logger) {
        self.init(environment: ProcessInfo.processInfo.environment, processID: getpid(), logger: logger)
    }

    /// Reads the notify variables from `environment`, as if this process had id `processID`.
    ///
    /// - Parameters:
    ///   - environment: the variables systemd set (`NOTIFY_SOCKET`, `WATCHDOG_USEC`, `WATCHDOG_PID`).
    ///   - processID: compared with `WATCHDOG_PID`: a watchdog meant for another process is ignored.
    ///   - logger: where send failures and unusable variables are reported.
    public init(environment: [String: String], processID: Int32, logger: Logger) {
        self.logger = logger
        self.socketAddress = Self.parseSocket(environment["NOTIFY_SOCKET"], logger: logger)
        self.watchdogTimeout = Self.parseWatchdog(
            usec: environment["WATCHDOG_USEC"],
            pid: environment["WATCHDOG_PID"],
            processID: processID,
            logger: logger
        )
    }

    /// Sends `messages` as one datagram; a no-op when notifications are off.
    ///
    /// - Returns: whether the datagram was delivered. Failures are logged, never thrown:
    ///   a supervisor that cannot be told must not stop the agent.
    @discardableResult
    public func notify(_ messages: Message...) -> Bool {
        notify(messages)
    }

    /// Sends `messages` as one datagram; a no-op when notifications are off.
    @discardableResult
    public func notify(_ messages: [Message]) -> Bool {
        guard isEnabled, !messages.isEmpty else { return false }
        do {
            try send(messages)
            return true
        } catch {
            logger.warning(
                "systemd notification not delivered",
                metadata: ["error": "\(error)", "messages": "\(messages.map(\.assignment))"]
            )
            return false
        }
    }

    /// Sends `messages` as one datagram, throwing when it cannot be delivered.
    public func send(_ messages: [Message]) throws(SystemdNotifyError) {
        guard let socketAddress else { throw .notConfigured }
        let payload = messages.map(\.assignment).joined(separator: "\n")
        try Self.sendDatagram(Array(payload.utf8), to: socketAddress)
        logger.trace("systemd notified", metadata: ["messages": "\(messages.map(\.assignment))"])
    }
}

/// Why a notification could not be sent.
public enum SystemdNotifyError: Error, Equatable, CustomStringConvertible {
    /// `NOTIFY_SOCKET` is unset or unusable.
    case notConfigured
    /// A system call failed with `errno`.
    case systemCall(String, errno: Int32)

    public var description: String {
        switch self {
        case .notConfigured:
            "NOTIFY_SOCKET is not set"
        case .systemCall(let call, let code):
            "\(call) failed: \(String(cString: strerror(code))) (errno \(code))"
        }
    }
}

extension SystemdNotifier {
    /// `sun_path` holds 108 bytes; a path needs its terminating NUL, an abstract name its leading one.
    private static let maximumAddressBytes = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1

    static func parseSocket(_ value: String?, logger: Logger) -> SocketAddress? {
        guard let value, !value.isEmpty else { return nil }
        let address: SocketAddress
        if value.hasPrefix("/") {
            address = .path(value)
        } else if value.hasPrefix("@") {
            address = .abstract(String(value.dropFirst()))
        } else {
            // systemd ≥ 254 may also pass vsock: addresses (VMs); a board never gets one.
            logger.warning("NOTIFY_SOCKET has an unsupported address; notifications off", metadata: ["NOTIFY_SOCKET": "\(value)"])
            return nil
        }
        guard value.utf8.count <= maximumAddressBytes + (value.hasPrefix("@") ? 1 : 0) else {
            logger.warning("NOTIFY_SOCKET path is too long; notifications off", metadata: ["NOTIFY_SOCKET": "\(value)"])
            return nil
        }
        return address
    }

    static func parseWatchdog(usec: String?, pid: String?, processID: Int32, logger: Logger) -> Duration? {
        guard let usec else { return nil }
        guard let microseconds = UInt64(usec), microseconds > 0, microseconds <= UInt64(Int64.max) else {
            logger.warning("WATCHDOG_USEC is not a positive number; watchdog off", metadata: ["WATCHDOG_USEC": "\(usec)"])
            return nil
        }
        if let pid {
            // A watchdog inherited from a parent (e.g. a shell started by the service) is not ours.
            guard let owner = Int32(pid), owner == processID else { return nil }
        }
        return .microseconds(Int64(microseconds))
    }

    private static func sendDatagram(_ payload: [UInt8], to address: SocketAddress) throws(SystemdNotifyError) {
        var storage = sockaddr_un()
        storage.sun_family = sa_family_t(AF_UNIX)
        let nameBytes: [UInt8]
        switch address {
        case .path(let path): nameBytes = Array(path.utf8) + [0]
        case .abstract(let name): nameBytes = [0] + Array(name.utf8)
        }
        guard nameBytes.count <= maximumAddressBytes + 1 else {
            throw .systemCall("sockaddr_un", errno: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &storage.sun_path) { sunPath in
            sunPath.copyBytes(from: nameBytes)
        }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path) ?? MemoryLayout<sa_family_t>.size
        // An abstract address is exactly as long as its name: trailing NULs would be part of it.
        let addressLength = socklen_t(pathOffset + nameBytes.count)

        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw .systemCall("socket", errno: errno) }
        defer { close(descriptor) }

        var sent: Int
        repeat {
            sent = payload.withUnsafeBytes { bytes in
                withUnsafePointer(to: &storage) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                        sendto(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), socketAddress, addressLength)
                    }
                }
            }
        } while sent < 0 && errno == EINTR
        guard sent >= 0 else { throw .systemCall("sendto", errno: errno) }
        guard sent == payload.count else { throw .systemCall("sendto (short datagram)", errno: EMSGSIZE) }
    }
}
