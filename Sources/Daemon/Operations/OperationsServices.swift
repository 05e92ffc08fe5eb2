import BreakwaterConfig
import Glibc
import Logging
import StormCore

/// The daemon's operations side, started beside libmilter: the control socket, the metrics
/// endpoint and the storm notifier, each as configured. A part that cannot start is logged and
/// left off; filtering mail matters more than any of them.
final class OperationsServices: Sendable {
    private let control: ControlServer?
    private let metrics: MetricsServer?

    private init(control: ControlServer?, metrics: MetricsServer?) {
        self.control = control
        self.metrics = metrics
    }

    /// Starts what `config` asks for. `reload` is what SIGUSR1 does.
    static func start(_ config: DaemonConfig, service: FilterService, snapshotPath: String,
                      reload: @escaping @Sendable () -> Void) -> OperationsServices {
        let logger = service.logger
        let notifier = StormNotifier(command: config.notifyCommand, timeout: config.notifyTimeout,
                                     ledger: service.engine.ledger, logger: logger)
        let mail = StormMail(sendmail: config.sendmailPath, relay: config.notifyRelay,
                             recipients: config.notifyMail, toAuthor: config.notifyAuthor,
                             timeout: config.notifyTimeout, ledger: service.engine.ledger, logger: logger)
        if let notifier { logger.notice("storms will be announced through \(notifier.arguments[0])") }
        if let mail {
            let to = mail.recipients + (mail.toAuthor ? ["the thread's author"] : [])
            logger.notice("storms will be mailed to \(to.joined(separator: ", ")) through \(mail.route)")
        }
        if notifier != nil || mail != nil {
            service.operations.onTrip.withLock {
                $0 = { event in
                    notifier?.notify(event)
                    mail?.send(event)
                }
            }
        }
        var control: ControlServer?
        if !config.controlSocket.isEmpty {
            do throws(SocketIO.Failure) {
                let server = try ControlServer(path: config.controlSocket, mode: config.controlSocketMode,
                                               service: service, reload: reload)
                if server.start() {
                    control = server
                    logger.notice("control socket at \(server.path) (breakwater storms, release, freeze, stats)")
                } else {
                    server.stop()
                    logger.error("cannot start the control socket thread; admin verbs are off")
                }
            } catch {
                logger.error("cannot open the control socket: \(error); admin verbs are off")
            }
        }
        var metrics: MetricsServer?
        if !config.metricsListen.isEmpty {
            do throws(SocketIO.Failure) {
                let server = try MetricsServer(address: config.metricsListen) {
                    let now = service.clock()
                    return service.operations.exposition(ledger: service.engine.ledger, sharedState: service.sharedState, now: now,
                                                         snapshotAge: Self.age(of: snapshotPath, now: now))
                }
                if server.start() {
                    metrics = server
                    logger.notice("metrics at http://\(server.address)/metrics")
                } else {
                    server.stop()
                    logger.error("cannot start the metrics thread; metrics are off")
                }
            } catch {
                logger.error("cannot open the metrics endpoint: \(error); metrics are off")
            }
        }
        return OperationsServices(control: control, metrics: metrics)
    }

    /// Stops both servers (the control socket file is removed).
    func stop() {
        control?.stop()
        metrics?.stop()
    }

    /// Seconds since the snapshot file was last written; nil when there is none. why the file's
    /// time: it changes only on a successful rename, which is what "last good snapshot" means.
    static func age(of path: String, now: Instant) -> Int64? {
        guard !path.isEmpty else { return nil }
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return max(0, now.seconds - Int64(info.st_mtim.tv_sec))
    }
}
