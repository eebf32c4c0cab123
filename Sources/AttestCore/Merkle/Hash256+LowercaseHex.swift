extension Hash256 {
    /// Parses exactly 64 lower-case hex digits, the only spelling the ledger format uses.
    public init?(lowercaseHex text: some StringProtocol) {
        guard text.utf8.count == 64, !text.utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) else {
            return nil
        }
        self.init(hex: text)
    }
}
