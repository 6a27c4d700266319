/* End-to-end parity of the cross-modal network (Abrevaya et al. 2020): the reduced-width
 * model tests/data/crossmodal-tiny.safetensors (every published width / 8, converted from a
 * published-format model.pth by tools/make-golden-crossmodal.py) on the reference and the
 * OpenCL backend, in both modes, against the float64 PyTorch goldens of
 * tools/reference_crossmodal.py:
 *   image      face-256.png -> crossmodal-tiny-image.npy         (every skip active)
 *   normal-ae  normals-256.png -> crossmodal-tiny-normal-ae.npy  (every skip deactivated)
 * Bar: mean angular error <= 0.01 deg, max <= 0.1 deg.  Also: the graphs of the two modes
 * (five max-merges and the image encoder in one, neither in the other), mode errors, and
 * that a crossmodal model has no exemplar. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model.h"
#include "fnrt/fnrt.h"
#include "io/image.h"
#include "test-util.h"

#define SIZE 256
#define N_PIX (SIZE * SIZE)
#define MODEL "crossmodal-tiny.safetensors"

static fnrt_model *load(const char *mode)
{
    char *path = test_data_path(MODEL);
    fnrt_model *m = NULL;
    fnrt_model_options o = {mode};
    ck_assert_msg(fnrt_model_load_ex(path, &o, &m) == FNRT_OK, "%s", fnrt_last_error());
    free(path);
    return m;
}

static const struct {
    const char *mode, *input, *golden;
} cases[] = {
    {"image", "face-256.png", "crossmodal-tiny-image.npy"},
    {"normal-ae", "normals-256.png", "crossmodal-tiny-normal-ae.npy"},
};

static void run_parity(const char *backend, int c)
{
    char *img_path = test_data_path(cases[c].input);
    fnrt_model *m = load(cases[c].mode);
    fnrt_session *s = NULL;
    fnrt_image img = {0};
    ck_assert_msg(fnrt_session_create(m, backend, NULL, &s) == FNRT_OK, "%s", fnrt_last_error());
    ck_assert_msg(fnrt_png_read(img_path, NULL, &img) == FNRT_OK, "%s", fnrt_last_error());
    ck_assert(img.c == 3 && img.h == SIZE && img.w == SIZE);

    float *normals = malloc(sizeof(float) * 3 * N_PIX);
    ck_assert_msg(fnrt_session_infer(s, img.data, normals, NULL) == FNRT_OK, "%s",
                  fnrt_last_error());
    float *golden = test_load_golden_chw(cases[c].golden, SIZE);
    double mean, max;
    test_angular_error_chw(normals, golden, N_PIX, &mean, &max);
    printf("crossmodal %s %-9s: mean %.6f deg, max %.6f deg\n", backend, cases[c].mode, mean, max);
    ck_assert_msg(mean <= 0.01 && max <= 0.1, "%s %s: mean %.6f max %.6f deg", backend,
                  cases[c].mode, mean, max);

    /* the check must be able to fail: a perturbed map is far out of tolerance */
    for (int j = 0; j < N_PIX; j++)
        normals[j] += 0.05f;
    test_angular_error_chw(normals, golden, N_PIX, &mean, &max);
    ck_assert(mean > 0.1);

    free(golden);
    free(normals);
    fnrt_image_free(&img);
    fnrt_session_free(s);
    fnrt_model_free(m);
    free(img_path);
}

START_TEST(parity_ref)
{
    run_parity("ref", _i);
}
END_TEST

START_TEST(parity_opencl)
{
    run_parity("opencl", _i);
}
END_TEST

static int count_ops(const fnrt_model *m, fnrt_op_type t)
{
    int n = 0;
    for (int i = 0; i < m->graph.n_ops; i++)
        n += m->graph.ops[i].type == t;
    return n;
}

/* 1 if some op of the graph reads a parameter whose name starts with prefix. */
static int uses_param(const fnrt_model *m, const char *prefix)
{
    const fnrt_graph *g = &m->graph;
    for (int i = 0; i < g->n_ops; i++)
        for (int k = 0; k < g->ops[i].n_in; k++) {
            int id = g->ops[i].in[k];
            if (id >= 0 && g->tensors[id].kind == FNRT_TENSOR_PARAM &&
                strncmp(g->tensors[id].name, prefix, strlen(prefix)) == 0)
                return 1;
        }
    return 0;
}

/* The deactivable skips: the image graph merges five skips from the image encoder, the
 * normal-ae graph none, from the normal encoder, through the same decoder weights. */
START_TEST(graphs_of_the_modes)
{
    fnrt_model *img = load(NULL), *ae = load("normal-ae");
    fnrt_model_info ii, ia;
    fnrt_model_get_info(img, &ii);
    fnrt_model_get_info(ae, &ia);
    ck_assert_str_eq(ii.architecture, "crossmodal");
    ck_assert_str_eq(ii.mode, "image");
    ck_assert_str_eq(ia.mode, "normal-ae");
    ck_assert_str_eq(ii.modes, "image,normal-ae");
    ck_assert_int_eq(ii.has_exemplar, 0);

    ck_assert_int_eq(count_ops(img, FNRT_OP_MAXMERGE), 5);
    ck_assert_int_eq(count_ops(ae, FNRT_OP_MAXMERGE), 0);
    ck_assert_int_eq(count_ops(img, FNRT_OP_ADD), 8); /* ResNet-18: 8 BasicBlocks */
    ck_assert_int_eq(count_ops(ae, FNRT_OP_ADD), 8);
    ck_assert_int_eq(count_ops(img, FNRT_OP_UPSAMPLE2X), 5);
    ck_assert_int_eq(count_ops(ae, FNRT_OP_UPSAMPLE2X), 5);
    static const int k[5] = {64, 64, 32, 32, 16}; /* TINY: the published 512,512,256,256,128 / 8 */
    for (int i = 0, j = 0; i < img->graph.n_ops; i++)
        if (img->graph.ops[i].type == FNRT_OP_MAXMERGE)
            ck_assert_int_eq(img->graph.ops[i].p.merge.k, k[j++]);

    ck_assert(uses_param(img, "layer1.1.0.conv1") && !uses_param(img, "layer1_2."));
    ck_assert(uses_param(img, "layer2_1x1") && uses_param(img, "conv_original_size0"));
    ck_assert(uses_param(ae, "layer1_2.1.0.conv1") && !uses_param(ae, "layer1.1."));
    ck_assert(!uses_param(ae, "layer2_1x1") && !uses_param(ae, "conv_original_size0"));
    static const char *const shared[] = {"layer4_1x1", "conv_up3", "conv_up0",
                                         "conv_original_size2", "conv_last"};
    for (int i = 0; i < 5; i++)
        ck_assert_msg(uses_param(img, shared[i]) && uses_param(ae, shared[i]), "%s", shared[i]);

    const char *names_i[4], *names_a[4];
    int n_i = 0, n_a = 0;
    while (n_i < 4 && fnrt_model_stage_info(img, n_i, &names_i[n_i], NULL, NULL))
        n_i++;
    while (n_a < 4 && fnrt_model_stage_info(ae, n_a, &names_a[n_a], NULL, NULL))
        n_a++;
    ck_assert_int_eq(n_i, 3);
    ck_assert_str_eq(names_i[0], "fullres");
    ck_assert_str_eq(names_i[1], "encoder");
    ck_assert_str_eq(names_i[2], "decoder");
    ck_assert_int_eq(n_a, 2);
    ck_assert_str_eq(names_a[0], "encoder");
    ck_assert_str_eq(names_a[1], "decoder");
    fnrt_model_free(img);
    fnrt_model_free(ae);
}
END_TEST

START_TEST(mode_errors)
{
    char *xm = test_data_path(MODEL), *f2 = test_data_path("fnr2r-tiny.safetensors");
    fnrt_model *m = NULL;
    fnrt_model_options o = {"sketch"};
    ck_assert_int_eq(fnrt_model_load_ex(xm, &o, &m), FNRT_ERR_INVALID_ARG);
    ck_assert_ptr_null(m);
    ck_assert_ptr_nonnull(strstr(fnrt_last_error(), "image,normal-ae"));
    o.mode = "normal-ae";
    ck_assert_int_eq(fnrt_model_load_ex(f2, &o, &m), FNRT_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(fnrt_last_error(), "fnr2r"));
    o.mode = "image";
    ck_assert_int_eq(fnrt_model_load_ex(f2, &o, &m), FNRT_OK);
    fnrt_model_info info;
    fnrt_model_get_info(m, &info);
    ck_assert_str_eq(info.mode, "image");
    ck_assert_int_eq(info.has_exemplar, 1);
    fnrt_model_free(m);
    o.mode = "";
    ck_assert_int_eq(fnrt_model_load_ex(xm, &o, &m), FNRT_OK);
    fnrt_model_free(m);
    ck_assert_int_eq(fnrt_model_load_ex(xm, NULL, &m), FNRT_OK);

    /* no exemplar output: asking for one is refused */
    fnrt_session *s = NULL;
    ck_assert(fnrt_session_create(m, "ref", NULL, &s) == FNRT_OK);
    float *in = calloc(3 * N_PIX, sizeof(float)), *out = malloc(sizeof(float) * 3 * N_PIX),
          *ex = malloc(sizeof(float) * 3 * N_PIX);
    ck_assert_int_eq(fnrt_session_infer(s, in, out, ex), FNRT_ERR_INVALID_ARG);
    ck_assert_int_eq(fnrt_session_infer(s, in, out, NULL), FNRT_OK);
    free(in);
    free(out);
    free(ex);
    fnrt_session_free(s);
    fnrt_model_free(m);
    free(xm);
    free(f2);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("e2e-crossmodal");
    TCase *tc = tcase_create("parity");
    tcase_set_timeout(tc, 900);
    tcase_add_loop_test(tc, parity_ref, 0, 2);
    tcase_add_loop_test(tc, parity_opencl, 0, 2);
    suite_add_tcase(su, tc);
    tc = tcase_create("modes");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, graphs_of_the_modes);
    tcase_add_test(tc, mode_errors);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
