import Logging

/// swift-log's `StreamLogHandler` with the metadata held aside until a line is written.
///
/// `StreamLogHandler` formats its whole metadata into text each time one key is set, and the
/// server sets keys on every request whether or not anything is logged (Hummingbird its
/// `hb.request.id`, `BearerAuthMiddleware` the `attest.token` name): about 2.5% of the server's
/// CPU with single-event requests (perf, docs/PERFORMANCE.md). This handler keeps the keys in a
/// dictionary and hands them to the stream handler only with a line that is written, which then
/// formats them once. The output is the stream handler's, unchanged.
public struct DeferredMetadataLogHandler: LogHandler {
    private var inner: StreamLogHandler
    public var metadata: Logger.Metadata = [:]

    public init(_ inner: StreamLogHandler) {
        self.inner = inner
    }

    /// The server's handler: standard error at `level`.
    public static func standardError(label: String, level: Logger.Level) -> DeferredMetadataLogHandler {
        var h = DeferredMetadataLogHandler(StreamLogHandler.standardError(label: label))
        h.logLevel = level
        return h
    }

    public var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { inner.metadataProvider }
        set { inner.metadataProvider = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var event = event
        if !metadata.isEmpty {
            // A key given with the line wins over the logger's, as in StreamLogHandler.
            event.metadata = metadata.merging(event.metadata ?? [:]) { _, line in line }
        }
        inner.log(event: event)
    }
}
