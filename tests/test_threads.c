/* Concurrency: two sessions inferring at the same time from two threads (each thread
 * creates its own session from one shared, read-only model), and two models loaded at once.
 * Results must equal a single-threaded run bit for bit on the same backend, and each
 * thread's last-error message must stay its own.  Run under ThreadSanitizer by
 * tools/run-tests.sh (build-tsan) to find data races in fnrt's host code. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fnrt/fnrt.h"
#include "test-util.h"

#define SIZE 256
#define N_ELEMS (3 * SIZE * SIZE)
#define N_RUNS 3

typedef struct job {
    const fnrt_model *model;
    const char *backend;
    const float *inputs;  /* N_RUNS inputs */
    float *outputs;       /* N_RUNS outputs */
    pthread_barrier_t *start;
    fnrt_status st;
    char err[512];
} job;

static void *run_job(void *arg)
{
    job *j = arg;
    fnrt_session *s = NULL;
    pthread_barrier_wait(j->start); /* both threads create and infer at the same time */
    j->st = fnrt_session_create(j->model, j->backend, NULL, &s);
    for (int r = 0; r < N_RUNS && j->st == FNRT_OK; r++)
        j->st = fnrt_session_infer(s, j->inputs + (size_t)r * N_ELEMS,
                                   j->outputs + (size_t)r * N_ELEMS, NULL);
    if (j->st != FNRT_OK)
        snprintf(j->err, sizeof j->err, "%s", fnrt_last_error());
    fnrt_session_free(s);
    return NULL;
}

/* Single-threaded reference results on one backend. */
static float *serial_outputs(const fnrt_model *m, const char *backend, const float *inputs)
{
    fnrt_session *s = NULL;
    float *out = malloc(sizeof(float) * N_ELEMS * N_RUNS);
    ck_assert_ptr_nonnull(out);
    ck_assert_msg(fnrt_session_create(m, backend, NULL, &s) == FNRT_OK, "%s", fnrt_last_error());
    for (int r = 0; r < N_RUNS; r++)
        ck_assert_msg(fnrt_session_infer(s, inputs + (size_t)r * N_ELEMS,
                                         out + (size_t)r * N_ELEMS, NULL) == FNRT_OK,
                      "%s", fnrt_last_error());
    fnrt_session_free(s);
    return out;
}

static void two_sessions(const char *be0, const char *be1)
{
    char *path = test_data_path("fnr2r-tiny.safetensors");
    fnrt_model *m = NULL;
    ck_assert_msg(fnrt_model_load(path, &m) == FNRT_OK, "%s", fnrt_last_error());
    const char *bes[2] = {be0, be1};
    float *in[2], *want[2], *got[2];
    for (int t = 0; t < 2; t++) {
        in[t] = malloc(sizeof(float) * N_ELEMS * N_RUNS);
        got[t] = calloc((size_t)N_ELEMS * N_RUNS, sizeof(float));
        ck_assert(in[t] && got[t]);
        test_fill_uniform(in[t], (size_t)N_ELEMS * N_RUNS, 11 + (uint64_t)t, 0.0f, 1.0f);
        want[t] = serial_outputs(m, bes[t], in[t]);
    }
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, 2);
    job jobs[2];
    pthread_t th[2];
    for (int t = 0; t < 2; t++) {
        jobs[t] = (job){m, bes[t], in[t], got[t], &start, FNRT_OK, ""};
        ck_assert_int_eq(pthread_create(&th[t], NULL, run_job, &jobs[t]), 0);
    }
    for (int t = 0; t < 2; t++)
        pthread_join(th[t], NULL);
    pthread_barrier_destroy(&start);
    for (int t = 0; t < 2; t++) {
        ck_assert_msg(jobs[t].st == FNRT_OK, "thread %d (%s): %s", t, bes[t], jobs[t].err);
        for (size_t i = 0; i < (size_t)N_ELEMS * N_RUNS; i++)
            ck_assert_msg(got[t][i] == want[t][i],
                          "thread %d (%s): element %zu differs from the serial run: %.9g vs "
                          "%.9g", t, bes[t], i, (double)got[t][i], (double)want[t][i]);
        free(in[t]);
        free(got[t]);
        free(want[t]);
    }
    fnrt_model_free(m);
    free(path);
}

START_TEST(two_opencl_sessions)
{
    two_sessions("opencl", "opencl");
}
END_TEST

START_TEST(opencl_and_ref_sessions)
{
    two_sessions("opencl", "ref");
}
END_TEST

START_TEST(two_ref_sessions)
{
    two_sessions("ref", "ref");
}
END_TEST

/* Two threads load models at once; one of them a corrupt file: each sees its own result and
 * its own last-error message. */
typedef struct load_job {
    const char *path;
    pthread_barrier_t *start;
    fnrt_status st;
    char err[512];
} load_job;

static void *load_one(void *arg)
{
    load_job *j = arg;
    fnrt_model *m = NULL;
    pthread_barrier_wait(j->start);
    for (int r = 0; r < 3; r++) {
        fnrt_error_clear();
        j->st = fnrt_model_load(j->path, &m);
        snprintf(j->err, sizeof j->err, "%s", fnrt_last_error());
        fnrt_model_free(m);
        m = NULL;
    }
    return NULL;
}

START_TEST(concurrent_loads)
{
    char *good = test_data_path("fnr2r-tiny.safetensors");
    char *dir = test_tmpdir();
    char bad[512];
    snprintf(bad, sizeof bad, "%s/bad.safetensors", dir);
    FILE *f = fopen(bad, "wb");
    ck_assert_ptr_nonnull(f);
    fputs("\x10\0\0\0\0\0\0\0{\"x\": nonsense}", f);
    fclose(f);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, 2);
    load_job jobs[2] = {{good, &start, FNRT_OK, ""}, {bad, &start, FNRT_OK, ""}};
    pthread_t th[2];
    for (int t = 0; t < 2; t++)
        ck_assert_int_eq(pthread_create(&th[t], NULL, load_one, &jobs[t]), 0);
    for (int t = 0; t < 2; t++)
        pthread_join(th[t], NULL);
    pthread_barrier_destroy(&start);
    ck_assert_msg(jobs[0].st == FNRT_OK, "%s", jobs[0].err);
    ck_assert_str_eq(jobs[0].err, "");
    ck_assert_int_eq(jobs[1].st, FNRT_ERR_FORMAT);
    ck_assert_msg(strstr(jobs[1].err, "bad.safetensors") != NULL, "%s", jobs[1].err);
    remove(bad);
    rmdir(dir);
    free(dir);
    free(good);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("threads");
    TCase *tc = tcase_create("sessions");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, two_ref_sessions);
    tcase_add_test(tc, two_opencl_sessions);
    tcase_add_test(tc, opencl_and_ref_sessions);
    tcase_add_test(tc, concurrent_loads);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
