/* Small helpers shared by the Check test programs. */
#ifndef FNRT_TEST_UTIL_H
#define FNRT_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* $FNRT_TEST_DATA/name (tests/data), in a static buffer per call site is NOT safe:
 * returns a malloc'ed string the caller frees. */
char *test_data_path(const char *name);
/* A fresh empty temporary directory (malloc'ed path). */
char *test_tmpdir(void);

/* A per-test temporary folder for Check fixtures:
 *   tcase_add_checked_fixture(tc, test_tmp_setup, test_tmp_teardown);
 * test_tmp is its path while a test runs; test_tmp_path("x") is test_tmp/x (malloc'ed).
 * Teardown restores write permission and removes the folder recursively. */
extern char *test_tmp;
void test_tmp_setup(void);
void test_tmp_teardown(void);
char *test_tmp_path(const char *name);
/* Deterministic pseudo-random floats in [lo,hi) (xorshift, seeded). */
void test_fill_uniform(float *x, size_t n, uint64_t seed, float lo, float hi);
/* Largest |a-b| / (atol + rtol*|b|) over n elements; <= 1 means within tolerance. */
double test_tol_ratio(const float *a, const float *b, size_t n, double atol, double rtol,
                      size_t *worst_index);
/* Angular error in degrees between unit normal maps stored planar (3,H,W) or interleaved. */
void test_angular_error_chw(const float *a, const float *b, size_t n_pixels, double *mean_deg,
                            double *max_deg);
/* Loads the golden normal map tests/data/<name> (.npy float32 (size,size,3)) and returns it
 * planar (3,size,size), malloc'ed; fails the current Check test if it is missing or
 * misshaped. */
float *test_load_golden_chw(const char *name, int size);
/* Reads a whole file (malloc'ed) or NULL. */
void *test_read_file(const char *path, size_t *n_bytes);

#endif
