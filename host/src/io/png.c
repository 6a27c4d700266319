/* PNG reading and writing with libpng.
 *
 * Every PNG is turned into 8- or 16-bit RGB by libpng's transforms (palette expanded, gray
 * below 8 bits expanded, gray replicated, alpha and tRNS stripped; no gamma correction), then
 * into planar floats sample / (2^depth - 1).  libpng reports errors through png_err_fn, which
 * records the message and longjmps back.  Each setjmp lives in a small function that changes
 * no local variable after setjmp; everything that must be freed after an error is allocated
 * between the two libpng phases (header, pixels), so no pointer crosses a longjmp in a
 * register. */
#include "io/image.h"

#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#define PNG_DEFAULT_MAX_DIM 16384u
#define PNG_DEFAULT_MAX_PIXELS (64ull << 20)
#define PNG_DEFAULT_CHUNK_CACHE 128u
#define PNG_DEFAULT_CHUNK_BYTES (8ull << 20)

void fnrt_image_free(fnrt_image *img)
{
    if (!img)
        return;
    free(img->data);
    img->data = NULL;
    img->c = img->h = img->w = 0;
}

/* ---- reading ----------------------------------------------------------------------------- */

struct png_src {
    const char *name; /* path or "<memory>", for messages */
    FILE *fp;         /* file source, or NULL for memory */
    const uint8_t *mem;
    size_t n_bytes, pos;
    char msg[512];  /* libpng's error message */
    char warn[256]; /* libpng's last warning (IHDR problems come as warnings, then an error) */
};

/* Ancillary chunks fnrt does not use (no colour management, no text): libpng skips them
 * unread.  Otherwise it allocates a buffer of the chunk's declared length before reading
 * it (iTXt, zTXt, tEXt, iCCP, sPLT, eXIf): 2 GiB for a 100-byte file that claims it. */
static const png_byte png_ignored_chunks[] = {
    'b', 'K', 'G', 'D', '\0', 'c', 'H', 'R', 'M', '\0', 'e', 'X', 'I', 'f', '\0',
    'g', 'A', 'M', 'A', '\0', 'h', 'I', 'S', 'T', '\0', 'i', 'C', 'C', 'P', '\0',
    'i', 'T', 'X', 't', '\0', 'o', 'F', 'F', 's', '\0', 'p', 'C', 'A', 'L', '\0',
    'p', 'H', 'Y', 's', '\0', 's', 'B', 'I', 'T', '\0', 's', 'C', 'A', 'L', '\0',
    's', 'P', 'L', 'T', '\0', 's', 'R', 'G', 'B', '\0', 't', 'E', 'X', 't', '\0',
    't', 'I', 'M', 'E', '\0', 'z', 'T', 'X', 't', '\0',
};

/* libpng's allocations go through these: none may exceed the per-chunk limit or one
 * decoded row (whichever is larger), whatever a chunk header claims. */
struct png_mem {
    size_t max_bytes;
};

static png_voidp png_malloc_cb(png_structp png, png_alloc_size_t n_bytes)
{
    const struct png_mem *mem = png_get_mem_ptr(png);
    if (mem && n_bytes > mem->max_bytes)
        return NULL; /* libpng reports "out of memory" and fails or skips the chunk */
    return malloc(n_bytes ? n_bytes : 1);
}

static void png_free_cb(png_structp png, png_voidp p)
{
    (void)png;
    free(p);
}

struct png_dec {
    png_structp png;
    png_infop info;
    png_uint_32 w, h;
    int depth;        /* 8 or 16 after the transforms */
    size_t row_bytes; /* after the transforms */
    png_bytep pix;    /* h * row_bytes */
    png_bytepp rows;  /* h pointers into pix */
};

static void png_err_fn(png_structp png, png_const_charp msg)
{
    struct png_src *src = png_get_error_ptr(png);
    if (src)
        snprintf(src->msg, sizeof src->msg, "%s", msg && *msg ? msg : "unknown libpng error");
    png_longjmp(png, 1);
}

/* Warnings (bad ancillary chunks, sRGB profile quirks) are not errors; the last one is kept
 * because libpng explains a rejected IHDR only in warnings before "Invalid IHDR data". */
static void png_warn_fn(png_structp png, png_const_charp msg)
{
    struct png_src *src = png_get_error_ptr(png);
    if (src && msg)
        snprintf(src->warn, sizeof src->warn, "%s", msg);
}

static void png_read_fn(png_structp png, png_bytep data, size_t length)
{
    struct png_src *src = png_get_io_ptr(png);
    if (src->fp) {
        size_t got = fread(data, 1, length, src->fp);
        if (got != length)
            png_error(png, ferror(src->fp) ? "read error" : "unexpected end of file");
        return;
    }
    if (length > src->n_bytes - src->pos)
        png_error(png, "unexpected end of data");
    memcpy(data, src->mem + src->pos, length);
    src->pos += length;
}

static void png_limits_fill(const fnrt_png_limits *in, fnrt_png_limits *out)
{
    out->max_width = PNG_DEFAULT_MAX_DIM;
    out->max_height = PNG_DEFAULT_MAX_DIM;
    out->max_pixels = PNG_DEFAULT_MAX_PIXELS;
    out->max_chunk_cache = PNG_DEFAULT_CHUNK_CACHE;
    out->max_chunk_bytes = PNG_DEFAULT_CHUNK_BYTES;
    if (in) {
        if (in->max_width)
            out->max_width = in->max_width;
        if (in->max_height)
            out->max_height = in->max_height;
        if (in->max_pixels)
            out->max_pixels = in->max_pixels;
        if (in->max_chunk_cache)
            out->max_chunk_cache = in->max_chunk_cache;
        if (in->max_chunk_bytes)
            out->max_chunk_bytes = in->max_chunk_bytes;
    }
    /* the PNG format itself caps dimensions at 2^31 - 1 */
    if (out->max_width > PNG_UINT_31_MAX)
        out->max_width = PNG_UINT_31_MAX;
    if (out->max_height > PNG_UINT_31_MAX)
        out->max_height = PNG_UINT_31_MAX;
}

/* Phase 1: signature, IHDR and the chunks before IDAT; sets up the transforms.
 * Returns 0, or 1 after a libpng error (message in src->msg). */
static int png_phase_header(struct png_dec *d)
{
    png_structp png = d->png;
    png_infop info = d->info;
    if (setjmp(png_jmpbuf(png)))
        return 1;

    png_read_info(png, info);

    png_uint_32 w, h;
    int depth, color_type, interlace;
    png_get_IHDR(png, info, &w, &h, &depth, &color_type, &interlace, NULL, NULL);

    if (color_type == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && depth < 8)
        png_set_expand_gray_1_2_4_to_8(png); /* bit replication: exact scaling to 0..255 */
    if (!(color_type & PNG_COLOR_MASK_COLOR))
        png_set_gray_to_rgb(png);
    /* drops a real alpha channel and the one palette expansion builds from tRNS */
    png_set_strip_alpha(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    d->w = png_get_image_width(png, info);
    d->h = png_get_image_height(png, info);
    d->depth = png_get_bit_depth(png, info);
    d->row_bytes = png_get_rowbytes(png, info);
    if (png_get_channels(png, info) != 3 || (d->depth != 8 && d->depth != 16))
        png_error(png, "unexpected layout after transforms");
    return 0;
}

/* Phase 2: pixel data and the chunks after it up to IEND. */
static int png_phase_pixels(struct png_dec *d)
{
    if (setjmp(png_jmpbuf(d->png)))
        return 1;
    png_read_image(d->png, d->rows);
    png_read_end(d->png, NULL);
    return 0;
}

/* a * b fits in size_t */
static int png_size_ok(uint64_t a, uint64_t b)
{
    return b == 0 || (a <= UINT64_MAX / b && a * b <= (uint64_t)SIZE_MAX);
}

static fnrt_status png_decode(struct png_src *src, const fnrt_png_limits *lim_in, fnrt_image *out)
{
    fnrt_status status = FNRT_OK;
    struct png_dec d;
    fnrt_png_limits lim;
    float *fdata = NULL;

    memset(&d, 0, sizeof d);
    png_limits_fill(lim_in, &lim);
    /* 16-bit RGBA row of the widest allowed image, plus libpng's filter byte and slack */
    struct png_mem mem = {(size_t)lim.max_width * 8u + 4096u};
    if (lim.max_chunk_bytes < (uint64_t)SIZE_MAX && (size_t)lim.max_chunk_bytes > mem.max_bytes)
        mem.max_bytes = (size_t)lim.max_chunk_bytes;

    d.png = png_create_read_struct_2(PNG_LIBPNG_VER_STRING, src, png_err_fn, png_warn_fn, &mem,
                                     png_malloc_cb, png_free_cb);
    if (d.png)
        d.info = png_create_info_struct(d.png);
    if (!d.png || !d.info) {
        status = fnrt_error(FNRT_ERR_NOMEM, "PNG %s: cannot create the libpng decoder", src->name);
        goto cleanup;
    }
    png_set_read_fn(d.png, src, png_read_fn);
    png_set_keep_unknown_chunks(d.png, PNG_HANDLE_CHUNK_NEVER, png_ignored_chunks,
                                (int)(sizeof png_ignored_chunks / 5));
    png_set_user_limits(d.png, lim.max_width, lim.max_height);
    png_set_chunk_cache_max(d.png, lim.max_chunk_cache);
    png_set_chunk_malloc_max(d.png, (png_alloc_size_t)(lim.max_chunk_bytes > (uint64_t)SIZE_MAX
                                                           ? SIZE_MAX
                                                           : lim.max_chunk_bytes));

    if (png_phase_header(&d)) {
        int ihdr = strstr(src->msg, "IHDR") != NULL && src->warn[0] != '\0';
        if (ihdr && strstr(src->warn, "exceeds user limit"))
            status =
                fnrt_error(FNRT_ERR_LIMIT, "PNG %s: %s (limits: max_width %u, max_height %u)",
                           src->name, src->warn, (unsigned)lim.max_width, (unsigned)lim.max_height);
        else if (ihdr)
            status = fnrt_error(FNRT_ERR_FORMAT, "corrupt PNG %s: %s (%s)", src->name, src->msg,
                                src->warn);
        else
            status = fnrt_error(FNRT_ERR_FORMAT, "corrupt PNG %s: %s", src->name, src->msg);
        goto cleanup;
    }

    /* sizes come from the file: check every one before allocating */
    uint64_t n_pixels = (uint64_t)d.w * d.h;
    if (d.w == 0 || d.h == 0 || d.w > lim.max_width || d.h > lim.max_height ||
        n_pixels > lim.max_pixels) {
        status = fnrt_error(FNRT_ERR_LIMIT,
                            "PNG %s: %ux%u image exceeds the limits (max %ux%u, %llu pixels)",
                            src->name, (unsigned)d.w, (unsigned)d.h, (unsigned)lim.max_width,
                            (unsigned)lim.max_height, (unsigned long long)lim.max_pixels);
        goto cleanup;
    }
    size_t sample_bytes = (size_t)d.depth / 8;
    if (d.row_bytes != (size_t)d.w * 3 * sample_bytes) {
        status = fnrt_error(FNRT_ERR_INTERNAL, "PNG %s: row size %zu does not match width %u",
                            src->name, d.row_bytes, (unsigned)d.w);
        goto cleanup;
    }
    if (!png_size_ok(d.h, d.row_bytes) || !png_size_ok(n_pixels, 3 * sizeof(float)) ||
        !png_size_ok(d.h, sizeof(png_bytep))) {
        status = fnrt_error(FNRT_ERR_LIMIT, "PNG %s: %ux%u image too large for memory", src->name,
                            (unsigned)d.w, (unsigned)d.h);
        goto cleanup;
    }
    d.pix = malloc((size_t)d.h * d.row_bytes);
    d.rows = malloc((size_t)d.h * sizeof *d.rows);
    fdata = malloc((size_t)n_pixels * 3 * sizeof *fdata);
    if (!d.pix || !d.rows || !fdata) {
        status = fnrt_error(FNRT_ERR_NOMEM, "PNG %s: cannot allocate a %ux%u image", src->name,
                            (unsigned)d.w, (unsigned)d.h);
        goto cleanup;
    }
    for (png_uint_32 y = 0; y < d.h; y++)
        d.rows[y] = d.pix + (size_t)y * d.row_bytes;

    if (png_phase_pixels(&d)) {
        status = fnrt_error(FNRT_ERR_FORMAT, "corrupt PNG %s: %s", src->name, src->msg);
        goto cleanup;
    }

    /* interleaved big-endian samples -> planar floats */
    size_t plane = (size_t)n_pixels;
    float scale_max = d.depth == 16 ? 65535.0f : 255.0f;
    for (png_uint_32 y = 0; y < d.h; y++) {
        const png_byte *row = d.rows[y];
        for (png_uint_32 x = 0; x < d.w; x++) {
            for (int c = 0; c < 3; c++) {
                size_t k = (size_t)x * 3 + (size_t)c;
                unsigned s = d.depth == 16 ? (unsigned)row[2 * k] << 8 | row[2 * k + 1] : row[k];
                fdata[(size_t)c * plane + (size_t)y * d.w + x] = (float)s / scale_max;
            }
        }
    }

    out->c = 3;
    out->h = (int)d.h;
    out->w = (int)d.w;
    out->data = fdata;
    fdata = NULL;

cleanup:
    if (d.png)
        png_destroy_read_struct(&d.png, d.info ? &d.info : NULL, NULL);
    free(d.rows);
    free(d.pix);
    free(fdata);
    return status;
}

fnrt_status fnrt_png_read(const char *path, const fnrt_png_limits *lim, fnrt_image *out)
{
    if (!path || !out)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "fnrt_png_read: NULL argument");
    struct png_src src;
    memset(&src, 0, sizeof src);
    src.name = path;
    src.fp = fopen(path, "rb");
    if (!src.fp)
        return fnrt_error(FNRT_ERR_IO, "cannot open PNG %s: %s", path, strerror(errno));
    fnrt_status status = png_decode(&src, lim, out);
    fclose(src.fp);
    return status;
}

fnrt_status fnrt_png_read_mem(const void *data, size_t n_bytes, const fnrt_png_limits *lim,
                              fnrt_image *out)
{
    if ((!data && n_bytes > 0) || !out)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "fnrt_png_read_mem: NULL argument");
    struct png_src src;
    memset(&src, 0, sizeof src);
    src.name = "<memory>";
    src.mem = data;
    src.n_bytes = n_bytes;
    return png_decode(&src, lim, out);
}

/* ---- writing ----------------------------------------------------------------------------- */

static unsigned png_quantise(float v, unsigned max_val)
{
    if (!(v > 0.0f)) /* negative, zero and NaN */
        return 0;
    if (v >= 1.0f)
        return max_val;
    return (unsigned)(v * (float)max_val + 0.5f);
}

/* All libpng calls of the writer; nothing it allocates crosses the longjmp. */
static int png_write_all(png_structp png, png_infop info, FILE *fp, const fnrt_image *img, int bits,
                         png_bytep row)
{
    if (setjmp(png_jmpbuf(png)))
        return 1;
    png_init_io(png, fp);
    png_set_IHDR(png, info, (png_uint_32)img->w, (png_uint_32)img->h, bits, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    size_t plane = (size_t)img->h * (size_t)img->w;
    unsigned max_val = bits == 16 ? 65535u : 255u;
    for (int y = 0; y < img->h; y++) {
        for (int x = 0; x < img->w; x++) {
            for (int c = 0; c < 3; c++) {
                float v = img->data[(size_t)c * plane + (size_t)y * (size_t)img->w + (size_t)x];
                unsigned q = png_quantise(v, max_val);
                size_t k = (size_t)x * 3 + (size_t)c;
                if (bits == 16) {
                    row[2 * k] = (png_byte)(q >> 8);
                    row[2 * k + 1] = (png_byte)(q & 0xff);
                } else {
                    row[k] = (png_byte)q;
                }
            }
        }
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    return 0;
}

fnrt_status fnrt_png_write_rgb(FILE *fp, const fnrt_image *img, int bits)
{
    fnrt_status status = FNRT_OK;
    png_structp png = NULL;
    png_infop info = NULL;
    png_bytep row = NULL;
    struct png_src errs; /* only its msg buffer is used */

    if (!fp || !img || !img->data)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "fnrt_png_write_rgb: NULL argument");
    if (img->c != 3)
        return fnrt_error(FNRT_ERR_INVALID_ARG,
                          "fnrt_png_write_rgb: image has %d channels, "
                          "need 3",
                          img->c);
    if (bits != 8 && bits != 16)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "fnrt_png_write_rgb: %d bits (8 or 16 allowed)",
                          bits);
    if (img->w <= 0 || img->h <= 0 || (uint64_t)img->w > PNG_UINT_31_MAX / 6)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "fnrt_png_write_rgb: bad size %dx%d", img->w,
                          img->h);

    memset(&errs, 0, sizeof errs);
    png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &errs, png_err_fn, png_warn_fn);
    if (png)
        info = png_create_info_struct(png);
    row = malloc((size_t)img->w * 3 * (size_t)(bits / 8));
    if (!png || !info || !row) {
        status = fnrt_error(FNRT_ERR_NOMEM, "fnrt_png_write_rgb: out of memory");
        goto cleanup;
    }
    if (png_write_all(png, info, fp, img, bits, row)) {
        status = fnrt_error(FNRT_ERR_IO, "cannot write PNG: %s", errs.msg);
        goto cleanup;
    }
    if (fflush(fp) != 0 || ferror(fp)) {
        status = fnrt_error(FNRT_ERR_IO, "cannot write PNG: %s", strerror(errno));
        goto cleanup;
    }
cleanup:
    if (png)
        png_destroy_write_struct(&png, info ? &info : NULL);
    free(row);
    return status;
}
