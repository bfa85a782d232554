public import Hummingbird
public import NIOCore

/// The request context of the server's routes: Hummingbird's core plus the client's address,
/// which login throttling keys on.
public struct ServerRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer of the connection (nil in router tests without a socket).
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The client's IP address as text, or "local" when there is none.
    var clientAddress: String { remoteAddress?.ipAddress ?? "local" }
}
