/// The web console's files, compiled into the binary by SwiftPM (`.embedInCode` in Package.swift),
/// so `lorekeeper serve` has them wherever the executable is copied: nothing is read from disk.
/// Each file of web/ is listed here once with the URL path it is served at.
public enum WebConsoleAssets {
    public struct Asset: Sendable {
        public let path: String
        public let contentType: String
        public let bytes: [UInt8]
    }

    public static let all: [Asset] = [
        Asset(path: "/", contentType: "text/html; charset=utf-8", bytes: PackageResources.index_html),
        Asset(path: "/favicon.svg", contentType: "image/svg+xml", bytes: PackageResources.favicon_svg),
        Asset(path: "/css/console.css", contentType: "text/css; charset=utf-8", bytes: PackageResources.console_css),
        script("adapters", PackageResources.adapters_js),
        script("api", PackageResources.api_js),
        script("app", PackageResources.app_js),
        script("chart", PackageResources.chart_js),
        script("chat", PackageResources.chat_js),
        script("dom", PackageResources.dom_js),
        script("events", PackageResources.events_js),
        script("jobs", PackageResources.jobs_js),
        script("knowledge", PackageResources.knowledge_js),
        script("markdown", PackageResources.markdown_js),
        script("models", PackageResources.models_js),
        script("notices", PackageResources.notices_js),
        script("sse", PackageResources.sse_js),
    ]

    private static func script(_ name: String, _ bytes: [UInt8]) -> Asset {
        Asset(path: "/js/\(name).js", contentType: "text/javascript; charset=utf-8", bytes: bytes)
    }
}
