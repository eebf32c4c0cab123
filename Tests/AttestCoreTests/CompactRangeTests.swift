import AttestCore
import Foundation
import Testing

@Suite("CompactRange")
struct CompactRangeTests {
    /// All perfect subtrees of level ≥ 1 inside `[0, size)` whose range ends after `after`.
    static func expectedCompleted(size: UInt64, after: UInt64 = 0) -> Set<Merkle.NodeID> {
        var set = Set<Merkle.NodeID>()
        var level: UInt8 = 1
        while (UInt64(1) << UInt64(level)) <= size {
            for index in 0..<(size >> UInt64(level)) {
                let id = Merkle.NodeID(level: level, index: index)
                if id.leafRange.upperBound > after { set.insert(id) }
            }
            level += 1
        }
        return set
    }

    @Test func emptyRange() throws {
        let range = CompactRange()
        #expect(range.size == 0)
        #expect(range.nodes.isEmpty && range.nodeIDs.isEmpty && range.encoded.isEmpty)
        #expect(range.root == Merkle.emptyRoot)
        #expect(try CompactRange(size: 0, nodes: []) == range)
        #expect(try CompactRange(size: 0, encoded: [UInt8]()) == range)
    }

    /// Growing one range leaf by leaf to 2000: the root equals `Merkle.root(of:)` at every size, the node IDs are the
    /// canonical decomposition, and the callback reports each perfect subtree exactly once with the right hash.
    @Test func growToMaximumSize() throws {
        let leaves = MerkleTestTree.leaves
        let checkpoints = Set(MerkleTestTree.sizes)
        var range = CompactRange()
        var reported: [Merkle.NodeID: Hash256] = [:]
        var duplicates = 0
        var lastRoot = Merkle.emptyRoot
        for (position, leaf) in leaves.enumerated() {
            let size = UInt64(position + 1)
            var newThisStep: [Merkle.NodeID] = []
            range.append(leaf) { id, hash in
                if reported.updateValue(hash, forKey: id) != nil { duplicates += 1 }
                newThisStep.append(id)
            }
            #expect(range.size == size)
            #expect(range.nodes.count == size.nonzeroBitCount)
            #expect(range.nodeIDs == Merkle.perfectSubtrees(of: 0..<size))
            // Everything reported by this append ends exactly at the new leaf, and levels increase.
            #expect(newThisStep.allSatisfy { $0.leafRange.upperBound == size })
            #expect(newThisStep.map(\.level) == newThisStep.map(\.level).sorted())
            #expect(newThisStep.count == (size - 1).trailingNonzeroBitCount)
            let root = range.root
            #expect(root == Merkle.root(of: Array(leaves[0..<Int(size)])), "size \(size)")
            #expect(root != lastRoot)
            lastRoot = root
            for (id, hash) in zip(range.nodeIDs, range.nodes) {
                #expect(MerkleTestTree.nodes[id] == hash)
            }
            if checkpoints.contains(size) {
                #expect(Set(reported.keys) == Self.expectedCompleted(size: size), "size \(size)")
                #expect(try Merkle.hash(ofRange: 0..<size, nodes: MerkleTestTree.nodes) == root)
                #expect(root == MerkleReference.mth(leaves[0..<Int(size)]))
            }
        }
        #expect(duplicates == 0)
        for (id, hash) in reported {
            #expect(MerkleTestTree.nodes[id] == hash, "node \(id)")
        }
        // Spot-check the stored perfect subtrees against a direct root computation.
        for id in reported.keys.sorted().filter({ $0.index % 17 == 3 || $0.level >= 9 }) {
            let bounds = id.leafRange
            #expect(reported[id] == Merkle.root(of: Array(leaves[Int(bounds.lowerBound)..<Int(bounds.upperBound)])))
        }
    }

    /// Restoring the compact range of `[0, M)` and appending leaves `M..<N` gives the root of `N`, the same state as
    /// growing from scratch, and reports exactly the subtrees that end after `M`.
    @Test(
        arguments: [
            (1, 1), (1, 2), (2, 3), (3, 4), (3, 8), (4, 5), (5, 13), (7, 8), (8, 9), (8, 16), (15, 16), (16, 33), (63, 64),
            (64, 65), (100, 1000), (127, 1025), (511, 1023), (1024, 2000), (1500, 1501), (1999, 2000), (2000, 2000), (0, 9),
        ] as [(UInt64, UInt64)]
    )
    func restoreAndExtend(_ prefixSize: UInt64, _ fullSize: UInt64) throws {
        let leaves = MerkleTestTree.leaves
        let prefixIDs = Merkle.perfectSubtrees(of: 0..<prefixSize)
        let prefix = try prefixIDs.map { try #require(MerkleTestTree.nodes[$0]) }
        var range = try CompactRange(size: prefixSize, nodes: prefix)
        #expect(range.nodeIDs == prefixIDs)
        #expect(range.root == Merkle.root(of: Array(leaves[0..<Int(prefixSize)])))
        var reported: [Merkle.NodeID] = []
        for leaf in leaves[Int(prefixSize)..<Int(fullSize)] {
            range.append(leaf) { id, hash in
                reported.append(id)
                #expect(MerkleTestTree.nodes[id] == hash)
            }
        }
        #expect(range.root == Merkle.root(of: Array(leaves[0..<Int(fullSize)])))
        #expect(reported.count == Set(reported).count)
        #expect(Set(reported) == Self.expectedCompleted(size: fullSize, after: prefixSize))
        var fresh = CompactRange()
        for leaf in leaves[0..<Int(fullSize)] { fresh.append(leaf) }
        #expect(range == fresh)
    }

    @Test func validation() throws {
        let hash = Merkle.leafHash([UInt8(1)])
        for (size, count) in [(0, 1), (1, 0), (1, 2), (3, 1), (7, 2), (8, 2)] as [(UInt64, Int)] {
            let error = #expect(throws: MerkleProofError.self) {
                try CompactRange(size: size, nodes: Array(repeating: hash, count: count))
            }
            #expect(error?.code == .malformedInput)
        }
        #expect(throws: MerkleProofError.self) { try CompactRange(size: 3, encoded: [UInt8](repeating: 0, count: 63)) }
        #expect(throws: MerkleProofError.self) { try CompactRange(size: 3, encoded: [UInt8](repeating: 0, count: 65)) }
        #expect(throws: MerkleProofError.self) { try CompactRange(size: 1, encoded: [UInt8](repeating: 0, count: 64)) }
        #expect(try CompactRange(size: 1 << 40, nodes: [hash]).nodeIDs == [Merkle.NodeID(level: 40, index: 0)])
    }

    @Test(arguments: [1, 2, 3, 6, 7, 8, 255, 1000, 2000] as [UInt64])
    func encodingRoundTrip(_ size: UInt64) throws {
        var range = CompactRange()
        for leaf in MerkleTestTree.leaves[0..<Int(size)] { range.append(leaf) }
        let bytes = range.encoded
        #expect(bytes.count == 32 * size.nonzeroBitCount)
        #expect(bytes == range.nodes.flatMap(\.bytes))
        let decoded = try CompactRange(size: size, encoded: bytes)
        #expect(decoded == range)
        #expect(try CompactRange(size: size, encoded: Data(bytes)) == range)
        #expect(decoded.root == range.root)
    }
}

extension UInt64 {
    /// The number of consecutive one bits at the least significant end (test helper).
    fileprivate var trailingNonzeroBitCount: Int { (~self).trailingZeroBitCount }
}
