/* The OpenCL backend's Xilinx flow (an xclbin as the program binary): path selection and its
 * errors on a non-Xilinx platform (PoCL here).  Needs no XRT. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/xrt/xrt.h"
#include "fnrt/fnrt-backend.h"
#include "test-util.h"

static char *g_xclbin;

static void setup(void)
{
    char *dir = test_tmpdir();
    g_xclbin = malloc(strlen(dir) + 32);
    sprintf(g_xclbin, "%s/fnrt.xclbin", dir);
    FILE *f = fopen(g_xclbin, "wb");
    ck_assert_ptr_nonnull(f);
    fputs("xclbin2", f);
    fclose(f);
    free(dir);
    unsetenv("FNRT_XCLBIN");
}

static void teardown(void)
{
    free(g_xclbin);
}

static void expect_refused(const char *device)
{
    void *ctx = NULL;
    fnrt_status st = fnrt_backend_opencl.create(device, &ctx);
    ck_assert_msg(st == FNRT_ERR_UNSUPPORTED, "device '%s': status %d: %s", device ? device : "",
                  (int)st, fnrt_last_error());
    ck_assert_msg(strstr(fnrt_last_error(), "not Xilinx") &&
                  strstr(fnrt_last_error(), "fnrt.xclbin") &&
                  strstr(fnrt_last_error(), "-b xrt"), "%s", fnrt_last_error());
}

START_TEST(test_xclbin_device_string)
{
    expect_refused(g_xclbin);
    char dev[4200];
    snprintf(dev, sizeof dev, "%s:0", g_xclbin); /* with a device selector */
    expect_refused(dev);
}
END_TEST

START_TEST(test_xclbin_env)
{
    setenv("FNRT_XCLBIN", g_xclbin, 1);
    expect_refused(NULL);
    expect_refused("0");
    unsetenv("FNRT_XCLBIN");
    void *ctx = NULL;
    ck_assert_msg(fnrt_backend_opencl.create(NULL, &ctx) == FNRT_OK, "%s", fnrt_last_error());
    ck_assert_msg(strstr(fnrt_backend_opencl.device_name(ctx), "xclbin") == NULL, "%s",
                  fnrt_backend_opencl.device_name(ctx));
    fnrt_backend_opencl.destroy(ctx);
}
END_TEST

START_TEST(test_not_an_xclbin_name)
{
    /* ".xclbin" inside a name that does not end the path is an ordinary selector */
    void *ctx = NULL;
    fnrt_status st = fnrt_backend_opencl.create("no.xclbinx-device", &ctx);
    ck_assert_int_eq(st, FNRT_ERR_INVALID_ARG);
    ck_assert_msg(strstr(fnrt_last_error(), "no device matches"), "%s", fnrt_last_error());
}
END_TEST

/* fnrt_xrt_check_xclbin (for fnrt doctor) exists in every build */
START_TEST(test_check_xclbin_callable)
{
    fnrt_status st = fnrt_xrt_check_xclbin(g_xclbin, NULL);
#ifdef FNRT_HAVE_XRT
    ck_assert_int_eq(st, FNRT_ERR_FORMAT); /* "xclbin2" alone is no xclbin */
#else
    ck_assert_int_eq(st, FNRT_ERR_UNSUPPORTED);
    ck_assert_msg(strstr(fnrt_last_error(), "without XRT"), "%s", fnrt_last_error());
#endif
}
END_TEST

int main(void)
{
    Suite *s = suite_create("xrt-opencl");
    TCase *tc = tcase_create("xclbin");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_xclbin_device_string);
    tcase_add_test(tc, test_xclbin_env);
    tcase_add_test(tc, test_not_an_xclbin_name);
    tcase_add_test(tc, test_check_xclbin_callable);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int n_failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
