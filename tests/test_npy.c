/* NPY float32 reader/writer: round trips for 0..4 dims, byte-identical headers to numpy's
 * (checked against files numpy wrote), and rejection of corrupt headers, wrong dtypes and
 * truncated or oversized data. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/image.h"
#include "test-util.h"

static void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
}

/* An NPY file with a hand-written header dict (padded to 64 like numpy) and n_data bytes. */
static void write_npy_raw(const char *path, int major, const char *dict, size_t n_data)
{
    size_t pre = major == 1 ? 10 : 12, len = strlen(dict);
    size_t total = pre + len + 1, pad = (64 - total % 64) % 64, hlen = len + pad + 1;
    size_t n = pre + hlen + n_data;
    unsigned char *buf = calloc(1, n);
    ck_assert_ptr_nonnull(buf);
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (unsigned char)major;
    buf[7] = 0;
    buf[8] = (unsigned char)(hlen & 0xff);
    buf[9] = (unsigned char)(hlen >> 8);
    memcpy(buf + pre, dict, len);
    memset(buf + pre + len, ' ', pad);
    buf[pre + len + pad] = '\n';
    for (size_t i = 0; i < n_data / 4; i++) {
        float v = (float)i;
        memcpy(buf + pre + hlen + 4 * i, &v, 4); /* test host is little-endian */
    }
    write_bytes(path, buf, n);
    free(buf);
}

static void roundtrip(int ndim, const int64_t *shape)
{
    size_t n = 1;
    for (int d = 0; d < ndim; d++)
        n *= (size_t)shape[d];
    float *x = malloc((n ? n : 1) * sizeof *x);
    ck_assert_ptr_nonnull(x);
    test_fill_uniform(x, n, (uint64_t)ndim * 31 + n, -3.0f, 3.0f);
    if (n > 3) {
        x[0] = INFINITY;
        x[1] = -0.0f;
        x[2] = NAN;
        x[3] = 1e-42f; /* subnormal */
    }
    char *path = test_tmp_path("rt.npy");
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fnrt_npy_write_f32(f, x, ndim, shape), FNRT_OK);
    ck_assert_int_eq(fclose(f), 0);

    /* header: magic, v1.0, data offset a multiple of 64, dict ends with '\n' */
    size_t n_bytes;
    unsigned char *raw = test_read_file(path, &n_bytes);
    ck_assert_ptr_nonnull(raw);
    size_t hlen = (size_t)raw[8] | (size_t)raw[9] << 8;
    ck_assert_int_eq(memcmp(raw, "\x93NUMPY\x01\x00", 8), 0);
    ck_assert_uint_eq((10 + hlen) % 64, 0);
    ck_assert_int_eq(raw[10 + hlen - 1], '\n');
    ck_assert_uint_eq(n_bytes, 10 + hlen + 4 * n);
    free(raw);

    float *y = NULL;
    int nd = -1;
    int64_t shp[4] = {-1, -1, -1, -1};
    ck_assert_msg(fnrt_npy_read_f32(path, &y, &nd, shp) == FNRT_OK, "%s", fnrt_last_error());
    ck_assert_int_eq(nd, ndim);
    for (int d = 0; d < 4; d++)
        ck_assert_int_eq(shp[d], d < ndim ? shape[d] : 0);
    ck_assert_int_eq(memcmp(x, y, n * sizeof *x), 0); /* bit exact, NaN included */
    free(y);
    free(x);
    unlink(path);
    free(path);
}

START_TEST(test_roundtrip_dims)
{
    const int64_t s1[] = {7}, s2[] = {3, 5}, s3[] = {3, 32, 17}, s4[] = {2, 3, 4, 5};
    const int64_t big[] = {1, 3, 300, 301};
    roundtrip(1, s1);
    roundtrip(2, s2);
    roundtrip(3, s3);
    roundtrip(4, s4);
    roundtrip(4, big); /* data larger than the writer's buffer */
}
END_TEST

START_TEST(test_roundtrip_edge_shapes)
{
    const int64_t empty[] = {3, 0, 4}, one[] = {1};
    roundtrip(0, NULL); /* scalar: one element */
    roundtrip(3, empty);
    roundtrip(1, one);
}
END_TEST

/* Files written by numpy (the PngSuite references) read back and are rewritten byte for
 * byte: the writer's header matches numpy's. */
START_TEST(test_matches_numpy)
{
    const char *names[] = {"pngsuite/ref/basn2c08.npy", "pngsuite/ref/s01n3p01.npy",
                           "resize/pattern-7x13.npy"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        char *ref = test_data_path(names[k]);
        float *y = NULL;
        int nd;
        int64_t shp[4];
        ck_assert_msg(fnrt_npy_read_f32(ref, &y, &nd, shp) == FNRT_OK, "%s", fnrt_last_error());
        ck_assert_int_eq(nd, 3);
        char *out = test_tmp_path("again.npy");
        FILE *f = fopen(out, "wb");
        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(fnrt_npy_write_f32(f, y, nd, shp), FNRT_OK);
        ck_assert_int_eq(fclose(f), 0);
        size_t na, nb;
        void *a = test_read_file(ref, &na), *b = test_read_file(out, &nb);
        ck_assert_ptr_nonnull(a);
        ck_assert_ptr_nonnull(b);
        ck_assert_uint_eq(na, nb);
        ck_assert_msg(memcmp(a, b, na) == 0, "%s: rewritten file differs from numpy's", names[k]);
        free(a);
        free(b);
        free(y);
        free(out);
        free(ref);
    }
}
END_TEST

static void expect_format(const char *path, const char *what)
{
    static float sentinel[1]; /* outputs must stay untouched */
    float *y = sentinel;
    int nd = -7;
    int64_t shp[4] = {-7, -7, -7, -7};
    fnrt_error_clear();
    fnrt_status st = fnrt_npy_read_f32(path, &y, &nd, shp);
    ck_assert_msg(st == FNRT_ERR_FORMAT, "%s: status %d (%s)", what, st, fnrt_last_error());
    ck_assert_msg(strstr(fnrt_last_error(), path) != NULL, "%s: message does not name the file: %s",
                  what, fnrt_last_error());
    ck_assert_ptr_eq(y, sentinel);
    ck_assert_int_eq(nd, -7);
    ck_assert_int_eq(shp[0], -7);
}

START_TEST(test_header_variants_ok)
{
    char *p = test_tmp_path("v.npy");
    struct {
        const char *dict;
        int major;
        size_t n_data;
        int ndim;
    } ok[] = {
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 1, 24, 2},
        {"{\"shape\": (2,3), \"fortran_order\": False, \"descr\": \"<f4\"}", 1, 24, 2},
        {"{'descr':'<f4','fortran_order':False,'shape':(5,)}", 2, 20, 1},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (4L, 1L), }", 1, 16, 2},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (), }", 1, 4, 0},
        {"  { 'descr' : '<f4' ,\n 'fortran_order' : False , 'shape' : ( 1 , 2 , ) } ", 1, 8, 2},
    };
    for (size_t k = 0; k < sizeof ok / sizeof ok[0]; k++) {
        write_npy_raw(p, ok[k].major, ok[k].dict, ok[k].n_data);
        float *y = NULL;
        int nd;
        int64_t shp[4];
        ck_assert_msg(fnrt_npy_read_f32(p, &y, &nd, shp) == FNRT_OK, "case %zu: %s", k,
                      fnrt_last_error());
        ck_assert_int_eq(nd, ok[k].ndim);
        for (size_t i = 0; i < ok[k].n_data / 4; i++)
            ck_assert_float_eq(y[i], (float)i);
        free(y);
    }
    free(p);
}
END_TEST

START_TEST(test_rejects_headers)
{
    char *p = test_tmp_path("bad.npy");
    struct {
        const char *dict;
        size_t n_data;
        const char *what;
    } bad[] = {
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", 16, "float64"},
        {"{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 8, "big-endian"},
        {"{'descr': '|u1', 'fortran_order': False, 'shape': (8,), }", 8, "uint8"},
        {"{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", 8, "int32"},
        {"{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", 8, "fortran"},
        {"{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }", 8, "order not bool"},
        {"{'descr': '<f4', 'fortran_order': Falsey, 'shape': (2,), }", 8, "order word"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 2), }", 8, "5 dims"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2), }", 8, "int not tuple"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", 8, "negative"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2.0,), }", 8, "float dim"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': [2], }", 8, "list"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,,), }", 8, "double comma"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", 8,
         "dim overflow"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", 8,
         "product overflow"},
        {"{'descr': '<f4', 'fortran_order': False, }", 8, "no shape"},
        {"{'fortran_order': False, 'shape': (2,), }", 8, "no descr"},
        {"{'descr': '<f4', 'shape': (2,), }", 8, "no order"},
        {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", 8, "duplicate"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}", 8, "extra"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} x", 8, "trailing"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,)", 8, "unclosed"},
        {"{'descr': '<f4' 'fortran_order': False, 'shape': (2,)}", 8, "missing comma"},
        {"{'descr: '<f4', 'fortran_order': False, 'shape': (2,)}", 8, "bad quote"},
        {"{'de\\scr': '<f4', 'fortran_order': False, 'shape': (2,)}", 8, "escape"},
        {"", 8, "empty"},
        {"[1, 2]", 8, "not a dict"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", 8, "short data"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", 8, "long data"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (0,), }", 4, "long data, empty"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        write_npy_raw(p, 1, bad[k].dict, bad[k].n_data);
        expect_format(p, bad[k].what);
    }
    free(p);
}
END_TEST

START_TEST(test_rejects_prefix)
{
    char *p = test_tmp_path("pre.npy");
    const char dict[] = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
    write_npy_raw(p, 1, dict, 8);
    size_t n;
    unsigned char *good = test_read_file(p, &n);
    ck_assert_ptr_nonnull(good);
    unsigned char *b = malloc(n);
    ck_assert_ptr_nonnull(b);

    memcpy(b, good, n);
    b[0] = 0x92; /* magic */
    write_bytes(p, b, n);
    expect_format(p, "magic");

    memcpy(b, good, n);
    b[6] = 3; /* version 3 */
    write_bytes(p, b, n);
    expect_format(p, "version 3");

    memcpy(b, good, n);
    b[7] = 1; /* version 1.1 */
    write_bytes(p, b, n);
    expect_format(p, "version 1.1");

    memcpy(b, good, n);
    b[8] = 0xff;
    b[9] = 0xff; /* header longer than the file */
    write_bytes(p, b, n);
    expect_format(p, "header length");

    memcpy(b, good, n);
    size_t hlen = (size_t)good[8] | (size_t)good[9] << 8;
    b[10 + hlen - 1] = ' '; /* no final newline */
    write_bytes(p, b, n);
    expect_format(p, "no newline");

    memcpy(b, good, n);
    b[12] = '\0'; /* NUL inside the dict */
    write_bytes(p, b, n);
    expect_format(p, "NUL");

    /* every truncation of a valid file is rejected */
    for (size_t len = 0; len < n; len++) {
        write_bytes(p, good, len);
        expect_format(p, "truncated");
    }
    write_bytes(p, good, n);
    float *y = NULL;
    int nd;
    int64_t shp[4];
    ck_assert_int_eq(fnrt_npy_read_f32(p, &y, &nd, shp), FNRT_OK);
    free(y);
    free(b);
    free(good);
    free(p);
}
END_TEST

START_TEST(test_errors_io_and_args)
{
    float *y = NULL;
    int nd;
    int64_t shp[4] = {2, 2, 0, 0};
    char *p = test_tmp_path("missing.npy");
    ck_assert_int_eq(fnrt_npy_read_f32(p, &y, &nd, shp), FNRT_ERR_IO);
    ck_assert_ptr_nonnull(strstr(fnrt_last_error(), p));
    ck_assert_int_eq(fnrt_npy_read_f32(NULL, &y, &nd, shp), FNRT_ERR_INVALID_ARG);

    FILE *f = tmpfile();
    ck_assert_ptr_nonnull(f);
    float x[4] = {0};
    const int64_t neg[] = {-1}, five[] = {1, 1, 1, 1, 1};
    ck_assert_int_eq(fnrt_npy_write_f32(f, x, 5, five), FNRT_ERR_INVALID_ARG);
    ck_assert_int_eq(fnrt_npy_write_f32(f, x, 1, neg), FNRT_ERR_INVALID_ARG);
    ck_assert_int_eq(fnrt_npy_write_f32(f, NULL, 2, shp), FNRT_ERR_INVALID_ARG);
    ck_assert_int_eq(fnrt_npy_write_f32(NULL, x, 2, shp), FNRT_ERR_INVALID_ARG);
    fclose(f);
    free(p);
}
END_TEST

static Suite *npy_suite(void)
{
    Suite *s = suite_create("npy");
    TCase *tc = tcase_create("roundtrip");
    tcase_add_checked_fixture(tc, test_tmp_setup, test_tmp_teardown);
    tcase_add_test(tc, test_roundtrip_dims);
    tcase_add_test(tc, test_roundtrip_edge_shapes);
    tcase_add_test(tc, test_matches_numpy);
    suite_add_tcase(s, tc);

    tc = tcase_create("reject");
    tcase_add_checked_fixture(tc, test_tmp_setup, test_tmp_teardown);
    tcase_add_test(tc, test_header_variants_ok);
    tcase_add_test(tc, test_rejects_headers);
    tcase_add_test(tc, test_rejects_prefix);
    tcase_add_test(tc, test_errors_io_and_args);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(npy_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
