#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
public import NIOCore

/// A socket that could not be opened for listening, said with its address and what to do.
public struct ListenError: Error, CustomStringConvertible {
    public var address: String
    public var reason: String

    public var description: String { "cannot listen on \(address): \(reason) / không mở được cổng \(address)" }

    /// The error to report for `error`, thrown while binding `host:port`, or nil when it is not
    /// a bind failure.
    public static func from(_ error: any Error, host: String, port: Int) -> ListenError? {
        guard let io = error as? IOError else { return nil }
        let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        switch io.errnoCode {
        case EADDRINUSE: return ListenError(address: address, reason: "the address is already in use (another server running, or a second copy of this one?)")
        case EACCES: return ListenError(address: address, reason: "permission denied (ports below 1024 need privileges)")
        case EADDRNOTAVAIL: return ListenError(address: address, reason: "this machine has no such address")
        default: return nil
        }
    }
}
