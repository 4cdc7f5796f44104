#if canImport(Glibc)
import Glibc
#endif

/// Whole-file reads and atomic writes with POSIX calls, so errors name the real cause
/// (missing, permission, a directory) in `ImagingError` terms.
public enum FileBytes {
    /// Reads a whole file of at most `limit` bytes. Regular files and pipes only: a device node such as
    /// /dev/zero would otherwise be read until memory runs out.
    public static func read(path: String, limit: Int = ImageLimits.maxFileBytes) throws -> [UInt8] {
        let fd = retryingEINTR { open(path, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { throw error(errno, path: path) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw error(errno, path: path) }
        let kind = info.st_mode & S_IFMT
        guard kind != S_IFDIR else { throw ImagingError.io(path: path, reason: "is a directory") }
        guard kind == S_IFREG || kind == S_IFIFO else { throw ImagingError.io(path: path, reason: "not a regular file") }
        guard Int(info.st_size) <= limit else { throw tooLarge(path, limit) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(info.st_size))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { buf in retryingEINTR { Glibc.read(fd, buf.baseAddress, buf.count) } }
            if n < 0 { throw error(errno, path: path) }
            if n == 0 { return bytes }
            guard bytes.count + n <= limit else { throw tooLarge(path, limit) }
            bytes.append(contentsOf: chunk[0..<n])
        }
    }

    /// Writes `bytes` to a temporary file in the destination's directory, then renames it over
    /// `path`, so readers never see a half-written file (the project-wide rule for outputs).
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let temporary = "\(directory)/.\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = retryingEINTR { open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644) }
        guard fd >= 0 else { throw error(errno, path: path) }
        var failure: ImagingError?
        bytes.withUnsafeBytes { buf in
            var offset = 0
            while offset < buf.count {
                let n = retryingEINTR { Glibc.write(fd, buf.baseAddress! + offset, buf.count - offset) }
                if n <= 0 { failure = error(errno, path: path); return }
                offset += n
            }
        }
        if close(fd) != 0 && failure == nil { failure = error(errno, path: path) }
        if failure == nil && rename(temporary, path) != 0 { failure = error(errno, path: path) }
        if let failure { unlink(temporary); throw failure }
    }

    /// Writes `bytes` in place (truncating), for callers that opt out of atomic writes.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let fd = retryingEINTR { open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
        guard fd >= 0 else { throw error(errno, path: path) }
        defer { close(fd) }
        try bytes.withUnsafeBytes { buf in
            var offset = 0
            while offset < buf.count {
                let n = retryingEINTR { Glibc.write(fd, buf.baseAddress! + offset, buf.count - offset) }
                if n <= 0 { throw error(errno, path: path) }
                offset += n
            }
        }
    }

    private static func tooLarge(_ path: String, _ limit: Int) -> ImagingError {
        .io(path: path, reason: "larger than \(limit >> 20) MiB, more than any image this program reads")
    }

    private static func error(_ code: Int32, path: String) -> ImagingError {
        if code == ENOENT { return .fileNotFound(path: path) }
        return .io(path: path, reason: String(cString: strerror(code)))
    }

    private static func retryingEINTR<T: BinaryInteger>(_ call: () -> T) -> T {
        while true {
            let result = call()
            if result >= 0 || errno != EINTR { return result }
        }
    }
}
