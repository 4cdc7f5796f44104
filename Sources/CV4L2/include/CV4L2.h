#ifndef CV4L2_H
#define CV4L2_H
// Placeholder; the V4L2 shim (ioctl request codes, fourccs, non-variadic libv4l2 wrappers) lives here.
int cv4l2_placeholder(void);
#endif
