/* Model loading: the tiny FNR2R model binds; every way a model file can be wrong is reported
 * with an error naming the tensor (files made by rewriting the tiny model's header). */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/model.h"
#include "test-util.h"

typedef void (*mutate_fn)(json_t *header, unsigned char *data, size_t n_data);

/* Copies the tiny model to a temp file, letting fn edit its JSON header and data area. */
static char *rewrite_model(mutate_fn fn)
{
    char *src = test_data_path("fnr2r-tiny.safetensors");
    size_t n = 0;
    unsigned char *buf = test_read_file(src, &n);
    ck_assert_ptr_nonnull(buf);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = (hlen << 8) | buf[i];
    json_error_t err;
    json_t *h = json_loadb((const char *)buf + 8, (size_t)hlen, 0, &err);
    ck_assert_ptr_nonnull(h);
    unsigned char *data = buf + 8 + hlen;
    size_t n_data = n - 8 - (size_t)hlen;
    fn(h, data, n_data);
    char *js = json_dumps(h, JSON_COMPACT);
    size_t jl = strlen(js), padded = (jl + 7) / 8 * 8;

    char *dir = test_tmpdir();
    char *path = malloc(strlen(dir) + 32);
    sprintf(path, "%s/model.safetensors", dir);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    unsigned char len8[8];
    for (int i = 0; i < 8; i++)
        len8[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    fwrite(len8, 1, 8, f);
    fwrite(js, 1, jl, f);
    for (size_t i = jl; i < padded; i++)
        fputc(' ', f);
    fwrite(data, 1, n_data, f);
    fclose(f);
    free(js);
    json_decref(h);
    free(buf);
    free(src);
    free(dir);
    return path;
}

static void expect_error(mutate_fn fn, fnrt_status want, const char *needle)
{
    char *path = rewrite_model(fn);
    fnrt_model *m = NULL;
    fnrt_status st = fnrt_model_load(path, &m);
    ck_assert_msg(st == want, "got %d (%s), want %d", st, fnrt_last_error(), want);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(fnrt_last_error(), needle) != NULL, "error '%s' does not mention '%s'",
                  fnrt_last_error(), needle);
    unlink(path);
    free(path);
}

static void no_change(json_t *h, unsigned char *d, size_t n)
{
    (void)h, (void)d, (void)n;
}

static void drop_tensor(json_t *h, unsigned char *d, size_t n)
{
    (void)d, (void)n;
    ck_assert_int_eq(json_object_del(h, "refiner.up3.conv_s.weight"), 0);
}

static void reshape_kernel(json_t *h, unsigned char *d, size_t n)
{
    (void)d, (void)n;
    json_t *shape = json_object_get(json_object_get(h, "coarse.conv3.weight"), "shape");
    ck_assert_ptr_nonnull(shape);
    json_array_set_new(shape, 2, json_integer(2));
    json_array_set_new(shape, 3, json_integer(8));
}

static void wrong_dtype(json_t *h, unsigned char *d, size_t n)
{
    (void)d, (void)n;
    json_object_set_new(json_object_get(h, "refiner.conv11.weight"), "dtype", json_string("I32"));
}

static size_t tensor_begin(json_t *h, const char *name)
{
    json_t *off = json_object_get(json_object_get(h, name), "data_offsets");
    ck_assert_ptr_nonnull(off);
    return (size_t)json_integer_value(json_array_get(off, 0));
}

static void nan_weight(json_t *h, unsigned char *d, size_t n)
{
    size_t b = tensor_begin(h, "refiner.block2.1.weight");
    ck_assert(b + 4 <= n);
    float nan = NAN;
    memcpy(d + b, &nan, 4);
}

static void negative_var(json_t *h, unsigned char *d, size_t n)
{
    size_t b = tensor_begin(h, "coarse.conv4_bn.running_var");
    ck_assert(b + 4 <= n);
    float v = -1.0f;
    memcpy(d + b, &v, 4);
}

static void unknown_arch(json_t *h, unsigned char *d, size_t n)
{
    (void)d, (void)n;
    json_object_set_new(json_object_get(h, "__metadata__"), "architecture",
                        json_string("resnet9000"));
}

static void wrong_channels(json_t *h, unsigned char *d, size_t n)
{
    (void)d, (void)n;
    /* swap Co and Ci of a 3x3 conv: same byte span, inconsistent network */
    json_t *shape = json_object_get(json_object_get(h, "refiner.block3.4.weight"), "shape");
    json_int_t a = json_integer_value(json_array_get(shape, 0));
    json_array_set_new(shape, 0, json_integer(a / 2));
    json_array_set_new(shape, 1, json_integer(json_integer_value(json_array_get(shape, 1)) * 2));
}

START_TEST(loads_tiny)
{
    char *path = rewrite_model(no_change); /* also proves the rewriter keeps files valid */
    fnrt_model *m = NULL;
    ck_assert_msg(fnrt_model_load(path, &m) == FNRT_OK, "%s", fnrt_last_error());
    fnrt_model_info info;
    fnrt_model_get_info(m, &info);
    ck_assert_str_eq(info.architecture, "fnr2r");
    ck_assert_int_eq(info.input_size, 256);
    ck_assert(info.n_params > 10000);
    ck_assert(info.gflop > 0.0);
    const char *names[4] = {"coarse", "guide", "encoder", "decoder"};
    double sum = 0.0;
    for (int i = 0; i < 4; i++) {
        const char *name;
        double gf;
        uint64_t n_ops;
        ck_assert(fnrt_model_stage_info(m, i, &name, &gf, &n_ops));
        ck_assert_str_eq(name, names[i]);
        ck_assert(n_ops > 0);
        sum += gf;
    }
    ck_assert(!fnrt_model_stage_info(m, 4, NULL, NULL, NULL));
    ck_assert(fabs(sum - info.gflop) < 1e-9 * info.gflop + 1e-12);
    fnrt_model_free(m);
    unlink(path);
    free(path);
}
END_TEST

START_TEST(missing_tensor)
{
    expect_error(drop_tensor, FNRT_ERR_MODEL, "refiner.up3.conv_s.weight");
}
END_TEST

START_TEST(bad_kernel_shape)
{
    expect_error(reshape_kernel, FNRT_ERR_MODEL, "coarse.conv3.weight");
}
END_TEST

START_TEST(bad_dtype)
{
    expect_error(wrong_dtype, FNRT_ERR_MODEL, "refiner.conv11.weight");
}
END_TEST

START_TEST(non_finite)
{
    expect_error(nan_weight, FNRT_ERR_MODEL, "refiner.block2.1.weight");
}
END_TEST

START_TEST(negative_running_var)
{
    expect_error(negative_var, FNRT_ERR_MODEL, "coarse.conv4_bn");
}
END_TEST

START_TEST(unknown_architecture)
{
    expect_error(unknown_arch, FNRT_ERR_UNSUPPORTED, "resnet9000");
}
END_TEST

START_TEST(inconsistent_widths)
{
    expect_error(wrong_channels, FNRT_ERR_MODEL, "refiner.block3");
}
END_TEST

START_TEST(missing_file)
{
    fnrt_model *m = NULL;
    ck_assert_int_eq(fnrt_model_load("/nonexistent/model.safetensors", &m), FNRT_ERR_IO);
    ck_assert_ptr_null(m);
    ck_assert(strstr(fnrt_last_error(), "/nonexistent/model.safetensors") != NULL);
}
END_TEST

START_TEST(unknown_backend)
{
    char *path = test_data_path("fnr2r-tiny.safetensors");
    fnrt_model *m = NULL;
    fnrt_session *s = NULL;
    ck_assert(fnrt_model_load(path, &m) == FNRT_OK);
    ck_assert_int_eq(fnrt_session_create(m, "cuda9", NULL, &s), FNRT_ERR_INVALID_ARG);
    ck_assert(strstr(fnrt_last_error(), "cuda9") != NULL);
    ck_assert_int_eq(fnrt_session_create(m, "ref", "7", &s), FNRT_ERR_INVALID_ARG);
    ck_assert_ptr_null(s);
    fnrt_model_free(m);
    free(path);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("model");
    TCase *tc = tcase_create("load");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, loads_tiny);
    tcase_add_test(tc, missing_tensor);
    tcase_add_test(tc, bad_kernel_shape);
    tcase_add_test(tc, bad_dtype);
    tcase_add_test(tc, non_finite);
    tcase_add_test(tc, negative_running_var);
    tcase_add_test(tc, unknown_architecture);
    tcase_add_test(tc, inconsistent_widths);
    tcase_add_test(tc, missing_file);
    tcase_add_test(tc, unknown_backend);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
