/* The OpenCL backend's Xilinx flow (an xclbin of the kernels_cl kernels as the program binary,
 * built by `make FLOW=opencl` in bitstreams/): the xclbin path, its JSON sidecar's refusals and
 * the tunables it adopts, and the refusal of any non-Xilinx platform (PoCL here).
 *
 * The sidecar is checked before any OpenCL call, so everything here runs without the Xilinx
 * platform; the Xilinx ICD is never registered (with XILINX_XRT unset it aborts every OpenCL
 * program).  The sidecars come from the project's own writer (bitstreams/make-sidecar.py,
 * --flow opencl and --flow hls) for a header-only xclbin, so that writer and runtime are
 * checked against each other; each refusal then edits one field.  FNRT_KERNEL_DIR points the
 * runtime at the source tree's kernels_cl/, the files make-sidecar.py hashes.  Skipped (77)
 * when python or the source tree is not available. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/opencl/opencl-internal.h"
#include "backend/xrt/xrt.h"
#include "fnrt/fnrt-backend.h"
#include "test-util.h"

#define U250 "xilinx_u250_gen3x16_xdma_4_1_202210_1"

static char g_dir[1024];    /* made once in main, before the forks */
static char g_xclbin[1100]; /* header-only xclbin */
static char g_side[1200];   /* its sidecar, rewritten by each test's setup */
static char g_good[1200];   /* make-sidecar.py --flow opencl */
static char g_hls[1200];    /* make-sidecar.py --flow hls (the U250 design) for the same file */

/* A file with the axlf magic, a uuid at byte 416 and some payload: enough for the sidecar
 * checks (the OpenCL backend reads no sections). */
static int write_xclbin(const char *path, unsigned char tag)
{
    unsigned char head[440] = "xclbin2";
    for (int i = 0; i < 16; i++)
        head[416 + i] = (unsigned char)(tag + i);
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int ok = fwrite(head, 1, sizeof head, f) == sizeof head;
    return fclose(f) == 0 && ok ? 0 : -1;
}

static void copy_file(const char *from, const char *to)
{
    json_error_t je;
    json_t *root = json_load_file(from, 0, &je);
    ck_assert_msg(root != NULL, "%s: %s", from, je.text);
    ck_assert_int_eq(json_dump_file(root, to, JSON_INDENT(1)), 0);
    json_decref(root);
}

static void setup(void)
{
    unsetenv("FNRT_XCLBIN");
    unsetenv("FNRT_OPENCL_TUNE");
    copy_file(g_good, g_side);
}

/* Loads the good sidecar, hands it to edit, writes it as the xclbin's sidecar. */
static void edit_sidecar(void (*edit)(json_t *root))
{
    json_error_t je;
    json_t *root = json_load_file(g_good, 0, &je);
    ck_assert_msg(root != NULL, "%s", je.text);
    edit(root);
    ck_assert_int_eq(json_dump_file(root, g_side, JSON_INDENT(1)), 0);
    json_decref(root);
}

/* fnrt_backend_opencl.create(device) fails with want and a message holding every needle. */
static void expect_create(const char *device, fnrt_status want, const char *n1, const char *n2)
{
    void *ctx = NULL;
    fnrt_status st = fnrt_backend_opencl.create(device, &ctx);
    if (st == FNRT_OK)
        fnrt_backend_opencl.destroy(ctx);
    ck_assert_msg(st == want, "device '%s': status %d (want %d): %s", device ? device : "",
                  (int)st, (int)want, fnrt_last_error());
    ck_assert_msg(strstr(fnrt_last_error(), n1) && (!n2 || strstr(fnrt_last_error(), n2)),
                  "want '%s' and '%s' in: %s", n1, n2 ? n2 : "", fnrt_last_error());
}

/* With a valid sidecar the first refusal is the platform's: PoCL is not Xilinx. */
static void expect_not_xilinx(const char *device)
{
    expect_create(device, FNRT_ERR_UNSUPPORTED, "not Xilinx", "-b xrt");
    ck_assert_msg(strstr(fnrt_last_error(), "fnrt-cl.xclbin"), "%s", fnrt_last_error());
}

/* The sidecar step alone (no OpenCL call), on a fresh context. */
static fnrt_status sidecar_only(fnrt_cl_ctx *ctx)
{
    const char *sel = NULL;
    char sel_buf[64];
    memset(ctx, 0, sizeof *ctx);
    fnrt_status st = fnrt_cl_xclbin_parse(ctx, g_xclbin, &sel, sel_buf, sizeof sel_buf);
    return st == FNRT_OK ? fnrt_cl_xclbin_sidecar(ctx) : st;
}

START_TEST(test_xclbin_device_string)
{
    expect_not_xilinx(g_xclbin);
    char dev[4300];
    snprintf(dev, sizeof dev, "%s:0", g_xclbin); /* with a device selector */
    expect_not_xilinx(dev);
}
END_TEST

START_TEST(test_xclbin_env)
{
    setenv("FNRT_XCLBIN", g_xclbin, 1);
    expect_not_xilinx(NULL);
    expect_not_xilinx("0");
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

/* The writer's sidecar passes and its tunables are adopted. */
START_TEST(test_sidecar_good)
{
    static fnrt_cl_ctx ctx;
    ck_assert_msg(sidecar_only(&ctx) == FNRT_OK, "%s", fnrt_last_error());
    ck_assert_int_eq(ctx.xclbin_tune_set, 1);
    ck_assert_str_eq(ctx.xclbin_platform, U250);
    /* the accelerator column of the tuning table: what the runtime gives an FPGA device */
    ck_assert_int_eq(ctx.xclbin_tune[FNRT_CL_TUNE_CONV_OB], 8);
    ck_assert_int_eq(ctx.xclbin_tune[FNRT_CL_TUNE_CONV_PW], 4);
    ck_assert_int_eq(ctx.xclbin_tune[FNRT_CL_TUNE_RED_LS], 128);
}
END_TEST

START_TEST(test_sidecar_missing)
{
    remove(g_side);
    expect_create(g_xclbin, FNRT_ERR_IO, "has no sidecar", "make FLOW=opencl");
    ck_assert_msg(strstr(fnrt_last_error(), "fnrt-cl.xclbin.json"), "%s", fnrt_last_error());
}
END_TEST

static void drop_flow(json_t *root)
{
    json_object_del(root, "flow");
}

/* An HLS-flow sidecar (the writer's, and one from before "flow" existed) is refused. */
START_TEST(test_sidecar_hls)
{
    copy_file(g_hls, g_side);
    expect_create(g_xclbin, FNRT_ERR_UNSUPPORTED, "holds the HLS kernels", "use -b xrt");
    edit_sidecar(drop_flow); /* no "flow": an HLS sidecar of an older writer */
    expect_create(g_xclbin, FNRT_ERR_UNSUPPORTED, "holds the HLS kernels", "use -b xrt");
}
END_TEST

static int g_ob = 16, g_pw = 4, g_red = 128;
static const char *g_drop, *g_extra;

static void set_tunables(json_t *root)
{
    json_t *t = json_object_get(root, "tunables");
    json_object_set_new(t, "FNRT_CONV_OB", json_integer(g_ob));
    json_object_set_new(t, "FNRT_CONV_PW", json_integer(g_pw));
    json_object_set_new(t, "FNRT_RED_LS", json_integer(g_red));
    if (g_drop)
        json_object_del(t, g_drop);
    if (g_extra)
        json_object_set_new(t, g_extra, json_integer(1));
}

/* Other valid values than the table's are adopted (the xclbin was compiled with them);
 * $FNRT_OPENCL_TUNE must agree with them; missing, unknown or invalid ones are refused. */
START_TEST(test_sidecar_tunables)
{
    static fnrt_cl_ctx ctx;
    edit_sidecar(set_tunables);
    ck_assert_msg(sidecar_only(&ctx) == FNRT_OK, "%s", fnrt_last_error());
    ck_assert_int_eq(ctx.xclbin_tune[FNRT_CL_TUNE_CONV_OB], 16);
    expect_not_xilinx(g_xclbin); /* passes the sidecar, stops at the platform */

    setenv("FNRT_OPENCL_TUNE", "FNRT_CONV_OB=16,FNRT_CONV_PW=4", 1); /* agrees */
    ck_assert_msg(sidecar_only(&ctx) == FNRT_OK, "%s", fnrt_last_error());
    setenv("FNRT_OPENCL_TUNE", "FNRT_CONV_OB=8", 1); /* the table's value, not the xclbin's */
    expect_create(g_xclbin, FNRT_ERR_INVALID_ARG, "FNRT_OPENCL_TUNE sets FNRT_CONV_OB=8",
                  "compiled with FNRT_CONV_OB=16");
    setenv("FNRT_OPENCL_TUNE", "FNRT_NOPE=1", 1);
    expect_create(g_xclbin, FNRT_ERR_INVALID_ARG, "FNRT_OPENCL_TUNE", "FNRT_NOPE");
    unsetenv("FNRT_OPENCL_TUNE");

    g_drop = "FNRT_CONV_PW";
    edit_sidecar(set_tunables);
    expect_create(g_xclbin, FNRT_ERR_FORMAT, "tunables lack FNRT_CONV_PW", "make FLOW=opencl");
    g_drop = NULL;
    g_extra = "FNRT_CONV_NEW";
    edit_sidecar(set_tunables);
    expect_create(g_xclbin, FNRT_ERR_FORMAT, "tunable FNRT_CONV_NEW is not one this runtime",
                  NULL);
    g_extra = NULL;
    g_pw = 3;
    edit_sidecar(set_tunables);
    expect_create(g_xclbin, FNRT_ERR_INVALID_ARG, "FNRT_CONV_PW=3 in sidecar", "2, 4, 8 or 16");
    g_pw = 4;
    g_red = 100;
    edit_sidecar(set_tunables);
    expect_create(g_xclbin, FNRT_ERR_INVALID_ARG, "FNRT_RED_LS=100", "power of two");
    g_red = 128;
    g_ob = 33;
    edit_sidecar(set_tunables);
    expect_create(g_xclbin, FNRT_ERR_INVALID_ARG, "FNRT_CONV_OB=33", NULL);
}
END_TEST

/* fnrt_cl_tune_init takes the sidecar's values as they are: a local size above the device's
 * maximum cannot be clamped (the kernels were compiled with it) and is refused. */
START_TEST(test_tune_init_adopts)
{
    static fnrt_cl_ctx ctx;
    g_ob = 16;
    edit_sidecar(set_tunables);
    ck_assert_msg(sidecar_only(&ctx) == FNRT_OK, "%s", fnrt_last_error());
    ctx.type = CL_DEVICE_TYPE_ACCELERATOR;
    ctx.max_wg_size = 4096;
    ck_assert_msg(fnrt_cl_tune_init(&ctx) == FNRT_OK, "%s", fnrt_last_error());
    ck_assert_int_eq(ctx.tune[FNRT_CL_TUNE_CONV_OB], 16);
    ck_assert_msg(strstr(ctx.build_options, "-DFNRT_CONV_OB=16"), "%s", ctx.build_options);
    ctx.max_wg_size = 32;
    ck_assert_int_eq(fnrt_cl_tune_init(&ctx), FNRT_ERR_UNSUPPORTED);
    ck_assert_msg(strstr(fnrt_last_error(), "maximum work-group size is 32"), "%s",
                  fnrt_last_error());
}
END_TEST

static const char *g_kernel_drop, *g_source_edit;

static void edit_kernels(json_t *root)
{
    json_t *ks = json_object_get(root, "kernels");
    for (size_t i = 0; g_kernel_drop && i < json_array_size(ks); i++) {
        const char *n = json_string_value(json_object_get(json_array_get(ks, i), "name"));
        if (n && strcmp(n, g_kernel_drop) == 0) {
            json_array_remove(ks, i);
            break;
        }
    }
    if (g_source_edit)
        json_object_set_new(json_object_get(root, "sources"), g_source_edit,
                            json_string("0000000000000000000000000000000000000000000000000000"
                                        "000000000000"));
}

/* A kernel the runtime launches missing from the xclbin, or a kernels_cl file that differs
 * from the one the xclbin was compiled from, is refused. */
START_TEST(test_sidecar_kernels)
{
    g_kernel_drop = "fnrt_add";
    edit_sidecar(edit_kernels);
    expect_create(g_xclbin, FNRT_ERR_FORMAT, "kernel fnrt_add (kernels_cl/elementwise.cl)",
                  "not in the xclbin");
    g_kernel_drop = NULL;
    g_source_edit = "conv.cl";
    edit_sidecar(edit_kernels);
    expect_create(g_xclbin, FNRT_ERR_FORMAT, "built from a kernels_cl/conv.cl with sha256 0000",
                  "rebuild");
}
END_TEST

static void bad_uuid(json_t *root)
{
    json_object_set_new(root, "xclbin_uuid", json_string("ffffffffffffffffffffffffffffffff"));
}

static void bad_format(json_t *root)
{
    json_object_set_new(root, "format", json_string("fnrt-xclbin/0"));
}

static void bad_flow(json_t *root)
{
    json_object_set_new(root, "flow", json_string("vitis-ai"));
}

/* The checks shared with the XRT backend (io/xclbin-sidecar.c). */
START_TEST(test_sidecar_shared_checks)
{
    edit_sidecar(bad_uuid);
    expect_create(g_xclbin, FNRT_ERR_FORMAT, "xclbin_uuid ffff", NULL);
    edit_sidecar(bad_format);
    expect_create(g_xclbin, FNRT_ERR_FORMAT, "format fnrt-xclbin/0", NULL);
    edit_sidecar(bad_flow);
    expect_create(g_xclbin, FNRT_ERR_FORMAT, "flow vitis-ai", NULL);
    FILE *f = fopen(g_side, "w");
    ck_assert_ptr_nonnull(f);
    fputs("{\"format\": ", f);
    fclose(f);
    expect_create(g_xclbin, FNRT_ERR_FORMAT, "is not a JSON object", NULL);
    /* a rebuilt xclbin next to the old sidecar */
    setup();
    ck_assert_int_eq(write_xclbin(g_xclbin, 0x40), 0);
    expect_create(g_xclbin, FNRT_ERR_FORMAT, "stale sidecar", NULL);
    ck_assert_int_eq(write_xclbin(g_xclbin, 0x10), 0); /* back to the original bytes */
    expect_not_xilinx(g_xclbin);
    /* not an xclbin at all */
    char junk[4300];
    snprintf(junk, sizeof junk, "%s/junk.xclbin", g_dir);
    f = fopen(junk, "w");
    ck_assert_ptr_nonnull(f);
    fputs("not an xclbin", f);
    fclose(f);
    expect_create(junk, FNRT_ERR_FORMAT, "is not an xclbin", NULL);
    snprintf(junk, sizeof junk, "%s/absent.xclbin", g_dir);
    expect_create(junk, FNRT_ERR_IO, "cannot open xclbin", NULL);
}
END_TEST

/* fnrt_xrt_check_xclbin (for fnrt doctor) exists in every build */
START_TEST(test_check_xclbin_callable)
{
    fnrt_status st = fnrt_xrt_check_xclbin(g_xclbin, NULL);
#ifdef FNRT_HAVE_XRT
    ck_assert_int_eq(st, FNRT_ERR_FORMAT); /* a header without sections is no usable xclbin */
#else
    ck_assert_int_eq(st, FNRT_ERR_UNSUPPORTED);
    ck_assert_msg(strstr(fnrt_last_error(), "without XRT"), "%s", fnrt_last_error());
#endif
}
END_TEST

/* The XRT backend's check of the same sidecars: an OpenCL-flow one is refused ("use -b
 * opencl") for an xclbin whose HLS kernels are otherwise right (fnrt-mkxclbin's). */
START_TEST(test_xrt_refuses_opencl_flow)
{
#ifdef FNRT_HAVE_XRT
    const char *mk = getenv("FNRT_MKXCLBIN"), *py = getenv("FNRT_PYTHON");
    ck_assert_msg(mk != NULL, "FNRT_MKXCLBIN not set");
    char hls[4300], cmd[20000];
    snprintf(hls, sizeof hls, "%s/hls.xclbin", g_dir);
    snprintf(cmd, sizeof cmd, "'%s' -o '%s' >/dev/null", mk, hls);
    ck_assert_msg(system(cmd) == 0, "%s", cmd);
    ck_assert_int_eq(fnrt_xrt_check_xclbin(hls, NULL), FNRT_OK); /* its own sidecar: fine */
    const char *src = getenv("FNRT_SOURCE_DIR");
    snprintf(cmd, sizeof cmd, "cd '%s/bitstreams' && '%s' make-sidecar.py --flow opencl "
             "--design " U250 "/design.json --link '%s/cfg/opencl-link.cfg' --kernels-cl "
             "../kernels_cl --runtime ../host/src/backend/opencl/opencl-program.c --tune "
             "\"$(sed -n 's/^CL_TUNE ?= //p' '%s/cfg/opencl.mk')\" --target hw --xclbin "
             "'%s' -o '%s.json'", src, py ? py : "python3", g_dir, g_dir, hls, hls);
    ck_assert_msg(system(cmd) == 0, "%s", cmd);
    ck_assert_int_eq(fnrt_xrt_check_xclbin(hls, NULL), FNRT_ERR_UNSUPPORTED);
    ck_assert_msg(strstr(fnrt_last_error(), "says flow \"opencl\"") &&
                  strstr(fnrt_last_error(), "use -b opencl"), "%s", fnrt_last_error());
#endif
}
END_TEST

/* Writes the xclbin and the writer's two sidecars into g_dir; 77 when a tool is missing. */
static int prepare(void)
{
    const char *src = getenv("FNRT_SOURCE_DIR"), *py = getenv("FNRT_PYTHON");
    char cmd[20000];
    if (!py)
        py = "python3";
    if (!src) {
        printf("SKIP: FNRT_SOURCE_DIR not set (run through ctest)\n");
        return 77;
    }
    snprintf(cmd, sizeof cmd, "'%s' -c 'import json, hashlib' 2>/dev/null", py);
    if (system(cmd) != 0) {
        printf("SKIP: no python (%s): cannot write sidecars with bitstreams/make-sidecar.py\n",
               py);
        return 77;
    }
    char *dir = test_tmpdir();
    if (!dir)
        return 1;
    snprintf(g_dir, sizeof g_dir, "%s", dir);
    free(dir);
    snprintf(g_xclbin, sizeof g_xclbin, "%s/fnrt-cl.xclbin", g_dir);
    snprintf(g_side, sizeof g_side, "%s.json", g_xclbin);
    snprintf(g_good, sizeof g_good, "%s/good.json", g_dir);
    snprintf(g_hls, sizeof g_hls, "%s/hls.json", g_dir);
    if (write_xclbin(g_xclbin, 0x10) != 0)
        return 1;
    /* the recipe's generated configs, then the sidecars of both flows */
    snprintf(cmd, sizeof cmd, "cd '%s/bitstreams' && '%s' gen-config.py --opencl-out '%s/cfg' "
             U250 " && '%s' make-sidecar.py --flow opencl --design " U250 "/design.json "
             "--link '%s/cfg/opencl-link.cfg' --kernels-cl ../kernels_cl --runtime "
             "../host/src/backend/opencl/opencl-program.c --tune \"$(sed -n 's/^CL_TUNE ?= //p' "
             "'%s/cfg/opencl.mk')\" --target hw --xclbin '%s' -o '%s' && '%s' make-sidecar.py "
             "--design " U250 "/design.json --link " U250 "/link.cfg --hls ../hls --target hw "
             "--xclbin '%s' -o '%s'",
             src, py, g_dir, py, g_dir, g_dir, g_xclbin, g_good, py, g_xclbin, g_hls);
    if (system(cmd) != 0) {
        fprintf(stderr, "FAIL: %s\n", cmd);
        return 1;
    }
    /* the runtime compiles (and hashes) the files make-sidecar.py hashed */
    snprintf(cmd, sizeof cmd, "%s/kernels_cl", src);
    setenv("FNRT_KERNEL_DIR", cmd, 1);
    return 0;
}

int main(void)
{
    int rc = prepare();
    if (rc != 0)
        return rc;
    Suite *s = suite_create("xrt-opencl");
    TCase *tc = tcase_create("xclbin");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_xclbin_device_string);
    tcase_add_test(tc, test_xclbin_env);
    tcase_add_test(tc, test_not_an_xclbin_name);
    tcase_add_test(tc, test_sidecar_good);
    tcase_add_test(tc, test_sidecar_missing);
    tcase_add_test(tc, test_sidecar_hls);
    tcase_add_test(tc, test_sidecar_tunables);
    tcase_add_test(tc, test_tune_init_adopts);
    tcase_add_test(tc, test_sidecar_kernels);
    tcase_add_test(tc, test_sidecar_shared_checks);
    tcase_add_test(tc, test_check_xclbin_callable);
    tcase_add_test(tc, test_xrt_refuses_opencl_flow);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int n_failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    char cmd[8400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "note: could not remove %s\n", g_dir);
    return n_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
