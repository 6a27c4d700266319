/* Bounded waits: the OpenCL backend's finish_timeout against a deliberately slow kernel
 * (fnrt_opencl_enqueue_test_spin) gives FNRT_ERR_TIMEOUT within the bound, then every call
 * on the abandoned context fails fast and destroy does not wait; a new context works.
 * Sessions: fnrt_session_set_timeout with a bound no inference can meet times out, the
 * session refuses further work, and a fresh session on the same model runs normally; the
 * reference backend says it cannot bound its waits.
 * OpenCL objects are created inside the tests (Check's forked children), see POCL-NOTES. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/opencl/opencl.h"
#include "fnrt/fnrt-backend.h"
#include "fnrt/fnrt.h"
#include "test-util.h"

/* An abandoned context is leaked on purpose (its device may still be running), and so are
 * the output buffers of an abandoned session: under LeakSanitizer (tools/run-tests.sh,
 * phase asan) this test binary suppresses leak reports (LSan's documented hook; unused
 * without sanitizers).  Memory errors are still reported. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    /* fnrt's host structs, and the leaked cl_mem/queues/context, whose stacks end inside
     * PoCL (no frame pointers there) */
    return "leak:test_timeout\nleak:libpocl.so\nleak:libpocl-devices-pthread.so\n";
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

START_TEST(test_backend_spin)
{
    const fnrt_backend_ops *be = &fnrt_backend_opencl;
    ck_assert(be->finish_timeout != NULL);
    ck_assert(fnrt_backend_ref.finish_timeout == NULL);
    void *ctx = NULL;
    ck_assert_int_eq(be->create(NULL, &ctx), FNRT_OK);
    ck_assert_int_eq(be->finish_timeout(ctx, 5.0), FNRT_OK); /* nothing queued */
    ck_assert_int_eq(be->finish_timeout(ctx, 0.0), FNRT_ERR_INVALID_ARG);

    ck_assert_int_eq(fnrt_opencl_enqueue_test_spin(ctx, 3.0), FNRT_OK);
    double t0 = now();
    fnrt_status st = be->finish_timeout(ctx, 0.2);
    double dt = now() - t0;
    ck_assert_int_eq(st, FNRT_ERR_TIMEOUT);
    ck_assert_msg(dt >= 0.19 && dt < 1.0, "timed out after %.3f s, bound 0.2 s", dt);
    ck_assert_msg(strstr(fnrt_last_error(), "create a new one") != NULL, "message: %s",
                  fnrt_last_error());

    /* the abandoned context: everything fails fast */
    t0 = now();
    ck_assert_int_eq(be->finish(ctx), FNRT_ERR_TIMEOUT);
    ck_assert_int_eq(be->finish_timeout(ctx, 10.0), FNRT_ERR_TIMEOUT);
    fnrt_shape sh = {1, {16, 0, 0, 0}};
    fnrt_buf *b = NULL;
    ck_assert_int_eq(be->buf_create(ctx, &sh, &b), FNRT_ERR_TIMEOUT);
    ck_assert_int_eq(be->set_queue(ctx, 0), FNRT_ERR_TIMEOUT);
    be->destroy(ctx); /* leaks the device objects instead of waiting */
    dt = now() - t0;
    ck_assert_msg(dt < 0.5, "calls on the abandoned context took %.3f s", dt);

    /* a new context works (the spin kernel may still be running on the device) */
    ck_assert_int_eq(be->create(NULL, &ctx), FNRT_OK);
    ck_assert_int_eq(be->buf_create(ctx, &sh, &b), FNRT_OK);
    float x[16] = {1, 2, 3}, y[16] = {0};
    ck_assert_int_eq(be->buf_write(ctx, b, x, 16), FNRT_OK);
    ck_assert_int_eq(be->buf_read(ctx, b, y, 16), FNRT_OK);
    ck_assert(y[2] == 3.0f);
    ck_assert_int_eq(be->finish_timeout(ctx, 30.0), FNRT_OK);
    be->buf_free(ctx, b);
    be->destroy(ctx);
}
END_TEST

START_TEST(test_session_timeout)
{
    char *path = test_data_path("fnr2r-tiny.safetensors");
    fnrt_model *m = NULL;
    ck_assert_int_eq(fnrt_model_load(path, &m), FNRT_OK);
    size_t n = 3 * 256 * 256;
    float *rgb = malloc(n * sizeof(float)), *ref = malloc(n * sizeof(float));
    float *out = malloc(n * sizeof(float));
    /* outputs of the abandoned session may still be written by the device: never freed */
    float *lost = malloc(n * sizeof(float));
    ck_assert(rgb && ref && out && lost);
    test_fill_uniform(rgb, n, 7, 0.0f, 1.0f);

    fnrt_session *s = NULL;
    ck_assert_int_eq(fnrt_session_create(m, "ref", NULL, &s), FNRT_OK);
    ck_assert_int_eq(fnrt_session_set_timeout(s, 1.0), FNRT_ERR_UNSUPPORTED);
    ck_assert_int_eq(fnrt_session_set_timeout(s, 0.0), FNRT_OK);
    fnrt_session_free(s);

    ck_assert_int_eq(fnrt_session_create(m, "opencl", NULL, &s), FNRT_OK);
    ck_assert_int_eq(fnrt_session_infer(s, rgb, ref, NULL), FNRT_OK); /* warm */
    ck_assert_int_eq(fnrt_session_set_timeout(s, 1e-6), FNRT_OK);
    ck_assert_int_eq(fnrt_session_infer(s, rgb, lost, NULL), FNRT_ERR_TIMEOUT);
    double t0 = now();
    ck_assert_int_eq(fnrt_session_infer(s, rgb, out, NULL), FNRT_ERR_TIMEOUT);
    ck_assert_msg(strstr(fnrt_last_error(), "abandoned") != NULL, "%s", fnrt_last_error());
    fnrt_session_free(s);
    ck_assert_msg(now() - t0 < 0.5, "the abandoned session was slow to refuse and free");

    /* a fresh session with a generous bound gives the same result as before */
    ck_assert_int_eq(fnrt_session_create(m, "opencl", NULL, &s), FNRT_OK);
    ck_assert_int_eq(fnrt_session_set_timeout(s, 60.0), FNRT_OK);
    ck_assert_int_eq(fnrt_session_infer(s, rgb, out, NULL), FNRT_OK);
    ck_assert_int_eq(memcmp(out, ref, n * sizeof(float)), 0);
    fnrt_session_free(s);
    fnrt_model_free(m);
    free(rgb);
    free(ref);
    free(out);
    free(path);
}
END_TEST

START_TEST(test_determinism)
{
    /* same input, same device: bit-identical output, run after run and session after
     * session (the CLI test checks it across processes) */
    char *path = test_data_path("fnr2r-tiny.safetensors");
    fnrt_model *m = NULL;
    ck_assert_int_eq(fnrt_model_load(path, &m), FNRT_OK);
    size_t n = 3 * 256 * 256;
    float *rgb = malloc(n * sizeof(float)), *a = malloc(n * sizeof(float));
    float *b = malloc(n * sizeof(float));
    ck_assert(rgb && a && b);
    test_fill_uniform(rgb, n, 11, 0.0f, 1.0f);
    const char *backends[] = {"ref", "opencl"};
    for (int k = 0; k < 2; k++) {
        fnrt_session *s = NULL;
        ck_assert_int_eq(fnrt_session_create(m, backends[k], NULL, &s), FNRT_OK);
        ck_assert_int_eq(fnrt_session_infer(s, rgb, a, NULL), FNRT_OK);
        for (int rep = 0; rep < 3; rep++) {
            ck_assert_int_eq(fnrt_session_infer(s, rgb, b, NULL), FNRT_OK);
            ck_assert_msg(memcmp(a, b, n * sizeof(float)) == 0, "%s: run %d differs",
                          backends[k], rep + 2);
        }
        fnrt_session_free(s);
        ck_assert_int_eq(fnrt_session_create(m, backends[k], NULL, &s), FNRT_OK);
        ck_assert_int_eq(fnrt_session_infer(s, rgb, b, NULL), FNRT_OK);
        ck_assert_msg(memcmp(a, b, n * sizeof(float)) == 0, "%s: a new session differs",
                      backends[k]);
        fnrt_session_free(s);
    }
    fnrt_model_free(m);
    free(rgb);
    free(a);
    free(b);
    free(path);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("timeout");
    TCase *tc = tcase_create("timeout");
    tcase_set_timeout(tc, 500); /* a cold PoCL cache compiles every kernel */
    tcase_add_test(tc, test_backend_spin);
    tcase_add_test(tc, test_session_timeout);
    tcase_add_test(tc, test_determinism);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int n_failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n_failed ? 1 : 0;
}
