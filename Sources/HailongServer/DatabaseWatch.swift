public import HailongSystemd
public import Logging
import Synchronization

/// The server's systemd watchdog probe: it asks the database each round, bounded as `/healthz`
/// is, and answers that the process is alive whatever the database says.
///
/// The watchdog is there for a hung process, which a restart mends. A database that is down is
/// not mended by restarting the replicas in front of it: unbounded, the probe used to hang while
/// PostgreSQL was away, the pings stopped and systemd killed each replica after `WatchdogSec=`;
/// the restarted one then waited for the database before listening at all, so a load balancer saw
/// refused connections instead of `/healthz`'s 503, and the restarts counted towards the unit's
/// start limit. Now a replica stays up through the outage: `/healthz` answers 503, the state is
/// logged once each way and shown in `systemctl status` (`STATUS=`), and the pool reconnects when
/// the database is back. A process too stuck to run this probe still stops the pings.
public final class DatabaseWatch: Sendable {
    private let store: any HailongStore
    private let bound: Duration
    private let logger: Logger
    private let status: @Sendable (String) -> Void
    private let away = Mutex(false)

    /// - Parameter status: shows a line in `systemctl status` (the notifier's `STATUS=`).
    public init(store: any HailongStore, bound: Duration = healthzBound, logger: Logger, status: @escaping @Sendable (String) -> Void) {
        self.store = store
        self.bound = bound
        self.logger = logger
        self.status = status
    }

    /// The watch for a server notifying systemd through `notifier`.
    public convenience init(store: any HailongStore, notifier: SystemdNotifier, logger: Logger) {
        self.init(store: store, logger: logger) { line in _ = notifier.notify(.status(line)) }
    }

    /// Whether the database answered this round (the watchdog itself only needs this to return).
    @discardableResult
    public func probe() async -> Bool {
        do {
            try await store.ping(within: bound)
            if away.withLock({ state in defer { state = false }; return state }) {
                logger.notice("database reachable again / cơ sở dữ liệu đã trả lời trở lại")
                status("serving; the database answers again")
            }
            return true
        } catch {
            if !away.withLock({ state in defer { state = true }; return state }) {
                logger.error(
                    "database unreachable; answering 503 until it is back / không kết nối được cơ sở dữ liệu",
                    metadata: ["error": "\(error)"])
                status("database unreachable, /healthz answers 503: \(error)")
            }
            return false
        }
    }
}
