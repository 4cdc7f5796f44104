import Foundation

/// Who may use the server: the access token (required when it listens beyond loopback) and the WebSocket Origin rule.
///
/// Why a token: a server reachable from a network would otherwise show anyone the camera. It is checked on
/// every HTTP and WebSocket request, from the `token` query parameter or the cookie the page sets, with a
/// comparison whose time does not depend on where the first difference is.
public struct AccessPolicy: Sendable {
    /// The secret a request must carry; nil on a loopback-only server.
    public let token: String?

    /// A policy requiring `token` (nil: none).
    public init(token: String?) { self.token = token }

    /// The policy for a server bound to `host`: a fresh random token unless the host is loopback.
    public static func forHost(_ host: String) -> AccessPolicy {
        isLoopback(host) ? AccessPolicy(token: nil) : AccessPolicy(token: randomToken())
    }

    /// True for 127.0.0.0/8, ::1 and "localhost" — addresses no other machine can reach.
    public static func isLoopback(_ host: String) -> Bool {
        let h = host.lowercased()
        return h == "localhost" || h == "::1" || h == "[::1]" || (h.hasPrefix("127.") && h.split(separator: ".").count == 4)
    }

    /// 128 random bits as 32 hex digits, from the system's cryptographic generator.
    public static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// Compares two secrets in time that depends only on their lengths.
    public static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<x.count { difference |= x[i] ^ y[i] }
        return difference == 0
    }

    /// Whether a request carrying `queryToken` and `cookieHeader` may proceed.
    public func admits(queryToken: String?, cookieHeader: String?) -> Bool {
        guard let token else { return true }
        if let queryToken, Self.constantTimeEqual(queryToken, token) { return true }
        if let presented = Self.cookie(named: Self.cookieName, in: cookieHeader ?? "") {
            return Self.constantTimeEqual(presented, token)
        }
        return false
    }

    /// Name of the cookie that carries the token to the page's own asset and WebSocket requests.
    public static let cookieName = "deepvis_token"

    /// The `Set-Cookie` value for a page served to an admitted browser, or nil without a token.
    public var setCookie: String? {
        token.map { "\(Self.cookieName)=\($0); Path=/; HttpOnly; SameSite=Strict" }
    }

    static func cookie(named name: String, in header: String) -> String? {
        for part in header.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces)
            if pair.hasPrefix(name + "=") { return String(pair.dropFirst(name.count + 1)) }
        }
        return nil
    }

    /// A WebSocket's Origin must name the host the page came from (the request's Host), so another site's page
    /// cannot open a socket in the user's browser. A missing Origin is a non-browser client, which the token governs.
    public static func originAllowed(origin: String?, host: String?) -> Bool {
        guard let origin else { return true }
        guard let host, let url = URL(string: origin), let scheme = url.scheme, scheme == "http" || scheme == "https",
              let originHost = url.host else { return false }
        let originAuthority = url.port.map { "\(originHost):\($0)" } ?? originHost
        return originAuthority.lowercased() == host.lowercased()
            || (url.port == nil && host.lowercased() == originHost.lowercased() + ":80")
    }
}
