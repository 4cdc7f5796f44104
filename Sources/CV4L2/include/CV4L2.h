#ifndef CV4L2_H
#define CV4L2_H
// Why this shim exists: Swift cannot import the function-like _IOR/_IOWR macros behind VIDIOC_*,
// the v4l2_fourcc() format codes, or libv4l2's variadic v4l2_open/v4l2_ioctl. This header exposes
// them as constants and plain functions; everything else (structs, plain constants) imports as is.
#include <stddef.h>
#include <stdint.h>
#include <linux/videodev2.h>

extern const unsigned long CV4L2_VIDIOC_QUERYCAP;
extern const unsigned long CV4L2_VIDIOC_ENUM_FMT;
extern const unsigned long CV4L2_VIDIOC_ENUM_FRAMESIZES;
extern const unsigned long CV4L2_VIDIOC_ENUM_FRAMEINTERVALS;
extern const unsigned long CV4L2_VIDIOC_G_FMT;
extern const unsigned long CV4L2_VIDIOC_S_FMT;
extern const unsigned long CV4L2_VIDIOC_G_PARM;
extern const unsigned long CV4L2_VIDIOC_S_PARM;
extern const unsigned long CV4L2_VIDIOC_REQBUFS;
extern const unsigned long CV4L2_VIDIOC_QUERYBUF;
extern const unsigned long CV4L2_VIDIOC_QBUF;
extern const unsigned long CV4L2_VIDIOC_DQBUF;
extern const unsigned long CV4L2_VIDIOC_STREAMON;
extern const unsigned long CV4L2_VIDIOC_STREAMOFF;

extern const uint32_t CV4L2_PIX_FMT_MJPEG;
extern const uint32_t CV4L2_PIX_FMT_JPEG;
extern const uint32_t CV4L2_PIX_FMT_YUYV;
extern const uint32_t CV4L2_PIX_FMT_RGB24;

/// v4l2_open(path, flags): libv4l2 wraps the device so odd pixel formats are converted in user space.
int cv4l2_open(const char *path, int flags);
/// v4l2_close(fd).
int cv4l2_close(int fd);
/// v4l2_ioctl(fd, request, arg), retried while it fails with EINTR; returns -1 with errno set on failure.
int cv4l2_ioctl(int fd, unsigned long request, void *arg);
/// v4l2_mmap of a capture buffer (shared, read/write); returns NULL on failure.
void *cv4l2_mmap(int fd, size_t length, int64_t offset);
/// v4l2_munmap.
int cv4l2_munmap(void *start, size_t length);

#endif
