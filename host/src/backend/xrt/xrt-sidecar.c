/* fnrt — XRT backend: reading and checking an xclbin's JSON sidecar (xrt-sidecar.h). */
#ifdef FNRT_HAVE_XRT
#include "backend/xrt/xrt-sidecar.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "io/xclbin-sidecar.h"

#define MISMATCH(...) fnrt_error(FNRT_ERR_FORMAT, __VA_ARGS__)

/* "xilinx_u250_gen3x16_xdma_4_1_202210_1" -> "xilinx_u250" */
static void board_of(const char *platform, char *out, size_t n_out)
{
    snprintf(out, n_out, "%s", platform);
    char *u = strchr(out, '_');
    if (u && (u = strchr(u + 1, '_')))
        *u = 0;
}

static int hls_int(json_t *hls, const char *key, int def, int *out)
{
    json_t *v = json_object_get(hls, key);
    if (!v) {
        *out = def;
        return def >= 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > (1 << 30))
        return 0;
    *out = (int)json_integer_value(v);
    return 1;
}

static int port_aq(const char *kind)
{
    if (strcmp(kind, "axis") == 0)
        return 4;
    if (strcmp(kind, "m_axi") == 0)
        return 1;
    if (strcmp(kind, "scalar") == 0)
        return 0;
    return -1;
}

static fnrt_status check_kernels(const char *sp, const char *xp, json_t *kernels,
                                 const fnrt_xclbin *x)
{
    if (!json_is_array(kernels))
        return MISMATCH("XRT backend: sidecar %s: \"kernels\" is not a list", sp);
    /* every xclbin kernel listed */
    for (int i = 0; i < x->n_kernels; i++) {
        int found = 0;
        for (size_t j = 0; j < json_array_size(kernels) && !found; j++) {
            const char *n = fnrt_sidecar_str(json_array_get(kernels, j), "name");
            found = n && strcmp(n, x->kernels[i].name) == 0;
        }
        if (!found)
            return MISMATCH("XRT backend: sidecar %s does not match xclbin %s: kernel %s of the "
                            "xclbin is not in the sidecar", sp, xp, x->kernels[i].name);
    }
    for (size_t j = 0; j < json_array_size(kernels); j++) {
        json_t *k = json_array_get(kernels, j);
        const char *name = fnrt_sidecar_str(k, "name");
        json_t *cus = json_object_get(k, "cus"), *ports = json_object_get(k, "ports");
        if (!name || !json_is_array(cus) || !json_is_object(ports))
            return MISMATCH("XRT backend: sidecar %s: kernel entry %zu lacks name, cus or ports",
                            sp, j);
        const fnrt_xclbin_kernel *have = fnrt_xclbin_find_kernel(x, name);
        if (!have)
            return MISMATCH("XRT backend: sidecar %s does not match xclbin %s: kernel %s is in "
                            "the sidecar but not in the xclbin", sp, xp, name);
        int n_have = 0;
        for (int c = 0; c < x->n_cus; c++)
            if (strcmp(x->cus[c].kernel, name) == 0) {
                n_have++;
                int found = 0;
                for (size_t u = 0; u < json_array_size(cus) && !found; u++) {
                    json_t *cu = json_array_get(cus, u);
                    found = json_is_string(cu) &&
                            strcmp(json_string_value(cu), x->cus[c].name) == 0;
                }
                if (!found)
                    return MISMATCH("XRT backend: sidecar %s does not match xclbin %s: CU %s of "
                                    "kernel %s is not in the sidecar", sp, xp, x->cus[c].name,
                                    name);
            }
        if ((size_t)n_have != json_array_size(cus))
            return MISMATCH("XRT backend: sidecar %s does not match xclbin %s: kernel %s has %zu "
                            "CUs in the sidecar, %d in the xclbin", sp, xp, name,
                            json_array_size(cus), n_have);
        const char *pname;
        json_t *pkind;
        json_object_foreach(ports, pname, pkind) {
            int aq = json_is_string(pkind) ? port_aq(json_string_value(pkind)) : -1;
            const fnrt_xclbin_arg *arg = NULL;
            for (int a = 0; a < have->n_args && !arg; a++)
                if (strcmp(have->args[a].name, pname) == 0)
                    arg = &have->args[a];
            if (!arg)
                return MISMATCH("XRT backend: sidecar %s does not match xclbin %s: port %s.%s "
                                "is not an argument in the xclbin", sp, xp, name, pname);
            if (aq != arg->address_qualifier)
                return MISMATCH("XRT backend: sidecar %s does not match xclbin %s: port %s.%s "
                                "is %s in the sidecar, addressQualifier %d in the xclbin", sp,
                                xp, name, pname,
                                json_is_string(pkind) ? json_string_value(pkind) : "?",
                                arg->address_qualifier);
        }
    }
    return FNRT_OK;
}

fnrt_status fnrt_xrt_sidecar_load(const char *xclbin_path, const fnrt_xclbin *x,
                                  fnrt_xrt_sidecar *out)
{
    fnrt_status st = FNRT_OK;
    fnrt_sidecar side;
    memset(out, 0, sizeof *out);
    const char *xp = xclbin_path;
    /* format, xclbin_sha256, xclbin_uuid, flow, platform (io/xclbin-sidecar.c) */
    st = fnrt_sidecar_open("XRT backend", xclbin_path, x->sha256, x->uuid,
                           "without it the kernels' precision and lane count are unknown; "
                           "write it with bitstreams/make-sidecar.py", &side);
    snprintf(out->path, sizeof out->path, "%s", side.path);
    if (st != FNRT_OK)
        return st;
    json_t *root = side.root;
    const char *sp = out->path;
    if (side.flow != FNRT_XCLBIN_FLOW_HLS) {
        st = fnrt_error(FNRT_ERR_UNSUPPORTED, "XRT backend: sidecar %s says flow \"%s\": this "
                        "xclbin holds the kernels_cl OpenCL kernels (float CHW buffers, built "
                        "with `make FLOW=opencl`), not the HLS kernels this backend packs data "
                        "for: use -b opencl", sp, fnrt_xclbin_flow_str(side.flow));
        goto done;
    }
    snprintf(out->platform, sizeof out->platform, "%s", side.platform);
    snprintf(out->target, sizeof out->target, "%s", side.target);
    const char *plat = side.platform;
    if (x->vbnv[0]) {
        char a[128], b[128];
        board_of(plat, a, sizeof a);
        board_of(x->vbnv, b, sizeof b);
        if (strcmp(a, b) != 0) {
            st = MISMATCH("XRT backend: sidecar %s does not match xclbin %s: platform %s (card "
                          "%s), the xclbin's platform is %s (card %s)", sp, xp, plat, a, x->vbnv,
                          b);
            goto done;
        }
    }
    json_t *hls = json_object_get(root, "hls");
    fnrt_xrt_design *d = &out->design;
    fnrt_xrt_design_default(d);
    int prec = -1;
    if (!json_is_object(hls) || !hls_int(hls, "FNRT_HLS_PREC", -1, &prec) ||
        !hls_int(hls, "FNRT_HLS_P", -1, &d->p) ||
        !hls_int(hls, "FNRT_HLS_MAX_WC", d->max_wc, &d->max_wc) ||
        !hls_int(hls, "FNRT_HLS_MAX_PIX", d->max_pix, &d->max_pix) ||
        !hls_int(hls, "FNRT_HLS_LB_WORDS", d->p > 0 ? 12 * d->max_wc / d->p : -1, &d->lb_words) ||
        !hls_int(hls, "FNRT_HLS_MAX_CO", d->max_co, &d->max_co) ||
        !hls_int(hls, "FNRT_HLS_MAX_W", d->max_w, &d->max_w) ||
        !hls_int(hls, "FNRT_HLS_MAX_C", d->max_c, &d->max_c)) {
        st = MISMATCH("XRT backend: sidecar %s: \"hls\" must give FNRT_HLS_PREC and FNRT_HLS_P "
                      "(and any other FNRT_HLS_* parameter) as integers", sp);
        goto done;
    }
    if (prec == 3) {
        st = fnrt_error(FNRT_ERR_UNSUPPORTED, "XRT backend: sidecar %s: FNRT_HLS_PREC 3 "
                        "(requantising int8 with per-channel weight scales) needs per-tensor "
                        "activation scales the runtime does not have yet, and so far only the "
                        "HLS conv engine implements it", sp);
        goto done;
    }
    if (prec < 0 || prec > 2 || d->p < 1 || d->p > 64 || (prec == 2 && d->p % 2) ||
        d->max_pix < 1 || d->lb_words < 1 || d->max_co < 1 || d->max_wc < d->p || d->max_c < 1) {
        st = MISMATCH("XRT backend: sidecar %s: impossible design parameters (FNRT_HLS_PREC %d, "
                      "FNRT_HLS_P %d, MAX_PIX %d, LB_WORDS %d, MAX_CO %d, MAX_WC %d)", sp, prec,
                      d->p, d->max_pix, d->lb_words, d->max_co, d->max_wc);
        goto done;
    }
    d->prec = (fnrt_xrt_prec)prec;
    const char *pstr = fnrt_sidecar_str(root, "precision");
    if (!pstr || strcmp(pstr, fnrt_xrt_prec_str(d->prec)) != 0) {
        st = MISMATCH("XRT backend: sidecar %s: precision %s disagrees with FNRT_HLS_PREC %d (%s)",
                      sp, pstr ? pstr : "(none)", prec, fnrt_xrt_prec_str(d->prec));
        goto done;
    }
    json_t *lay = json_object_get(root, "layout");
    const char *acts = fnrt_sidecar_str(lay, "activations");
    const char *wts = fnrt_sidecar_str(lay, "weights");
    json_t *lanes = json_object_get(lay, "lanes");
    if (!acts || strcmp(acts, "blocked") != 0 || !wts || strcmp(wts, "packed-steps") != 0 ||
        !json_is_integer(lanes) || json_integer_value(lanes) != d->p) {
        st = MISMATCH("XRT backend: sidecar %s: layout must be blocked activations with lanes = "
                      "FNRT_HLS_P (%d) and packed-steps weights, the layouts this runtime packs",
                      sp, d->p);
        goto done;
    }
    st = check_kernels(sp, xp, json_object_get(root, "kernels"), x);
done:
    fnrt_sidecar_close(&side);
    return st;
}
#else
typedef int fnrt_xrt_sidecar_unused;
#endif
