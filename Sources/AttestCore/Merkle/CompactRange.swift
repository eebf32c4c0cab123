/// The compact range of the leaf range `[0, size)`: the roots of its maximal perfect subtrees, left to right.
///
/// This type only represents ranges that begin at leaf 0 (a tree prefix). It holds exactly `popcount(size)` hashes, in
/// decreasing subtree size, which is all that is needed to compute the root of the tree of `size` leaves and to keep
/// appending leaves. The `i`-th hash belongs to the `i`-th element of ``nodeIDs``.
///
/// A compact range of `[0, M)` (for example the "prefix" list of a bundle) restored with ``init(size:nodes:)`` and
/// then extended with ``append(_:completed:)`` by leaves `M..<N` has the same ``root`` as the tree of `N` leaves.
public struct CompactRange: Sendable, Hashable {
    /// The number of leaves covered, i.e. the end of the range `[0, size)`.
    public private(set) var size: UInt64
    /// The perfect subtree roots, left to right (largest first). Always `size.nonzeroBitCount` elements.
    public private(set) var nodes: [Hash256]

    /// The compact range of the empty tree.
    public init() {
        size = 0
        nodes = []
    }

    /// Restores a compact range of `[0, size)` from its perfect subtree roots, left to right.
    ///
    /// - Throws: ``MerkleProofError`` `.malformedInput` unless `nodes.count == size.nonzeroBitCount`. (The hashes
    ///   themselves cannot be checked here.)
    public init(size: UInt64, nodes: [Hash256]) throws(MerkleProofError) {
        guard nodes.count == size.nonzeroBitCount else {
            throw MerkleProofError(
                .malformedInput,
                "a compact range of size \(size) has \(size.nonzeroBitCount) nodes, got \(nodes.count)"
            )
        }
        self.size = size
        self.nodes = nodes
    }

    /// Restores a compact range from ``encoded`` bytes (the concatenated 32-byte node hashes, left to right).
    ///
    /// - Throws: ``MerkleProofError`` `.malformedInput` unless `encoded` is exactly `32 · popcount(size)` bytes.
    public init(size: UInt64, encoded: some Collection<UInt8>) throws(MerkleProofError) {
        let bytes = Array(encoded)
        let expected = size.nonzeroBitCount * Hash256.byteCount
        guard bytes.count == expected else {
            throw MerkleProofError(
                .malformedInput,
                "a compact range of size \(size) encodes to \(expected) bytes, got \(bytes.count)"
            )
        }
        var nodes: [Hash256] = []
        nodes.reserveCapacity(size.nonzeroBitCount)
        var offset = 0
        while offset < bytes.count {
            nodes.append(bytes.withUnsafeBytes { Hash256(uncheckedRaw: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + Hash256.byteCount)])) })
            offset += Hash256.byteCount
        }
        try self.init(size: size, nodes: nodes)
    }

    /// The node hashes concatenated left to right: `32 · popcount(size)` bytes. Inverse of ``init(size:encoded:)``.
    public var encoded: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(nodes.count * Hash256.byteCount)
        for node in nodes {
            node.withUnsafeBytes { out.append(contentsOf: $0) }
        }
        return out
    }

    /// The addresses of ``nodes``, left to right; equal to `Merkle.perfectSubtrees(of: 0..<size)`.
    public var nodeIDs: [Merkle.NodeID] {
        Merkle.perfectSubtrees(of: 0..<size)
    }

    /// The RFC 9162 root of the tree of `size` leaves: ``Merkle/emptyRoot`` when empty, otherwise the nodes folded
    /// from the right (`h = last; for p in rest.reversed() { h = nodeHash(p, h) }`).
    public var root: Hash256 {
        guard var hash = nodes.last else { return Merkle.emptyRoot }
        for node in nodes.dropLast().reversed() {
            hash = Merkle.nodeHash(node, hash)
        }
        return hash
    }

    /// Appends the leaf hash of leaf number `size`, merging equal-sized subtrees.
    ///
    /// `completed` is called once for every perfect subtree of level ≥ 1 that this leaf completes, from the lowest
    /// level up, with its address and hash (the leaf itself, level 0, is not reported). Over a sequence of appends
    /// starting from an empty range, every perfect subtree of the grown tree is reported exactly once. A restored range
    /// reports only the subtrees that end after its restored size (the others were completed before it).
    ///
    /// - Precondition: `size < UInt64.max`.
    public mutating func append(_ leaf: Hash256, completed: (Merkle.NodeID, Hash256) -> Void = { _, _ in }) {
        precondition(size < UInt64.max, "CompactRange is full")
        let position = size
        var hash = leaf
        var level: UInt64 = 0
        while (position >> level) & 1 == 1 {
            hash = Merkle.nodeHash(nodes.removeLast(), hash)
            level += 1
            completed(Merkle.NodeID(level: UInt8(level), index: position >> level), hash)
        }
        nodes.append(hash)
        size = position + 1
    }
}
