/* Images as the network sees them: planar float32 (C,H,W), values in [0,1]. */
#ifndef FNRT_IO_IMAGE_H
#define FNRT_IO_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fnrt/fnrt-status.h"

typedef struct fnrt_image {
    int c, h, w;  /* c = 3 for everything read by fnrt_png_read */
    float *data;  /* c*h*w floats, planar */
} fnrt_image;

void fnrt_image_free(fnrt_image *img);

typedef struct fnrt_png_limits {
    uint32_t max_width;        /* default 16384 */
    uint32_t max_height;       /* default 16384 */
    uint64_t max_pixels;       /* default 64 Mpx */
    uint32_t max_chunk_cache;  /* ancillary chunks kept, default 128 */
    uint64_t max_chunk_bytes;  /* largest chunk / decompressed ancillary data, default 8 MiB */
} fnrt_png_limits;

/* Decodes any PNG (1/2/4/8/16-bit gray, gray+alpha, RGB, RGBA, palette, interlaced) into
 * 3-channel RGB floats in [0,1] (sample / (2^bitdepth - 1)); gray is replicated to RGB,
 * alpha is dropped.  lim may be NULL for defaults.  Corrupt files give FNRT_ERR_FORMAT
 * with libpng's message; out is untouched on error. */
fnrt_status fnrt_png_read(const char *path, const fnrt_png_limits *lim, fnrt_image *out);
fnrt_status fnrt_png_read_mem(const void *data, size_t n_bytes, const fnrt_png_limits *lim,
                              fnrt_image *out);

/* Writes a 3-channel planar float image (values clamped to [0,1]) as RGB PNG with 8 or 16
 * bits per sample to an open stream. */
fnrt_status fnrt_png_write_rgb(FILE *fp, const fnrt_image *img, int bits);

/* Antialiased bilinear resize (triangle filter whose support widens by the downscale
 * factor, like PIL's BILINEAR; plain bilinear when upscaling). dst->c must equal src->c;
 * dst->h/w give the target size and dst->data must hold c*h*w floats. */
fnrt_status fnrt_image_resize(const fnrt_image *src, fnrt_image *dst);

/* NPY (version 1.0) float32, little-endian, C order. */
fnrt_status fnrt_npy_write_f32(FILE *fp, const float *data, int ndim, const int64_t *shape);
/* Reads a float32 ('<f4') C-order NPY; *data is malloc'ed.  shape has room for 4 dims. */
fnrt_status fnrt_npy_read_f32(const char *path, float **data, int *ndim, int64_t shape[4]);

#endif
