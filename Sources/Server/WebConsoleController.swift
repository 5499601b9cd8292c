import HTTPTypes
import Hummingbird
import WebConsole

/// Serves the browser console (web/, compiled into the binary) at `/` and its assets at their
/// paths, with headers that let the page load nothing but its own files.
struct WebConsoleController: Sendable {
    /// Scripts, styles, images and requests from this origin only; no plugins, no framing.
    static let contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    struct Prepared: Sendable {
        let asset: WebConsoleAssets.Asset
        let etag: String
    }

    let assets: [Prepared]

    init(assets: [WebConsoleAssets.Asset] = WebConsoleAssets.all) {
        self.assets = assets.map { Prepared(asset: $0, etag: Self.etag($0.bytes)) }
    }

    func addRoutes<Context: RequestContext>(to router: some RouterMethods<Context>) {
        for prepared in assets {
            router.get(RouterPath(prepared.asset.path)) { request, _ in Self.response(prepared, request) }
        }
    }

    /// The file names carry no version, so browsers revalidate every time (`no-cache`) and the ETag
    /// turns an unchanged file into an empty 304.
    static func response(_ prepared: Prepared, _ request: Request) -> Response {
        var headers: HTTPFields = [
            .contentType: prepared.asset.contentType,
            .cacheControl: "no-cache",
            .eTag: prepared.etag,
            .contentSecurityPolicy: contentSecurityPolicy,
            .xContentTypeOptions: "nosniff",
        ]
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        if request.headers[.ifNoneMatch] == prepared.etag {
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: prepared.asset.bytes)))
    }

    /// FNV-1a over the file: a content tag, not a security measure.
    static func etag(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return "\"" + String(hash, radix: 16) + "\""
    }
}
