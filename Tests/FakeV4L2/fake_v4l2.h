// A V4L2 capture device emulated in user space, for tests on machines without a camera.
//
// libfake_v4l2.so is loaded with LD_PRELOAD into a child process (deepvis). It answers the kernel
// interface of one fake node (FAKE_V4L2_DEVICE, e.g. /dev/video7): open, ioctl, mmap, poll, select,
// read, close, and stat/opendir so the node looks present. Everything else passes to libc.
// See Docs/CAPTURE.md ("The fake V4L2 device") for the environment variables and the limits.
#ifndef FAKE_V4L2_H
#define FAKE_V4L2_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/videodev2.h>

/// Declares and resolves real_NAME, the next definition of NAME (libc's) after this library.
#define REAL(name) \
    static __typeof__(&name) real_##name; \
    if (!real_##name) real_##name = (__typeof__(&name))dlsym(RTLD_NEXT, #name)

// Only the interposed libc functions are exported; the fixture's own names stay inside the library.
#pragma GCC visibility push(hidden)

#define FAKE_MAX_RATES 8
#define FAKE_MAX_BUFFERS 8
#define FAKE_MAX_HANDLES 16

/// One pixel format the fake offers, with its frames (all of one size).
struct fake_format {
    uint32_t fourcc;           // V4L2_PIX_FMT_MJPEG or V4L2_PIX_FMT_YUYV
    const char *description;
    uint8_t *data;             // the whole file, read once
    size_t count;              // frames in it
    size_t *offsets, *sizes;   // per frame
    size_t max_size;
};

enum fake_failure { FAKE_FAIL_NONE, FAKE_FAIL_EBUSY, FAKE_FAIL_EACCES, FAKE_FAIL_UNPLUG };

/// Everything the environment configures; read once.
struct fake_config {
    int enabled;
    char path[256], dir[256], name[64];
    char card[32];
    uint32_t width, height;
    struct fake_format formats[2];
    int format_count;
    uint32_t rates[FAKE_MAX_RATES];   // frames per second, the first is the default
    int rate_count;
    enum fake_failure failure;
    long unplug_after;                // frames delivered (in this process) before the unplug
    long replug_ms;                   // -1: stays unplugged
    int log_fd;                       // FAKE_V4L2_LOG, or -1
};

/// The state of one open file description of the fake node.
struct fake_handle {
    int fd;                 // a real eventfd, so the number is unique and poll/close stay valid
    int nonblocking;        // O_NONBLOCK at open (later fcntl changes are not seen)
    int generation;         // the device's generation at open; an unplug makes older handles dead
    int format;             // index into config.formats
    int rate;               // index into config.rates
    int buffer_count;
    size_t buffer_length;
    int memfd;              // the buffers, backing both our mapping and the application's
    uint8_t *memory;
    int queued[FAKE_MAX_BUFFERS], queued_count;   // FIFO of indices the application queued
    int is_queued[FAKE_MAX_BUFFERS];
    uint32_t bytesused[FAKE_MAX_BUFFERS], sequence[FAKE_MAX_BUFFERS];
    int streaming;
    int reading;            // read() I/O started (no buffers requested)
    uint64_t stream_start_ns;
    uint32_t next_sequence;  // frames delivered since STREAMON (read() counts too)
};

extern struct fake_config fake_config;

// fake_v4l2.c: configuration, the handle table, the device's presence.
void fake_init(void);
int fake_enabled(void);   // FAKE_V4L2_DEVICE is set and the configuration is read
void fake_log(const char *format, ...) __attribute__((format(printf, 1, 2)));
uint64_t fake_now_ns(void);
int fake_is_path(const char *path);
int fake_open_path(const char *path, int flags, int *result);
struct fake_handle *fake_lookup(int fd);   // locks the fake's mutex when it returns a handle
void fake_unlock(void);
int fake_device_present(void);
int fake_handle_dead(const struct fake_handle *h);
void fake_count_delivery(void);

// fake_v4l2_poll.c: the poll and select interposers (nothing else to declare).

// fake_v4l2_device.c: the V4L2 semantics, called with the mutex held.
int fake_ioctl(struct fake_handle *h, unsigned long request, void *arg);
void *fake_mmap(struct fake_handle *h, void *addr, size_t length, int prot, int flags, off_t offset);
ssize_t fake_read(struct fake_handle *h, void *buffer, size_t count);
/// Nanoseconds until a frame can be dequeued (0: now), or -1 for never without a QBUF/STREAMON; sets *error
/// when the device is gone or not streaming (poll's POLLERR).
int64_t fake_wait_ns(struct fake_handle *h, int *error);
void fake_release(struct fake_handle *h);

// fake_v4l2_frames.c: loading frame files.
int fake_load_yuyv(struct fake_format *f, const char *path, uint32_t width, uint32_t height);
int fake_load_mjpeg(struct fake_format *f, const char *path);

#pragma GCC visibility pop

#endif
