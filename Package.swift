// swift-tools-version:6.1
import PackageDescription

/// Strict settings on every Swift target: the whole package is Swift 6 language mode
/// (strict concurrency) and existentials must be spelled `any`.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

/// How the board's binary is linked in release (issue 2's memory goal, < 30 MB resident): lld
/// puts the functions the agent runs at start side by side (`startup.order`, made by
/// `scripts/agent-order` with callgrind), so the kernel maps a few MB of code instead of 64 KB
/// fault-around windows scattered over 28 MB of text; relative relocations are packed (DT_RELR,
/// glibc ≥ 2.36 as on Debian 12) and the executable exports no symbols, which shrinks the tables
/// the loader reads. 36 MB → 23 MB after start (bench/agent). A stale order file costs memory,
/// never correctness: names it does not find are skipped.
let agentReleaseLink = [
    "-use-ld=lld",
    "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
    "-Xlinker", "--no-export-dynamic",
    "-Xlinker", "--symbol-ordering-file=\(Context.packageDirectory)/Sources/Executables/hailong-agent/startup.order",
    "-Xlinker", "--no-warn-symbol-ordering",
]

let package = Package(
    name: "hailong",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "hailong-agent", targets: ["hailong-agent"]),
        .library(name: "HailongDomain", targets: ["HailongDomain"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    ],
    targets: [
        // MARK: Domain — pure rules, no I/O, no Foundation. Shared by the board and the server.
        .target(name: "HailongDomain", swiftSettings: strict),

        // MARK: GPIO — libgpiod behind a small C boundary, plus the simulated backend.
        .systemLibrary(
            name: "CLibgpiod",
            path: "Sources/GPIO/CLibgpiod",
            pkgConfig: "libgpiod",
            providers: [.apt(["libgpiod-dev"])]
        ),
        .target(
            name: "CHailongGPIO",
            dependencies: ["CLibgpiod"],
            path: "Sources/GPIO/CHailongGPIO"
        ),
        .target(
            name: "HailongGPIO",
            dependencies: [
                "HailongDomain", "CHailongGPIO",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/GPIO/HailongGPIO",
            swiftSettings: strict
        ),

        // MARK: systemd's notify protocol and watchdog, for the agent and the server alike.
        .target(
            name: "HailongSystemd",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "HailongSystemdTests", dependencies: ["HailongSystemd"], swiftSettings: strict),

        // MARK: The HTTP edge both the board's local API and the server share: connection limits
        // and read timeouts, the bearer scheme.
        .target(
            name: "HailongHTTP",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strict
        ),

        // MARK: The board agent.
        .target(
            name: "HailongAgent",
            dependencies: [
                "HailongDomain", "HailongGPIO", "HailongSystemd", "HailongHTTP",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                // The uplink's TLS settings (system CAs + uplink.ca_file) and request bodies.
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "hailong-agent",
            dependencies: [
                "HailongAgent", "HailongDomain", "HailongGPIO", "HailongHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Sources/Executables/hailong-agent",
            exclude: ["startup.order"],
            swiftSettings: strict,
            linkerSettings: [.unsafeFlags(agentReleaseLink, .when(configuration: .release))]
        ),

        // MARK: Benchmarks (not tests): numbers printed against a baseline in the same run.
        .executableTarget(
            name: "hailong-bench-agent",
            dependencies: [
                "HailongAgent", "HailongDomain", "HailongGPIO",
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/AgentLatency",
            swiftSettings: strict
        ),

        // MARK: Tests
        .testTarget(name: "HailongDomainTests", dependencies: ["HailongDomain"], swiftSettings: strict),
        .testTarget(name: "HailongGPIOTests", dependencies: ["HailongGPIO"], swiftSettings: strict),
        .testTarget(
            name: "HailongAgentTests",
            dependencies: [
                "HailongAgent",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "HailongDomain", "HailongTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strict
        ),
        // Helpers more than one test target needs (never shipped).
        .target(name: "HailongTestSupport", path: "Tests/Support", swiftSettings: strict),
    ]
)

// MARK: - Central server and `hailong` CLI (issue 4)
// Kept in its own section so the board's lines above stay untouched.
package.products += [
    .executable(name: "hailong-server", targets: ["hailong-server"]),
    .executable(name: "hailong", targets: ["hailong"]),
    .library(name: "HailongServer", targets: ["HailongServer"]),
]
package.dependencies += [
    .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
    .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
    // Only its JSON decoder, for ingest bodies (~4× Foundation's JSONDecoder; see Ingest/).
    .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
    // The managers' dashboard: server-rendered pages (issue 13).
    .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
    // The production store (issue 15): PostgreSQL through PostgresClient.
    .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
]
package.targets += [
    // The server: Hummingbird application, storage protocol + SQLite (GRDB), reports, accounts.
    .target(
        name: "HailongServer",
        dependencies: [
            "HailongDomain", "HailongSystemd", "HailongHTTP",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "GRDB", package: "GRDB.swift"),
            // The SQLite C API beside GRDB: reports read integer columns straight from the statement.
            .product(name: "GRDBSQLite", package: "GRDB.swift"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            .product(name: "Mustache", package: "swift-mustache"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            // storage.url's sslmode=verify-full and storage.ca_file.
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ],
        exclude: ["Ingest/ingest_json.proto"],
        swiftSettings: strict
    ),
    // The `hailong` CLI's logic (HTTP calls, tables, config), testable without a process.
    .target(
        name: "HailongClient",
        dependencies: [
            "HailongDomain",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Yams", package: "Yams"),
        ],
        swiftSettings: strict
    ),
    .executableTarget(
        name: "hailong-server",
        dependencies: [
            "HailongServer", "HailongSystemd", "HailongHTTP",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ],
        path: "Sources/Executables/hailong-server",
        swiftSettings: strict
    ),
    .executableTarget(
        name: "hailong",
        dependencies: [
            "HailongClient",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ],
        path: "Sources/Executables/hailong",
        swiftSettings: strict
    ),
    .executableTarget(
        name: "hailong-bench-server",
        dependencies: [
            "HailongServer", "HailongDomain", "HailongClient",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ],
        path: "Benchmarks/ServerBench",
        swiftSettings: strict
    ),
    // Board ↔ server: the agent's uplink against the real server application on loopback.
    .testTarget(
        name: "UplinkTests",
        dependencies: [
            "HailongAgent", "HailongServer", "HailongDomain", "HailongTestSupport",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ],
        exclude: ["tls-proxy.py"],
        swiftSettings: strict
    ),
    // Board → server drain throughput beside the server's ingest baseline (issue 5).
    // PostgreSQL: ingest beside direct PostgresNIO inserts, a nation's steady load, reports on
    // both stores (issue 15; bench/postgres).
    .executableTarget(
        name: "hailong-bench-postgres",
        dependencies: [
            "HailongServer", "HailongDomain", "HailongClient",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
        ],
        path: "Benchmarks/PostgresBench",
        swiftSettings: strict
    ),
    .executableTarget(
        name: "hailong-bench-drain",
        dependencies: [
            "HailongAgent", "HailongServer", "HailongDomain",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ],
        path: "Benchmarks/UplinkDrain",
        swiftSettings: strict
    ),
    .testTarget(
        name: "HailongServerTests",
        dependencies: [
            "HailongServer", "HailongClient", "HailongDomain", "HailongTestSupport",
            // Built before the tests so the live-process test can run the real binary.
            "hailong-server",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            // The dashboard's tests recompute a session cookie's stored digest.
            .product(name: "Crypto", package: "swift-crypto"),
            // The PostgreSQL runs make a schema per test.
            .product(name: "PostgresNIO", package: "postgres-nio"),
        ],
        swiftSettings: strict
    ),
]
