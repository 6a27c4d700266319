#include "test-util.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/image.h"

char *test_data_path(const char *name)
{
    const char *dir = getenv("FNRT_TEST_DATA");
    if (!dir)
        dir = "tests/data";
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

char *test_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    if (!base)
        base = "/tmp";
    size_t n = strlen(base) + 32;
    char *p = malloc(n);
    if (!p)
        return NULL;
    snprintf(p, n, "%s/fnrt-test-XXXXXX", base);
    if (!mkdtemp(p)) {
        free(p);
        return NULL;
    }
    return p;
}

char *test_tmp;

void test_tmp_setup(void)
{
    test_tmp = test_tmpdir();
    if (!test_tmp) {
        fprintf(stderr, "test_tmp_setup: cannot create a temporary folder\n");
        abort();
    }
}

void test_tmp_teardown(void)
{
    char cmd[8400];
    if (!test_tmp)
        return;
    snprintf(cmd, sizeof cmd, "chmod -R u+w '%s'; rm -rf '%s'", test_tmp, test_tmp);
    if (system(cmd) != 0)
        fprintf(stderr, "test_tmp_teardown: could not remove %s\n", test_tmp);
    free(test_tmp);
    test_tmp = NULL;
}

char *test_tmp_path(const char *name)
{
    size_t n = strlen(test_tmp) + strlen(name) + 2;
    char *p = malloc(n);
    if (!p)
        abort();
    snprintf(p, n, "%s/%s", test_tmp, name);
    return p;
}

void test_fill_uniform(float *x, size_t n, uint64_t seed, float lo, float hi)
{
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        double u = (double)(s >> 11) / (double)(1ull << 53);
        x[i] = (float)(lo + (hi - lo) * u);
    }
}

double test_tol_ratio(const float *a, const float *b, size_t n, double atol, double rtol,
                      size_t *worst_index)
{
    double worst = 0.0;
    size_t wi = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        double lim = atol + rtol * fabs((double)b[i]);
        double r = d / lim;
        if (!(r <= worst)) { /* catches NaN too */
            worst = isnan(r) ? INFINITY : r;
            wi = i;
        }
    }
    if (worst_index)
        *worst_index = wi;
    return worst;
}

void test_angular_error_chw(const float *a, const float *b, size_t n_pixels, double *mean_deg,
                            double *max_deg)
{
    double sum = 0.0, mx = 0.0;
    for (size_t i = 0; i < n_pixels; i++) {
        double ax = a[i], ay = a[n_pixels + i], az = a[2 * n_pixels + i];
        double bx = b[i], by = b[n_pixels + i], bz = b[2 * n_pixels + i];
        double na = sqrt(ax * ax + ay * ay + az * az), nb = sqrt(bx * bx + by * by + bz * bz);
        double c = (ax * bx + ay * by + az * bz) / (na * nb);
        /* atan2 of |cross| and dot is accurate for tiny angles, unlike acos */
        double cx = ay * bz - az * by, cy = az * bx - ax * bz, cz = ax * by - ay * bx;
        double s = sqrt(cx * cx + cy * cy + cz * cz) / (na * nb);
        double deg = atan2(s, c) * (180.0 / M_PI);
        if (isnan(deg))
            deg = 180.0;
        sum += deg;
        if (deg > mx)
            mx = deg;
    }
    *mean_deg = n_pixels ? sum / (double)n_pixels : 0.0;
    *max_deg = mx;
}

void *test_read_file(const char *path, size_t *n_bytes)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf && n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf && n_bytes)
        *n_bytes = (size_t)n;
    return buf;
}

float *test_load_golden_chw(const char *name, int size)
{
    char *path = test_data_path(name);
    float *hwc = NULL;
    int ndim = 0;
    int64_t shape[4];
    size_t n_pix = (size_t)size * size;
    ck_assert_msg(fnrt_npy_read_f32(path, &hwc, &ndim, shape) == FNRT_OK, "%s: %s", path,
                  fnrt_last_error());
    ck_assert_int_eq(ndim, 3);
    ck_assert(shape[0] == size && shape[1] == size && shape[2] == 3);
    float *chw = malloc(sizeof(float) * 3 * n_pix);
    ck_assert_ptr_nonnull(chw);
    for (size_t j = 0; j < n_pix; j++)
        for (int ch = 0; ch < 3; ch++)
            chw[ch * n_pix + j] = hwc[3 * j + ch];
    free(hwc);
    free(path);
    return chw;
}
