/* NPY float32 files (numpy's .npy format, little-endian '<f4', C order).
 *
 * Layout: "\x93NUMPY", major, minor, header length (u16 LE for version 1, u32 LE for 2),
 * then a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (a, b), }
 * padded with spaces and ended by '\n' so that the data starts at a multiple of 64 bytes. */
#include "io/image.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NPY_MAX_DIMS 4
#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define NPY_ALIGN 64
#define NPY_MAX_HEADER (1u << 20)

/* ---- writing ----------------------------------------------------------------------------- */

fnrt_status fnrt_npy_write_f32(FILE *fp, const float *data, int ndim, const int64_t *shape)
{
    char dict[256];
    uint64_t n_elems = 1;

    if (!fp || (ndim > 0 && !shape))
        return fnrt_error(FNRT_ERR_INVALID_ARG, "fnrt_npy_write_f32: NULL argument");
    if (ndim < 0 || ndim > NPY_MAX_DIMS)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "fnrt_npy_write_f32: %d dimensions (0..%d)", ndim,
                          NPY_MAX_DIMS);
    for (int d = 0; d < ndim; d++) {
        if (shape[d] < 0)
            return fnrt_error(FNRT_ERR_INVALID_ARG, "fnrt_npy_write_f32: shape[%d] = %lld", d,
                              (long long)shape[d]);
        if (shape[d] != 0 && n_elems > (uint64_t)INT64_MAX / 4 / (uint64_t)shape[d])
            return fnrt_error(FNRT_ERR_INVALID_ARG, "fnrt_npy_write_f32: shape too large");
        n_elems *= (uint64_t)shape[d];
    }
    if (n_elems > SIZE_MAX / 4)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "fnrt_npy_write_f32: shape too large");
    if (!data && n_elems > 0)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "fnrt_npy_write_f32: NULL data");

    /* the dict, then spaces, then '\n' so that 10 + header length is a multiple of 64 */
    int len = snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (");
    for (int d = 0; d < ndim; d++)
        len += snprintf(dict + len, sizeof dict - (size_t)len, d ? ", %lld" : "%lld",
                        (long long)shape[d]);
    len += snprintf(dict + len, sizeof dict - (size_t)len, "%s), }", ndim == 1 ? "," : "");
    size_t total = NPY_MAGIC_LEN + 4 + (size_t)len + 1;
    size_t pad = (NPY_ALIGN - total % NPY_ALIGN) % NPY_ALIGN;
    size_t header_len = (size_t)len + pad + 1;

    unsigned char pre[NPY_MAGIC_LEN + 4];
    memcpy(pre, NPY_MAGIC, NPY_MAGIC_LEN);
    pre[6] = 1;
    pre[7] = 0;
    pre[8] = (unsigned char)(header_len & 0xff);
    pre[9] = (unsigned char)(header_len >> 8);
    if (fwrite(pre, 1, sizeof pre, fp) != sizeof pre ||
        fwrite(dict, 1, (size_t)len, fp) != (size_t)len)
        goto write_error;
    for (size_t i = 0; i < pad; i++)
        if (fputc(' ', fp) == EOF)
            goto write_error;
    if (fputc('\n', fp) == EOF)
        goto write_error;

    unsigned char buf[4096];
    size_t n_buf = 0;
    for (size_t i = 0; i < (size_t)n_elems; i++) {
        uint32_t bits;
        memcpy(&bits, &data[i], 4);
        buf[n_buf++] = (unsigned char)(bits & 0xff);
        buf[n_buf++] = (unsigned char)((bits >> 8) & 0xff);
        buf[n_buf++] = (unsigned char)((bits >> 16) & 0xff);
        buf[n_buf++] = (unsigned char)(bits >> 24);
        if (n_buf == sizeof buf) {
            if (fwrite(buf, 1, n_buf, fp) != n_buf)
                goto write_error;
            n_buf = 0;
        }
    }
    if (n_buf && fwrite(buf, 1, n_buf, fp) != n_buf)
        goto write_error;
    if (fflush(fp) != 0)
        goto write_error;
    return FNRT_OK;

write_error:
    return fnrt_error(FNRT_ERR_IO, "cannot write NPY data: %s", strerror(errno));
}

/* ---- header parsing ---------------------------------------------------------------------- */

struct npy_cursor {
    const char *p, *end;
    const char *path;
};

static void npy_skip_ws(struct npy_cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int npy_accept(struct npy_cursor *c, char ch)
{
    npy_skip_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* A quoted Python string without escapes, copied into buf. */
static int npy_string(struct npy_cursor *c, char *buf, size_t n)
{
    npy_skip_ws(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
        return 0;
    char q = *c->p++;
    size_t len = 0;
    while (c->p < c->end && *c->p != q) {
        if (*c->p == '\\' || len + 1 >= n)
            return 0;
        buf[len++] = *c->p++;
    }
    if (c->p >= c->end)
        return 0;
    c->p++;
    buf[len] = '\0';
    return 1;
}

static int npy_word(struct npy_cursor *c, const char *w)
{
    size_t n = strlen(w);
    npy_skip_ws(c);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n) != 0)
        return 0;
    const char *after = c->p + n;
    if (after < c->end && ((*after >= 'a' && *after <= 'z') || (*after >= 'A' && *after <= 'Z') ||
                           (*after >= '0' && *after <= '9') || *after == '_'))
        return 0;
    c->p = after;
    return 1;
}

/* A non-negative decimal integer (Python 2 headers may append 'L'). */
static int npy_int(struct npy_cursor *c, int64_t *out)
{
    npy_skip_ws(c);
    if (c->p >= c->end || *c->p < '0' || *c->p > '9')
        return 0;
    int64_t v = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        int digit = *c->p - '0';
        if (v > (INT64_MAX - digit) / 10)
            return 0;
        v = v * 10 + digit;
        c->p++;
    }
    if (c->p < c->end && *c->p == 'L')
        c->p++;
    *out = v;
    return 1;
}

static fnrt_status npy_bad(const struct npy_cursor *c, const char *what)
{
    return fnrt_error(FNRT_ERR_FORMAT, "NPY %s: bad header: %s", c->path, what);
}

/* Parses the dict; fills ndim/shape. */
static fnrt_status npy_parse_header(struct npy_cursor *c, int *ndim, int64_t shape[NPY_MAX_DIMS])
{
    int have_descr = 0, have_order = 0, have_shape = 0;
    char key[32], descr[32];

    for (const char *q = c->p; q < c->end; q++)
        if (*q == '\0')
            return npy_bad(c, "NUL byte in header");
    if (!npy_accept(c, '{'))
        return npy_bad(c, "not a dict");
    while (!npy_accept(c, '}')) {
        if (!npy_string(c, key, sizeof key))
            return npy_bad(c, "expected a quoted key");
        if (!npy_accept(c, ':'))
            return npy_bad(c, "expected ':' after a key");
        if (strcmp(key, "descr") == 0) {
            if (have_descr++)
                return npy_bad(c, "duplicate 'descr'");
            if (!npy_string(c, descr, sizeof descr))
                return npy_bad(c, "'descr' is not a simple string");
            if (strcmp(descr, "<f4") != 0)
                return fnrt_error(FNRT_ERR_FORMAT,
                                  "NPY %s: dtype '%s' not supported (only little-endian "
                                  "float32 '<f4')",
                                  c->path, descr);
        } else if (strcmp(key, "fortran_order") == 0) {
            if (have_order++)
                return npy_bad(c, "duplicate 'fortran_order'");
            if (npy_word(c, "True"))
                return fnrt_error(FNRT_ERR_FORMAT, "NPY %s: Fortran-order arrays are not supported",
                                  c->path);
            if (!npy_word(c, "False"))
                return npy_bad(c, "'fortran_order' is not True or False");
        } else if (strcmp(key, "shape") == 0) {
            if (have_shape++)
                return npy_bad(c, "duplicate 'shape'");
            if (!npy_accept(c, '('))
                return npy_bad(c, "'shape' is not a tuple");
            int n = 0, need_comma_for_tuple = 0;
            while (!npy_accept(c, ')')) {
                int64_t v;
                if (n == NPY_MAX_DIMS)
                    return fnrt_error(FNRT_ERR_FORMAT,
                                      "NPY %s: more than %d dimensions not supported", c->path,
                                      NPY_MAX_DIMS);
                if (!npy_int(c, &v))
                    return npy_bad(c, "'shape' entry is not a non-negative integer");
                shape[n++] = v;
                if (npy_accept(c, ',')) {
                    need_comma_for_tuple = 0;
                    continue;
                }
                if (!npy_accept(c, ')'))
                    return npy_bad(c, "expected ',' or ')' in 'shape'");
                need_comma_for_tuple = n == 1; /* "(5)" is an int, not a tuple */
                break;
            }
            if (need_comma_for_tuple)
                return npy_bad(c, "'shape' (n) is not a tuple (needs a trailing comma)");
            *ndim = n;
        } else {
            return fnrt_error(FNRT_ERR_FORMAT, "NPY %s: bad header: unexpected key '%s'", c->path,
                              key);
        }
        if (npy_accept(c, ','))
            continue;
        if (!npy_accept(c, '}'))
            return npy_bad(c, "expected ',' or '}'");
        break;
    }
    npy_skip_ws(c);
    if (c->p != c->end)
        return npy_bad(c, "trailing characters after the dict");
    if (!have_descr || !have_order || !have_shape)
        return npy_bad(c, "missing 'descr', 'fortran_order' or 'shape'");
    return FNRT_OK;
}

fnrt_status fnrt_npy_read_f32(const char *path, float **data, int *ndim, int64_t shape[4])
{
    fnrt_status status = FNRT_OK;
    FILE *fp = NULL;
    char *header = NULL;
    float *out = NULL;
    unsigned char pre[NPY_MAGIC_LEN + 2 + 4];
    int64_t shp[NPY_MAX_DIMS] = {0};
    int nd = -1;

    if (!path || !data || !ndim || !shape)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "fnrt_npy_read_f32: NULL argument");
    fp = fopen(path, "rb");
    if (!fp)
        return fnrt_error(FNRT_ERR_IO, "cannot open NPY %s: %s", path, strerror(errno));

    if (fread(pre, 1, NPY_MAGIC_LEN + 2, fp) != NPY_MAGIC_LEN + 2 ||
        memcmp(pre, NPY_MAGIC, NPY_MAGIC_LEN) != 0) {
        status = fnrt_error(FNRT_ERR_FORMAT, "NPY %s: not an NPY file (bad magic)", path);
        goto cleanup;
    }
    int major = pre[6], minor = pre[7];
    if ((major != 1 && major != 2) || minor != 0) {
        status = fnrt_error(FNRT_ERR_FORMAT, "NPY %s: unsupported format version %d.%d", path,
                            major, minor);
        goto cleanup;
    }
    size_t len_bytes = major == 1 ? 2 : 4;
    if (fread(pre + 8, 1, len_bytes, fp) != len_bytes) {
        status = fnrt_error(FNRT_ERR_FORMAT, "NPY %s: truncated header", path);
        goto cleanup;
    }
    uint32_t header_len = (uint32_t)pre[8] | (uint32_t)pre[9] << 8;
    if (major == 2)
        header_len |= (uint32_t)pre[10] << 16 | (uint32_t)pre[11] << 24;
    if (header_len > NPY_MAX_HEADER) {
        status = fnrt_error(FNRT_ERR_FORMAT, "NPY %s: header length %u exceeds %u", path,
                            (unsigned)header_len, NPY_MAX_HEADER);
        goto cleanup;
    }
    header = malloc(header_len + 1u);
    if (!header) {
        status = fnrt_error(FNRT_ERR_NOMEM, "NPY %s: out of memory", path);
        goto cleanup;
    }
    if (fread(header, 1, header_len, fp) != header_len) {
        status = fnrt_error(FNRT_ERR_FORMAT, "NPY %s: truncated header", path);
        goto cleanup;
    }
    header[header_len] = '\0';
    if (header_len == 0 || header[header_len - 1] != '\n') {
        status =
            fnrt_error(FNRT_ERR_FORMAT, "NPY %s: bad header: does not end with a newline", path);
        goto cleanup;
    }
    struct npy_cursor cur = {header, header + header_len, path};
    status = npy_parse_header(&cur, &nd, shp);
    if (status != FNRT_OK)
        goto cleanup;

    uint64_t n_elems = 1;
    for (int d = 0; d < nd; d++) {
        uint64_t dim = (uint64_t)shp[d];
        if (dim != 0 && n_elems > (uint64_t)INT64_MAX / 4 / dim) {
            status = fnrt_error(FNRT_ERR_FORMAT, "NPY %s: shape overflows", path);
            goto cleanup;
        }
        n_elems *= dim;
    }
    uint64_t n_bytes = n_elems * 4;
    uint64_t data_start = NPY_MAGIC_LEN + 2 + len_bytes + header_len;

    struct stat sb;
    if (fstat(fileno(fp), &sb) == 0 && S_ISREG(sb.st_mode)) {
        uint64_t have = (uint64_t)sb.st_size > data_start ? (uint64_t)sb.st_size - data_start : 0;
        if (have != n_bytes) {
            status = fnrt_error(FNRT_ERR_FORMAT,
                                "NPY %s: shape needs %llu data bytes but the file has %llu%s", path,
                                (unsigned long long)n_bytes, (unsigned long long)have,
                                have < n_bytes ? " (truncated)" : "");
            goto cleanup;
        }
    }
    if (n_bytes > SIZE_MAX) {
        status = fnrt_error(FNRT_ERR_NOMEM, "NPY %s: array too large", path);
        goto cleanup;
    }
    out = malloc(n_bytes ? (size_t)n_bytes : 1);
    if (!out) {
        status = fnrt_error(FNRT_ERR_NOMEM, "NPY %s: cannot allocate %llu bytes", path,
                            (unsigned long long)n_bytes);
        goto cleanup;
    }
    if (fread(out, 1, (size_t)n_bytes, fp) != (size_t)n_bytes) {
        status = fnrt_error(FNRT_ERR_FORMAT, "NPY %s: truncated data", path);
        goto cleanup;
    }
    if (fgetc(fp) != EOF) {
        status = fnrt_error(FNRT_ERR_FORMAT, "NPY %s: trailing bytes after the data", path);
        goto cleanup;
    }
    /* little-endian bytes -> host floats, in place */
    for (size_t i = 0; i < (size_t)n_elems; i++) {
        unsigned char p[4];
        memcpy(p, &out[i], 4);
        uint32_t bits =
            (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        memcpy(&out[i], &bits, 4);
    }

    *data = out;
    out = NULL;
    *ndim = nd;
    for (int d = 0; d < NPY_MAX_DIMS; d++)
        shape[d] = d < nd ? shp[d] : 0;

cleanup:
    free(out);
    free(header);
    if (fp)
        fclose(fp);
    return status;
}
