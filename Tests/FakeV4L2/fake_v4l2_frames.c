// Frame files: raw YUYV (frames back to back) and concatenated JPEGs (split at their markers,
// so a byte pair FF D9 inside a table is not mistaken for an end of image).
#define _GNU_SOURCE
#include "fake_v4l2.h"

#include <stdio.h>
#include <stdlib.h>

static uint8_t *read_file(const char *path, size_t *size) {
    FILE *file = fopen(path, "rb");
    if (!file) { perror(path); return NULL; }
    uint8_t *data = NULL;
    size_t capacity = 0, used = 0, n;
    do {
        if (used == capacity) {
            capacity = capacity ? capacity * 2 : 1 << 20;
            uint8_t *grown = realloc(data, capacity);
            if (!grown) { free(data); fclose(file); return NULL; }
            data = grown;
        }
        n = fread(data + used, 1, capacity - used, file);
        used += n;
    } while (n > 0);
    fclose(file);
    *size = used;
    return data;
}

static int add_frame(struct fake_format *f, size_t offset, size_t size) {
    size_t *offsets = realloc(f->offsets, sizeof(size_t) * (f->count + 1));
    if (offsets) f->offsets = offsets;
    size_t *sizes = realloc(f->sizes, sizeof(size_t) * (f->count + 1));
    if (sizes) f->sizes = sizes;
    if (!offsets || !sizes) return -1;
    f->offsets[f->count] = offset;
    f->sizes[f->count++] = size;
    if (size > f->max_size) f->max_size = size;
    return 0;
}

int fake_load_yuyv(struct fake_format *f, const char *path, uint32_t width, uint32_t height) {
    size_t size, frame = (size_t)width * height * 2;
    f->fourcc = V4L2_PIX_FMT_YUYV;
    f->description = "YUYV 4:2:2";
    if (!(f->data = read_file(path, &size))) return -1;
    if (size == 0 || size % frame != 0) {
        fprintf(stderr, "fake_v4l2: %s: %zu bytes is not a whole number of %ux%u YUYV frames\n", path, size, width, height);
        return -1;
    }
    for (size_t offset = 0; offset < size; offset += frame)
        if (add_frame(f, offset, frame)) return -1;
    return 0;
}

/// The end (one past EOI) of the JPEG starting at `start`, or 0 if it is not a whole JPEG.
static size_t jpeg_end(const uint8_t *d, size_t size, size_t start) {
    if (start + 4 > size || d[start] != 0xFF || d[start + 1] != 0xD8) return 0;
    size_t pos = start + 2;
    while (pos + 1 < size) {
        if (d[pos] != 0xFF) return 0;
        uint8_t marker = d[pos + 1];
        if (marker == 0xFF) { pos++; continue; }  // fill byte
        if (marker == 0xD9) return pos + 2;
        if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) { pos += 2; continue; }
        if (pos + 4 > size) return 0;
        size_t length = ((size_t)d[pos + 2] << 8) | d[pos + 3];
        pos += 2 + length;
        if (marker != 0xDA) continue;
        // Entropy-coded data: FF is followed by 00 (stuffing) or a restart marker until the next marker.
        while (pos + 1 < size && !(d[pos] == 0xFF && d[pos + 1] != 0 && !(d[pos + 1] >= 0xD0 && d[pos + 1] <= 0xD7)))
            pos++;
    }
    return 0;
}

int fake_load_mjpeg(struct fake_format *f, const char *path) {
    size_t size;
    f->fourcc = V4L2_PIX_FMT_MJPEG;
    f->description = "Motion-JPEG";
    if (!(f->data = read_file(path, &size))) return -1;
    for (size_t offset = 0; offset < size;) {
        size_t end = jpeg_end(f->data, size, offset);
        if (!end) {
            fprintf(stderr, "fake_v4l2: %s: no whole JPEG at byte %zu\n", path, offset);
            return -1;
        }
        if (add_frame(f, offset, end - offset)) return -1;
        offset = end;
    }
    return f->count > 0 ? 0 : -1;
}
