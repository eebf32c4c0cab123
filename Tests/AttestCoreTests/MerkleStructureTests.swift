import AttestCore
import Foundation
import Testing

/// Node addressing, range decomposition, range hashing and proof plans.
@Suite("Merkle structure")
struct MerkleStructureTests {
    /// The fewest aligned perfect subtrees that tile `[a, b)`, by dynamic programming (independent of the greedy code).
    static func minimalTiling(_ a: Int, _ b: Int) -> Int {
        var best = [Int](repeating: Int.max, count: b - a + 1)
        best[0] = 0
        for offset in 0..<(b - a) where best[offset] != Int.max {
            let start = a + offset
            var size = 1
            while start + size <= b {
                if start % size == 0 { best[offset + size] = min(best[offset + size], best[offset] + 1) }
                size *= 2
            }
        }
        return best[b - a]
    }

    @Test func nodeIDAddressing() {
        let node = Merkle.NodeID(level: 3, index: 5)
        #expect(node.leafRange == 40..<48)
        #expect(node.leafCount == 8)
        #expect(Merkle.NodeID(level: 0, index: 9).leafRange == 9..<10)
        #expect(Merkle.NodeID(level: 63, index: 0).leafRange == 0..<(1 << 63))
        #expect(Merkle.NodeID(level: 1, index: 100) < Merkle.NodeID(level: 2, index: 0))
        #expect(Merkle.NodeID(level: 2, index: 1) < Merkle.NodeID(level: 2, index: 2))
        #expect(node.description == "3/5")
    }

    @Test func perfectSubtreesExhaustiveSmallRanges() {
        for a in 0...70 {
            for b in a...70 {
                let parts = Merkle.perfectSubtrees(of: UInt64(a)..<UInt64(b))
                var cursor = UInt64(a)
                for part in parts {
                    #expect(part.leafRange.lowerBound == cursor)
                    cursor = part.leafRange.upperBound
                }
                #expect(cursor == UInt64(b), "range \(a)..<\(b)")
                #expect(parts.count == Self.minimalTiling(a, b), "range \(a)..<\(b)")
                // Sizes rise, then fall: the canonical left-to-right decomposition.
                let levels = parts.map(\.level)
                if let peak = levels.firstIndex(of: levels.max() ?? 0) {
                    #expect(levels[..<peak].elementsEqual(levels[..<peak].sorted()))
                    #expect(levels[peak...].elementsEqual(levels[peak...].sorted(by: >)))
                }
            }
        }
    }

    @Test func perfectSubtreesOfPrefixesAndHugeRanges() {
        for size in [1, 2, 3, 5, 8, 1000, 1 << 40, UInt64.max] as [UInt64] {
            let parts = Merkle.perfectSubtrees(of: 0..<size)
            #expect(parts.count == size.nonzeroBitCount)
            #expect(parts.map(\.level) == parts.map(\.level).sorted(by: >))
        }
        #expect(Merkle.perfectSubtrees(of: 0..<UInt64.max).first == Merkle.NodeID(level: 63, index: 0))
        let top = UInt64.max - 5
        #expect(Merkle.perfectSubtrees(of: top..<UInt64.max).map(\.leafCount).reduce(0, +) == 5)
        #expect(Merkle.perfectSubtrees(of: 7..<7).isEmpty)
    }

    /// `hash(ofRange:)` equals the MTH of the slice exactly for ranges whose decomposition shrinks left to right
    /// (those with `a == 0` or `a` aligned to the largest power of two not above `b - a`), and refuses all others.
    @Test func hashOfRangeAgainstSlices() throws {
        let leaves = MerkleTestTree.leaves
        var accepted = 0
        for a in 0...48 {
            for b in (a + 1)...80 {
                let range = UInt64(a)..<UInt64(b)
                let width = UInt64(b - a)
                let largest = UInt64(1) << UInt64(63 - width.leadingZeroBitCount)
                let subtreeShaped = a == 0 || UInt64(a) % largest == 0
                if subtreeShaped {
                    let hash = try Merkle.hash(ofRange: range, nodes: MerkleTestTree.nodes)
                    #expect(hash == Merkle.root(of: Array(leaves[a..<b])), "range \(range)")
                    #expect(hash == MerkleReference.mth(leaves[a..<b]), "range \(range)")
                    accepted += 1
                } else {
                    let error = #expect(throws: MerkleProofError.self) {
                        try Merkle.hash(ofRange: range, nodes: MerkleTestTree.nodes)
                    }
                    #expect(error?.code == .invalidRange)
                }
            }
        }
        #expect(accepted == 337)  // counted independently
        #expect(try Merkle.hash(ofRange: 0..<0, nodes: [:]) == Merkle.emptyRoot)
        let error = #expect(throws: MerkleProofError.self) { try Merkle.hash(ofRange: 0..<6, nodes: [:]) }
        #expect(error?.code == .missingNode)
    }

    @Test func rootOfMatchesReferenceForSmallSizes() {
        let leaves = MerkleTestTree.leaves
        for size in 0...300 {
            #expect(Merkle.root(of: Array(leaves[0..<size])) == MerkleReference.mth(leaves[0..<size]), "size \(size)")
        }
    }

    @Test func inclusionPlanShape() throws {
        let plan = try Merkle.inclusionProofPlan(index: 5, size: 8)
        #expect(plan.elements == [4..<5, 6..<8, 0..<4])
        #expect(
            plan.neededNodes == [
                Merkle.NodeID(level: 0, index: 4), Merkle.NodeID(level: 1, index: 3), Merkle.NodeID(level: 2, index: 0),
            ]
        )
        let edge = try Merkle.inclusionProofPlan(index: 0, size: 7)
        #expect(edge.elements == [1..<2, 2..<4, 4..<7])
        #expect(edge.neededNodes.count == 4)
        #expect(try Merkle.inclusionProofPlan(index: 0, size: 1).elements.isEmpty)
        // The last leaf of a large tree needs only O(log n) nodes.
        let big = try Merkle.inclusionProofPlan(index: (1 << 40) + 12_345, size: (1 << 41) - 1)
        #expect(big.elements.count <= 41)
        #expect(big.neededNodes.count <= 2 * 41 + 1)
    }

    @Test func consistencyPlanShape() throws {
        #expect(try Merkle.consistencyProofPlan(from: 3, to: 7).elements == [2..<3, 3..<4, 0..<2, 4..<7])
        #expect(try Merkle.consistencyProofPlan(from: 4, to: 7).elements == [4..<7])
        #expect(try Merkle.consistencyProofPlan(from: 6, to: 8).elements == [4..<6, 6..<8, 0..<4])
        #expect(try Merkle.consistencyProofPlan(from: 5, to: 5).elements.isEmpty)
        let big = try Merkle.consistencyProofPlan(from: (1 << 39) + 777, to: (1 << 41) - 3)
        #expect(big.elements.count <= 42)
        #expect(big.neededNodes.count <= big.elements.count + 41)
    }

    @Test func planErrors() throws {
        let cases: [(() throws -> Merkle.ProofPlan, MerkleProofError.Code)] = [
            ({ try Merkle.inclusionProofPlan(index: 0, size: 0) }, .indexOutOfRange),
            ({ try Merkle.inclusionProofPlan(index: 8, size: 8) }, .indexOutOfRange),
            ({ try Merkle.inclusionProofPlan(index: .max, size: 8) }, .indexOutOfRange),
            ({ try Merkle.consistencyProofPlan(from: 9, to: 8) }, .sizeDecreased),
            ({ try Merkle.consistencyProofPlan(from: 0, to: 8) }, .emptyTree),
            ({ try Merkle.consistencyProofPlan(from: 0, to: 0) }, .emptyTree),
        ]
        for (make, code) in cases {
            let error = #expect(throws: MerkleProofError.self) { try make() }
            #expect(error?.code == code)
            #expect(error?.reason.isEmpty == false)
        }
        let leaves = MerkleClassicTree.leafHashes
        let short = #expect(throws: MerkleProofError.self) { try Merkle.inclusionProof(index: 1, size: 9, leaves: leaves) }
        #expect(short?.code == .insufficientLeaves)
        let shortConsistency = #expect(throws: MerkleProofError.self) {
            try Merkle.consistencyProof(from: 1, to: 9, leaves: leaves)
        }
        #expect(shortConsistency?.code == .insufficientLeaves)
        let plan = try Merkle.inclusionProofPlan(index: 3, size: 8)
        let missing = #expect(throws: MerkleProofError.self) { try plan.resolve([:]) }
        #expect(missing?.code == .missingNode)
    }

    /// RFC 9162 roots do not commit to the tree size: a proof can verify under other sizes that give it the same shape.
    /// Tree heads must therefore always be taken together with their signed size.
    @Test func rootsDoNotCommitToSize() throws {
        let leaves = MerkleTestTree.leaves
        let root5 = Merkle.root(of: Array(leaves[0..<5]))
        let proof = try Merkle.inclusionProof(index: 0, size: 5, leaves: leaves)
        for size in [5, 6, 7, 8] as [UInt64] {
            #expect(MerkleTestCheck.ok(Merkle.verifyInclusion(leafHash: leaves[0], index: 0, size: size, proof: proof, root: root5)))
        }
        #expect(!MerkleTestCheck.ok(Merkle.verifyInclusion(leafHash: leaves[0], index: 0, size: 9, proof: proof, root: root5)))
        let root2 = Merkle.root(of: Array(leaves[0..<2]))
        let root3 = Merkle.root(of: Array(leaves[0..<3]))
        let consistency = try Merkle.consistencyProof(from: 2, to: 3, leaves: leaves)
        #expect(MerkleTestCheck.ok(Merkle.verifyConsistency(oldSize: 2, newSize: 4, oldRoot: root2, newRoot: root3, proof: consistency)))
        #expect(MerkleTestCheck.ok(Merkle.verifyConsistency(oldSize: 1, newSize: 2, oldRoot: root2, newRoot: root3, proof: consistency)))
    }

    @Test func verificationErrorCodes() {
        let leaves = MerkleClassicTree.leafHashes
        let root = Merkle.root(of: leaves)
        let inclusionOutOfRange = Merkle.verifyInclusion(leafHash: leaves[0], index: 8, size: 8, proof: [], root: root)
        #expect(MerkleTestCheck.code(inclusionOutOfRange) == .indexOutOfRange)
        let emptyTree = Merkle.verifyInclusion(leafHash: leaves[0], index: 0, size: 0, proof: [], root: Merkle.emptyRoot)
        #expect(MerkleTestCheck.code(emptyTree) == .indexOutOfRange)
        let single = Merkle.verifyInclusion(leafHash: leaves[0], index: 0, size: 1, proof: [], root: leaves[0])
        #expect(MerkleTestCheck.ok(single))

        func consistency(_ m: UInt64, _ n: UInt64, _ r1: Hash256, _ r2: Hash256, _ proof: [Hash256] = []) -> MerkleProofError.Code? {
            MerkleTestCheck.code(Merkle.verifyConsistency(oldSize: m, newSize: n, oldRoot: r1, newRoot: r2, proof: proof))
        }
        #expect(consistency(2, 1, root, root) == .sizeDecreased)
        #expect(consistency(0, 0, Merkle.emptyRoot, Merkle.emptyRoot) == .emptyTree)
        #expect(consistency(0, 3, Merkle.emptyRoot, root) == .emptyTree)
        #expect(consistency(3, 3, root, root) == nil)
        #expect(consistency(3, 3, root, Merkle.emptyRoot) == .rootMismatch)
        #expect(consistency(3, 3, root, root, [root]) == .wrongProofSize)
        #expect(consistency(3, 4, root, root) == .wrongProofSize)
        let error = Merkle.verifyConsistency(oldSize: 3, newSize: 3, oldRoot: root, newRoot: leaves[0], proof: []).failureForTest
        #expect(error?.description.hasPrefix("rootMismatch: ") == true)
        #expect(MerkleProofError.Code.allCases.count == Set(MerkleProofError.Code.allCases.map(\.rawValue)).count)
    }
}

extension Result where Success == Void, Failure == MerkleProofError {
    /// The failure, if any (test helper).
    fileprivate var failureForTest: MerkleProofError? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
