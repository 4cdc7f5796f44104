import Glibc

/// Sets the calling thread's kernel name. Foundation's `Thread.name` stays inside Foundation on Linux, and glibc's
/// `pthread_setname_np` is not visible to Swift (it needs _GNU_SOURCE), so this writes /proc/thread-self/comm, which
/// names the calling thread (Linux 3.17+). A failure only leaves the process's name, as before.
func nameCallingThread(_ name: String) {
    let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { return }
    defer { close(fd) }
    let bytes = Array(name.utf8.prefix(15))
    _ = bytes.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count) }
}

/// Raises the calling thread's nice value. On Linux the nice value belongs to the thread, and `who` = 0
/// names the calling thread, so only this thread slows down (see setpriority(2), BUGS).
func lowerPriority(by niceness: Int32) {
    guard niceness > 0 else { return }
    _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness)
}
