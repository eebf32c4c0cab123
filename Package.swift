// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "attest",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "attest", targets: ["attest"]),
        .library(name: "AttestCore", targets: ["AttestCore"]),
        .library(name: "AttestStore", targets: ["AttestStore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
    ],
    targets: [
        .target(
            name: "AttestCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "AttestStore",
            dependencies: ["AttestCore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "attest",
            dependencies: [
                "AttestCore", "AttestStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "AttestTesting",
            dependencies: ["AttestCore", "AttestStore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AttestCoreTests",
            dependencies: ["AttestCore", "AttestTesting"],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AttestStoreTests",
            dependencies: ["AttestStore", "AttestCore", "AttestTesting", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AttestCLITests",
            dependencies: ["attest", "AttestCore", "AttestStore", "AttestTesting", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
    ]
)
