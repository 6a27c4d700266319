/* Safetensors reader: files built here by a tiny writer (F32/F16/BF16 and other dtypes),
 * exact half/bfloat16 conversion (all 65536 halfs against an independent formula), metadata,
 * header order, mmap / read() / memory variants agreeing, and rejection of every corruption
 * in the brief: truncation at every length, bad header length, bad JSON, bad dtype, shape /
 * offset mismatches, offsets beyond the data, overlaps, duplicate names, negative and
 * overflowing dims; then a seeded corpus of 3000 mutated files that must never crash. */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io/safetensors.h"
#include "test-util.h"

/* ---- a tiny safetensors writer ------------------------------------------------------------ */

typedef struct tw_buf {
    unsigned char *p;
    size_t n, cap;
} tw_buf;

static void tw_put(tw_buf *b, const void *data, size_t n)
{
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n)
            cap *= 2;
        b->p = realloc(b->p, cap);
        ck_assert_ptr_nonnull(b->p);
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->n, data, n);
    b->n += n;
}

static void tw_printf(tw_buf *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    ck_assert(n >= 0 && (size_t)n < sizeof tmp);
    tw_put(b, tmp, (size_t)n);
}

typedef struct tw_tensor {
    const char *name;
    const char *dtype;
    int ndim;
    int64_t shape[8];
    const void *data;
    size_t n_bytes;
} tw_tensor;

/* header JSON (with optional metadata JSON text) + 8-byte length + data, tensors packed in
 * the given order. */
static unsigned char *tw_build(const tw_tensor *t, size_t n, const char *meta_json, size_t *n_out)
{
    tw_buf hdr = {0}, out = {0};
    uint64_t off = 0;
    tw_printf(&hdr, "{");
    if (meta_json)
        tw_printf(&hdr, "\"__metadata__\":%s%s", meta_json, n ? "," : "");
    for (size_t i = 0; i < n; i++) {
        tw_printf(&hdr, "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[", i ? "," : "", t[i].name,
                  t[i].dtype);
        for (int d = 0; d < t[i].ndim; d++)
            tw_printf(&hdr, "%s%lld", d ? "," : "", (long long)t[i].shape[d]);
        tw_printf(&hdr, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)off,
                  (unsigned long long)(off + t[i].n_bytes));
        off += t[i].n_bytes;
    }
    tw_printf(&hdr, "}");
    while (hdr.n % 8)
        tw_put(&hdr, " ", 1); /* padding as the reference writer does */
    unsigned char len[8];
    for (int i = 0; i < 8; i++)
        len[i] = (unsigned char)((uint64_t)hdr.n >> (8 * i));
    tw_put(&out, len, 8);
    tw_put(&out, hdr.p, hdr.n);
    for (size_t i = 0; i < n; i++)
        tw_put(&out, t[i].data, t[i].n_bytes);
    free(hdr.p);
    *n_out = out.n;
    return out.p;
}

/* A file from a literal header and n_data bytes of data (0x5a...). */
static unsigned char *tw_raw(const char *header, size_t n_data, size_t *n_out)
{
    size_t hn = strlen(header);
    unsigned char *buf = malloc(8 + hn + n_data + 1);
    ck_assert_ptr_nonnull(buf);
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)((uint64_t)hn >> (8 * i));
    memcpy(buf + 8, header, hn);
    memset(buf + 8 + hn, 0x5a, n_data);
    *n_out = 8 + hn + n_data;
    return buf;
}

static void le16s(unsigned char *dst, const uint16_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dst[2 * i] = (unsigned char)(v[i] & 0xff);
        dst[2 * i + 1] = (unsigned char)(v[i] >> 8);
    }
}

static uint32_t f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static char *write_tmp(const char *name, const void *data, size_t n)
{
    size_t len = strlen(test_tmp) + strlen(name) + 2;
    char *p = malloc(len);
    ck_assert_ptr_nonnull(p);
    snprintf(p, len, "%s/%s", test_tmp, name);
    FILE *f = fopen(p, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
    return p;
}

/* Expects open_mem to fail with want and a message naming "<memory>" and, if given, the
 * tensor. */
static void expect_reject(const unsigned char *buf, size_t n, fnrt_status want, const char *tensor,
                          const char *what)
{
    /* sentinel: out must stay untouched (never dereferenced) */
    fnrt_safetensors *const sentinel = (fnrt_safetensors *)(uintptr_t)0x1000;
    fnrt_safetensors *st = sentinel;
    fnrt_error_clear();
    fnrt_status s = fnrt_safetensors_open_mem(buf, n, NULL, &st);
    ck_assert_msg(s == want, "%s: status %d, want %d (%s)", what, s, want, fnrt_last_error());
    ck_assert_ptr_eq(st, sentinel);
    const char *msg = fnrt_last_error();
    ck_assert_msg(strstr(msg, "<memory>") != NULL, "%s: message lacks the file: %s", what, msg);
    if (tensor) {
        char quoted[128];
        snprintf(quoted, sizeof quoted, "'%s'", tensor);
        char dquoted[128];
        snprintf(dquoted, sizeof dquoted, "\"%s\"", tensor);
        ck_assert_msg(strstr(msg, quoted) || strstr(msg, dquoted),
                      "%s: message does not name tensor %s: %s", what, tensor, msg);
    }
}

/* ---- conversions ---------------------------------------------------------------------------- */

/* Independent half -> double: (-1)^s * 2^(e-15) * (1 + m/1024), subnormal 2^-14 * m/1024. */
static double half_ref(uint16_t h)
{
    int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
    double v;
    if (e == 0)
        v = ldexp((double)m, -24);
    else if (e == 31)
        v = m ? NAN : INFINITY;
    else
        v = ldexp(1024.0 + m, e - 25);
    return s ? -v : v;
}

START_TEST(test_f16_all_values)
{
    static uint16_t h[65536];
    static unsigned char raw[2 * 65536];
    static float got[65536];
    for (uint32_t i = 0; i < 65536; i++)
        h[i] = (uint16_t)i;
    le16s(raw, h, 65536);
    tw_tensor t = {"h", "F16", 2, {256, 256}, raw, sizeof raw};
    size_t n;
    unsigned char *file = tw_build(&t, 1, NULL, &n);
    fnrt_safetensors *st;
    ck_assert_msg(fnrt_safetensors_open_mem(file, n, NULL, &st) == FNRT_OK, "%s",
                  fnrt_last_error());
    const fnrt_st_tensor *tt = fnrt_safetensors_find(st, "h");
    ck_assert_ptr_nonnull(tt);
    ck_assert_int_eq(tt->dtype, FNRT_DT_F16);
    ck_assert_int_eq(fnrt_safetensors_read_f32(st, tt, got, 65536), FNRT_OK);
    for (uint32_t i = 0; i < 65536; i++) {
        double want = half_ref((uint16_t)i);
        if (isnan(want)) {
            ck_assert_msg(isnan(got[i]), "half 0x%04x: want nan, got %g", i, got[i]);
            ck_assert_int_eq(!signbit(got[i]), !(i >> 15));
        } else {
            ck_assert_msg((double)got[i] == want && !signbit(got[i]) == !signbit(want),
                          "half 0x%04x: want %.9g, got %.9g", i, want, (double)got[i]);
        }
    }
    fnrt_safetensors_close(st);
    free(file);
}
END_TEST

START_TEST(test_f16_bf16_f32_known_values)
{
    /* half: hand-computed values incl. subnormals, inf, nan */
    const uint16_t hv[] = {0x0000, 0x8000, 0x0001, 0x8001, 0x03ff, 0x0400, 0x3c00, 0xc000,
                           0x7bff, 0x7c00, 0xfc00, 0x7e00, 0x7c01, 0x3555, 0x0200};
    const float hw[] = {0.0f,
                        -0.0f,
                        5.9604644775390625e-8f,
                        -5.9604644775390625e-8f,
                        6.097555160522461e-5f,
                        6.103515625e-5f,
                        1.0f,
                        -2.0f,
                        65504.0f,
                        INFINITY,
                        -INFINITY,
                        NAN,
                        NAN,
                        0.333251953125f,
                        3.0517578125e-5f};
    /* bfloat16: the top half of a float32 */
    const uint16_t bv[] = {0x3f80, 0xc049, 0x7f80, 0xff80, 0x7fc0, 0x0001, 0x8000, 0x4120};
    const float bw[] = {1.0f,  -3.140625f, INFINITY, -INFINITY, NAN, 9.183549615799121e-41f,
                        -0.0f, 10.0f};
    const float fv[] = {1.5f, -0.0f, INFINITY, 1e-45f, -3.4028235e38f, NAN};
    enum { NH = sizeof hv / sizeof hv[0], NB = sizeof bv / sizeof bv[0], NF = 6 };
    unsigned char hraw[2 * NH], braw[2 * NB], fraw[4 * NF];
    le16s(hraw, hv, NH);
    le16s(braw, bv, NB);
    for (int i = 0; i < NF; i++) {
        uint32_t u = f32_bits(fv[i]);
        for (int k = 0; k < 4; k++)
            fraw[4 * i + k] = (unsigned char)(u >> (8 * k));
    }
    tw_tensor t[] = {{"half", "F16", 1, {NH}, hraw, sizeof hraw},
                     {"bf", "BF16", 2, {2, NB / 2}, braw, sizeof braw},
                     {"f", "F32", 3, {1, 2, 3}, fraw, sizeof fraw}};
    size_t n;
    unsigned char *file = tw_build(t, 3, NULL, &n);
    fnrt_safetensors *st;
    ck_assert_msg(fnrt_safetensors_open_mem(file, n, NULL, &st) == FNRT_OK, "%s",
                  fnrt_last_error());
    float got[16];

    const fnrt_st_tensor *th = fnrt_safetensors_find(st, "half");
    ck_assert_int_eq(fnrt_safetensors_read_f32(st, th, got, NH), FNRT_OK);
    for (int i = 0; i < NH; i++) {
        if (isnan(hw[i]))
            ck_assert_msg(isnan(got[i]), "half[%d]", i);
        else
            ck_assert_msg(f32_bits(got[i]) == f32_bits(hw[i]), "half[%d] 0x%04x: %.9g != %.9g", i,
                          hv[i], (double)got[i], (double)hw[i]);
    }
    const fnrt_st_tensor *tb = fnrt_safetensors_find(st, "bf");
    ck_assert_int_eq(tb->dtype, FNRT_DT_BF16);
    ck_assert_int_eq(fnrt_safetensors_read_f32(st, tb, got, NB), FNRT_OK);
    for (int i = 0; i < NB; i++) {
        if (isnan(bw[i]))
            ck_assert_msg(isnan(got[i]), "bf16[%d]", i);
        else
            ck_assert_msg(f32_bits(got[i]) == f32_bits(bw[i]), "bf16[%d]: %.9g != %.9g", i,
                          (double)got[i], (double)bw[i]);
    }
    const fnrt_st_tensor *tf = fnrt_safetensors_find(st, "f");
    ck_assert_int_eq(tf->ndim, 3);
    ck_assert_int_eq(tf->n_elems, 6);
    ck_assert_int_eq(fnrt_safetensors_read_f32(st, tf, got, NF), FNRT_OK);
    for (int i = 0; i < NF; i++)
        ck_assert_uint_eq(f32_bits(got[i]), f32_bits(fv[i]));
    /* raw bytes pointer */
    ck_assert_int_eq(memcmp(fnrt_safetensors_data(st, tf), fraw, sizeof fraw), 0);
    /* wrong element count */
    fnrt_error_clear();
    ck_assert_int_eq(fnrt_safetensors_read_f32(st, tf, got, NF - 1), FNRT_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(fnrt_last_error(), "'f'"));
    fnrt_safetensors_close(st);
    free(file);
}
END_TEST

/* ---- structure -------------------------------------------------------------------------- */

static unsigned char *sample_file(size_t *n)
{
    static float w[6] = {1, 2, 3, 4, 5, 6};
    static uint16_t hb[4] = {0x3c00, 0x4000, 0x4200, 0x4400}; /* 1 2 3 4 as halfs */
    static unsigned char hraw[8];
    static int32_t iv[3] = {7, -8, 9};
    static unsigned char u8[5] = {1, 2, 3, 4, 5};
    static double dv[2] = {0.5, -0.25};
    le16s(hraw, hb, 4);
    tw_tensor t[] = {{"zeta.weight", "F32", 2, {2, 3}, w, sizeof w},
                     {"alpha.bias", "F16", 1, {4}, hraw, sizeof hraw},
                     {"mid.idx", "I32", 1, {3}, iv, sizeof iv},
                     {"bytes", "U8", 1, {5}, u8, sizeof u8},
                     {"dbl", "F64", 1, {2}, dv, sizeof dv},
                     {"empty", "F32", 2, {0, 3}, NULL, 0},
                     {"scalar", "F32", 0, {0}, w, 4}};
    return tw_build(
        t, sizeof t / sizeof t[0],
        "{\"format\":\"pt\",\"fnrt.version\":\"1\",\"note\":\"a \\\"quoted\\\" \\u00e9\"}", n);
}

static void check_sample(const fnrt_safetensors *st)
{
    const char *order[] = {"zeta.weight", "alpha.bias", "mid.idx", "bytes",
                           "dbl",         "empty",      "scalar"};
    ck_assert_uint_eq(fnrt_safetensors_count(st), 7);
    for (size_t i = 0; i < 7; i++) {
        const fnrt_st_tensor *t = fnrt_safetensors_at(st, i);
        ck_assert_ptr_nonnull(t);
        ck_assert_str_eq(t->name, order[i]); /* header (file) order */
        ck_assert_ptr_eq(fnrt_safetensors_find(st, order[i]), t);
    }
    ck_assert_ptr_null(fnrt_safetensors_at(st, 7));
    ck_assert_ptr_null(fnrt_safetensors_find(st, "nope"));
    ck_assert_ptr_null(fnrt_safetensors_find(st, "__metadata__"));

    ck_assert_str_eq(fnrt_safetensors_meta(st, "format"), "pt");
    ck_assert_str_eq(fnrt_safetensors_meta(st, "fnrt.version"), "1");
    ck_assert_str_eq(fnrt_safetensors_meta(st, "note"), "a \"quoted\" \xc3\xa9");
    ck_assert_ptr_null(fnrt_safetensors_meta(st, "absent"));

    const fnrt_st_tensor *t = fnrt_safetensors_find(st, "zeta.weight");
    ck_assert_int_eq(t->dtype, FNRT_DT_F32);
    ck_assert_int_eq(t->ndim, 2);
    ck_assert_int_eq(t->shape[0], 2);
    ck_assert_int_eq(t->shape[1], 3);
    ck_assert_uint_eq(t->begin, 0);
    ck_assert_uint_eq(t->end, 24);
    float v[6];
    ck_assert_int_eq(fnrt_safetensors_read_f32(st, t, v, 6), FNRT_OK);
    for (int i = 0; i < 6; i++)
        ck_assert_float_eq(v[i], (float)(i + 1));

    t = fnrt_safetensors_find(st, "alpha.bias");
    ck_assert_int_eq(fnrt_safetensors_read_f32(st, t, v, 4), FNRT_OK);
    for (int i = 0; i < 4; i++)
        ck_assert_float_eq(v[i], (float)(i + 1));

    t = fnrt_safetensors_find(st, "mid.idx");
    ck_assert_int_eq(t->dtype, FNRT_DT_I32);
    int32_t iv[3];
    memcpy(iv, fnrt_safetensors_data(st, t), sizeof iv);
    ck_assert_int_eq(iv[1], -8);
    fnrt_error_clear();
    ck_assert_int_eq(fnrt_safetensors_read_f32(st, t, v, 3), FNRT_ERR_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(fnrt_last_error(), "'mid.idx'"));

    ck_assert_int_eq(fnrt_safetensors_find(st, "bytes")->dtype, FNRT_DT_U8);
    ck_assert_int_eq(fnrt_safetensors_find(st, "dbl")->dtype, FNRT_DT_OTHER);
    ck_assert_uint_eq(fnrt_safetensors_find(st, "dbl")->n_elems, 2);
    t = fnrt_safetensors_find(st, "empty");
    ck_assert_uint_eq(t->n_elems, 0);
    ck_assert_int_eq(fnrt_safetensors_read_f32(st, t, NULL, 0), FNRT_OK);
    t = fnrt_safetensors_find(st, "scalar");
    ck_assert_int_eq(t->ndim, 0);
    ck_assert_uint_eq(t->n_elems, 1);
    ck_assert_int_eq(fnrt_safetensors_read_f32(st, t, v, 1), FNRT_OK);
    ck_assert_float_eq(v[0], 1.0f);
}

START_TEST(test_structure_mem_file_pipe)
{
    size_t n;
    unsigned char *file = sample_file(&n);
    fnrt_safetensors *st;

    ck_assert_msg(fnrt_safetensors_open_mem(file, n, NULL, &st) == FNRT_OK, "%s",
                  fnrt_last_error());
    check_sample(st);
    fnrt_safetensors_close(st);

    char *path = write_tmp("sample.safetensors", file, n);
    ck_assert_msg(fnrt_safetensors_open(path, NULL, &st) == FNRT_OK, "%s", fnrt_last_error());
    check_sample(st);
    fnrt_safetensors_close(st);

    /* a pipe cannot be mapped: the read() path */
    char fifo[600];
    snprintf(fifo, sizeof fifo, "%s/pipe", test_tmp);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        FILE *f = fopen(fifo, "wb");
        if (!f)
            _exit(1);
        size_t done = fwrite(file, 1, n, f);
        fclose(f);
        _exit(done == n ? 0 : 1);
    }
    fnrt_status s = fnrt_safetensors_open(fifo, NULL, &st);
    int wst;
    ck_assert_int_eq(waitpid(pid, &wst, 0), pid);
    ck_assert_msg(s == FNRT_OK, "%s", fnrt_last_error());
    check_sample(st);
    fnrt_safetensors_close(st);

    /* missing file and directory: FNRT_ERR_IO naming the path */
    fnrt_error_clear();
    ck_assert_int_eq(fnrt_safetensors_open("/nonexistent/x.safetensors", NULL, &st), FNRT_ERR_IO);
    ck_assert_ptr_nonnull(strstr(fnrt_last_error(), "/nonexistent/x.safetensors"));
    ck_assert_int_eq(fnrt_safetensors_open(test_tmp, NULL, &st), FNRT_ERR_IO);
    ck_assert_int_eq(fnrt_safetensors_open_mem(NULL, 8, NULL, &st), FNRT_ERR_INVALID_ARG);
    ck_assert_int_eq(fnrt_safetensors_open_mem(file, n, NULL, NULL), FNRT_ERR_INVALID_ARG);
    fnrt_safetensors_close(NULL);
    free(path);
    free(file);
}
END_TEST

START_TEST(test_limits)
{
    size_t n;
    unsigned char *file = sample_file(&n);
    fnrt_safetensors *st;
    fnrt_st_limits lim = {0, 0, 3};
    ck_assert_int_eq(fnrt_safetensors_open_mem(file, n, &lim, &st), FNRT_ERR_LIMIT);
    lim = (fnrt_st_limits){16, 0, 0};
    ck_assert_int_eq(fnrt_safetensors_open_mem(file, n, &lim, &st), FNRT_ERR_LIMIT);
    ck_assert_ptr_nonnull(strstr(fnrt_last_error(), "header"));
    lim = (fnrt_st_limits){0, n - 1, 0};
    ck_assert_int_eq(fnrt_safetensors_open_mem(file, n, &lim, &st), FNRT_ERR_LIMIT);
    char *path = write_tmp("lim.safetensors", file, n);
    ck_assert_int_eq(fnrt_safetensors_open(path, &lim, &st), FNRT_ERR_LIMIT);
    ck_assert_ptr_nonnull(strstr(fnrt_last_error(), path));
    lim = (fnrt_st_limits){0, n, 7};
    ck_assert_int_eq(fnrt_safetensors_open(path, &lim, &st), FNRT_OK);
    fnrt_safetensors_close(st);
    free(path);
    free(file);
}
END_TEST

/* ---- rejections ------------------------------------------------------------------------ */

START_TEST(test_truncated_every_length)
{
    size_t n;
    unsigned char *file = sample_file(&n);
    for (size_t len = 0; len < n; len++) {
        unsigned char *copy = malloc(len ? len : 1); /* exact size: ASan sees overreads */
        ck_assert_ptr_nonnull(copy);
        memcpy(copy, file, len);
        fnrt_safetensors *st = NULL;
        fnrt_error_clear();
        fnrt_status s = fnrt_safetensors_open_mem(copy, len, NULL, &st);
        ck_assert_msg(s == FNRT_ERR_FORMAT, "length %zu of %zu: status %d", len, n, s);
        ck_assert_ptr_null(st);
        ck_assert_ptr_nonnull(strstr(fnrt_last_error(), "<memory>"));
        free(copy);
    }
    /* the file variant, for a spread of lengths */
    for (size_t len = 0; len < n; len += 7) {
        char *path = write_tmp("trunc.safetensors", file, len);
        fnrt_safetensors *st = NULL;
        fnrt_error_clear();
        ck_assert_int_eq(fnrt_safetensors_open(path, NULL, &st), FNRT_ERR_FORMAT);
        ck_assert_ptr_nonnull(strstr(fnrt_last_error(), path));
        free(path);
    }
    free(file);
}
END_TEST

START_TEST(test_rejects_header)
{
    size_t n;
    unsigned char *b;

    b = tw_raw("{}", 0, &n);
    fnrt_safetensors *st;
    ck_assert_int_eq(fnrt_safetensors_open_mem(b, n, NULL, &st), FNRT_OK); /* empty is valid */
    ck_assert_uint_eq(fnrt_safetensors_count(st), 0);
    fnrt_safetensors_close(st);
    b[0] = 3; /* header length 3 > 2 bytes present */
    expect_reject(b, n, FNRT_ERR_FORMAT, NULL, "header length > file");
    memset(b, 0xff, 8); /* 2^64 - 1 */
    expect_reject(b, n, FNRT_ERR_LIMIT, NULL, "huge header length");
    b[7] = 0; /* 2^56 - 1 */
    fnrt_st_limits lim = {UINT64_MAX, 0, 0};
    ck_assert_int_eq(fnrt_safetensors_open_mem(b, n, &lim, &st), FNRT_ERR_FORMAT);
    free(b);

    struct {
        const char *hdr;
        size_t n_data;
        const char *what;
    } bad[] = {
        {"{not json", 0, "not JSON"},
        {"", 0, "empty header"},
        {"[1, 2]", 0, "array"},
        {"\"str\"", 0, "string"},
        {"{} trailing", 0, "trailing garbage"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}\x01", 4, "control"},
        {"{\"__metadata__\":[1]}", 0, "metadata not object"},
        {"{\"__metadata__\":{\"k\":1}}", 0, "metadata value not string"},
        {"{\"__metadata__\":{\"k\":\"v\"},\"__metadata__\":{}}", 0, "metadata twice"},
        {"{\"a\\u0000b\":1}", 0, "NUL in header"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        b = tw_raw(bad[k].hdr, bad[k].n_data, &n);
        expect_reject(b, n, FNRT_ERR_FORMAT, NULL, bad[k].what);
        free(b);
    }
}
END_TEST

START_TEST(test_rejects_tensors)
{
    struct {
        const char *hdr;
        size_t n_data;
        const char *tensor;
        const char *what;
    } bad[] = {
        {"{\"w\":{\"dtype\":\"F12\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "w",
         "unknown dtype"},
        {"{\"w\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "w",
         "lower-case dtype"},
        {"{\"w\":{\"dtype\":3,\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "w", "dtype number"},
        {"{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "w", "no dtype"},
        {"{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, "w", "no shape"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, "w", "no offsets"},
        {"{\"w\":[1]}", 4, "w", "entry not object"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 8, "w",
         "shape/offset mismatch"},
        {"{\"w\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[0,16]}}", 16, "w",
         "F16 span mismatch"},
        {"{\"w\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "w",
         "F64 span mismatch"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4, "w",
         "offsets beyond data"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 8, "w",
         "offsets beyond data 2"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[9,9]}}", 8, "w",
         "empty tensor beyond data"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 8, "w", "begin > end"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 8, "w", "one offset"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 8, "w",
         "three offsets"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 8, "w",
         "negative offset"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0.0,4]}}", 8, "w",
         "real offset"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[2,-1],\"data_offsets\":[0,8]}}", 8, "w",
         "negative dim"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", 8, "w", "real dim"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", 8, "w",
         "string dim"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}}", 8, "w",
         "shape not array"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", 4, "w",
         "9 dims"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}}", 0,
         "w", "dims overflow"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[9223372036854775807,2],\"data_offsets\":[0,0]}}", 0,
         "w", "dims overflow 2"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904],\"data_offsets\":[0,0]}}", 0,
         "w", "bytes overflow"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
         "\"v\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
         12, "v", "overlap"},
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[10],\"data_offsets\":[0,10]},"
         "\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[3,5]}}",
         10, "b", "contained"},
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[6,8]},"
         "\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},"
         "\"c\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[1,5]}}",
         8, "c", "overlap unsorted"},
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},"
         "\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[2,4]}}",
         4, "a", "duplicate name"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        size_t n;
        unsigned char *b = tw_raw(bad[k].hdr, bad[k].n_data, &n);
        expect_reject(b, n, FNRT_ERR_FORMAT, bad[k].tensor, bad[k].what);
        free(b);
    }

    /* still valid: adjacent tensors, empty tensors anywhere, gaps, unknown extra keys */
    const char *ok[] = {
        "{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},"
        "\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[2,4]}}",
        "{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},"
        "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[2,2]}}",
        "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[3,4]},\"x\":{\"dtype\":"
        "\"BOOL\",\"shape\":[1],\"data_offsets\":[0,1],\"extra\":true}}",
    };
    for (size_t k = 0; k < sizeof ok / sizeof ok[0]; k++) {
        size_t n;
        unsigned char *b = tw_raw(ok[k], 4, &n);
        fnrt_safetensors *st;
        ck_assert_msg(fnrt_safetensors_open_mem(b, n, NULL, &st) == FNRT_OK, "ok[%zu]: %s", k,
                      fnrt_last_error());
        fnrt_safetensors_close(st);
        free(b);
    }
}
END_TEST

/* ---- mutation corpus --------------------------------------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Opens a mutated image; on success touches every tensor's bytes and converts the float ones,
 * so that ASan sees any out-of-bounds span. */
static int fuzz_one(const unsigned char *buf, size_t n)
{
    fnrt_safetensors *st = NULL;
    fnrt_error_clear();
    fnrt_status s = fnrt_safetensors_open_mem(buf, n, NULL, &st);
    if (s != FNRT_OK) {
        ck_assert_msg(fnrt_last_error()[0] != '\0', "error %d without a message", s);
        ck_assert_ptr_null(st);
        return 0;
    }
    for (size_t i = 0; i < fnrt_safetensors_count(st); i++) {
        const fnrt_st_tensor *t = fnrt_safetensors_at(st, i);
        const unsigned char *p = fnrt_safetensors_data(st, t);
        ck_assert(p >= buf && p + (t->end - t->begin) <= buf + n);
        ck_assert(t->ndim >= 0 && t->ndim <= FNRT_ST_MAX_DIMS);
        unsigned sum = 0;
        for (uint64_t k = 0; k < t->end - t->begin; k++)
            sum += p[k];
        (void)sum;
        if (t->dtype == FNRT_DT_F32 || t->dtype == FNRT_DT_F16 || t->dtype == FNRT_DT_BF16) {
            float *v = malloc(t->n_elems ? (size_t)t->n_elems * sizeof *v : 1);
            ck_assert_ptr_nonnull(v);
            ck_assert_int_eq(fnrt_safetensors_read_f32(st, t, v, (size_t)t->n_elems), FNRT_OK);
            free(v);
        }
        ck_assert_ptr_eq(fnrt_safetensors_find(st, t->name), t);
    }
    fnrt_safetensors_meta(st, "format");
    fnrt_safetensors_close(st);
    return 1;
}

START_TEST(test_mutation_corpus)
{
    size_t n;
    unsigned char *base = sample_file(&n);
    size_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = hlen << 8 | base[i];
    uint64_t seed = 0x5eed5afe7e450001ull;
    int n_ok = 0, n_err = 0;
    for (int iter = 0; iter < 3000; iter++) {
        size_t len = n;
        unsigned char *m = malloc(n);
        ck_assert_ptr_nonnull(m);
        memcpy(m, base, n);
        int kind = (int)(rng_next(&seed) % 5);
        int count = 1 + (int)(rng_next(&seed) % 4);
        for (int c = 0; c < count; c++) {
            size_t pos = (size_t)(rng_next(&seed) % n);
            switch (kind) {
            case 0: /* bit flip anywhere */
                m[pos] ^= (unsigned char)(1u << (rng_next(&seed) % 8));
                break;
            case 1: { /* a digit in the header becomes another digit (offsets, dims) */
                size_t p = 8 + (size_t)(rng_next(&seed) % hlen);
                for (size_t k = 0; k < hlen; k++, p = 8 + (p - 8 + 1) % hlen)
                    if (m[p] >= '0' && m[p] <= '9')
                        break;
                m[p] = (unsigned char)('0' + rng_next(&seed) % 10);
                break;
            }
            case 2: /* header-length field */
                m[rng_next(&seed) % 8] = (unsigned char)rng_next(&seed);
                break;
            case 3: { /* interesting bytes in the header */
                static const char bytes[] = "\"{}[],:-0\\ e9";
                m[8 + (size_t)(rng_next(&seed) % hlen)] =
                    (unsigned char)bytes[rng_next(&seed) % (sizeof bytes - 1)];
                break;
            }
            default: /* truncate */
                len = (size_t)(rng_next(&seed) % n);
                break;
            }
        }
        unsigned char *exact = malloc(len ? len : 1);
        ck_assert_ptr_nonnull(exact);
        memcpy(exact, m, len);
        if (fuzz_one(exact, len))
            n_ok++;
        else
            n_err++;
        free(exact);
        free(m);
    }
    /* the corpus must exercise both outcomes */
    ck_assert_int_gt(n_ok, 50);
    ck_assert_int_gt(n_err, 500);
    free(base);
}
END_TEST

static Suite *st_suite(void)
{
    Suite *s = suite_create("safetensors");
    TCase *tc = tcase_create("read");
    tcase_add_checked_fixture(tc, test_tmp_setup, test_tmp_teardown);
    tcase_add_test(tc, test_f16_all_values);
    tcase_add_test(tc, test_f16_bf16_f32_known_values);
    tcase_add_test(tc, test_structure_mem_file_pipe);
    tcase_add_test(tc, test_limits);
    suite_add_tcase(s, tc);

    tc = tcase_create("reject");
    tcase_add_checked_fixture(tc, test_tmp_setup, test_tmp_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_truncated_every_length);
    tcase_add_test(tc, test_rejects_header);
    tcase_add_test(tc, test_rejects_tensors);
    tcase_add_test(tc, test_mutation_corpus);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(st_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
