public import Hummingbird
public import HummingbirdCore
public import Logging
public import NIOCore
public import NIOHTTPTypes
import HTTPTypes
import Synchronization

/// How many connections an HTTP surface holds and how long it waits for a client.
///
/// Without these an idle socket, or one that sends half its headers and stops, stays open as
/// long as the client likes; a thousand of them exhaust the process's file descriptors and the
/// server answers nobody. With them:
/// - a connection must deliver a complete request head within `headTimeout` of opening or of
///   its previous response (this is also the keep-alive idle timeout), and its body within
///   `bodyTimeout` of the head;
/// - at most `maximumConnections` are open; at the limit a new connection evicts the one that
///   has waited longest for a request head (an idle or half-sent one), and only when every
///   open connection is busy with a request is the new one refused with 503.
public struct ConnectionLimits: Sendable, Equatable {
    public var maximumConnections: Int
    public var headTimeout: Duration
    public var bodyTimeout: Duration

    public init(maximumConnections: Int = 1000, headTimeout: Duration = .seconds(10), bodyTimeout: Duration = .seconds(60)) {
        self.maximumConnections = maximumConnections
        self.headTimeout = headTimeout
        self.bodyTimeout = bodyTimeout
    }

    /// These limits with the connection cap lowered to fit `fileLimit` open files, keeping
    /// `reserve` descriptors for everything else the process opens (database, uplink, GPIO).
    public func fitting(fileLimit: Int, reserve: Int = 64) -> ConnectionLimits {
        var limits = self
        limits.maximumConnections = max(8, min(maximumConnections, fileLimit - reserve))
        return limits
    }

    /// The `HTTPServerBuilder` for an `Application`: HTTP/1.1 with the guard in every
    /// connection's pipeline.
    public func server(_ registry: ConnectionRegistry) -> HTTPServerBuilder {
        .http1(configuration: .init(additionalChannelHandlers: [ConnectionGuardHandler(registry: registry, limits: self)]))
    }
}

/// The open connections of one HTTP surface, shared by every connection's guard (connections
/// live on different event loops, hence the lock).
public final class ConnectionRegistry: Sendable {
    public struct Counts: Sendable, Equatable {
        /// Open now.
        public var open = 0
        /// Idle or half-sent connections closed to make room, since start.
        public var evicted = 0
        /// Connections refused with 503 because every open one was busy, since start.
        public var refused = 0
        /// Connections closed for a request head or body not sent in time, since start.
        public var timedOut = 0
    }

    private struct Entry {
        var channel: any Channel
        /// When the connection started waiting for a request head (nil: busy with a request).
        var waitingSince: UInt64?
    }

    private struct State {
        var entries: [ObjectIdentifier: Entry] = [:]
        var counts = Counts()
        var ticket: UInt64 = 0
        /// Evictions and refusals not yet logged, and when the last line was logged.
        var unlogged = (evicted: 0, refused: 0)
        var lastLog: ContinuousClock.Instant?
    }

    private let state = Mutex(State())
    let maximum: Int
    let logger: Logger
    let name: String

    /// - Parameters:
    ///   - maximum: the most connections open at once.
    ///   - name: the surface, for log lines ("local API", "server").
    public init(maximum: Int, name: String, logger: Logger) {
        self.maximum = maximum
        self.name = name
        self.logger = logger
    }

    public var counts: Counts { state.withLock { $0.counts } }

    enum Admission { case admitted, refused }

    /// Registers a new connection; at the limit evicts the longest-waiting idle one, or refuses.
    func open(_ channel: any Channel) -> Admission {
        let id = ObjectIdentifier(channel)
        let (admission, victim) = state.withLock { state -> (Admission, (any Channel)?) in
            var victim: (any Channel)?
            if state.entries.count >= maximum {
                var oldest: (key: ObjectIdentifier, since: UInt64, channel: any Channel)?
                for (key, entry) in state.entries {
                    guard let since = entry.waitingSince else { continue }
                    if oldest.map({ since < $0.since }) ?? true { oldest = (key, since, entry.channel) }
                }
                guard let oldest else {
                    state.counts.refused += 1
                    state.unlogged.refused += 1
                    return (.refused, nil)
                }
                state.entries[oldest.key] = nil
                state.counts.evicted += 1
                state.unlogged.evicted += 1
                victim = oldest.channel
            }
            state.ticket += 1
            state.entries[id] = Entry(channel: channel, waitingSince: state.ticket)
            state.counts.open = state.entries.count
            return (.admitted, victim)
        }
        victim?.close(promise: nil)
        if victim != nil || admission == .refused { logPressure() }
        return admission
    }

    func busy(_ channel: any Channel) {
        state.withLock { $0.entries[ObjectIdentifier(channel)]?.waitingSince = nil }
    }

    func waiting(_ channel: any Channel) {
        state.withLock { state in
            guard state.entries[ObjectIdentifier(channel)] != nil else { return }
            state.ticket += 1
            state.entries[ObjectIdentifier(channel)]?.waitingSince = state.ticket
        }
    }

    func closed(_ channel: any Channel) {
        state.withLock { state in
            state.entries[ObjectIdentifier(channel)] = nil
            state.counts.open = state.entries.count
        }
    }

    func timedOut() { state.withLock { $0.counts.timedOut += 1 } }

    /// One warning every 10 s at most while the limit is being hit, with what was done.
    private func logPressure() {
        let now = ContinuousClock.now
        let line = state.withLock { state -> (evicted: Int, refused: Int)? in
            if let last = state.lastLog, now - last < .seconds(10) { return nil }
            state.lastLog = now
            defer { state.unlogged = (0, 0) }
            return state.unlogged
        }
        guard let line else { return }
        logger.warning(
            "connection limit reached: closed idle connections to make room, refused new ones when all were busy",
            metadata: [
                "surface": "\(name)", "limit": "\(maximum)", "evicted": "\(line.evicted)", "refused": "\(line.refused)",
            ])
    }
}

/// Times each connection's request head and body, and admits it through the registry.
final class ConnectionGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let registry: ConnectionRegistry
    private let limits: ConnectionLimits
    private var registered = false
    private var refused = false
    private var deadline: Scheduled<Void>?
    private var requestsOpen = 0

    init(registry: ConnectionRegistry, limits: ConnectionLimits) {
        self.registry = registry
        self.limits = limits
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { admit(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        admit(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelDeadline()
        if registered { registry.closed(context.channel) }
        registered = false
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelDeadline()
        if registered { registry.closed(context.channel) }
        registered = false
    }

    private func admit(_ context: ChannelHandlerContext) {
        guard !registered, !refused else { return }
        switch registry.open(context.channel) {
        case .admitted:
            registered = true
            schedule(context, in: limits.headTimeout)
        case .refused:
            // Answered once the client has sent its request head (a response written before
            // the request may be lost to a reset); a client that sends nothing is just closed.
            refused = true
            schedule(context, in: .seconds(2))
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if refused {
            if case .head = part { refuse(context) }
            return
        }
        switch part {
        case .head:
            requestsOpen += 1
            registry.busy(context.channel)
            schedule(context, in: limits.bodyTimeout)
        case .end:
            cancelDeadline()
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            requestsOpen = max(0, requestsOpen - 1)
            if requestsOpen == 0, registered {
                registry.waiting(context.channel)
                schedule(context, in: limits.headTimeout)
            }
        }
        context.write(data, promise: promise)
    }

    private func refuse(_ context: ChannelHandlerContext) {
        cancelDeadline()
        let body = ByteBuffer(string: #"{"error":"busy","message":"too many connections, try again shortly / máy chủ đang quá tải, thử lại sau"}"#)
        var fields = HTTPFields()
        fields[.contentType] = "application/json; charset=utf-8"
        fields[.contentLength] = "\(body.readableBytes)"
        fields[.connection] = "close"
        fields[.retryAfter] = "1"
        context.write(wrapOutboundOut(.head(HTTPResponse(status: .serviceUnavailable, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in bound.value.close(promise: nil) }
    }

    /// Closes the connection unless the next stage arrives within `delay`.
    private func schedule(_ context: ChannelHandlerContext, in delay: Duration) {
        cancelDeadline()
        let registry = self.registry
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: TimeAmount(delay)) {
            registry.timedOut()
            loopBound.value.close(promise: nil)
        }
    }

    private func cancelDeadline() {
        deadline?.cancel()
        deadline = nil
    }
}
