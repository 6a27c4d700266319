/* fnrt — the shared part of reading an xclbin's JSON sidecar (xclbin-sidecar.h). */
#include "io/xclbin-sidecar.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/sha256.h"

#define MISMATCH(...) fnrt_error(FNRT_ERR_FORMAT, __VA_ARGS__)

const char *fnrt_xclbin_flow_str(fnrt_xclbin_flow flow)
{
    return flow == FNRT_XCLBIN_FLOW_OPENCL ? "opencl" : "hls";
}

const char *fnrt_sidecar_str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

fnrt_status fnrt_xclbin_file_id(const char *who, const char *xclbin_path, char sha256[65],
                                unsigned char uuid[16])
{
    fnrt_status st = FNRT_OK;
    unsigned char buf[65536], head[FNRT_AXLF_UUID_OFFSET + 16];
    size_t n_head = 0;
    fnrt_sha256 c;
    FILE *f = fopen(xclbin_path, "rb");
    if (!f)
        return fnrt_error(FNRT_ERR_IO, "%s: cannot open xclbin %s: %s", who, xclbin_path,
                          strerror(errno));
    fnrt_sha256_init(&c);
    for (;;) {
        size_t got = fread(buf, 1, sizeof buf, f);
        if (n_head < sizeof head) {
            size_t take = got < sizeof head - n_head ? got : sizeof head - n_head;
            memcpy(head + n_head, buf, take);
            n_head += take;
        }
        fnrt_sha256_update(&c, buf, got);
        if (got < sizeof buf)
            break;
    }
    if (ferror(f)) {
        st = fnrt_error(FNRT_ERR_IO, "%s: cannot read xclbin %s", who, xclbin_path);
        goto done;
    }
    if (n_head < sizeof head || memcmp(head, "xclbin2", 8) != 0) {
        st = fnrt_error(FNRT_ERR_FORMAT, "%s: %s is not an xclbin (%s)", who, xclbin_path,
                        n_head < sizeof head ? "shorter than the axlf header"
                                             : "no xclbin2 magic");
        goto done;
    }
    uint8_t digest[32];
    fnrt_sha256_final(&c, digest);
    for (int i = 0; i < 32; i++)
        snprintf(sha256 + 2 * i, 3, "%02x", digest[i]);
    memcpy(uuid, head + FNRT_AXLF_UUID_OFFSET, 16);
done:
    fclose(f);
    return st;
}

void fnrt_sidecar_close(fnrt_sidecar *s)
{
    if (!s)
        return;
    json_decref(s->root);
    s->root = NULL;
}

fnrt_status fnrt_sidecar_open(const char *who, const char *xclbin_path, const char *sha256,
                              const unsigned char *uuid, const char *missing_hint,
                              fnrt_sidecar *out)
{
    fnrt_status st = FNRT_OK;
    json_t *root = NULL;
    const char *xp = xclbin_path, *sp = out->path;
    memset(out, 0, sizeof *out);
    if (snprintf(out->path, sizeof out->path, "%s.json", xclbin_path) >= (int)sizeof out->path)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "%s: xclbin path too long", who);
    FILE *f = fopen(sp, "rb");
    if (!f)
        return fnrt_error(FNRT_ERR_IO, "%s: xclbin %s has no sidecar %s (%s): %s", who, xp, sp,
                          strerror(errno), missing_hint);
    json_error_t je;
    root = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
    fclose(f);
    if (!root || !json_is_object(root)) {
        st = fnrt_error(FNRT_ERR_FORMAT, "%s: sidecar %s is not a JSON object (%s, line %d)", who,
                        sp, root ? "not an object" : je.text, root ? 0 : je.line);
        goto done;
    }
    const char *fmt = fnrt_sidecar_str(root, "format");
    if (!fmt || strcmp(fmt, "fnrt-xclbin/1") != 0) {
        st = MISMATCH("%s: sidecar %s: format %s, expected fnrt-xclbin/1", who, sp,
                      fmt ? fmt : "(none)");
        goto done;
    }
    const char *sha = fnrt_sidecar_str(root, "xclbin_sha256");
    if (!sha) {
        st = MISMATCH("%s: sidecar %s has no xclbin_sha256: it cannot vouch for xclbin %s", who,
                      sp, xp);
        goto done;
    }
    if (strcmp(sha, sha256) != 0) {
        st = MISMATCH("%s: sidecar %s does not match xclbin %s: xclbin_sha256 %s, the file's "
                      "sha256 is %s (rebuilt xclbin, stale sidecar?)", who, sp, xp, sha, sha256);
        goto done;
    }
    const char *side_uuid = fnrt_sidecar_str(root, "xclbin_uuid");
    if (side_uuid && uuid) {
        char hex[33];
        for (int i = 0; i < 16; i++)
            snprintf(hex + 2 * i, 3, "%02x", uuid[i]);
        if (strcmp(side_uuid, hex) != 0) {
            st = MISMATCH("%s: sidecar %s does not match xclbin %s: xclbin_uuid %s, the "
                          "xclbin's is %s", who, sp, xp, side_uuid, hex);
            goto done;
        }
    }
    json_t *flow = json_object_get(root, "flow");
    if (!flow || (json_is_string(flow) && strcmp(json_string_value(flow), "hls") == 0)) {
        out->flow = FNRT_XCLBIN_FLOW_HLS;
    } else if (json_is_string(flow) && strcmp(json_string_value(flow), "opencl") == 0) {
        out->flow = FNRT_XCLBIN_FLOW_OPENCL;
    } else {
        st = MISMATCH("%s: sidecar %s: flow %s, expected \"hls\" or \"opencl\"", who, sp,
                      json_is_string(flow) ? json_string_value(flow) : "(not a string)");
        goto done;
    }
    const char *plat = fnrt_sidecar_str(root, "platform"), *target;
    if (!plat || !*plat) {
        st = MISMATCH("%s: sidecar %s has no platform", who, sp);
        goto done;
    }
    target = fnrt_sidecar_str(root, "target");
    snprintf(out->platform, sizeof out->platform, "%s", plat);
    snprintf(out->target, sizeof out->target, "%s", target ? target : "?");
    out->root = root;
    root = NULL;
done:
    json_decref(root);
    return st;
}
