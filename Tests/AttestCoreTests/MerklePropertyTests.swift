import AttestCore
import Foundation
import Testing

/// Properties of generated and verified proofs over random trees of sizes 1...2000.
@Suite("Merkle proof properties")
struct MerklePropertyTests {
    static let sizes = MerkleTestTree.sizes

    /// A sample of leaf indices: all of them for small trees, otherwise the edges, the middle and some random ones.
    static func sampleIndices(size: UInt64, rng: inout MerkleTestRNG) -> [UInt64] {
        if size <= 40 { return Array(0..<size) }
        var set: Set<UInt64> = [0, 1, size / 2, size - 2, size - 1]
        let power = UInt64(1) << UInt64(63 - (size - 1).leadingZeroBitCount)
        set.formUnion([power - 1, power].filter { $0 < size })
        while set.count < 10 { set.insert(UInt64.random(in: 0..<size, using: &rng)) }
        return set.sorted()
    }

    /// A sample of old sizes `1...size`.
    static func sampleOldSizes(size: UInt64, rng: inout MerkleTestRNG) -> [UInt64] {
        if size <= 40 { return Array(1...size) }
        var set: Set<UInt64> = [1, 2, 3, size / 2, size - 1, size]
        let power = UInt64(1) << UInt64(63 - (size - 1).leadingZeroBitCount)
        set.formUnion([power - 1, power, power + 1].filter { $0 <= size })
        while set.count < 12 { set.insert(UInt64.random(in: 1...size, using: &rng)) }
        return set.sorted()
    }

    /// Bits to flip in one element: all 256 for small trees, otherwise a random sample including both ends.
    static func sampleBits(size: UInt64, rng: inout MerkleTestRNG) -> [Int] {
        if size <= 12 { return Array(0..<256) }
        return [0, 7, 128, 255] + (0..<4).map { _ in Int.random(in: 0..<256, using: &rng) }
    }

    /// Other sizes to claim for a proof of `size`.
    static func otherSizes(_ size: UInt64, rng: inout MerkleTestRNG) -> [UInt64] {
        let candidates = [size - 1, size + 1, size + 2, size * 2, size / 2, size ^ 2, UInt64.random(in: 1...4000, using: &rng)]
        return Array(Set(candidates.filter { $0 != size && $0 > 0 })).sorted()
    }

    static func root(_ size: UInt64) throws -> Hash256 {
        try Merkle.hash(ofRange: 0..<size, nodes: MerkleTestTree.nodes)
    }

    @Test(arguments: sizes)
    func inclusionProofs(_ size: UInt64) throws {
        var rng = MerkleTestRNG(seed: size &* 31 &+ 1)
        let leaves = MerkleTestTree.leaves
        let root = try Self.root(size)
        let otherRoots = try [Self.root(size == 1 ? 2 : size - 1), MerkleTestCheck.flip(root, bit: 3)]
        for index in Self.sampleIndices(size: size, rng: &rng) {
            let leaf = leaves[Int(index)]
            let plan = try Merkle.inclusionProofPlan(index: index, size: size)
            #expect(plan.neededNodes == Array(Set(plan.neededNodes)).sorted())
            #expect(plan.neededNodes.count <= plan.elements.count + size.nonzeroBitCount)
            let proof = try plan.resolve(MerkleTestTree.nodes)
            let reference = MerkleReference.path(Int(index), leaves[0..<Int(size)])
            #expect(proof == reference, "size \(size) index \(index)")
            #expect(try plan.resolve(ordered: plan.neededNodes.map { MerkleTestTree.nodes[$0]! }) == reference)
            if size <= 130 {
                #expect(try Merkle.inclusionProof(index: index, size: size, leaves: MerkleTestTree.prefix(size)) == reference)
            }

            func verify(
                _ proof: [Hash256],
                leaf: Hash256 = leaf,
                index: UInt64 = index,
                size: UInt64 = size,
                root: Hash256 = root
            ) -> Result<Void, MerkleProofError> {
                Merkle.verifyInclusion(leafHash: leaf, index: index, size: size, proof: proof, root: root)
            }

            #expect(MerkleTestCheck.ok(verify(proof)), "size \(size) index \(index)")

            // Any single flipped bit in any element, the leaf or the root fails.
            let bits = Self.sampleBits(size: size, rng: &rng)
            for position in proof.indices {
                for bit in bits {
                    var tampered = proof
                    tampered[position] = MerkleTestCheck.flip(tampered[position], bit: bit)
                    #expect(MerkleTestCheck.code(verify(tampered)) == .rootMismatch)
                }
            }
            for bit in bits {
                #expect(MerkleTestCheck.code(verify(proof, leaf: MerkleTestCheck.flip(leaf, bit: bit))) == .rootMismatch)
                #expect(MerkleTestCheck.code(verify(proof, root: MerkleTestCheck.flip(root, bit: bit))) == .rootMismatch)
            }
            // Added or removed elements fail.
            let extra = Merkle.leafHash([UInt8(index & 0xFF)])
            #expect(MerkleTestCheck.code(verify(proof + [extra])) == .wrongProofSize)
            #expect(MerkleTestCheck.code(verify([extra] + proof)) == .wrongProofSize)
            for position in proof.indices {
                var shorter = proof
                shorter.remove(at: position)
                #expect(MerkleTestCheck.code(verify(shorter)) == .wrongProofSize)
            }
            // Wrong roots fail.
            for other in otherRoots {
                #expect(!MerkleTestCheck.ok(verify(proof, root: other)))
            }
            // A wrong index fails; indices outside the tree fail with indexOutOfRange.
            for other in Set([index ^ 1, index &+ 1, index &- 1, UInt64.random(in: 0..<size, using: &rng)]) where other != index {
                let result = verify(proof, index: other)
                #expect(!MerkleTestCheck.ok(result), "size \(size) index \(index) claimed \(other)")
                if other >= size { #expect(MerkleTestCheck.code(result) == .indexOutOfRange) }
            }
            // A wrong size fails unless it gives the proof exactly the same shape (RFC 9162 roots do not commit to
            // the size, so e.g. the proof for leaf 0 of 5 also proves leaf 0 of 6 under the same root).
            for other in Self.otherSizes(size, rng: &rng) {
                let result = verify(proof, size: other)
                let sameShape = index < other && MerkleReference.inclusionShape(index, other) == MerkleReference.inclusionShape(index, size)
                #expect(MerkleTestCheck.ok(result) == sameShape, "size \(size) index \(index) claimed size \(other)")
            }
        }
    }

    @Test(arguments: sizes)
    func consistencyProofs(_ size: UInt64) throws {
        var rng = MerkleTestRNG(seed: size &* 131 &+ 7)
        let leaves = MerkleTestTree.leaves
        let newRoot = try Self.root(size)
        for old in Self.sampleOldSizes(size: size, rng: &rng) {
            let oldRoot = try Self.root(old)
            let plan = try Merkle.consistencyProofPlan(from: old, to: size)
            #expect(plan.neededNodes == Array(Set(plan.neededNodes)).sorted())
            #expect(plan.neededNodes.count <= plan.elements.count + size.nonzeroBitCount)
            let proof = try plan.resolve(MerkleTestTree.nodes)
            let reference = MerkleReference.proof(Int(old), leaves[0..<Int(size)])
            #expect(proof == reference, "sizes \(old) -> \(size)")
            let ordered = plan.neededNodes.map { MerkleTestTree.nodes[$0]! }
            #expect(try plan.resolve(ordered: ordered) == reference)
            if !ordered.isEmpty {
                #expect(throws: MerkleProofError.self) { try plan.resolve(ordered: Array(ordered.dropLast())) }
            }
            if size <= 130 {
                #expect(try Merkle.consistencyProof(from: old, to: size, leaves: MerkleTestTree.prefix(size)) == reference)
            }

            func verify(
                _ proof: [Hash256],
                oldSize: UInt64 = old,
                newSize: UInt64 = size,
                oldRoot: Hash256 = oldRoot,
                newRoot: Hash256 = newRoot
            ) -> Result<Void, MerkleProofError> {
                Merkle.verifyConsistency(oldSize: oldSize, newSize: newSize, oldRoot: oldRoot, newRoot: newRoot, proof: proof)
            }

            #expect(MerkleTestCheck.ok(verify(proof)), "sizes \(old) -> \(size)")

            let bits = Self.sampleBits(size: size, rng: &rng)
            for position in proof.indices {
                for bit in bits {
                    var tampered = proof
                    tampered[position] = MerkleTestCheck.flip(tampered[position], bit: bit)
                    #expect(MerkleTestCheck.code(verify(tampered)) == .rootMismatch)
                }
            }
            for bit in bits {
                #expect(MerkleTestCheck.code(verify(proof, oldRoot: MerkleTestCheck.flip(oldRoot, bit: bit))) == .rootMismatch)
                #expect(MerkleTestCheck.code(verify(proof, newRoot: MerkleTestCheck.flip(newRoot, bit: bit))) == .rootMismatch)
            }
            let extra = Merkle.leafHash([UInt8(old & 0xFF)])
            #expect(MerkleTestCheck.code(verify(proof + [extra])) == .wrongProofSize)
            #expect(MerkleTestCheck.code(verify([extra] + proof)) == .wrongProofSize)
            for position in proof.indices {
                var shorter = proof
                shorter.remove(at: position)
                #expect(MerkleTestCheck.code(verify(shorter)) == .wrongProofSize)
            }
            if old < size {
                #expect(!MerkleTestCheck.ok(verify(proof, oldRoot: newRoot, newRoot: oldRoot)))
                #expect(!MerkleTestCheck.ok(verify(proof, oldRoot: newRoot)))
                #expect(!MerkleTestCheck.ok(verify(proof, newRoot: oldRoot)))
            }
            // Wrong sizes fail unless both are valid and give the proof exactly the same shape.
            var claims: Set<[UInt64]> = []
            for other in Self.otherSizes(old, rng: &rng) { claims.insert([other, size]) }
            for other in Self.otherSizes(size, rng: &rng) { claims.insert([old, other]) }
            claims.insert([size, old])
            for claim in claims {
                let (claimedOld, claimedNew) = (claim[0], claim[1])
                let result = verify(proof, oldSize: claimedOld, newSize: claimedNew)
                let sameShape =
                    claimedOld > 0 && claimedOld <= claimedNew
                    && MerkleReference.consistencyShape(claimedOld, claimedNew) == MerkleReference.consistencyShape(old, size)
                #expect(MerkleTestCheck.ok(result) == sameShape, "sizes \(old) -> \(size) claimed \(claimedOld) -> \(claimedNew)")
                if claimedOld > claimedNew { #expect(MerkleTestCheck.code(result) == .sizeDecreased) }
            }
        }
    }

    /// Subtree roots out of packed hashes (how the store reads a proof tile) equal the RFC's MTH of the same
    /// hashes, for every power-of-two count up to 64 at every start, at the buffer's edges too.
    @Test func packedSubtreeRoots() throws {
        let hashes = Array(MerkleTestTree.leaves.prefix(80))
        var packed: [UInt8] = []
        for h in hashes { packed += h.bytes }
        packed.withUnsafeBytes { raw in
            var count = 1
            while count <= 64 {
                for first in 0...(hashes.count - count) {
                    let expected = MerkleReference.mth(hashes[first..<(first + count)])
                    #expect(Merkle.root(ofPackedHashes: raw, first: first, count: count) == expected, "count \(count) first \(first)")
                }
                count *= 2
            }
        }
        // nodeHash from the inline bytes is the RFC 9162 interior hash SHA-256(0x01 || left || right).
        let (a, b) = (hashes[3], hashes[9])
        #expect(Merkle.nodeHash(a, b) == Hash256.sha256([0x01] + a.bytes + b.bytes))
        #expect(Merkle.nodeHash(a, b) != Merkle.nodeHash(b, a))
    }
}
