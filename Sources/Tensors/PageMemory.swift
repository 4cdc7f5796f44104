import Glibc

/// Zeroed storage for tensors and kernels' buffers, aligned to a cache line: malloc's 16-byte alignment left most
/// activations 16, 32 or 48 bytes past one, so that every 64-byte vector load or store touched two lines.
///
/// Buffers from `mapped` bytes on are mapped on their own: zero, and resident only once written (a session's values
/// past the layer it runs to never are; a kernel's buffers for threads that never run stay untouched). From `hugePage`
/// bytes on the mapping is aligned to a huge page and advised to use transparent huge pages (Debian's default mode is
/// `madvise`): a forward pass streams every weight and most activations once, and with 4 KB pages each 4 KB of that
/// stream costs a TLB miss.
public enum PageMemory {
    static let mapped = 64 << 10, hugePage = 2 << 20
    private static let page = 4096, line = 64

    /// `bytes` zeroed bytes (at least 1), or nil when the system has no memory for them.
    public static func allocate(bytes: Int) -> UnsafeMutableRawPointer? {
        guard bytes >= mapped else {
            var p: UnsafeMutableRawPointer?
            guard posix_memalign(&p, line, max(bytes, 1)) == 0, let p else { return nil }
            return memset(p, 0, max(bytes, 1))
        }
        let length = rounded(bytes), align = bytes >= hugePage ? hugePage : page
        let (span, overflow) = length.addingReportingOverflow(align - page)
        guard !overflow, let p = mmap(nil, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              p != UnsafeMutableRawPointer(bitPattern: -1) else { return nil }
        guard align == hugePage else { return p }
        // Keep the huge-page-aligned part only: the kernel backs a huge page only where a whole aligned one lies inside
        // the mapping. The tail past the last whole huge page gets ordinary pages.
        let head = (hugePage - Int(bitPattern: UInt(bitPattern: p)) % hugePage) % hugePage
        if head > 0 { munmap(p, head) }
        if span - head - length > 0 { munmap(p + head + length, span - head - length) }
        // Refused only where huge pages are off or unknown to the kernel: the memory is then plain pages, just as good.
        _ = madvise(p + head, length, MADV_HUGEPAGE)
        return p + head
    }

    /// Returns storage that `allocate(bytes:)` gave for the same `bytes`.
    public static func free(_ p: UnsafeMutableRawPointer, bytes: Int) {
        if bytes >= mapped { munmap(p, rounded(bytes)) } else { Glibc.free(p) }
    }

    private static func rounded(_ bytes: Int) -> Int { (bytes + page - 1) / page * page }
}
