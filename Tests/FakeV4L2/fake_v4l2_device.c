// The V4L2 semantics of the fake node: the requests a capture application makes, answered the way
// the kernel's videobuf2 drivers (uvcvideo) answer them. Every function runs with the fake's lock held.
#define _GNU_SOURCE
#include "fake_v4l2.h"

#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int fail(int error) {
    errno = error;
    return -1;
}

static int find_format(uint32_t fourcc) {
    for (int i = 0; i < fake_config.format_count; i++)
        if (fake_config.formats[i].fourcc == fourcc) return i;
    return -1;
}

static const struct fake_format *format_of(const struct fake_handle *h) { return &fake_config.formats[h->format]; }

static uint64_t interval_ns(const struct fake_handle *h) { return 1000000000u / fake_config.rates[h->rate]; }

static void fill_pix(struct v4l2_pix_format *p, int format) {
    const struct fake_format *f = &fake_config.formats[format];
    memset(p, 0, sizeof *p);
    p->width = fake_config.width;
    p->height = fake_config.height;
    p->pixelformat = f->fourcc;
    p->field = V4L2_FIELD_NONE;
    int yuyv = f->fourcc == V4L2_PIX_FMT_YUYV;
    p->bytesperline = yuyv ? fake_config.width * 2 : 0;
    p->sizeimage = yuyv ? fake_config.width * fake_config.height * 2 : (uint32_t)f->max_size;
    p->colorspace = yuyv ? V4L2_COLORSPACE_SMPTE170M : V4L2_COLORSPACE_JPEG;
}

static int querycap(struct v4l2_capability *cap) {
    memset(cap, 0, sizeof *cap);
    strncpy((char *)cap->driver, "fake_v4l2", sizeof cap->driver - 1);
    memcpy(cap->card, fake_config.card, sizeof cap->card);  // both 32 bytes, NUL-padded
    strncpy((char *)cap->bus_info, "platform:fake-v4l2", sizeof cap->bus_info - 1);
    cap->version = (6u << 16) | (1u << 8);
    cap->device_caps = V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING | V4L2_CAP_READWRITE;
    cap->capabilities = cap->device_caps | V4L2_CAP_DEVICE_CAPS;
    return 0;
}

static int set_format(struct fake_handle *h, struct v4l2_format *f, int apply) {
    if (f->type != V4L2_BUF_TYPE_VIDEO_CAPTURE) return fail(EINVAL);
    if (apply && (h->buffer_count > 0 || h->streaming)) return fail(EBUSY);
    if (apply && fake_config.failure == FAKE_FAIL_EBUSY) return fail(EBUSY);
    int format = find_format(f->fmt.pix.pixelformat);
    if (format < 0) format = 0;  // drivers substitute a format they have rather than fail
    fill_pix(&f->fmt.pix, format);
    if (apply) h->format = format;
    return 0;
}

static int stream_parameters(struct fake_handle *h, struct v4l2_streamparm *p, int apply) {
    if (p->type != V4L2_BUF_TYPE_VIDEO_CAPTURE) return fail(EINVAL);
    struct v4l2_fract asked = p->parm.capture.timeperframe;
    if (apply && asked.numerator > 0 && asked.denominator > 0) {
        double fps = (double)asked.denominator / asked.numerator, best = 1e18;
        for (int i = 0; i < fake_config.rate_count; i++) {
            double d = fps > fake_config.rates[i] ? fps - fake_config.rates[i] : fake_config.rates[i] - fps;
            if (d < best) best = d, h->rate = i;
        }
    }
    memset(&p->parm, 0, sizeof p->parm);
    p->parm.capture.capability = V4L2_CAP_TIMEPERFRAME;
    p->parm.capture.timeperframe = (struct v4l2_fract){1, fake_config.rates[h->rate]};
    p->parm.capture.readbuffers = 2;
    return 0;
}

static void free_buffers(struct fake_handle *h) {
    REAL(munmap);
    REAL(close);
    if (h->memory) real_munmap(h->memory, h->buffer_length * (size_t)h->buffer_count);
    if (h->memfd >= 0) real_close(h->memfd);
    h->memory = NULL;
    h->memfd = -1;
    h->buffer_count = 0;
    h->queued_count = 0;
    memset(h->is_queued, 0, sizeof h->is_queued);
}

static int request_buffers(struct fake_handle *h, struct v4l2_requestbuffers *r) {
    if (r->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || r->memory != V4L2_MEMORY_MMAP) return fail(EINVAL);
    if (h->streaming) return fail(EBUSY);
    if (fake_config.failure == FAKE_FAIL_EBUSY && r->count > 0) return fail(EBUSY);
    free_buffers(h);
    r->capabilities = V4L2_BUF_CAP_SUPPORTS_MMAP;
    if (r->count == 0) return 0;
    int n = r->count < 2 ? 2 : r->count > FAKE_MAX_BUFFERS ? FAKE_MAX_BUFFERS : (int)r->count;
    size_t largest = (size_t)fake_config.width * fake_config.height * 2;
    for (int i = 0; i < fake_config.format_count; i++)
        if (fake_config.formats[i].max_size > largest) largest = fake_config.formats[i].max_size;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    h->buffer_length = (largest + page - 1) / page * page;
    h->memfd = memfd_create("fake-v4l2-buffers", MFD_CLOEXEC);
    if (h->memfd < 0 || ftruncate(h->memfd, (off_t)(h->buffer_length * (size_t)n)) != 0) return fail(ENOMEM);
    REAL(mmap);
    void *p = real_mmap(NULL, h->buffer_length * (size_t)n, PROT_READ | PROT_WRITE, MAP_SHARED, h->memfd, 0);
    if (p == MAP_FAILED) return fail(ENOMEM);
    h->memory = p;
    h->buffer_count = n;
    r->count = (uint32_t)n;
    return 0;
}

static void describe_buffer(const struct fake_handle *h, int index, struct v4l2_buffer *b) {
    memset(b, 0, sizeof *b);
    b->index = (uint32_t)index;
    b->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    b->memory = V4L2_MEMORY_MMAP;
    b->length = (uint32_t)h->buffer_length;
    b->m.offset = (uint32_t)(h->buffer_length * (size_t)index);
    b->field = V4L2_FIELD_NONE;
    b->bytesused = h->bytesused[index];
    b->sequence = h->sequence[index];
    b->flags = V4L2_BUF_FLAG_MAPPED | V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC | V4L2_BUF_FLAG_TSTAMP_SRC_EOF
        | (h->is_queued[index] ? V4L2_BUF_FLAG_QUEUED : 0);
}

static int check_buffer(const struct fake_handle *h, const struct v4l2_buffer *b) {
    if (b->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || b->memory != V4L2_MEMORY_MMAP) return fail(EINVAL);
    if (b->index >= (uint32_t)h->buffer_count) return fail(EINVAL);
    return 0;
}

/// Copies frame `sequence` (looping over the file) to `destination`; returns its size.
static size_t copy_frame(const struct fake_handle *h, uint32_t sequence, uint8_t *destination, size_t capacity) {
    const struct fake_format *f = format_of(h);
    size_t k = sequence % f->count, size = f->sizes[k] < capacity ? f->sizes[k] : capacity;
    memcpy(destination, f->data + f->offsets[k], size);
    return size;
}

static int dequeue(struct fake_handle *h, struct v4l2_buffer *b) {
    if (b->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || b->memory != V4L2_MEMORY_MMAP || !h->streaming) return fail(EINVAL);
    int gone = 0;
    int64_t wait = fake_wait_ns(h, &gone);
    if (gone) return fail(ENODEV);
    if (wait != 0) return fail(EAGAIN);  // nothing queued, or the next frame is not due yet
    int index = h->queued[0];
    memmove(h->queued, h->queued + 1, sizeof(int) * (size_t)--h->queued_count);
    h->is_queued[index] = 0;
    uint32_t sequence = h->next_sequence++;
    h->bytesused[index] = (uint32_t)copy_frame(h, sequence, h->memory + h->buffer_length * (size_t)index, h->buffer_length);
    h->sequence[index] = sequence;
    fake_count_delivery();
    describe_buffer(h, index, b);
    uint64_t due = h->stream_start_ns + sequence * interval_ns(h);
    b->timestamp.tv_sec = (time_t)(due / 1000000000u);
    b->timestamp.tv_usec = (suseconds_t)(due % 1000000000u / 1000u);
    fake_log("DQBUF index %d sequence %u bytes %u", index, sequence, b->bytesused);
    return 0;
}

static const char *request_name(unsigned long r) {
    switch (r) {
    case VIDIOC_QUERYCAP: return "QUERYCAP";
    case VIDIOC_ENUM_FMT: return "ENUM_FMT";
    case VIDIOC_ENUM_FRAMESIZES: return "ENUM_FRAMESIZES";
    case VIDIOC_ENUM_FRAMEINTERVALS: return "ENUM_FRAMEINTERVALS";
    case VIDIOC_G_FMT: return "G_FMT";
    case VIDIOC_S_FMT: return "S_FMT";
    case VIDIOC_TRY_FMT: return "TRY_FMT";
    case VIDIOC_G_PARM: return "G_PARM";
    case VIDIOC_S_PARM: return "S_PARM";
    case VIDIOC_REQBUFS: return "REQBUFS";
    case VIDIOC_QUERYBUF: return "QUERYBUF";
    case VIDIOC_QBUF: return "QBUF";
    case VIDIOC_DQBUF: return "DQBUF";
    case VIDIOC_STREAMON: return "STREAMON";
    case VIDIOC_STREAMOFF: return "STREAMOFF";
    default: return NULL;
    }
}

static int answer(struct fake_handle *h, unsigned long request, void *arg) {
    if (fake_handle_dead(h)) return fail(ENODEV);
    switch (request) {
    case VIDIOC_QUERYCAP:
        return querycap(arg);
    case VIDIOC_ENUM_FMT: {
        struct v4l2_fmtdesc *d = arg;
        if (d->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || d->index >= (uint32_t)fake_config.format_count) return fail(EINVAL);
        const struct fake_format *f = &fake_config.formats[d->index];
        uint32_t index = d->index, type = d->type;
        memset(d, 0, sizeof *d);
        d->index = index, d->type = type, d->pixelformat = f->fourcc;
        d->flags = f->fourcc == V4L2_PIX_FMT_MJPEG ? V4L2_FMT_FLAG_COMPRESSED : 0;
        strncpy((char *)d->description, f->description, sizeof d->description - 1);
        return 0;
    }
    case VIDIOC_ENUM_FRAMESIZES: {
        struct v4l2_frmsizeenum *s = arg;
        if (find_format(s->pixel_format) < 0 || s->index > 0) return fail(EINVAL);
        s->type = V4L2_FRMSIZE_TYPE_DISCRETE;
        s->discrete.width = fake_config.width, s->discrete.height = fake_config.height;
        return 0;
    }
    case VIDIOC_ENUM_FRAMEINTERVALS: {
        struct v4l2_frmivalenum *v = arg;
        if (find_format(v->pixel_format) < 0 || v->width != fake_config.width || v->height != fake_config.height
            || v->index >= (uint32_t)fake_config.rate_count) return fail(EINVAL);
        v->type = V4L2_FRMIVAL_TYPE_DISCRETE;
        v->discrete = (struct v4l2_fract){1, fake_config.rates[v->index]};
        return 0;
    }
    case VIDIOC_G_FMT: {
        struct v4l2_format *f = arg;
        if (f->type != V4L2_BUF_TYPE_VIDEO_CAPTURE) return fail(EINVAL);
        fill_pix(&f->fmt.pix, h->format);
        return 0;
    }
    case VIDIOC_S_FMT: return set_format(h, arg, 1);
    case VIDIOC_TRY_FMT: return set_format(h, arg, 0);
    case VIDIOC_G_PARM: return stream_parameters(h, arg, 0);
    case VIDIOC_S_PARM: return stream_parameters(h, arg, 1);
    case VIDIOC_REQBUFS: return request_buffers(h, arg);
    case VIDIOC_QUERYBUF: {
        struct v4l2_buffer *b = arg;
        if (check_buffer(h, b)) return -1;
        describe_buffer(h, (int)b->index, b);
        return 0;
    }
    case VIDIOC_QBUF: {
        struct v4l2_buffer *b = arg;
        if (check_buffer(h, b) || h->is_queued[b->index]) return fail(EINVAL);
        h->is_queued[b->index] = 1;
        h->queued[h->queued_count++] = (int)b->index;
        b->flags |= V4L2_BUF_FLAG_QUEUED;
        return 0;
    }
    case VIDIOC_DQBUF: return dequeue(h, arg);
    case VIDIOC_STREAMON:
        if (*(int *)arg != V4L2_BUF_TYPE_VIDEO_CAPTURE || h->buffer_count == 0) return fail(EINVAL);
        if (fake_config.failure == FAKE_FAIL_EBUSY) return fail(EBUSY);
        if (!h->streaming) h->streaming = 1, h->stream_start_ns = fake_now_ns(), h->next_sequence = 0;
        return 0;
    case VIDIOC_STREAMOFF:
        if (*(int *)arg != V4L2_BUF_TYPE_VIDEO_CAPTURE) return fail(EINVAL);
        h->streaming = 0;
        h->queued_count = 0;
        memset(h->is_queued, 0, sizeof h->is_queued);
        return 0;
    case VIDIOC_ENUMINPUT: {
        struct v4l2_input *in = arg;
        if (in->index > 0) return fail(EINVAL);
        memset(in, 0, sizeof *in);
        strncpy((char *)in->name, "Camera 1", sizeof in->name - 1);
        in->type = V4L2_INPUT_TYPE_CAMERA;
        return 0;
    }
    case VIDIOC_G_INPUT: *(int *)arg = 0; return 0;
    case VIDIOC_S_INPUT: return *(int *)arg == 0 ? 0 : fail(EINVAL);
    default:
        return fail(ENOTTY);  // controls, crop, standards…: not emulated
    }
}

int fake_ioctl(struct fake_handle *h, unsigned long request, void *arg) {
    int result = answer(h, request, arg);
    int error = errno;
    if (request != VIDIOC_DQBUF || result == 0 || error != EAGAIN) {
        const char *name = request_name(request);
        if (name) fake_log("fd %d %s -> %d%s%s", h->fd, name, result, result ? " " : "", result ? strerror(error) : "");
        else fake_log("fd %d ioctl 0x%lx -> %d %s", h->fd, request, result, result ? strerror(error) : "");
    }
    errno = error;
    return result;
}

int64_t fake_wait_ns(struct fake_handle *h, int *error) {
    if (fake_handle_dead(h)) { *error = 1; return -1; }
    if (!h->streaming && h->buffer_count == 0 && !h->reading) {
        h->reading = 1;  // read() I/O starts on the first poll or read, as with videobuf2
        h->stream_start_ns = fake_now_ns();
        h->next_sequence = 0;
    }
    if (!h->streaming && !h->reading) { *error = 1; return -1; }
    if (h->streaming && h->queued_count == 0) return -1;
    uint64_t due = h->stream_start_ns + h->next_sequence * interval_ns(h), now = fake_now_ns();
    return now >= due ? 0 : (int64_t)(due - now);
}

ssize_t fake_read(struct fake_handle *h, void *buffer, size_t count) {
    if (fake_handle_dead(h)) return fail(ENODEV);
    if (h->buffer_count > 0) return fail(EBUSY);  // streaming I/O owns the queue
    int gone = 0;
    if (fake_wait_ns(h, &gone) != 0) return fail(gone ? ENODEV : EAGAIN);
    size_t size = copy_frame(h, h->next_sequence++, buffer, count);
    fake_count_delivery();
    fake_log("read fd %d -> %zu bytes", h->fd, size);
    return (ssize_t)size;
}

void *fake_mmap(struct fake_handle *h, void *addr, size_t length, int prot, int flags, off_t offset) {
    if (fake_handle_dead(h)) { errno = ENODEV; return MAP_FAILED; }
    if (h->buffer_count == 0 || offset < 0 || (size_t)offset % h->buffer_length != 0
        || (size_t)offset / h->buffer_length >= (size_t)h->buffer_count || length > h->buffer_length) {
        fake_log("mmap fd %d offset %ld length %zu -> EINVAL", h->fd, (long)offset, length);
        errno = EINVAL;
        return MAP_FAILED;
    }
    REAL(mmap);
    void *p = real_mmap(addr, length, prot, flags, h->memfd, offset);
    fake_log("mmap fd %d offset %ld length %zu -> %s", h->fd, (long)offset, length, p == MAP_FAILED ? "failed" : "ok");
    return p;
}

void fake_release(struct fake_handle *h) { free_buffers(h); }
