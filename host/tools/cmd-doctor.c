/* fnrt doctor: a preflight that says, before anything runs, whether the chosen backend and
 * device can run the chosen model, and what to do about each problem found. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "backend/opencl/opencl-internal.h" /* the OpenCL flow's xclbin check */
#include "backend/opencl/opencl.h"
#include "backend/xrt/xrt.h"
#include "cli.h"
#include "core/model.h"
#include "core/session.h"
#include "core/sha256.h"
#include "fnrt/fnrt-backend.h"
#include "io/xclbin-sidecar.h"

typedef struct doctor {
    int n_fail, n_warn;
} doctor;

static void say(doctor *d, const char *tag, const char *fix, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* tag: "ok", "info", "warn", "FAIL"; fix: what to do (NULL = nothing) */
static void say(doctor *d, const char *tag, const char *fix, const char *fmt, ...)
{
    va_list ap;
    printf("[%-4s] ", tag);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (fix)
        printf("       fix: %s\n", fix);
    if (strcmp(tag, "FAIL") == 0)
        d->n_fail++;
    else if (strcmp(tag, "warn") == 0)
        d->n_warn++;
}

static int is_file(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* Creates path (one level at a time) if missing, then writes and removes a probe file.
 * 0 ok, else errno. */
static int probe_writable(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return errno;
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return errno;
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/.fnrt-doctor-%ld", buf, (long)getpid());
    FILE *fp = fopen(probe, "wb");
    if (!fp)
        return errno;
    int bad = fputs("probe\n", fp) < 0;
    bad |= fclose(fp) != 0;
    remove(probe);
    return bad ? EIO : 0;
}

/* ---- OpenCL: ICD files, platforms, devices ---- */

static int list_icd_dir(const char *dir)
{
    DIR *dp = opendir(dir);
    if (!dp)
        return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(dp)) != NULL) {
        if (!ends_with(de->d_name, ".icd"))
            continue;
        char path[4096], lib[512] = "";
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        FILE *fp = fopen(path, "r");
        if (fp) {
            if (fgets(lib, sizeof lib, fp))
                lib[strcspn(lib, "\r\n")] = '\0';
            fclose(fp);
        }
        printf("         %s -> %s\n", path, lib[0] ? lib : "(unreadable)");
        n++;
    }
    closedir(dp);
    return n;
}

static void check_opencl(doctor *d, int needed)
{
    const char *vendors = getenv("OCL_ICD_VENDORS");
    const char *tag_missing = needed ? "FAIL" : "warn";
    int n_icd = 0;
    if (vendors && *vendors) {
        say(d, "info", NULL, "OCL_ICD_VENDORS=%s (the ICD loader reads only this)", vendors);
        n_icd = is_file(vendors) ? (printf("         %s\n", vendors), 1) : list_icd_dir(vendors);
        if (n_icd <= 0)
            say(d, tag_missing, "unset OCL_ICD_VENDORS or point it at a folder of *.icd files",
                "OCL_ICD_VENDORS names no .icd file");
    } else {
        printf("[info] OpenCL ICD files in /etc/OpenCL/vendors:\n");
        n_icd = list_icd_dir("/etc/OpenCL/vendors");
        if (n_icd <= 0)
            say(d, tag_missing,
                "install an OpenCL driver: apt-get install pocl-opencl-icd (CPU) or your GPU "
                "vendor's ICD package",
                "no OpenCL ICD files (/etc/OpenCL/vendors/*.icd)");
    }
    printf("[info] OpenCL platforms and devices (-d accepts N, P:N or part of a name):\n");
    fflush(stdout);
    if (fnrt_opencl_list_devices(stdout) != FNRT_OK)
        say(d, tag_missing,
            "install an ICD loader (ocl-icd-libopencl1) and a driver (pocl-opencl-icd); for "
            "PoCL, a writable kernel-cache folder is also needed (see below)",
            "no OpenCL platform could be listed: %s", fnrt_last_error());
}

static void check_caches(doctor *d, int needed)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    const char *pocl = getenv("POCL_CACHE_DIR"), *fnrt = getenv("FNRT_CACHE_DIR");
    char p[4096];
    if (pocl && *pocl)
        snprintf(p, sizeof p, "%s", pocl);
    else if (xdg && *xdg)
        snprintf(p, sizeof p, "%s/pocl/kcache", xdg);
    else if (home && *home)
        snprintf(p, sizeof p, "%s/.cache/pocl/kcache", home);
    else
        snprintf(p, sizeof p, "/tmp/pocl/kcache");
    int e = probe_writable(p);
    if (e == 0)
        say(d, "ok", NULL, "PoCL kernel cache %s is writable", p);
    else
        say(d, needed ? "FAIL" : "warn",
            "set POCL_CACHE_DIR to a writable folder (PoCL needs one even with "
            "POCL_KERNEL_CACHE=0: without it no device is found, or builds fail with -11)",
            "PoCL kernel cache %s is not writable: %s", p, strerror(e));
    if (fnrt && *fnrt)
        snprintf(p, sizeof p, "%s", fnrt);
    else if (xdg && *xdg)
        snprintf(p, sizeof p, "%s/fnrt", xdg);
    else if (home && *home)
        snprintf(p, sizeof p, "%s/.cache/fnrt", home);
    else
        p[0] = '\0';
    if (!p[0])
        say(d, "warn", "set FNRT_CACHE_DIR or HOME",
            "no folder for fnrt's compiled-program cache: programs are compiled every run");
    else if ((e = probe_writable(p)) == 0)
        say(d, "ok", NULL, "fnrt program cache %s is writable", p);
    else
        say(d, "warn", "set FNRT_CACHE_DIR to a writable folder",
            "fnrt program cache %s is not writable (%s): programs are compiled every run", p,
            strerror(e));
}

/* ---- XRT ---- */

/* The flow the xclbin's sidecar names ("flow": "opencl" for `make FLOW=opencl`); HLS when it
 * says so, says nothing, or there is no readable sidecar (the HLS check reports why). */
static fnrt_xclbin_flow sidecar_flow(const char *xclbin)
{
    char path[4200];
    snprintf(path, sizeof path, "%s.json", xclbin);
    json_t *root = json_load_file(path, 0, NULL);
    const char *flow = fnrt_sidecar_str(root, "flow");
    fnrt_xclbin_flow out = flow && strcmp(flow, fnrt_xclbin_flow_str(FNRT_XCLBIN_FLOW_OPENCL)) == 0
                               ? FNRT_XCLBIN_FLOW_OPENCL
                               : FNRT_XCLBIN_FLOW_HLS;
    json_decref(root);
    return out;
}

/* An OpenCL-flow xclbin (kernels_cl kernels): the OpenCL backend's own sidecar check, the one
 * it runs before any OpenCL call (sha256/uuid, flow, tunables against $FNRT_OPENCL_TUNE, its
 * kernel table, kernels_cl sha256); needs neither XRT nor the Xilinx platform.  xrt_needed:
 * -b xrt was asked for, which cannot run it. */
static void check_xclbin_opencl(doctor *d, const char *xclbin, int xrt_needed)
{
    fnrt_cl_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        say(d, "FAIL", NULL, "out of memory");
        return;
    }
    snprintf(ctx->xclbin, sizeof ctx->xclbin, "%s", xclbin);
    if (fnrt_cl_xclbin_sidecar(ctx) != FNRT_OK) {
        say(d, "FAIL", "rebuild xclbin and sidecar with `make FLOW=opencl` in bitstreams/ "
                       "(bitstreams/README.md)",
            "--xclbin %s: OpenCL-flow xclbin (sidecar flow \"opencl\"): %s", xclbin,
            fnrt_last_error());
    } else {
        printf("         platform %s, tunables", ctx->xclbin_platform);
        for (int t = 0; t < FNRT_CL_TUNE_COUNT; t++)
            printf(" %s=%d", fnrt_cl_tune_name((fnrt_cl_tunable)t), ctx->xclbin_tune[t]);
        printf("\n");
        say(d, "ok", NULL, "--xclbin %s: OpenCL-flow xclbin: its sidecar matches the file and "
                           "this runtime (every kernel of the OpenCL backend's table, kernels_cl "
                           "sha256, tunables); it runs with -b opencl -d %s on the Xilinx "
                           "platform", xclbin, xclbin);
    }
    if (xrt_needed)
        say(d, "FAIL", "use -b opencl -d FILE[:SEL], or build an HLS xclbin (`make` in "
                       "bitstreams/) for -b xrt",
            "--xclbin %s: this xclbin was built for the OpenCL flow (kernels_cl kernels): use -b "
            "opencl; -b xrt runs HLS-flow xclbins", xclbin);
    free(ctx);
}

static void check_xrt(doctor *d, int needed, const char *xclbin)
{
    const char *x = getenv("XILINX_XRT");
    const char *tag = needed ? "FAIL" : "info";
    int have_lib = 0, have_inc = 0;
    char p[4096];
    const char *libdirs[] = {"/opt/xilinx/xrt/lib", "/usr/lib/x86_64-linux-gnu", "/usr/lib",
                             "/usr/lib64"};
    if (x && *x) {
        snprintf(p, sizeof p, "%s/lib", x);
        struct stat sb;
        if (stat(p, &sb) != 0 || !S_ISDIR(sb.st_mode))
            say(d, needed ? "FAIL" : "warn",
                "source /opt/xilinx/xrt/setup.sh (or unset XILINX_XRT)",
                "XILINX_XRT=%s has no lib/ folder", x);
        else {
            snprintf(p, sizeof p, "%s/lib/libxrt_coreutil.so.2", x);
            have_lib |= is_file(p);
            snprintf(p, sizeof p, "%s/include/xrt/xrt_kernel.h", x);
            have_inc |= is_file(p);
            say(d, have_lib ? "ok" : (needed ? "FAIL" : "warn"),
                have_lib ? NULL : "reinstall XRT or point XILINX_XRT at its install folder",
                "XILINX_XRT=%s %s libxrt_coreutil.so.2", x, have_lib ? "has" : "lacks");
        }
    }
    for (size_t i = 0; i < sizeof libdirs / sizeof libdirs[0]; i++) {
        snprintf(p, sizeof p, "%s/libxrt_coreutil.so.2", libdirs[i]);
        have_lib |= is_file(p);
    }
    have_inc |= is_file("/usr/include/xrt/xrt_kernel.h") ||
                is_file("/opt/xilinx/xrt/include/xrt/xrt_kernel.h");
    if (!have_lib)
        say(d, tag, "for FPGA runs install XRT (Debian 12: apt-get install xrt / libxrt-dev, or "
                    "AMD's package into /opt/xilinx/xrt) and source its setup.sh",
            "XRT runtime (libxrt_coreutil.so.2) not found");
    else
        say(d, "ok", NULL, "XRT runtime found%s%s", have_inc ? " (headers too)" : "",
            x && *x ? "" : "; XILINX_XRT is not set (source /opt/xilinx/xrt/setup.sh for xbutil)");
    const fnrt_backend_ops *xrt = fnrt_backend_find("xrt");
    if (!xrt)
        say(d, tag, "rebuild fnrt where XRT's headers and libxrt_coreutil are found "
                    "(CMake option FNRT_WITH_XRT)",
            "this fnrt was built without the XRT backend");
    if (xclbin) {
        if (!is_file(xclbin) || access(xclbin, R_OK) != 0)
            say(d, "FAIL", "give the path of a built .xclbin (bitstreams/<platform>/)",
                "--xclbin %s: no readable file", xclbin);
        else if (sidecar_flow(xclbin) == FNRT_XCLBIN_FLOW_OPENCL)
            check_xclbin_opencl(d, xclbin, needed);
        else if (!xrt)
            say(d, "FAIL", "rebuild with XRT support to check kernels, arguments and memory "
                           "banks against the stage plan",
                "--xclbin %s: cannot be checked, XRT support not built", xclbin);
        else {
            /* kernels, argument lists, CUs and memory banks against the kernel table */
            fnrt_status st = fnrt_xrt_check_xclbin(xclbin, stdout);
            if (st == FNRT_OK)
                say(d, "ok", NULL, "--xclbin %s: every kernel of the op set present with the "
                                   "expected arguments", xclbin);
            else if (st == FNRT_ERR_UNSUPPORTED)
                say(d, "warn", "rebuild the xclbin with the missing kernels "
                               "(bitstreams/<platform>/design.json) if the model needs them",
                    "--xclbin %s: some op kernels are missing; whether this model needs them "
                    "is checked when the session below is created%s", xclbin,
                    needed ? "" : " (give -b xrt)");
            else
                say(d, "FAIL", "rebuild the xclbin from bitstreams/ (its kernels must match "
                               "hls/ and host/src/backend/xrt/xrt-kernels.c)",
                    "--xclbin %s: %s", xclbin, fnrt_last_error());
        }
    }
}

/* ---- model ---- */

static fnrt_model *check_model(doctor *d, const char *path, const char *mode)
{
    fnrt_model *m = NULL;
    fnrt_model_options mo = {mode};
    char hex[65];
    uint64_t data_bytes = 0;
    if (fnrt_safetensors_file_sha256(path, hex, &data_bytes) != FNRT_OK) {
        say(d, "FAIL", "check the path (-m) or $FNRT_MODEL", "model %s: %s", path,
            fnrt_last_error());
        return NULL;
    }
    if (fnrt_model_load_ex(path, &mo, &m) != FNRT_OK) {
        say(d, "FAIL", "re-convert the checkpoint with tools/fnrt-convert.py; the message names "
                       "the offending tensor",
            "model %s does not load: %s", path, fnrt_last_error());
        return NULL;
    }
    fnrt_model_info info;
    fnrt_model_get_info(m, &info);
    size_t n_tensors = fnrt_safetensors_count(m->st);
    say(d, "ok", NULL, "model %s: %s, mode %s, %zu tensors (dtypes, shapes, offsets and sizes "
                       "checked), %llu parameters, %llu ops, %.2f GFLOP per image",
        path, info.architecture, info.mode, n_tensors, (unsigned long long)info.n_params,
        (unsigned long long)info.n_ops, info.gflop);
    const char *want = fnrt_safetensors_meta(m->st, "data_sha256");
    if (!want)
        say(d, "warn", "re-convert with the current tools/fnrt-convert.py to record one",
            "model has no data_sha256 metadata: integrity of the %llu data bytes not checked",
            (unsigned long long)data_bytes);
    else if (strcmp(want, hex) != 0)
        say(d, "FAIL", "the file was modified or damaged after conversion: copy or convert it "
                       "again",
            "model data checksum mismatch: sha256 %s, the converter recorded %s", hex, want);
    else
        say(d, "ok", NULL, "model data sha256 %.16s... matches the converter's (%llu bytes)",
            hex, (unsigned long long)data_bytes);
    return m;
}

/* ---- the proof: a session and one inference ---- */

static void check_run(doctor *d, const fnrt_model *m, const char *backend, const char *device)
{
    fnrt_session *s = NULL;
    fnrt_model_info info;
    fnrt_model_get_info(m, &info);
    size_t n = (size_t)3 * info.input_size * info.input_size;
    float *rgb = malloc(n * sizeof(float)), *nrm = malloc(n * sizeof(float));
    if (!rgb || !nrm) {
        say(d, "FAIL", NULL, "out of memory");
        goto done;
    }
    double t0 = now_s();
    if (fnrt_session_create(m, backend, device, &s) != FNRT_OK) {
        say(d, "FAIL", strstr(fnrt_last_error(), "cannot run op")
                           ? "use a backend that has the op (-b ref runs everything), or "
                             "'fnrt infer --allow-fallback' to run on the reference backend"
                       : strcmp(backend, "xrt") == 0
                           ? "give the FPGA image: --xclbin FILE (or -d FILE[:N]), see the XRT "
                             "checks above"
                           : "pick another device ('fnrt devices'), see the checks above",
            "backend %s%s%s cannot run the model: %s", backend, device ? " device " : "",
            device ? device : "", fnrt_last_error());
        goto done;
    }
    say(d, "ok", NULL, "session on %s (created in %.2f s, kernels built or loaded)",
        fnrt_session_device(s), now_s() - t0);
    const char *name;
    printf("         stages:");
    for (int i = 0; fnrt_model_stage_info(m, i, &name, NULL, NULL); i++)
        printf(" %s", name);
    printf(" -> all on %s\n", fnrt_session_device(s));
    int sz = info.input_size;
    for (int c = 0; c < 3; c++) /* a smooth synthetic image */
        for (int y = 0; y < sz; y++)
            for (int x = 0; x < sz; x++)
                rgb[((size_t)c * sz + y) * sz + x] =
                    0.5f + 0.4f * sinf(0.05f * (float)(x + 2 * y) + (float)c);
    t0 = now_s();
    if (fnrt_session_infer(s, rgb, nrm, NULL) != FNRT_OK) {
        say(d, "FAIL", "run 'fnrt diff --devices ref,<device>' on an image to locate the layer",
            "test inference failed: %s", fnrt_last_error());
        goto done;
    }
    double dt = now_s() - t0;
    size_t plane = (size_t)sz * sz, n_bad = 0;
    for (size_t j = 0; j < plane; j++) {
        double a = nrm[j], b = nrm[plane + j], c = nrm[2 * plane + j];
        double len = sqrt(a * a + b * b + c * c);
        if (!isfinite(len) || fabs(len - 1.0) > 1e-3)
            n_bad++;
    }
    if (n_bad)
        say(d, "FAIL", "run 'fnrt diff --devices ref,<device>' on an image to locate the layer",
            "test inference gave %zu of %zu pixels that are not unit normals", n_bad, plane);
    else
        say(d, "ok", NULL, "test inference on a synthetic %dx%d image: %.3f s, unit normals",
            sz, sz, dt);
done:
    fnrt_session_free(s);
    free(rgb);
    free(nrm);
}

static void usage_doctor(FILE *f)
{
    fprintf(f,
            "usage: fnrt doctor [-m MODEL] [--mode MODE] [-b BACKEND] [-d DEVICE] "
            "[--xclbin FILE]\n"
            "\n"
            "Checks, before anything runs: OpenCL ICD files, platforms and devices; the PoCL\n"
            "and fnrt cache folders; XRT (XILINX_XRT, libxrt_coreutil) and an xclbin; the\n"
            "model file (loads, tensor shapes, the converter's data_sha256); then creates a\n"
            "session on the chosen backend/device and runs one inference on a synthetic\n"
            "image.  Each problem comes with what to do.\n"
            "\n"
            "  -m, --model FILE   model (default %s)\n"
            "  -b, --backend NAME opencl (default), ref, or xrt where built\n"
            "  -d, --device SPEC  device of the backend (as for 'fnrt infer')\n"
            "      --xclbin FILE  FPGA image to check: an HLS-flow xclbin against the XRT\n"
            "                     backend's kernels, an OpenCL-flow one (its sidecar says\n"
            "                     flow \"opencl\") as the OpenCL backend checks it\n"
            "\n"
            "exit status: 0 the chosen device ran the chosen model; 1 a problem (FAIL) was\n"
            "found; 2 usage.\n",
            default_model());
}

int fnrt_cmd_doctor(int argc, char **argv)
{
    const char *model_path = default_model(), *mode = NULL, *backend = "opencl", *device = NULL;
    const char *xclbin = NULL;
    static const struct option longopts[] = {
        {"model", required_argument, 0, 'm'},  {"mode", required_argument, 0, 'M'},
        {"backend", required_argument, 0, 'b'}, {"device", required_argument, 0, 'd'},
        {"xclbin", required_argument, 0, 'X'}, {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "m:b:d:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'm': model_path = optarg; break;
        case 'M': mode = optarg; break;
        case 'b': backend = optarg; break;
        case 'd': device = optarg; break;
        case 'X': xclbin = optarg; break;
        case 'h': usage_doctor(stdout); return 0;
        default: fprintf(stderr, "fnrt doctor: see 'fnrt doctor --help'\n"); return EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "fnrt doctor: unexpected argument '%s'\n", argv[optind]);
        return EXIT_USAGE;
    }
    doctor d = {0};
    printf("fnrt doctor: backend %s%s%s, model %s\n", backend, device ? ", device " : "",
           device ? device : "", model_path);
    if (!fnrt_backend_find(backend))
        say(&d, "FAIL", "use -b opencl or -b ref", "unknown backend '%s'", backend);
    int cl = strcmp(backend, "opencl") == 0, xrt = strcmp(backend, "xrt") == 0;
    if (xrt && xclbin && !device)
        device = xclbin; /* the XRT backend's device string is the xclbin */
    check_opencl(&d, cl);
    check_caches(&d, cl);
    check_xrt(&d, xrt, xclbin);
    fnrt_model *m = check_model(&d, model_path, mode);
    if (m && fnrt_backend_find(backend))
        check_run(&d, m, backend, device);
    fnrt_model_free(m);
    fflush(stdout);
    if (d.n_fail)
        printf("fnrt doctor: %d problem%s (FAIL above), %d warning%s: backend %s cannot be "
               "trusted to run this model yet\n",
               d.n_fail, d.n_fail == 1 ? "" : "s", d.n_warn, d.n_warn == 1 ? "" : "s", backend);
    else
        printf("fnrt doctor: ok (%d warning%s): backend %s ran the model\n", d.n_warn,
               d.n_warn == 1 ? "" : "s", backend);
    return d.n_fail ? 1 : 0;
}
