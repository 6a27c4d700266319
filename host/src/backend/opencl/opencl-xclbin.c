/* fnrt — OpenCL backend, Xilinx OpenCL flow: one xclbin (bitstreams: make FLOW=opencl) holds
 * every kernels_cl kernel and is loaded with clCreateProgramWithBinary instead of compiling the
 * sources.  The xclbin path from the device string or $FNRT_XCLBIN, its sidecar's checks and
 * tunables (before any OpenCL call), the platform check, and the program build
 * (opencl-internal.h).  The kernel, program and tuning tables stay in opencl-program.c, which
 * bitstreams/ reads them from. */
#include "backend/opencl/opencl-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "io/xclbin-sidecar.h"

fnrt_status fnrt_cl_xclbin_parse(fnrt_cl_ctx *ctx, const char *device, const char **selector,
                                 char *sel_buf, size_t n_sel_buf)
{
    const char *path = NULL;
    size_t n_path = 0;
    *selector = device;
    const char *ext = device ? strstr(device, ".xclbin") : NULL;
    if (ext && (ext[7] == '\0' || ext[7] == ':')) {
        path = device;
        n_path = (size_t)(ext + 7 - device);
        *selector = NULL;
        if (ext[7] == ':' && ext[8]) {
            snprintf(sel_buf, n_sel_buf, "%s", ext + 8);
            *selector = sel_buf;
        }
    } else if (!ext) {
        const char *env = getenv("FNRT_XCLBIN");
        if (env && *env) {
            path = env;
            n_path = strlen(env);
        }
    }
    ctx->xclbin[0] = '\0';
    if (!path)
        return FNRT_OK;
    if (n_path >= sizeof ctx->xclbin)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "opencl: xclbin path too long");
    memcpy(ctx->xclbin, path, n_path);
    ctx->xclbin[n_path] = '\0';
    return FNRT_OK;
}

/* The sidecar's "tunables" into tune: exactly the table's names, integers, valid ranges,
 * and no disagreement with a value $FNRT_OPENCL_TUNE sets. */
static fnrt_status sidecar_tunables(const char *sp, const char *xp, json_t *obj,
                                    int tune[FNRT_CL_TUNE_COUNT])
{
    if (!json_is_object(obj))
        return fnrt_error(FNRT_ERR_FORMAT, "opencl: sidecar %s has no \"tunables\" object: "
                          "the -D values the kernels of %s were compiled with are unknown",
                          sp, xp);
    for (int t = 0; t < FNRT_CL_TUNE_COUNT; t++) {
        const char *name = fnrt_cl_tune_name((fnrt_cl_tunable)t);
        json_t *v = json_object_get(obj, name);
        if (!json_is_integer(v) || json_integer_value(v) < -(1 << 30) ||
            json_integer_value(v) > (1 << 30))
            return fnrt_error(FNRT_ERR_FORMAT, "opencl: sidecar %s: tunables lack %s (or it is "
                              "not an integer): the kernels of %s were built with another "
                              "tunable set than this runtime's; rebuild with `make FLOW=opencl`",
                              sp, name, xp);
        tune[t] = (int)json_integer_value(v);
    }
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val) {
        int known = 0;
        for (int t = 0; t < FNRT_CL_TUNE_COUNT; t++)
            known |= strcmp(key, fnrt_cl_tune_name((fnrt_cl_tunable)t)) == 0;
        if (!known)
            return fnrt_error(FNRT_ERR_FORMAT, "opencl: sidecar %s: tunable %s is not one this "
                              "runtime passes (FNRT_CONV_OB, FNRT_CONV_PW, FNRT_CONV_LS, "
                              "FNRT_EW_LS, FNRT_RED_LS): the kernels of %s were built for "
                              "another runtime; rebuild with `make FLOW=opencl`", sp, key, xp);
    }
    char from[1200];
    snprintf(from, sizeof from, " in sidecar %s", sp);
    fnrt_status st = fnrt_cl_tune_validate(tune, from);
    if (st != FNRT_OK)
        return st;
    int env[FNRT_CL_TUNE_COUNT] = {0}, set[FNRT_CL_TUNE_COUNT] = {0};
    if ((st = fnrt_cl_tune_env(env, set)) != FNRT_OK)
        return st;
    for (int t = 0; t < FNRT_CL_TUNE_COUNT; t++) {
        const char *name = fnrt_cl_tune_name((fnrt_cl_tunable)t);
        if (set[t] && env[t] != tune[t])
            return fnrt_error(FNRT_ERR_INVALID_ARG, "opencl: FNRT_OPENCL_TUNE sets %s=%d but "
                              "xclbin %s was compiled with %s=%d (sidecar %s): tunables of an "
                              "xclbin are fixed at v++ time; unset it or rebuild with `make "
                              "FLOW=opencl CL_TUNE=...`", name, env[t], xp, name, tune[t], sp);
    }
    return FNRT_OK;
}

fnrt_status fnrt_cl_xclbin_sidecar(fnrt_cl_ctx *ctx)
{
    ctx->xclbin_tune_set = 0;
    if (!ctx->xclbin[0])
        return FNRT_OK;
    char sha[65];
    unsigned char uuid[16];
    const char *xp = ctx->xclbin;
    fnrt_sidecar side;
    fnrt_status st = fnrt_xclbin_file_id("opencl", xp, sha, uuid);
    if (st != FNRT_OK)
        return st;
    st = fnrt_sidecar_open("opencl", xp, sha, uuid,
                           "without it the tunables and kernel sources the xclbin was compiled "
                           "with are unknown; build xclbin and sidecar with `make FLOW=opencl` "
                           "in bitstreams/ (bitstreams/README.md)", &side);
    if (st != FNRT_OK)
        return st;
    const char *sp = side.path;
    if (side.flow != FNRT_XCLBIN_FLOW_OPENCL) {
        st = fnrt_error(FNRT_ERR_UNSUPPORTED, "opencl: sidecar %s says flow \"%s\": this xclbin "
                        "holds the HLS kernels (blocked lanes, packed weights, streams), not the "
                        "kernels_cl kernels the OpenCL backend launches: use -b xrt", sp,
                        fnrt_xclbin_flow_str(side.flow));
        goto done;
    }
    if ((st = sidecar_tunables(sp, xp, json_object_get(side.root, "tunables"),
                               ctx->xclbin_tune)) != FNRT_OK)
        goto done;
    /* every kernel the backend may launch, from the file the runtime has it in */
    json_t *kernels = json_object_get(side.root, "kernels");
    if (!json_is_array(kernels)) {
        st = fnrt_error(FNRT_ERR_FORMAT, "opencl: sidecar %s: \"kernels\" is not a list", sp);
        goto done;
    }
    for (int k = 0; k < FNRT_CL_K_COUNT; k++) {
        const char *name = fnrt_cl_kernel_name((fnrt_cl_kern)k);
        const char *want_src = fnrt_cl_prog_file(fnrt_cl_kernel_prog((fnrt_cl_kern)k));
        const char *src = NULL;
        int found = 0;
        for (size_t j = 0; j < json_array_size(kernels) && !found; j++) {
            json_t *e = json_array_get(kernels, j);
            const char *n = fnrt_sidecar_str(e, "name");
            if (n && strcmp(n, name) == 0) {
                found = 1;
                src = fnrt_sidecar_str(e, "source");
            }
        }
        if (!found || !src || strcmp(src, want_src) != 0) {
            st = fnrt_error(FNRT_ERR_FORMAT, "opencl: sidecar %s: kernel %s (kernels_cl/%s), "
                            "which this runtime launches, is %s: rebuild xclbin %s with `make "
                            "FLOW=opencl`", sp, name, want_src,
                            !found ? "not in the xclbin" : "built from another source file",
                            xp);
            goto done;
        }
    }
    /* the kernel sources: the same text the runtime would compile (argument lists, layouts) */
    json_t *sources = json_object_get(side.root, "sources");
    for (int p = 0; p < FNRT_CL_PROG_COUNT; p++) {
        char hex[65];
        const char *file = fnrt_cl_prog_file((fnrt_cl_prog)p);
        const char *have = fnrt_sidecar_str(sources, file);
        if ((st = fnrt_cl_source_sha256((fnrt_cl_prog)p, hex)) != FNRT_OK)
            goto done;
        if (!have || strcmp(have, hex) != 0) {
            st = fnrt_error(FNRT_ERR_FORMAT, "opencl: sidecar %s: xclbin %s was built from a "
                            "kernels_cl/%s with sha256 %s, this runtime's is %s: its kernels' "
                            "arguments may differ; rebuild with `make FLOW=opencl`", sp, xp,
                            file, have ? have : "(none)", hex);
            goto done;
        }
    }
    snprintf(ctx->xclbin_platform, sizeof ctx->xclbin_platform, "%s", side.platform);
    ctx->xclbin_tune_set = 1;
done:
    fnrt_sidecar_close(&side);
    return st;
}

fnrt_status fnrt_cl_xclbin_check(fnrt_cl_ctx *ctx)
{
    if (!ctx->xclbin[0])
        return FNRT_OK;
    char name[256] = "", vendor[256] = "";
    clGetPlatformInfo(ctx->platform, CL_PLATFORM_NAME, sizeof name - 1, name, NULL);
    clGetPlatformInfo(ctx->platform, CL_PLATFORM_VENDOR, sizeof vendor - 1, vendor, NULL);
    if (!strstr(name, "Xilinx") && !strstr(vendor, "Xilinx"))
        return fnrt_error(FNRT_ERR_UNSUPPORTED,
                          "opencl: xclbin %s given (device string or FNRT_XCLBIN) but the "
                          "selected OpenCL platform is '%s' (%s), not Xilinx: an xclbin runs only "
                          "on the Xilinx platform (XRT); select its device, or use -b xrt",
                          ctx->xclbin, name, vendor);
    FILE *f = fopen(ctx->xclbin, "rb");
    if (!f)
        return fnrt_error(FNRT_ERR_IO, "opencl: cannot open xclbin %s: %s", ctx->xclbin,
                          strerror(errno));
    fclose(f);
    size_t used = strlen(ctx->name);
    snprintf(ctx->name + used, sizeof ctx->name - used, ", xclbin %s (%s)", ctx->xclbin,
             ctx->xclbin_platform);
    return FNRT_OK;
}

fnrt_status fnrt_cl_xclbin_build(fnrt_cl_ctx *ctx, fnrt_cl_prog pi)
{
    for (int p = 0; p < FNRT_CL_PROG_COUNT; p++)
        if (ctx->programs[p]) { /* loaded already */
            clRetainProgram(ctx->programs[p]);
            ctx->programs[pi] = ctx->programs[p];
            return FNRT_OK;
        }
    fnrt_status st = FNRT_OK;
    cl_program prog = NULL;
    size_t n_bin = 0;
    unsigned char *bin = NULL;
    FILE *f = fopen(ctx->xclbin, "rb");
    if (!f)
        return fnrt_error(FNRT_ERR_IO, "opencl: cannot open xclbin %s: %s", ctx->xclbin,
                          strerror(errno));
    long len = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (len <= 0 || fseek(f, 0, SEEK_SET) != 0) {
        st = fnrt_error(FNRT_ERR_IO, "opencl: cannot read xclbin %s", ctx->xclbin);
        goto done;
    }
    n_bin = (size_t)len;
    bin = malloc(n_bin);
    if (!bin || fread(bin, 1, n_bin, f) != n_bin) {
        st = fnrt_error(bin ? FNRT_ERR_IO : FNRT_ERR_NOMEM, "opencl: cannot read xclbin %s",
                        ctx->xclbin);
        goto done;
    }
    const unsigned char *bp = bin;
    cl_int bin_status = CL_SUCCESS, err = CL_SUCCESS;
    prog = clCreateProgramWithBinary(ctx->context, 1, &ctx->device, &n_bin, &bp, &bin_status,
                                     &err);
    if (!prog || err != CL_SUCCESS || bin_status != CL_SUCCESS) {
        st = fnrt_error(FNRT_ERR_DEVICE, "opencl: clCreateProgramWithBinary(%s): %s (%d), "
                        "binary status %d", ctx->xclbin, fnrt_cl_error_name(err), (int)err,
                        (int)bin_status);
        goto done;
    }
    err = clBuildProgram(prog, 1, &ctx->device, "", NULL, NULL);
    if (err != CL_SUCCESS) {
        st = fnrt_cl_build_failure(ctx, prog, err, ctx->xclbin);
        goto done;
    }
    ctx->programs[pi] = prog;
    prog = NULL;
done:
    if (prog)
        clReleaseProgram(prog);
    free(bin);
    fclose(f);
    return st;
}
