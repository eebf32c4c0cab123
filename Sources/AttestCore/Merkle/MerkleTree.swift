import Crypto
import Foundation

/// Why a Merkle proof could not be generated, resolved or verified.
///
/// `code` is stable and meant for programs; `reason` is a human-readable explanation whose wording may change.
public struct MerkleProofError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The machine-readable category of a ``MerkleProofError``.
    public enum Code: String, Hashable, Sendable, CaseIterable {
        /// A leaf index is not smaller than the tree size (this includes every index in an empty tree).
        case indexOutOfRange
        /// A proof has more or fewer elements than the claimed sizes require.
        case wrongProofSize
        /// A recomputed root (or, for equal-size consistency, a supplied root) differs from the expected one.
        case rootMismatch
        /// A consistency check or proof was requested from a larger tree to a smaller one.
        case sizeDecreased
        /// A consistency check or proof involves an empty old tree, for which RFC 9162 defines no proof.
        case emptyTree
        /// A leaf range is not the range of a subtree whose hash can be folded from perfect subtrees.
        case invalidRange
        /// A node needed to resolve a proof plan was not supplied.
        case missingNode
        /// Fewer leaves were supplied than the requested tree size.
        case insufficientLeaves
        /// Serialized data has the wrong shape (for example a node count that does not match the size).
        case malformedInput
    }

    /// The machine-readable category of the failure.
    public let code: Code
    /// A human-readable explanation of the failure.
    public let reason: String

    /// Creates an error with the given category and explanation.
    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    /// `"<code>: <reason>"`.
    public var description: String { "\(code.rawValue): \(reason)" }
}

/// RFC 9162 §2.1 Merkle tree hashing, proof generation and proof verification.
///
/// All hashes are SHA-256 with the RFC's domain separation: leaves are `SHA-256(0x00 ‖ data)`, interior nodes
/// `SHA-256(0x01 ‖ left ‖ right)`. Leaf indices are zero-based.
public enum Merkle {

    /// The RFC 9162 leaf hash `SHA-256(0x00 ‖ data)`.
    public static func leafHash(_ data: some DataProtocol) -> Hash256 {
        var hasher = SHA256()
        Swift.withUnsafeBytes(of: UInt8(0x00)) { hasher.update(bufferPointer: $0) }
        hasher.update(data: data)
        return Hash256(digest: hasher.finalize())
    }

    /// The RFC 9162 interior node hash `SHA-256(0x01 ‖ left ‖ right)`.
    public static func nodeHash(_ left: Hash256, _ right: Hash256) -> Hash256 {
        // The 65 bytes are put together on the stack and hashed in one update: a proof or an append
        // computes many of these.
        withUnsafeTemporaryAllocation(byteCount: 1 + 2 * Hash256.byteCount, alignment: 8) { buffer in
            buffer[0] = 0x01
            left.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[1..<33]).copyMemory(from: $0) }
            right.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[33..<65]).copyMemory(from: $0) }
            var hasher = SHA256()
            hasher.update(bufferPointer: UnsafeRawBufferPointer(buffer))
            return Hash256(digest: hasher.finalize())
        }
    }

    /// The root of the `count` hashes (a power of two, at most 64) stored back to back in `raw` from
    /// hash `first` on: a perfect subtree out of a proof tile, computed without arrays.
    public static func root(ofPackedHashes raw: UnsafeRawBufferPointer, first: Int, count: Int) -> Hash256 {
        precondition(count > 0 && count <= 64 && count & (count - 1) == 0, "a perfect subtree of at most 64 hashes")
        precondition((first + count) * Hash256.byteCount <= raw.count, "the hashes lie within the buffer")
        func hash(_ k: Int) -> Hash256 {
            Hash256(uncheckedRaw: UnsafeRawBufferPointer(rebasing: raw[(k * Hash256.byteCount)..<((k + 1) * Hash256.byteCount)]))
        }
        if count == 1 { return hash(first) }
        return withUnsafeTemporaryAllocation(of: Hash256.self, capacity: count / 2) { level in
            for i in 0..<(count / 2) { level.initializeElement(at: i, to: nodeHash(hash(first + 2 * i), hash(first + 2 * i + 1))) }
            var n = count / 2
            while n > 1 {
                for i in 0..<(n / 2) { level[i] = nodeHash(level[2 * i], level[2 * i + 1]) }
                n /= 2
            }
            return level[0]  // Hash256 is a trivial type: nothing to deinitialize
        }
    }

    /// ``leafHash(_:)`` of bytes in memory, without copying them.
    public static func leafHash(raw data: UnsafeRawBufferPointer) -> Hash256 {
        var hasher = SHA256()
        Swift.withUnsafeBytes(of: UInt8(0x00)) { hasher.update(bufferPointer: $0) }
        hasher.update(bufferPointer: data)
        return Hash256(digest: hasher.finalize())
    }

    /// The root of the empty tree, `SHA-256("")`.
    public static let emptyRoot: Hash256 = Hash256.sha256([UInt8]())

    /// The Merkle Tree Hash (RFC 9162 §2.1.1) of a list of leaf hashes; ``emptyRoot`` for an empty list.
    ///
    /// Iterative and bottom-up: each level pairs neighbours and promotes an unpaired last node unchanged, which yields the
    /// same value as the RFC's recursive split at the largest power of two. Costs `count - 1` node hashes.
    public static func root(of leaves: [Hash256]) -> Hash256 {
        guard !leaves.isEmpty else { return emptyRoot }
        var level = leaves
        var count = level.count
        while count > 1 {
            var read = 0
            var write = 0
            while read + 1 < count {
                level[write] = nodeHash(level[read], level[read + 1])
                read += 2
                write += 1
            }
            if read < count {
                level[write] = level[read]
                write += 1
            }
            count = write
        }
        return level[0]
    }

    // MARK: - Perfect subtree addressing

    /// The address of a perfect (complete, power-of-two sized) subtree.
    ///
    /// The node at `level` and `index` covers the leaves `[index << level, (index + 1) << level)`. Level 0 is a single
    /// leaf, whose hash is the leaf hash itself. The hash of a perfect subtree never changes once all of its leaves
    /// exist, so it can be stored and reused for every later tree size. Ordering is by `level`, then by `index`.
    public struct NodeID: Hashable, Sendable, Comparable, CustomStringConvertible {
        /// The height of the subtree: it covers `2^level` leaves. Always below 64.
        public let level: UInt8
        /// The position of the subtree among the subtrees of the same level, counted from the left.
        public let index: UInt64

        /// Addresses the perfect subtree of height `level` (must be < 64) at position `index`.
        public init(level: UInt8, index: UInt64) {
            precondition(level < 64, "NodeID level must be below 64")
            self.level = level
            self.index = index
        }

        /// The leaves covered by this subtree, `[index << level, (index + 1) << level)`.
        public var leafRange: Range<UInt64> {
            (index << UInt64(level))..<((index + 1) << UInt64(level))
        }

        /// The number of leaves covered, `2^level`.
        public var leafCount: UInt64 { 1 << UInt64(level) }

        /// Orders by `level`, then by `index`.
        public static func < (lhs: NodeID, rhs: NodeID) -> Bool {
            (lhs.level, lhs.index) < (rhs.level, rhs.index)
        }

        /// `"<level>/<index>"`.
        public var description: String { "\(level)/\(index)" }
    }

    /// The canonical decomposition of the leaf range `[a, b)` into maximal aligned perfect subtrees, left to right.
    ///
    /// Greedily takes, at each position, the largest perfect subtree that starts there (is aligned) and still fits in
    /// the range. This is the unique minimal decomposition. For `[0, n)` it yields one subtree per set bit of `n`, in
    /// decreasing size. An empty range yields an empty list.
    public static func perfectSubtrees(of range: Range<UInt64>) -> [NodeID] {
        var result: [NodeID] = []
        var begin = range.lowerBound
        let end = range.upperBound
        while begin < end {
            let remaining = end - begin
            let bySize = UInt64.bitWidth - 1 - remaining.leadingZeroBitCount
            let byAlignment = begin == 0 ? 63 : begin.trailingZeroBitCount
            let level = min(bySize, byAlignment)
            result.append(NodeID(level: UInt8(level), index: begin >> UInt64(level)))
            begin += 1 << UInt64(level)
        }
        return result
    }

    /// The Merkle Tree Hash of the leaves in `range`, folded from the stored hashes of its perfect subtrees.
    ///
    /// Accepts exactly the ranges whose canonical decomposition (``perfectSubtrees(of:)``) has strictly decreasing
    /// sizes, i.e. `a == 0` or `a` is a multiple of the largest power of two not above `b - a`. For those, the MTH of
    /// the slice `D[a:b]` is the fold from the right: `h = last; for p in rest.reversed() { h = nodeHash(p, h) }`.
    /// This covers every prefix `[0, n)`, every node of an RFC 9162 tree and so every element of a ``ProofPlan``.
    /// An empty range hashes to ``emptyRoot``.
    ///
    /// - Throws: ``MerkleProofError`` `.invalidRange` if the range is not of that shape (the fold would not be its MTH),
    ///   `.missingNode` if `nodes` lacks one of the perfect subtrees.
    public static func hash(ofRange range: Range<UInt64>, nodes: [NodeID: Hash256]) throws(MerkleProofError) -> Hash256 {
        let parts = perfectSubtrees(of: range)
        guard let last = parts.last else { return emptyRoot }
        for (left, right) in zip(parts, parts.dropFirst()) where left.level <= right.level {
            throw MerkleProofError(.invalidRange, "range \(range) is not a subtree: its perfect subtrees do not shrink left to right")
        }
        var hash = try lookup(last, in: nodes)
        for part in parts.dropLast().reversed() {
            hash = nodeHash(try lookup(part, in: nodes), hash)
        }
        return hash
    }

    private static func lookup(_ id: NodeID, in nodes: [NodeID: Hash256]) throws(MerkleProofError) -> Hash256 {
        guard let hash = nodes[id] else {
            throw MerkleProofError(.missingNode, "node \(id) (leaves \(id.leafRange)) was not supplied")
        }
        return hash
    }

    /// The largest power of two strictly below `n`; `n` must be at least 2.
    private static func largestPowerOfTwo(below n: UInt64) -> UInt64 {
        1 << UInt64(UInt64.bitWidth - 1 - (n - 1).leadingZeroBitCount)
    }

    // MARK: - Proof plans

    /// The shape of a proof: which subtree hashes it consists of, independent of the hashes themselves.
    ///
    /// A store answers a proof by reading ``neededNodes`` (O(log n) perfect subtree hashes) and calling ``resolve(_:)``.
    public struct ProofPlan: Hashable, Sendable {
        /// The proof elements in RFC 9162 order, each given as the leaf range of the subtree whose hash it is.
        public let elements: [Range<UInt64>]
        /// Every perfect subtree needed to compute all elements, without duplicates, in ascending ``NodeID`` order.
        public let neededNodes: [NodeID]

        /// Creates a plan for the given element ranges; each must be a valid argument of ``Merkle/hash(ofRange:nodes:)``.
        init(elements: [Range<UInt64>]) {
            self.elements = elements
            // A sorted array without duplicates (a proof needs a few dozen nodes: no hashing).
            var needed: [NodeID] = []
            needed.reserveCapacity(2 * elements.count + 2)
            for element in elements {
                needed += Merkle.perfectSubtrees(of: element)
            }
            needed.sort()
            var unique = 0
            for k in needed.indices where k == 0 || needed[k] != needed[unique - 1] {
                needed[unique] = needed[k]
                unique += 1
            }
            needed.removeLast(needed.count - unique)
            self.neededNodes = needed
        }

        /// ``resolve(_:)`` from the hashes of ``neededNodes`` given in the same order (`hashes[k]` is the
        /// hash of `neededNodes[k]`): what a store that reads the nodes in order passes, without a dictionary.
        ///
        /// - Throws: ``MerkleProofError`` `.malformedInput` unless there is one hash per needed node.
        public func resolve(ordered hashes: [Hash256]) throws(MerkleProofError) -> [Hash256] {
            guard hashes.count == neededNodes.count else {
                throw MerkleProofError(.malformedInput, "\(hashes.count) hashes given for \(neededNodes.count) needed nodes")
            }
            func hash(of id: NodeID) -> Hash256 {
                // neededNodes is sorted and holds every part of every element.
                var low = 0
                var high = neededNodes.count
                while low < high {
                    let mid = (low + high) / 2
                    if neededNodes[mid] < id { low = mid + 1 } else { high = mid }
                }
                return hashes[low]
            }
            var proof: [Hash256] = []
            proof.reserveCapacity(elements.count)
            for element in elements {
                // The fold of hash(ofRange:) (a plan's elements all have its shape).
                let parts = Merkle.perfectSubtrees(of: element)
                guard var h = parts.last.map(hash(of:)) else {
                    proof.append(Merkle.emptyRoot)
                    continue
                }
                for part in parts.dropLast().reversed() { h = Merkle.nodeHash(hash(of: part), h) }
                proof.append(h)
            }
            return proof
        }

        /// The proof hashes, in order, computed from the hashes of (at least) ``neededNodes``.
        ///
        /// - Throws: ``MerkleProofError`` `.missingNode` if a needed node is absent from `nodes`.
        public func resolve(_ nodes: [NodeID: Hash256]) throws(MerkleProofError) -> [Hash256] {
            var proof: [Hash256] = []
            proof.reserveCapacity(elements.count)
            for element in elements {
                proof.append(try Merkle.hash(ofRange: element, nodes: nodes))
            }
            return proof
        }
    }

    /// The plan of the RFC 9162 §2.1.3.1 inclusion proof (audit path) for leaf `index` in the tree of `size` leaves.
    ///
    /// Elements run from the leaf's sibling up to the child of the root. At most `⌈log2 size⌉` elements and at most
    /// `2·⌈log2 size⌉ + 1` needed nodes.
    ///
    /// - Throws: ``MerkleProofError`` `.indexOutOfRange` if `index >= size`.
    public static func inclusionProofPlan(index: UInt64, size: UInt64) throws(MerkleProofError) -> ProofPlan {
        guard index < size else {
            throw MerkleProofError(.indexOutOfRange, "leaf index \(index) is not below tree size \(size)")
        }
        var siblings: [Range<UInt64>] = []
        var low: UInt64 = 0
        var high = size
        while high - low > 1 {
            let split = low + largestPowerOfTwo(below: high - low)
            if index < split {
                siblings.append(split..<high)
                high = split
            } else {
                siblings.append(low..<split)
                low = split
            }
        }
        return ProofPlan(elements: siblings.reversed())
    }

    /// The plan of the RFC 9162 §2.1.4.1 consistency proof between the trees of `m` and `n` leaves.
    ///
    /// `m == n` (with `m > 0`) gives an empty plan.
    ///
    /// - Throws: ``MerkleProofError`` `.sizeDecreased` if `m > n`, `.emptyTree` if `m == 0`.
    public static func consistencyProofPlan(from m: UInt64, to n: UInt64) throws(MerkleProofError) -> ProofPlan {
        guard m <= n else {
            throw MerkleProofError(.sizeDecreased, "old size \(m) is larger than new size \(n)")
        }
        guard m > 0 else {
            throw MerkleProofError(.emptyTree, "no consistency proof exists from the empty tree")
        }
        guard m < n else { return ProofPlan(elements: []) }
        // SUBPROOF(m, D[low:high], complete), unrolled. `complete` stays true while the old tree is a prefix that
        // the verifier already knows the hash of (only left turns so far).
        var low: UInt64 = 0
        var high = n
        var complete = true
        var path: [Range<UInt64>] = []
        var seed: Range<UInt64>?
        while true {
            if m == high {
                if !complete { seed = low..<high }
                break
            }
            let split = low + largestPowerOfTwo(below: high - low)
            if m <= split {
                path.append(split..<high)
                high = split
            } else {
                path.append(low..<split)
                low = split
                complete = false
            }
        }
        var elements: [Range<UInt64>] = []
        if let seed { elements.append(seed) }
        elements.append(contentsOf: path.reversed())
        return ProofPlan(elements: elements)
    }

    /// Hashes of the given perfect subtrees, computed from a full list of leaf hashes.
    private static func perfectNodeHashes(_ ids: [NodeID], leaves: [Hash256]) -> [NodeID: Hash256] {
        var nodes: [NodeID: Hash256] = [:]
        for id in ids {
            let range = id.leafRange
            nodes[id] = root(of: Array(leaves[Int(range.lowerBound)..<Int(range.upperBound)]))
        }
        return nodes
    }

    /// The inclusion proof for leaf `index` in the tree formed by the first `size` of `leaves` (RFC 9162 §2.1.3.1).
    ///
    /// Computed through ``inclusionProofPlan(index:size:)``; intended for small trees and tests (costs O(size) hashes).
    ///
    /// - Throws: ``MerkleProofError`` `.indexOutOfRange`, or `.insufficientLeaves` if `leaves.count < size`.
    public static func inclusionProof(index: UInt64, size: UInt64, leaves: [Hash256]) throws(MerkleProofError) -> [Hash256] {
        let plan = try inclusionProofPlan(index: index, size: size)
        try requireLeaves(size, leaves)
        return try plan.resolve(perfectNodeHashes(plan.neededNodes, leaves: leaves))
    }

    /// The consistency proof from size `m` to size `n` over the first `n` of `leaves` (RFC 9162 §2.1.4.1).
    ///
    /// Computed through ``consistencyProofPlan(from:to:)``; intended for small trees and tests (costs O(n) hashes).
    ///
    /// - Throws: ``MerkleProofError`` `.sizeDecreased`, `.emptyTree`, or `.insufficientLeaves` if `leaves.count < n`.
    public static func consistencyProof(from m: UInt64, to n: UInt64, leaves: [Hash256]) throws(MerkleProofError) -> [Hash256] {
        let plan = try consistencyProofPlan(from: m, to: n)
        try requireLeaves(n, leaves)
        return try plan.resolve(perfectNodeHashes(plan.neededNodes, leaves: leaves))
    }

    private static func requireLeaves(_ size: UInt64, _ leaves: [Hash256]) throws(MerkleProofError) {
        guard size <= UInt64(leaves.count) else {
            throw MerkleProofError(.insufficientLeaves, "tree size \(size) needs more than the \(leaves.count) leaves given")
        }
    }

    // MARK: - Verification

    /// Verifies an inclusion proof exactly as RFC 9162 §2.1.3.2 describes.
    ///
    /// Succeeds only if `index < size`, the proof has exactly the number of elements the sizes imply, and folding the
    /// proof from `leafHash` yields `root`. Failures carry `.indexOutOfRange`, `.wrongProofSize` or `.rootMismatch`.
    public static func verifyInclusion(
        leafHash: Hash256,
        index: UInt64,
        size: UInt64,
        proof: [Hash256],
        root: Hash256
    ) -> Result<Void, MerkleProofError> {
        guard index < size else {
            return .failure(MerkleProofError(.indexOutOfRange, "leaf index \(index) is not below tree size \(size)"))
        }
        var fn = index
        var sn = size - 1
        var hash = leafHash
        for element in proof {
            guard sn != 0 else {
                return .failure(MerkleProofError(.wrongProofSize, "proof has more than the expected elements"))
            }
            if fn & 1 == 1 || fn == sn {
                hash = nodeHash(element, hash)
                while fn & 1 == 0 && fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                hash = nodeHash(hash, element)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else {
            return .failure(MerkleProofError(.wrongProofSize, "proof has fewer than the expected elements"))
        }
        guard hash == root else {
            return .failure(MerkleProofError(.rootMismatch, "recomputed root \(hash) differs from the expected root \(root)"))
        }
        return .success(())
    }

    /// Verifies a consistency proof between tree heads `(oldSize, oldRoot)` and `(newSize, newRoot)`.
    ///
    /// For `0 < oldSize < newSize` this is exactly RFC 9162 §2.1.4.2. Additionally: `oldSize > newSize` fails with
    /// `.sizeDecreased`; `oldSize == 0` fails with `.emptyTree` (there is nothing to prove); `oldSize == newSize` succeeds
    /// only with an empty proof (`.wrongProofSize` otherwise) and equal roots (`.rootMismatch` otherwise).
    public static func verifyConsistency(
        oldSize: UInt64,
        newSize: UInt64,
        oldRoot: Hash256,
        newRoot: Hash256,
        proof: [Hash256]
    ) -> Result<Void, MerkleProofError> {
        guard oldSize <= newSize else {
            return .failure(MerkleProofError(.sizeDecreased, "old size \(oldSize) is larger than new size \(newSize)"))
        }
        guard oldSize > 0 else {
            return .failure(MerkleProofError(.emptyTree, "consistency with the empty tree proves nothing"))
        }
        if oldSize == newSize {
            guard proof.isEmpty else {
                return .failure(MerkleProofError(.wrongProofSize, "equal sizes need an empty proof, got \(proof.count) elements"))
            }
            guard oldRoot == newRoot else {
                return .failure(MerkleProofError(.rootMismatch, "equal sizes but different roots"))
            }
            return .success(())
        }
        guard !proof.isEmpty else {
            return .failure(MerkleProofError(.wrongProofSize, "proof is empty but sizes differ"))
        }
        var path = proof[...]
        let seededWithOldRoot = oldSize & (oldSize - 1) == 0
        var fn = oldSize - 1
        var sn = newSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        let first = seededWithOldRoot ? oldRoot : path.removeFirst()
        var oldHash = first
        var newHash = first
        for element in path {
            guard sn != 0 else {
                return .failure(MerkleProofError(.wrongProofSize, "proof has more than the expected elements"))
            }
            if fn & 1 == 1 || fn == sn {
                oldHash = nodeHash(element, oldHash)
                newHash = nodeHash(element, newHash)
                while fn & 1 == 0 && fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                newHash = nodeHash(newHash, element)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else {
            return .failure(MerkleProofError(.wrongProofSize, "proof has fewer than the expected elements"))
        }
        guard oldHash == oldRoot else {
            return .failure(MerkleProofError(.rootMismatch, "recomputed old root \(oldHash) differs from \(oldRoot)"))
        }
        guard newHash == newRoot else {
            return .failure(MerkleProofError(.rootMismatch, "recomputed new root \(newHash) differs from \(newRoot)"))
        }
        return .success(())
    }
}
