import AttestCore
import Foundation

/// A straightforward, recursive transcription of RFC 9162 §2.1.1 (MTH), §2.1.3.1 (PATH) and §2.1.4.1
/// (PROOF/SUBPROOF), used only to cross-check the library's iterative code. Hashing is done here with plain
/// `Hash256.sha256` over explicitly concatenated bytes, not with `Merkle.nodeHash`.
enum MerkleReference {
    static func leaf(_ data: [UInt8]) -> Hash256 {
        Hash256.sha256([0x00] + data)
    }

    static func node(_ left: Hash256, _ right: Hash256) -> Hash256 {
        Hash256.sha256([0x01] + left.bytes + right.bytes)
    }

    /// The largest power of two smaller than `n` (n > 1), found by counting up.
    static func split(_ n: Int) -> Int {
        var k = 1
        while k * 2 < n { k *= 2 }
        return k
    }

    static func mth(_ d: ArraySlice<Hash256>) -> Hash256 {
        switch d.count {
        case 0: return Hash256.sha256(Data())
        case 1: return d[d.startIndex]
        default:
            let k = split(d.count)
            let s = d.startIndex
            return node(mth(d[s..<(s + k)]), mth(d[(s + k)...]))
        }
    }

    static func path(_ m: Int, _ d: ArraySlice<Hash256>) -> [Hash256] {
        guard d.count > 1 else { return [] }
        let k = split(d.count)
        let s = d.startIndex
        if m < k {
            return path(m, d[s..<(s + k)]) + [mth(d[(s + k)...])]
        } else {
            return path(m - k, d[(s + k)...]) + [mth(d[s..<(s + k)])]
        }
    }

    static func proof(_ m: Int, _ d: ArraySlice<Hash256>) -> [Hash256] {
        subproof(m, d, true)
    }

    static func subproof(_ m: Int, _ d: ArraySlice<Hash256>, _ b: Bool) -> [Hash256] {
        let n = d.count
        if m == n { return b ? [] : [mth(d)] }
        let k = split(n)
        let s = d.startIndex
        if m <= k {
            return subproof(m, d[s..<(s + k)], b) + [mth(d[(s + k)...])]
        } else {
            return subproof(m - k, d[(s + k)...], false) + [mth(d[s..<(s + k)])]
        }
    }

    /// The combinatorial shape of PATH(m, D[n]): for each element (leaf upwards), whether it is a left sibling.
    /// Verification of a valid proof under other parameters succeeds exactly when their shape is the same.
    static func inclusionShape(_ m: UInt64, _ n: UInt64) -> [Bool] {
        guard n > 1 else { return [] }
        let k = UInt64(split(Int(n)))
        return m < k ? inclusionShape(m, k) + [false] : inclusionShape(m - k, n - k) + [true]
    }

    /// The combinatorial shape of SUBPROOF(m, D[n], true): whether a seed node leads the proof, then for each further
    /// element whether it is a left sibling.
    static func consistencyShape(_ m: UInt64, _ n: UInt64, _ b: Bool = true) -> [Bool?] {
        if m == n { return b ? [] : [nil] }
        let k = UInt64(split(Int(n)))
        return m <= k ? consistencyShape(m, k, b) + [false] : consistencyShape(m - k, n - k, false) + [true]
    }
}

/// A small deterministic generator (SplitMix64) so that property tests are reproducible.
struct MerkleTestRNG: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Shared random tree data for the property tests.
enum MerkleTestTree {
    static let maxSize = 2000

    /// `maxSize` leaf hashes of random data.
    static let leaves: [Hash256] = {
        var rng = MerkleTestRNG(seed: 0xA77E_57)
        return (0..<maxSize).map { _ in
            let count = Int.random(in: 0...40, using: &rng)
            return Merkle.leafHash((0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) })
        }
    }()

    /// Every perfect subtree of the `maxSize`-leaf tree (level 0 = the leaves), built level by level with the reference
    /// node hash. A perfect subtree of a prefix tree has the same hash in the full tree, so this is a node store for
    /// every size up to `maxSize`.
    static let nodes: [Merkle.NodeID: Hash256] = {
        var store: [Merkle.NodeID: Hash256] = [:]
        var level = leaves
        var height: UInt8 = 0
        while !level.isEmpty {
            for (index, hash) in level.enumerated() {
                store[Merkle.NodeID(level: height, index: UInt64(index))] = hash
            }
            level = stride(from: 0, to: level.count - 1, by: 2).map { MerkleReference.node(level[$0], level[$0 + 1]) }
            height += 1
        }
        return store
    }()

    /// Tree sizes to test: dense at small sizes, powers of two ± 1, the maximum, and seeded random sizes.
    static let sizes: [UInt64] = {
        var set = Set<UInt64>(1...70)
        for exponent in 6...10 {
            let power = UInt64(1) << UInt64(exponent)
            set.formUnion([power - 1, power, power + 1])
        }
        set.insert(UInt64(maxSize))
        set.insert(UInt64(maxSize - 1))
        var rng = MerkleTestRNG(seed: 7)
        for _ in 0..<16 {
            set.insert(UInt64.random(in: 71...UInt64(maxSize), using: &rng))
        }
        return set.sorted()
    }()

    static func prefix(_ size: UInt64) -> [Hash256] {
        Array(leaves[0..<Int(size)])
    }
}

/// The classic 8 test leaves of the RFC 6962 / transparency-dev test suites, and their roots.
enum MerkleClassicTree {
    static let data: [[UInt8]] = [
        "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
    ].map(hexBytes)

    static var leafHashes: [Hash256] { data.map { Merkle.leafHash($0) } }

    /// Roots for sizes 1...8 (index 0 = size 1). Sizes 1, 2, 3, 5, 6, 7, 8 appear as roots in the vectors and size 4
    /// appears as a proof element; all are also recomputed with the reference implementation.
    static let roots: [String] = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]

    static func hexBytes(_ hex: String) -> [UInt8] {
        let chars = Array(hex.utf8)
        return stride(from: 0, to: chars.count, by: 2).map { UInt8(String(decoding: chars[$0...$0 + 1], as: UTF8.self), radix: 16)! }
    }
}

/// Access to the copied transparency-dev vectors under `Fixtures/merkle`.
enum MerkleVectorFixtures {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
        .appendingPathComponent("merkle")

    /// Relative paths (`"<dir>/<name>.json"`) of every JSON file below `kind` (`inclusion` or `consistency`), sorted.
    static func files(_ kind: String) -> [String] {
        let base = root.appendingPathComponent(kind)
        guard let enumerator = FileManager.default.enumerator(atPath: base.path) else { return [] }
        var result: [String] = []
        while let path = enumerator.nextObject() as? String {
            if path.hasSuffix(".json") { result.append(path) }
        }
        return result.sorted()
    }

    static func load<Vector: Decodable>(_ kind: String, _ path: String, as type: Vector.Type) throws -> Vector {
        let data = try Data(contentsOf: root.appendingPathComponent(kind).appendingPathComponent(path))
        return try JSONDecoder().decode(Vector.self, from: data)
    }
}

/// Parses a base64 hash leniently: nil if missing, malformed or not 32 bytes.
private func merkleVectorHash(_ text: String?) -> Hash256? {
    text.flatMap { Hash256(base64: $0) }
}

/// Parses a proof list leniently: null means empty; nil if any element is not a 32-byte base64 hash.
private func merkleVectorProof(_ list: [String]?) -> [Hash256]? {
    var out: [Hash256] = []
    for text in list ?? [] {
        guard let hash = Hash256(base64: text) else { return nil }
        out.append(hash)
    }
    return out
}

/// One `inclusion/**.json` vector. Fields that are unrepresentable (negative numbers, hashes that are not 32 bytes)
/// decode to nil instead of failing the whole file.
struct MerkleInclusionVector: Decodable {
    let leafIdx: UInt64?
    let treeSize: UInt64?
    let rootText: String?
    let leafHashText: String?
    let proofTexts: [String]?
    let desc: String
    let wantErr: Bool

    var root: Hash256? { merkleVectorHash(rootText) }
    var leafHash: Hash256? { merkleVectorHash(leafHashText) }
    var proof: [Hash256]? { merkleVectorProof(proofTexts) }

    enum CodingKeys: String, CodingKey {
        case leafIdx, treeSize, root, leafHash, proof, desc, wantErr
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        leafIdx = try? container.decode(UInt64.self, forKey: .leafIdx)
        treeSize = try? container.decode(UInt64.self, forKey: .treeSize)
        rootText = try container.decodeIfPresent(String.self, forKey: .root)
        leafHashText = try container.decodeIfPresent(String.self, forKey: .leafHash)
        proofTexts = try container.decodeIfPresent([String].self, forKey: .proof)
        desc = try container.decode(String.self, forKey: .desc)
        wantErr = try container.decode(Bool.self, forKey: .wantErr)
    }
}

/// One `consistency/**.json` vector, decoded as leniently as ``MerkleInclusionVector``.
struct MerkleConsistencyVector: Decodable {
    let size1: UInt64?
    let size2: UInt64?
    let root1Text: String?
    let root2Text: String?
    let proofTexts: [String]?
    let desc: String
    let wantErr: Bool

    var root1: Hash256? { merkleVectorHash(root1Text) }
    var root2: Hash256? { merkleVectorHash(root2Text) }
    var proof: [Hash256]? { merkleVectorProof(proofTexts) }

    enum CodingKeys: String, CodingKey {
        case size1, size2, root1, root2, proof, desc, wantErr
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        size1 = try? container.decode(UInt64.self, forKey: .size1)
        size2 = try? container.decode(UInt64.self, forKey: .size2)
        root1Text = try container.decodeIfPresent(String.self, forKey: .root1)
        root2Text = try container.decodeIfPresent(String.self, forKey: .root2)
        proofTexts = try container.decodeIfPresent([String].self, forKey: .proof)
        desc = try container.decode(String.self, forKey: .desc)
        wantErr = try container.decode(Bool.self, forKey: .wantErr)
    }
}

/// Small helpers shared by the Merkle tests.
enum MerkleTestCheck {
    /// True for `.success`.
    static func ok(_ result: Result<Void, MerkleProofError>) -> Bool {
        if case .success = result { return true }
        return false
    }

    /// The failure code, if verification failed.
    static func code(_ result: Result<Void, MerkleProofError>) -> MerkleProofError.Code? {
        if case .failure(let error) = result { return error.code }
        return nil
    }

    /// `hash` with bit `bit` (0...255) flipped.
    static func flip(_ hash: Hash256, bit: Int) -> Hash256 {
        var copy = hash.bytes
        copy[bit / 8] ^= UInt8(1) << UInt8(bit % 8)
        return Hash256(bytes: copy)!
    }
}
