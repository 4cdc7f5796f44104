// poll and select on the fake node: readable when a queued buffer's frame is due, POLLERR|POLLHUP once
// it is unplugged. Other descriptors in the same call are polled by libc, in slices, meanwhile.
#define _GNU_SOURCE
#include "fake_v4l2.h"

#include <dlfcn.h>
#include <poll.h>
#include <stdint.h>
#include <sys/select.h>

/// The poll bits of a fake fd now, or 0 with *wait_ns set to when to look again.
static short fake_revents(int fd, short events, int64_t *wait_ns) {
    struct fake_handle *h = fake_lookup(fd);
    if (!h) return 0;
    int error = 0;
    int64_t wait = fake_wait_ns(h, &error);
    int dead = fake_handle_dead(h);
    fake_unlock();
    if (dead) return POLLERR | POLLHUP;
    if (error) return POLLERR;
    if (wait == 0) return events & (POLLIN | POLLRDNORM);
    if (wait > 0 && wait < *wait_ns) *wait_ns = wait;
    return 0;
}

int poll(struct pollfd *fds, nfds_t n, int timeout) {
    REAL(poll);
    int any = 0;
    for (nfds_t i = 0; i < n && fake_enabled(); i++) {
        struct fake_handle *h = fake_lookup(fds[i].fd);
        if (h) { any = 1; fake_unlock(); }
    }
    if (!any || n > 64) return real_poll(fds, n, timeout);
    struct pollfd copy[64];
    int fake[64];
    for (nfds_t i = 0; i < n; i++) {
        copy[i] = fds[i];
        struct fake_handle *h = fake_lookup(fds[i].fd);
        fake[i] = h != NULL;
        if (h) { fake_unlock(); copy[i].fd = -1; }
    }
    uint64_t deadline = timeout < 0 ? UINT64_MAX : fake_now_ns() + (uint64_t)timeout * 1000000u;
    for (;;) {
        int ready = 0;
        int64_t wait = 100000000;  // look again at least every 100 ms (unplug, replug)
        for (nfds_t i = 0; i < n; i++) {
            if (!fake[i]) continue;
            fds[i].revents = fake_revents(fds[i].fd, fds[i].events, &wait);
            if (fds[i].revents) ready++;
        }
        uint64_t now = fake_now_ns();
        int64_t left = deadline == UINT64_MAX ? wait : (int64_t)(deadline > now ? deadline - now : 0);
        int slice = ready ? 0 : (int)(((left < wait ? left : wait) + 999999) / 1000000);
        int r = real_poll(copy, n, slice);
        if (r < 0) return r;
        for (nfds_t i = 0; i < n; i++)
            if (!fake[i]) fds[i].revents = copy[i].revents;
        if (r + ready > 0 || fake_now_ns() >= deadline) return r + ready;
    }
}

int select(int nfds, fd_set *readfds, fd_set *writefds, fd_set *exceptfds, struct timeval *timeout) {
    REAL(select);
    int fakes[FAKE_MAX_HANDLES], count = 0;
    for (int fd = 0; fd < nfds && fd < FD_SETSIZE && fake_enabled(); fd++) {
        int wanted = (readfds && FD_ISSET(fd, readfds)) || (exceptfds && FD_ISSET(fd, exceptfds));
        struct fake_handle *h = wanted ? fake_lookup(fd) : NULL;
        if (h) { fake_unlock(); if (count < FAKE_MAX_HANDLES) fakes[count++] = fd; }
    }
    if (count == 0) return real_select(nfds, readfds, writefds, exceptfds, timeout);
    fd_set r0, w0, e0;
    FD_ZERO(&r0);
    FD_ZERO(&w0);
    FD_ZERO(&e0);
    if (readfds) r0 = *readfds;
    if (writefds) w0 = *writefds;
    if (exceptfds) e0 = *exceptfds;
    uint64_t deadline = timeout ? fake_now_ns() + (uint64_t)timeout->tv_sec * 1000000000u + (uint64_t)timeout->tv_usec * 1000u
                                : UINT64_MAX;
    for (;;) {
        fd_set r = r0, w = w0, e = e0;
        int ready = 0;
        int64_t wait = 100000000;
        short bits[FAKE_MAX_HANDLES];
        for (int i = 0; i < count; i++) {
            bits[i] = fake_revents(fakes[i], POLLIN, &wait);
            FD_CLR(fakes[i], &r), FD_CLR(fakes[i], &e);
        }
        uint64_t now = fake_now_ns();
        int64_t left = deadline == UINT64_MAX ? wait : (int64_t)(deadline > now ? deadline - now : 0);
        for (int i = 0; i < count; i++) ready += bits[i] != 0;
        int64_t slice = ready ? 0 : (left < wait ? left : wait);
        struct timeval tv = {slice / 1000000000, (slice % 1000000000) / 1000};
        int n = real_select(nfds, readfds ? &r : NULL, writefds ? &w : NULL, exceptfds ? &e : NULL, &tv);
        if (n < 0) return n;
        for (int i = 0; i < count; i++) {
            if (readfds && FD_ISSET(fakes[i], &r0) && (bits[i] & (POLLIN | POLLERR | POLLHUP))) FD_SET(fakes[i], &r), n++;
            if (exceptfds && FD_ISSET(fakes[i], &e0) && (bits[i] & POLLERR)) FD_SET(fakes[i], &e), n++;
        }
        if (n > 0 || fake_now_ns() >= deadline) {
            if (readfds) *readfds = r;
            if (writefds) *writefds = w;
            if (exceptfds) *exceptfds = e;
            return n;
        }
    }
}
