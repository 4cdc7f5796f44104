// Configuration, the table of open handles, the device's presence (unplug/replug), and the interposed
// libc entry points open/close/ioctl/mmap/read/syscall (file lookup: fake_v4l2_node.c; poll/select: fake_v4l2_poll.c).
//
// Why `syscall` is interposed: libv4l2 1.22 issues every request to the device as a raw
// syscall(SYS_openat / SYS_ioctl / SYS_mmap / SYS_read / SYS_close, …) (its libv4lsyscall-priv.h);
// `nm -D libv4l2.so.0` lists `syscall` and no open/ioctl/mmap. So the libc wrappers alone would
// never see the device; both are interposed here.
#define _GNU_SOURCE
#include "fake_v4l2.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct fake_config fake_config = {.log_fd = -1};

static struct fake_handle handles[FAKE_MAX_HANDLES];
static pthread_mutex_t lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static int init_state;  // 0 not yet, 1 in progress (calls made meanwhile pass through), 2 done

// The device's life: an unplug bumps the generation (older handles stay dead, as in the kernel) and
// hides the node until the replug time.
static int generation;
static uint64_t unplugged_at;
static long delivered;
static int unplug_done;

uint64_t fake_now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

void fake_log(const char *format, ...) {
    if (fake_config.log_fd < 0) return;
    char line[512];
    va_list ap;
    va_start(ap, format);
    int n = vsnprintf(line, sizeof line - 1, format, ap);
    va_end(ap);
    if (n < 0) return;
    if (n > (int)sizeof line - 2) n = (int)sizeof line - 2;
    line[n++] = '\n';
    REAL(write);
    (void)!real_write(fake_config.log_fd, line, (size_t)n);
}

static void fatal(const char *what, const char *value) {
    fprintf(stderr, "fake_v4l2: %s %s\n", what, value ? value : "");
    _exit(97);
}

static void parse_config(void) {
    struct fake_config *c = &fake_config;
    const char *device = getenv("FAKE_V4L2_DEVICE");
    if (!device || !*device) return;
    if (device[0] != '/' || strlen(device) >= sizeof c->path) fatal("FAKE_V4L2_DEVICE must be an absolute path:", device);
    strcpy(c->path, device);
    const char *slash = strrchr(c->path, '/');
    snprintf(c->dir, sizeof c->dir, "%.*s", slash == c->path ? 1 : (int)(slash - c->path), c->path);
    snprintf(c->name, sizeof c->name, "%s", slash + 1);
    const char *log = getenv("FAKE_V4L2_LOG");
    if (log && *log) c->log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

    const char *size = getenv("FAKE_V4L2_SIZE");
    c->width = 640, c->height = 480;
    if (size && (sscanf(size, "%ux%u", &c->width, &c->height) != 2 || c->width < 2 || c->height < 1 || c->width % 2))
        fatal("FAKE_V4L2_SIZE must be WIDTHxHEIGHT with an even width:", size);
    const char *mjpeg = getenv("FAKE_V4L2_MJPEG"), *yuyv = getenv("FAKE_V4L2_FRAMES");
    if (mjpeg && *mjpeg) {
        if (fake_load_mjpeg(&c->formats[c->format_count], mjpeg) != 0) fatal("cannot use FAKE_V4L2_MJPEG", mjpeg);
        c->format_count++;
    }
    if (yuyv && *yuyv) {
        if (fake_load_yuyv(&c->formats[c->format_count], yuyv, c->width, c->height) != 0)
            fatal("cannot use FAKE_V4L2_FRAMES", yuyv);
        c->format_count++;
    }
    if (c->format_count == 0) fatal("set FAKE_V4L2_FRAMES (raw YUYV) and/or FAKE_V4L2_MJPEG (concatenated JPEGs)", "");

    const char *rates = getenv("FAKE_V4L2_FPS");
    for (const char *p = rates && *rates ? rates : "30,15"; *p && c->rate_count < FAKE_MAX_RATES;) {
        char *end;
        long fps = strtol(p, &end, 10);
        if (end == p || fps < 1 || fps > 1000) fatal("FAKE_V4L2_FPS must be a list of rates like 30,15:", rates);
        c->rates[c->rate_count++] = (uint32_t)fps;
        p = *end == ',' ? end + 1 : end;
    }

    const char *fail = getenv("FAKE_V4L2_FAIL");
    if (!fail || !*fail) c->failure = FAKE_FAIL_NONE;
    else if (!strcmp(fail, "ebusy")) c->failure = FAKE_FAIL_EBUSY;
    else if (!strcmp(fail, "eacces")) c->failure = FAKE_FAIL_EACCES;
    else if (sscanf(fail, "unplug-after:%ld", &c->unplug_after) == 1 && c->unplug_after >= 0) c->failure = FAKE_FAIL_UNPLUG;
    else fatal("FAKE_V4L2_FAIL must be ebusy, eacces or unplug-after:N, not", fail);
    const char *replug = getenv("FAKE_V4L2_REPLUG_MS");
    c->replug_ms = replug && *replug ? atol(replug) : -1;
    const char *card = getenv("FAKE_V4L2_CARD");
    snprintf(c->card, sizeof c->card, "%s", card && *card ? card : "DeepVis fake camera");
    for (int i = 0; i < FAKE_MAX_HANDLES; i++) handles[i].fd = -1;
    c->enabled = 1;
    fake_log("init device=%s size=%ux%u formats=%d rates=%d fail=%s replug_ms=%ld", c->path, c->width, c->height,
             c->format_count, c->rate_count, fail ? fail : "none", c->replug_ms);
}

void fake_init(void) {
    if (__atomic_load_n(&init_state, __ATOMIC_ACQUIRE) == 2) return;
    int expected = 0;
    if (!__atomic_compare_exchange_n(&init_state, &expected, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) return;
    parse_config();
    __atomic_store_n(&init_state, 2, __ATOMIC_RELEASE);
}

__attribute__((constructor)) static void fake_constructor(void) { fake_init(); }

int fake_enabled(void) {
    fake_init();
    return __atomic_load_n(&init_state, __ATOMIC_ACQUIRE) == 2 && fake_config.enabled;
}

int fake_is_path(const char *path) { return path && fake_enabled() && strcmp(path, fake_config.path) == 0; }

struct fake_handle *fake_lookup(int fd) {
    if (fd < 0 || !fake_enabled()) return NULL;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < FAKE_MAX_HANDLES; i++)
        if (handles[i].fd == fd) return &handles[i];
    pthread_mutex_unlock(&lock);
    return NULL;
}

void fake_unlock(void) { pthread_mutex_unlock(&lock); }

int fake_device_present(void) {
    pthread_mutex_lock(&lock);
    if (unplugged_at && fake_config.replug_ms >= 0 && fake_now_ns() >= unplugged_at + (uint64_t)fake_config.replug_ms * 1000000u) {
        unplugged_at = 0;
        fake_log("replugged");
    }
    int present = unplugged_at == 0;
    pthread_mutex_unlock(&lock);
    return present;
}

int fake_handle_dead(const struct fake_handle *h) {
    if (fake_config.failure == FAKE_FAIL_UNPLUG && !unplug_done && delivered >= fake_config.unplug_after) {
        unplug_done = 1;
        generation++;
        unplugged_at = fake_now_ns();
        fake_log("unplugged after %ld frames", delivered);
    }
    return h->generation != generation;
}

void fake_count_delivery(void) { delivered++; }

// ---- open / close -------------------------------------------------------------------------------

static int fake_open(const char *path, int flags) {
    if (!fake_device_present()) {
        fake_log("open %s: ENOENT (unplugged)", path);
        errno = ENOENT;
        return -1;
    }
    if (fake_config.failure == FAKE_FAIL_EACCES) {
        fake_log("open %s: EACCES", path);
        errno = EACCES;
        return -1;
    }
    int fd = eventfd(0, EFD_NONBLOCK | ((flags & O_CLOEXEC) ? EFD_CLOEXEC : 0));
    if (fd < 0) return -1;
    pthread_mutex_lock(&lock);
    struct fake_handle *h = NULL;
    for (int i = 0; i < FAKE_MAX_HANDLES && !h; i++)
        if (handles[i].fd < 0) h = &handles[i];
    if (!h) {
        pthread_mutex_unlock(&lock);
        REAL(close);
        real_close(fd);
        errno = EMFILE;
        return -1;
    }
    memset(h, 0, sizeof *h);
    h->fd = fd;
    h->memfd = -1;
    h->generation = generation;
    h->nonblocking = (flags & O_NONBLOCK) != 0;
    pthread_mutex_unlock(&lock);
    fake_log("open %s -> fd %d%s", path, fd, h->nonblocking ? " nonblocking" : "");
    return fd;
}

/// True (and the fake's answer in *result) when `path` is the fake node.
int fake_open_path(const char *path, int flags, int *result) {
    if (!fake_is_path(path)) return 0;
    *result = fake_open(path, flags);
    return 1;
}

static int fake_close(int fd) {
    struct fake_handle *h = fake_lookup(fd);
    if (!h) return 0;
    fake_release(h);
    h->fd = -1;
    fake_unlock();
    fake_log("close fd %d", fd);
    return 1;
}

#define OPEN_MODE(flags) \
    mode_t mode = 0; \
    if ((flags) & (O_CREAT | O_TMPFILE)) { va_list ap; va_start(ap, flags); mode = va_arg(ap, mode_t); va_end(ap); }

int open(const char *path, int flags, ...) {
    OPEN_MODE(flags);
    int fd;
    if (fake_open_path(path, flags, &fd)) return fd;
    REAL(open);
    return real_open(path, flags, mode);
}

int open64(const char *path, int flags, ...) {
    OPEN_MODE(flags);
    int fd;
    if (fake_open_path(path, flags, &fd)) return fd;
    REAL(open64);
    return real_open64(path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...) {
    OPEN_MODE(flags);
    int fd;
    if (fake_open_path(path, flags, &fd)) return fd;
    REAL(openat);
    return real_openat(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...) {
    OPEN_MODE(flags);
    int fd;
    if (fake_open_path(path, flags, &fd)) return fd;
    REAL(openat64);
    return real_openat64(dirfd, path, flags, mode);
}

// The _FORTIFY_SOURCE entry points.
int __open_2(const char *path, int flags) { return open(path, flags); }
int __open64_2(const char *path, int flags) { return open64(path, flags); }
int __openat_2(int dirfd, const char *path, int flags) { return openat(dirfd, path, flags); }
int __openat64_2(int dirfd, const char *path, int flags) { return openat64(dirfd, path, flags); }

int close(int fd) {
    fake_close(fd);  // then the eventfd itself, like any fd
    REAL(close);
    return real_close(fd);
}

// ---- ioctl / mmap / read ------------------------------------------------------------------------

/// Runs one request; a blocking DQBUF (or read) sleeps here, outside the lock, until a frame is due.
static long fake_request(int fd, unsigned long request, void *arg, void *buffer, size_t count, int *handled) {
    for (;;) {
        struct fake_handle *h = fake_lookup(fd);
        if (!h) { *handled = 0; return 0; }
        *handled = 1;
        long result = buffer ? (long)fake_read(h, buffer, count) : fake_ioctl(h, request, arg);
        int error = errno;
        int waits = result < 0 && error == EAGAIN && !h->nonblocking;
        int gone = 0;
        int64_t wait = waits ? fake_wait_ns(h, &gone) : 0;
        fake_unlock();
        if (!waits) { errno = error; return result; }
        if (gone || wait < 0) { errno = gone ? ENODEV : EINVAL; return -1; }
        struct timespec t = {0, wait > 100000000 ? 100000000 : (long)wait};
        nanosleep(&t, NULL);
    }
}

int ioctl(int fd, unsigned long request, ...) {
    va_list ap;
    va_start(ap, request);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    int handled;
    long result = fake_request(fd, request, arg, NULL, 0, &handled);
    if (handled) return (int)result;
    REAL(ioctl);
    return real_ioctl(fd, request, arg);
}

ssize_t read(int fd, void *buffer, size_t count) {
    int handled;
    long result = fake_request(fd, 0, NULL, buffer, count, &handled);
    if (handled) return result;
    REAL(read);
    return real_read(fd, buffer, count);
}

static void *fake_mmap_fd(void *addr, size_t length, int prot, int flags, int fd, off_t offset, int *handled) {
    struct fake_handle *h = fake_lookup(fd);
    if (!h) { *handled = 0; return NULL; }
    *handled = 1;
    void *p = fake_mmap(h, addr, length, prot, flags, offset);
    int error = errno;
    fake_unlock();
    errno = error;
    return p;
}

void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset) {
    int handled;
    void *p = fake_mmap_fd(addr, length, prot, flags, fd, offset, &handled);
    if (handled) return p;
    REAL(mmap);
    return real_mmap(addr, length, prot, flags, fd, offset);
}

void *mmap64(void *addr, size_t length, int prot, int flags, int fd, off_t offset) {
    return mmap(addr, length, prot, flags, fd, offset);
}

// ---- syscall: what libv4l2 actually calls -------------------------------------------------------

long syscall(long number, ...) {
    va_list ap;
    va_start(ap, number);
    long a[6];
    for (int i = 0; i < 6; i++) a[i] = va_arg(ap, long);
    va_end(ap);
    int handled = 0, fd;
    long result = 0;
    switch (number) {
    case SYS_openat:
        if (fake_open_path((const char *)a[1], (int)a[2], &fd)) return fd;
        break;
    case SYS_open:
        if (fake_open_path((const char *)a[0], (int)a[1], &fd)) return fd;
        break;
    case SYS_ioctl:
        result = fake_request((int)a[0], (unsigned long)a[1], (void *)a[2], NULL, 0, &handled);
        if (handled) return result;
        break;
    case SYS_read:
        if (a[2] > 0) {
            result = fake_request((int)a[0], 0, NULL, (void *)a[1], (size_t)a[2], &handled);
            if (handled) return result;
        }
        break;
    case SYS_mmap: {
        void *p = fake_mmap_fd((void *)a[0], (size_t)a[1], (int)a[2], (int)a[3], (int)a[4], (off_t)a[5], &handled);
        if (handled) return (long)p;
        break;
    }
    case SYS_close:
        fake_close((int)a[0]);
        break;
    }
    REAL(syscall);
    return real_syscall(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}
