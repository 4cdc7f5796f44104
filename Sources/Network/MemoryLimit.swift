import Foundation

/// Checked sizes and the memory cap for tensors and plans.
///
/// Shapes come from model files and flags, so their products may overflow `Int` or ask for more
/// memory than the machine has; every size the engine allocates is computed here first, and a
/// plan over the cap is refused with the number instead of being attempted.
public enum MemoryLimit {
    /// Half the physical memory, or half the address-space limit (RLIMIT_AS) when that is lower.
    public static var defaultBytes: Int {
        var limit = Int(clamping: ProcessInfo.processInfo.physicalMemory) / 2
        var r = rlimit()
        if getrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &r) == 0, r.rlim_cur != rlim_t.max {
            limit = min(limit, Int(clamping: r.rlim_cur) / 2)
        }
        return max(limit, 1 << 20)
    }

    /// Why the address-space limit (`ulimit -v`) is too low for `threads` threads that may call OpenBLAS at once, or
    /// nil. Each such call takes its own 128 MiB buffer (Debian's build), and when the buffer cannot be mapped OpenBLAS
    /// retries forever instead of failing, so a run under too low a limit would hang, not error. The estimate
    /// (512 MiB for the process and its libraries, 192 MiB per thread: the buffer and a malloc arena) is deliberately
    /// simple: a tiny-model `live` run (4 threads, 1.25 GiB by it) hangs at 1.2 GiB and runs at 1.4 GiB.
    public static func addressSpaceProblem(threads: Int) -> String? {
        var r = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &r) == 0, r.rlim_cur != rlim_t.max else { return nil }
        let limit = Int(clamping: r.rlim_cur), needed = (512 << 20) + max(1, threads) * (192 << 20)
        guard limit < needed else { return nil }
        return "the address-space limit (ulimit -v) is \(describe(limit)); this run needs about \(describe(needed)) "
            + "(OpenBLAS maps 128 MiB per computing thread and waits forever when it cannot); raise the limit"
    }

    /// The number of elements of `shape`; nil when a dimension is negative or the product overflows.
    public static func elementCount(_ shape: [Int]) -> Int? {
        var n = 1
        for d in shape {
            guard d >= 0 else { return nil }
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            guard !overflow else { return nil }
            n = p
        }
        return n
    }

    /// The bytes of a float32 tensor of `shape`; nil on a negative dimension or overflow.
    public static func floatBytes(_ shape: [Int]) -> Int? {
        guard let n = elementCount(shape) else { return nil }
        let (b, overflow) = n.multipliedReportingOverflow(by: MemoryLayout<Float>.size)
        return overflow ? nil : b
    }

    /// Checks that a float32 tensor of `shape` has non-negative dimensions and fits under `limit`.
    public static func check(_ shape: [Int], what: String, limit: Int) throws(NetworkError) {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw .invalidGraph("\(what) has a negative dimension in \(shape)")
        }
        let bytes = floatBytes(shape)
        guard let bytes, bytes <= limit else { throw .tooLarge(what: "\(what) of shape \(shape)", bytes: bytes, limit: limit) }
    }

    /// "1.5 GiB (1610612736 bytes)".
    public static func describe(_ bytes: Int) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var v = Double(bytes), u = 0
        while v >= 1024, u < units.count - 1 { v /= 1024; u += 1 }
        return u == 0 ? "\(bytes) bytes" : String(format: "%.1f %@ (%d bytes)", v, units[u], bytes)
    }

    /// Parses "512M", "4G", "1.5GiB", "100000" (bytes) for `--max-memory`.
    public static func parse(_ text: String) -> Int? {
        let t = text.trimmingCharacters(in: .whitespaces).uppercased()
        let suffixes: [(String, Double)] = [("TIB", 0x1p40), ("GIB", 0x1p30), ("MIB", 0x1p20), ("KIB", 0x1p10),
                                            ("TB", 0x1p40), ("GB", 0x1p30), ("MB", 0x1p20), ("KB", 0x1p10),
                                            ("T", 0x1p40), ("G", 0x1p30), ("M", 0x1p20), ("K", 0x1p10), ("B", 1)]
        var number = Substring(t), scale = 1.0
        for (s, f) in suffixes where t.hasSuffix(s) { number = t.dropLast(s.count); scale = f; break }
        guard let v = Double(number), v.isFinite, v > 0, v * scale < 0x1p62 else { return nil }
        return Int(v * scale)
    }
}
