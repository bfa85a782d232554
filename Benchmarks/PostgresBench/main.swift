import NIOCore
import NIOPosix

// The load generator's tasks run on NIO's event loops, as hailong-server's do (see its main.swift):
// fewer thread wake-ups per request, so less of the 2 cores goes to the generator.
NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
try await Bench.main()
