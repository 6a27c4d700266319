/* XRT backend without hardware: XRT's noop shim (XCL_EMULATION_MODE=noop, XILINX_XRT a temp
 * folder whose lib/ links to the XRT libraries) exposes one device that loads xclbins, opens
 * kernels, allocates/syncs buffers and completes runs without computing anything.  The
 * xclbins are metadata-only ones written by fnrt-mkxclbin.  Checked: the whole host flow
 * (open, load, validate, allocate per bank, run every op, timings), a network through a
 * session, and the error paths (missing kernel, wrong argument list, missing glue kernel,
 * unreadable xclbin, no device, no xclbin).  Results are not checked: nothing computes. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/xrt/xrt-kernels.h"
#include "backend/xrt/xrt.h"
#include "fnrt/fnrt-backend.h"
#include "fnrt/fnrt.h"
#include "test-util.h"

static char *g_dir;

static char *xclbin_path(const char *name)
{
    char *p = malloc(strlen(g_dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", g_dir, name);
    return p;
}

/* Writes <dir>/<name> with fnrt-mkxclbin and the given options. */
static char *make_xclbin(const char *name, const char *opts)
{
    const char *tool = getenv("FNRT_MKXCLBIN");
    ck_assert_msg(tool != NULL, "FNRT_MKXCLBIN not set");
    char *path = xclbin_path(name);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' -o '%s' %s >/dev/null", tool, path, opts);
    ck_assert_msg(system(cmd) == 0, "%s failed", cmd);
    return path;
}

/* Checked fixture (runs in the forked child, before XRT is touched). */
static void setup(void)
{
    const char *libdir = getenv("FNRT_XRT_LIBDIR");
    ck_assert_msg(libdir != NULL, "FNRT_XRT_LIBDIR not set");
    g_dir = test_tmpdir();
    char xrt[4096], lib[4200];
    snprintf(xrt, sizeof xrt, "%s/xilinx_xrt", g_dir);
    ck_assert_int_eq(mkdir(xrt, 0755), 0);
    snprintf(lib, sizeof lib, "%s/lib", xrt);
    ck_assert_int_eq(symlink(libdir, lib), 0);
    setenv("XILINX_XRT", xrt, 1);
    setenv("XCL_EMULATION_MODE", "noop", 1);
    unsetenv("FNRT_XCLBIN");
    unsetenv("FNRT_XRT_TIMINGS");
}

static void teardown(void)
{
    free(g_dir);
}

static fnrt_shape sh3(int c, int h, int w)
{
    fnrt_shape s = { 3, { c, h, w, 0 } };
    return s;
}

static fnrt_shape sh4(int a, int b, int c, int d)
{
    fnrt_shape s = { 4, { a, b, c, d } };
    return s;
}

/* One op of each type with small shapes. */
static int make_ops(fnrt_op *ops)
{
    int n = 0;
    fnrt_op *o;
#define NEW(T, NAME, NIN) (o = &ops[n++], memset(o, 0, sizeof *o), o->type = (T), \
                           snprintf(o->name, sizeof o->name, "%s", NAME), o->n_in = (NIN))
    NEW(FNRT_OP_CONV2D, "t.conv", 4);
    o->in_shape[0] = sh3(4, 8, 8); o->in_shape[1] = sh4(6, 4, 3, 3);
    o->in_shape[2] = (fnrt_shape){ 1, { 6, 0, 0, 0 } }; o->in_shape[3] = sh3(6, 8, 8);
    o->out_shape = sh3(6, 8, 8);
    o->p.conv = (fnrt_conv_params){ 3, 3, 1, 1, FNRT_ACT_NONE, FNRT_ACT_RELU, 0, 0 };
    NEW(FNRT_OP_DECONV2D, "t.deconv", 3);
    o->in_shape[0] = sh3(4, 4, 4); o->in_shape[1] = sh4(4, 2, 4, 4);
    o->in_shape[2] = (fnrt_shape){ 1, { 2, 0, 0, 0 } };
    o->out_shape = sh3(2, 8, 8);
    o->p.conv = (fnrt_conv_params){ 4, 4, 2, 1, FNRT_ACT_NONE, FNRT_ACT_TANH, 0, 0 };
    NEW(FNRT_OP_MAXPOOL, "t.pool", 1);
    o->in_shape[0] = sh3(4, 8, 8); o->out_shape = sh3(4, 4, 4);
    o->p.pool = (fnrt_pool_params){ 2, 2, 0 };
    NEW(FNRT_OP_UPSAMPLE2X, "t.up", 1);
    o->in_shape[0] = sh3(4, 4, 4); o->out_shape = sh3(4, 8, 8);
    NEW(FNRT_OP_CONCAT, "t.cat", 2);
    o->in_shape[0] = sh3(2, 4, 4); o->in_shape[1] = sh3(4, 4, 4); o->out_shape = sh3(3, 4, 4);
    o->p.cat.stride_b = 4;
    NEW(FNRT_OP_GLOBAL_AVGPOOL, "t.gap", 1);
    o->in_shape[0] = sh3(4, 4, 4); o->out_shape = sh3(4, 1, 1);
    NEW(FNRT_OP_MODULATE, "t.mod", 2);
    o->in_shape[0] = sh4(4, 4, 3, 3); o->in_shape[1] = sh3(4, 1, 1);
    o->out_shape = sh4(4, 4, 3, 3);
    o->p.mod.scale = 0.5f; o->p.mod.eps = 1e-8f;
    NEW(FNRT_OP_GRAY, "t.gray", 1);
    o->in_shape[0] = sh3(3, 4, 4); o->out_shape = sh3(1, 4, 4);
    NEW(FNRT_OP_L2NORM, "t.l2", 1);
    o->in_shape[0] = sh3(3, 4, 4); o->out_shape = sh3(3, 4, 4);
    o->p.l2.swizzle = 1; o->p.l2.eps = 1e-12f;
    NEW(FNRT_OP_ADD, "t.add", 2);
    o->in_shape[0] = o->in_shape[1] = o->out_shape = sh3(4, 4, 4);
    o->p.add.act = FNRT_ACT_RELU;
    NEW(FNRT_OP_MAXMERGE, "t.merge", 2);
    o->in_shape[0] = o->out_shape = sh3(4, 4, 4); o->in_shape[1] = sh3(2, 4, 4);
    o->p.merge.k = 2;
#undef NEW
    return n;
}

START_TEST(test_registered)
{
    ck_assert_ptr_nonnull(fnrt_backend_find("xrt"));
    ck_assert_ptr_eq(fnrt_backend_find("xrt"), &fnrt_backend_xrt);
}
END_TEST

START_TEST(test_check_xclbin)
{
    char *all = make_xclbin("all.xclbin", "");
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    ck_assert_int_eq(fnrt_xrt_check_xclbin(all, f), FNRT_OK);
    fclose(f);
    ck_assert_msg(strstr(buf, "fnrt_conv2d          ok, 1 CU") != NULL, "%s", buf);
    ck_assert_msg(strstr(buf, "fnrt_mm2s            ok, ") != NULL, "%s", buf);
    ck_assert_msg(strstr(buf, "banks: fnrt_conv2d_1=DDR[") != NULL, "%s", buf);
    ck_assert_msg(strstr(buf, "result: ok") != NULL, "%s", buf);
    free(buf);
    ck_assert_int_eq(fnrt_xrt_check_xclbin(all, NULL), FNRT_OK);

    char *no_add = make_xclbin("no-add.xclbin", "--omit fnrt_add");
    f = open_memstream(&buf, &n);
    ck_assert_int_eq(fnrt_xrt_check_xclbin(no_add, f), FNRT_ERR_UNSUPPORTED);
    fclose(f);
    ck_assert_msg(strstr(buf, "fnrt_add             MISSING: needed by op add") != NULL, "%s",
                  buf);
    free(buf);

    char *bad = make_xclbin("bad-conv.xclbin", "--bad-args fnrt_conv2d");
    f = open_memstream(&buf, &n);
    ck_assert_int_eq(fnrt_xrt_check_xclbin(bad, f), FNRT_ERR_FORMAT);
    fclose(f);
    ck_assert_msg(strstr(buf, "fnrt_conv2d          WRONG ARGUMENTS") != NULL, "%s", buf);
    ck_assert_msg(strstr(fnrt_last_error(), "argument 0 is 'wrong_name'") != NULL, "%s",
                  fnrt_last_error());
    free(buf);
    ck_assert_int_eq(fnrt_xrt_check_xclbin("/nonexistent/x.xclbin", NULL), FNRT_ERR_IO);
    free(all);
    free(no_add);
    free(bad);
}
END_TEST

START_TEST(test_flow)
{
    /* a conv accumulator of 16 pixels: the 8-wide conv/deconv outputs run in bands of 2 rows */
    char *all = make_xclbin("all.xclbin", "--banks 3 --max-pix 16");
    const fnrt_backend_ops *be = &fnrt_backend_xrt;
    void *ctx = NULL;
    char dev[4200];
    snprintf(dev, sizeof dev, "%s:0", all);
    fnrt_status st = be->create(dev, &ctx);
    ck_assert_msg(st == FNRT_OK, "%s", fnrt_last_error());
    ck_assert_msg(strstr(be->device_name(ctx), "XRT device 0") != NULL, "%s",
                  be->device_name(ctx));

    fnrt_op ops[16];
    int n_ops = make_ops(ops);
    ck_assert_int_eq(fnrt_xrt_check_ops(ctx, ops, n_ops), FNRT_OK);
    fnrt_buf *bufs[16][FNRT_OP_MAX_IN + 1];
    for (int i = 0; i < n_ops; i++) {
        fnrt_op *o = &ops[i];
        for (int a = 0; a <= o->n_in; a++) {
            const fnrt_shape *s = a < o->n_in ? &o->in_shape[a] : &o->out_shape;
            ck_assert_int_eq(be->buf_create(ctx, s, &bufs[i][a]), FNRT_OK);
            size_t n_elems = fnrt_shape_elems(s);
            float *x = malloc(n_elems * sizeof *x);
            test_fill_uniform(x, n_elems, (uint64_t)(i * 8 + a + 1), -1.0f, 1.0f);
            if (a < o->n_in)
                ck_assert_int_eq(be->buf_write(ctx, bufs[i][a], x, n_elems), FNRT_OK);
            free(x);
        }
        ck_assert_msg(be->prepare(ctx, o, bufs[i]) == FNRT_OK, "%s", fnrt_last_error());
    }
    /* prepare packed the packed-layout memory arguments once: conv and deconv weights,
     * modulate's raw weight and style (one CU per kernel here) */
    fnrt_xrt_stats s;
    fnrt_xrt_get_stats(ctx, &s);
    ck_assert_uint_eq(s.n_packs, 4);
    /* every op twice; the second round rewrites each op's first input while the ops before
     * it may still run (an upload overlapping runs) */
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < n_ops; i++) {
            fnrt_op *o = &ops[i];
            if (round == 1) {
                size_t n_elems = fnrt_shape_elems(&o->in_shape[0]);
                float *x = calloc(n_elems, sizeof *x);
                ck_assert_int_eq(be->buf_write(ctx, bufs[i][0], x, n_elems), FNRT_OK);
                free(x);
            }
            st = be->run[o->type](ctx, o, bufs[i]);
            ck_assert_msg(st == FNRT_OK, "op %s: %s", o->name, fnrt_last_error());
        }
    /* an op without its optional inputs (conv without bias and residual) */
    fnrt_buf *nob[5] = { bufs[0][0], bufs[0][1], NULL, NULL, bufs[0][4] };
    ck_assert_int_eq(be->run[FNRT_OP_CONV2D](ctx, &ops[0], nob), FNRT_OK);
    ck_assert_int_eq(be->finish(ctx), FNRT_OK);
    for (int i = 0; i < n_ops; i++) {
        size_t n_elems = fnrt_shape_elems(&ops[i].out_shape);
        float *y = malloc(n_elems * sizeof *y);
        ck_assert_int_eq(be->buf_read(ctx, bufs[i][ops[i].n_in], y, n_elems), FNRT_OK);
        free(y);
    }
    fnrt_xrt_get_stats(ctx, &s);
    for (int t = 0; t < FNRT_OP_COUNT; t++)
        ck_assert_int_eq(s.n_runs[t], t == FNRT_OP_CONV2D ? 3 : 2);
    /* conv: conv + mm2s x + mm2s res + s2mm y; modulate: one CU; others: op + glue */
    ck_assert_uint_gt(s.n_launches, 2 * (unsigned)n_ops);
    ck_assert_uint_gt(s.n_sync_to, 0);
    ck_assert_uint_eq(s.n_sync_from, (unsigned)n_ops);
    ck_assert(s.bytes_to > 0 && s.bytes_from > 0);
    ck_assert_uint_gt(s.n_overlapped_uploads, 0);
    /* bands: conv and deconv outputs 8x8, tile_rows = min(8, 16 px / 8 px per row) = 2, so
     * 4 bands per run; conv ran 3 times, deconv twice */
    int tile_rows = 16 / 8, bands = (8 + tile_rows - 1) / tile_rows;
    ck_assert_uint_eq(s.n_bands, 3 * bands + 2 * bands);
    /* every output read back was unpacked (blocked activations; modulate: packed weight) */
    ck_assert_uint_eq(s.n_unpacks, (unsigned)n_ops);
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    fnrt_xrt_print_timings(ctx, f);
    fclose(f);
    ck_assert_msg(strstr(buf, "run  conv2d") && strstr(buf, "sync to device") &&
                  strstr(buf, "sync from device"), "%s", buf);
    fprintf(stderr, "%s", buf);
    free(buf);
    for (int i = 0; i < n_ops; i++)
        for (int a = 0; a <= ops[i].n_in; a++)
            be->buf_free(ctx, bufs[i][a]);
    be->destroy(ctx);
    free(all);
}
END_TEST

START_TEST(test_env_xclbin)
{
    char *all = make_xclbin("all.xclbin", "");
    void *ctx = NULL;
    ck_assert_int_eq(fnrt_backend_xrt.create(NULL, &ctx), FNRT_ERR_INVALID_ARG);
    ck_assert_msg(strstr(fnrt_last_error(), "FNRT_XCLBIN") != NULL, "%s", fnrt_last_error());
    setenv("FNRT_XCLBIN", all, 1);
    ck_assert_msg(fnrt_backend_xrt.create(NULL, &ctx) == FNRT_OK, "%s", fnrt_last_error());
    fnrt_backend_xrt.destroy(ctx);
    free(all);
}
END_TEST

START_TEST(test_missing_kernel)
{
    char *no_add = make_xclbin("no-add.xclbin", "--omit fnrt_add --omit fnrt_maxmerge");
    void *ctx = NULL;
    ck_assert_msg(fnrt_backend_xrt.create(no_add, &ctx) == FNRT_OK, "%s", fnrt_last_error());
    fnrt_op ops[16];
    int n_ops = make_ops(ops);
    ck_assert_int_eq(fnrt_xrt_check_ops(ctx, ops, n_ops), FNRT_ERR_UNSUPPORTED);
    ck_assert_msg(strstr(fnrt_last_error(), "lacks 2 kernels") &&
                  strstr(fnrt_last_error(), "fnrt_add (op 't.add')") &&
                  strstr(fnrt_last_error(), "fnrt_maxmerge (op 't.merge')"), "%s",
                  fnrt_last_error());
    fnrt_op *add = &ops[9];
    ck_assert_int_eq(add->type, FNRT_OP_ADD);
    ck_assert_int_eq(fnrt_backend_xrt.prepare(ctx, add, NULL), FNRT_ERR_UNSUPPORTED);
    ck_assert_msg(strstr(fnrt_last_error(), "no kernel fnrt_add, needed by op 't.add' (add)"),
                  "%s", fnrt_last_error());
    fnrt_buf *b[3];
    for (int a = 0; a < 3; a++)
        ck_assert_int_eq(fnrt_backend_xrt.buf_create(ctx, &add->out_shape, &b[a]), FNRT_OK);
    ck_assert_int_eq(fnrt_backend_xrt.run[FNRT_OP_ADD](ctx, add, b), FNRT_ERR_UNSUPPORTED);
    ck_assert_int_eq(fnrt_backend_xrt.prepare(ctx, &ops[0], NULL), FNRT_OK);
    for (int a = 0; a < 3; a++)
        fnrt_backend_xrt.buf_free(ctx, b[a]);
    fnrt_backend_xrt.destroy(ctx);
    free(no_add);
}
END_TEST

START_TEST(test_wrong_args)
{
    void *ctx = NULL;
    char *bad = make_xclbin("bad.xclbin", "--bad-args fnrt_l2norm");
    ck_assert_int_eq(fnrt_backend_xrt.create(bad, &ctx), FNRT_ERR_FORMAT);
    ck_assert_msg(strstr(fnrt_last_error(), "kernel fnrt_l2norm: argument 0 is 'wrong_name' "
                         "(stream"), "%s", fnrt_last_error());
    ck_assert_msg(strstr(fnrt_last_error(), "expected 'x' (stream-in)"), "%s",
                  fnrt_last_error());
    char *no_glue = make_xclbin("no-glue.xclbin", "--omit fnrt_s2mm");
    ck_assert_int_eq(fnrt_backend_xrt.create(no_glue, &ctx), FNRT_ERR_FORMAT);
    ck_assert_msg(strstr(fnrt_last_error(), "no kernel fnrt_s2mm"), "%s", fnrt_last_error());
    free(bad);
    free(no_glue);
}
END_TEST

START_TEST(test_unloadable)
{
    void *ctx = NULL;
    ck_assert_int_eq(fnrt_backend_xrt.create("/nonexistent/fnrt.xclbin", &ctx), FNRT_ERR_IO);
    ck_assert_msg(strstr(fnrt_last_error(), "cannot open xclbin /nonexistent/fnrt.xclbin"),
                  "%s", fnrt_last_error());
    char *junk = xclbin_path("junk.xclbin");
    FILE *f = fopen(junk, "wb");
    for (int i = 0; i < 4096; i++)
        fputc(i * 7, f);
    fclose(f);
    ck_assert_int_eq(fnrt_backend_xrt.create(junk, &ctx), FNRT_ERR_FORMAT);
    ck_assert_msg(strstr(fnrt_last_error(), "not an xclbin"), "%s", fnrt_last_error());
    /* a truncated xclbin */
    char *all = make_xclbin("all.xclbin", "");
    size_t n = 0;
    char *data = test_read_file(all, &n);
    f = fopen(junk, "wb");
    fwrite(data, 1, 600, f);
    fclose(f);
    ck_assert_int_ne(fnrt_backend_xrt.create(junk, &ctx), FNRT_OK);
    free(data);
    free(junk);
    free(all);
}
END_TEST

START_TEST(test_no_device)
{
    char *all = make_xclbin("all.xclbin", "");
    void *ctx = NULL;
    /* without XCL_EMULATION_MODE XRT looks for real cards: there are none here */
    unsetenv("XCL_EMULATION_MODE");
    ck_assert_int_eq(fnrt_backend_xrt.create(all, &ctx), FNRT_ERR_DEVICE);
    ck_assert_msg(strstr(fnrt_last_error(), "cannot open XRT device 0"), "%s",
                  fnrt_last_error());
    free(all);
}
END_TEST

/* The JSON sidecar next to the xclbin: design parameters taken from it, a missing one and
 * every kind of mismatch refused with the field named. */
START_TEST(test_sidecar)
{
    void *ctx = NULL;
    char *good = make_xclbin("good.xclbin", "--precision int8 --lanes 16");
    ck_assert_msg(fnrt_backend_xrt.create(good, &ctx) == FNRT_OK, "%s", fnrt_last_error());
    ck_assert_msg(strstr(fnrt_backend_xrt.device_name(ctx), "int8, P=16"), "%s",
                  fnrt_backend_xrt.device_name(ctx));
    fnrt_backend_xrt.destroy(ctx);

    char *q8 = make_xclbin("q8.xclbin", "--precision int8-requant");
    ck_assert_int_eq(fnrt_backend_xrt.create(q8, &ctx), FNRT_ERR_UNSUPPORTED);
    ck_assert_msg(strstr(fnrt_last_error(), "FNRT_HLS_PREC 3"), "%s", fnrt_last_error());
    free(q8);

    char *none = make_xclbin("none.xclbin", "--no-sidecar");
    ck_assert_int_eq(fnrt_backend_xrt.create(none, &ctx), FNRT_ERR_IO);
    ck_assert_msg(strstr(fnrt_last_error(), "has no sidecar") &&
                  strstr(fnrt_last_error(), "make-sidecar.py"), "%s", fnrt_last_error());

    static const struct { const char *field, *msg; } bad[] = {
        { "sha256", "xclbin_sha256" },
        { "uuid", "xclbin_uuid" },
        { "platform", "platform xilinx_u55c" },
        { "kernel", "kernel fnrt_attention is in the sidecar but not in the xclbin" },
        { "cu", "kernel fnrt_conv2d has 2 CUs in the sidecar, 1 in the xclbin" },
        { "port", "port fnrt_conv2d.w is axis in the sidecar, addressQualifier 1" },
        { "precision", "disagrees with FNRT_HLS_PREC 0" },
        { "lanes", "lanes = FNRT_HLS_P (8)" },
        { "format", "expected fnrt-xclbin/1" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char name[64], opts[64];
        snprintf(name, sizeof name, "bad-%s.xclbin", bad[i].field);
        snprintf(opts, sizeof opts, "--sidecar-bad %s", bad[i].field);
        char *x = make_xclbin(name, opts);
        ck_assert_msg(fnrt_backend_xrt.create(x, &ctx) == FNRT_ERR_FORMAT, "%s: %s",
                      bad[i].field, fnrt_last_error());
        ck_assert_msg(strstr(fnrt_last_error(), bad[i].msg), "%s: %s", bad[i].field,
                      fnrt_last_error());
        free(x);
    }
    /* a rebuilt xclbin next to the old sidecar */
    char *stale = make_xclbin("stale.xclbin", "");
    free(make_xclbin("stale.xclbin", "--omit fnrt_add --no-sidecar"));
    ck_assert_int_eq(fnrt_backend_xrt.create(stale, &ctx), FNRT_ERR_FORMAT);
    ck_assert_msg(strstr(fnrt_last_error(), "stale sidecar"), "%s", fnrt_last_error());
    /* not JSON */
    char json[4300];
    snprintf(json, sizeof json, "%s.json", good);
    FILE *f = fopen(json, "w");
    fputs("{\"format\": ", f);
    fclose(f);
    ck_assert_int_eq(fnrt_backend_xrt.create(good, &ctx), FNRT_ERR_FORMAT);
    ck_assert_msg(strstr(fnrt_last_error(), "is not a JSON object"), "%s", fnrt_last_error());
    free(stale);
    free(none);
    free(good);
}
END_TEST

/* Ops that do not fit the design the sidecar describes are refused before they run. */
START_TEST(test_design_limits)
{
    void *ctx = NULL;
    fnrt_op ops[16];
    int n_ops = make_ops(ops);
    /* a line buffer of 8 words: the 3x3 conv needs 3 rows of 8 pixels x 1 group */
    char *small_lb = make_xclbin("small-lb.xclbin", "--lb-words 8");
    ck_assert_msg(fnrt_backend_xrt.create(small_lb, &ctx) == FNRT_OK, "%s", fnrt_last_error());
    ck_assert_int_eq(fnrt_xrt_check_ops(ctx, ops, n_ops), FNRT_ERR_UNSUPPORTED);
    ck_assert_msg(strstr(fnrt_last_error(), "op 't.conv'") &&
                  strstr(fnrt_last_error(), "FNRT_HLS_LB_WORDS 8"), "%s", fnrt_last_error());
    ck_assert_int_eq(fnrt_backend_xrt.prepare(ctx, &ops[0], NULL), FNRT_ERR_UNSUPPORTED);
    fnrt_backend_xrt.destroy(ctx);
    char *small_co = make_xclbin("small-co.xclbin", "--max-co 4 --lanes 4");
    ck_assert_msg(fnrt_backend_xrt.create(small_co, &ctx) == FNRT_OK, "%s", fnrt_last_error());
    ck_assert_int_eq(fnrt_xrt_check_ops(ctx, ops, n_ops), FNRT_ERR_UNSUPPORTED);
    ck_assert_msg(strstr(fnrt_last_error(), "op 't.conv'") &&
                  strstr(fnrt_last_error(), "output channels (rounded up to P) 8 > 4 "
                         "(FNRT_HLS_MAX_CO)"), "%s", fnrt_last_error());
    fnrt_backend_xrt.destroy(ctx);
    free(small_co);
    free(small_lb);
}
END_TEST

/* A whole network through a session on the xrt backend (nothing computes under noop: the
 * flow completes and the timings are there). */
START_TEST(test_session)
{
    char *all = make_xclbin("all.xclbin", "");
    char *model_path = test_data_path("fnr2r-tiny.safetensors");
    fnrt_model *m = NULL;
    ck_assert_msg(fnrt_model_load(model_path, &m) == FNRT_OK, "%s", fnrt_last_error());
    fnrt_model_info info;
    fnrt_model_get_info(m, &info);
    size_t n = 3 * (size_t)info.input_size * (size_t)info.input_size;
    float *rgb = malloc(n * sizeof *rgb), *out = malloc(n * sizeof *out);
    test_fill_uniform(rgb, n, 5, 0.0f, 1.0f);
    fnrt_session *s = NULL;
    fnrt_session_opts opts = { 0 };
    opts.tile_rows = -1;
    setenv("FNRT_XRT_TIMINGS", "1", 1);
    fnrt_status st = fnrt_session_create_ex(m, "xrt", all, &opts, &s);
    ck_assert_msg(st == FNRT_OK, "%s", fnrt_last_error());
    ck_assert_msg(strstr(fnrt_session_device(s), "XRT device 0") != NULL, "%s",
                  fnrt_session_device(s));
    for (int i = 0; i < 2; i++) {
        st = fnrt_session_infer(s, rgb, out, NULL);
        ck_assert_msg(st == FNRT_OK, "%s", fnrt_last_error());
    }
    fnrt_session_free(s);
    /* the cross-modal network needs fnrt_add: refused at session creation */
    char *xm_path = test_data_path("crossmodal-tiny.safetensors");
    fnrt_model *xm = NULL;
    ck_assert_msg(fnrt_model_load(xm_path, &xm) == FNRT_OK, "%s", fnrt_last_error());
    char *no_add = make_xclbin("no-add.xclbin", "--omit fnrt_add");
    /* the backend's prepare() checks the ops with parameters at session creation, run()
     * every op: a parameter-less op (add) is refused at its first run */
    st = fnrt_session_create_ex(xm, "xrt", no_add, &opts, &s);
    if (st == FNRT_OK) {
        fnrt_model_get_info(xm, &info);
        size_t n_xm = 3 * (size_t)info.input_size * (size_t)info.input_size;
        float *rgb_xm = calloc(n_xm, sizeof *rgb_xm), *out_xm = malloc(n_xm * sizeof *out_xm);
        st = fnrt_session_infer(s, rgb_xm, out_xm, NULL);
        fnrt_session_free(s);
        free(rgb_xm);
        free(out_xm);
    }
    ck_assert_int_ne(st, FNRT_OK);
    ck_assert_msg(strstr(fnrt_last_error(), "no kernel fnrt_add"), "%s", fnrt_last_error());
    fnrt_model_free(xm);
    fnrt_model_free(m);
    free(rgb);
    free(out);
    free(model_path);
    free(xm_path);
    free(no_add);
    free(all);
}
END_TEST

/* The table (xrt-kernels.c) against the HLS top functions in hls/: same kernels, argument
 * names in the same order. */
START_TEST(test_table_matches_hls)
{
    const char *src = getenv("FNRT_SOURCE_DIR");
    ck_assert_ptr_nonnull(src);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cat '%s'/hls/*/*.cpp", src);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t cap = 1 << 20, n = 0;
    char *all = malloc(cap);
    size_t k;
    while ((k = fread(all + n, 1, cap - 1 - n, p)) > 0)
        n += k;
    all[n] = 0;
    pclose(p);
    int n_checked = 0;
    for (int i = 0; i < fnrt_xrt_n_kernels; i++) {
        const fnrt_xrt_kernel_desc *d = &fnrt_xrt_kernels[i];
        char head[128];
        snprintf(head, sizeof head, "extern \"C\" void %s(", d->name);
        const char *def = NULL;
        for (const char *q = all; (q = strstr(q, head)) != NULL; q++) {
            const char *close = strchr(q, ')');
            const char *after = close ? close + 1 : q;
            while (*after == ' ' || *after == '\n' || *after == '\r')
                after++;
            if (*after == '{') { /* the definition, not a test bench's declaration */
                def = q;
                break;
            }
        }
        if (!def) {
            fprintf(stderr, "note: no HLS top function %s in hls/ yet\n", d->name);
            continue;
        }
        const char *end = strchr(def, ')');
        /* signature macros (CONV_SCALARS): expand by looking the macro up */
        char sig[2048];
        size_t ln = (size_t)(end - def) - strlen(head);
        ck_assert_uint_lt(ln, sizeof sig);
        memcpy(sig, def + strlen(head), ln);
        sig[ln] = 0;
        char *mac = strstr(sig, "_SCALARS");
        if (mac) {
            char *mstart = mac;
            while (mstart > sig && mstart[-1] != ' ' && mstart[-1] != ',')
                mstart--;
            char name[64];
            snprintf(name, sizeof name, "#define %.*s", (int)(mac + 8 - mstart), mstart);
            const char *m = strstr(all, name);
            ck_assert_msg(m != NULL, "%s not found", name);
            m += strlen(name);
            const char *m_end = strstr(m, "#define");
            char body[1024];
            size_t bl = 0;
            for (const char *c = m; c < m_end && bl < sizeof body - 1; c++)
                if (*c != '\\')
                    body[bl++] = *c;
            body[bl] = 0;
            *mstart = 0;
            strncat(sig, body, sizeof sig - strlen(sig) - 1);
        }
        /* argument names: the identifier before each ',' (and the end) */
        int a = 0;
        char *save = NULL;
        /* commas inside template arguments (vec<wt_t, 512 / ...>) do not separate */
        int depth = 0;
        for (char *c = sig; *c; c++) {
            if (*c == '<')
                depth++;
            else if (*c == '>')
                depth--;
            else if (*c == ',' && depth > 0)
                *c = ';';
        }
        for (char *tok = strtok_r(sig, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            char *e = tok + strlen(tok);
            while (e > tok && !(e[-1] == '_' || (e[-1] >= 'a' && e[-1] <= 'z') ||
                                (e[-1] >= 'A' && e[-1] <= 'Z') || (e[-1] >= '0' && e[-1] <= '9')))
                e--;
            char *b = e;
            while (b > tok && (b[-1] == '_' || (b[-1] >= 'a' && b[-1] <= 'z') ||
                               (b[-1] >= 'A' && b[-1] <= 'Z') || (b[-1] >= '0' && b[-1] <= '9')))
                b--;
            /* kind: hls::stream (outputs are named y/out, hls/README.md), pointer, float, int */
            int is_stream = strstr(tok, "hls::stream") != NULL, is_ptr = strchr(tok, '*') != NULL;
            int is_float = strstr(tok, "float") != NULL;
            *e = 0;
            fnrt_xrt_arg_kind kind = is_stream ? (strcmp(b, "y") == 0 || strcmp(b, "out") == 0
                                                      ? FNRT_XRT_ARG_STREAM_OUT
                                                      : FNRT_XRT_ARG_STREAM_IN)
                                   : is_ptr   ? FNRT_XRT_ARG_MEM
                                   : is_float ? FNRT_XRT_ARG_FLOAT
                                              : FNRT_XRT_ARG_INT;
            ck_assert_msg(a >= d->n_args || kind == d->args[a].kind,
                          "%s: argument %d '%s' is %s in hls/, %s in the table", d->name, a, b,
                          fnrt_xrt_arg_kind_str(kind), fnrt_xrt_arg_kind_str(d->args[a].kind));
            ck_assert_msg(a < d->n_args, "%s: hls/ has more arguments than the table (%s)",
                          d->name, b);
            ck_assert_msg(strcmp(b, d->args[a].name) == 0,
                          "%s: argument %d is '%s' in hls/, '%s' in the table", d->name, a, b,
                          d->args[a].name);
            a++;
        }
        ck_assert_msg(a == d->n_args, "%s: %d arguments in hls/, %d in the table", d->name, a,
                      d->n_args);
        n_checked++;
    }
    ck_assert_int_ge(n_checked, 13);
    free(all);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("xrt");
    TCase *tc = tcase_create("noop");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_registered);
    tcase_add_test(tc, test_check_xclbin);
    tcase_add_test(tc, test_flow);
    tcase_add_test(tc, test_env_xclbin);
    tcase_add_test(tc, test_missing_kernel);
    tcase_add_test(tc, test_wrong_args);
    tcase_add_test(tc, test_unloadable);
    tcase_add_test(tc, test_no_device);
    tcase_add_test(tc, test_sidecar);
    tcase_add_test(tc, test_design_limits);
    tcase_add_test(tc, test_session);
    suite_add_tcase(s, tc);
    TCase *tt = tcase_create("table");
    tcase_add_test(tt, test_table_matches_hls);
    suite_add_tcase(s, tt);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int n_failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
