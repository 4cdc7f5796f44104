import Foundation

/// One server → browser binary message: `DVF1`, the header's length (UInt32, little-endian), the JSON header, then
/// the payload. The header names each binary part by byte offset and length into the payload, so the page slices
/// JPEGs and the 8-bit layer mosaic out of one message without copying.
public struct FrameMessage {
    var header: [String: Any] = ["type": "frame"]
    private(set) var payload: [UInt8] = []

    /// Appends `bytes` to the payload and returns their place (`off`, `len`) for the header.
    mutating func attach(_ bytes: [UInt8]) -> [String: Int] {
        let place = ["off": payload.count, "len": bytes.count]
        payload += bytes
        return place
    }

    var payloadSize: Int { payload.count }

    /// The message's bytes.
    func encoded() -> [UInt8] {
        let json = (try? JSONSerialization.data(withJSONObject: header, options: [])) ?? Data("{}".utf8)
        let n = UInt32(json.count)
        var out: [UInt8] = Array("DVF1".utf8)
        out.reserveCapacity(8 + json.count + payload.count)
        out += [UInt8(n & 0xff), UInt8((n >> 8) & 0xff), UInt8((n >> 16) & 0xff), UInt8(n >> 24)]
        out += json
        out += payload
        return out
    }

    /// Splits an encoded message into its header and payload (used by tests and the benchmark client).
    public static func decode(_ bytes: [UInt8]) -> (header: [String: Any], payload: ArraySlice<UInt8>)? {
        guard bytes.count >= 8, Array(bytes[0..<4]) == Array("DVF1".utf8) else { return nil }
        let n = Int(bytes[4]) | Int(bytes[5]) << 8 | Int(bytes[6]) << 16 | Int(bytes[7]) << 24
        guard 8 + n <= bytes.count,
              let header = try? JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + n)])) as? [String: Any] else { return nil }
        return (header, bytes[(8 + n)...])
    }
}
