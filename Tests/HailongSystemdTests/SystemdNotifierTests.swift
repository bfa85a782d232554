import Foundation
import Glibc
import Logging
import ServiceLifecycle
import Testing

@testable import HailongSystemd

/// A datagram socket standing in for systemd's `NOTIFY_SOCKET`.
private final class NotifySocketListener: Sendable {
    let environmentValue: String
    private let descriptor: Int32
    private let path: String?

    /// Binds a socket in a fresh temporary directory, or in the abstract namespace.
    init(abstract: Bool = false) throws {
        let name = "hailong-notify-\(UUID().uuidString.prefix(8))"
        let nameBytes: [UInt8]
        if abstract {
            path = nil
            environmentValue = "@" + name
            nameBytes = [0] + Array(name.utf8)
        } else {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let socketPath = directory.appendingPathComponent("notify").path
            path = socketPath
            environmentValue = socketPath
            nameBytes = Array(socketPath.utf8) + [0]
        }
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw ListenerError.systemCall("socket", errno) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: nameBytes) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + nameBytes.count)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0 else {
            let code = errno
            close(descriptor)
            throw ListenerError.systemCall("bind", code)
        }
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
        if let path {
            try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path)
        }
    }

    /// The next datagram already queued, without waiting.
    func pending() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        guard count >= 0 else { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }

    /// Waits for the next datagram; the deadline only bounds a failing test.
    func next(within deadline: Duration = .seconds(10)) async -> String? {
        let clock = ContinuousClock()
        let end = clock.now + deadline
        while clock.now < end {
            if let datagram = pending() { return datagram }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return nil
    }

    enum ListenerError: Error { case systemCall(String, Int32) }
}

/// Hands ticks to a `WatchdogService` one at a time: `tick()` returns once the service took the
/// tick, which it only does after it finished handling the previous one.
private struct TickDriver {
    let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        // No buffer: a tick is either taken by the waiting loop or dropped, never queued.
        (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(0))
    }

    func tick() async {
        while case .dropped = continuation.yield(()) {
            await Task.yield()
        }
    }

    func finish() { continuation.finish() }
}

/// Counts probe calls and lets a test hold a probe in a stalled pipeline.
private actor ProbeScript {
    enum Answer { case healthy, unhealthy, stall }
    private var answers: [Answer]
    private let afterwards: Answer
    private(set) var calls = 0
    private var stalled: [CheckedContinuation<Bool, Never>] = []
    private var callWaiters: [(Int, CheckedContinuation<Void, Never>)] = []

    /// Answers as scripted, then `afterwards` for every later call.
    init(_ answers: [Answer], then afterwards: Answer = .healthy) {
        self.answers = answers
        self.afterwards = afterwards
    }

    func answer() async -> Bool {
        calls += 1
        let ready = callWaiters.filter { $0.0 <= calls }
        callWaiters.removeAll { $0.0 <= calls }
        ready.forEach { $0.1.resume() }
        let answer = answers.isEmpty ? afterwards : answers.removeFirst()
        switch answer {
        case .healthy: return true
        case .unhealthy: return false
        case .stall: return await withCheckedContinuation { stalled.append($0) }
        }
    }

    /// Waits until the probe was called at least `count` times.
    func waitForCalls(_ count: Int) async {
        if calls >= count { return }
        await withCheckedContinuation { callWaiters.append((count, $0)) }
    }

    /// The stalled pipeline comes back: stuck probes answer now.
    func release() {
        stalled.forEach { $0.resume(returning: true) }
        stalled.removeAll()
    }
}

private let logger = Logger(label: "test.systemd", factory: { _ in SwiftLogNoOpLogHandler() })

/// A logger whose messages a test can wait for: what the watchdog logs is what a technician
/// reads in the journal, and it tells the test when a probe's answer has been handled.
private struct LogCapture {
    let logger: Logger
    private let messages: AsyncStream<String>

    init() {
        let (messages, continuation) = AsyncStream.makeStream(of: String.self)
        self.messages = messages
        logger = Logger(label: "test.systemd.capture", factory: { _ in Handler(continuation: continuation) })
    }

    /// Waits for a message containing `text`.
    func waitFor(_ text: String) async {
        for await message in messages where message.contains(text) { return }
    }

    private struct Handler: LogHandler {
        let continuation: AsyncStream<String>.Continuation
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            continuation.yield(event.message.description)
        }
    }
}

private func notifier(_ listener: NotifySocketListener, watchdogUSec: String? = "3000000") -> SystemdNotifier {
    var environment = ["NOTIFY_SOCKET": listener.environmentValue]
    environment["WATCHDOG_USEC"] = watchdogUSec
    return SystemdNotifier(environment: environment, processID: getpid(), logger: logger)
}

@Suite("sd_notify without libsystemd", .serialized)
struct SystemdNotifierTests {
    @Test("does nothing when NOTIFY_SOCKET is unset")
    func disabledWithoutSocket() throws {
        let notifier = SystemdNotifier(environment: ["WATCHDOG_USEC": "30000000"], processID: getpid(), logger: logger)
        #expect(!notifier.isEnabled)
        #expect(notifier.notify(.ready) == false)
        #expect(throws: SystemdNotifyError.notConfigured) { try notifier.send([.ready]) }
    }

    @Test("sends READY=1 and STATUS to a socket in the file system")
    func readyAndStatusToPath() async throws {
        let listener = try NotifySocketListener()
        let notifier = notifier(listener)
        #expect(notifier.socketAddress == .path(listener.environmentValue))
        #expect(notifier.notify(.ready, .status("Quầy 1 · clerk 0042 · backlog 3")))
        #expect(await listener.next() == "READY=1\nSTATUS=Quầy 1 · clerk 0042 · backlog 3")
        #expect(notifier.notify(.stopping))
        #expect(await listener.next() == "STOPPING=1")
    }

    @Test("sends to an abstract socket named with @")
    func abstractSocket() async throws {
        let listener = try NotifySocketListener(abstract: true)
        let notifier = notifier(listener)
        guard case .abstract = notifier.socketAddress else {
            Issue.record("expected an abstract address, got \(String(describing: notifier.socketAddress))")
            return
        }
        #expect(notifier.notify(.watchdog))
        #expect(await listener.next() == "WATCHDOG=1")
    }

    @Test("a newline in STATUS cannot start another assignment")
    func statusIsOneLine() {
        #expect(SystemdNotifier.Message.status("a\nREADY=1\r\nb").assignment == "STATUS=a READY=1 b")
    }

    @Test("reports, does not throw, when the socket is gone")
    func missingSocket() {
        let notifier = SystemdNotifier(
            environment: ["NOTIFY_SOCKET": "/nonexistent/hailong/notify"],
            processID: getpid(),
            logger: logger
        )
        #expect(notifier.isEnabled)
        #expect(notifier.notify(.ready) == false)
        #expect(throws: SystemdNotifyError.self) { try notifier.send([.ready]) }
    }

    @Test(
        "reads NOTIFY_SOCKET and the watchdog variables",
        arguments: [
            (["NOTIFY_SOCKET": "/run/systemd/notify", "WATCHDOG_USEC": "30000000"], true, Duration.seconds(30)),
            (["NOTIFY_SOCKET": "@/org/freedesktop/systemd1/notify", "WATCHDOG_USEC": "500"], true, Duration.microseconds(500)),
            (["NOTIFY_SOCKET": "/run/systemd/notify", "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "4242"], true, nil),
            (["NOTIFY_SOCKET": "/run/systemd/notify", "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "4243"], true, Duration.seconds(30)),
            (["NOTIFY_SOCKET": "/run/systemd/notify", "WATCHDOG_USEC": "0"], true, nil),
            (["NOTIFY_SOCKET": "/run/systemd/notify", "WATCHDOG_USEC": "soon"], true, nil),
            (["NOTIFY_SOCKET": "vsock:2:1234", "WATCHDOG_USEC": "30000000"], false, Duration.seconds(30)),
            (["NOTIFY_SOCKET": "relative/notify"], false, nil),
            (["NOTIFY_SOCKET": "/" + String(repeating: "x", count: 200)], false, nil),
            ([:], false, nil),
        ] as [([String: String], Bool, Duration?)]
    )
    func environment(variables: [String: String], enabled: Bool, timeout: Duration?) {
        let notifier = SystemdNotifier(environment: variables, processID: 4243, logger: logger)
        #expect(notifier.isEnabled == enabled)
        #expect(notifier.watchdogTimeout == timeout)
    }
}

@Suite("watchdog fed by the pipeline", .serialized)
struct WatchdogServiceTests {
    @Test("pings once per tick while the probe answers")
    func healthyPipelinePings() async throws {
        let listener = try NotifySocketListener()
        let probes = ProbeScript([])
        let ticks = TickDriver()
        let service = WatchdogService(notifier: notifier(listener), ticks: ticks.stream, probe: { await probes.answer() }, logger: logger)
        let running = Task { try await service.run() }

        #expect(await listener.next() == "WATCHDOG=1")  // first probe runs at start
        for _ in 1...3 {
            await ticks.tick()
            #expect(await listener.next() == "WATCHDOG=1")
        }
        ticks.finish()
        try await running.value
        #expect(await probes.calls == 4)
        #expect(listener.pending() == nil)
    }

    @Test("a stalled pipeline stops the pings, and they resume when it recovers")
    func stalledPipelineStopsPings() async throws {
        let listener = try NotifySocketListener()
        // Probe 3 is the recovered pipeline; later probes stall so extra ticks add no pings.
        let probes = ProbeScript([.healthy, .stall, .healthy], then: .stall)
        let ticks = TickDriver()
        let log = LogCapture()
        let service = WatchdogService(notifier: notifier(listener), ticks: ticks.stream, probe: { await probes.answer() }, logger: log.logger)
        let running = Task { try await service.run() }

        #expect(await listener.next() == "WATCHDOG=1")
        await ticks.tick()  // probe 2 starts and hangs in the stalled pipeline
        await probes.waitForCalls(2)
        for _ in 1...6 {
            await ticks.tick()  // taken only once the previous tick was handled
        }
        #expect(listener.pending() == nil, "no WATCHDOG=1 while the pipeline is stalled")
        #expect(await probes.calls == 2, "no new probe piles up behind a stuck one")

        await probes.release()  // the late answer earns nothing; the next tick probes afresh
        await log.waitFor("answered the watchdog probe late")
        #expect(listener.pending() == nil)
        await ticks.tick()
        #expect(await listener.next() == "WATCHDOG=1")
        #expect(await probes.calls == 3)
        ticks.finish()
        try await running.value
        await probes.release()  // a probe answering after the service stopped sends nothing
        #expect(listener.pending() == nil)
    }

    @Test("a probe that answers unhealthy earns no ping")
    func unhealthyAnswer() async throws {
        let listener = try NotifySocketListener()
        let probes = ProbeScript([.unhealthy], then: .stall)
        let ticks = TickDriver()
        let service = WatchdogService(notifier: notifier(listener), ticks: ticks.stream, probe: { await probes.answer() }, logger: logger)
        let running = Task { try await service.run() }

        // Probe 2 starts only after probe 1's answer was handled, so any ping for it is queued by then.
        while await probes.calls < 2 {
            await ticks.tick()
        }
        await ticks.tick()
        #expect(listener.pending() == nil)
        ticks.finish()
        try await running.value
        await probes.release()
    }

    @Test("the clock-driven watchdog pings at WATCHDOG_USEC/3")
    func clockDrivenPings() async throws {
        let listener = try NotifySocketListener()
        let service = WatchdogService(notifier: notifier(listener, watchdogUSec: "30000"), probe: { true }, logger: logger)
        let running = Task { try await service.run() }
        #expect(await listener.next() == "WATCHDOG=1")
        #expect(await listener.next() == "WATCHDOG=1")
        running.cancel()
        try await running.value
        #expect(WatchdogService.tickInterval(forTimeout: .seconds(30)) == .seconds(10))
    }

    @Test("idles until shutdown when systemd asked for no watchdog")
    func idleWithoutWatchdog() async throws {
        let listener = try NotifySocketListener()
        let service = WatchdogService(notifier: notifier(listener, watchdogUSec: nil), probe: { true }, logger: logger)
        let group = ServiceGroup(services: [service], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(listener.pending() == nil)
    }
}

@Suite("watchdog policy")
struct WatchdogPolicyTests {
    @Test("a probe answering within its tick earns a ping")
    func onTime() {
        var policy = WatchdogPolicy()
        #expect(policy.tick() == .startProbe(generation: 1))
        #expect(policy.answered(generation: 1, healthy: true) == .ping)
        #expect(policy.tick() == .startProbe(generation: 2))
        #expect(policy.answered(generation: 2, healthy: false) == .unhealthy)
    }

    @Test("a late answer earns nothing and the next tick probes afresh")
    func late() {
        var policy = WatchdogPolicy()
        #expect(policy.tick() == .startProbe(generation: 1))
        #expect(policy.tick() == .stalled(generation: 1, missedTicks: 1))
        #expect(policy.tick() == .stalled(generation: 1, missedTicks: 2))
        #expect(policy.answered(generation: 1, healthy: true) == .late(missedTicks: 2))
        #expect(policy.answered(generation: 1, healthy: true) == .unexpected)
        #expect(policy.tick() == .startProbe(generation: 2))
        #expect(policy.answered(generation: 2, healthy: true) == .ping)
    }
}
