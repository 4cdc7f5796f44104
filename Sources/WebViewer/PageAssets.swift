import Foundation
import HTTPTypes
import Hummingbird

/// Why the server cannot start.
public struct WebViewerError: Error, CustomStringConvertible {
    public var description: String
}

/// The page's own files (HTML, JavaScript, CSS), read once from the target's resources and served from memory
/// under fixed names. No request path ever reaches the file system.
struct PageAssets: Sendable {
    struct Asset: Sendable {
        var bytes: [UInt8]
        var contentType: String
    }
    /// URL path → asset.
    let files: [String: Asset]
    static let names: [(route: String, file: String, type: String)] = [
        ("/", "index.html", "text/html; charset=utf-8"),
        ("/app.js", "app.js", "text/javascript; charset=utf-8"),
        ("/style.css", "style.css", "text/css; charset=utf-8"),
    ]

    static func load() throws -> PageAssets {
        guard let folder = Bundle.module.url(forResource: "Page", withExtension: nil) else {
            throw WebViewerError(description: "the page's files (DeepVis_WebViewer.resources/Page) are missing beside the binary")
        }
        var files: [String: Asset] = [:]
        for name in names {
            guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name.file).path) else {
                throw WebViewerError(description: "the page file \(name.file) is missing from \(folder.path)")
            }
            files[name.route] = Asset(bytes: [UInt8](data), contentType: name.type)
        }
        return PageAssets(files: files)
    }

    /// Adds one GET route per file. The index sets the token cookie so the page's other requests carry it.
    func register<Context: RequestContext>(on router: Router<Context>, policy: AccessPolicy) {
        for (route, asset) in files {
            router.get(RouterPath(stringLiteral: route)) { _, _ -> Response in
                var headers: HTTPFields = [
                    .contentType: asset.contentType, .cacheControl: "no-store",
                    .contentSecurityPolicy: "default-src 'self'; img-src 'self' blob: data:; connect-src 'self'",
                ]
                headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
                if route == "/", let cookie = policy.setCookie { headers[.setCookie] = cookie }
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes)))
            }
        }
    }
}
