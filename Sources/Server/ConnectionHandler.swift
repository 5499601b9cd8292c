import Hummingbird
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import Synchronization

/// Tells the requests of one connection that their client went away (closed or reset it), so
/// that generation stops without reading the connection's input, which belongs to the next
/// pipelined request.
final class ClientWatch: Sendable {
    private struct State {
        var gone = false
        var nextToken = 0
        var actions = [Int: @Sendable () -> Void]()
    }

    private let state = Mutex(State())
    /// The watches of the open connections, by channel: a request finds its own without a trip
    /// to the channel's event loop.
    private static let open = Mutex([ObjectIdentifier: ClientWatch]())

    /// The watch of `channel`'s connection; one that has already closed has left.
    static func of(_ channel: any Channel) -> ClientWatch {
        if let watch = open.withLock({ $0[ObjectIdentifier(channel)] }) { return watch }
        let gone = ClientWatch()
        gone.clientLeft()
        return gone
    }

    fileprivate func register(_ channel: any Channel) { Self.open.withLock { $0[ObjectIdentifier(channel)] = self } }
    fileprivate func unregister(_ channel: any Channel) { _ = Self.open.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) } }

    var isGone: Bool { state.withLock { $0.gone } }

    func clientLeft() {
        let actions = state.withLock { s in
            defer { s.actions = [:] }
            s.gone = true
            return Array(s.actions.values)
        }
        for action in actions { action() }
    }

    /// Runs `action` when the client leaves, at once if it has; `remove` the token when done.
    func onLeave(_ action: @escaping @Sendable () -> Void) -> Int? {
        let token = state.withLock { s -> Int? in
            guard !s.gone else { return nil }
            s.nextToken += 1
            s.actions[s.nextToken] = action
            return s.nextToken
        }
        if token == nil { action() }
        return token
    }

    func remove(_ token: Int?) {
        guard let token else { return }
        _ = state.withLock { $0.actions.removeValue(forKey: token) }
    }
}

/// One per connection, between the HTTP codec and Hummingbird:
/// - reports the client leaving (input closed, or the channel gone) to `watch`;
/// - closes the connection after a response that says `Connection: close`;
/// - answers protocol errors outside a body (header fields or URL too large, bad request line,
///   bad Content-Length) with the status and OpenAI error JSON, after the responses already owed,
///   where Hummingbird would send an empty 400;
/// - closes a connection whose request head does not arrive within `headerTimeout` of its first byte,
///   with a 408 when no response is under way.
final class ConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let watch = ClientWatch()
    private let headerTimeout: TimeAmount
    private var context: ChannelHandlerContext?
    private var timer: Scheduled<Void>?
    private var lingerTimer: Scheduled<Void>?
    private static let linger = TimeAmount.seconds(2)
    private var awaitingHead = true
    /// Bytes of the awaited head so far, and of its request line once its end has come.
    private var headBytes = 0
    private var requestLineBytes: Int?
    /// The HTTP decoder's limit on one field, the URL included (Hummingbird's default).
    private static let fieldLimit = 80 * 1024
    private var inBody = false
    private var headsRead = 0
    private var responsesWritten = 0
    private var closeAfterResponse = false
    /// Set once the input is unusable; written when every earlier response is.
    private var pendingError: APIError?
    private var inputFailed = false

    init(headerTimeout: TimeAmount) { self.headerTimeout = headerTimeout }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        watch.register(context.channel)
        // Request bytes are seen before the codec turns them into a head.
        try? context.pipeline.syncOperations.addHandler(RequestBytesObserver(owner: self), position: .first)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        watch.unregister(context.channel)
        lingerTimer?.cancel()
        timer?.cancel()
        self.context = nil
    }

    /// Raw bytes arrived: a request head has begun if one is awaited.
    fileprivate func bytesArrived(_ buffer: ByteBuffer) {
        guard awaitingHead, !inputFailed, let context else { return }
        if timer == nil {
            timer = context.eventLoop.assumeIsolated().scheduleTask(in: headerTimeout) { self.headerTimedOut() }
        }
        if requestLineBytes == nil, let end = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            requestLineBytes = headBytes + end - buffer.readerIndex
        }
        headBytes += buffer.readableBytes
    }

    private func headerTimedOut() {
        timer = nil
        guard let context else { return }
        if headsRead > responsesWritten {
            // A response is still being written: the client may be waiting for it before sending the rest.
            timer = context.eventLoop.assumeIsolated().scheduleTask(in: headerTimeout) { self.headerTimedOut() }
            return
        }
        fail(APIError(status: .requestTimeout, message: "The request's header fields did not arrive within \(headerTimeout.nanoseconds / 1_000_000_000) s",
                      type: "invalid_request_error", code: "request_timeout").closingConnection)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !inputFailed else { return }
        switch unwrapInboundIn(data) {
        case .head:
            timer?.cancel()
            timer = nil
            awaitingHead = false
            headBytes = 0
            requestLineBytes = nil
            inBody = true
            headsRead += 1
        case .body:
            break
        case .end:
            inBody = false
            awaitingHead = true
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !inputFailed else { return }
        guard let parserError = error as? HTTPParserError else { return context.fireErrorCaught(error) }
        if inBody {
            // The handler reading the body answers it (`decodeJSONBody`); later errors are echoes.
            inputFailed = true
            return context.fireErrorCaught(error)
        }
        if case .headerOverflow = parserError, (requestLineBytes ?? headBytes) >= Self.fieldLimit {
            fail(APIError(status: .uriTooLong, message: "The request target (URL) is too long", type: "invalid_request_error",
                          code: "malformed_request").closingConnection)
        } else {
            fail(.malformedRequest(parserError))
        }
    }

    private func fail(_ error: APIError) {
        inputFailed = true
        timer?.cancel()
        timer = nil
        pendingError = error
        if headsRead == responsesWritten, let context { writePendingError(context) }
    }

    private func writePendingError(_ context: ChannelHandlerContext) {
        guard let error = pendingError else { return }
        pendingError = nil
        let body = error.json
        var head = error.responseHead
        head.headerFields[.contentLength] = "\(body.count)"
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(ByteBuffer(bytes: body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        finishConnection(context)
    }

    /// Sends FIN after the last response and discards what the client still sends until it closes
    /// too (or `linger` passes): closing at once with unread input would reset the connection, and
    /// the client could lose the response.
    private func finishConnection(_ context: ChannelHandlerContext) {
        inputFailed = true
        timer?.cancel()
        timer = nil
        context.close(mode: .output, promise: nil)
        lingerTimer = context.eventLoop.assumeIsolated().scheduleTask(in: Self.linger) { context.close(promise: nil) }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case let .head(response):
            if response.headerFields[.connection]?.lowercased() == "close" { closeAfterResponse = true }
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            responsesWritten += 1
            if closeAfterResponse {
                context.writeAndFlush(data, promise: promise)
                finishConnection(context)
            } else if pendingError != nil, headsRead == responsesWritten {
                context.write(data, promise: promise)
                writePendingError(context)
            } else {
                context.write(data, promise: promise)
            }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed = event as? ChannelEvent {
            watch.clientLeft()
            if lingerTimer != nil { context.close(promise: nil) }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        watch.clientLeft()
        watch.unregister(context.channel)
        timer?.cancel()
        timer = nil
        lingerTimer?.cancel()
        lingerTimer = nil
        context.fireChannelInactive()
    }
}

/// Passes the connection's raw bytes on, telling its `ConnectionHandler` that they came.
private final class RequestBytesObserver: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    weak var owner: ConnectionHandler?

    init(owner: ConnectionHandler) { self.owner = owner }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        owner?.bytesArrived(unwrapInboundIn(data))
        context.fireChannelRead(data)
    }
}

