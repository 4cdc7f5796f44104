// The fake node as the file system shows it: stat/fstat say "character device 81:N" (so a check like
// V4L2Camera's S_ISCHR passes), access succeeds, and a listing of its folder (/dev) includes it — all
// while it is plugged in. No file is created on disk.
#define _GNU_SOURCE
#include "fake_v4l2.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

static void fill_stat(struct stat *st) {
    memset(st, 0, sizeof *st);
    const char *digits = fake_config.name + strcspn(fake_config.name, "0123456789");
    st->st_mode = S_IFCHR | 0660;
    st->st_rdev = makedev(81, (unsigned)atoi(digits));
    st->st_nlink = 1;
    st->st_gid = 44;  // Debian's "video" group
    st->st_blksize = 4096;
    st->st_atim.tv_sec = st->st_mtim.tv_sec = st->st_ctim.tv_sec = time(NULL);
}

/// 1 and the fake's answer in *result when `path` names the fake node.
static int fake_stat_path(const char *path, struct stat *st, int *result) {
    if (!fake_is_path(path)) return 0;
    if (!fake_device_present()) {
        errno = ENOENT;
        *result = -1;
    } else {
        fill_stat(st);
        *result = 0;
    }
    return 1;
}

int stat(const char *path, struct stat *st) {
    int r;
    if (fake_stat_path(path, st, &r)) return r;
    REAL(stat);
    return real_stat(path, st);
}

int stat64(const char *path, struct stat64 *st) {
    int r;
    if (fake_stat_path(path, (struct stat *)st, &r)) return r;
    REAL(stat64);
    return real_stat64(path, st);
}

int lstat(const char *path, struct stat *st) {
    int r;
    if (fake_stat_path(path, st, &r)) return r;
    REAL(lstat);
    return real_lstat(path, st);
}

int lstat64(const char *path, struct stat64 *st) {
    int r;
    if (fake_stat_path(path, (struct stat *)st, &r)) return r;
    REAL(lstat64);
    return real_lstat64(path, st);
}

int fstatat(int dirfd, const char *path, struct stat *st, int flags) {
    int r;
    if (fake_stat_path(path, st, &r)) return r;
    REAL(fstatat);
    return real_fstatat(dirfd, path, st, flags);
}

int fstatat64(int dirfd, const char *path, struct stat64 *st, int flags) {
    int r;
    if (fake_stat_path(path, (struct stat *)st, &r)) return r;
    REAL(fstatat64);
    return real_fstatat64(dirfd, path, st, flags);
}

int fstat(int fd, struct stat *st) {
    struct fake_handle *h = fake_lookup(fd);
    if (h) {
        fake_unlock();
        fill_stat(st);
        return 0;
    }
    REAL(fstat);
    return real_fstat(fd, st);
}

int fstat64(int fd, struct stat64 *st) { return fstat(fd, (struct stat *)st); }

int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *st) {
    if (fake_is_path(path)) {
        struct stat plain;
        int r = 0;
        fake_stat_path(path, &plain, &r);
        if (r != 0) return r;
        memset(st, 0, sizeof *st);
        st->stx_mask = STATX_BASIC_STATS;
        st->stx_mode = (uint16_t)plain.st_mode;
        st->stx_nlink = 1;
        st->stx_gid = plain.st_gid;
        st->stx_blksize = (uint32_t)plain.st_blksize;
        st->stx_rdev_major = major(plain.st_rdev);
        st->stx_rdev_minor = minor(plain.st_rdev);
        st->stx_atime.tv_sec = st->stx_mtime.tv_sec = st->stx_ctime.tv_sec = plain.st_mtim.tv_sec;
        return 0;
    }
    REAL(statx);
    return real_statx(dirfd, path, flags, mask, st);
}

int access(const char *path, int mode) {
    if (fake_is_path(path)) {
        if (!fake_device_present()) { errno = ENOENT; return -1; }
        if (fake_config.failure == FAKE_FAIL_EACCES && (mode & (R_OK | W_OK))) { errno = EACCES; return -1; }
        return 0;
    }
    REAL(access);
    return real_access(path, mode);
}

// ---- the node in a listing of its folder --------------------------------------------------------

#define MAX_LISTINGS 8
static struct listing {
    DIR *dir;
    int saw_name, done;
    struct dirent64 entry;
} listings[MAX_LISTINGS];
static pthread_mutex_t listing_lock = PTHREAD_MUTEX_INITIALIZER;

DIR *opendir(const char *path) {
    REAL(opendir);
    DIR *dir = real_opendir(path);
    fake_init();
    if (!dir || !fake_config.enabled || strcmp(path, fake_config.dir) != 0) return dir;
    pthread_mutex_lock(&listing_lock);
    for (int i = 0; i < MAX_LISTINGS; i++) {
        if (listings[i].dir) continue;
        memset(&listings[i], 0, sizeof listings[i]);
        listings[i].dir = dir;
        break;
    }
    pthread_mutex_unlock(&listing_lock);
    return dir;
}

/// After the real entries run out, the fake node once (unless it is unplugged or really exists).
static struct dirent64 *extra_entry(DIR *dir, struct dirent64 *real) {
    struct dirent64 *result = real;
    pthread_mutex_lock(&listing_lock);
    for (int i = 0; i < MAX_LISTINGS; i++) {
        struct listing *l = &listings[i];
        if (l->dir != dir) continue;
        if (real && strcmp(real->d_name, fake_config.name) == 0) l->saw_name = 1;
        if (!real && !l->done && !l->saw_name && fake_device_present()) {
            l->done = 1;
            memset(&l->entry, 0, sizeof l->entry);
            l->entry.d_ino = 1;
            l->entry.d_type = DT_CHR;
            l->entry.d_reclen = sizeof l->entry;
            strncpy(l->entry.d_name, fake_config.name, sizeof l->entry.d_name - 1);
            result = &l->entry;
        }
        break;
    }
    pthread_mutex_unlock(&listing_lock);
    return result;
}

struct dirent *readdir(DIR *dir) {
    REAL(readdir);
    // On 64-bit Linux struct dirent and struct dirent64 have one layout.
    return (struct dirent *)extra_entry(dir, (struct dirent64 *)real_readdir(dir));
}

struct dirent64 *readdir64(DIR *dir) {
    REAL(readdir64);
    return extra_entry(dir, real_readdir64(dir));
}

int closedir(DIR *dir) {
    pthread_mutex_lock(&listing_lock);
    for (int i = 0; i < MAX_LISTINGS; i++)
        if (listings[i].dir == dir) listings[i].dir = NULL;
    pthread_mutex_unlock(&listing_lock);
    REAL(closedir);
    return real_closedir(dir);
}
