/* OpenCL platform/device enumeration, device selection and the device listing. */
#include "backend/opencl/opencl-internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef struct cl_dev_entry {
    cl_platform_id platform;
    cl_device_id device;
    int platform_index, device_index;
    cl_device_type type;
    char platform_name[256];
    char device_name[256];
} cl_dev_entry;

static void platform_str(cl_platform_id p, cl_platform_info what, char *buf, size_t n)
{
    buf[0] = '\0';
    if (clGetPlatformInfo(p, what, n, buf, NULL) != CL_SUCCESS)
        snprintf(buf, n, "?");
    buf[n - 1] = '\0';
}

static void device_str(cl_device_id d, cl_device_info what, char *buf, size_t n)
{
    buf[0] = '\0';
    if (clGetDeviceInfo(d, what, n, buf, NULL) != CL_SUCCESS)
        snprintf(buf, n, "?");
    buf[n - 1] = '\0';
}

static cl_ulong device_ulong(cl_device_id d, cl_device_info what)
{
    cl_ulong v = 0;
    if (clGetDeviceInfo(d, what, sizeof v, &v, NULL) != CL_SUCCESS)
        return 0;
    return v;
}

static const char *type_str(cl_device_type t)
{
    if (t & CL_DEVICE_TYPE_GPU)
        return "GPU";
    if (t & CL_DEVICE_TYPE_ACCELERATOR)
        return "accelerator";
    if (t & CL_DEVICE_TYPE_CPU)
        return "CPU";
    return "other";
}

/* All devices of all platforms, in platform order.  *out is malloc'ed (may be NULL when
 * *n_out is 0 and the return is an error). */
static fnrt_status enumerate(cl_dev_entry **out, int *n_out)
{
    fnrt_status st = FNRT_OK;
    cl_platform_id *plats = NULL;
    cl_dev_entry *ents = NULL;
    cl_uint n_plat = 0;
    int n = 0, cap = 0;
    char first_err[160] = "";

    *out = NULL;
    *n_out = 0;
    cl_int err = clGetPlatformIDs(0, NULL, &n_plat);
    if (err == -1001 /* CL_PLATFORM_NOT_FOUND_KHR */ || (err == CL_SUCCESS && n_plat == 0)) {
        st = fnrt_error(FNRT_ERR_DEVICE, "opencl: no OpenCL platform found (%s (%d)); is an "
                        "ICD such as pocl-opencl-icd installed and registered in "
                        "/etc/OpenCL/vendors?", fnrt_cl_error_name(err), (int)err);
        goto done;
    }
    if (err != CL_SUCCESS) {
        st = fnrt_cl_fail(err, "clGetPlatformIDs");
        goto done;
    }
    plats = calloc(n_plat, sizeof *plats);
    if (!plats) {
        st = fnrt_error(FNRT_ERR_NOMEM, "opencl: out of memory");
        goto done;
    }
    err = clGetPlatformIDs(n_plat, plats, NULL);
    if (err != CL_SUCCESS) {
        st = fnrt_cl_fail(err, "clGetPlatformIDs");
        goto done;
    }
    for (cl_uint p = 0; p < n_plat; p++) {
        cl_uint n_dev = 0;
        err = clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, 0, NULL, &n_dev);
        if (err != CL_SUCCESS || n_dev == 0) {
            if (err != CL_SUCCESS && !first_err[0])
                snprintf(first_err, sizeof first_err, "; clGetDeviceIDs on platform %u: %s (%d)",
                         p, fnrt_cl_error_name(err), (int)err);
            continue;
        }
        cl_device_id *devs = calloc(n_dev, sizeof *devs);
        if (!devs) {
            st = fnrt_error(FNRT_ERR_NOMEM, "opencl: out of memory");
            goto done;
        }
        err = clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, n_dev, devs, NULL);
        if (err != CL_SUCCESS) {
            free(devs);
            continue;
        }
        for (cl_uint d = 0; d < n_dev; d++) {
            if (n == cap) {
                int ncap = cap ? 2 * cap : 8;
                cl_dev_entry *ne = realloc(ents, (size_t)ncap * sizeof *ne);
                if (!ne) {
                    free(devs);
                    st = fnrt_error(FNRT_ERR_NOMEM, "opencl: out of memory");
                    goto done;
                }
                ents = ne;
                cap = ncap;
            }
            cl_dev_entry *e = &ents[n++];
            memset(e, 0, sizeof *e);
            e->platform = plats[p];
            e->device = devs[d];
            e->platform_index = (int)p;
            e->device_index = (int)d;
            if (clGetDeviceInfo(devs[d], CL_DEVICE_TYPE, sizeof e->type, &e->type, NULL) !=
                CL_SUCCESS)
                e->type = CL_DEVICE_TYPE_DEFAULT;
            platform_str(plats[p], CL_PLATFORM_NAME, e->platform_name, sizeof e->platform_name);
            device_str(devs[d], CL_DEVICE_NAME, e->device_name, sizeof e->device_name);
        }
        free(devs);
    }
    if (n == 0) {
        st = fnrt_error(FNRT_ERR_DEVICE,
                        "opencl: %u platform(s) but no device%s (with PoCL, CL_DEVICE_NOT_FOUND "
                        "also means its kernel cache folder $POCL_CACHE_DIR, else "
                        "~/.cache/pocl/kcache, cannot be created)",
                        (unsigned)n_plat, first_err);
        goto done;
    }
    *out = ents;
    *n_out = n;
    ents = NULL;
done:
    free(ents);
    free(plats);
    return st;
}

/* Parses a decimal number filling the whole string; -1 if it is not one. */
static long parse_index(const char *s, size_t len)
{
    if (len == 0 || len > 9)
        return -1;
    long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int contains_nocase(const char *hay, const char *needle)
{
    size_t nh = strlen(hay), nn = strlen(needle);
    for (size_t i = 0; i + nn <= nh; i++) {
        size_t j = 0;
        while (j < nn && tolower((unsigned char)hay[i + j]) == tolower((unsigned char)needle[j]))
            j++;
        if (j == nn)
            return 1;
    }
    return 0;
}

static int find_device(const cl_dev_entry *ents, int n, const char *sel)
{
    if (!sel || !*sel) {
        for (int i = 0; i < n; i++)
            if (ents[i].type & (CL_DEVICE_TYPE_GPU | CL_DEVICE_TYPE_ACCELERATOR))
                return i;
        return 0;
    }
    size_t len = strlen(sel);
    long idx = parse_index(sel, len);
    if (idx >= 0)
        return idx < n ? (int)idx : -1;
    const char *colon = strchr(sel, ':');
    if (colon) {
        long pi = parse_index(sel, (size_t)(colon - sel));
        long di = parse_index(colon + 1, strlen(colon + 1));
        if (pi >= 0 && di >= 0) {
            for (int i = 0; i < n; i++)
                if (ents[i].platform_index == pi && ents[i].device_index == di)
                    return i;
            return -1;
        }
    }
    for (int i = 0; i < n; i++) {
        char full[520];
        snprintf(full, sizeof full, "%s %s", ents[i].platform_name, ents[i].device_name);
        if (contains_nocase(full, sel))
            return i;
    }
    return -1;
}

fnrt_status fnrt_cl_select_device(fnrt_cl_ctx *ctx, const char *selector)
{
    cl_dev_entry *ents = NULL;
    int n = 0;
    fnrt_status st = enumerate(&ents, &n);
    if (st != FNRT_OK)
        return st;
    int pick = find_device(ents, n, selector);
    if (pick < 0) {
        char list[1500];
        size_t used = 0;
        list[0] = '\0';
        for (int i = 0; i < n && used + 1 < sizeof list; i++) {
            int w = snprintf(list + used, sizeof list - used, "%s%d (%d:%d) %s / %s",
                             i ? "; " : "", i, ents[i].platform_index, ents[i].device_index,
                             ents[i].platform_name, ents[i].device_name);
            if (w < 0)
                break;
            used += (size_t)w;
        }
        st = fnrt_error(FNRT_ERR_INVALID_ARG,
                        "opencl: no device matches '%s' (use N, P:N or part of the platform/"
                        "device name); devices found: %s",
                        selector, list);
        free(ents);
        return st;
    }
    const cl_dev_entry *e = &ents[pick];
    ctx->platform = e->platform;
    ctx->device = e->device;
    ctx->type = e->type;

    char dev_version[128], driver[128], plat_version[128];
    device_str(e->device, CL_DEVICE_VERSION, dev_version, sizeof dev_version);
    device_str(e->device, CL_DRIVER_VERSION, driver, sizeof driver);
    platform_str(e->platform, CL_PLATFORM_VERSION, plat_version, sizeof plat_version);
    ctx->max_alloc_bytes = device_ulong(e->device, CL_DEVICE_MAX_MEM_ALLOC_SIZE);
    ctx->global_mem_bytes = device_ulong(e->device, CL_DEVICE_GLOBAL_MEM_SIZE);
    ctx->local_mem_bytes = device_ulong(e->device, CL_DEVICE_LOCAL_MEM_SIZE);
    size_t wg = 0;
    if (clGetDeviceInfo(e->device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof wg, &wg, NULL) !=
        CL_SUCCESS)
        wg = 1;
    ctx->max_wg_size = wg;
    cl_uint cus = 0;
    if (clGetDeviceInfo(e->device, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof cus, &cus, NULL) !=
        CL_SUCCESS)
        cus = 0;

    snprintf(ctx->name, sizeof ctx->name, "%d (%d:%d) %s / %s [%s, %s, driver %s, %u CUs]",
             pick, e->platform_index, e->device_index, e->platform_name, e->device_name,
             type_str(e->type), dev_version, driver, (unsigned)cus);
    snprintf(ctx->cache_id, sizeof ctx->cache_id, "%s|%s|%s|%s|%s", e->platform_name,
             plat_version, e->device_name, dev_version, driver);
    free(ents);
    return FNRT_OK;
}

static void print_bytes(FILE *out, const char *label, cl_ulong n_bytes)
{
    if (n_bytes >= (cl_ulong)1 << 30)
        fprintf(out, "%s %.1f GiB", label, (double)n_bytes / (double)(1u << 30));
    else if (n_bytes >= (cl_ulong)1 << 20)
        fprintf(out, "%s %.1f MiB", label, (double)n_bytes / (double)(1u << 20));
    else
        fprintf(out, "%s %lu KiB", label, (unsigned long)(n_bytes >> 10));
}

fnrt_status fnrt_opencl_list_devices(FILE *out)
{
    cl_dev_entry *ents = NULL;
    int n = 0;
    fnrt_status st = enumerate(&ents, &n);
    if (st != FNRT_OK)
        return st;
    int last_platform = -1;
    for (int i = 0; i < n; i++) {
        const cl_dev_entry *e = &ents[i];
        if (e->platform_index != last_platform) {
            char vendor[256], version[256];
            platform_str(e->platform, CL_PLATFORM_VENDOR, vendor, sizeof vendor);
            platform_str(e->platform, CL_PLATFORM_VERSION, version, sizeof version);
            fprintf(out, "platform %d: %s (%s), %s\n", e->platform_index, e->platform_name,
                    vendor, version);
            last_platform = e->platform_index;
        }
        char vendor[256], version[256], driver[256];
        device_str(e->device, CL_DEVICE_VENDOR, vendor, sizeof vendor);
        device_str(e->device, CL_DEVICE_VERSION, version, sizeof version);
        device_str(e->device, CL_DRIVER_VERSION, driver, sizeof driver);
        cl_uint cus = 0;
        if (clGetDeviceInfo(e->device, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof cus, &cus, NULL) !=
            CL_SUCCESS)
            cus = 0;
        fprintf(out, "  device %d (%d:%d): %s [%s]\n", i, e->platform_index, e->device_index,
                e->device_name, type_str(e->type));
        fprintf(out, "      vendor %s, %s, driver %s\n", vendor, version, driver);
        fprintf(out, "      %u compute units,", (unsigned)cus);
        print_bytes(out, " global memory", device_ulong(e->device, CL_DEVICE_GLOBAL_MEM_SIZE));
        print_bytes(out, ", max alloc", device_ulong(e->device, CL_DEVICE_MAX_MEM_ALLOC_SIZE));
        print_bytes(out, ", local memory", device_ulong(e->device, CL_DEVICE_LOCAL_MEM_SIZE));
        fputc('\n', out);
    }
    free(ents);
    return FNRT_OK;
}
