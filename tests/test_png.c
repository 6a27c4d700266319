/* PNG reader/writer and resize.
 *
 * PngSuite (tests/data/pngsuite, references made by tools/make-pngsuite-ref.py without
 * libpng): every valid file decodes to its reference, every x*.png is rejected with a
 * message, the memory variant equals the file variant, truncated and mutated copies (with and
 * without repaired CRCs) never crash, limits hold, 8/16-bit writes read back as the quantised
 * input.  Resize is checked against PIL's BILINEAR in float mode (tests/data/resize). */
#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/image.h"
#include "test-util.h"

/* ---- helpers ------------------------------------------------------------------------------- */

typedef struct name_list {
    char **v;
    size_t n;
} name_list;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* PNG file names in tests/data/pngsuite, sorted; corrupt = 1 for x*.png, 0 for the rest. */
static name_list suite_files(int corrupt)
{
    name_list l = {NULL, 0};
    char *dir = test_data_path("pngsuite");
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open %s", dir);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".png") != 0)
            continue;
        if ((e->d_name[0] == 'x') != (corrupt != 0))
            continue;
        l.v = realloc(l.v, (l.n + 1) * sizeof *l.v);
        ck_assert_ptr_nonnull(l.v);
        l.v[l.n] = strdup(e->d_name);
        ck_assert_ptr_nonnull(l.v[l.n]);
        l.n++;
    }
    closedir(d);
    free(dir);
    if (l.n > 1)
        qsort(l.v, l.n, sizeof *l.v, cmp_str);
    return l;
}

static void names_free(name_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

static char *suite_path(const char *name)
{
    char rel[300];
    snprintf(rel, sizeof rel, "pngsuite/%s", name);
    return test_data_path(rel);
}

static void *suite_bytes(const char *name, size_t *n)
{
    char *p = suite_path(name);
    void *b = test_read_file(p, n);
    ck_assert_msg(b != NULL, "cannot read %s", p);
    free(p);
    return b;
}

static float sentinel_data[1];

static void set_sentinel(fnrt_image *img)
{
    img->c = img->h = img->w = -7;
    img->data = sentinel_data;
}

static void assert_sentinel(const fnrt_image *img, const char *what)
{
    ck_assert_msg(img->c == -7 && img->h == -7 && img->w == -7 && img->data == sentinel_data,
                  "%s: output changed on error", what);
}

/* Decodes from memory; returns 1 if OK (image freed), 0 on a clean error. */
static int decode_mem_checked(const unsigned char *buf, size_t n, const char *what)
{
    fnrt_image img;
    set_sentinel(&img);
    fnrt_error_clear();
    fnrt_status s = fnrt_png_read_mem(buf, n, NULL, &img);
    if (s == FNRT_OK) {
        ck_assert_msg(img.c == 3 && img.h > 0 && img.w > 0 && img.data, "%s: bad image", what);
        for (size_t i = 0; i < (size_t)3 * (size_t)img.h * (size_t)img.w; i++)
            ck_assert_msg(img.data[i] >= 0.0f && img.data[i] <= 1.0f, "%s: value out of [0,1]",
                          what);
        fnrt_image_free(&img);
        return 1;
    }
    ck_assert_msg(s == FNRT_ERR_FORMAT || s == FNRT_ERR_LIMIT, "%s: status %d (%s)", what, s,
                  fnrt_last_error());
    ck_assert_msg(fnrt_last_error()[0] != '\0', "%s: error without a message", what);
    assert_sentinel(&img, what);
    return 0;
}

/* ---- PngSuite ------------------------------------------------------------------------------ */

START_TEST(test_suite_matches_reference)
{
    name_list files = suite_files(0);
    ck_assert_uint_ge(files.n, 80);
    for (size_t i = 0; i < files.n; i++) {
        const char *name = files.v[i];
        char *path = suite_path(name);
        char rel[300];
        snprintf(rel, sizeof rel, "pngsuite/ref/%.*s.npy", (int)(strlen(name) - 4), name);
        char *ref_path = test_data_path(rel);

        float *ref = NULL;
        int nd;
        int64_t shp[4];
        ck_assert_msg(fnrt_npy_read_f32(ref_path, &ref, &nd, shp) == FNRT_OK, "%s",
                      fnrt_last_error());
        ck_assert_int_eq(nd, 3);
        ck_assert_int_eq(shp[0], 3);

        fnrt_image img;
        fnrt_status s = fnrt_png_read(path, NULL, &img);
        ck_assert_msg(s == FNRT_OK, "%s: %s", name, fnrt_last_error());
        ck_assert_int_eq(img.c, 3);
        ck_assert_msg(img.h == shp[1] && img.w == shp[2], "%s: %dx%d, reference %lldx%lld", name,
                      img.h, img.w, (long long)shp[1], (long long)shp[2]);
        size_t n = (size_t)3 * (size_t)img.h * (size_t)img.w, worst = 0;
        double max_diff = 0.0;
        for (size_t k = 0; k < n; k++) {
            double d = fabs((double)img.data[k] - (double)ref[k]);
            if (!(d <= max_diff)) {
                max_diff = d;
                worst = k;
            }
        }
        ck_assert_msg(max_diff <= 1e-6, "%s: max |diff| %g at %zu (got %.9g, want %.9g)", name,
                      max_diff, worst, (double)img.data[worst], (double)ref[worst]);
        fnrt_image_free(&img);
        ck_assert_ptr_null(img.data);
        free(ref);
        free(ref_path);
        free(path);
    }
    names_free(&files);
}
END_TEST

START_TEST(test_suite_corrupt_rejected)
{
    name_list files = suite_files(1);
    ck_assert_uint_ge(files.n, 14);
    for (size_t i = 0; i < files.n; i++) {
        char *path = suite_path(files.v[i]);
        fnrt_image img;
        set_sentinel(&img);
        fnrt_error_clear();
        fnrt_status s = fnrt_png_read(path, NULL, &img);
        ck_assert_msg(s == FNRT_ERR_FORMAT, "%s: status %d (%s)", files.v[i], s, fnrt_last_error());
        ck_assert_msg(strstr(fnrt_last_error(), path) != NULL, "%s: message lacks the path: %s",
                      files.v[i], fnrt_last_error());
        assert_sentinel(&img, files.v[i]);
        /* libpng's own message is carried: CRC errors say so */
        if (strcmp(files.v[i], "xcsn0g01.png") == 0 || strcmp(files.v[i], "xhdn0g08.png") == 0)
            ck_assert_msg(strstr(fnrt_last_error(), "CRC") != NULL, "%s", fnrt_last_error());

        size_t n;
        unsigned char *b = suite_bytes(files.v[i], &n);
        ck_assert_int_eq(decode_mem_checked(b, n, files.v[i]), 0);
        ck_assert_ptr_nonnull(strstr(fnrt_last_error(), "<memory>"));
        free(b);
        free(path);
    }
    names_free(&files);
}
END_TEST

START_TEST(test_mem_equals_file)
{
    name_list files = suite_files(0);
    for (size_t i = 0; i < files.n; i++) {
        char *path = suite_path(files.v[i]);
        size_t n;
        unsigned char *b = suite_bytes(files.v[i], &n);
        fnrt_image a, m;
        ck_assert_int_eq(fnrt_png_read(path, NULL, &a), FNRT_OK);
        ck_assert_msg(fnrt_png_read_mem(b, n, NULL, &m) == FNRT_OK, "%s", fnrt_last_error());
        ck_assert(a.c == m.c && a.h == m.h && a.w == m.w);
        ck_assert_msg(memcmp(a.data, m.data, sizeof(float) * 3 * (size_t)a.h * (size_t)a.w) == 0,
                      "%s", files.v[i]);
        fnrt_image_free(&a);
        fnrt_image_free(&m);
        free(b);
        free(path);
    }
    names_free(&files);
}
END_TEST

START_TEST(test_errors_io_args)
{
    fnrt_image img;
    set_sentinel(&img);
    char *p = test_tmp_path("missing.png");
    fnrt_error_clear();
    ck_assert_int_eq(fnrt_png_read(p, NULL, &img), FNRT_ERR_IO);
    ck_assert_ptr_nonnull(strstr(fnrt_last_error(), p));
    assert_sentinel(&img, "missing");
    ck_assert_int_eq(fnrt_png_read(NULL, NULL, &img), FNRT_ERR_INVALID_ARG);
    ck_assert_int_eq(fnrt_png_read_mem(NULL, 5, NULL, &img), FNRT_ERR_INVALID_ARG);
    ck_assert_int_eq(fnrt_png_read_mem("", 0, NULL, &img), FNRT_ERR_FORMAT);
    ck_assert_int_eq(fnrt_png_read_mem("not a png at all", 16, NULL, &img), FNRT_ERR_FORMAT);
    assert_sentinel(&img, "args");
    free(p);
}
END_TEST

/* ---- robustness ------------------------------------------------------------------------- */

static const char *robust_files[] = {"basn0g01.png", "basi6a16.png", "basn3p04.png",
                                     "s09i3p02.png", "oi9n0g16.png", "basi2c08.png"};

START_TEST(test_truncated_copies)
{
    for (size_t f = 0; f < sizeof robust_files / sizeof robust_files[0]; f++) {
        size_t n;
        unsigned char *b = suite_bytes(robust_files[f], &n);
        for (size_t len = 0; len < n; len++) {
            unsigned char *copy = malloc(len ? len : 1); /* exact size: ASan sees overreads */
            ck_assert_ptr_nonnull(copy);
            memcpy(copy, b, len);
            char what[64];
            snprintf(what, sizeof what, "%s cut at %zu", robust_files[f], len);
            /* IEND is the last chunk: every cut loses at least part of it */
            ck_assert_msg(decode_mem_checked(copy, len, what) == 0, "%s decoded", what);
            free(copy);
        }
        /* the file variant (fread path) for a spread of lengths */
        char *p = test_tmp_path("cut.png");
        for (size_t len = 0; len < n; len += 53) {
            FILE *fp = fopen(p, "wb");
            ck_assert_ptr_nonnull(fp);
            ck_assert_uint_eq(fwrite(b, 1, len, fp), len);
            ck_assert_int_eq(fclose(fp), 0);
            fnrt_image img;
            set_sentinel(&img);
            fnrt_error_clear();
            ck_assert_int_eq(fnrt_png_read(p, NULL, &img), FNRT_ERR_FORMAT);
            ck_assert_ptr_nonnull(strstr(fnrt_last_error(), p));
            assert_sentinel(&img, "cut file");
        }
        free(p);
        free(b);
    }
}
END_TEST

static uint32_t crc_table[256];

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32_png(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++)
        c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

/* Recomputes the CRC of every chunk whose length is in bounds, so that mutations reach the
 * chunk parsers, zlib and the unfilter code instead of stopping at the CRC check. */
static void fix_crcs(unsigned char *b, size_t n)
{
    size_t pos = 8;
    while (pos + 12 <= n) {
        uint32_t len = (uint32_t)b[pos] << 24 | (uint32_t)b[pos + 1] << 16 |
                       (uint32_t)b[pos + 2] << 8 | b[pos + 3];
        if (len > n - pos - 12)
            break;
        uint32_t c = crc32_png(b + pos + 4, 4 + (size_t)len);
        unsigned char *q = b + pos + 8 + len;
        q[0] = (unsigned char)(c >> 24);
        q[1] = (unsigned char)(c >> 16);
        q[2] = (unsigned char)(c >> 8);
        q[3] = (unsigned char)c;
        pos += 12 + (size_t)len;
    }
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

START_TEST(test_mutated_copies)
{
    crc_init();
    uint64_t seed = 0xb17f11b5eedull;
    int n_ok = 0, n_err = 0;
    for (size_t f = 0; f < sizeof robust_files / sizeof robust_files[0]; f++) {
        size_t n;
        unsigned char *b = suite_bytes(robust_files[f], &n);
        unsigned char *m = malloc(n);
        ck_assert_ptr_nonnull(m);
        for (int iter = 0; iter < 500; iter++) {
            memcpy(m, b, n);
            int flips = 1 + (int)(rng_next(&seed) % 6);
            for (int k = 0; k < flips; k++) {
                /* mostly past the signature; sometimes whole bytes */
                size_t pos = (size_t)(rng_next(&seed) % n);
                if (rng_next(&seed) % 4 == 0)
                    m[pos] = (unsigned char)rng_next(&seed);
                else
                    m[pos] ^= (unsigned char)(1u << (rng_next(&seed) % 8));
            }
            if (iter % 2)
                fix_crcs(m, n);
            char what[64];
            snprintf(what, sizeof what, "%s mutation %d", robust_files[f], iter);
            if (decode_mem_checked(m, n, what))
                n_ok++;
            else
                n_err++;
        }
        free(m);
        free(b);
    }
    ck_assert_int_gt(n_err, 100);
    ck_assert_int_gt(n_ok, 10); /* CRC-repaired flips in pixel data still decode */
}
END_TEST

START_TEST(test_limits)
{
    char *p = suite_path("basn2c08.png"); /* 32x32 */
    fnrt_image img;
    struct {
        fnrt_png_limits lim;
        int ok;
        const char *what;
    } cases[] = {
        {{16, 0, 0, 0, 0}, 0, "max_width"},         {{0, 31, 0, 0, 0}, 0, "max_height"},
        {{0, 0, 1023, 0, 0}, 0, "max_pixels"},      {{32, 32, 1024, 0, 0}, 1, "exact fit"},
        {{0, 0, 0, 1, 64}, 1, "tiny chunk limits"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        set_sentinel(&img);
        fnrt_error_clear();
        fnrt_status s = fnrt_png_read(p, &cases[k].lim, &img);
        if (cases[k].ok) {
            ck_assert_msg(s == FNRT_OK, "%s: %s", cases[k].what, fnrt_last_error());
            fnrt_image_free(&img);
        } else {
            ck_assert_msg(s == FNRT_ERR_LIMIT, "%s: status %d (%s)", cases[k].what, s,
                          fnrt_last_error());
            ck_assert_ptr_nonnull(strstr(fnrt_last_error(), p));
            ck_assert_ptr_nonnull(strstr(fnrt_last_error(), "limit"));
            assert_sentinel(&img, cases[k].what);
        }
    }
    /* a big compressed text chunk against a small chunk limit: decodes or fails cleanly */
    size_t n;
    unsigned char *b = suite_bytes("ctzn0g04.png", &n);
    fnrt_png_limits lim = {0, 0, 0, 0, 8};
    set_sentinel(&img);
    fnrt_status s = fnrt_png_read_mem(b, n, &lim, &img);
    if (s == FNRT_OK)
        fnrt_image_free(&img);
    else
        ck_assert_str_ne(fnrt_last_error(), "");
    free(b);
    free(p);
}
END_TEST

/* ---- writing ------------------------------------------------------------------------------ */

static void roundtrip(int h, int w, int bits)
{
    size_t n = (size_t)3 * (size_t)h * (size_t)w;
    fnrt_image img = {3, h, w, malloc(n * sizeof(float))};
    ck_assert_ptr_nonnull(img.data);
    test_fill_uniform(img.data, n, (uint64_t)(h * 1000 + w * 10 + bits), -0.2f, 1.2f);
    if (n > 4) {
        img.data[0] = NAN;
        img.data[1] = -INFINITY;
        img.data[2] = INFINITY;
        img.data[3] = 0.5f;
    }
    char *p = test_tmp_path("rt.png");
    FILE *fp = fopen(p, "wb");
    ck_assert_ptr_nonnull(fp);
    ck_assert_msg(fnrt_png_write_rgb(fp, &img, bits) == FNRT_OK, "%s", fnrt_last_error());
    ck_assert_int_eq(fclose(fp), 0);

    fnrt_image back;
    ck_assert_msg(fnrt_png_read(p, NULL, &back) == FNRT_OK, "%s", fnrt_last_error());
    ck_assert(back.c == 3 && back.h == h && back.w == w);
    float max_val = bits == 16 ? 65535.0f : 255.0f;
    for (size_t i = 0; i < n; i++) {
        float v = img.data[i];
        float c = isnan(v) ? 0.0f : v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
        float want = floorf(c * max_val + 0.5f) / max_val;
        ck_assert_msg(back.data[i] == want, "%d-bit, element %zu: %.9g -> %.9g, want %.9g", bits, i,
                      (double)v, (double)back.data[i], (double)want);
    }
    fnrt_image_free(&back);
    free(img.data);
    free(p);
}

START_TEST(test_write_roundtrip)
{
    roundtrip(5, 7, 8);
    roundtrip(5, 7, 16);
    roundtrip(1, 1, 8);
    roundtrip(1, 1, 16);
    roundtrip(64, 33, 16);
}
END_TEST

START_TEST(test_write_invalid)
{
    float d[12] = {0};
    fnrt_image one = {1, 2, 2, d}, ok = {3, 2, 2, d}, empty = {3, 0, 2, d};
    FILE *fp = tmpfile();
    ck_assert_ptr_nonnull(fp);
    ck_assert_int_eq(fnrt_png_write_rgb(fp, &one, 8), FNRT_ERR_INVALID_ARG);
    ck_assert_int_eq(fnrt_png_write_rgb(fp, &ok, 12), FNRT_ERR_INVALID_ARG);
    ck_assert_int_eq(fnrt_png_write_rgb(fp, &empty, 8), FNRT_ERR_INVALID_ARG);
    ck_assert_int_eq(fnrt_png_write_rgb(NULL, &ok, 8), FNRT_ERR_INVALID_ARG);
    ck_assert_int_eq(fnrt_png_write_rgb(fp, &ok, 8), FNRT_OK);
    fclose(fp);

    /* a stream opened read-only cannot take the data */
    char *p = test_tmp_path("ro.png");
    fp = fopen(p, "w");
    ck_assert_ptr_nonnull(fp);
    fclose(fp);
    fp = fopen(p, "r");
    ck_assert_ptr_nonnull(fp);
    fnrt_error_clear();
    ck_assert_int_eq(fnrt_png_write_rgb(fp, &ok, 8), FNRT_ERR_IO);
    ck_assert_str_ne(fnrt_last_error(), "");
    fclose(fp);
    free(p);
}
END_TEST

/* ---- resize ------------------------------------------------------------------------------- */

enum { PAT_H = 31, PAT_W = 23 };

/* Same pattern as tools/make-pngsuite-ref.py. */
static void fill_pattern(float *x)
{
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < PAT_H; y++)
            for (int w = 0; w < PAT_W; w++)
                x[(c * PAT_H + y) * PAT_W + w] = (float)((w * 37 + y * 101 + c * 53) % 97) / 96.0f;
}

START_TEST(test_resize_matches_pil)
{
    static const int sizes[][2] = {{7, 13},  {45, 50}, {1, 1},   {31, 5},
                                   {64, 64}, {17, 23}, {100, 3}, {2, 40}};
    float src_data[3 * PAT_H * PAT_W];
    fill_pattern(src_data);
    fnrt_image src = {3, PAT_H, PAT_W, src_data};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        int h = sizes[k][0], w = sizes[k][1];
        char rel[64];
        snprintf(rel, sizeof rel, "resize/pattern-%dx%d.npy", h, w);
        char *rp = test_data_path(rel);
        float *ref = NULL;
        int nd;
        int64_t shp[4];
        ck_assert_msg(fnrt_npy_read_f32(rp, &ref, &nd, shp) == FNRT_OK, "%s", fnrt_last_error());
        ck_assert(nd == 3 && shp[0] == 3 && shp[1] == h && shp[2] == w);
        fnrt_image dst = {3, h, w, malloc(sizeof(float) * 3 * (size_t)h * (size_t)w)};
        ck_assert_ptr_nonnull(dst.data);
        ck_assert_msg(fnrt_image_resize(&src, &dst) == FNRT_OK, "%s", fnrt_last_error());
        size_t worst;
        double r =
            test_tol_ratio(dst.data, ref, (size_t)3 * (size_t)h * (size_t)w, 1e-5, 0.0, &worst);
        ck_assert_msg(r <= 1.0, "%dx%d: element %zu: %.9g vs PIL %.9g", h, w, worst,
                      (double)dst.data[worst], (double)ref[worst]);
        free(dst.data);
        free(ref);
        free(rp);
    }
}
END_TEST

START_TEST(test_resize_properties)
{
    float src_data[3 * PAT_H * PAT_W], out[3 * PAT_H * PAT_W];
    fill_pattern(src_data);
    fnrt_image src = {3, PAT_H, PAT_W, src_data};

    /* same size: identity */
    fnrt_image same = {3, PAT_H, PAT_W, out};
    ck_assert_int_eq(fnrt_image_resize(&src, &same), FNRT_OK);
    ck_assert_int_eq(memcmp(out, src_data, sizeof out), 0);

    /* constant stays constant (weights sum to one), any size */
    float cst[2 * 9 * 4];
    for (size_t i = 0; i < sizeof cst / sizeof cst[0]; i++)
        cst[i] = 0.375f;
    fnrt_image csrc = {2, 9, 4, cst};
    static const int sz[][2] = {{1, 1}, {3, 2}, {27, 13}, {9, 4}, {2, 30}};
    for (size_t k = 0; k < sizeof sz / sizeof sz[0]; k++) {
        size_t n = (size_t)2 * (size_t)sz[k][0] * (size_t)sz[k][1];
        fnrt_image d = {2, sz[k][0], sz[k][1], malloc(n * sizeof(float))};
        ck_assert_ptr_nonnull(d.data);
        ck_assert_int_eq(fnrt_image_resize(&csrc, &d), FNRT_OK);
        for (size_t i = 0; i < n; i++)
            ck_assert_msg(fabsf(d.data[i] - 0.375f) < 1e-6f, "%dx%d", sz[k][0], sz[k][1]);
        free(d.data);
    }

    /* a 1x1 source fills everything */
    float px[3] = {0.1f, 0.5f, 0.9f}, big[3 * 4 * 5];
    fnrt_image one = {3, 1, 1, px}, bigimg = {3, 4, 5, big};
    ck_assert_int_eq(fnrt_image_resize(&one, &bigimg), FNRT_OK);
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < 20; i++)
            ck_assert(fabsf(big[c * 20 + i] - px[c]) < 1e-6f);

    /* invalid: channel mismatch, zero sizes, NULL, overlapping buffers */
    fnrt_image bad = {2, 4, 5, big};
    ck_assert_int_eq(fnrt_image_resize(&one, &bad), FNRT_ERR_INVALID_ARG);
    bad = (fnrt_image){3, 0, 5, big};
    ck_assert_int_eq(fnrt_image_resize(&one, &bad), FNRT_ERR_INVALID_ARG);
    bad = (fnrt_image){3, 4, 5, NULL};
    ck_assert_int_eq(fnrt_image_resize(&one, &bad), FNRT_ERR_INVALID_ARG);
    ck_assert_int_eq(fnrt_image_resize(NULL, &bigimg), FNRT_ERR_INVALID_ARG);
    fnrt_image alias = {3, 2, 2, src_data + 5};
    ck_assert_int_eq(fnrt_image_resize(&src, &alias), FNRT_ERR_INVALID_ARG);
}
END_TEST

static Suite *png_suite(void)
{
    Suite *s = suite_create("png");
    TCase *tc = tcase_create("pngsuite");
    tcase_add_checked_fixture(tc, test_tmp_setup, test_tmp_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_suite_matches_reference);
    tcase_add_test(tc, test_suite_corrupt_rejected);
    tcase_add_test(tc, test_mem_equals_file);
    tcase_add_test(tc, test_errors_io_args);
    suite_add_tcase(s, tc);

    tc = tcase_create("robustness");
    tcase_add_checked_fixture(tc, test_tmp_setup, test_tmp_teardown);
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, test_truncated_copies);
    tcase_add_test(tc, test_mutated_copies);
    tcase_add_test(tc, test_limits);
    suite_add_tcase(s, tc);

    tc = tcase_create("write");
    tcase_add_checked_fixture(tc, test_tmp_setup, test_tmp_teardown);
    tcase_add_test(tc, test_write_roundtrip);
    tcase_add_test(tc, test_write_invalid);
    suite_add_tcase(s, tc);

    tc = tcase_create("resize");
    tcase_add_test(tc, test_resize_matches_pil);
    tcase_add_test(tc, test_resize_properties);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(png_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
