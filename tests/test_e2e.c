/* End-to-end parity: the tiny FNR2R model (tests/data/fnr2r-tiny.safetensors, made from
 * published-format checkpoints by tools/make-golden.py) on tests/data/face-256.png, run on
 * the reference and the OpenCL backend, against the PyTorch goldens written by
 * tools/reference.py (float64).  Bar: mean angular error <= 0.01 deg, max <= 0.1 deg, for
 * both the exemplar and the final normals. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "fnrt/fnrt.h"
#include "io/image.h"
#include "test-util.h"

#define SIZE 256
#define N_PIX (SIZE * SIZE)

static void run_parity(const char *backend)
{
    char *model_path = test_data_path("fnr2r-tiny.safetensors");
    char *img_path = test_data_path("face-256.png");
    fnrt_model *m = NULL;
    fnrt_session *s = NULL;
    fnrt_image img = {0};

    ck_assert_msg(fnrt_model_load(model_path, &m) == FNRT_OK, "%s", fnrt_last_error());
    ck_assert_msg(fnrt_session_create(m, backend, NULL, &s) == FNRT_OK, "%s",
                  fnrt_last_error());
    ck_assert_msg(fnrt_png_read(img_path, NULL, &img) == FNRT_OK, "%s", fnrt_last_error());
    ck_assert(img.c == 3 && img.h == SIZE && img.w == SIZE);

    float *normals = malloc(sizeof(float) * 3 * N_PIX);
    float *exemplar = malloc(sizeof(float) * 3 * N_PIX);
    ck_assert_msg(fnrt_session_infer(s, img.data, normals, exemplar) == FNRT_OK, "%s",
                  fnrt_last_error());

    float *g_norm = test_load_golden_chw("fnr2r-tiny-normals.npy", SIZE);
    float *g_ex = test_load_golden_chw("fnr2r-tiny-exemplar.npy", SIZE);
    double mean, max;
    test_angular_error_chw(exemplar, g_ex, N_PIX, &mean, &max);
    printf("%s exemplar: mean %.6f deg, max %.6f deg\n", backend, mean, max);
    ck_assert_msg(mean <= 0.01 && max <= 0.1, "%s exemplar: mean %.6f max %.6f deg", backend,
                  mean, max);
    test_angular_error_chw(normals, g_norm, N_PIX, &mean, &max);
    printf("%s normals:  mean %.6f deg, max %.6f deg\n", backend, mean, max);
    ck_assert_msg(mean <= 0.01 && max <= 0.1, "%s normals: mean %.6f max %.6f deg", backend,
                  mean, max);

    /* the check must be able to fail: a perturbed map is far out of tolerance */
    for (int j = 0; j < N_PIX; j++)
        normals[j] += 0.05f;
    test_angular_error_chw(normals, g_norm, N_PIX, &mean, &max);
    ck_assert(mean > 0.1);

    free(g_norm);
    free(g_ex);
    free(normals);
    free(exemplar);
    fnrt_image_free(&img);
    fnrt_session_free(s);
    fnrt_model_free(m);
    free(model_path);
    free(img_path);
}

START_TEST(parity_ref)
{
    run_parity("ref");
}
END_TEST

START_TEST(parity_opencl)
{
    run_parity("opencl");
}
END_TEST

/* Same input twice on one session gives bit-identical output (no state leaks between runs). */
START_TEST(repeatable_opencl)
{
    char *model_path = test_data_path("fnr2r-tiny.safetensors");
    fnrt_model *m = NULL;
    fnrt_session *s = NULL;
    ck_assert_msg(fnrt_model_load(model_path, &m) == FNRT_OK, "%s", fnrt_last_error());
    ck_assert_msg(fnrt_session_create(m, "opencl", NULL, &s) == FNRT_OK, "%s",
                  fnrt_last_error());
    float *in = malloc(sizeof(float) * 3 * N_PIX);
    float *a = malloc(sizeof(float) * 3 * N_PIX), *b = malloc(sizeof(float) * 3 * N_PIX);
    test_fill_uniform(in, 3 * N_PIX, 7, 0.0f, 1.0f);
    ck_assert(fnrt_session_infer(s, in, a, NULL) == FNRT_OK);
    ck_assert(fnrt_session_infer(s, in, b, NULL) == FNRT_OK);
    for (int j = 0; j < 3 * N_PIX; j++)
        ck_assert_msg(a[j] == b[j], "element %d differs between runs", j);
    free(in);
    free(a);
    free(b);
    fnrt_session_free(s);
    fnrt_model_free(m);
    free(model_path);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("e2e");
    TCase *tc = tcase_create("parity");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, parity_ref);
    tcase_add_test(tc, parity_opencl);
    tcase_add_test(tc, repeatable_opencl);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
