/* Hostile model sizes: a model file is small but its layers are wide enough to demand huge
 * activations.  fnrt must refuse it with a clear message before allocating anything big:
 *  - beyond the graph's activation limit (FNRT_GRAPH_MAX_ACT_BYTES): FNRT_ERR_LIMIT at load;
 *  - within it but larger than the device's CL_DEVICE_MAX_MEM_ALLOC_SIZE: the OpenCL session
 *    fails with FNRT_ERR_NOMEM naming the limit (PoCL itself would abort on real OOM);
 *  - a transposed conv whose kernel makes the exemplar larger than 256x256 (it used to be
 *    copied into the caller's 256x256 buffer): FNRT_ERR_MODEL at load.
 * The wide models are made from the tiny model by widening refiner.block1.0 (F16 zeros, so
 * the files stay a few MB). */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/graph.h"
#include "fnrt/fnrt.h"
#include "io/safetensors.h"
#include "test-util.h"

typedef struct repl {
    const char *name;
    int ndim;
    int64_t shape[4];
    uint16_t fill; /* F16 bit pattern */
} repl;

/* Writes the tiny model with the tensors in r[] replaced by F16 tensors of the given shape
 * filled with one value; returns the new file's path (malloc'ed). */
static char *write_variant(const repl *r, int n_r)
{
    char *src = test_data_path("fnr2r-tiny.safetensors");
    fnrt_safetensors *st = NULL;
    ck_assert_msg(fnrt_safetensors_open(src, NULL, &st) == FNRT_OK, "%s", fnrt_last_error());
    json_t *h = json_object();
    json_t *meta = json_object();
    json_object_set_new(meta, "architecture", json_string("fnr2r"));
    json_object_set_new(h, "__metadata__", meta);
    uint64_t off = 0;
    size_t n = fnrt_safetensors_count(st);
    for (size_t i = 0; i < n; i++) {
        const fnrt_st_tensor *t = fnrt_safetensors_at(st, i);
        json_t *e = json_object(), *shape = json_array();
        const repl *rp = NULL;
        for (int k = 0; k < n_r; k++)
            if (strcmp(r[k].name, t->name) == 0)
                rp = &r[k];
        uint64_t n_bytes;
        if (rp) {
            uint64_t n_elems = 1;
            for (int d = 0; d < rp->ndim; d++) {
                json_array_append_new(shape, json_integer(rp->shape[d]));
                n_elems *= (uint64_t)rp->shape[d];
            }
            json_object_set_new(e, "dtype", json_string("F16"));
            n_bytes = 2 * n_elems;
        } else {
            for (int d = 0; d < t->ndim; d++)
                json_array_append_new(shape, json_integer(t->shape[d]));
            json_object_set_new(e, "dtype", json_string(fnrt_dtype_str(t->dtype)));
            n_bytes = t->end - t->begin;
        }
        json_object_set_new(e, "shape", shape);
        json_t *offs = json_array();
        json_array_append_new(offs, json_integer((json_int_t)off));
        json_array_append_new(offs, json_integer((json_int_t)(off + n_bytes)));
        json_object_set_new(e, "data_offsets", offs);
        json_object_set_new(h, t->name, e);
        off += n_bytes;
    }
    char *js = json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER);
    size_t jl = strlen(js), padded = (jl + 7) / 8 * 8;
    char *dir = test_tmpdir();
    char *path = malloc(strlen(dir) + 32);
    sprintf(path, "%s/wide.safetensors", dir);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 8; i++)
        fputc((int)((padded >> (8 * i)) & 0xff), f);
    fwrite(js, 1, jl, f);
    for (size_t i = jl; i < padded; i++)
        fputc(' ', f);
    for (size_t i = 0; i < n; i++) {
        const fnrt_st_tensor *t = fnrt_safetensors_at(st, i);
        const repl *rp = NULL;
        for (int k = 0; k < n_r; k++)
            if (strcmp(r[k].name, t->name) == 0)
                rp = &r[k];
        if (!rp) {
            fwrite(fnrt_safetensors_data(st, t), 1, t->end - t->begin, f);
            continue;
        }
        uint64_t n_elems = 1;
        for (int d = 0; d < rp->ndim; d++)
            n_elems *= (uint64_t)rp->shape[d];
        uint16_t buf[4096];
        for (int k = 0; k < 4096; k++)
            buf[k] = rp->fill; /* little-endian host assumed, as everywhere in fnrt's tests */
        while (n_elems) {
            size_t chunk = n_elems < 4096 ? (size_t)n_elems : 4096;
            fwrite(buf, 2, chunk, f);
            n_elems -= chunk;
        }
    }
    ck_assert_int_eq(fclose(f), 0);
    free(js);
    json_decref(h);
    fnrt_safetensors_close(st);
    free(src);
    free(dir);
    return path;
}

static void remove_variant(char *path)
{
    unlink(path);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    rmdir(path);
    free(path);
}

#define F16_ZERO 0x0000
#define F16_ONE 0x3c00

/* refiner.block1.0 with c output channels (and its BatchNorm), refiner.block1.3 reading them */
static char *wide_block1(int64_t c)
{
    const repl r[] = {
        {"refiner.block1.0.weight", 4, {c, 3, 3, 3}, F16_ZERO},
        {"refiner.block1.0.bias", 1, {c}, F16_ZERO},
        {"refiner.block1.1.weight", 1, {c}, F16_ONE},
        {"refiner.block1.1.bias", 1, {c}, F16_ZERO},
        {"refiner.block1.1.running_mean", 1, {c}, F16_ZERO},
        {"refiner.block1.1.running_var", 1, {c}, F16_ONE},
        {"refiner.block1.3.weight", 4, {8, c, 3, 3}, F16_ZERO},
    };
    return write_variant(r, (int)(sizeof r / sizeof r[0]));
}

START_TEST(activation_limit)
{
    /* one 256x256 activation of c channels: c*256 KiB; 36000 channels = 8.8 GiB */
    char *path = wide_block1(36000);
    fnrt_model *m = NULL;
    fnrt_status st = fnrt_model_load(path, &m);
    ck_assert_msg(st == FNRT_ERR_LIMIT, "got %d: %s", (int)st, fnrt_last_error());
    ck_assert_ptr_null(m);
    const char *msg = fnrt_last_error();
    ck_assert_msg(strstr(msg, "refiner.block1.0") && strstr(msg, "limit"), "%s", msg);
    remove_variant(path);
}
END_TEST

START_TEST(device_alloc_refused)
{
    /* 10240 channels: a 2.5 GiB activation, under the graph limit but over PoCL's 2 GiB
     * CL_DEVICE_MAX_MEM_ALLOC_SIZE */
    char *path = wide_block1(10240);
    fnrt_model *m = NULL;
    fnrt_session *s = NULL;
    ck_assert_msg(fnrt_model_load(path, &m) == FNRT_OK, "%s", fnrt_last_error());
    fnrt_status st = fnrt_session_create(m, "opencl", getenv("FNRT_TEST_DEVICE"), &s);
    if (st == FNRT_OK) {
        /* a device with more than 2.5 GiB per allocation: nothing to refuse */
        printf("device_alloc_refused: %s accepts the 2.5 GiB buffer; not checked\n",
               fnrt_session_device(s));
        fnrt_session_free(s);
    } else {
        ck_assert_ptr_null(s);
        const char *msg = fnrt_last_error();
        ck_assert_msg(st == FNRT_ERR_NOMEM, "got %d: %s", (int)st, msg);
        ck_assert_msg(strstr(msg, "CL_DEVICE_MAX_MEM_ALLOC_SIZE") != NULL, "%s", msg);
    }
    fnrt_model_free(m);
    remove_variant(path);
}
END_TEST

START_TEST(exemplar_size_checked)
{
    const char *src = getenv("FNRT_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fuzz/regressions/model/deconv8-kernel6.safetensors",
             src ? src : ".");
    fnrt_model *m = NULL;
    fnrt_status st = fnrt_model_load(path, &m);
    ck_assert_msg(st == FNRT_ERR_MODEL, "got %d: %s", (int)st, fnrt_last_error());
    ck_assert_msg(strstr(fnrt_last_error(), "coarse.deconv8") != NULL, "%s", fnrt_last_error());
    ck_assert_ptr_null(m);
}
END_TEST

START_TEST(load_mem_matches_file)
{
    char *path = test_data_path("fnr2r-tiny.safetensors");
    size_t n = 0;
    void *bytes = test_read_file(path, &n);
    ck_assert_ptr_nonnull(bytes);
    fnrt_model *a = NULL, *b = NULL;
    ck_assert_msg(fnrt_model_load(path, &a) == FNRT_OK, "%s", fnrt_last_error());
    ck_assert_msg(fnrt_model_load_mem(bytes, n, &b) == FNRT_OK, "%s", fnrt_last_error());
    fnrt_model_info ia, ib;
    fnrt_model_get_info(a, &ia);
    fnrt_model_get_info(b, &ib);
    ck_assert(ia.n_params == ib.n_params && ia.n_ops == ib.n_ops && ia.gflop == ib.gflop);
    fnrt_model_free(b);
    /* truncated image: a clear error naming <memory> */
    ck_assert_int_eq(fnrt_model_load_mem(bytes, n / 2, &b), FNRT_ERR_FORMAT);
    ck_assert_ptr_null(b);
    ck_assert(strstr(fnrt_last_error(), "<memory>") != NULL);
    ck_assert_int_eq(fnrt_model_load_mem(NULL, 0, &b), FNRT_ERR_FORMAT);
    ck_assert_int_eq(fnrt_model_load_mem(NULL, 8, &b), FNRT_ERR_INVALID_ARG);
    fnrt_model_free(a);
    free(bytes);
    free(path);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("limits");
    TCase *tc = tcase_create("models");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, activation_limit);
    tcase_add_test(tc, device_alloc_refused);
    tcase_add_test(tc, exemplar_size_checked);
    tcase_add_test(tc, load_mem_matches_file);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
