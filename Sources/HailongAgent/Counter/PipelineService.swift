import Logging
import ServiceLifecycle

/// Runs the counter pipeline until shutdown; on SIGTERM the lights go out and the lines are
/// released. Nothing is lost: every acknowledged event was committed before its answer.
struct PipelineService: Service {
    let agent: Agent

    func run() async throws {
        let pipeline = agent.pipeline
        let backend = agent.backend
        await withGracefulShutdownHandler {
            await pipeline.consume(backend.edges)
        } onGracefulShutdown: {
            _ = agent.notifier.notify(.stopping)
            backend.shutdown()
        }
        await pipeline.lightsOut()
        agent.logger.info("counter pipeline stopped")
    }
}
